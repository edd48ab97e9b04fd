"""Search strategies on DigitsMLP-Bench, at equal budget, as pure functions of (options, seed).

Every strategy has the signature `strategy(objective, budget, seed, **options) -> SearchTrace`. It draws all
its randomness from `np.random.default_rng(seed)` (one generator, threaded through), so two calls with the
same arguments give identical traces (the `overhead_s` timing aside). Searches see validation accuracy only,
through a `TableObjective`; test accuracy is read afterwards, for incumbents only (`incumbent_curves`,
`summarize`).

Strategies (the registry `STRATEGIES`):
- `random_search`: uniform over the candidates (default: the whole space), without replacement.
- `grid_search`: an axis-aligned grid of uniform-width nets, visited in a space-filling order
  (`maximin_order`), so a budget smaller than the grid still spreads over every axis. By default each repeat
  starts the order at a random grid point and breaks distance ties at random, so its spread over repeats is
  the spread of grid search, not only observation noise (`order="fixed"`: one order for every repeat); stops
  when the grid is exhausted.
- `regularized_evolution` (Real et al. 2019): population P, tournament of S, the child of the tournament
  winner (one `SearchSpace.mutate` edit) replaces the *oldest* member. The first P evaluations are random.
- `local_search` (White et al. 2020): from a random architecture, evaluate its one-edit neighbours
  (`SearchSpace.neighbors`) in a random order and move to the first one observed better; at a local optimum
  (no neighbour better) restart from a random unseen architecture. Never re-evaluates a functional twin.
- `predictor_guided`: after `n_init` random evaluations, repeatedly fit an ensemble predictor on the
  observations, score `n_random` random unseen configs plus `n_mutants` mutants of the incumbent by
  independent Thompson sampling (mean + sd * z), and evaluate the best `batch`. With a random forest
  (`model="rf"`) this is a SMAC-like search (Hutter et al. 2011: random-forest surrogate, random and local
  candidates), labelled "smac-like (RF)"; with an ensemble of small MLPs (`model="mlp"`) it is BANANAS-like
  (White et al. 2021: MLP ensemble, mutation candidates, independent Thompson sampling; without BANANAS' path
  encoding, which a chain of layers does not need), labelled "bananas-like (MLP)".
- `optuna_search`: Optuna's TPE (Bergstra et al. 2011) or random sampler through ask/tell.
- `hyperband` / `successive_halving` (Li et al. 2018; Jamieson & Talwalkar 2016): multi-fidelity search on
  the validation accuracies the table stores after 2, 5 and 10 epochs and at the end of training (20): train
  many configs for a few epochs, continue the best 1/eta of them to the next rung. Its budget is counted in
  epochs; its trace has one entry per full training's worth of epochs (see `hyperband`).

Budget accounting: every evaluation counts once (re-evaluating a config counts again), is charged the table's
CPU seconds for that training run, and the strategy's own compute (predictor fits, TPE proposals) is
`overhead_s`. Multi-fidelity evaluations are charged their share of epochs of the run's seconds.
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


def maximin_order(
    configs: Sequence[ArchConfig], space: SearchSpace, rng: np.random.Generator | None = None
) -> list[int]:
    """A space-filling order of grid points: greedily take the point farthest (L1 over level positions
    scaled to [0, 1] per axis: depth, width of the first layer, activation, skip) from those already taken.
    Without `rng`: starts with `configs[0]` and ties go to the earliest point (one fixed order). With `rng`:
    starts at a random point and breaks ties at random (a random space-filling order)."""
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
    first = 0 if rng is None else int(rng.integers(len(configs)))
    order = [first]
    dmin = np.abs(X - X[first]).sum(1)
    dmin[first] = -1.0
    for _ in range(len(configs) - 1):
        if rng is None:
            nxt = int(np.argmax(dmin))  # argmax returns the first maximum: ties -> earliest
        else:
            ties = np.flatnonzero(np.isclose(dmin, dmin.max()))
            nxt = int(ties[rng.integers(len(ties))])
        order.append(nxt)
        dmin = np.minimum(dmin, np.abs(X - X[nxt]).sum(1))
        dmin[order] = -1.0
    return order


def grid_search(
    objective: TableObjective,
    budget: int,
    seed: int,
    grid: Sequence[ArchConfig] | None = None,
    order: str = "random",
) -> SearchTrace:
    """Evaluate the grid (default: `default_grid(space)`) in a `maximin_order`: order="random" (default) a
    random start and random tie-breaks per repeat, order="fixed" the one fixed order (then `seed` only drives
    the observation noise). Stops early when the grid is exhausted (fewer evaluations than `budget`)."""
    if order not in ("random", "fixed"):
        raise ValueError(f"order: must be 'random' or 'fixed', got {order!r}")
    rng = np.random.default_rng(seed)
    rec = _Recorder(objective, budget, rng)
    space = objective.space
    grid = list(default_grid(space) if grid is None else grid)
    ids = [objective.bench.index(c) for c in grid]
    sequence = maximin_order(grid, space, rng if order == "random" else None)
    for k in sequence[:budget]:
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


def local_search(
    objective: TableObjective, budget: int, seed: int, first_improvement: bool = True
) -> SearchTrace:
    """Local search (White et al. 2020): start at a random architecture; evaluate its neighbours
    (`SearchSpace.neighbors`, one edit away) in a random order; with `first_improvement` move to the first
    one observed better than the current one, else evaluate the whole neighbourhood and move to the best
    better one; when no neighbour is better (a local optimum) restart at a random unseen architecture.
    Functional twins (same canonical config) are evaluated at most once over the whole search."""
    rng = np.random.default_rng(seed)
    rec = _Recorder(objective, budget, rng)
    bench, space = objective.bench, objective.space
    canon = bench.canonical_index
    seen: set[int] = set()
    starts = iter(rng.permutation(len(bench)))

    def fresh() -> int | None:
        for i in starts:
            if canon[i] not in seen:
                return int(i)
        return None

    while not rec.done:
        cur = fresh()
        if cur is None:
            break
        seen.add(int(canon[cur]))
        cur_val = rec.evaluate(cur)
        moved = True
        while moved and not rec.done:
            moved = False
            nb = [bench.index(c) for c in space.neighbors(bench.configs[cur])]
            best_i, best_v = -1, cur_val
            for i in rng.permutation(np.asarray(nb, dtype=np.int64)):
                if rec.done:
                    break
                if canon[i] in seen:
                    continue
                seen.add(int(canon[i]))
                v = rec.evaluate(int(i))
                if v > best_v:
                    best_i, best_v = int(i), v
                    if first_improvement:
                        break
            if best_i >= 0:
                cur, cur_val, moved = best_i, best_v, True
    return rec.trace("local search", seed)


# --- multi-fidelity ----------------------------------------------------------------------------------
def fidelities(bench: Bench) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """The table's fidelities: the epochs at which validation accuracy is stored (ascending, the end of
    training last) and, per epoch, the (configs, seeds) accuracy array."""
    final = int(bench.meta.get("train", {}).get("epochs", 20))
    early = sorted(e for e in bench.val_at if e < final)
    return (*early, final), [bench.val_at[e] for e in early] + [bench.val]


def hyperband(
    objective: TableObjective,
    budget: int,
    seed: int,
    eta: int = 3,
    brackets: Sequence[int] | None = None,
) -> SearchTrace:
    """Hyperband (Li et al. 2018) on the table's fidelities (`fidelities`: rungs at 2, 5, 10 and 20 epochs),
    cycling its brackets s = s_max .. 0 (s_max = rungs - 1; `brackets` picks some): bracket s starts
    ceil((s_max + 1) / (s + 1) * eta^s) new random configs (without replacement over the whole search) at
    rung s_max - s and promotes the best floor(n / eta) (at least 1), by observed validation accuracy, to the
    next rung, training on (the earlier rung's epochs are not paid again: a promoted config continues its
    run, and it keeps the seed column drawn when it started). Bracket s = 0 is random search.

    Budget: `budget` full trainings' worth of epochs (budget x 20); a training that would overrun it is not
    started. The incumbent is the config observed best at the highest rung reached so far. The trace has one
    entry per full training's worth of epochs (20): entry k is the incumbent once at most 20 k epochs are
    spent (`arch` = `incumbent`; `observed`, `seed_used`: the observation that made it the incumbent, at its
    rung; `charged_s`: the table's CPU seconds spent by then, each training charged its share of epochs;
    with the objective's noise="mean", observations are means over seeds and `seed_used` is 0)."""
    if eta < 2:
        raise ValueError(f"eta: must be >= 2, got {eta}")
    rng = np.random.default_rng(seed)
    if budget < 1:
        raise ValueError(f"budget: must be >= 1, got {budget}")
    bench = objective.bench
    epochs, accs = fidelities(bench)
    cpu = bench.cpu_s
    if objective.noise == "mean":  # noise-free: every observation is the mean over seeds (one column)
        accs = [a.mean(1, keepdims=True) for a in accs]
        cpu = cpu.mean(1, keepdims=True)
    s_max = len(epochs) - 1
    cycle = list(range(s_max, -1, -1)) if brackets is None else [int(b) for b in brackets]
    if not cycle or any(not 0 <= b <= s_max for b in cycle):
        raise ValueError(f"brackets: must be a non-empty list of values in 0..{s_max}, got {brackets}")
    total, final = budget * epochs[-1], epochs[-1]
    order = rng.permutation(len(bench))
    nxt = 0
    spent, charged = 0, 0.0
    best: tuple[int, float] = (-1, -np.inf)  # (rung, observed) of the incumbent
    inc = (-1, -1, float("nan"))  # (id, seed column, observed)
    units: list[tuple[int, int, float, float]] = []  # per full training's epochs: incumbent, seed, obs, s
    stop = False

    def train(i: int, j: int, rung: int, start: int) -> float | None:
        nonlocal spent, charged, best, inc
        cost = epochs[rung] - (epochs[start] if start >= 0 else 0)
        if spent + cost > total:
            return None
        spent += cost
        charged += float(cpu[i, j]) * cost / final
        val = float(accs[rung][i, j])
        if (rung, val) > best:
            best, inc = (rung, val), (i, j, val)
        while len(units) < spent // final:
            units.append((*inc, charged))
        return val

    while not stop and nxt < len(order):
        for s in cycle:
            n = int(np.ceil((s_max + 1) / (s + 1) * eta**s))
            ids = [int(i) for i in order[nxt : nxt + n]]
            nxt += len(ids)
            if not ids:
                stop = True
                break
            cols = {i: int(rng.integers(accs[0].shape[1])) for i in ids}
            rung, prev = s_max - s, -1
            alive = ids
            while True:
                obs = []
                for i in alive:
                    v = train(i, cols[i], rung, prev)
                    if v is None:
                        stop = True
                        break
                    obs.append((v, i))
                if stop or rung == s_max:
                    break
                keep = max(1, len(alive) // eta)
                alive = [i for _, i in sorted(obs, key=lambda t: -t[0])[:keep]]  # stable: ties -> earlier
                rung, prev = rung + 1, rung
            if stop:
                break
    while len(units) < budget:
        units.append((*inc, charged))
    a = np.array([u[0] for u in units], dtype=np.int64)
    label = "successive halving" if brackets is not None and list(cycle) == [s_max] else "hyperband"
    return SearchTrace(
        method=label,
        seed=int(seed),
        arch=a,
        seed_used=np.array([u[1] for u in units], dtype=np.int64),
        observed=np.array([u[2] for u in units], dtype=np.float64),
        incumbent=a.copy(),
        charged_s=np.array([u[3] for u in units], dtype=np.float64),
    )


def successive_halving(objective: TableObjective, budget: int, seed: int, eta: int = 3) -> SearchTrace:
    """Successive halving (Jamieson & Talwalkar 2016), repeated: Hyperband's most aggressive bracket only
    (every config starts at the lowest rung, 2 epochs); see `hyperband`."""
    s_max = len(fidelities(objective.bench)[0]) - 1
    return hyperband(objective, budget, seed, eta=eta, brackets=(s_max,))


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


PREDICTOR_LABELS = {"rf": "smac-like (RF)", "mlp": "bananas-like (MLP)"}
PREDICTOR_FITS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "rf": _fit_predict_rf,
    "mlp": _fit_predict_mlp,
}


def _predictor_rounds(
    objective: TableObjective,
    budget: int,
    seed: int,
    model: str = "rf",
    n_init: int = 10,
    batch: int = 10,
    n_random: int = 200,
    n_mutants: int = 50,
):
    """`predictor_guided` as a generator: it yields each round's fit request (X, y, X_candidates, rs) and
    expects (mean, sd, seconds) back; it returns the trace. Lets several runs fit their models together."""
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
        mean, sd, secs = yield (
            feats[rec.arch],
            np.asarray(rec.observed),
            feats[cand],
            int(rng.integers(2**31 - 1)),
        )
        rec.overhead += secs
        score = mean + sd * rng.standard_normal(len(cand))
        for k in np.argsort(-score, kind="stable")[:batch]:
            if rec.done:
                break
            rec.evaluate(int(cand[k]))
            seen[cand[k]] = True
    return rec.trace(PREDICTOR_LABELS[model], seed)


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
    """SMAC-like (model="rf") or BANANAS-like (model="mlp") search: random start, then rounds of fit
    ensemble -> Thompson-sample candidates -> evaluate the top `batch`. Candidates: `n_random` random unseen
    configs plus `n_mutants` distinct unseen mutants of the incumbent. Features: `space.encode`. Never
    re-evaluates a config. `predictor_guided_runs` makes several runs at once."""
    return predictor_guided_runs(objective, budget, [seed], model, n_init, batch, n_random, n_mutants)[0]


def predictor_guided_runs(
    objective: TableObjective,
    budget: int,
    seeds: Sequence[int],
    model: str = "rf",
    n_init: int = 10,
    batch: int = 10,
    n_random: int = 200,
    n_mutants: int = 50,
) -> list[SearchTrace]:
    """`predictor_guided` for every seed, the runs in lockstep: each round, the MLP ensembles of all runs
    are fitted as one batched computation (`predictors.fit_ensembles`; each fit as it would be alone, up to
    float rounding), and a random forest is fitted per run. A run's `overhead_s` is its share of the fit
    time (the batched fit's seconds split evenly over the runs in it)."""
    from selfrep.archsearch.predictors import fit_ensembles

    gens = [_predictor_rounds(objective, budget, s, model, n_init, batch, n_random, n_mutants) for s in seeds]
    out: list[SearchTrace | None] = [None] * len(gens)
    pending: dict[int, tuple] = {}

    def advance(k: int, reply=None) -> None:
        try:
            pending[k] = gens[k].send(reply) if reply is not None else next(gens[k])
        except StopIteration as stop:
            out[k] = stop.value

    for k in range(len(gens)):
        advance(k)
    while pending:
        reqs = dict(pending)
        pending.clear()
        ks = list(reqs)
        if model == "mlp":
            t0 = time.perf_counter()
            ens = fit_ensembles([reqs[k][0] for k in ks], [reqs[k][1] for k in ks], [reqs[k][3] for k in ks])
            dists = [e.predict_dist(reqs[k][2]) for e, k in zip(ens, ks, strict=True)]
            secs = (time.perf_counter() - t0) / len(ks)
            for k, (mean, sd) in zip(ks, dists, strict=True):
                advance(k, (mean, sd, secs))
        else:
            fit = PREDICTOR_FITS[model]
            for k in ks:
                t0 = time.perf_counter()
                mean, sd = fit(*reqs[k])
                advance(k, (mean, sd, time.perf_counter() - t0))
    return out  # type: ignore[return-value]


# --- optuna ------------------------------------------------------------------------------------------
OPTUNA_LABELS = {"tpe": "tpe (optuna)", "random": "random (optuna)"}


def import_optuna():
    """The optuna module, imported quietly: its progress-bar helper warns on import when no notebook
    widgets are installed (it draws no bar here), and its per-trial log is set to warnings only."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def optuna_search(objective: TableObjective, budget: int, seed: int, sampler: str = "tpe") -> SearchTrace:
    """Optuna's TPE (default settings: 10 random start-up trials, independent per-parameter densities) or
    random sampler through ask/tell on the same table objective (define-by-run: the widths of layers deeper
    than the sampled depth are not sampled). Optuna's own compute is `overhead_s`."""
    optuna = import_optuna()
    if sampler == "tpe":
        smp = optuna.samplers.TPESampler(seed=seed)
    elif sampler == "random":
        smp = optuna.samplers.RandomSampler(seed=seed)
    else:
        raise ValueError(f"sampler: must be 'tpe' or 'random', got {sampler!r}")
    rng = np.random.default_rng(seed)
    rec = _Recorder(objective, budget, rng)
    bench, space = objective.bench, objective.space
    t0 = time.perf_counter()
    study = optuna.create_study(direction="maximize", sampler=smp)
    while not rec.done:
        trial = study.ask()
        depth = trial.suggest_categorical("depth", list(space.depths))
        widths = tuple(trial.suggest_categorical(f"w{k}", list(space.widths)) for k in range(depth))
        act = trial.suggest_categorical("activation", list(space.activations))
        skip = trial.suggest_categorical("skip", list(space.skips))
        val = rec.evaluate(bench.index(ArchConfig(widths, act, skip)))
        study.tell(trial, val)
    rec.overhead = time.perf_counter() - t0
    return rec.trace(OPTUNA_LABELS[sampler], seed)


STRATEGIES: dict[str, Callable[..., SearchTrace]] = {
    "random": random_search,
    "grid": grid_search,
    "evolution": regularized_evolution,
    "local": local_search,
    "predictor": predictor_guided,
    "optuna": optuna_search,
}
# strategies whose trace has one entry per full training's worth of epochs, not per evaluation
MULTI_FIDELITY: dict[str, Callable[..., SearchTrace]] = {
    "hyperband": hyperband,
    "successive_halving": successive_halving,
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
    known = {**STRATEGIES, **MULTI_FIDELITY}
    if method not in known:
        raise ValueError(f"method: unknown strategy {method!r} (known: {sorted(known)})")
    fn = known[method]
    if repeats < 1:
        raise ValueError(f"repeats: must be >= 1, got {repeats}")
    if method == "predictor":  # all runs in lockstep, so that their model fits can be batched
        runs = predictor_guided_runs(objective, budget, range(seed0, seed0 + repeats), **options)
    else:
        runs = [fn(objective, budget, seed0 + r, **options) for r in range(repeats)]
    out = []
    for t in runs:
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
