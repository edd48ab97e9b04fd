"""The library pieces behind chapters 1-2: robustness counting, trajectories, the configuration grid,
per-network training hyperparameters, differentiated targets, reference data and small statistics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

import selfrep as sr
from selfrep.analysis import grid as G
from selfrep.analysis.robustness import Verged, count_from_flags, noisy_copies, robustness
from selfrep.analysis.stats import rule_of_three, wilson_interval
from selfrep.analysis.trajectories import first_stop, pca_trajectories
from selfrep.published import LOGGED, NOISE_LEVELS, logged, logged_counts, logged_fig3


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@dataclass(frozen=True)
class AffineReduction:
    """A stand-in reduction with known dynamics: N ◁ M = c + a (M - c), elementwise (ignores N)."""

    a: float
    c: float = 0.0
    arch: sr.Arch = field(default_factory=sr.Arch.weightwise)

    def apply(self, attacker, victim):
        return self.c + self.a * (victim - self.c)


def flags(*rows):
    """(T, 1) bool tensors from strings like 'z', 'd', 'f', '.' (zero, divergent, fixpoint, nothing)."""
    z = torch.tensor([[r == "z"] for r in rows])
    d = torch.tensor([[r == "d"] for r in rows])
    f = torch.tensor([[r in ("f", "z")] for r in rows])  # a zero net is a fixpoint
    return z, d, f


# ------------------------------------------------------------------------------------------------
# Robustness: the counting rules on hand-written sequences
# ------------------------------------------------------------------------------------------------
def test_counting_rules_initial_run_then_zero():
    z, d, f = flags("f", "f", ".", "f", "z")  # fixpoint twice, breaks, regains, reaches zero
    text = count_from_flags(z, d, f, "text")
    keras = count_from_flags(z, d, f, "keras")
    journal = count_from_flags(z, d, f, "journal")
    assert text.time_to_vergence.item() == 5 and text.time_as_fixpoint.item() == 2
    assert keras.time_to_vergence.item() == 4 and keras.time_as_fixpoint.item() == 2
    # journal: every fixpoint step counts, the final zero state included
    assert journal.time_to_vergence.item() == 5 and journal.time_as_fixpoint.item() == 4
    assert {int(r.outcome) for r in (text, keras, journal)} == {int(Verged.ZERO)}


def test_keras_rearms_after_a_regained_fixpoint():
    z, d, f = flags("f", ".", "f", "f", "f", "d")
    keras = count_from_flags(z, d, f, "keras")
    text = count_from_flags(z, d, f, "text")
    # keras: step 1 counts, step 3 re-arms without counting, steps 4 and 5 count
    assert keras.time_as_fixpoint.item() == 3
    assert text.time_as_fixpoint.item() == 1
    assert keras.outcome.item() == int(Verged.DIVERGENT) == text.outcome.item()
    assert text.time_to_vergence.item() == 6 and keras.time_to_vergence.item() == 5


def test_not_verged_is_alive_and_counted_to_the_end():
    z, d, f = flags("f", "f", "f")
    res = count_from_flags(z, d, f, "text")
    assert res.outcome.item() == int(Verged.ALIVE)
    assert res.time_to_vergence.item() == 3 and res.time_as_fixpoint.item() == 3


def test_robustness_on_known_dynamics():
    eps = 2e-3
    w = torch.ones(1, 14, dtype=torch.float64)
    # shrinking by 10 per application: 0.1, 0.01, 0.001 (zero at step 3; 0.001 is also a fixpoint)
    shrink = AffineReduction(0.1)
    text = robustness(w, shrink, eps, procedure="text")
    assert (text.time_to_vergence.item(), text.time_as_fixpoint.item()) == (3, 0)
    assert text.outcome.item() == int(Verged.ZERO)
    keras = robustness(w, shrink, eps, procedure="keras")
    assert keras.time_to_vergence.item() == 2
    journal = robustness(w, shrink, eps, procedure="journal")
    assert journal.time_as_fixpoint.item() == 1
    # the deviation from 1 triples per application: a fixpoint while 2 * 3^t * 1e-6 <= eps
    grow = AffineReduction(3.0, c=1.0)
    start = torch.full((1, 14), 1.0 + 1e-6, dtype=torch.float64)
    res = robustness(start, grow, 1e-4, procedure="text", max_steps=1000)
    assert res.time_as_fixpoint.item() == 3
    assert res.outcome.item() == int(Verged.DIVERGENT)
    t, top = res.time_to_vergence.item(), math.log(torch.finfo(torch.float64).max)
    assert (t - 1) * math.log(3) + math.log(1e-6) < top < t * math.log(3) + math.log(1e-6)


def test_robustness_of_the_identity_fixpoint_at_zero_noise_stays_alive():
    ww = sr.make_reduction("weightwise")
    res = robustness(sr.identity_fixpoint(ww.arch, 3), ww, 1e-5, procedure="text", max_steps=7)
    assert res.outcome.tolist() == [int(Verged.ALIVE)] * 3
    assert res.time_as_fixpoint.tolist() == [7, 7, 7]


def test_noisy_copies_layout_bounds_and_precision():
    parents = torch.zeros(2, 14)
    levels = (1.0, 1e-3)
    nc = noisy_copies(parents, levels, copies=3, generator=gen(), dtype=torch.float64)
    assert nc.weights.shape == (2 * 2 * 3, 14)
    assert nc.level.tolist() == [0] * 6 + [1] * 6
    assert nc.parent.tolist() == [0, 0, 0, 1, 1, 1] * 2
    for k, z in enumerate(levels):
        assert nc.weights[nc.level == k].abs().max() <= z
    # the same draws in float32 are the float32 rounding of the float64 copies
    ones = torch.ones(1, 14)
    c64 = noisy_copies(ones, (1e-9,), 4, generator=gen(1), dtype=torch.float64)
    c32 = noisy_copies(ones, (1e-9,), 4, generator=gen(1), dtype=torch.float32)
    assert torch.equal(c32.weights, c64.weights.float())
    assert torch.equal(c32.weights, torch.ones_like(c32.weights))  # 1 ± 1e-9 rounds to 1 in float32


def test_robustness_bad_input():
    ww = sr.make_reduction("weightwise")
    with pytest.raises(ValueError, match="procedure"):
        robustness(torch.zeros(1, 14), ww, procedure="other")
    with pytest.raises(ValueError, match="max_steps"):
        robustness(torch.zeros(1, 14), ww, max_steps=0)
    with pytest.raises(ValueError, match="copies"):
        noisy_copies(torch.zeros(1, 14), (1.0,), copies=0)


# ------------------------------------------------------------------------------------------------
# Trajectories
# ------------------------------------------------------------------------------------------------
def test_first_stop_and_pca_drop_unusable_states():
    ww = sr.make_reduction("weightwise")
    T, P = 6, 3
    states = torch.randn(T, P, 14, generator=gen())
    states[3:, 0] = 0.0  # net 0 becomes the zero net (a fixpoint) at t = 3
    states[2:, 1] = float("inf")  # net 1 diverges at t = 2
    stop = first_stop(states, ww, 1e-5)
    assert stop.tolist() == [3, 2, T - 1]
    proj = pca_trajectories(states, stop)
    counts = proj.frame.groupby("net").size().to_dict()
    assert counts == {0: 4, 1: 2, 2: T}  # net 1 cut before its first inf state
    assert proj.explained_variance.shape == (2,)
    # the zero net's coordinates: where net 0 sits once it is zero
    last0 = proj.frame[(proj.frame["net"] == 0) & (proj.frame["t"] == 3)][["pc1", "pc2"]].to_numpy()[0]
    np.testing.assert_allclose(last0, proj.zero, atol=1e-9)


def test_pca_max_abs_cuts_a_trajectory_at_its_first_large_state():
    states = torch.randn(5, 2, 14, generator=gen())
    states[2, 0] = 100.0
    proj = pca_trajectories(states, max_abs=10.0)
    assert proj.frame[proj.frame["net"] == 0]["t"].tolist() == [0, 1]


# ------------------------------------------------------------------------------------------------
# The configuration grid
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("positions", ["scaled", "raw"])
def test_output_major_net_equals_its_permuted_input_major_twin(positions):
    src, tgt = sr.Arch.weightwise(order="output_major"), sr.Arch.weightwise()
    w = sr.init_population(src, 6, "pytorch", generator=gen())
    perm = G.layout_permutation(src, tgt)
    table = G.weightwise_encoding(positions, "output_major").float().expand(6, -1, -1)
    twin = G.PerNetworkWeightwise(tgt, table)
    direct = sr.Weightwise(src, positions).apply(w, w)[:, perm]
    assert torch.allclose(twin.apply(w[:, perm], w[:, perm]), direct, atol=1e-6)
    assert torch.equal(G.layout_permutation(tgt, src)[perm], torch.arange(14))


def test_grid_population_cells_encodings_and_hyperparameters():
    cells = G.cells(lrs=(0.01, 0.04), momenta=(0.0, 0.9))
    assert len(cells) == 2 * 2 * 2 * 2
    pop = G.grid_population(cells, 3, "batch", generator=gen())
    assert pop.weights.shape == (48, 14) and pop.reduction.table.shape == (48, 14, 3)
    assert pop.cell.tolist() == [k for k in range(16) for _ in range(3)]
    assert pop.config.lr == tuple(c.lr for c in cells for _ in range(3))
    # a cell with scaled positions carries the plain Weightwise encoding
    k = next(i for i, c in enumerate(cells) if c.positions == "scaled")
    assert torch.equal(pop.reduction.table[3 * k], sr.Weightwise().encoding())
    # classification works on the mixed reduction for the whole population
    assert sr.classify(pop.weights, pop.reduction).shape == (48,)


def test_end_to_end_map_of_the_identity_copies_the_value():
    ww = sr.make_reduction("weightwise")
    a = G.end_to_end_map(ww.arch, sr.identity_fixpoint(ww.arch, 2))
    assert torch.equal(a.squeeze(-1), torch.tensor([[1.0, 0, 0, 0]] * 2))
    with pytest.raises(ValueError, match="arch"):
        G.end_to_end_map(sr.Arch.weightwise("tanh"), torch.zeros(1, 14))


# ------------------------------------------------------------------------------------------------
# Training: per-network hyperparameters and differentiated targets
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("step", ["epoch", "batch"])
def test_per_network_lr_and_momentum_match_separate_runs(step):
    ww = sr.make_reduction("weightwise")
    w = sr.init_population(ww.arch, 4, generator=gen())
    mixed = sr.TrainConfig(step=step, lr=(0.01, 0.01, 0.04, 0.04), momentum=(0.0, 0.0, 0.9, 0.9))
    together = sr.self_train(w, ww, 5, mixed, gen(1)).weights
    if step == "batch":
        g = gen(1)
        a = sr.self_train(w[:2], ww, 5, sr.TrainConfig(step=step, lr=0.01), g).weights
        b = sr.self_train(w[2:], ww, 5, sr.TrainConfig(step=step, lr=0.04, momentum=0.9), g).weights
        assert torch.allclose(together, torch.cat([a, b]), atol=1e-6)
    else:  # the sample orders are drawn for all P nets at once: compare with the same population
        plain = sr.self_train(w, ww, 5, sr.TrainConfig(step=step, lr=0.01), gen(1)).weights
        assert torch.allclose(together[:2], plain[:2], atol=1e-6)
        assert not torch.allclose(together[2:], plain[2:])


def test_train_config_validation():
    with pytest.raises(ValueError, match="lr"):
        sr.TrainConfig(lr=(0.1, -1.0))
    with pytest.raises(ValueError, match="momentum"):
        sr.TrainConfig(momentum=(0.0, 1.0))
    with pytest.raises(ValueError, match="targets"):
        sr.TrainConfig(step="epoch", targets="differentiated")
    with pytest.raises(ValueError, match="targets"):
        sr.TrainConfig(step="batch", targets="moving")
    ww = sr.make_reduction("weightwise")
    with pytest.raises(ValueError, match="lr: 2 per-network values for 3"):
        sr.self_train(torch.zeros(3, 14), ww, 1, sr.TrainConfig(lr=(0.1, 0.1)))


def test_differentiated_targets_step_is_gradient_descent_on_the_full_loss():
    ww = sr.make_reduction("weightwise")
    w = sr.init_population(ww.arch, 3, generator=gen()).double()
    lr = 0.05
    out = sr.self_train(w, ww, 1, sr.TrainConfig(step="batch", lr=lr, targets="differentiated")).weights

    def loss(row):  # (N(w) - w)^2 averaged over the 14 weights, everything a function of w
        x = torch.cat([row.unsqueeze(-1), ww.encoding(torch.float64)], dim=1).unsqueeze(0)
        return (sr.forward(ww.arch, row.unsqueeze(0), x).squeeze() - row).square().mean()

    for p in range(3):
        g = torch.autograd.functional.jacobian(loss, w[p])
        assert torch.allclose(out[p], w[p] - lr * g, atol=1e-12)
    constant = sr.self_train(w, ww, 1, sr.TrainConfig(step="batch", lr=lr)).weights
    assert not torch.allclose(out, constant)  # the target gradient is a real difference


# ------------------------------------------------------------------------------------------------
# Reference data and statistics
# ------------------------------------------------------------------------------------------------
def test_logged_reference_data_is_consistent():
    for entry in LOGGED.values():
        assert entry.source and entry.what
        if entry.key.startswith(("fig1_", "fig2_", "fig5_", "density_")):
            assert sum(entry.values.values()) == entry.n, entry.key
    counts = logged_counts("fig2")
    assert counts.groupby("reduction")["count"].sum().tolist() == [50, 50, 50]
    assert len(logged_fig3()) == len(NOISE_LEVELS)
    with pytest.raises(ValueError, match="key"):
        logged("nope")
    with pytest.raises(ValueError, match="figure"):
        logged_counts("fig9")


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(0, 50)
    assert lo == 0.0 and math.isclose(float(hi), 0.0713, abs_tol=5e-4)
    lo, hi = wilson_interval(25, 50)
    assert math.isclose(float(lo), 0.366, abs_tol=1e-3) and math.isclose(float(hi), 0.634, abs_tol=1e-3)
    assert rule_of_three(300) == 0.01
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
