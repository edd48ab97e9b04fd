"""Lottery tickets: pruning masks (sparsity per round, nesting), random masks, rewinding,
determinism."""

import pandas as pd
import pytest
import torch

from selfrep.selfmod.common import generator, init_layers
from selfrep.selfmod.lottery import (
    LotteryConfig,
    dense_masks,
    lottery_summary,
    magnitude_prune,
    random_masks_like,
    remaining_fraction,
    run_lottery_seed,
    train_masked,
)


def test_magnitude_prune_removes_the_smallest_surviving_weights():
    W = torch.tensor([[0.1, -3.0, 0.2, 4.0], [-0.05, 1.0, 2.0, -0.3]])
    layers = [(W, torch.zeros(2))]
    m = magnitude_prune(layers, dense_masks(layers), [0.25])
    assert int(m[0].sum()) == 6
    assert m[0][1, 0] == 0 and m[0][0, 0] == 0  # the two smallest |w|
    m2 = magnitude_prune(layers, m, [0.5])  # prunes among survivors only
    assert int(m2[0].sum()) == 3
    assert bool((m2[0] <= m[0]).all())
    assert m2[0][0, 3] == 1 and m2[0][0, 1] == 1 and m2[0][1, 2] == 1


def test_sparsity_per_round_follows_the_rates():
    layers = init_layers((64, 300, 100, 10), generator(0))
    masks = dense_masks(layers)
    rates = [0.2, 0.2, 0.1]
    for _ in range(3):
        masks = magnitude_prune(layers, masks, rates)
    for m, r, (W, _) in zip(masks, rates, layers, strict=True):
        assert abs(float(m.sum()) / W.numel() - (1 - r) ** 3) < 2e-3
    assert 0.5 < remaining_fraction(masks) < 0.53


def test_random_masks_keep_the_count_per_layer():
    layers = init_layers((64, 30, 10), generator(1))
    masks = magnitude_prune(layers, dense_masks(layers), [0.5, 0.3])
    rnd = random_masks_like(masks, generator(2))
    assert [int(m.sum()) for m in rnd] == [int(m.sum()) for m in masks]
    assert not torch.equal(rnd[0], masks[0])


def test_masked_weights_stay_zero_and_training_is_deterministic():
    cfg = LotteryConfig(sizes=(64, 20, 10), epochs=2, rounds=1, seeds=1)
    theta0 = init_layers(cfg.sizes, generator(3))
    masks = random_masks_like(magnitude_prune(theta0, dense_masks(theta0), [0.5, 0.1]), generator(4))
    a, ca = train_masked(theta0, masks, cfg, generator(5))
    b, cb = train_masked(theta0, masks, cfg, generator(5))
    for (Wa, _), (Wb, _), m in zip(a, b, masks, strict=True):
        assert torch.equal(Wa, Wb)
        assert bool((Wa[m == 0] == 0).all())
    assert (ca["val_loss"] == cb["val_loss"]).all()


def test_run_lottery_seed_is_a_pure_function_with_nested_sparsity():
    cfg = LotteryConfig(sizes=(64, 20, 10), epochs=2, rounds=2, seeds=1)
    a = run_lottery_seed(cfg, 0)
    b = run_lottery_seed(cfg, 0)
    pd.testing.assert_frame_equal(a, b)
    t = a[a["condition"] == "ticket"].sort_values("round")
    assert list(t["remaining"]) == sorted(t["remaining"], reverse=True)
    # controls have the ticket's sparsity
    for rnd in (1, 2):
        r = a[a["round"] == rnd].set_index("condition")["remaining"]
        assert abs(r["random_mask"] - r["ticket"]) < 1e-6 and r["reinit"] == r["ticket"]
    s = lottery_summary(pd.concat([a, run_lottery_seed(cfg, 1)]))
    assert s["n_seeds"] == 2 and 0 < s["small_remaining"] < 1


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="prune_rate"):
        LotteryConfig(prune_rate=1.2)
    with pytest.raises(ValueError, match="sizes"):
        LotteryConfig(sizes=(32, 10))


