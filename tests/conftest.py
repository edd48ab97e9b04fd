"""Session fixtures for the book tests: each chapter is executed at most once per test session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from selfrep.book.layout import Layout, chapter_stems
from selfrep.book.run import ChapterFailed, ChapterRun, run_chapter, run_chapters
from tests.book_helpers import REPO, make_fixture_root

BOOK_FIXTURE = "book_run"
BOOK_WANTED = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)  # after `-m`/`-k` deselected what will not run
def pytest_collection_modifyitems(session, config, items):
    """The modules whose tests need the real book (the `book_run` fixture) run last, whole, in their
    own order: the chapters then execute in the background (`_book_in_background`) while every other
    test runs, instead of leaving a core idle under the one-process unit tests afterwards."""
    book_modules = {
        item.module.__name__
        for item in items
        if BOOK_FIXTURE in getattr(item, "fixturenames", ()) and getattr(item, "module", None) is not None
    }
    items.sort(key=lambda item: getattr(getattr(item, "module", None), "__name__", None) in book_modules)
    config.stash[BOOK_WANTED] = bool(book_modules)


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


@pytest.fixture(scope="session")
def book_build(tmp_path_factory) -> Path:
    """The real book's build folder: $SELFREP_TEST_BUILD_DIR (.ci/run sets it to _build, so that the
    later `selfrep build --scale ci` finds every chapter cached), else a temp folder."""
    env = os.environ.get("SELFREP_TEST_BUILD_DIR")
    return Path(env).resolve() if env else tmp_path_factory.mktemp("book") / "_build"


@pytest.fixture(scope="session", autouse=True)
def _book_in_background(request, book_build) -> Iterator[subprocess.Popen | None]:
    """When any collected test needs the real book, `selfrep run --scale ci --seed 0 --jobs N` (N =
    $SELFREP_TEST_JOBS, default 2) starts with the session, in its own process, into `book_build`.
    `book_run` waits for it and then finds every chapter in the cache; a chapter it failed is executed
    again where a test needs it, and fails that test with the chapter's own error."""
    jobs = int(os.environ.get("SELFREP_TEST_JOBS", "2"))  # chapters are single-threaded
    if not request.config.stash.get(BOOK_WANTED, False) or jobs < 2:
        yield None
        return
    book_build.mkdir(parents=True, exist_ok=True)
    log = (book_build / "test-session-run.log").open("w")
    path = [str(REPO), *([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    argv = [sys.executable, "-m", "selfrep", "run", "--scale", "ci", "--seed", "0", "--jobs", str(jobs)]
    argv += ["--root", str(REPO), "--build-dir", str(book_build)]
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:  # the session ended first (interrupted, or no book test was reached)
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def book_run(book_build, _book_in_background) -> BookRun:
    """The real book at ci scale, every chapter executed at most once per session."""
    if _book_in_background is not None:
        _book_in_background.wait()
    return BookRun(Layout(REPO, book_build))


@pytest.fixture(scope="session")
def fixture_book(tmp_path_factory) -> tuple[Layout, list[ChapterRun]]:
    """A small book made of the real intro/report/references and two fixture notebooks
    (tests/fixtures/book: ok = parameters + glue + figure + math; noparams = no parameters cell),
    executed once for the whole session."""
    root = make_fixture_root(tmp_path_factory.mktemp("fixture"), ["ok", "noparams"])
    layout = Layout.at(root)
    runs = run_chapters(layout, None, scale="ci", seed=0, progress=False, log=lambda line: None)
    return layout, runs
