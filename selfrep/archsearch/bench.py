"""DigitsMLP-Bench: a tabular benchmark of every architecture in the DigitsMLP search space.

Every functionally distinct config of `SearchSpace()` (1,680 of the 2,040) is trained with
`BenchTrainConfig()` for each of `SEEDS`; one CSV row per (architecture, seed). Configs that differ only by
a skip flag that applies nowhere share their canonical config's rows (training them gives bit-identical
results; see `space.py`).

Reading it (what other experiments use):

    bench = Bench.load()                        # the shipped table, loaded once per process
    e = bench.lookup(ArchConfig((64, 64), "relu", True))
    e.val_acc, e.test_acc                       # mean over seeds
    e.val_acc_seeds, e.test_acc_seeds           # per seed
    e.n_params, e.train_s                       # parameter count, mean CPU seconds of one training run
    bench.frame()                               # one row per config of the space (pandas)

Searches work on integer ids: `bench.configs[i]`, `bench.index(cfg)`, and the arrays `bench.val` (n, S),
`bench.test` (n, S), `bench.val_at[e]` (n, S), `bench.cpu_s` (n, S), `bench.n_params` (n,).

Building it: `selfrep archsearch build-bench` (`build_bench` below). It is resumable (finished rows are
appended to `<out>.partial` as they arrive; a rerun skips them), deterministic (each row is a pure function of
(config, seed) trained single-threaded, so the table does not depend on the number of workers), runs at most
2 worker processes, and writes the final CSV atomically. `verify_slice` retrains a few rows and compares.
"""

from __future__ import annotations

import concurrent.futures as cf
import io
import json
import math
import multiprocessing as mp
import os
import platform
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from selfrep.archsearch.space import (
    RECORD_EPOCHS,
    ArchConfig,
    BenchTrainConfig,
    SearchSpace,
    TrainResult,
    train_mlp,
)

BENCH_PATH = Path(__file__).resolve().parent / "data" / "digits_mlp_bench.csv"
SEEDS: tuple[int, ...] = (0, 1, 2)
MAX_WORKERS = 2
FORMAT = "selfrep DigitsMLP-Bench v1"
COLUMNS: tuple[str, ...] = (
    "arch",
    "seed",
    "val_acc",
    "test_acc",
    *(f"val_acc_e{e}" for e in RECORD_EPOCHS),
    "val_loss",
    "cpu_s",
)


@dataclass(frozen=True)
class BenchEntry:
    """The table's answer for one config (as asked; `canonical` is the row it was read from)."""

    config: ArchConfig
    canonical: ArchConfig
    val_acc: float
    test_acc: float
    val_acc_seeds: tuple[float, ...]
    test_acc_seeds: tuple[float, ...]
    val_acc_at: dict[int, float]
    n_params: int
    train_s: float


def _row(r: TrainResult) -> dict:
    row = {"arch": r.config.key, "seed": r.seed, "val_acc": r.val_acc, "test_acc": r.test_acc}
    for e in RECORD_EPOCHS:
        row[f"val_acc_e{e}"] = r.val_acc_at.get(e, float("nan"))
    row["val_loss"] = r.val_loss
    row["cpu_s"] = r.cpu_s
    return row


def _format_row(row: dict) -> str:
    vals = [row["arch"], str(int(row["seed"]))]
    for c in COLUMNS[2:-1]:
        vals.append(f"{row[c]:.6f}")
    vals.append(f"{row['cpu_s']:.4f}")
    return ",".join(vals)