def test_tickets_are_rewound_to_theta0():
    # replay one IMP round by hand: train dense from theta0, prune, retrain the *same* theta0 under
    # the mask
    from selfrep.selfmod.lottery import E6_TAG

    cfg = LotteryConfig(sizes=(64, 20, 10), epochs=2, rounds=1, seeds=1)
    theta0 = init_layers(cfg.sizes, generator(E6_TAG, 0, 0))
    trained, _ = train_masked(theta0, dense_masks(theta0), cfg, generator(E6_TAG, 0, 1, 0))
    masks = magnitude_prune(trained, dense_masks(theta0), [cfg.prune_rate, cfg.prune_rate_out])
    _, curves = train_masked(theta0, masks, cfg, generator(E6_TAG, 0, 1, 1))
    row = run_lottery_seed(cfg, 0).query("round == 1 and condition == 'ticket'").iloc[0]
    assert row["test_at_init"] == curves["test_at_init"][0]
    assert row["val_final"] == curves["val_acc"][-1]
    assert abs(row["remaining"] - remaining_fraction(masks)) < 1e-9


def _synthetic(remaining: list[float], ticket: list[float], reinit: list[float]) -> pd.DataFrame:
    """Two seeds per round; round 0 is dense. Seed 1 scores 1/360 above seed 0 in every cell."""
    rows = []
    for rnd, (rem, tk, ri) in enumerate(zip(remaining, ticket, reinit, strict=True)):
        for seed in (0, 1):
            for cond, acc in (("ticket", tk), ("reinit", ri), ("random_mask", ri)):
                rows.append(
                    dict(
                        seed=seed,
                        round=rnd,
                        condition=cond,
                        remaining=rem,
                        test_at_stop=acc + seed / 360,
                        test_at_init=0.1,
                        stop_epoch=10,
                        epochs_to_95=5,
                    )
                )
    return pd.DataFrame(rows)


def test_small_round_is_the_first_at_or_below_the_threshold():
    # 21 % is closest to 20 %, but the claim is about <= 20 %: the 17 % round is read
    df = _synthetic([1.0, 0.5, 0.21, 0.17, 0.1], [0.97] * 5, [0.97, 0.96, 0.90, 0.95, 0.93])
    s = lottery_summary(df, small=0.2, resolution=1 / 360)
    assert s["small_remaining"] == pytest.approx(0.17)
    assert s["reinit_gap_small"] == pytest.approx(0.02)
    # no round reaches the threshold: the sparsest round is read
    s = lottery_summary(df, small=0.05, resolution=1 / 360)
    assert s["small_remaining"] == pytest.approx(0.1)


def test_contiguous_run_and_smallest_passing_round():
    ok = lottery_summary(_synthetic([1.0, 0.5, 0.2], [0.97] * 3, [0.9] * 3), resolution=1 / 360)
    assert ok["ticket_run_remaining"] == ok["ticket_min_remaining"] == pytest.approx(0.2)
    gap = lottery_summary(_synthetic([1.0, 0.5, 0.2, 0.1], [0.97, 0.97, 0.9, 0.97], [0.9] * 4))
    assert gap["ticket_run_remaining"] == pytest.approx(0.5)
    assert gap["ticket_min_remaining"] == pytest.approx(0.1)


def test_stacked_training_equals_training_each_net_alone():
    from selfrep.selfmod.lottery import train_masked_stack

    cfg = LotteryConfig(sizes=(64, 20, 10), epochs=2, rounds=1, seeds=1)
    nets = [init_layers(cfg.sizes, generator(s)) for s in (3, 4)]
    masks = [magnitude_prune(n, dense_masks(n), [0.5, 0.1]) for n in nets]
    both = train_masked_stack(nets, masks, cfg, [generator(5), generator(6)])
    for n, m, g, (layers, curves) in zip(nets, masks, (5, 6), both, strict=True):
        alone, c = train_masked(n, m, cfg, generator(g))
        for (Wa, ba), (Wb, bb) in zip(alone, layers, strict=True):
            assert torch.allclose(Wa, Wb, atol=1e-5) and torch.allclose(ba, bb, atol=1e-5)
        assert abs(c["val_loss"] - curves["val_loss"]).max() < 1e-4
    with pytest.raises(ValueError, match="inits"):
        train_masked_stack(nets, masks[:1], cfg, [generator(5)])
