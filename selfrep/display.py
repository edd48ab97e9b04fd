"""How chapters show tables: left-aligned, wrapped, never truncated (pandas cuts long cells with "...")."""

from __future__ import annotations

import pandas as pd

_TEXT = {"text-align": "left", "white-space": "normal", "vertical-align": "top"}


def table(df: pd.DataFrame, *, caption: str | None = None, precision: int = 3, index: bool = True):
    """A pandas Styler of `df` for display in a chapter: every cell shown in full and left-aligned,
    floats with `precision` significant-looking decimals, an optional caption."""
    sty = df.style.set_properties(**_TEXT).format(precision=precision, na_rep="–")
    sty = sty.set_table_styles(
        [{"selector": "th", "props": [("text-align", "left"), ("vertical-align", "top")]}]
    )
    if not index:
        sty = sty.hide(axis="index")
    if caption:
        sty = sty.set_caption(caption)
    return sty
