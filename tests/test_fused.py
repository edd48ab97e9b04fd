"""The fused weightwise kernels (column form on torch tensors, and the generated C) agree with the eager
autograd path, and use the same random stream."""

from __future__ import annotations

import pytest
import torch

import selfrep as sr
from selfrep import kernels as fused
from selfrep.kernels import column
from selfrep.shuffle import draw_keys, orders_from_keys

VARIANTS = [
    ("linear", False, "input_major", "scaled"),
    ("linear", False, "output_major", "raw"),
    ("tanh", True, "input_major", "scaled"),
    ("relu", True, "output_major", "scaled"),
    ("sigmoid", False, "input_major", "raw"),
]
STEPS = [("epoch", 0.0), ("epoch", 0.9), ("batch", 0.0), ("batch", 0.5)]
needs_cc = pytest.mark.skipif(not fused.available(), reason="no working C compiler on this machine")


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def reduction(activation, bias, order, positions):
    return sr.make_reduction("weightwise", activation=activation, bias=bias, order=order, positions=positions)


def eager_run(red, w0, cfg, steps, seed):
    """The reference: autograd on batched tensors (selfrep.operators.fit_pairs)."""
    g, state = gen(seed), sr.train_init(w0, cfg)
    for _ in range(steps):
        x, y = red.training_pairs(state.weights)
        state = sr.fit_pairs(state, red, x, y, cfg, g)
    return state, g


def test_column_fisher_yates_equals_eager_orders():
    keys = draw_keys(5000, gen())
    assert torch.equal(torch.stack(column._fisher_yates(keys, 14), dim=1), orders_from_keys(keys, 14))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("step_kind,momentum", STEPS)
def test_column_step_matches_eager(variant, step_kind, momentum):
    red = reduction(*variant)
    cfg = sr.TrainConfig(step=step_kind, momentum=momentum)
    w0 = sr.init_population(red.arch, 64, generator=gen(1), dtype=torch.float64)
    ref, _ = eager_run(red, w0, cfg, 3, 2)
    g, w, v = gen(2), w0, (torch.zeros_like(w0) if momentum else None)
    for _ in range(3):
        keys = draw_keys(64, g) if step_kind == "epoch" else None
        w, v = fused.column_step(
            red.arch, step_kind, w, v, keys, red.encoding(torch.float64), cfg.learning_rate, momentum
        )
    torch.testing.assert_close(w, ref.weights, rtol=1e-9, atol=1e-11, equal_nan=True)
    if momentum:
        torch.testing.assert_close(v, ref.velocity, rtol=1e-9, atol=1e-11, equal_nan=True)


# Each case compiles one kernel (about a second): every variant in float64 with and without momentum,
# and the paper's setting in float32 with every step kind.
NATIVE_CASES = [(v, s, torch.float64) for v in VARIANTS for s in (("epoch", 0.0), ("batch", 0.5))] + [
    (VARIANTS[0], s, torch.float32) for s in STEPS
]


@needs_cc
@pytest.mark.parametrize("variant,step,dtype", NATIVE_CASES)
def test_native_kernel_matches_eager(variant, step, dtype):
    (step_kind, momentum), red = step, reduction(*variant)
    cfg = sr.TrainConfig(step=step_kind, momentum=momentum)
    fast = sr.TrainConfig(step=step_kind, momentum=momentum, backend="compiled")
    w0 = sr.init_population(red.arch, 37, generator=gen(1), dtype=dtype)  # not a multiple of 16 lanes
    ref, g_ref = eager_run(red, w0, cfg, 4, 2)
    g = gen(2)
    got = sr.self_train(w0, red, 4, fast, g)
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == torch.float64 else {"rtol": 2e-5, "atol": 2e-6}
    torch.testing.assert_close(got.weights, ref.weights, equal_nan=True, **tol)
    if momentum:
        torch.testing.assert_close(got.velocity, ref.velocity, equal_nan=True, **tol)
    assert got.step == 4 and got.weights.dtype == dtype
    assert torch.equal(g.get_state(), g_ref.get_state())  # the same random stream was consumed


@pytest.mark.parametrize("variant", VARIANTS)
def test_fused_apply_matches_eager(variant):
    red = reduction(*variant)
    a = torch.randn(33, red.arch.n_weights, generator=gen(3), dtype=torch.float64)
    v = torch.randn(33, red.arch.n_weights, generator=gen(4), dtype=torch.float64)
    expect = red.apply(a, v)
    torch.testing.assert_close(
        fused.column_apply(red.arch, a, v, red.encoding(torch.float64)), expect, rtol=1e-12, atol=1e-12
    )
    if fused.available():
        torch.testing.assert_close(fused.apply(a, v, red), expect, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(
            sr.self_apply(a, red, 3, backend="compiled"),
            sr.self_apply(a, red, 3),
            rtol=1e-10,
            atol=1e-12,
            equal_nan=True,
        )


@needs_cc
def test_native_kernel_large_population_split_over_threads():
    """Above the threading threshold the population is cut into lane-aligned chunks: same result."""
    red = sr.make_reduction("weightwise")
    w0 = sr.init_population(red.arch, column._PARALLEL_MIN_P + 5, generator=gen(5))
    cfg = sr.TrainConfig(step="epoch", backend="compiled")
    n = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        two = sr.self_train(w0, red, 2, cfg, gen(6)).weights
        torch.set_num_threads(1)
        one = sr.self_train(w0, red, 2, cfg, gen(6)).weights
    finally:
        torch.set_num_threads(n)
    assert torch.equal(one, two)


def test_divergence_propagates_through_native_kernel():
    red = sr.make_reduction("weightwise")
    w = sr.init_population(red.arch, 20, generator=gen())
    w[0, 3], w[1, 0] = float("nan"), float("inf")
    for backend in ("eager", "compiled"):
        out = sr.self_train(w, red, 2, sr.TrainConfig(backend=backend), gen(1)).weights
        assert not torch.isfinite(out[:2]).all(dim=1).any() and torch.isfinite(out[2:]).all()


def test_unsupported_inputs_fall_back_to_eager():
    agg = sr.make_reduction("aggregating")
    assert not fused.supports(agg)
    w = sr.init_population(agg.arch, 5, generator=gen())
    cfg = sr.TrainConfig(backend="compiled")
    torch.testing.assert_close(
        sr.self_train(w, agg, 2, cfg, gen(1)).weights,
        sr.self_train(w, agg, 2, sr.TrainConfig(), gen(1)).weights,
    )
    ww = sr.make_reduction("weightwise")
    assert not fused.supports(ww, torch.zeros(3, 14, dtype=torch.float16))
