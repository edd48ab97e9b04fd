"""selfrep.analysis.soup: the batched soup against a slow one-soup-at-a-time, one-particle-at-a-time
reference."""

from __future__ import annotations

import pytest
import torch

import selfrep as sr
from selfrep.analysis.soup import SoupConfig, evolve, random_soups, seed_soups, soup_epoch
from selfrep.optim import TrainConfig
from selfrep.training import self_train

GD = TrainConfig(step="batch", lr=0.04)  # deterministic steps: the only randomness is in the attacks


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def reference_epoch(w, red, rates, steps, generator):
    """The Keras code's epoch written plainly: soups one after the other would draw differently, so the
    draws are made per position exactly as documented (u then target, each (S,)), then every soup is
    updated one particle at a time."""
    w = w.clone()
    S, N, _ = w.shape
    for i in range(N):
        u = torch.rand(S, generator=generator, dtype=torch.float64)
        target = (torch.rand(S, generator=generator, dtype=torch.float64) * N).long().clamp(max=N - 1)
        for s in range(S):
            if u[s] < rates[s]:
                j = int(target[s])
                w[s, j] = red.apply(w[s, i : i + 1], w[s, j : j + 1])[0]
            w[s, i] = self_train(w[s, i : i + 1], red, int(steps[s]), GD).weights[0]
    return w


def test_per_particle_epoch_matches_the_reference():
    red = sr.make_reduction("weightwise")
    w = random_soups(red, 4, 5, generator=gen(), dtype=torch.float64)
    rates, steps = (1.0, 0.5, 0.0, 0.3), (3, 0, 5, 2)
    cfg = SoupConfig(attack_rate=rates, train_steps=steps, train=GD)
    state, rec = soup_epoch(seed_soups(w), red, cfg, gen(1))
    ref = reference_epoch(w, red, rates, steps, gen(1))
    assert torch.allclose(state.weights, ref, atol=1e-12, rtol=0)
    assert state.epoch == 1
    attacked = {(a["soup"], a["attacker"]) for a in rec.attacks}
    assert {(0, i) for i in range(5)} <= attacked  # rate 1: every particle of soup 0 attacks
    assert not any(a["soup"] == 2 for a in rec.attacks)  # rate 0: none


def test_order_matters_a_later_attacker_reads_trained_weights():
    # Two particles, both always attack; if particle 0 targets particle 1, particle 1 attacks after
    # particle 0 trained. The reference does exactly this; a simultaneous update would not match.
    red = sr.make_reduction("weightwise")
    w = random_soups(red, 6, 2, generator=gen(3), dtype=torch.float64)
    cfg = SoupConfig(attack_rate=1.0, train_steps=4, train=GD)
    state, _ = soup_epoch(seed_soups(w), red, cfg, gen(4))
    ref = reference_epoch(w, red, (1.0,) * 6, (4,) * 6, gen(4))
    assert torch.allclose(state.weights, ref, atol=1e-12, rtol=0)


def test_replacement_of_zero_particles_gets_a_new_uid():
    red = sr.make_reduction("weightwise")
    w = random_soups(red, 2, 3, generator=gen())
    w[1, 2] = 0.0
    cfg = SoupConfig(attack_rate=0.0, train_steps=0, remove_zero=True)
    state, rec = soup_epoch(seed_soups(w), red, cfg, gen())
    assert rec.replacements == [
        {"epoch": 1, "soup": 1, "slot": 2, "old_uid": 5, "new_uid": 6, "reason": "zero"}
    ]
    assert state.uid[1, 2] == 6 and state.next_uid == 7
    assert bool((state.weights[1, 2] != 0).any())
    assert torch.equal(state.weights[0], w[0])  # nothing else changed


