"""selfrep.analysis.weightspace: distances, movement classes, noisy clones, line children, parents."""

from __future__ import annotations

import pytest
import torch

import selfrep as sr
from selfrep.analysis import weightspace as ws
from selfrep.fixpoints import FixpointKind, classify
from selfrep.optim import TrainConfig


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_mae_and_mim_by_hand():
    a = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    b = torch.tensor([[3.0, 2.0, 1.0], [1.0, -1.0, 2.0]])
    assert torch.allclose(ws.mae(a, b), torch.tensor([4 / 3, 4 / 3], dtype=torch.float64))
    # sorted rows: [1,2,3] vs [1,2,3] -> 0; [0,0,0] vs [-1,1,2] -> (1+1+2)/3
    assert torch.allclose(ws.mim(a, b), torch.tensor([0.0, 4 / 3], dtype=torch.float64))
    assert ws.mae(a, b).dtype == torch.float64


def test_mim_ignores_permutations_mae_does_not():
    w = torch.randn(5, 14, generator=gen())
    perm = w[:, torch.randperm(14, generator=gen(1))]
    assert torch.allclose(ws.mim(w, perm), torch.zeros(5, dtype=torch.float64))
    assert bool((ws.mae(w, perm) > 0).all())


def test_distance_shape_errors():
    with pytest.raises(ValueError, match="b:"):
        ws.mae(torch.zeros(2, 3), torch.zeros(3, 3))


def test_movement_codes():
    pre = torch.tensor([1.0, 1.0, 1.0, 0.0])
    post = torch.tensor([0.5, 2.0, 1.0, 0.0])
    codes = ws.movement(pre, post).tolist()
    M = ws.Movement
    assert codes == [M.APPROACHING, M.DISTANCING, M.STATIONARY, M.STATIONARY]
    assert ws.MOVEMENT_LABELS == ("approaching", "distancing", "stationary")


def test_noisy_clones_order_bounds_and_levels():
    parents = torch.randn(3, 14, generator=gen(), dtype=torch.float64)
    zeta = torch.tensor([1e-1, 1e-3, 0.0], dtype=torch.float64)
    cl = ws.noisy_clones(parents, zeta, 4, generator=gen(1))
    assert cl.weights.shape == (12, 14) and cl.weights.dtype == torch.float64
    assert cl.parent.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    d = (cl.weights - parents[cl.parent]).abs().amax(dim=1)
    assert bool((d <= cl.zeta).all())
    assert bool((d[:4] > 1e-3).all())  # the noise is really there
    assert bool((d[8:] == 0).all())  # ζ = 0 leaves the clone equal to its parent
    assert torch.equal(cl.zeta, zeta.repeat_interleave(4))


def test_per_clone_scheme_scales_each_clone():
    parents = torch.zeros(1, 14, dtype=torch.float64)
    cl = ws.noisy_clones(parents, 1.0, 200, generator=gen(), scheme="per_clone")
    amp = cl.weights.abs().amax(dim=1)
    assert bool((amp <= 1.0).all())
    assert float(amp.min()) < 0.2 < 0.8 < float(amp.max())  # clones differ in their own noise scale


def test_sign_scheme_moves_every_weight_by_exactly_zeta():
    parents = torch.randn(2, 14, generator=gen(), dtype=torch.float64)
    cl = ws.noisy_clones(
        parents, torch.tensor([1e-2, 1e-4], dtype=torch.float64), 50, generator=gen(3), scheme="sign"
    )
    d = cl.weights - parents[cl.parent]
    assert torch.allclose(d.abs(), cl.zeta.unsqueeze(1).expand_as(d), rtol=1e-9, atol=0)
    frac_up = float((d > 0).to(torch.float64).mean())
    assert 0.4 < frac_up < 0.6  # both signs, about equally often
    # ±1e-7 survives float32 rounding at 0.5 (spacing 6e-8); U(−1e-7, 1e-7) loses part of it
    half = torch.full((1, 14), 0.5)
    sign = ws.noisy_clones(half, 1e-7, 20, generator=gen(), scheme="sign")
    unif = ws.noisy_clones(half, 1e-7, 20, generator=gen())
    assert bool((sign.weights != 0.5).all()) and bool((unif.weights == 0.5).any())


