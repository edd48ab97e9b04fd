"""How chapters show tables: left-aligned, wrapped, never truncated (pandas cuts long cells with "...")."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

_TEXT = {"text-align": "left", "white-space": "normal", "vertical-align": "top"}
# Room between neighbouring cells, so that columns of numbers do not run together in print ("5.15.9").
_PAD = [("padding", "0.15em 0.6em")]


def short_number(x: object) -> str:
    """A number as the text writes it: 1e-5 (not 1e-05 or 0.0001), 10,000, 0.5; tuples element-wise;
    anything else as its repr."""
    if isinstance(x, bool) or not isinstance(x, int | float | tuple):
        return repr(x)
    if isinstance(x, tuple):
        inner = ", ".join(short_number(e) for e in x)
        return f"({inner},)" if len(x) == 1 else f"({inner})"
    if isinstance(x, int):
        return f"{x:,}"
    if x != 0 and abs(x) < 1e-3:
        mantissa, exponent = f"{x:e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    text = f"{x:g}"
    if "e" in text:  # 1e+06 -> 1e6
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def table(
    df: pd.DataFrame,
    *,
    caption: str | None = None,
    precision: int = 3,
    index: bool = True,
    widths: Mapping[str, str] | None = None,
    font_size: str | None = None,
):
    """A pandas Styler of `df` for display in a chapter: every cell shown in full and left-aligned,
    floats with `precision` significant-looking decimals, an optional caption.

    `widths` maps column names to CSS widths such as "20%" (the index, if shown, gets the rest): the
    table then spans the page column with a fixed layout, so that long text wraps inside its column
    instead of pushing later columns off the page. `font_size` (e.g. "0.85em") sets the table's text size."""
    sty = df.style.set_properties(**_TEXT).format(precision=precision, na_rep="–")
    styles = [
        {"selector": "th", "props": [("text-align", "left"), ("vertical-align", "top")]},
        {"selector": "td, th", "props": _PAD},
    ]
    if widths:
        unknown = sorted(set(widths) - set(map(str, df.columns)))
        if unknown:
            raise ValueError(f"widths: unknown columns {unknown} (known: {list(map(str, df.columns))})")
        styles += [
            {"selector": "", "props": [("table-layout", "fixed"), ("width", "100%")]},
            # Break a word only where it does not fit its column on its own, with a hyphen where the
            # browser knows one; headers too, so that a narrow last column is not cut off in print.
            {"selector": "td, th", "props": [("overflow-wrap", "break-word"), ("hyphens", "auto")]},
        ]
    if font_size:
        styles.append({"selector": "", "props": [("font-size", font_size)]})
    sty = sty.set_table_styles(styles)
    for name, width in (widths or {}).items():
        sty = sty.set_table_styles({name: [{"selector": "th", "props": [("width", width)]}]}, overwrite=False)
    if not index:
        sty = sty.hide(axis="index")
    if caption:
        sty = sty.set_caption(caption)
    return sty
