"""Search strategies on DigitsMLP-Bench, at equal budget, as pure functions of (options, seed).

Every strategy has the signature `strategy(objective, budget, seed, **options) -> SearchTrace`. It draws all
its randomness from `np.random.default_rng(seed)` (one generator, threaded through), so two calls with the
same arguments give identical traces (the `overhead_s` timing aside). Searches see validation accuracy only,
through a `TableObjective`; test accuracy is read afterwards, for incumbents only (`incumbent_curves`,
`summarize`).

Strategies (the registry `STRATEGIES`):
- `random_search`: uniform over the candidates (default: the whole space), without replacement.
- `grid_search`: an axis-aligned grid of uniform-width nets, visited in a fixed space-filling order
  (`maximin_order`), so a budget smaller than the grid still spreads over every axis; the order is the same in
  every repeat (only the observation noise differs); stops when the grid is exhausted.
- `regularized_evolution` (Real et al. 2019): population P, tournament of S, the child of the tournament
  winner (one `SearchSpace.mutate` edit) replaces the *oldest* member. The first P evaluations are random.
- `predictor_guided` (BANANAS-lite, White et al. 2021): after `n_init` random evaluations, repeatedly fit an
  ensemble predictor (random-forest trees, or an ensemble of small MLPs) on the observations, score
  `n_random` random unseen configs plus `n_mutants` mutants of the incumbent by independent Thompson sampling
  (mean + sd * z), and evaluate the best `batch`.
- `optuna_search` (only if `optuna` is importable; not a dependency): TPE or random sampler through ask/tell.

Budget accounting: every evaluation counts once (re-evaluating a config counts again), is charged the table's
CPU seconds for that training run, and the strategy's own compute (predictor fits) is `overhead_s`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from selfrep.archsearch.bench import Bench
from selfrep.archsearch.space import ArchConfig, SearchSpace, encode, grid_configs


class TableObjective:
    """Answers 'train config i' from the table: validation accuracy only.

    noise="seed" (default): the answer is one training seed's validation accuracy, the seed drawn uniformly
    from the table's seeds with the search's generator (so a repeated evaluation may differ, as a retraining
    would). noise="mean": the mean over seeds (noise-free; for tests and oracles).
    Each evaluation is charged the CPU seconds of that training run (mean over seeds for noise="mean").
    """

    def __init__(self, bench: Bench, noise: str = "seed"):
        if noise not in ("seed", "mean"):
            raise ValueError(f"noise: must be 'seed' or 'mean', got {noise!r}")
        self.bench = bench
        self.noise = noise

    @property
    def space(self) -> SearchSpace:
        return self.bench.space

    def __call__(self, i: int, rng: np.random.Generator) -> tuple[float, int, float]:
        """(observed validation accuracy, seed column used or -1, charged CPU seconds)."""
        b = self.bench
        if self.noise == "mean":
            return float(b.val_mean[i]), -1, float(b.cpu_s[i].mean())
        j = int(rng.integers(b.val.shape[1]))
        return float(b.val[i, j]), j, float(b.cpu_s[i, j])


@dataclass(frozen=True)
class SearchTrace:
    """One search run. Arrays have one entry per evaluation, in order.

    arch: config id evaluated; seed_used: table seed column that answered (-1: mean); observed: the validation
    accuracy the search saw; incumbent: id of the best observed so far (first one on ties); charged_s:
    cumulative charged training CPU-s; overhead_s: wall seconds spent by the strategy itself.
    """

    method: str
    seed: int
    arch: np.ndarray
    seed_used: np.ndarray
    observed: np.ndarray
    incumbent: np.ndarray
    charged_s: np.ndarray
    overhead_s: float = 0.0

    @property
    def evaluations(self) -> int:
        return len(self.arch)

    def same_as(self, other: SearchTrace) -> bool:
        """Identical decisions and observations (timings ignored)."""
        return all(
            np.array_equal(getattr(self, f), getattr(other, f))
            for f in ("arch", "seed_used", "observed", "incumbent", "charged_s")
        ) and (self.method, self.seed) == (other.method, other.seed)


class _Recorder:
    def __init__(self, objective: TableObjective, budget: int, rng: np.random.Generator):
        if budget < 1:
            raise ValueError(f"budget: must be >= 1, got {budget}")
        self.objective, self.budget, self.rng = objective, int(budget), rng
        self.arch: list[int] = []
        self.seed_used: list[int] = []
        self.observed: list[float] = []
        self.incumbent: list[int] = []
        self.charged: list[float] = []
        self.best = -np.inf
        self.best_id = -1
        self.total = 0.0
        self.overhead = 0.0

    @property
    def done(self) -> bool:
        return len(self.arch) >= self.budget

    def evaluate(self, i: int) -> float:
        if self.done:
            raise RuntimeError("budget exhausted")
        val, j, cost = self.objective(int(i), self.rng)
        self.total += cost
        if val > self.best:
            self.best, self.best_id = val, int(i)
        self.arch.append(int(i))
        self.seed_used.append(j)
        self.observed.append(val)
        self.incumbent.append(self.best_id)
        self.charged.append(self.total)
        return val

    def trace(self, method: str, seed: int) -> SearchTrace:
        return SearchTrace(
            method=method,
            seed=int(seed),
            arch=np.asarray(self.arch, dtype=np.int64),
            seed_used=np.asarray(self.seed_used, dtype=np.int64),
            observed=np.asarray(self.observed, dtype=np.float64),
            incumbent=np.asarray(self.incumbent, dtype=np.int64),
            charged_s=np.asarray(self.charged, dtype=np.float64),
            overhead_s=self.overhead,
        )


def _ids(objective: TableObjective, candidates: Sequence[int] | None) -> np.ndarray:
    n = len(objective.bench)
    if candidates is None:
        return np.arange(n)
    ids = np.asarray(candidates, dtype=np.int64)
    if ids.ndim != 1 or len(ids) == 0 or ids.min() < 0 or ids.max() >= n:
        raise ValueError(f"candidates: must be a non-empty list of config ids in 0..{n - 1}")
    return ids


def random_search(
    objective: TableObjective, budget: int, seed: int, candidates: Sequence[int] | None = None
) -> SearchTrace:
    """Uniform random search without replacement over `candidates` (default: every config id)."""
    rng = np.random.default_rng(seed)
    rec = _Recorder(objective, budget, rng)
    ids = _ids(objective, candidates)
    for i in rng.permutation(ids)[:budget]:
        rec.evaluate(int(i))
    return rec.trace("random", seed)


def default_grid(space: SearchSpace) -> list[ArchConfig]:
    """Uniform-width nets over every depth, width, activation and skip value of `space`."""
    return grid_configs(space.depths, space.widths, space.activations, space.skips)


def maximin_order(configs: Sequence[ArchConfig], space: SearchSpace) -> list[int]:
    """A fixed space-filling order of grid points: greedily take the point farthest (L1 over level positions
    scaled to [0, 1] per axis: depth, width of the first layer, activation, skip) from those already taken;
    ties go to the earliest point in `configs`. Starts with `configs[0]`."""
    if not configs:
        raise ValueError("configs: empty grid")

    def pos(values: Sequence, v) -> float:
        return values.index(v) / (len(values) - 1) if len(values) > 1 else 0.0

    X = np.array(
        [
            [
                pos(space.depths, c.depth),
                pos(space.widths, c.widths[0]),
                pos(space.activations, c.activation),
                pos(space.skips, c.skip),
            ]
            for c in configs
        ]
    )
    order = [0]
    dmin = np.abs(X - X[0]).sum(1)
    dmin[0] = -1.0
    for _ in range(len(configs) - 1):
        nxt = int(np.argmax(dmin))  # argmax returns the first maximum: ties -> earliest
        order.append(nxt)
        dmin = np.minimum(dmin, np.abs(X - X[nxt]).sum(1))
        dmin[order] = -1.0
    return order


def grid_search(
    objective: TableObjective, budget: int, seed: int, grid: Sequence[ArchConfig] | None = None
) -> SearchTrace:
    """Evaluate the grid (default: `default_grid(space)`) in `maximin_order`; `seed` only drives the
    observation noise. Stops early when the grid is exhausted (fewer evaluations than `budget`)."""
    rng = np.random.default_rng(seed)
    rec = _Recorder(objective, budget, rng)
    space = objective.space
    grid = list(default_grid(space) if grid is None else grid)
    ids = [objective.bench.index(c) for c in grid]
    for k in maximin_order(grid, space)[:budget]:
        rec.evaluate(ids[k])
    return rec.trace("grid", seed)


def regularized_evolution(
    objective: TableObjective, budget: int, seed: int, population: int = 20, sample: int = 5
) -> SearchTrace:
    """Aging evolution: P random members, then repeatedly mutate the best of S sampled members (by observed
    validation accuracy) and replace the oldest. With budget <= P it is random search (with replacement)."""
    if population < 2:
        raise ValueError(f"population: must be >= 2, got {population}")
    if not 1 <= sample <= population:
        raise ValueError(f"sample: must be 1..population ({population}), got {sample}")
    rng = np.random.default_rng(seed)
    rec = _Recorder(objective, budget, rng)
    bench, space = objective.bench, objective.space
    pop: list[tuple[int, float]] = []  # (id, observed), oldest first
    while len(pop) < population and not rec.done:
        i = int(rng.integers(len(bench)))
        pop.append((i, rec.evaluate(i)))
    while not rec.done:
        picks = rng.choice(len(pop), size=sample, replace=False)
        parent = max(picks, key=lambda k: (pop[k][1], -k))  # best observed; ties -> oldest
        child = bench.index(space.mutate(bench.configs[pop[parent][0]], rng))
        pop.append((child, rec.evaluate(child)))
        pop.pop(0)
    return rec.trace("evolution", seed)


# --- predictor-guided -------------------------------------------------------------------------------
def _fit_predict_rf(
    X: np.ndarray, y: np.ndarray, Xc: np.ndarray, rs: int, n_trees: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.ensemble import RandomForestRegressor

    rf = RandomForestRegressor(n_estimators=n_trees, min_samples_leaf=1, random_state=rs, n_jobs=1)
    rf.fit(X, y)
    P = np.stack([t.predict(Xc) for t in rf.estimators_])
    return P.mean(0), P.std(0)


def _fit_predict_mlp(
    X: np.ndarray, y: np.ndarray, Xc: np.ndarray, rs: int, n_models: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    from selfrep.archsearch.predictors import MLPEnsembleRegressor

    return MLPEnsembleRegressor(n_models=n_models, seed=rs).fit(X, y).predict_dist(Xc)


PREDICTOR_FITS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "rf": _fit_predict_rf,
    "mlp": _fit_predict_mlp,
}


def predictor_guided(
    objective: TableObjective,
    budget: int,
    seed: int,
    model: str = "rf",
    n_init: int = 10,
    batch: int = 10,
    n_random: int = 200,
    n_mutants: int = 50,
) -> SearchTrace:
    """BANANAS-lite: random start, then rounds of fit ensemble -> Thompson-sample candidates -> evaluate the
    top `batch`. Candidates: `n_random` random unseen configs plus `n_mutants` distinct unseen mutants of the
    incumbent. Features: `space.encode`. Never re-evaluates a config."""
    if model not in PREDICTOR_FITS:
        raise ValueError(f"model: unknown predictor {model!r} (known: {sorted(PREDICTOR_FITS)})")
    if n_init < 2 or batch < 1 or n_random < 0 or n_mutants < 0:
        raise ValueError("n_init/batch/n_random/n_mutants: need n_init >= 2, batch >= 1, others >= 0")
    rng = np.random.default_rng(seed)
    rec = _Recorder(objective, budget, rng)
    bench, space = objective.bench, objective.space
    feats = encode(bench.configs)
    n = len(bench)
    seen = np.zeros(n, dtype=bool)
    for i in rng.permutation(n)[: min(n_init, budget)]:
        rec.evaluate(int(i))
        seen[i] = True
    fit = PREDICTOR_FITS[model]
    while not rec.done and not seen.all():
        unseen = np.flatnonzero(~seen)
        cand = list(rng.choice(unseen, size=min(n_random, len(unseen)), replace=False))
        inc_cfg = bench.configs[rec.best_id]
        mutants: list[int] = []
        for _ in range(4 * n_mutants):
            if len(mutants) >= n_mutants:
                break
            j = bench.index(space.mutate(inc_cfg, rng))
            if not seen[j] and j not in mutants and j not in cand:
                mutants.append(j)
        cand = np.asarray(cand + mutants, dtype=np.int64)
        t0 = time.perf_counter()
        mean, sd = fit(feats[rec.arch], np.asarray(rec.observed), feats[cand], int(rng.integers(2**31 - 1)))
        rec.overhead += time.perf_counter() - t0
        score = mean + sd * rng.standard_normal(len(cand))
        for k in np.argsort(-score, kind="stable")[:batch]:
            if rec.done:
                break
            rec.evaluate(int(cand[k]))
            seen[cand[k]] = True
    return rec.trace(f"predictor-{model}", seed)


# --- optional: optuna -------------------------------------------------------------------------------
def optuna_available() -> bool:
    try:
        import optuna  # noqa: F401
    except ImportError:
        return False
    return True


def optuna_search(objective: TableObjective, budget: int, seed: int, sampler: str = "tpe") -> SearchTrace:
    """Optuna's TPE or random sampler through ask/tell on the same table objective (define-by-run: the
    widths of layers deeper than the sampled depth are not sampled). Requires `optuna` (not a dependency)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler == "tpe":
        smp = optuna.samplers.TPESampler(seed=seed)
    elif sampler == "random":
        smp = optuna.samplers.RandomSampler(seed=seed)
    else:
        raise ValueError(f"sampler: must be 'tpe' or 'random', got {sampler!r}")
    rng = np.random.default_rng(seed)
    rec = _Recorder(objective, budget, rng)
    bench, space = objective.bench, objective.space
    study = optuna.create_study(direction="maximize", sampler=smp)
    while not rec.done:
        trial = study.ask()
        depth = trial.suggest_categorical("depth", list(space.depths))
        widths = tuple(trial.suggest_categorical(f"w{k}", list(space.widths)) for k in range(depth))
        act = trial.suggest_categorical("activation", list(space.activations))
        skip = trial.suggest_categorical("skip", list(space.skips))
        val = rec.evaluate(bench.index(ArchConfig(widths, act, skip)))
        study.tell(trial, val)
    return rec.trace(f"optuna-{sampler}", seed)


