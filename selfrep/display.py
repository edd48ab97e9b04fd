"""How chapters show tables: left-aligned, wrapped, never truncated (pandas cuts long cells with "...")."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

_TEXT = {"text-align": "left", "white-space": "normal", "vertical-align": "top"}


def table(
    df: pd.DataFrame,
    *,
    caption: str | None = None,
    precision: int = 3,
    index: bool = True,
    widths: Mapping[str, str] | None = None,
):
    """A pandas Styler of `df` for display in a chapter: every cell shown in full and left-aligned,
    floats with `precision` significant-looking decimals, an optional caption.

    `widths` maps column names to CSS widths such as "20%" (the index, if shown, gets the rest): the
    table then spans the page column with a fixed layout, so that long text wraps inside its column
    instead of pushing later columns off the page."""
    sty = df.style.set_properties(**_TEXT).format(precision=precision, na_rep="–")
    styles = [{"selector": "th", "props": [("text-align", "left"), ("vertical-align", "top")]}]
    if widths:
        unknown = sorted(set(widths) - set(map(str, df.columns)))
        if unknown:
            raise ValueError(f"widths: unknown columns {unknown} (known: {list(map(str, df.columns))})")
        styles += [
            {"selector": "", "props": [("table-layout", "fixed"), ("width", "100%")]},
            {"selector": "td", "props": [("overflow-wrap", "anywhere")]},
        ]
    sty = sty.set_table_styles(styles)
    for name, width in (widths or {}).items():
        sty = sty.set_table_styles({name: [{"selector": "th", "props": [("width", width)]}]}, overwrite=False)
    if not index:
        sty = sty.hide(axis="index")
    if caption:
        sty = sty.set_caption(caption)
    return sty
