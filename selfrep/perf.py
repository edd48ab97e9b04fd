"""`selfrep bench`: throughput of the population operators, beside the one-module-per-network loop of the
published code measured in the same run.

Reported per (op, backend, P): microseconds per network-step = wall time / (steps x P). Ops:
    self_train_epoch  one Keras-style self-training step (14 per-sample SGD updates in random order)
    self_train_batch  one journal-style full-batch gradient step
    self_apply        one self-application N <- N ◁ N
all on the paper's weightwise network (4-2-2-1, linear, no bias, float32). Backends: "eager" (batched
tensor ops + autograd) and "compiled" (selfrep.kernels: the same step generated as C and compiled with the
system C compiler; compile time reported apart, ~1 s per kernel, cached on disk).
The loop baseline builds one torch.nn.Module per network and steps them one after another, as the journal
code does (input matrix assembled from the parameters scalar by scalar, an optimizer per call).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable

import torch

QUICK_SIZES = (1, 50, 1000)
FULL_SIZES = (1, 50, 1000, 100_000)
OPS = ("self_train_epoch", "self_train_batch", "self_apply")


# ------------------------------------------------------------------------------------------------
# The published code's way: one module per network, looped
# ------------------------------------------------------------------------------------------------
class _LoopNet(torch.nn.Module):
    """One weightwise network as the journal code holds it: three bias-free nn.Linear layers."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 2, bias=False)
        self.fc2 = torch.nn.Linear(2, 2, bias=False)
        self.fc3 = torch.nn.Linear(2, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc3(self.fc2(self.fc1(x)))

    def input_matrix(self) -> torch.Tensor:
        """Rows (value, layer, cell, position), walked scalar by scalar over the state dict."""
        rows = []
        for layer, (_, weight) in enumerate(self.state_dict().items()):
            for cell, row in enumerate(weight):
                for pos, value in enumerate(row):
                    rows.append([value.item(), layer, cell, pos])
        return torch.tensor(rows)

    def self_train_batch(self, lr: float = 0.04) -> None:
        opt = torch.optim.SGD(self.parameters(), lr=lr, momentum=0.9)  # re-created per call, as published
        x = self.input_matrix()
        opt.zero_grad()
        torch.nn.functional.mse_loss(self(x), x[:, :1]).backward()
        opt.step()

    def self_train_epoch(self, generator: torch.Generator, lr: float = 0.01) -> None:
        opt = torch.optim.SGD(self.parameters(), lr=lr)
        x = self.input_matrix()
        for k in torch.randperm(x.shape[0], generator=generator).tolist():
            opt.zero_grad()
            torch.nn.functional.mse_loss(self(x[k : k + 1]), x[k : k + 1, :1]).backward()
            opt.step()

    def self_apply(self) -> None:
        with torch.no_grad():
            out = self(self.input_matrix()).flatten()
            i = 0
            for weight in self.state_dict().values():  # written back one scalar at a time
                for row in weight:
                    for j in range(row.numel()):
                        row[j] = out[i]
                        i += 1


def _time_loop(op: str, P: int, min_seconds: float) -> float:
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    nets = [_LoopNet() for _ in range(P)]

    def run() -> None:
        for net in nets:
            if op == "self_train_epoch":
                net.self_train_epoch(g)
            elif op == "self_train_batch":
                net.self_train_batch()
            else:
                net.self_apply()

    return _time(run, P, min_seconds)


# ------------------------------------------------------------------------------------------------
# Population operators
# ------------------------------------------------------------------------------------------------
def _time(fn: Callable[[], object], P: int, min_seconds: float) -> float:
    """Microseconds per network-step of `fn` (one step of P networks): the best of 5 timed chunks (the
    minimum is the estimate least disturbed by other processes on the machine)."""
    fn()  # warm-up (and compilation)
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_seconds / 5 or reps >= 1 << 20:
            break
        reps *= 2
    best = dt
    for _ in range(4):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, time.perf_counter() - t0)
    return best / (reps * P) * 1e6


def _op_fn(op: str, backend: str, P: int) -> Callable[[], object]:
    import selfrep as sr

    red = sr.make_reduction("weightwise")
    g = torch.Generator().manual_seed(0)
    w0 = sr.init_population(red.arch, P, generator=g)
    if op == "self_apply":
        return lambda: sr.self_apply(w0, red, 1, backend=backend)
    cfg = sr.TrainConfig(step="epoch" if op == "self_train_epoch" else "batch", backend=backend)
    state = sr.train_init(w0, cfg)
    return lambda: sr.train_step(state, red, cfg, g)