def test_float32_rounds_tiny_noise_away_and_dtypes_share_the_draws():
    parents = torch.full((1, 14), 0.5)
    small = ws.noisy_clones(parents, 1e-12, 3, generator=gen())
    assert torch.equal(small.weights, parents.expand(3, -1))  # below half the float32 spacing at 0.5
    c32 = ws.noisy_clones(parents, 1e-3, 3, generator=gen(7))
    c64 = ws.noisy_clones(parents.double(), 1e-3, 3, generator=gen(7))
    assert torch.equal(c32.weights, c64.weights.float())


def test_noisy_clones_bad_input():
    p = torch.zeros(2, 14)
    with pytest.raises(ValueError, match="zeta"):
        ws.noisy_clones(p, torch.tensor([1e-3, 1e-3, 1e-3]), 2)
    with pytest.raises(ValueError, match="zeta"):
        ws.noisy_clones(p, -1.0, 2)
    with pytest.raises(ValueError, match="n:"):
        ws.noisy_clones(p, 1e-3, 0)
    with pytest.raises(ValueError, match="scheme"):
        ws.noisy_clones(p, 1e-3, 2, scheme="gaussian")


def test_line_children_interpolate_between_parents():
    parents = torch.tensor([[0.0, 0.0], [4.0, 8.0], [1.0, 1.0]], dtype=torch.float64)
    lc = ws.line_children(parents, torch.tensor([0, 2]), torch.tensor([1, 1]), 4)
    assert lc.weights.shape == (8, 2)
    assert lc.pair.tolist() == [0] * 4 + [1] * 4
    assert lc.position.tolist() == [0.0, 0.25, 0.5, 0.75] * 2
    assert torch.equal(lc.weights[0], parents[0])  # j = 0 is parent 1; the endpoint is excluded
    assert torch.allclose(lc.weights[2], torch.tensor([2.0, 4.0], dtype=torch.float64))
    assert torch.allclose(lc.weights[7], torch.tensor([3.25, 6.25], dtype=torch.float64))
    assert lc.first.tolist() == [0] * 4 + [2] * 4 and lc.second.tolist() == [1] * 8


def test_minmax_per_group():
    pre = torch.tensor([0.0, 1.0, 5.0, 5.0])
    post = torch.tensor([2.0, 4.0, 5.0, 5.0])
    group = torch.tensor([0, 0, 1, 1])
    a, b = ws.minmax_per_group(pre, post, group)
    assert torch.allclose(a, torch.tensor([0.0, 0.25, 0.0, 0.0], dtype=torch.float64))
    assert torch.allclose(b, torch.tensor([0.5, 1.0, 0.0, 0.0], dtype=torch.float64))


def test_l1_error_by_hand_and_at_the_identity():
    red = sr.make_reduction("weightwise")
    ident = sr.identity_fixpoint(red.arch, 2)
    assert torch.equal(ws.l1_error(ident, red), torch.zeros(2, dtype=torch.float64))
    w = sr.init_population(red.arch, 3, generator=gen())
    manual = (red.apply(w, w) - w).abs().mean(dim=1).double()
    assert torch.allclose(ws.l1_error(w, red), manual)
    w[1, 0] = float("nan")
    assert ws.l1_error(w, red)[1] == float("inf")


def test_train_parents_keeps_only_nonzero_fixpoints():
    red = sr.make_reduction("weightwise", order="output_major")
    tc = TrainConfig(step="batch", lr=0.04, backend="compiled")
    res = ws.train_parents(red, 2, 2, 6, 2500, tc, init="pytorch", eps=1e-5, generator=gen())
    assert res.weights.shape == (4, 14)
    assert bool((classify(res.weights, red, 1e-5) == int(FixpointKind.NONZERO)).all())
    assert int(res.kept.sum()) == 4 and res.kinds.shape == (12,)
    kept_kinds = res.kinds[res.kept]
    assert bool((kept_kinds == int(FixpointKind.NONZERO)).all())


def test_train_parents_names_candidates_when_too_few():
    red = sr.make_reduction("weightwise")
    with pytest.raises(ValueError, match="candidates"):
        ws.train_parents(red, 1, 2, 3, 0, TrainConfig(), init="glorot", eps=1e-5, generator=gen())
