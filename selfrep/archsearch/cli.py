"""`selfrep archsearch ...`: build and verify DigitsMLP-Bench.

    selfrep archsearch build-bench [--out PATH] [--workers 1|2] [--seeds 0 1 2] [--limit N] [--restart]
    selfrep archsearch verify-bench [--table PATH] [--n 24] [--seeds 0] [--tol 1e-6]

Run long builds niced (`nice -n 10 selfrep archsearch build-bench --workers 2`); an interrupted build resumes
from `<out>.partial` when rerun with the same options.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from selfrep.archsearch.bench import (
    BENCH_PATH,
    MAX_WORKERS,
    SEEDS,
    Bench,
    build_bench,
    verify_slice,
)
from selfrep.archsearch.space import DEPTHS, SPACE_ACTIVATIONS, WIDTHS, BenchTrainConfig, SearchSpace


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("archsearch", help="architecture search: build/verify DigitsMLP-Bench")
    sub = p.add_subparsers(dest="archsearch_command", metavar="ACTION", required=True)

    b = sub.add_parser("build-bench", help="train every architecture of the space; write the CSV table")
    b.add_argument("--out", default=str(BENCH_PATH), help="output CSV (default: the shipped package table)")
    b.add_argument("--workers", type=int, default=1, help=f"worker processes, 1..{MAX_WORKERS} (default 1)")
    b.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS), help="training seeds (default 0 1 2)")
    b.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS), help="per-layer widths")
    b.add_argument("--depths", type=int, nargs="+", default=list(DEPTHS), help="depths (hidden layers)")
    b.add_argument("--activations", nargs="+", default=list(SPACE_ACTIVATIONS), help="activations")
    b.add_argument("--epochs", type=int, default=BenchTrainConfig().epochs, help="training epochs")
    b.add_argument("--limit", type=int, default=None, help="stop after N new runs (resume later)")
    b.add_argument("--restart", action="store_true", help="discard a partial build with other settings")
    b.add_argument("--force", action="store_true", help="rebuild even if --out already exists")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.set_defaults(func=_build)

    v = sub.add_parser("verify-bench", help="retrain a slice of the table and compare with the stored rows")
    v.add_argument("--table", default=None, help="bench CSV (default: the shipped table)")
    v.add_argument("--n", type=int, default=24, help="number of architectures (default 24)")
    v.add_argument("--seeds", type=int, nargs="+", default=None, help="seeds (default: all of the table)")
    v.add_argument("--tol", type=float, default=1e-6, help="max |stored - retrained| accuracy")
    v.set_defaults(func=_verify)


def _build(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not args.force and not out.with_name(out.name + ".partial").exists():
        raise ValueError(f"out: {out} exists (pass --force to rebuild it, or --out elsewhere)")
    space = SearchSpace(
        depths=tuple(args.depths), widths=tuple(args.widths), activations=tuple(args.activations)
    )
    t0 = time.perf_counter()
    out = build_bench(
        out=args.out,
        space=space,
        seeds=tuple(args.seeds),
        train=BenchTrainConfig(epochs=args.epochs),
        workers=args.workers,
        limit=args.limit,
        progress=not args.no_progress,
        restart=args.restart,
    )
    if out is None:
        print(f"stopped after --limit {args.limit}; rerun to resume ({args.out}.partial)")
        return 0
    bench = Bench.load(out)
    b = bench.meta.get("build", {})
    print(
        f"wrote {out}: {len(bench.rows)} rows, {len(bench)} configs ({int(bench.is_canonical.sum())} "
        f"distinct), {len(bench.seeds)} seeds; this run {time.perf_counter() - t0:.0f} s wall, "
        f"build total {b.get('wall_s')} s wall / {b.get('cpu_s')} CPU-s"
    )
    return 0


def _verify(args: argparse.Namespace) -> int:
    bench = Bench.load(args.table)
    df = verify_slice(bench, n=args.n, seeds=args.seeds)
    worst = float(max(df["val_absdiff"].max(), df["test_absdiff"].max()))
    ok = worst <= args.tol
    print(
        f"{len(df)} retrained runs: max |stored - retrained| accuracy = {worst:.2e} "
        f"(tol {args.tol:g}) -> {'OK' if ok else 'MISMATCH'}"
    )
    return 0 if ok else 1
