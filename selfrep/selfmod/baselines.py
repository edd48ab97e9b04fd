"""Thin adapter from the self-modification experiments (E5, E7) to DigitsMLP-Bench (chapter 6, part
1).

Only reads the part-1 API (`bench.Bench`, `space.ArchConfig`); nothing here changes it.
- `scratch(widths, act, skip)`: the from-scratch accuracies of an architecture (mean and per seed);
- `best_static(bench, ...)`: the table's best architecture by mean validation accuracy (its test
  accuracy
  is then reported: choosing on validation, reporting test);
- `random_search(bench, budget, repeats, seed)`: random search with `budget` evaluations, each
  observing
  one random seed's validation accuracy (a noisy evaluation, as in a real search); returns the
  incumbents'
  mean test accuracies, one per repeat.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from selfrep.archsearch.bench import Bench, BenchEntry
from selfrep.archsearch.space import ArchConfig
from selfrep.selfmod.common import derive_seed

E5_BENCH_TAG = 55


def load_bench() -> Bench:
    """The shipped DigitsMLP-Bench table (cached per process by part 1)."""
    return Bench.load()


def scratch(bench: Bench, widths: Sequence[int], act: str = "relu", skip: bool = False) -> BenchEntry:
    """The bench entry of an architecture trained from scratch (ValueError if outside the space)."""
    return bench.lookup(ArchConfig(tuple(int(w) for w in widths), act, skip))


def best_static(
    bench: Bench, activations: Sequence[str] | None = None, skip: bool | None = None
) -> tuple[ArchConfig, float, float, float]:
    """(config, mean val, mean test, test seed SD) of the best config by mean validation accuracy,
    optionally
    restricted to `activations` and a skip setting."""
    ok = np.ones(len(bench.configs), dtype=bool)
    for i, c in enumerate(bench.configs):
        if activations is not None and c.activation not in activations:
            ok[i] = False
        if skip is not None and c.skip != skip:
            ok[i] = False
    idx = np.nonzero(ok)[0]
    i = int(idx[np.argmax(bench.val_mean[idx])])
    sd = float(bench.test[i].std(ddof=1)) if bench.test.shape[1] > 1 else 0.0
    return bench.configs[i], float(bench.val_mean[i]), float(bench.test_mean[i]), sd


def random_search(bench: Bench, budget: int, repeats: int, seed: int) -> np.ndarray:
    """Mean-of-seeds test accuracy of the random-search incumbent, for each of `repeats` searches.

    Each evaluation draws a config uniformly from the space and observes one random seed's
    validation
    accuracy; the incumbent is the config with the best observed validation accuracy.
    """
    if budget < 1 or repeats < 1:
        raise ValueError(f"budget, repeats: must be >= 1, got {budget}, {repeats}")
    rng = np.random.default_rng(derive_seed(E5_BENCH_TAG, seed))
    n, S = bench.val.shape
    out = np.zeros(repeats)
    for r in range(repeats):
        ids = rng.integers(0, n, size=budget)
        obs = bench.val[ids, rng.integers(0, S, size=budget)]
        out[r] = bench.test_mean[ids[int(np.argmax(obs))]]
    return out


def seed_sd_top(bench: Bench, top: float = 0.1) -> float:
    """Mean seed SD of test accuracy among the top `top` fraction of configs by mean validation
    accuracy."""
    k = max(1, int(round(top * len(bench.configs))))
    idx = np.argsort(-bench.val_mean)[:k]
    return float(bench.test[idx].std(1, ddof=1).mean())