STRATEGIES: dict[str, Callable[..., SearchTrace]] = {
    "random": random_search,
    "grid": grid_search,
    "evolution": regularized_evolution,
    "predictor": predictor_guided,
}


def run_repeats(
    objective: TableObjective,
    method: str,
    budget: int,
    repeats: int,
    seed0: int = 0,
    label: str | None = None,
    **options,
) -> list[SearchTrace]:
    """`repeats` independent runs of a strategy with seeds seed0 .. seed0 + repeats - 1."""
    if method == "optuna":
        fn: Callable[..., SearchTrace] = optuna_search
    elif method in STRATEGIES:
        fn = STRATEGIES[method]
    else:
        raise ValueError(f"method: unknown strategy {method!r} (known: {sorted(STRATEGIES)}, optuna)")
    if repeats < 1:
        raise ValueError(f"repeats: must be >= 1, got {repeats}")
    out = []
    for r in range(repeats):
        t = fn(objective, budget, seed0 + r, **options)
        if label is not None:
            t = SearchTrace(
                label, t.seed, t.arch, t.seed_used, t.observed, t.incumbent, t.charged_s, t.overhead_s
            )
        out.append(t)
    return out


# --- analysis ----------------------------------------------------------------------------------------
def landscape_reference(bench: Bench) -> dict[str, float]:
    """Reference points for reporting: the oracle (best mean test accuracy in the space), the random-average
    architecture (mean test accuracy of a uniformly drawn config) and the top-1% threshold of test
    accuracy."""
    t = bench.test_mean
    return {
        "oracle_test": float(t.max()),
        "random_avg_test": float(t.mean()),
        "top1_threshold": float(np.quantile(t, 0.99)),
    }


