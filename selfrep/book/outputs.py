"""What an executed chapter notebook holds: its glued values, its figures, the cell that failed.

Values: `selfrep.chapters.glue_all` records a chapter's values once as plain JSON (the output with
mime type VALUES_MIME); a value glued on its own with myst-nb's `glue(name, value, display=False)` is
a display_data output whose metadata holds {"scrapbook": {"name": name, "mime_prefix": ...}} and
whose "<prefix>text/plain" entry is repr(value): ints, floats, bools and strings (and numpy scalars
such as np.float64(0.5)) are parsed back, glued figures and tables are skipped, anything else is an
error.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from selfrep.chapters.common import VALUES_MIME

GLUE_PREFIX = "application/papermill.record/"
_NUMPY_SCALAR = re.compile(r"^np\.(?:float|int|uint|bool|complex)\w*\((.*)\)$", re.DOTALL)


def _parse_plain(text: str) -> Any:
    text = text.strip()
    m = _NUMPY_SCALAR.match(text)
    if m:
        text = m.group(1).strip()
    if text in ("nan", "inf", "-inf"):
        return float(text)
    value = ast.literal_eval(text)
    if isinstance(value, bool | int | float | str):
        return value
    raise ValueError(type(value).__name__)


def glued_values(nb: Mapping[str, Any]) -> dict[str, Any]:
    """{name: value} of every non-figure `myst_nb.glue` output in an executed notebook (dict form).

    A chapter's values come from the plain JSON record that `selfrep.chapters.glue_all` writes (no
    printed text parsed back); a value glued on its own, outside that record, is read from its printed
    text. Raises ValueError naming the glue when a value is neither a number, a bool nor a string.
    """
    values: dict[str, Any] = {}
    record: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            if VALUES_MIME in out.get("data", {}):
                text = out["data"][VALUES_MIME]
                record.update(json.loads("".join(text) if isinstance(text, list) else text))
                continue
            meta = out.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            name = meta["name"]
            prefix = meta.get("mime_prefix", "")
            data = {
                k[len(prefix) :] if k.startswith(prefix) else k: v for k, v in out.get("data", {}).items()
            }
            if any(k.startswith("image/") for k in data) or "text/html" in data:
                continue  # a glued figure or table: rendered by myst-nb, not a value
            plain = data.get("text/plain")
            if isinstance(plain, list):
                plain = "".join(plain)
            try:
                values[name] = _parse_plain(plain or "")
            except (ValueError, SyntaxError):
                raise ValueError(
                    f"glue: {name!r} = {plain!r} is not a plain int, float, bool or str "
                    f"(glue float(x) or x.item())"
                ) from None
    for name, value in record.items():
        if not isinstance(value, bool | int | float | str):
            raise ValueError(f"glue: {name!r} = {value!r} in the values record is not a plain value")
        values[name] = value
    return values


HIDDEN_OUTPUT_TAGS = ("remove-output", "remove-cell", "remove_output", "remove_cell")


def figure_count(nb: Mapping[str, Any]) -> int:
    """Number of figures the site shows from an executed notebook, each counted once.

    A figure cell calls `selfrep.chapters.show`, which both glues the figure (the copy the site
    places with {glue:figure}) and displays it (the copy JupyterLab shows; the cell is tagged
    remove-output, so the site drops it). Counted: every glued image, plus every displayed image in
    a cell whose outputs the site keeps (not tagged remove-output or remove-cell)."""
    n = 0
    for cell in nb.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", [])
        shown = not any(t in tags for t in HIDDEN_OUTPUT_TAGS)
        for out in cell.get("outputs", []):
            keys = out.get("data", {}).keys()
            glued = bool(out.get("metadata", {}).get("scrapbook"))
            if any(k.removeprefix(GLUE_PREFIX).startswith("image/") for k in keys) and (glued or shown):
                n += 1
    return n


def cell_label(nb_path: Path, executed_nb: Mapping[str, Any] | None) -> str:
    """'cell N (first line)' of the cell that raised, N counted in the source notebook (1-based,
    markdown cells included); found by its error output in the partly executed notebook."""
    cells = (executed_nb or {}).get("cells", [])
    failing = next(
        (c for c in cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))),
        None,
    )
    if failing is None:
        return "a cell"
    label = "a cell"
    try:
        src_ids = [c.get("id") for c in json.loads(Path(nb_path).read_text("utf-8"))["cells"]]
        if failing.get("id") in src_ids:
            label = f"cell {src_ids.index(failing['id']) + 1}"
    except (OSError, ValueError, KeyError):
        pass
    source = failing.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
    if first:
        label += f" ({first[:60]}{'…' if len(first) > 60 else ''})"
    return label