def test_divergent_particles_are_replaced_only_when_asked():
    red = sr.make_reduction("weightwise")
    w = random_soups(red, 1, 3, generator=gen())
    w[0, 0, 0] = float("inf")
    keep, rec = soup_epoch(seed_soups(w), red, SoupConfig(attack_rate=0.0), gen())
    assert not rec.replacements and not bool(torch.isfinite(keep.weights[0, 0]).all())
    fresh, rec = soup_epoch(seed_soups(w), red, SoupConfig(attack_rate=0.0, remove_divergent=True), gen())
    assert rec.replacements[0]["reason"] == "divergent" and bool(torch.isfinite(fresh.weights).all())


def test_one_pair_rule_makes_at_most_one_attack_between_distinct_particles():
    red = sr.make_reduction("weightwise")
    w = random_soups(red, 50, 4, generator=gen())
    cfg = SoupConfig(attack_rate=1.0, attack_rule="one_pair", train_steps=0)
    state, rec = soup_epoch(seed_soups(w), red, cfg, gen())
    assert len(rec.attacks) == 50
    assert all(a["attacker"] != a["victim"] for a in rec.attacks)
    for a in rec.attacks:  # the victim now holds attacker ◁ victim, computed from the old weights
        s, i, j = a["soup"], a["attacker"], a["victim"]
        expect = red.apply(w[s, i : i + 1], w[s, j : j + 1])[0]
        assert torch.allclose(state.weights[s, j], expect)


def test_evolve_records_states_times_and_intermediate_steps():
    red = sr.make_reduction("weightwise")
    w = random_soups(red, 2, 3, generator=gen())
    run = evolve(w, red, SoupConfig(attack_rate=0.5, train_steps=2, train=GD), 3, gen())
    assert run.states.shape == (4, 2, 3, 14) and run.times.tolist() == [0, 1, 2, 3]
    assert torch.equal(run.states[-1], run.final.weights)
    cfg = SoupConfig(attack_rate=0.0, attack_rule="one_pair", train_steps=6, train=GD)
    run = evolve(w, red, cfg, 2, gen(), record_every=2)
    assert run.times.tolist() == [0, 2, 4, 6, 8, 10, 12]
    trained = self_train(w.reshape(6, 14), red, 4, GD).weights.reshape(2, 3, 14)
    assert torch.allclose(run.states[2], trained)  # without attacks: plain self-training
    assert list(run.attacks.columns)[:4] == ["epoch", "soup", "attacker", "victim"]


def test_config_errors_name_the_parameter():
    with pytest.raises(ValueError, match="attack_rule"):
        SoupConfig(attack_rule="random")
    with pytest.raises(ValueError, match="attack_rate"):
        SoupConfig(attack_rate=1.5)
    with pytest.raises(ValueError, match="train_steps"):
        SoupConfig(train_steps=-1)
    with pytest.raises(ValueError, match="train"):
        SoupConfig(train=TrainConfig(momentum=0.9))
    red = sr.make_reduction("weightwise")
    w = random_soups(red, 2, 2, generator=gen())
    with pytest.raises(ValueError, match="train_steps"):
        soup_epoch(seed_soups(w), red, SoupConfig(train_steps=(1, 2, 3)), gen())
    with pytest.raises(ValueError, match="record_every"):
        soup_epoch(seed_soups(w), red, SoupConfig(), gen(), record_every=2)
    with pytest.raises(ValueError, match="weights"):
        seed_soups(torch.zeros(3, 14))


# ------------------------------------------------------------------------------------------------
# Learning from another particle (Q2): the batched learn step and the soup's per-soup severities
# ------------------------------------------------------------------------------------------------
KERAS = TrainConfig(step="epoch", lr=0.01)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_compiled_learn_step_matches_learn_from(dtype):
    from selfrep.training import learn_from, learn_step

    red = sr.make_reduction("weightwise")
    w = sr.init_population(red.arch, 21, "glorot", generator=gen(1)).to(dtype)
    t = sr.init_population(red.arch, 21, "glorot", generator=gen(2)).to(dtype)
    compiled = TrainConfig(step="epoch", lr=0.01, backend="compiled")
    got = learn_step(w, t, red, compiled, gen(3)).weights
    want = learn_from(w, t, red, KERAS, gen(3)).weights
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    assert torch.allclose(got, want, atol=tol, rtol=tol)
    assert not torch.allclose(got, w)  # it did move


