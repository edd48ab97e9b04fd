"""Every chapter of the book: conventions (static, fast), then executed once at ci scale."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from selfrep.book.layout import chapter_stems, toc_files
from selfrep.book.parameters import declared_parameters
from selfrep.chapters import CHAPTERS, all_claims
from selfrep.claims import assess
from tests.book_helpers import REPO

BOOK = REPO / "book"
STEMS = chapter_stems(BOOK)


def test_toc_lists_exactly_the_book():
    entries = toc_files(yaml.safe_load((REPO / "_toc.yml").read_text()))
    assert entries[0] == "book/intro"
    for e in entries:
        assert e.startswith("book/"), e
        assert any((REPO / f"{e}{ext}").is_file() for ext in (".ipynb", ".md")), f"{e}: no file"
    listed = {e.removeprefix("book/") for e in entries}
    assert not [s for s in STEMS if s not in listed], "chapters missing from _toc.yml"
    assert "reproducibility" in listed


@pytest.mark.parametrize("stem", STEMS)
def test_chapter_follows_conventions(stem):
    nb = json.loads((BOOK / f"{stem}.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), (
        "commit chapters without outputs"
    )
    first = code[0]
    assert {"parameters", "remove-cell"} <= set(first["metadata"].get("tags", [])), (
        "the first code cell is the parameters cell, tagged parameters and remove-cell"
    )
    params = declared_parameters(BOOK / f"{stem}.ipynb")
    assert params.get("scale") == '"ci"' or params.get("scale") == "'ci'", "default scale is ci"
    assert "seed" in params
    assert stem in CHAPTERS, "register the chapter in selfrep/chapters.py"


@pytest.mark.book
@pytest.mark.parametrize("stem", STEMS)
def test_chapter_executes_and_glues_finite_numbers(stem, book_run):
    run = book_run.chapter(stem)
    values = run.result["values"]
    assert values, "the chapter glued no values"
    bad = {k: v for k, v in values.items() if isinstance(v, int | float) and not math.isfinite(v)}
    assert not bad, f"non-finite glued values: {bad}"
    assert run.result["scale"] == "ci"


@pytest.mark.book
@pytest.mark.parametrize("stem", STEMS)
def test_chapter_claims_are_measured_as_recorded(stem, book_run):
    result = book_run.chapter(stem).result
    for claim in [c for c in all_claims() if c.chapter == stem]:
        a = assess(claim, result)
        assert a.status == "ok", (
            f"{claim.id}: {a.status}: measured {a.measured}, verdict {a.verdict}, recorded {a.expected}"
        )