class Bench:
    """A loaded DigitsMLP-Bench table over a search space (see the module docstring)."""

    def __init__(self, rows: pd.DataFrame, space: SearchSpace | None = None, meta: dict | None = None):
        missing = [c for c in COLUMNS if c not in rows.columns]
        if missing:
            raise ValueError(f"rows: missing columns {missing}")
        self.space = space or SearchSpace()
        self.meta = dict(meta or {})
        self.rows = rows.reset_index(drop=True)
        self.configs: list[ArchConfig] = self.space.configs()
        self._index = {c: i for i, c in enumerate(self.configs)}
        self.seeds: tuple[int, ...] = tuple(sorted(int(s) for s in rows["seed"].unique()))
        n = len(self.configs)
        self.canonical_index = np.array([self._index[c.canonical()] for c in self.configs], dtype=np.int64)
        keys = [self.configs[k].key for k in self.canonical_index]
        missing_keys = sorted(set(keys) - set(rows["arch"]))
        if missing_keys:
            raise ValueError(
                f"rows: {len(missing_keys)} configs of the space have no rows (e.g. {missing_keys[0]})"
            )
        if rows.duplicated(["arch", "seed"]).any():
            raise ValueError("rows: duplicate (arch, seed) rows")

        def table(col: str) -> np.ndarray:  # (n, S): one row per config of the space, via its canonical key
            wide = rows.pivot(index="arch", columns="seed", values=col).reindex(columns=list(self.seeds))
            return wide.reindex(keys).to_numpy(dtype=float)

        self.val = table("val_acc")
        self.test = table("test_acc")
        self.val_loss = table("val_loss")
        self.cpu_s = table("cpu_s")
        self.val_at = {e: table(f"val_acc_e{e}") for e in RECORD_EPOCHS}
        if np.isnan(self.val).any():
            raise ValueError("rows: some (config, seed) pairs are missing")
        self.n_params = np.array([c.n_params() for c in self.configs], dtype=np.int64)
        self.val_mean = self.val.mean(1)
        self.test_mean = self.test.mean(1)
        self.is_canonical = self.canonical_index == np.arange(n)

    # --- loading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> Bench:
        """Load a bench CSV (default: the shipped table, cached per process)."""
        if path is None:
            return _load_default()
        return cls._read(Path(path))

    @classmethod
    def _read(cls, path: Path) -> Bench:
        if not path.exists():
            raise FileNotFoundError(
                f"path: no bench table at {path} (build it: selfrep archsearch build-bench)"
            )
        meta, rows = read_csv(path)
        space = SearchSpace(**meta["space"]) if "space" in meta else None
        return cls(rows, space=space, meta=meta)

    # --- look-ups ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.configs)

    def index(self, cfg: ArchConfig) -> int:
        """The integer id of `cfg` in `configs` (ValueError if it is not in the space)."""
        try:
            return self._index[cfg]
        except KeyError:
            raise ValueError(f"cfg: {cfg.key} is not in the bench's search space") from None

    def lookup(self, cfg: ArchConfig) -> BenchEntry:
        i = self.index(cfg)
        return BenchEntry(
            config=cfg,
            canonical=self.configs[self.canonical_index[i]],
            val_acc=float(self.val_mean[i]),
            test_acc=float(self.test_mean[i]),
            val_acc_seeds=tuple(float(v) for v in self.val[i]),
            test_acc_seeds=tuple(float(v) for v in self.test[i]),
            val_acc_at={e: float(self.val_at[e][i].mean()) for e in RECORD_EPOCHS},
            n_params=int(self.n_params[i]),
            train_s=float(self.cpu_s[i].mean()),
        )

    def frame(self) -> pd.DataFrame:
        """One row per config of the space (duplicates included, flagged by `canonical`)."""
        df = pd.DataFrame(
            {
                "arch": [c.key for c in self.configs],
                "depth": [c.depth for c in self.configs],
                "activation": [c.activation for c in self.configs],
                "skip": [c.skip for c in self.configs],
                "n_skips": [c.n_skips for c in self.configs],
                "canonical": self.is_canonical,
                "n_params": self.n_params,
                "val_acc": self.val_mean,
                "test_acc": self.test_mean,
                "val_sd": self.val.std(1, ddof=1) if self.val.shape[1] > 1 else np.nan,
                "train_s": self.cpu_s.mean(1),
            }
        )
        for e in RECORD_EPOCHS:
            df[f"val_acc_e{e}"] = self.val_at[e].mean(1)
        for j, s in enumerate(self.seeds):
            df[f"val_s{s}"] = self.val[:, j]
            df[f"test_s{s}"] = self.test[:, j]
        return df


@lru_cache(maxsize=1)
def _load_default() -> Bench:
    return Bench._read(BENCH_PATH)


# --- CSV format ------------------------------------------------------------------------------------
def _header(meta: dict) -> str:
    return f"# {FORMAT}\n# meta: {json.dumps(meta, sort_keys=True)}\n"


def read_csv(path: str | os.PathLike) -> tuple[dict, pd.DataFrame]:
    """(metadata dict, rows) of a bench CSV: '#'-prefixed header lines, then a plain CSV."""
    meta: dict = {}
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines(keepends=True)
    body_start = 0
    for i, line in enumerate(lines):
        if not line.startswith("#"):
            body_start = i
            break
        if line.startswith("# meta: "):
            meta = json.loads(line[len("# meta: ") :])
    else:
        body_start = len(lines)
    body = "".join(lines[body_start:])
    rows = pd.read_csv(io.StringIO(body)) if body.strip() else pd.DataFrame(columns=list(COLUMNS))
    return meta, rows


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# --- building ------------------------------------------------------------------------------------
def _worker_init() -> None:
    """Single-threaded torch, and one throw-away training step so that one-off start-up costs (lazy
    imports, allocator warm-up) are not charged to the first row's CPU seconds."""
    import torch

    torch.set_num_threads(1)
    train_mlp(ArchConfig((16,), "relu"), 0, BenchTrainConfig(epochs=1, record_epochs=()))