@pytest.mark.parametrize("backend", ["eager", "compiled"])
def test_learn_steps_per_row_counts_and_own_teacher(backend):
    from selfrep.training import learn_step, learn_steps

    red = sr.make_reduction("weightwise")
    cfg = TrainConfig(step="epoch", lr=0.01, backend=backend)
    w = sr.init_population(red.arch, 5, "glorot", generator=gen(4), dtype=torch.float64)
    t = sr.init_population(red.arch, 5, "glorot", generator=gen(5), dtype=torch.float64)
    steps = torch.tensor([3, 0, 1, 3, 2])
    own = torch.tensor([False, False, False, True, False])
    got = learn_steps(w, t, steps, red, cfg, gen(6), own=own)
    # the reference: rows sorted by steps (stable, descending), one learn_step per step on the prefix
    order = [0, 3, 4, 2, 1]
    cur, tch = w[order].clone(), t[order].clone()
    g = gen(6)
    for k in (4, 3, 2):  # rows still learning at steps 0, 1, 2
        tch[1] = cur[1]  # row 3 (now at position 1) learns from itself, read afresh
        cur[:k] = learn_step(cur[:k], tch[:k], red, KERAS, g).weights
    want = torch.empty_like(cur)
    want[order] = cur
    assert torch.allclose(got, want, atol=1e-12, rtol=1e-12)
    assert torch.equal(got[1], w[1])  # 0 steps: unchanged


def test_soup_learn_from_per_soup_severity_and_log():
    red = sr.make_reduction("weightwise")
    w = random_soups(red, 3, 4, generator=gen(7))
    sc = SoupConfig(attack_rate=0.0, train=KERAS, learn_from_rate=0.6, learn_from_steps=(0, 2, 5))
    run = evolve(w, red, sc, 3, gen(8))
    assert torch.equal(run.final.weights[0], w[0])  # severity 0: the soup never moves
    assert len(run.attacks) == 0 and len(run.learns) > 0
    assert set(run.learns["steps"]) <= {0, 2, 5}
    assert (run.learns["steps"] == run.learns["soup"].map({0: 0, 1: 2, 2: 5})).all()
    moved = run.learns[run.learns["steps"] > 0]
    other = moved[moved["learner"] != moved["teacher"]]
    assert (moved["moved"] > 0).all() and other["distance_before"].gt(0).all() and len(other)
    with pytest.raises(ValueError, match="learn_from_steps"):
        SoupConfig(learn_from_steps=(1, -1))
    with pytest.raises(ValueError, match="learn_from_steps"):
        SoupConfig(learn_from_steps=0)
    with pytest.raises(ValueError, match="learn_from_steps: 2 per-soup values for 3 soups"):
        evolve(w, red, SoupConfig(learn_from_rate=0.5, learn_from_steps=(1, 2)), 1, gen(9))


def test_learning_from_any_teacher_drives_the_map_to_the_identity():
    """The mechanism of Q2: the pairs of any teacher are fitted exactly by the map a = e₁, so a learner ends
    on the identity family (a₀ = 1), near where self-training would take it, and not on its teacher."""
    from selfrep.analysis.soup import attacker_gain
    from selfrep.analysis.weightspace import mae
    from selfrep.training import learn_steps

    red = sr.make_reduction("weightwise")
    cfg = TrainConfig(step="epoch", lr=0.01, backend="compiled")
    w = sr.init_population(red.arch, 40, "glorot", generator=gen(10))
    teachers = sr.init_population(red.arch, 40, "glorot", generator=gen(11))
    steps = torch.full((40,), 1000)
    learned = learn_steps(w, teachers, steps, red, cfg, gen(12))
    alone = self_train(w, red, 1000, cfg, gen(13)).weights
    gain = attacker_gain(learned, red)
    assert float((gain - 1).abs().median()) < 1e-3
    assert float(mae(learned, alone).median()) < 0.2 * float(mae(learned, teachers).median())