def run_bench(
    sizes: tuple[int, ...],
    backends: tuple[str, ...],
    min_seconds: float,
    loop_P: int = 50,
    progress: bool = True,
) -> dict:
    from selfrep import kernels

    skipped = {}
    if "compiled" in backends and not kernels.available():
        skipped["compiled"] = kernels.unavailable_reason()
        backends = tuple(b for b in backends if b != "compiled")
    results = []
    compile_s: dict[str, float] = {}
    for backend in backends:
        for op in OPS:
            for P in sizes:
                fn = _op_fn(op, backend, P)
                if backend == "compiled" and op not in compile_s:
                    t0 = time.perf_counter()
                    fn()
                    compile_s[op] = time.perf_counter() - t0
                us = _time(fn, P, min_seconds)
                results.append(
                    {
                        "op": op,
                        "reduction": "weightwise",
                        "backend": backend,
                        "P": P,
                        "us_per_net_step": us,
                    }
                )
                if progress:
                    print(f"  {op:<17} {backend:<8} P={P:<7} {us:10.4f} us/net-step", file=sys.stderr)
    loop = {}
    for op in OPS:
        loop[op] = _time_loop(op, loop_P, min_seconds)
        if progress:
            print(
                f"  {op:<17} {'loop':<8} P={loop_P:<7} {loop[op]:10.4f} us/net-step",
                file=sys.stderr,
            )

    def best(op: str, P: int) -> float | None:
        vals = [r["us_per_net_step"] for r in results if r["op"] == op and r["P"] == P]
        return min(vals) if vals else None

    speedups = {op: (loop[op] / best(op, 1000)) if best(op, 1000) else None for op in OPS}
    return {
        "results": results,
        "skipped_backends": skipped,
        "loop_baseline_us_per_net_step": loop["self_train_batch"],
        "loop_baseline_P": loop_P,
        "loop_baseline_by_op": loop,
        "speedup_vs_loop_at_P1000": speedups["self_train_batch"],
        "speedup_vs_loop_at_P1000_by_op": speedups,
        "compile_seconds": compile_s,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_average_1min": os.getloadavg()[0],
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def format_table(report: dict) -> str:
    """A markdown table: one row per (op, backend), one column per P, plus the loop baseline."""
    sizes = sorted({r["P"] for r in report["results"]})
    head = "| op | backend | " + " | ".join(f"P={P:,}" for P in sizes) + " |"
    lines = [head, "|" + "---|" * (2 + len(sizes))]
    keys = []
    for r in report["results"]:
        if (r["op"], r["backend"]) not in keys:
            keys.append((r["op"], r["backend"]))
    for op, backend in keys:
        cells = []
        for P in sizes:
            v = [
                r["us_per_net_step"]
                for r in report["results"]
                if r["op"] == op and r["backend"] == backend and r["P"] == P
            ]
            cells.append(f"{v[0]:.4g}" if v else "")
        lines.append(f"| {op} | {backend} | " + " | ".join(cells) + " |")
    lp = report["loop_baseline_P"]
    for op, us in report["loop_baseline_by_op"].items():
        lines.append(
            f"| {op} | loop (published style) | "
            + " | ".join(f"{us:.4g}" if lp == P else "" for P in sizes)
            + " |"
        )
    lines.append("")
    lines.append(
        f"µs per network-step (best of 5 timings); torch {report['torch']}, {report['threads']} threads on "
        f"{report['cpu_count']} cores, load average {report['load_average_1min']:.1f} at the end; peak RSS "
        f"{report['peak_rss_mb']:.0f} MB; first call (compile or load from the kernel cache), s: "
        + ", ".join(f"{k} {v:.2f}" for k, v in report["compile_seconds"].items())
    )
    sp = report["speedup_vs_loop_at_P1000_by_op"]
    lines.append(
        "speed-up over the loop at P=1,000: " + ", ".join(f"{k} {v:,.0f}x" for k, v in sp.items() if v)
    )
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    from selfrep import kernels

    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    backends = ("eager", "compiled") if args.backend == "both" else (args.backend,)
    why = kernels.unavailable_reason() if "compiled" in backends else None
    if why and args.backend == "compiled":  # asked for exactly what cannot run: an error, not "results": []
        print(f"selfrep bench: error: backend: the compiled backend cannot run here ({why})", file=sys.stderr)
        return 1
    if why:
        print(
            f"selfrep bench: note: the compiled backend cannot run here ({why}); eager only", file=sys.stderr
        )
    report = run_bench(sizes, backends, 0.3 if args.quick else 1.0, progress=not args.json)
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="operator throughput vs the published one-module-per-network loop",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="P = 1, 50, 1,000 only, shorter timing")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--backend", choices=("eager", "compiled", "both"), default="both")
    p.set_defaults(func=main)
