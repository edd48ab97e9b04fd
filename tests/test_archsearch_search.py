"""Search strategies on a synthetic table: determinism, budget accounting, correctness on small spaces."""

import numpy as np
import pytest

from selfrep.archsearch.bench import synthetic_bench
from selfrep.archsearch.search import (
    STRATEGIES,
    TableObjective,
    accuracy_step,
    bootstrap_se_median,
    default_grid,
    difference,
    fidelities,
    floored_se,
    grid_search,
    hyperband,
    incumbent_curves,
    local_search,
    maximin_order,
    optuna_search,
    predictor_guided,
    random_search,
    regularized_evolution,
    run_repeats,
    successive_halving,
    summarize,
    tied_best,
)
from selfrep.archsearch.space import SearchSpace

SMALL = SearchSpace(depths=(1, 2, 3), widths=(16, 64), activations=("relu", "sigmoid"))
FAST = {"predictor": {"n_init": 5, "batch": 5, "n_random": 30, "n_mutants": 10}, "grid": {"order": "fixed"}}


@pytest.fixture(scope="module")
def bench():
    return synthetic_bench(SMALL, seeds=(0, 1, 2), seed=1)


@pytest.mark.parametrize("method", sorted(STRATEGIES))
def test_same_seed_same_trace_and_budget_accounting(bench, method):
    obj = TableObjective(bench)
    kw = FAST.get(method, {})
    a = STRATEGIES[method](obj, 20, 7, **kw)
    b = STRATEGIES[method](obj, 20, 7, **kw)
    assert a.same_as(b)
    c = STRATEGIES[method](obj, 20, 8, **kw)
    if method != "grid":  # order="fixed": the grid's order is fixed; only the observation noise differs
        assert not np.array_equal(a.arch, c.arch)
    assert a.evaluations == 20
    # charged seconds are the table's seconds of exactly the runs made
    j = a.seed_used
    assert np.allclose(a.charged_s, np.cumsum(bench.cpu_s[a.arch, j]))
    assert np.array_equal(a.observed, bench.val[a.arch, j])
    # the incumbent is the first best observation so far
    for k in range(a.evaluations):
        best = int(np.argmax(a.observed[: k + 1]))
        assert a.incumbent[k] == a.arch[best]


def test_random_search_with_full_budget_finds_the_best(bench):
    obj = TableObjective(bench, noise="mean")
    t = random_search(obj, len(bench), 3)
    assert sorted(t.arch) == list(range(len(bench)))  # without replacement
    assert bench.val_mean[t.incumbent[-1]] == bench.val_mean.max()
    assert t.observed.max() == bench.val_mean.max()
    # budget larger than the space: stops at the space
    assert random_search(obj, len(bench) + 10, 3).evaluations == len(bench)


def test_random_search_in_a_subspace(bench):
    ids = [1, 5, 9]
    t = random_search(TableObjective(bench), 10, 0, candidates=ids)
    assert sorted(t.arch) == ids
    with pytest.raises(ValueError, match="candidates"):
        random_search(TableObjective(bench), 10, 0, candidates=[len(bench)])


def test_grid_order_is_space_filling_and_grid_stops_when_exhausted(bench):
    grid = default_grid(SMALL)
    assert len(grid) == 3 * 2 * 2 * 2
    order = maximin_order(grid, SMALL)
    assert sorted(order) == list(range(len(grid)))
    first, second = grid[order[0]], grid[order[1]]
    # the second point is the opposite corner on every axis
    assert (first.depth, second.depth) == (1, 3) and first.widths[0] != second.widths[0]
    assert first.activation != second.activation and first.skip != second.skip
    t = grid_search(TableObjective(bench), 100, 0)
    assert t.evaluations == len(grid)


def test_grid_in_random_order_differs_per_repeat_and_stays_space_filling(bench):
    grid = default_grid(SMALL)
    rng = np.random.default_rng(0)
    orders = [maximin_order(grid, SMALL, rng) for _ in range(5)]
    assert all(sorted(o) == list(range(len(grid))) for o in orders)
    assert len({tuple(o) for o in orders}) > 1  # a random start and random tie-breaks
    for o in orders:  # still space-filling: the second point is the opposite corner on every axis
        a, b = grid[o[0]], grid[o[1]]
        assert a.activation != b.activation and a.skip != b.skip and a.widths[0] != b.widths[0]
        assert abs(a.depth - b.depth) == 2 or 2 in (a.depth, b.depth)
    obj = TableObjective(bench)
    assert not np.array_equal(grid_search(obj, 10, 0).arch, grid_search(obj, 10, 1).arch)
    assert np.array_equal(
        grid_search(obj, 10, 0, order="fixed").arch, grid_search(obj, 10, 1, order="fixed").arch
    )
    with pytest.raises(ValueError, match="order"):
        grid_search(obj, 10, 0, order="sorted")


