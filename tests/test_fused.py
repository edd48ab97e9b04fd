"""The fused (column-form, optionally compiled) weightwise kernels agree with the eager reference path."""

from __future__ import annotations

import pytest
import torch

import selfrep as sr
from selfrep import fused
from selfrep.shuffle import draw_keys, orders_from_keys

VARIANTS = [
    ("linear", False, "input_major", "scaled"),
    ("linear", False, "output_major", "raw"),
    ("tanh", True, "input_major", "scaled"),
    ("relu", True, "output_major", "scaled"),
    ("sigmoid", False, "input_major", "raw"),
]


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_fused_fisher_yates_equals_eager_orders():
    keys = draw_keys(5000, gen())
    cols = fused._fisher_yates(keys, 14)
    assert torch.equal(torch.stack(cols, dim=1), orders_from_keys(keys, 14))


@pytest.mark.parametrize("activation,bias,order,positions", VARIANTS)
@pytest.mark.parametrize(
    "step_kind,momentum", [("epoch", 0.0), ("epoch", 0.9), ("batch", 0.0), ("batch", 0.5)]
)
def test_fused_step_matches_eager(activation, bias, order, positions, step_kind, momentum):
    red = sr.make_reduction("weightwise", activation=activation, bias=bias, order=order, positions=positions)
    cfg = sr.TrainConfig(step=step_kind, momentum=momentum)
    w0 = sr.init_population(red.arch, 64, generator=gen(1), dtype=torch.float64)
    ref_state = sr.train_init(w0, cfg)
    fus_state = sr.train_init(w0, cfg)
    g_ref, g_fus = gen(2), gen(2)
    for _ in range(3):
        x, y = red.training_pairs(ref_state.weights)
        ref_state = sr.fit_pairs(ref_state, red, x, y, cfg, g_ref)
        fus_state = fused.train_step(fus_state, red, cfg, g_fus, compiled=False)
    torch.testing.assert_close(fus_state.weights, ref_state.weights, rtol=1e-9, atol=1e-11, equal_nan=True)
    if momentum:
        torch.testing.assert_close(
            fus_state.velocity, ref_state.velocity, rtol=1e-9, atol=1e-11, equal_nan=True
        )
    assert torch.equal(g_ref.get_state(), g_fus.get_state())  # same random stream consumed


@pytest.mark.parametrize("activation,bias,order,positions", VARIANTS)
def test_fused_apply_matches_eager(activation, bias, order, positions):
    red = sr.make_reduction("weightwise", activation=activation, bias=bias, order=order, positions=positions)
    a = torch.randn(32, red.arch.n_weights, generator=gen(3), dtype=torch.float64)
    v = torch.randn(32, red.arch.n_weights, generator=gen(4), dtype=torch.float64)
    torch.testing.assert_close(
        fused.apply(a, v, red, compiled=False), red.apply(a, v), rtol=1e-12, atol=1e-12
    )


@pytest.mark.slow
@pytest.mark.skipif(not fused.available(), reason="torch.compile has no working C++ compiler here")
def test_compiled_kernels_match_eager():
    """One compile per kernel kind (each costs ~10-60 s cold); float32 as used in practice."""
    red = sr.make_reduction("weightwise")
    w0 = sr.init_population(red.arch, 257, generator=gen(5))
    for step_kind, momentum in [("epoch", 0.0), ("batch", 0.9)]:
        eager_cfg = sr.TrainConfig(step=step_kind, momentum=momentum)
        comp_cfg = sr.TrainConfig(step=step_kind, momentum=momentum, backend="compiled")
        a = sr.self_train(w0, red, 5, eager_cfg, gen(6))
        b = sr.self_train(w0, red, 5, comp_cfg, gen(6))
        torch.testing.assert_close(b.weights, a.weights, rtol=1e-4, atol=1e-5)
        # a different population size reuses the dynamic-shape kernel
        c = sr.self_train(w0[:31], red, 2, comp_cfg, gen(7))
        d = sr.self_train(w0[:31], red, 2, eager_cfg, gen(7))
        torch.testing.assert_close(c.weights, d.weights, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(
        sr.self_apply(w0, red, 3, backend="compiled"),
        sr.self_apply(w0, red, 3),
        rtol=1e-4,
        atol=1e-5,
        equal_nan=True,
    )
