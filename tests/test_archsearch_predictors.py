"""Meta-predictors and zero-cost proxies: shapes, determinism, sanity on a synthetic table."""

import numpy as np
import pytest
import torch

from selfrep.archsearch.bench import synthetic_bench
from selfrep.archsearch.predictors import (
    MODELS,
    MLPEnsembleRegressor,
    encode_raw,
    extrapolation,
    fit_predict,
    learning_curve,
    naswot_score,
    proxy_scores,
    proxy_table,
    rank_scores,
)
from selfrep.archsearch.space import ArchConfig, SearchSpace

SMALL = SearchSpace(depths=(1, 2, 3), widths=(16, 64), activations=("relu", "sigmoid"))


@pytest.fixture(scope="module")
def bench():
    return synthetic_bench(SMALL, seeds=(0, 1, 2), seed=2)


def test_rank_scores_perfect_and_reversed():
    true = np.linspace(0, 1, 50)
    s = rank_scores(true * 2, true)
    assert s["tau"] == pytest.approx(1) and s["spearman"] == pytest.approx(1)
    assert s["tau_top20"] == pytest.approx(1) and s["mae"] == pytest.approx(np.mean(true))
    assert rank_scores(-true, true)["tau"] == pytest.approx(-1)


@pytest.mark.parametrize("model", MODELS)
def test_fit_predict_shapes_and_determinism(bench, model):
    cs = bench.configs[:20]
    y = bench.val[:20, 0]
    p1, t1 = fit_predict(model, cs, y, bench.configs[20:], seed=3)
    p2, _ = fit_predict(model, cs, y, bench.configs[20:], seed=3)
    assert p1.shape == (len(bench) - 20,) and t1 >= 0
    assert np.array_equal(p1, p2)


def test_mlp_ensemble_learns_a_linear_function():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 3
    m = MLPEnsembleRegressor(seed=1, steps=400).fit(X, y)
    mean, sd = m.predict_dist(X)
    assert mean.shape == sd.shape == (80,) and (sd >= 0).all()
    assert np.corrcoef(mean, y)[0, 1] > 0.98


def test_learning_curve_rows_and_the_random_forest_learns(bench):
    df = learning_curve(bench, models=("ridge", "rf"), ns=(10, 40), repeats=2, seed=0)
    assert len(df) == 2 * 2 * 2
    assert set(df.columns) >= {"tau", "tau_top20", "spearman", "mae", "fit_s"}
    # on the synthetic table accuracy is a simple function of the description
    assert df[(df["model"] == "rf") & (df["n"] == 40)]["tau"].mean() > 0.5
    with pytest.raises(ValueError, match="ns"):
        learning_curve(bench, ns=(10_000,), repeats=2)


def test_naswot_score_and_proxy_table(bench):
    X = torch.rand(16, 64, generator=torch.Generator().manual_seed(0))
    a = naswot_score(ArchConfig((64, 64), "relu"), X)
    assert a == naswot_score(ArchConfig((64, 64), "relu"), X) and np.isfinite(a)
    # a wider net separates inputs at least as well: its kernel has more units
    assert naswot_score(ArchConfig((16,), "relu"), X) < a
    scores = proxy_scores(bench, batch=16, limit=12)
    assert len(scores) == 12
    t = proxy_table(scores).set_index("proxy")
    assert list(t.index) == ["n_params", "val_acc_e2", "naswot", "seed0_val"]
    assert t["tau"].between(-1, 1).all()


def test_encode_raw_is_unscaled():
    X = encode_raw([ArchConfig((128, 16), "tanh")])
    assert X[0, 1] == 128 and X[0, -1] == ArchConfig((128, 16), "tanh").n_params()


def test_default_mlps_see_the_raw_description_one_of_them_standardised(bench):
    from selfrep.archsearch.predictors import features, make_model

    cfgs = [ArchConfig((128, 16), "tanh"), ArchConfig((16,), "relu")]
    assert np.array_equal(features("mlp_default", cfgs), features("mlp_untuned", cfgs))
    steps = [type(s).__name__ for _, s in make_model("mlp_default", 0).steps]
    assert steps == ["StandardScaler", "MLPRegressor"]


def test_extrapolation_settings(bench):
    df = extrapolation(bench, models=("ridge",), repeats=2, max_train_depth=1, test_depth=3)
    assert set(df["setting"]) == {"extrapolate", "interpolate"}
    n = df.groupby("setting")["n_train"].first()
    assert n["extrapolate"] == n["interpolate"]
