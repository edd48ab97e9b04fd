"""Seed sweeps on Dask: every chapter executed for many seeds, and each claim's verdict counted over them.

    selfrep sweep [CHAPTER ...] --seeds 0-19 --scale {ci,paper} [--scheduler ADDRESS] [--workers N]

Each (chapter, seed) is one task: `selfrep.book.run.run_chapter`, the runner of `selfrep run`, executing the
chapter in a fresh Jupyter kernel into the task's own build folder

    _build/sweeps/<scale>/seed-<N>/{executed,results,failed}/      (a Layout of its own)

and returning its results. Tasks run on Dask distributed: a LocalCluster of `--workers` single-threaded
worker processes on this machine (default: the number of cores), or the cluster whose scheduler is at
`--scheduler tcp://host:8786`; its workers must see this checkout at the same path (a shared file system)
and run the same selfrep sources (checked: a task on a worker whose selfrep differs fails, naming it).

* Cache and resume: a task is not submitted when its folder already holds results under the task's cache
  key (the key `selfrep run` uses: notebook, selfrep sources, parameters, scale, seed, versions), nor when
  the main build (`_build/`) does: `selfrep run`'s own results for that chapter and seed are then copied
  into the task's folder ("reused"; with the default seed 0 the ci build of `.ci/run` is reused this way).
  Rerunning an interrupted or failed sweep executes only what is missing.
* Failures: a failing task is reported by chapter and seed with its partly executed notebook
  (`_build/sweeps/<scale>/seed-<N>/failed/<chapter>.ipynb`); the other tasks go on and keep their
  results; the stability file is then left as it was and the command exits 1.
* Independence: a task's numbers depend only on (chapter, seed): the chapter derives every generator from
  its seed and a stream name, each task runs in a fresh kernel, and the kernel gets the thread settings
  (OMP_NUM_THREADS, ...) of the shell that started the sweep, not the worker's.
* Output: when every task succeeded, `_build/sweeps/<scale>.json` (schema: selfrep.book.stability), written
  atomically.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selfrep.book.cache import cached_result, chapter_key, source_digest
from selfrep.book.layout import Layout, chapter_stems, check_build_folder, check_toc_lists, resolve_chapters
from selfrep.book.parameters import chapter_parameters
from selfrep.book.results import THREAD_ENV_VARS
from selfrep.book.run import DEFAULT_SCALE, ChapterFailed, run_chapter
from selfrep.book.stability import FORMAT, summarize, sweep_path
from selfrep.chapters import check_scale
from selfrep.files import fix_mode, write_json_atomic

_SEEDS = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_seeds(text: str) -> list[int]:
    """'0-19' -> [0, ..., 19]; '0,3,5-7' -> [0, 3, 5, 6, 7]; a ValueError naming --seeds otherwise."""
    seeds: list[int] = []
    for part in str(text).split(","):
        m = _SEEDS.match(part.strip())
        if not m:
            raise ValueError(f"seeds: expected seeds such as 0-19 or 0,3,5-7, got {text!r}")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        if hi < lo:
            raise ValueError(f"seeds: range {part.strip()!r} runs backwards")
        seeds.extend(s for s in range(lo, hi + 1) if s not in seeds)
    return seeds


def task_layout(layout: Layout, scale: str, seed: int) -> Layout:
    """The build folder of the tasks of one seed: `<build>/sweeps/<scale>/seed-<seed>`."""
    return Layout(layout.root, layout.build / "sweeps" / scale / f"seed-{seed}")


@dataclass
class TaskOutcome:
    chapter: str
    seed: int
    status: str  # executed | cached | reused | failed
    wall_s: float = 0.0
    result: dict[str, Any] = field(default_factory=dict, repr=False)
    message: str = ""
    failed_notebook: str | None = None


def _copy_atomic(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(src, tmp)
        fix_mode(tmp)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def reuse_main_build(main: Layout, task: Layout, chapter: str, key: str) -> dict[str, Any] | None:
    """Copy the main build's executed notebook and results of `chapter` into the task's folder when they
    are intact and carry `key` (the same runner, chapter, parameters, scale, seed and sources); else None.
    The notebook is copied first: should the copy stop between the two, the task's pair does not match
    and the task is executed."""
    executed = main.executed_book / f"{chapter}.ipynb"
    results = main.results / f"{chapter}.json"
    old, _ = cached_result(executed, results, key)
    if old is None:
        return None
    _copy_atomic(executed, task.executed_book / f"{chapter}.ipynb")
    _copy_atomic(results, task.results / f"{chapter}.json")
    return old


def execute_task(
    root: str,
    build: str,
    chapter: str,
    scale: str,
    seed: int,
    parameters: dict[str, Any],
    digest: str,
    kernel_env: dict[str, str | None],
) -> TaskOutcome:
    """One (chapter, seed) on a Dask worker: `run_chapter` into `build`, in a fresh kernel.

    `digest` is the source digest of the selfrep that planned the sweep: a worker with other sources
    would compute other numbers under another cache key, so the task fails instead. `kernel_env` holds the
    planning shell's values (None: unset) of the variables Dask sets in its workers (OMP_NUM_THREADS=1 and
    friends, PYTHONHASHSEED; see `kernel_env_vars`), given to the kernel in place of the worker's."""
    import selfrep

    here = source_digest()
    if here != digest:
        return TaskOutcome(
            chapter,
            seed,
            "failed",
            message=f"the worker's selfrep ({Path(selfrep.__file__).parent}) differs from the sweep's "
            "(another checkout or version); start the workers from the same checkout",
        )
    old = {v: os.environ.get(v) for v in kernel_env}
    for var, value in kernel_env.items():
        if value is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = value
    try:
        layout = Layout(Path(root), Path(build))
        run = run_chapter(layout, chapter, scale=scale, seed=seed, parameters=parameters)
        return TaskOutcome(chapter, seed, run.status, run.wall_s, run.result)
    except ChapterFailed as exc:
        nb = str(exc.failed_notebook) if exc.failed_notebook else None
        return TaskOutcome(chapter, seed, "failed", message=str(exc), failed_notebook=nb)
    finally:
        for var, value in old.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def kernel_env_vars() -> list[str]:
    """The variables a Dask worker's environment may hold that `selfrep run`'s kernel would not: the
    thread settings recorded with every result, and what `distributed.nanny.pre-spawn-environ` sets."""
    import dask.config
    import distributed  # noqa: F401  (loads distributed's defaults into dask.config)

    spawn = dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {}
    return sorted({*THREAD_ENV_VARS, *spawn, "PYTHONHASHSEED"})


