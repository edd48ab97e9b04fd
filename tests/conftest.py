"""Session fixtures for the book tests: each chapter is executed at most once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from selfrep.book.layout import Layout, chapter_stems
from selfrep.book.run import ChapterFailed, ChapterRun, run_chapter, run_chapters
from tests.book_helpers import REPO, make_fixture_root


class BookRun:
    """Executes the real book's chapters lazily, once each, at ci scale, through `selfrep run`'s
    code path (selfrep.book.run.run_chapter). A failure is remembered and re-raised to every test that
    needs that chapter, so one broken chapter fails its own tests without re-running."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self._done: dict[str, ChapterRun | ChapterFailed] = {}

    def chapter(self, stem: str) -> ChapterRun:
        if stem not in self._done:
            try:
                self._done[stem] = run_chapter(self.layout, stem, scale="ci", seed=0)
            except ChapterFailed as exc:
                self._done[stem] = exc
        got = self._done[stem]
        if isinstance(got, ChapterFailed):
            pytest.fail(str(got), pytrace=False)
        return got

    def all(self) -> list[ChapterRun]:
        return [self.chapter(s) for s in chapter_stems(self.layout.book)]

    def prefetch(self, jobs: int) -> None:
        """Execute every chapter up front, `jobs` at a time (selfrep run --jobs). On a failure the
        failing chapter is remembered; chapters that did not run are executed lazily later."""
        try:
            for run in run_chapters(
                self.layout, None, scale="ci", seed=0, progress=False, log=lambda line: None, jobs=jobs
            ):
                self._done[run.chapter] = run
        except ChapterFailed as exc:
            self._done[exc.chapter] = exc


@pytest.fixture(scope="session")
def book_run(tmp_path_factory) -> BookRun:
    """The real book at ci scale. Builds into a temp folder, or into $SELFREP_TEST_BUILD_DIR
    (.ci/run sets it to _build, so that the later `selfrep build --scale ci` finds every chapter
    cached)."""
    env = os.environ.get("SELFREP_TEST_BUILD_DIR")
    build = Path(env).resolve() if env else tmp_path_factory.mktemp("book") / "_build"
    run = BookRun(Layout(REPO, build))
    jobs = int(os.environ.get("SELFREP_TEST_JOBS", "2"))  # chapters are single-threaded
    if jobs > 1:
        run.prefetch(jobs)
    return run


@pytest.fixture(scope="session")
def fixture_book(tmp_path_factory) -> tuple[Layout, list[ChapterRun]]:
    """A small book made of the real intro/report/references and two fixture notebooks
    (tests/fixtures/book: ok = parameters + glue + figure + math; noparams = no parameters cell),
    executed once for the whole session."""
    root = make_fixture_root(tmp_path_factory.mktemp("fixture"), ["ok", "noparams"])
    layout = Layout.at(root)
    runs = run_chapters(layout, None, scale="ci", seed=0, progress=False, log=lambda line: None)
    return layout, runs
