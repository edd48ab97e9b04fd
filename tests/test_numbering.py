"""One numbering of figures and tables for the whole book (issue 10, item 5), checked on the notebook sources.

Chapter k's figures are captioned **Figure k.1**, **Figure k.2**, … in order of appearance, its tables
**Table k.1**, … (chapter 6b counts as its own chapter: Figure 6b.1). A figure of the paper is always named
"paper Fig N", so that "Figure 7" can never mean three different plots. A `{glue:figure}` carries no
caption of its own (Sphinx would number it "Fig. N" per page); its caption is the bold paragraph below it,
and references use {ref} with the book's number, not {numref}.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"

# Chapters still numbered the old way. Another branch renumbers them; the merger empties this set (the
# xfail is strict, so a chapter that already passes fails here until it is removed).
NOT_YET_NUMBERED: set[str] = set()

CAPTION = re.compile(r"^\*\*(Figure|Table) (\d+[a-z]?)\.(\d+)\.?\*\*")
CAPTION_LIKE = re.compile(r"^\*{1,2}(Figure|Fig\.?|Table)\b")
# A figure or table word followed by a number: "Figure 3", "Figs 1–3", "Table 1.2", "Fig. 12c".
NUMBERED = re.compile(r"\b(Figures?|Figs?\.?|Tables?)\s+(\d[\w.]*)")
BOOK_NUMBER = re.compile(r"(\d+[a-z]?)\.(\d+)")
GLUE_FIGURE = re.compile(r"```\{glue:figure\}[^\n]*\n((?::[^\n]*\n)*)(.*?)```", re.S)


def chapter_number(stem: str) -> str:
    """'01_self_application' -> '1', '06b_self_modification' -> '6b'."""
    m = re.match(r"0*(\d+[a-z]?)_", stem)
    if not m:
        raise ValueError(f"stem: {stem!r} does not start with a chapter number")
    return m.group(1)


def markdown_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def numbering_problems(stem: str, cells: list[str]) -> list[str]:
    """Every way the markdown `cells` of chapter `stem` break the book's numbering, as sentences."""
    k = chapter_number(stem)
    problems: list[str] = []
    captions: dict[str, list[int]] = {"Figure": [], "Table": []}
    text = "\n".join(cells)
    for line in text.split("\n"):
        m = CAPTION.match(line)
        if m:
            kind, chapter, n = m.groups()
            if chapter != k:
                problems.append(f"caption {kind} {chapter}.{n} in chapter {k}")
            captions[kind].append(int(n))
        elif CAPTION_LIKE.match(line):
            problems.append(f"caption not numbered as **Figure/Table {k}.N**: {line[:60]!r}")
    for kind, numbers in captions.items():
        if numbers != list(range(1, len(numbers) + 1)):
            problems.append(f"{kind} captions are numbered {numbers}, not 1 … {len(numbers)} in order")
    for m in NUMBERED.finditer(text):
        word, number = m.groups()
        before = text[max(0, m.start() - 6) : m.start()]
        if word.startswith("Fig") and not word.startswith("Figure"):
            if before != "paper ":
                problems.append(f"{m.group(0)!r} neither names the paper ('paper Fig N') nor the book")
            continue
        if before == "paper ":
            problems.append(f"'paper {m.group(0)}': the paper's figures are written 'paper Fig N'")
            continue
        ref = BOOK_NUMBER.fullmatch(number.rstrip("."))
        if not ref:
            problems.append(f"{m.group(0)!r} has no chapter prefix (Figure k.N, Table k.N)")
        elif ref.group(1) == k:
            kind = "Table" if word.startswith("Table") else "Figure"
            if int(ref.group(2)) not in captions[kind]:
                problems.append(f"{m.group(0)!r} refers to a {kind.lower()} this chapter does not caption")
    for m in GLUE_FIGURE.finditer(text):
        if m.group(2).strip():
            problems.append(f"{{glue:figure}} with a caption inside (Sphinx numbers it): {m.group(2)[:50]!r}")
    if "{numref}" in text:
        problems.append("{numref} prints Sphinx's per-page number; use {ref}`Figure k.N <label>`")
    return problems


def _params():
    for path in sorted(BOOK.glob("*.ipynb")):
        marks = []
        if path.stem in NOT_YET_NUMBERED:
            marks = [pytest.mark.xfail(strict=True, reason="renumbered on another branch")]
        yield pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("path", list(_params()))
def test_figures_and_tables_are_numbered_per_chapter(path):
    assert numbering_problems(path.stem, markdown_cells(path)) == []


def test_not_yet_numbered_names_existing_chapters():
    stems = {p.stem for p in BOOK.glob("*.ipynb")}
    assert stems >= NOT_YET_NUMBERED


def test_the_check_finds_each_kind_of_mistake():
    good = [
        "**Figure 6b.1** (beyond the paper). A plot, as in paper Fig 3;",
        "see Figure 6b.1, Figure 2.4 and Table 6b.1.",
        "**Table 6b.1.** A table.",
    ]
    assert numbering_problems("06b_self_modification", good) == []
    cases = {
        "**Figure 2** (paper Fig 2).": "not numbered",
        "**Figure 6.1** a caption of chapter 6 in 6b": "caption Figure 6.1",
        "**Figure 6b.2** skips 6b.1": "not 1 … 1",
        "as in Figure 7": "no chapter prefix",
        "the paper's Figs 12 and 13": "neither names",
        "paper Figure 12": "'paper Fig N'",
        "see Table 6b.3": "does not caption",
        "*Table: per split, the accuracy*": "not numbered",
        "```{glue:figure} fig_x\n:name: fig-x\n\nA caption.\n```": "caption inside",
        "({numref}`fig-x`)": "{numref}",
    }
    for cell, expected in cases.items():
        found = numbering_problems("06b_self_modification", [cell])
        assert any(expected in p for p in found), (cell, found)
    assert chapter_number("01_self_application") == "1" and chapter_number("06b_x") == "6b"
