"""Live hyperparameter search and the trainable-L2 / hypergradient mechanics."""

import math

import numpy as np
import pandas as pd
import pytest

from selfrep.archsearch import hpo
from selfrep.archsearch.hpo import (
    L2Config,
    grid_points,
    hpo_incumbents,
    importance,
    l2_run,
    random_points,
)

FAST = L2Config(widths=(16,), epochs=3, lr=0.5)


def test_grid_points_are_cell_centres():
    pts = grid_points(3)
    assert len(pts) == 27
    lrs = sorted({p["lr"] for p in pts})
    assert np.allclose(np.log10(lrs), [-3.5, -2.5, -1.5])
    assert sorted({p["dropout"] for p in pts}) == pytest.approx([1 / 12, 0.25, 5 / 12])
    with pytest.raises(ValueError, match="levels"):
        grid_points(0)


def test_random_points_deterministic_and_in_range():
    a = random_points(50, np.random.default_rng(4))
    assert a == random_points(50, np.random.default_rng(4))
    assert all(1e-4 <= p["lr"] <= 1e-1 and 1e-6 <= p["weight_decay"] <= 1e-2 for p in a)
    assert len({p["lr"] for p in a}) == 50


def test_importance_finds_the_one_that_matters():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(random_points(120, rng))
    df["val_acc"] = 0.9 - 0.1 * (np.log10(df["lr"]) + 2.5) ** 2 + 0.001 * rng.standard_normal(len(df))
    imp = importance(df)
    assert imp["lr"] > 0.8 and imp["weight_decay"] < 0.05 and imp["dropout"] < 0.05


def test_incumbents_pick_best_validation():
    df = pd.DataFrame(
        {
            "method": ["grid"] * 3,
            "repeat": 0,
            "lr": [1e-3, 1e-2, 1e-1],
            "weight_decay": 1e-4,
            "dropout": 0.1,
            "val_acc": [0.5, 0.9, 0.9],
            "test_acc": [0.4, 0.8, 0.7],
        }
    )
    inc = hpo_incumbents(df)
    assert inc.loc[0, "best_lr"] == 1e-2 and inc.loc[0, "test_acc"] == 0.8
    assert inc.loc[0, "distinct_lr"] == 3


def test_trainable_l2_decreases_and_none_stays_zero():
    h, f = l2_run("trainable", 0, FAST)
    assert (np.diff(h["lam"]) < 0).all() and f["lam"] < FAST.lam0
    hn, fn = l2_run("none", 0, FAST)
    assert (hn["lam"] == 0).all()
    hf, ff = l2_run("fixed", 0, FAST)
    assert ff["lam"] == pytest.approx(FAST.lam0)
    # with lam0 tiny, fixed decay is (nearly) no decay: same trajectory as "none"
    tiny = L2Config(widths=(16,), epochs=3, lr=0.5, lam0=1e-12)
    assert l2_run("fixed", 0, tiny)[1]["val_loss"] == pytest.approx(fn["val_loss"], rel=1e-4)


def test_hypergradient_is_deterministic_and_moves_lam():
    h1, f1 = l2_run("hypergradient", 1, FAST)
    h2, f2 = l2_run("hypergradient", 1, FAST)
    assert h1["lam"].tolist() == h2["lam"].tolist() and f1["val_loss"] == f2["val_loss"]
    assert f1["lam"] != pytest.approx(FAST.lam0)
    assert math.isfinite(f1["test_loss"])
    with pytest.raises(ValueError, match="mode"):
        l2_run("adam", 0, FAST)


def test_one_step_hypergradient_matches_finite_differences():
    import copy

    import torch
    from torch import nn

    from selfrep.archsearch.data import load_digits_split
    from selfrep.archsearch.hpo import sgd_l2_step
    from selfrep.archsearch.space import ArchConfig, build_mlp

    torch.set_default_dtype(torch.float64)
    try:
        d = load_digits_split()
        X, y = d.X_train[:64].double(), d.y_train[:64]
        Xv, yv = d.X_val.double(), d.y_val
        base = build_mlp(ArchConfig((32,), "relu"), 0).double()
        lam, lr, eps = 0.05, 0.5, 1e-6
        grads = torch.autograd.grad(nn.functional.cross_entropy(base(X), y), list(base.parameters()))

        def val_loss_after(lam_):
            m = copy.deepcopy(base)
            sgd_l2_step(m, grads, lam_, lr)
            with torch.no_grad():
                return nn.functional.cross_entropy(m(Xv), yv).item()

        analytic = sgd_l2_step(copy.deepcopy(base), grads, lam, lr, (Xv, yv))
        numeric = (val_loss_after(lam + eps) - val_loss_after(lam - eps)) / (2 * eps)
        assert analytic == pytest.approx(numeric, rel=1e-5)
        # and the step itself: weights shrink by lr * lam * w on top of the gradient step
        m = copy.deepcopy(base)
        sgd_l2_step(m, grads, lam, lr)
        w0, g0 = base.layers[0].weight, grads[0]
        assert torch.allclose(m.layers[0].weight, w0 - lr * (g0 + lam * w0))
        assert torch.allclose(m.layers[0].bias, base.layers[0].bias - lr * grads[1])
    finally:
        torch.set_default_dtype(torch.float32)


def test_population_trainer_follows_the_one_at_a_time_trainer():
    """A member of the batched population sees the same init, minibatches, dropout masks and Adam steps as
    `train_mlp` alone, so its accuracies agree up to float rounding (at most one digit of 360 here)."""
    pts = [
        {"lr": lr, "weight_decay": wd, "dropout": p}
        for lr in (1e-3, 3e-2)
        for wd in (0.0, 1e-3)
        for p in (0.0, 0.3)
    ]
    a = hpo.hpo_trials(pts, 1, epochs=2, batched=True)
    b = hpo.hpo_trials(pts, 1, epochs=2, batched=False)
    assert np.allclose(a["val_acc"], b["val_acc"], atol=1.01 / 359)
    assert np.allclose(a["test_acc"], b["test_acc"], atol=1.01 / 360)
    assert (a["val_acc"] > 0.3).all()


def test_population_trainer_validates_and_isolates_members():
    with pytest.raises(ValueError, match="points"):
        hpo.train_population(hpo.HPO_ARCH, 0, [])
    with pytest.raises(ValueError, match="dropout"):
        hpo.train_population(hpo.HPO_ARCH, 0, [{"lr": 1e-3, "weight_decay": 0.0, "dropout": 1.0}])
    ok = {"lr": 1e-3, "weight_decay": 0.0, "dropout": 0.1}
    bad = {"lr": 1e6, "weight_decay": 0.0, "dropout": 0.0}  # diverges
    alone = hpo.train_population(hpo.HPO_ARCH, 0, [ok], epochs=1)[0]
    both = hpo.train_population(hpo.HPO_ARCH, 0, [bad, ok], epochs=1)
    # a diverging member does not disturb the others' gradients
    assert not both[1]["diverged"] and math.isclose(both[1]["val_acc"], alone["val_acc"], abs_tol=1.01 / 359)
    assert both[0]["diverged"] or both[0]["val_acc"] < 0.5