def test_neighbors_are_exactly_the_one_edit_configs():
    space = SMALL
    for cfg in space.configs()[::7]:
        nb = space.neighbors(cfg)
        assert len(nb) == len(set(nb)) and cfg not in nb
        assert all(space.contains(c) and _one_edit(cfg, c) for c in nb)
        rng = np.random.default_rng(0)
        assert {space.mutate(cfg, rng) for _ in range(300)} <= set(nb)
        others = [c for c in space.configs() if c != cfg and _one_edit(cfg, c)]
        assert set(others) == set(nb)


def test_local_search_moves_only_to_better_neighbours_and_restarts_at_optima(bench):
    obj = TableObjective(bench, noise="mean")
    t = local_search(obj, 40, 4)
    canon = bench.canonical_index
    assert len(set(canon[t.arch].tolist())) == t.evaluations == 40  # never re-evaluates a twin
    # replay: every evaluation is a neighbour of the current point, or a restart after a local optimum
    cur, cur_v, tried = t.arch[0], t.observed[0], set()
    restarts = 0
    for i, v in zip(t.arch[1:], t.observed[1:], strict=True):
        nb = {canon[bench.index(c)] for c in bench.space.neighbors(bench.configs[cur])}
        if canon[i] in nb:
            tried.add(canon[i])
            if v > cur_v:
                cur, cur_v, tried = i, v, set()
        else:  # a restart: only once every unseen neighbour of the current point was tried (a local optimum)
            restarts += 1
            seen = set(canon[t.arch[: list(t.arch).index(i)]].tolist())
            assert nb <= seen
            cur, cur_v, tried = i, v, set()
    assert restarts >= 1
    # with the true means, the first point of every climb is improved on or is a local optimum
    assert bench.val_mean[t.incumbent[-1]] >= bench.val_mean[t.arch[0]]


def test_hyperband_accounts_epochs_and_keeps_the_highest_rung_incumbent(bench):
    epochs, accs = fidelities(bench)
    assert epochs == (2, 5, 10, 20) and accs[-1] is bench.val
    obj = TableObjective(bench)
    for fn in (hyperband, successive_halving):
        a, b = fn(obj, 15, 3), fn(obj, 15, 3)
        assert a.same_as(b) and a.evaluations == 15
        assert np.all(np.diff(a.charged_s) >= 0)
        # charged seconds never exceed the cost of the full trainings the epochs could buy
        assert a.charged_s[-1] <= 15 * bench.cpu_s.max() + 1e-9
        assert np.array_equal(a.arch, a.incumbent)
    # successive halving's first bracket: 27 configs at 2 epochs = 54 epochs = 2.7 full trainings, so the
    # first two entries hold a 2-epoch observation
    t = successive_halving(obj, 15, 0)
    assert t.observed[0] == accs[0][t.arch[0], t.seed_used[0]]
    # noise-free and with the whole space's budget, Hyperband finds the best configuration
    full = hyperband(TableObjective(bench, noise="mean"), len(bench), 1)
    assert bench.val_mean[full.incumbent[-1]] == bench.val_mean.max()
    tr = run_repeats(obj, "hyperband", 10, 3)
    assert [x.method for x in tr] == ["hyperband"] * 3
    assert summarize(tr, bench, [10])["evals"].iloc[0] == 10
    with pytest.raises(ValueError, match="brackets"):
        hyperband(obj, 10, 0, brackets=(7,))
    with pytest.raises(ValueError, match="eta"):
        hyperband(obj, 10, 0, eta=1)


def test_evolution_replaces_the_oldest_and_mutates_from_the_population(bench):
    obj = TableObjective(bench, noise="mean")
    t = regularized_evolution(obj, 40, 2, population=5, sample=2)
    space = bench.space
    for k in range(5, 40):
        child = bench.configs[t.arch[k]]
        window = [bench.configs[i] for i in t.arch[k - 5 : k]]  # the population just before step k
        assert any(_one_edit(p, child) for p in window)
    with pytest.raises(ValueError, match="sample"):
        regularized_evolution(obj, 10, 0, population=4, sample=5)
    assert space.contains(bench.configs[t.incumbent[-1]])


def _one_edit(a, b):
    if a.activation != b.activation:
        return (a.widths, a.skip) == (b.widths, b.skip)
    if a.skip != b.skip:
        return a.widths == b.widths
    if a.depth == b.depth:
        return sum(x != y for x, y in zip(a.widths, b.widths, strict=True)) == 1
    short, long_ = sorted((a.widths, b.widths), key=len)
    return len(long_) == len(short) + 1 and any(
        long_[:i] + long_[i + 1 :] == short for i in range(len(long_))
    )


def test_predictor_never_reevaluates_and_records_overhead(bench):
    for model in ("rf", "mlp"):
        t = predictor_guided(TableObjective(bench), 30, 0, model=model, **FAST["predictor"])
        assert len(set(t.arch.tolist())) == 30
        assert t.overhead_s > 0
    with pytest.raises(ValueError, match="model"):
        predictor_guided(TableObjective(bench), 30, 0, model="gp")