def _train_task(task: tuple[str, int, dict]) -> dict:
    key, seed, train = task
    return _row(train_mlp(ArchConfig.from_key(key), seed, BenchTrainConfig(**train)))


def _tasks(space: SearchSpace, seeds: Sequence[int]) -> list[tuple[str, int]]:
    return [(c.key, int(s)) for c in space.unique_configs() for s in seeds]


def build_meta(space: SearchSpace, seeds: Sequence[int], train: BenchTrainConfig) -> dict:
    """What a table is a function of (a partial build resumes only into the same meta)."""
    sp = asdict(space)
    sp = {k: list(v) for k, v in sp.items()}
    tr = asdict(train)
    tr["record_epochs"] = list(tr["record_epochs"])
    return {"space": sp, "seeds": [int(s) for s in seeds], "train": tr}


def build_bench(
    out: str | os.PathLike = BENCH_PATH,
    space: SearchSpace | None = None,
    seeds: Sequence[int] = SEEDS,
    train: BenchTrainConfig | None = None,
    workers: int = 1,
    limit: int | None = None,
    progress: bool = True,
    restart: bool = False,
) -> Path | None:
    """Train every (canonical config, seed) of `space` and write the table to `out` atomically.

    Resumable: rows are appended to `<out>.partial` as they finish; a rerun with the same space/seeds/train
    skips them (a different setup raises unless `restart=True`). `limit` stops after that many new rows
    (the partial file is kept, nothing final is written). Returns the path written, or None when stopped
    early.
    """
    space = space or SearchSpace()
    train = train or BenchTrainConfig()
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers: must be 1..{MAX_WORKERS}, got {workers}")
    if not seeds:
        raise ValueError("seeds: need at least one seed")
    if limit is not None and limit < 0:
        raise ValueError(f"limit: must be >= 0, got {limit}")
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    meta = build_meta(space, seeds, train)
    meta_line = json.dumps(meta, sort_keys=True)

    done: dict[tuple[str, int], dict] = {}
    elapsed_before = 0.0
    if partial.exists() and not restart:
        with open(partial, encoding="utf-8") as f:
            lines = f.read().splitlines()
        if not lines or not lines[0].startswith("# meta: ") or lines[0][len("# meta: ") :] != meta_line:
            raise ValueError(
                f"out: {partial} was started with a different space/seeds/training; "
                "delete it or pass --restart"
            )
        for line in lines[1:]:
            if line.startswith("# wall_s: "):
                elapsed_before += float(line.split(": ")[1])
                continue
            parts = line.split(",")
            if len(parts) != len(COLUMNS) or line.startswith(COLUMNS[0]):
                continue  # header or a torn last line from an interrupted run
            try:
                row = dict(zip(COLUMNS, parts, strict=True))
                row["seed"] = int(row["seed"])
                for c in COLUMNS[2:]:
                    row[c] = float(row[c])
            except ValueError:
                continue
            done[(row["arch"], row["seed"])] = row
    else:
        _atomic_write(partial, f"# meta: {meta_line}\n{','.join(COLUMNS)}\n")

    all_tasks = _tasks(space, seeds)
    todo = [t for t in all_tasks if t not in done]
    if limit is not None:
        todo = todo[:limit]
    t0 = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(all_tasks), initial=len(done), desc="DigitsMLP-Bench", unit="run")
    train_kw = asdict(train)
    try:
        with open(partial, "a", encoding="utf-8") as f:

            def keep(row: dict) -> None:
                done[(row["arch"], int(row["seed"]))] = row
                f.write(_format_row(row) + "\n")
                f.flush()
                if bar is not None:
                    bar.update(1)

            if workers == 1:
                _worker_init()
                for key, seed in todo:
                    keep(_train_task((key, seed, train_kw)))
            else:
                ctx = mp.get_context("spawn")
                with cf.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init) as ex:
                    futures = [ex.submit(_train_task, (k, s, train_kw)) for k, s in todo]
                    try:
                        for fut in cf.as_completed(futures):
                            keep(fut.result())
                    except BaseException:
                        for fut in futures:
                            fut.cancel()
                        raise
            f.write(f"# wall_s: {time.perf_counter() - t0:.3f}\n")
    finally:
        if bar is not None:
            bar.close()
    if len(done) < len(all_tasks):
        return None
    rows = pd.DataFrame([done[t] for t in all_tasks], columns=list(COLUMNS))
    rows[list(COLUMNS[2:])] = rows[list(COLUMNS[2:])].astype(float)
    wall = elapsed_before + (time.perf_counter() - t0)
    final_meta = dict(meta)
    final_meta["build"] = {
        "wall_s": round(wall, 1),
        "cpu_s": round(float(rows["cpu_s"].sum()), 1),
        "n_rows": len(rows),
        "workers": workers,
        "python": platform.python_version(),
        "torch": _version("torch"),
        "numpy": _version("numpy"),
        "machine": platform.machine(),
    }
    text = _header(final_meta) + ",".join(COLUMNS) + "\n"
    text += "".join(_format_row(r) + "\n" for r in rows.to_dict("records"))
    _atomic_write(out, text)
    partial.unlink(missing_ok=True)
    if Path(out).resolve() == BENCH_PATH:
        _load_default.cache_clear()
    return out


