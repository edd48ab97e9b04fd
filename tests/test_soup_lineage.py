"""Replication per attack, lineage, the synchronous rule and cluster counting (chapter 5's open questions)."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

import selfrep as sr
from selfrep.analysis.soup import (
    SoupConfig,
    SoupRun,
    SoupState,
    attacker_gain,
    cluster_census,
    evolve,
    lineages,
    random_soups,
    seed_soups,
    soup_epoch,
)
from selfrep.nets import identity_fixpoint
from selfrep.optim import TrainConfig

GD = TrainConfig(step="batch", lr=0.04)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_attack_log_distances_follow_the_gain_of_an_exact_fixpoint():
    # An exact fixpoint attacker with value gain a0 leaves the victim |a0| times as far from itself:
    # v' - w = a0 (v - w). Two exact fixpoints: the identity net (a0 = 1: the distance is kept) and the
    # zero net (a0 = 0: every victim becomes 0, a copy of the attacker).
    red = sr.make_reduction("weightwise")
    ident = identity_fixpoint(red.arch, dtype=torch.float64)
    victims = random_soups(red, 1, 3, generator=gen(), dtype=torch.float64)[0]
    zero = torch.zeros_like(ident)
    w = torch.cat([ident, zero, victims]).unsqueeze(0)  # slots 0: identity, 1: zero, 2-4: victims
    state = SoupState(w, torch.arange(5).unsqueeze(0), 0, 5)
    cfg = SoupConfig(attack_rate=1.0, train=GD)
    _, rec = soup_epoch(state, red, cfg, gen(1))
    log = pd.DataFrame(rec.attacks)
    assert {"distance_before", "distance_after", "attacker_gain", "attacker_kind"} <= set(log.columns)
    first = log.iloc[0]  # the identity (slot 0) attacks first, before anything trained or moved
    assert first["attacker"] == 0 and first["attacker_gain"] == pytest.approx(1.0, abs=1e-12)
    if first["victim"] != 0:
        assert first["distance_after"] == pytest.approx(first["distance_before"], rel=1e-9)
        assert first["displacement"] == pytest.approx(0.0, abs=1e-12)
    zero_attacks = log[log["attacker"] == 1]
    assert len(zero_attacks) == 1
    assert zero_attacks["attacker_gain"].iloc[0] == 0.0
    assert zero_attacks["distance_after"].iloc[0] == pytest.approx(0.0, abs=1e-12)  # a copy of 0


def test_attacker_gain_is_the_first_entry_of_the_end_to_end_map_and_nan_elsewhere():
    red = sr.make_reduction("weightwise")
    ident = identity_fixpoint(red.arch, dtype=torch.float64)
    assert attacker_gain(ident, red).item() == pytest.approx(1.0)
    assert attacker_gain(2 * ident, red).item() == pytest.approx(8.0)  # three layers, each doubled
    agg = sr.make_reduction("aggregating")
    w = random_soups(agg, 1, 2, generator=gen())[0]
    assert torch.isnan(attacker_gain(w, agg)).all()


def _run(attacks, replacements, uids, times):
    cols = ["epoch", "soup", "attacker", "victim", "attacker_uid", "victim_uid"]
    return SoupRun(
        torch.zeros(len(times), 1, uids.shape[-1], 1),
        uids,
        torch.tensor(times),
        pd.DataFrame(attacks, columns=cols),
        pd.DataFrame(replacements, columns=["epoch", "soup", "slot", "old_uid", "new_uid", "reason"]),
        None,
    )


def test_lineages_replay_attacks_in_order_and_replacements_found_new_lineages():
    # 3 particles (uids 0, 1, 2). Epoch 1: 0 attacks 1, then 1 attacks 2 -> 2 descends from 0 (through 1).
    # Epoch 2: slot 0 replaced by uid 3; 3 attacks 2 -> 2 now in lineage 3; 1 attacks itself (no change).
    uids = torch.tensor([[[0, 1, 2]], [[0, 1, 2]], [[3, 1, 2]]])
    attacks = [
        (1, 0, 0, 1, 0, 1),
        (1, 0, 1, 2, 1, 2),
        (2, 0, 0, 2, 3, 2),
        (2, 0, 1, 1, 1, 1),
    ]
    run = _run(attacks, [(2, 0, 0, 0, 3, "zero")], uids, [0, 1, 2])
    lin = lineages(run)
    f = {t: lin[lin["t"] == t]["founder"].tolist() for t in (0, 1, 2)}
    assert f[0] == [0, 1, 2]
    assert f[1] == [0, 0, 0]
    assert f[2] == [3, 0, 3]


def test_lineages_of_a_control_never_merge():
    red = sr.make_reduction("weightwise")
    w = random_soups(red, 2, 4, generator=gen(), dtype=torch.float64)
    run = evolve(w, red, SoupConfig(attack_rate=0.0, train_steps=1, train=GD), 3, gen(1))
    lin = lineages(run)
    assert (lin.groupby(["t", "soup"])["founder"].nunique() == 4).all()
    run = evolve(w, red, SoupConfig(attack_rate=1.0, train_steps=1, train=GD), 3, gen(1))
    assert lineages(run).groupby(["t", "soup"])["founder"].nunique().iloc[-1] < 4


def test_synchronous_rule_attacks_from_the_epoch_start_and_trains_in_lockstep():
    red = sr.make_reduction("weightwise")
    w = random_soups(red, 3, 6, generator=gen(2), dtype=torch.float64)
    cfg = SoupConfig(attack_rate=1.0, attack_rule="synchronous", train_steps=0, train=GD)
    state, rec = soup_epoch(seed_soups(w), red, cfg, gen(3))
    log = pd.DataFrame(rec.attacks)
    # each victim is rewritten once, by the last attacker that picked it, from the start weights
    assert not log.duplicated(["soup", "victim"]).any()
    for _, a in log.iterrows():
        s, i, j = int(a["soup"]), int(a["attacker"]), int(a["victim"])
        expect = red.apply(w[s, i : i + 1], w[s, j : j + 1])[0]
        assert torch.allclose(state.weights[s, j], expect, atol=1e-12)
    untouched = set(range(6))
    for s in range(3):
        hit = set(log[log["soup"] == s]["victim"].tolist())
        for j in untouched - hit:
            assert torch.equal(state.weights[s, j], w[s, j])


def test_synchronous_rule_is_reproducible_and_rate_zero_makes_no_attack():
    red = sr.make_reduction("weightwise")
    w = random_soups(red, 2, 5, generator=gen(), dtype=torch.float64)
    cfg = SoupConfig(attack_rate=(0.5, 0.0), attack_rule="synchronous", train_steps=2, train=GD)
    a = evolve(w, red, cfg, 3, gen(7))
    b = evolve(w, red, cfg, 3, gen(7))
    assert torch.equal(a.final.weights, b.final.weights)
    assert not (a.attacks["soup"] == 1).any()


def test_cluster_census_counts_groups_and_ignores_small_ones():
    w = torch.cat([torch.zeros(5, 3), torch.full((3, 3), 5.0), torch.tensor([[100.0, 0, 0], [0, 100.0, 0]])])
    largest, count = cluster_census(w, 0.1, min_share=0.1)
    assert largest == pytest.approx(0.5) and count == 2  # singletons are no clusters
    assert cluster_census(w, 0.1, min_share=0.4) == (pytest.approx(0.5), 1)
    w[0] = float("nan")
    assert cluster_census(w, 0.1, min_share=0.1)[0] == pytest.approx(0.4)
    with pytest.raises(ValueError, match="min_share"):
        cluster_census(w, 0.1, min_share=0.0)


def test_three_soup_panels_fill_one_row():
    from selfrep import plotting as pl

    rows = [
        {"panel": p, "uid": u, "t": t, "pc1": float(u + t), "pc2": float(u - t), "kind": "other"}
        for p in ("a", "b", "c")
        for u in range(2)
        for t in range(3)
    ]
    frame = pd.DataFrame(rows).assign(zero_pc1=0.0, zero_pc2=0.0)
    fig = pl.soup_trajectories_3d(frame)
    boxes = [ax.get_position() for ax in fig.axes]
    assert len(boxes) == 3 and len({round(b.y0, 3) for b in boxes}) == 1  # no empty quarter
    # the vertical axis is named once above the panels, not beside each, where the next panel hid it
    assert fig.get_suptitle() == "vertical axis: soup epoch"
    assert all(ax.get_zlabel() == "" for ax in fig.axes)