@dataclass
class Sweep:
    scale: str
    seeds: list[int]
    chapters: list[str]
    outcomes: list[TaskOutcome]
    wall_s: float
    workers: str
    path: Path | None  # the stability file written (None when a task failed)

    @property
    def failed(self) -> list[TaskOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def _cluster(scheduler: str | None, workers: int):
    """(client, cluster or None, description). The caller closes both."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler, timeout="30s")
        return client, None, f"the Dask cluster at {scheduler}"
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,  # one chapter per worker process at a time: os.environ is the task's
        processes=True,
        dashboard_address=None,
        worker_dashboard_address=None,
        memory_limit=0,  # the chapters run in kernel processes of their own, outside the worker's memory
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster, f"a LocalCluster of {workers} worker process(es)"


def check_workers(workers: Any) -> int:
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers: must be an int >= 1, got {workers!r}")
    return workers


def check_scheduler(address: str | None) -> str | None:
    if address is not None and not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", address):
        raise ValueError(f"scheduler: expected an address such as tcp://host:8786, got {address!r}")
    return address


def run_sweep(
    layout: Layout,
    chapters: Iterable[str] | None,
    seeds: list[int],
    *,
    scale: str = DEFAULT_SCALE,
    scheduler: str | None = None,
    workers: int | None = None,
    reuse: bool = True,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> Sweep:
    """Execute every (chapter, seed) not yet cached on Dask and write the stability file (see the module
    docstring). Everything that can be checked is checked before a cluster starts."""
    from tqdm import tqdm

    scale = check_scale(scale)
    scheduler = check_scheduler(scheduler)
    workers = check_workers((os.cpu_count() or 1) if workers is None else workers)
    if not seeds:
        raise ValueError("seeds: no seed given")
    for s in seeds:
        if not isinstance(s, int) or isinstance(s, bool) or s < 0:
            raise ValueError(f"seeds: every seed must be an int >= 0, got {s!r}")
    if not layout.book.is_dir():
        raise ValueError(f"book: no folder {layout.book}")
    stems = chapter_stems(layout.book) if chapters is None else resolve_chapters(chapters, layout.book)
    if not stems:
        raise ValueError(f"chapter: no chapter to sweep in {layout.book}")
    check_toc_lists(layout, stems)
    t0 = time.perf_counter()
    say = log or (lambda line: tqdm.write(line, file=sys.stderr))

    # Plan: the cached and reusable tasks are done here; the rest go to the cluster, longest first.
    outcomes: list[TaskOutcome] = []
    todo: list[tuple[str, int, dict[str, Any]]] = []
    for seed in seeds:
        task = task_layout(layout, scale, seed)
        check_build_folder(task)
        for stem in stems:
            params = chapter_parameters(layout.book / f"{stem}.ipynb", scale, seed)
            key = chapter_key(layout.book / f"{stem}.ipynb", params, scale, seed)
            old, _ = cached_result(task.executed_book / f"{stem}.ipynb", task.results / f"{stem}.json", key)
            if old is not None:
                outcomes.append(TaskOutcome(stem, seed, "cached", float(old["wall_s"]), old))
            elif reuse and (old := reuse_main_build(layout, task, stem, key)) is not None:
                outcomes.append(TaskOutcome(stem, seed, "reused", float(old["wall_s"]), old))
            else:
                todo.append((stem, seed, params))

    def expected_cost(item: tuple[str, int, dict[str, Any]]) -> float:
        for o in outcomes:
            if o.chapter == item[0]:
                return o.wall_s
        return 0.0

    todo.sort(key=expected_cost, reverse=True)
    bar = tqdm(
        total=len(stems) * len(seeds),
        initial=len(outcomes),
        unit="task",
        file=sys.stderr,
        disable=not progress or not sys.stderr.isatty(),
        dynamic_ncols=True,
    )
    for o in outcomes:
        say(f"  {o.chapter:<26} seed {o.seed:<4} {o.status} (ran in {o.wall_s:7.1f} s)")
    where = "nothing to execute"
    try:
        if todo:
            digest = source_digest()
            kernel_env = {v: os.environ.get(v) for v in kernel_env_vars()}
            saved_env = dict(os.environ)  # a LocalCluster's nannies set OMP_NUM_THREADS=1 & co. in here
            client, cluster, where = _cluster(scheduler, min(workers, len(todo)))
            try:
                from distributed import as_completed

                say(f"selfrep sweep: {len(todo)} task(s) on {where}")
                futures = {
                    client.submit(
                        execute_task,
                        str(layout.root),
                        str(task_layout(layout, scale, seed).build),
                        stem,
                        scale,
                        seed,
                        params,
                        digest,
                        kernel_env,
                        key=f"selfrep-sweep-{scale}-{stem}-seed{seed}-{os.getpid()}-{time.time_ns()}",
                        pure=False,
                    ): (stem, seed)
                    for stem, seed, params in todo
                }
                for fut in as_completed(futures):
                    stem, seed = futures[fut]
                    try:
                        got = fut.result()
                    except Exception as exc:  # the worker died, or the task could not be sent
                        got = TaskOutcome(stem, seed, "failed", message=f"{type(exc).__name__}: {exc}")
                    outcomes.append(got)
                    bar.update(1)
                    if got.status == "failed":
                        nb = got.failed_notebook
                        kept = f"; partly executed notebook: {nb}" if nb else ""
                        say(f"  FAILED {stem} seed {seed}: {got.message}{kept}")
                    else:
                        say(f"  {stem:<26} seed {seed:<4} {got.wall_s:7.1f} s ({got.status})")
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
                for var in set(os.environ) - set(saved_env):
                    del os.environ[var]
                os.environ.update(saved_env)
    finally:
        bar.close()
    wall = time.perf_counter() - t0

    order = {(s, c): i for i, (s, c) in enumerate((s, c) for s in seeds for c in stems)}
    outcomes.sort(key=lambda o: order[(o.seed, o.chapter)])
    sweep = Sweep(scale, list(seeds), stems, outcomes, wall, where, None)
    if sweep.failed:
        return sweep
    by_seed: dict[int, dict[str, Mapping[str, Any]]] = {s: {} for s in seeds}
    for o in outcomes:
        by_seed[o.seed][o.chapter] = o.result
    tasks: dict[str, dict[str, Any]] = {}
    for o in outcomes:
        tasks.setdefault(o.chapter, {})[str(o.seed)] = {
            "status": o.status,
            "wall_s": o.wall_s,
            "cache_key": o.result.get("cache_key"),
        }
    data = {
        "format": FORMAT,
        "scale": scale,
        "seeds": list(seeds),
        "chapters": stems,
        "created_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "wall_s": round(wall, 3),
        "workers": where,
        "tasks": tasks,
        "claims": summarize(by_seed, scale),
    }
    sweep.path = sweep_path(layout.build / "sweeps", scale)
    write_json_atomic(sweep.path, data)
    return sweep


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def _cmd_sweep(args) -> int:
    layout = Layout.at(args.root, args.build_dir)
    sweep = run_sweep(
        layout,
        args.chapters or None,
        parse_seeds(args.seeds),
        scale=args.scale,
        scheduler=args.scheduler,
        workers=args.workers,
        reuse=not args.no_reuse,
    )
    counts: dict[str, int] = {}
    for o in sweep.outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    print(
        f"selfrep sweep: {len(sweep.chapters)} chapter(s) x {len(sweep.seeds)} seed(s) at scale "
        f"{sweep.scale} ({summary}) in {sweep.wall_s:.1f} s on {sweep.workers}",
        file=sys.stderr,
    )
    if sweep.failed:
        for o in sweep.failed:
            print(f"selfrep sweep: error: {o.chapter} seed {o.seed} failed: {o.message}", file=sys.stderr)
        print(
            f"selfrep sweep: {len(sweep.failed)} task(s) failed; the others' results are kept under "
            f"{layout.build / 'sweeps' / sweep.scale} and are not executed again when the same sweep is "
            f"rerun; {sweep_path(layout.build / 'sweeps', sweep.scale)} is left as it was",
            file=sys.stderr,
        )
        return 1
    print(f"selfrep sweep: stability in {sweep.path} (selfrep claims --stability)", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="execute chapters for many seeds on Dask and count each claim's verdicts over the seeds",
        description="Each (chapter, seed) is one task executed by the runner of `selfrep run` into "
        "_build/sweeps/<scale>/seed-<N>/; the verdicts over the seeds go to _build/sweeps/<scale>.json. "
        "Cached tasks are not executed again.",
    )
    p.add_argument("chapters", nargs="*", metavar="CHAPTER", help="stems or prefixes (none = all)")
    p.add_argument("--seeds", required=True, help="seeds, e.g. 0-19 or 0,3,5-7")
    p.add_argument("--scale", default=DEFAULT_SCALE, help=f"ci or paper (default {DEFAULT_SCALE})")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="an existing Dask scheduler (tcp://host:8786); default: a LocalCluster on this machine",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes of the LocalCluster (default: the number of cores)",
    )
    p.add_argument(
        "--no-reuse",
        action="store_true",
        help="do not copy the main build's results for a (chapter, seed) it already executed",
    )
    p.add_argument("--root", default=".", help="folder holding _config.yml, _toc.yml and book/")
    p.add_argument("--build-dir", default=None, help="build folder (default ROOT/_build)")
    p.set_defaults(func=_cmd_sweep)
