"""Execute book chapters: papermill runs each notebook in a fresh kernel, the runner records what it glued.

    selfrep run [CHAPTER ...] --scale {ci,paper} [--seed N] [--force] [-p NAME=VALUE ...]

The book machine, one module per step:
    layout      where sources and build live, which chapters there are, the table of contents
    parameters  what a notebook declares and what is injected (scale, seed, -p)
    cache       the cache key of a chapter (what it depends on) and the cached results
    kernel      the kernel chapters run in (this interpreter, no log noise)
    run         (this module) executing chapters, one or several at once, into results files
    outputs     what an executed notebook holds: glued values, figures, the failing cell
    results     the results files' schema and reading them
    report      the reproducibility page
    site        the jupyter-book build of the site
    commands    `selfrep run` and `selfrep build`; ledger (`selfrep claims`), sweep (`selfrep sweep`)

A chapter is executed unless cached (selfrep.book.cache; `--force` re-executes anyway). The kernel
imports the very `selfrep` the key describes: the runner puts that package first on the kernel's
PYTHONPATH and sets SELFREP_EXPECT_PACKAGE, and `selfrep` refuses to be imported from anywhere else
while it is set.

A run that fails leaves the last good outputs in place: the notebook is executed into a unique
temporary file beside the old one, and the executed notebook and the results file are swapped in
(each with os.replace) only once the chapter has succeeded. Parameters, _toc.yml and the build
folder's writability are checked before any chapter executes.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selfrep.book.cache import _sha256, cached_result, chapter_key, values_digest
from selfrep.book.kernel import KERNEL_NAME, kernel_environment, kernel_manager_class
from selfrep.book.layout import (
    Layout,
    chapter_stems,
    check_build_folder,
    check_toc_lists,
    copy_support_files,
    resolve_chapters,
)
from selfrep.book.outputs import cell_label, figure_count, glued_values
from selfrep.book.parameters import chapter_parameters, check_seed
from selfrep.book.report import source_commit
from selfrep.book.results import backend_summary, environment, versions
from selfrep.chapters import check_scale
from selfrep.files import fix_mode, write_json_atomic

DEFAULT_SCALE = "ci"
DEFAULT_SEED = 0


class ChapterFailed(RuntimeError):
    """A chapter raised in one of its cells (or its kernel died); names the chapter and the cell."""

    def __init__(self, chapter: str, message: str, failed_notebook: Path | None = None):
        super().__init__(f"chapter {chapter!r} failed: {message}")
        self.chapter = chapter
        self.failed_notebook = failed_notebook


def _compiled_unavailable() -> str | None:
    from selfrep import kernels

    return kernels.unavailable_reason()


@dataclass
class ChapterRun:
    chapter: str
    status: str  # "executed" | "cached"
    wall_s: float
    results_path: Path
    result: dict[str, Any] = field(repr=False, default_factory=dict)


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _read_backends(path: Path) -> list[dict[str, str]]:
    try:
        got = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return got if isinstance(got, list) else []


def run_chapter(
    layout: Layout,
    chapter: str,
    *,
    scale: str = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    parameters: Mapping[str, Any] | None = None,
    force: bool = False,
    timeout: float | None = None,
) -> ChapterRun:
    """Execute one chapter (unless cached) and write its executed notebook and results file.

    `parameters` are the ones to inject (see `chapter_parameters`); None computes the defaults.
    Raises ChapterFailed naming the chapter and the cell when a cell raises; the previous executed
    notebook and results file (if any) are then left as they were.
    """
    import nbformat
    import papermill as pm

    check_scale(scale)
    seed = check_seed(seed)
    nb_path = layout.book / f"{chapter}.ipynb"
    if not nb_path.is_file():
        raise ValueError(f"chapter: no notebook {nb_path}")
    if parameters is None:
        parameters = chapter_parameters(nb_path, scale, seed)
    parameters = dict(parameters)
    executed = layout.executed_book / f"{chapter}.ipynb"
    results_path = layout.results / f"{chapter}.json"
    key = chapter_key(nb_path, parameters, scale, seed)

    if not force:
        old, why = cached_result(executed, results_path, key)
        if old is not None:
            return ChapterRun(chapter, "cached", float(old["wall_s"]), results_path, old)
        if why:
            _say(f"selfrep run: warning: {why}; re-executing {chapter}")

    check_build_folder(layout)
    copy_support_files(layout)
    failed_copy = layout.failed / f"{chapter}.ipynb"
    # Unique names: two runs in one build folder never share a temporary notebook.
    fd, partial_name = tempfile.mkstemp(
        dir=layout.executed_book, prefix=f".{chapter}.", suffix=".partial.ipynb"
    )
    os.close(fd)
    partial = Path(partial_name)
    backend_log = partial.with_name(partial.name.removesuffix(".partial.ipynb") + ".backends.json")

    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        try:
            with kernel_environment(backend_log):
                pm.execute_notebook(
                    str(nb_path),
                    str(partial),
                    parameters=parameters or None,
                    cwd=str(layout.executed_book),
                    # this interpreter, whatever kernels are installed (selfrep.book.kernel)
                    kernel_name=KERNEL_NAME,
                    kernel_manager_class=kernel_manager_class(),
                    progress_bar=False,
                    log_output=False,
                    execution_timeout=timeout,
                )
        except BaseException as exc:
            wall = time.perf_counter() - t0
            nb_dict = None
            if partial.is_file() and partial.stat().st_size:
                os.replace(partial, failed_copy)
                try:
                    nb_dict = json.loads(failed_copy.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    nb_dict = None
            if isinstance(exc, KeyboardInterrupt):
                raise
            if isinstance(exc, pm.PapermillExecutionError):
                where = cell_label(nb_path, nb_dict)
                what = f"{exc.ename}: {exc.evalue}".strip()
            else:
                where = "execution"
                what = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
            more = f"; partly executed notebook: {failed_copy}" if failed_copy.is_file() else ""
            kept = "; the previous results are kept" if results_path.is_file() else ""
            raise ChapterFailed(
                chapter,
                f"{where} raised {what} after {wall:.1f} s{more}{kept}",
                failed_copy if failed_copy.is_file() else None,
            ) from exc
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)

        nb = nbformat.read(str(partial), as_version=4)
        try:
            values = glued_values(nb)
        except ValueError as exc:
            os.replace(partial, failed_copy)
            raise ChapterFailed(chapter, str(exc), failed_copy) from None
        backends = _read_backends(backend_log)
        result = {
            "chapter": chapter,
            "scale": scale,
            "seed": seed,
            "versions": versions(),
            "wall_s": round(wall, 3),
            "values": values,
            "cpu_s": round(cpu, 3),
            "environment": environment(),
            "parameters": parameters,
            "figures": figure_count(nb),
            "backends": backends,
            "cache_key": key,
            "outputs": {
                "notebook_sha256": _sha256(partial.read_bytes()),
                "values_sha256": values_digest(values),
            },
            "executed_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            # the source the chapter ran from: a cached chapter keeps it, the build's banner names it
            "commit": (source_commit(layout.root) or "").replace("`", "") or None,
        }
        # Swap in only now that the chapter succeeded. Should the process die between the two
        # replaces, the notebook's digest no longer matches the results file and the chapter is
        # re-executed: the pair is never taken for a consistent cache entry.
        fix_mode(partial)
        os.replace(partial, executed)
        write_json_atomic(results_path, result)
        failed_copy.unlink(missing_ok=True)
        return ChapterRun(chapter, "executed", wall, results_path, result)
    finally:
        partial.unlink(missing_ok=True)
        backend_log.unlink(missing_ok=True)


def _run_one(layout: Layout, stem: str, kwargs: dict[str, Any]) -> ChapterRun | tuple[str, str, str | None]:
    """Worker for parallel runs: a ChapterRun, or (chapter, message, failed notebook) on failure
    (exceptions with custom constructors do not cross process boundaries cleanly)."""
    try:
        return run_chapter(layout, stem, **kwargs)
    except ChapterFailed as exc:
        return (exc.chapter, str(exc), str(exc.failed_notebook) if exc.failed_notebook else None)


# Wall seconds of each chapter of this book at ci scale, alone on 2 cores (2026-12-08). Only an ordering
# hint for a build folder with no record yet (a fresh checkout, as in CI): it decides which chapters a
# pool of workers starts first, never a number of the book. The order is the same at paper scale.
FRESH_BUILD_WALL_S: dict[str, float] = {
    "06b_self_modification": 377.0,
    "06_architecture_search": 160.0,
    "02_self_training": 74.0,
    "05_soups": 73.0,
    "03_weight_space": 44.0,
    "04_mixed": 37.0,
    "01_self_application": 20.0,
}


def longest_first(layout: Layout, stems: list[str]) -> list[str]:
    """`stems` ordered for a pool of workers: the chapters whose last recorded run (any scale) took longest
    first, so that the long ones do not start last and leave one worker idle at the end (on 2 workers the
    paper-scale book ends ~2 min sooner). A chapter with no record in the build folder is ordered by
    FRESH_BUILD_WALL_S, and one that has neither goes first."""

    def last_wall(stem: str) -> float:
        path = layout.results / f"{stem}.json"
        try:
            return float(json.loads(path.read_text(encoding="utf-8"))["wall_s"])
        except (OSError, ValueError, KeyError, TypeError):
            return FRESH_BUILD_WALL_S.get(stem, math.inf)

    walls = {s: last_wall(s) for s in stems}
    return sorted(stems, key=lambda s: -walls[s])  # stable: equal times keep the book's order


def run_chapters(
    layout: Layout,
    chapters: Iterable[str] | None = None,
    *,
    scale: str = DEFAULT_SCALE,
    seed: int | None = None,
    extra: Mapping[str, Any] | None = None,
    explicit: Iterable[str] = (),
    force: bool = False,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    jobs: int = 1,
) -> list[ChapterRun]:
    """Run `chapters` (names as accepted by resolve_chapters; None = every notebook in book/).

    Parameters are validated for every chapter before any is executed. Stops at the first failure
    (ChapterFailed). `log` receives one line per chapter (default: through tqdm to stderr).
    `jobs` > 1 executes that many chapters at once in worker processes (chapters pin torch to one
    thread, so on 2 cores `jobs=2` halves the wall time); after a failure no further chapter starts,
    the running ones finish, and the first failure is raised.
    """
    from tqdm import tqdm

    check_scale(scale)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs: must be an int >= 1, got {jobs!r}")
    seed = check_seed(DEFAULT_SEED if seed is None else seed)
    if not layout.book.is_dir():
        raise ValueError(f"book: no folder {layout.book}")
    stems = chapter_stems(layout.book) if chapters is None else resolve_chapters(chapters, layout.book)
    # Everything that can be checked is checked before anything executes.
    params = {s: chapter_parameters(layout.book / f"{s}.ipynb", scale, seed, extra, explicit) for s in stems}
    check_toc_lists(layout, stems)
    check_build_folder(layout)
    copy_support_files(layout)
    # A bar only on a terminal: redrawn into a log file or a pipe it would repeat on every update.
    bar = tqdm(
        stems,
        unit="chapter",
        file=sys.stderr,
        disable=not progress or not stems or not sys.stderr.isatty(),
        dynamic_ncols=True,
    )
    say = log or (lambda line: tqdm.write(line, file=sys.stderr))
    compiled_why = _compiled_unavailable()
    if compiled_why and stems:
        say(
            f"selfrep run: note: the compiled backend cannot run here ({compiled_why}); chapters that "
            "ask for it run the eager path (40-100x slower), as their results record"
        )

    def report(run: ChapterRun) -> None:
        if run.status == "cached":
            say(f"  {run.chapter:<28} cached (ran in {run.wall_s:7.1f} s)")
        else:
            say(
                f"  {run.chapter:<28} {run.wall_s:7.1f} s wall, {run.result['cpu_s']:7.1f} s cpu, "
                f"{len(run.result['values'])} values, "
                f"backend {backend_summary(run.result.get('backends', []))}"
            )

    def kwargs(stem: str) -> dict[str, Any]:
        return {"scale": scale, "seed": seed, "parameters": params[stem], "force": force}

    runs: dict[str, ChapterRun] = {}
    if jobs == 1 or len(stems) <= 1:
        for stem in bar:
            bar.set_postfix_str(stem)
            runs[stem] = run_chapter(layout, stem, **kwargs(stem))
            report(runs[stem])
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        failure: ChapterFailed | None = None
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(stems)), mp_context=ctx) as pool:
            order = longest_first(layout, stems)
            futures = {pool.submit(_run_one, layout, stem, kwargs(stem)): stem for stem in order}
            for fut in as_completed(futures):
                got = fut.result()
                bar.update(1)
                if isinstance(got, ChapterRun):
                    runs[got.chapter] = got
                    report(got)
                elif failure is None:
                    chapter, message, nb = got
                    failure = ChapterFailed(chapter, message.split(": ", 1)[-1], Path(nb) if nb else None)
                    for other in futures:
                        other.cancel()  # chapters not yet started do not start
        if failure is not None:
            bar.close()
            raise failure
    bar.close()
    return [runs[s] for s in stems]