def _version(pkg: str) -> str:
    from importlib.metadata import version

    return version(pkg)


# --- verifying a slice -----------------------------------------------------------------------------
def slice_configs(bench: Bench, n: int) -> list[ArchConfig]:
    """`n` canonical configs spread evenly over the table's order (every k-th), deterministic."""
    uniq = [c for c, ok in zip(bench.configs, bench.is_canonical, strict=True) if ok]
    if not 1 <= n <= len(uniq):
        raise ValueError(f"n: must be 1..{len(uniq)}, got {n}")
    step = len(uniq) / n
    return [uniq[int(math.floor(i * step + step / 2))] for i in range(n)]


def verify_slice(
    bench: Bench,
    n: int = 24,
    seeds: Iterable[int] | None = None,
    train: BenchTrainConfig | None = None,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> pd.DataFrame:
    """Retrain `n` configs of the table (`slice_configs`) for `seeds` and compare with the stored rows.

    Returns one row per (arch, seed): stored and retrained val/test accuracy, their absolute differences,
    and the CPU seconds of the retraining.
    """
    if train is None:
        train = BenchTrainConfig(**bench.meta["train"]) if "train" in bench.meta else BenchTrainConfig()
    seeds = tuple(bench.seeds if seeds is None else seeds)
    bad = [s for s in seeds if s not in bench.seeds]
    if bad:
        raise ValueError(f"seeds: {bad} not in the table's seeds {bench.seeds}")
    items = [(c, s) for c in slice_configs(bench, n) for s in seeds]
    it = progress(items) if progress else items
    out = []
    for c, s in it:
        r = train_mlp(c, s, train)
        i, j = bench.index(c), bench.seeds.index(s)
        out.append(
            {
                "arch": c.key,
                "seed": s,
                "val_stored": bench.val[i, j],
                "val_rebuilt": r.val_acc,
                "test_stored": bench.test[i, j],
                "test_rebuilt": r.test_acc,
                "cpu_s": r.cpu_s,
            }
        )
    df = pd.DataFrame(out)
    df["val_absdiff"] = (df["val_stored"] - df["val_rebuilt"]).abs()
    df["test_absdiff"] = (df["test_stored"] - df["test_rebuilt"]).abs()
    return df


def synthetic_bench(space: SearchSpace | None = None, seeds: Sequence[int] = (0, 1), seed: int = 0) -> Bench:
    """A made-up table over `space` (no training; milliseconds), for testing strategies and predictors.

    Accuracy = an activation-dependent base + 0.01 * mean log2 width - 0.01 * depth + a per-config offset
    (sd 0.01) + a per-(config, seed) noise (sd 0.005), clipped to [0, 1]; CPU seconds = 0.1 * depth.
    Canonical configs only, like the real table.
    """
    space = space or SearchSpace()
    rng = np.random.default_rng(seed)
    base = {"relu": 0.90, "tanh": 0.91, "sigmoid": 0.5}
    rows = []
    for c in space.unique_configs():
        mu = (
            base.get(c.activation, 0.8)
            + 0.01 * float(np.mean(np.log2(c.widths)))
            - 0.01 * c.depth
            - 0.05
            + 0.01 * rng.standard_normal()
        )
        for s in seeds:
            v = float(np.clip(mu + 0.005 * rng.standard_normal(), 0, 1))
            t = float(np.clip(mu + 0.005 * rng.standard_normal(), 0, 1))
            row = {"arch": c.key, "seed": int(s), "val_acc": v, "test_acc": t}
            for k, e in enumerate(RECORD_EPOCHS):
                row[f"val_acc_e{e}"] = v * (0.5 + 0.15 * k)
            row["val_loss"] = 1.0 - v
            row["cpu_s"] = 0.1 * c.depth
            rows.append(row)
    return Bench(pd.DataFrame(rows, columns=list(COLUMNS)), space=space, meta={"synthetic": True})
