"""The cache key covers what a chapter depends on: its notebook, the selfrep modules it imports
(transitively, lazy imports included), their packages' data files, parameters, scale and seed."""

from __future__ import annotations

import json
import shutil

import pytest

from selfrep.book.cache import _module_file, chapter_key, chapter_sources, imported_names
from selfrep.chapters import CHAPTERS
from tests.book_helpers import REPO

ONE, SIX = "01_self_application", "06_architecture_search"


@pytest.fixture
def package(tmp_path):
    """A copy of this checkout's selfrep, to edit: (its folder, the real book's folder)."""
    pkg = tmp_path / "selfrep"
    shutil.copytree(REPO / "selfrep", pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return pkg


def _key(stem, pkg):
    return chapter_key(REPO / "book" / f"{stem}.ipynb", {"scale": "ci", "seed": 0}, "ci", 0, package_dir=pkg)


def _touch(path):
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")


def _sources(stem, pkg):
    nb = REPO / "book" / f"{stem}.ipynb"
    return {p.relative_to(pkg).as_posix() for p in chapter_sources(nb, [CHAPTERS[stem]], pkg)}


def test_a_module_only_chapter_6_imports_changes_chapter_6s_key_and_not_chapter_1s(package):
    one, six = _key(ONE, package), _key(SIX, package)
    only_six = _sources(SIX, package) - _sources(ONE, package)
    assert "archsearch/search.py" in only_six  # the architecture-search library
    assert "archsearch/data/digits_mlp_bench.csv" in only_six  # a data file of a reached package
    _touch(package / "archsearch" / "search.py")
    assert _key(SIX, package) != six
    assert _key(ONE, package) == one


def test_chapter_6s_own_module_changes_only_chapter_6s_key(package):
    one, six = _key(ONE, package), _key(SIX, package)
    _touch(_module_file(CHAPTERS[SIX], package))
    assert _key(SIX, package) != six
    assert _key(ONE, package) == one


def test_a_core_module_changes_chapter_1s_key(package):
    one = _key(ONE, package)
    assert "nets.py" in _sources(ONE, package)
    _touch(package / "nets.py")
    assert _key(ONE, package) != one


def test_a_module_no_chapter_imports_changes_no_key(package):
    keys = {stem: _key(stem, package) for stem in (ONE, SIX)}
    _touch(package / "perf.py")  # `selfrep bench`, imported by no chapter
    assert {stem: _key(stem, package) for stem in (ONE, SIX)} == keys


def test_imports_inside_functions_relative_imports_and_magics_are_followed(tmp_path):
    pkg = tmp_path / "selfrep"
    (pkg / "sub" / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .a import f\n")
    (pkg / "sub" / "a.py").write_text("def f():\n    from selfrep import lazy\n    return lazy\n")
    (pkg / "sub" / "data" / "table.csv").write_text("x\n1\n")
    (pkg / "lazy.py").write_text("")
    (pkg / "unused.py").write_text("")
    cells = ["%matplotlib inline\nfrom selfrep.sub import f", "print(f())"]
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}} for c in cells], "metadata": {}}
    path = tmp_path / "ch.ipynb"
    path.write_text(json.dumps(nb))
    got = {p.relative_to(pkg).as_posix() for p in chapter_sources(path, (), pkg)}
    assert got == {"__init__.py", "sub/__init__.py", "sub/a.py", "sub/data/table.csv", "lazy.py"}
    relative = imported_names("from . import b", "selfrep.sub", is_package=True)
    assert relative == {"selfrep.sub", "selfrep.sub.b"}
