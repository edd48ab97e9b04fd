"""The fixpoint family of the linear weightwise net (selfrep.analysis.family; chapter 3, issue 12)."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from selfrep.analysis import family as fam
from selfrep.chapters import weight_space as ch
from selfrep.chapters.weight_space.claims import CLAIMS
from selfrep.fixpoints import FixpointKind, classify
from selfrep.nets import init_population
from selfrep.reductions import make_reduction
from selfrep.training import self_train

CFG = ch.PRESETS["ci"]
RED = ch.reduction(CFG)


@pytest.fixture(scope="module")
def trained() -> torch.Tensor:
    """12 float64 weightwise nets self-trained 3,000 steps: members of the identity family."""
    g = torch.Generator().manual_seed(3)
    w = init_population(RED.arch, 12, "pytorch", generator=g).to(torch.float64)
    w = self_train(w, RED, 3000, ch.train_config(CFG), g).weights
    assert (classify(w, RED) == int(FixpointKind.NONZERO)).all()
    return w


def test_closed_form_jacobian_matches_autodiff():
    w = torch.randn(6, RED.arch.n_weights, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for order in (1, 2):
        assert torch.allclose(fam.jacobian(w, RED, order), fam.jacobian_ad(w, RED, order), atol=1e-10)


def test_trained_fixpoints_compute_identity_and_span_a_ten_dimensional_family(trained):
    a = fam.end_to_end_map(trained, RED)
    assert torch.allclose(a, torch.tensor([1.0, 0, 0, 0], dtype=torch.float64).expand_as(a), atol=1e-5)
    rk = fam.numerical_rank(fam.jacobian(trained, RED), CFG.rank_rtol)
    assert (rk.rank == 4).all()  # the four entries of a: dimension 14 - 4 = 10
    assert (rk.singular[:, 3] > 1e3 * rk.singular[:, 4]).all()


def test_projection_is_the_tangent_part(trained):
    jac = fam.jacobian(trained, RED)
    delta = 1e-3 * torch.randn(trained.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    kept = fam.tangent_projection(jac, delta, 4)
    assert torch.allclose(torch.einsum("pij,pj->pi", jac, kept), torch.zeros_like(kept), atol=1e-9)
    assert torch.allclose(fam.tangent_projection(jac, kept, 4), kept, atol=1e-12)  # idempotent
    assert (kept.norm(dim=1) < delta.norm(dim=1)).all()


def test_retraining_a_clone_lands_where_the_projection_predicts(trained):
    g = torch.Generator().manual_seed(2)
    delta = 1e-3 * (2 * torch.rand(trained.shape, generator=g, dtype=torch.float64) - 1)
    post = self_train(trained + delta, RED, 2500, ch.train_config(CFG), g).weights
    pred = fam.tangent_projection(fam.jacobian(trained, RED), delta, 4)
    measured = (post - trained).norm(dim=1) / delta.norm(dim=1)
    predicted = pred.norm(dim=1) / delta.norm(dim=1)
    assert (measured - predicted).abs().max() < 0.01


def test_constructed_second_order_fixpoints(trained):
    neg = fam.negated_identity(RED)
    assert fam.end_to_end_map(neg, RED)[0].tolist() == [-1.0, 0.0, 0.0, 0.0]
    assert int(classify(neg, RED)[0]) == int(FixpointKind.SECOND_ORDER)
    flipped = fam.negate_last_layer(trained, RED)
    assert torch.allclose(fam.end_to_end_map(flipped, RED), -fam.end_to_end_map(trained, RED))
    assert (classify(flipped, RED) == int(FixpointKind.SECOND_ORDER)).all()


def test_search_finds_only_a0_minus_one_second_order_fixpoints():
    g = torch.Generator().manual_seed(4)
    starts = torch.randn(60, RED.arch.n_weights, generator=g, dtype=torch.float64)
    res = fam.least_squares_search(starts, RED, order=2, iters=60)
    labels = fam.solution_class(res)
    so = [i for i, label in enumerate(labels) if label.startswith("second order")]
    assert so, "the search should find second-order fixpoints"
    assert all(labels[i] == "second order, a₀ = −1" for i in so)
    rk = fam.numerical_rank(fam.jacobian(res.weights[so], RED, 2), 1e-6)
    assert (rk.rank == 1).all()  # one equation, a₀ = −1: a 13-dimensional set
    res1 = fam.least_squares_search(starts, RED, order=1, iters=60)
    off = [i for i, label in enumerate(fam.solution_class(res1)) if label == "off the family"]
    if off:  # fixpoints off the family are isolated (full rank)
        assert (fam.numerical_rank(fam.jacobian(res1.weights[off], RED), 1e-6).rank == 14).all()


def test_bad_input_names_the_parameter():
    w = torch.zeros(2, RED.arch.n_weights, dtype=torch.float64)
    with pytest.raises(ValueError, match="order"):
        fam.residual(w, RED, order=3)
    with pytest.raises(ValueError, match="rank"):
        fam.tangent_projection(torch.zeros(2, 14, 14), torch.zeros(2, 14), 15)
    with pytest.raises(ValueError, match="delta"):
        fam.tangent_projection(torch.zeros(2, 14, 14), torch.zeros(3, 14), 4)
    with pytest.raises(ValueError, match="rtol"):
        fam.numerical_rank(torch.zeros(2, 14, 14), 2.0)
    with pytest.raises(ValueError, match="iters"):
        fam.least_squares_search(w, RED, iters=0)
    with pytest.raises(ValueError, match="reduction"):
        fam.end_to_end_map(w, make_reduction("weightwise", activation="tanh"))


def test_config_rejects_bad_sweep():
    with pytest.raises(ValueError, match="sweep_candidates"):
        ch.WeightSpaceConfig(sweep_parents=5, sweep_candidates=4)
    with pytest.raises(ValueError, match="sweep_steps"):
        ch.WeightSpaceConfig(sweep_steps=())
    with pytest.raises(ValueError, match="rank_rtol"):
        ch.WeightSpaceConfig(rank_rtol=0)


def _claim(cid):
    return next(c for c in CLAIMS if c.id == cid)


def test_q1_rule_can_fail():
    base = {
        "q1_points": 10,
        "q1_within": 10,
        "q1_f64_border_first": 1e-8,
        "q1_f64_border_last": 1e-14,
        "q1_f64_drop": 6.0,
        "q1_f32_border_min": 1e-7,
        "q1_f32_border_max": 1e-6,
        "q1_steps_min": 1500,
        "q1_steps_max": 10000,
    }
    assert _claim("Q1").decide(base)[1] == "holds"
    assert _claim("Q1").decide({**base, "q1_within": 5})[1] == "partly"
    assert _claim("Q1").decide({**base, "q1_within": 5, "q1_f64_drop": 0.0})[1] == "differs"


def test_q6_and_p14_3_rules_can_fail():
    base = {
        "con_negid_ok": 2,
        "con_negid_n": 2,
        "search_starts": 500,
        "search2_so_neg": 10,
        "search2_so_other": 0,
        "search2_so_a0_dev_max": 1e-15,
        "search2_so_dim": 13,
        "census_nets": 100,
        "census_second_order": 0,
        "census_not_first_order": 3,
    }
    assert _claim("Q6").decide(base)[1] == "holds"
    assert _claim("Q6").decide({**base, "search2_so_other": 1})[1] == "differs"
    assert _claim("Q6").decide({**base, "search2_so_neg": 0})[1] == "differs"
    assert _claim("P14.3").decide(base)[1] == "holds"
    assert _claim("P14.3").decide({**base, "con_negid_ok": 1})[1] == "differs"
    assert _claim("P14.3").decide({**base, "census_second_order": 1})[1] == "differs"


def test_predicted_border_follows_the_remaining_distance():
    # two parents: one 1e-6 from the family, one 1e-10; children at three levels
    parents = pd.DataFrame({"parent": [0, 1], "l1": [1e-6, 1e-10], "sigma_rank": [1.0, 1.0]})
    children = pd.DataFrame(
        {
            "dtype": "float64",
            "parent": [0, 0, 0, 1, 1, 1],
            "level": [1e-4, 1e-7, 1e-11, 1e-4, 1e-7, 1e-11],
            "pre": [5e-5, 5e-8, 5e-12, 5e-5, 5e-8, 5e-12],
            "movement": ["approaching"] * 6,
        }
    )
    pred = ch.predicted_movement(children, parents)
    assert pred["movement"].tolist() == ["approaching", "distancing", "distancing"] + [
        "approaching",
        "approaching",
        "distancing",
    ]


def test_border_sweep_figure_fits_the_column():
    from selfrep import plotting as pl

    table = pd.DataFrame(
        {
            "steps": [1500, 1500, 10000, 10000],
            "dtype": ["float32", "float64", "float32", "float64"],
            "border": [1e-6, 1e-8, 1e-7, 1e-14],
            "predicted": [1e-7, 1e-8, 1e-7, 1e-14],
            "normal_distance": [4e-7, 2e-8, 4e-7, 0.0],
        }
    )
    fig = pl.border_sweep(table, level_min=1e-13)
    assert fig.get_figwidth() <= 7.5 and len(fig.axes[0].lines) == 7  # 3 per float type + the floor