def incumbent_curves(traces: Sequence[SearchTrace], bench: Bench) -> pd.DataFrame:
    """Long table: method, seed, evaluation number (1-based), incumbent id, its mean test accuracy, charged s.
    Runs that stopped early (an exhausted grid) are carried forward to the longest trace's length."""
    n_max = max(t.evaluations for t in traces)
    frames = []
    for t in traces:
        inc = np.concatenate([t.incumbent, np.full(n_max - t.evaluations, t.incumbent[-1])])
        ch = np.concatenate([t.charged_s, np.full(n_max - t.evaluations, t.charged_s[-1])])
        frames.append(
            pd.DataFrame(
                {
                    "method": t.method,
                    "seed": t.seed,
                    "evals": np.arange(1, n_max + 1),
                    "incumbent": inc,
                    "test_acc": bench.test_mean[inc],
                    "charged_s": ch,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def accuracy_step(bench: Bench) -> float:
    """The resolution of a mean-of-seeds test accuracy in the table: 1 / (test digits x seeds)."""
    from selfrep.archsearch.data import load_digits_split

    return 1.0 / (len(load_digits_split().y_test) * len(bench.seeds))


def floored_se(x: np.ndarray, step: float = 0.0) -> float:
    """Standard error of the mean of `x`, with the SD floored at the measurement step `step`: values on a
    grid of `step` that all coincide do not measure an SD of 0, only one below `step`."""
    x = np.asarray(x, dtype=float)
    if len(x) < 2:
        return float("nan")
    return float(max(x.std(ddof=1), step) / np.sqrt(len(x)))


def bootstrap_se_median(x: np.ndarray, n_boot: int = 1000, seed: int = 0, step: float = 0.0) -> float:
    """Bootstrap standard error of the median (fixed generator: deterministic), floored at step / sqrt(n)
    (see `floored_se`)."""
    x = np.asarray(x, dtype=float)
    if len(x) < 2:
        return float("nan")
    rng = np.random.default_rng(seed)
    meds = np.median(x[rng.integers(len(x), size=(n_boot, len(x)))], axis=1)
    return float(max(meds.std(ddof=1), step / np.sqrt(len(x))))


def incumbent_accs(ts: Sequence[SearchTrace], bench: Bench, budget: int) -> np.ndarray:
    """Mean-of-seeds test accuracy of each run's incumbent after `budget` evaluations (or its last one)."""
    return np.array([bench.test_mean[t.incumbent[min(budget, t.evaluations) - 1]] for t in ts])


def summarize(traces: Sequence[SearchTrace], bench: Bench, budgets: Sequence[int]) -> pd.DataFrame:
    """Method x budget table of the incumbent's mean-of-seeds *test* accuracy after `budget` evaluations:
    repeats, mean, SE, median, SE of the median (bootstrap), test regret to the oracle, relative improvement
    (%) over the random-average architecture (Yang et al. 2020), P(incumbent in the top 1% by test accuracy),
    mean evaluations actually made, charged training CPU-s and strategy overhead s; and, to show the
    winner's curse, the incumbent's mean-of-seeds validation accuracy (`inc_val`) and how far the single
    observation that made it the incumbent lies above that (`optimism`). Standard errors have their SD
    floored at the table's resolution (`accuracy_step`)."""
    ref = landscape_reference(bench)
    step = accuracy_step(bench)
    rows = []
    methods = list(dict.fromkeys(t.method for t in traces))
    for m in methods:
        ts = [t for t in traces if t.method == m]
        for b in budgets:
            k = [min(b, t.evaluations) - 1 for t in ts]
            acc = incumbent_accs(ts, bench, b)
            inc = np.array([t.incumbent[j] for t, j in zip(ts, k, strict=True)])
            seen = np.array([t.observed[: j + 1].max() for t, j in zip(ts, k, strict=True)])
            n = len(acc)
            rows.append(
                {
                    "method": m,
                    "budget": b,
                    "repeats": n,
                    "mean": acc.mean(),
                    "se": floored_se(acc, step),
                    "median": float(np.median(acc)),
                    "median_se": bootstrap_se_median(acc, step=step),
                    "regret": ref["oracle_test"] - acc.mean(),
                    "ri_vs_random_avg_pct": 100
                    * (acc.mean() - ref["random_avg_test"])
                    / ref["random_avg_test"],
                    "p_top1": float((acc >= ref["top1_threshold"]).mean()),
                    "evals": float(np.mean([j + 1 for j in k])),
                    "charged_s": float(np.mean([t.charged_s[j] for t, j in zip(ts, k, strict=True)])),
                    "overhead_s": float(np.mean([t.overhead_s for t in ts])),
                    "inc_val": float(bench.val_mean[inc].mean()),
                    "optimism": float((seen - bench.val_mean[inc]).mean()),
                }
            )
    return pd.DataFrame(rows)


def difference(
    a: Sequence[SearchTrace], b: Sequence[SearchTrace], bench: Bench, budget: int
) -> tuple[float, float]:
    """Mean difference of the incumbent's test accuracy at `budget` between two sets of independent runs
    (a - b), and its standard error sqrt(se_a^2 + se_b^2) (SDs floored at `accuracy_step`)."""
    if len(a) < 2 or len(b) < 2:
        raise ValueError("a, b: need at least two runs each")
    step = accuracy_step(bench)
    xa, xb = incumbent_accs(a, bench, budget), incumbent_accs(b, bench, budget)
    se = np.hypot(floored_se(xa, step), floored_se(xb, step))
    return float(xa.mean() - xb.mean()), float(se)


def tied_best(summary: pd.DataFrame, stat: str = "mean", z: float = 2.0) -> list[str]:
    """The methods of one budget's `summarize` rows whose `stat` ("mean" or "median") lies within `z`
    combined standard errors of the best one: the best and every method it does not detectably beat,
    best first."""
    if stat not in ("mean", "median"):
        raise ValueError(f"stat: must be 'mean' or 'median', got {stat!r}")
    if summary["budget"].nunique() != 1:
        raise ValueError("summary: pass the rows of one budget")
    se = "se" if stat == "mean" else "median_se"
    s = summary.set_index("method")
    best = s[stat].idxmax()
    gap = s.loc[best, stat] - s[stat]
    tied = s[gap <= z * np.hypot(s[se], s.loc[best, se])]
    return list(tied.sort_values(stat, ascending=False).index)