def test_predictor_runs_in_lockstep_equal_the_runs_made_alone(bench):
    """run_repeats fits the MLP ensembles of all its runs as one batched computation; each run's trace is
    the one it makes alone with `MLPEnsembleRegressor.fit` (one fit at a time)."""
    import time

    from selfrep.archsearch import search
    from selfrep.archsearch.predictors import MLPEnsembleRegressor, fit_ensembles

    obj = TableObjective(bench)
    opts = FAST["predictor"]

    def alone(seed):
        g = search._predictor_rounds(obj, 30, seed, "mlp", **opts)
        req = next(g)
        while True:
            t0 = time.perf_counter()
            mean, sd = MLPEnsembleRegressor(seed=req[3]).fit(req[0], req[1]).predict_dist(req[2])
            try:
                req = g.send((mean, sd, time.perf_counter() - t0))
            except StopIteration as stop:
                return stop.value

    batched = run_repeats(obj, "predictor", 30, 3, 0, model="mlp", **opts)
    for k, t in enumerate(batched):
        a = alone(k)
        assert np.array_equal(a.arch, t.arch) and np.array_equal(a.incumbent, t.incumbent)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 4)), rng.normal(size=20)
    one = MLPEnsembleRegressor(seed=5).fit(X, y).predict_dist(X)
    many = fit_ensembles([X * 3, X], [y, y], [1, 5])[1].predict_dist(X)
    assert np.allclose(one[0], many[0], atol=1e-5) and np.allclose(one[1], many[1], atol=1e-5)
    with pytest.raises(ValueError, match="seed"):
        fit_ensembles([X], [y], [1, 2])


def test_summary_and_curves(bench):
    obj = TableObjective(bench)
    traces = run_repeats(obj, "random", 20, 6) + run_repeats(obj, "grid", 20, 6)
    df = summarize(traces, bench, [5, 20])
    assert list(df["method"]) == ["random", "random", "grid", "grid"]
    r = df.set_index(["method", "budget"])
    assert r.loc[("random", 20), "mean"] >= r.loc[("random", 5), "mean"]
    assert r.loc[("random", 20), "evals"] == 20
    assert (df["se"] > 0).all() and (df["regret"] >= 0).all()
    curves = incumbent_curves(traces, bench)
    assert len(curves) == 12 * 20
    assert (curves.groupby(["method", "seed"])["test_acc"].count() == 20).all()
    d, se = difference(traces[:6], traces[6:], bench, 20)
    assert np.isfinite(d) and se > 0
    with pytest.raises(ValueError, match="method"):
        run_repeats(obj, "bayes", 5, 2)


def test_optuna_tpe_is_deterministic_and_pinned(bench):
    import optuna  # a pinned test dependency: never skipped

    assert optuna.__version__ == "5.0.0"
    obj = TableObjective(bench)
    a = optuna_search(obj, 15, 0, "tpe")
    assert a.same_as(optuna_search(obj, 15, 0, "tpe")) and a.evaluations == 15
    assert a.method == "tpe (optuna)" and a.overhead_s > 0
    # after its random start-up trials TPE concentrates: noise-free, it finds better configs than chance
    b = optuna_search(TableObjective(bench, noise="mean"), 60, 0, "tpe")
    assert bench.val_mean[b.arch[30:]].mean() > bench.val_mean.mean()
    with pytest.raises(ValueError, match="sampler"):
        optuna_search(obj, 5, 0, "cmaes")


def test_standard_errors_are_floored_at_the_measurement_step(bench):
    assert accuracy_step(bench) == pytest.approx(1 / (360 * 3))
    same = np.full(5, 0.97)
    assert floored_se(same) == 0 and floored_se(same, 0.01) == pytest.approx(0.01 / np.sqrt(5))
    x = np.array([0.9, 1.0, 0.95])
    assert floored_se(x, 1e-6) == pytest.approx(x.std(ddof=1) / np.sqrt(3))
    assert np.isnan(floored_se(np.array([1.0])))
    assert bootstrap_se_median(same, step=0.01) == pytest.approx(0.01 / np.sqrt(5))


def test_tied_best_keeps_ties_and_drops_the_detectably_worse():
    import pandas as pd

    rows = pd.DataFrame(
        {
            "method": ["a", "b", "c"],
            "budget": [10, 10, 10],
            "mean": [0.970, 0.9695, 0.95],
            "se": [0.0005, 0.0005, 0.001],
            "median": [0.97, 0.97, 0.95],
            "median_se": [0.0003, 0.0003, 0.001],
        }
    )
    assert tied_best(rows, "mean") == ["a", "b"]
    assert set(tied_best(rows, "median")) == {"a", "b"}
    with pytest.raises(ValueError, match="stat"):
        tied_best(rows, "max")
    with pytest.raises(ValueError, match="summary"):
        tied_best(pd.concat([rows, rows.assign(budget=20)]), "mean")
