"""EditNet: the head is a buffer never trained by backprop; edits; episodes and evolution are
pure."""

import pandas as pd
import pytest
import torch

from selfrep.selfmod.common import generator
from selfrep.selfmod.editnet import (
    ACTIONS,
    DESC_DIM,
    MAX_DEPTH,
    EditConfig,
    EditNet,
    evolve_head,
    init_head,
    run_editnet,
    run_episode,
)

TINY = EditConfig(
    warmup_epochs=1,
    rounds=2,
    epochs_per_round=1,
    pop=3,
    elite=1,
    generations=2,
    evo_runs=1,
    test_seeds=2,
    search_repeats=2,
)


def _net(widths=(16,)):
    return EditNet(widths, init_head(TINY, generator(0)), TINY.head_hidden, generator(1))


def test_head_is_a_buffer_not_a_parameter():
    net = _net()
    head = net.head.clone()
    assert all(p.data_ptr() != net.head.data_ptr() for p in net.parameters())
    assert "head" in dict(net.named_buffers())
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x, y = torch.rand(32, 64), torch.randint(0, 10, (32,))
    torch.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
    assert torch.equal(net.head, head)


def test_valid_actions_respect_the_space():
    net = _net((128, 16, 16, 16))
    ok = net.valid_actions()
    assert ok[0]  # no-op
    assert not ok[ACTIONS.index(("widen", 0))] and ok[ACTIONS.index(("widen", 1))]
    assert not any(ok[ACTIONS.index(("deepen", l))] for l in range(MAX_DEPTH))
    assert not ok[ACTIONS.index(("shrink", 1))] and ok[ACTIONS.index(("shrink", 0))]
    with pytest.raises(ValueError, match="action"):
        net.apply(ACTIONS.index(("widen", 0)), generator(2))


def test_grow_edits_preserve_the_function():
    net = _net((16, 32))
    x = torch.rand(64, 64)
    with torch.no_grad():
        y0 = net(x)
    assert net.apply(ACTIONS.index(("widen", 0)), generator(3))
    assert net.apply(ACTIONS.index(("deepen", 1)), generator(3))
    assert net.widths == (32, 32, 32)
    with torch.no_grad():
        assert (net(x) - y0).abs().max() < 1e-5
    assert net.apply(ACTIONS.index(("shrink", 2)), generator(3))
    assert net.widths == (32, 32, 16)


def test_propose_is_a_valid_edit():
    net = _net((128,))
    for s in range(5):
        a = net.propose(torch.randn(DESC_DIM, generator=generator(s)))
        assert net.valid_actions()[a]


def test_episodes_are_pure_functions():
    head = init_head(TINY, generator(5))
    for pol in ("evolved", "random", "rule", "noop", "blind"):
        a = run_episode(TINY, pol, 7, head)
        b = run_episode(TINY, pol, 7, head)
        assert a["test_acc"] == b["test_acc"] and a["widths"] == b["widths"] and a["edits"] == b["edits"]
    assert run_episode(TINY, "noop", 7)["widths"] == (16,)
    with pytest.raises(ValueError, match="policy"):
        run_episode(TINY, "oracle", 7)
    with pytest.raises(ValueError, match="head"):
        run_episode(TINY, "evolved", 7)


def test_evolution_is_deterministic():
    h1, log1, f1 = evolve_head(TINY, 0)
    h2, log2, f2 = evolve_head(TINY, 0)
    assert torch.equal(h1, h2) and torch.equal(f1, f2)
    pd.testing.assert_frame_equal(log1, log2)
    assert len(log1) == TINY.pop * TINY.generations


def test_run_editnet_is_a_pure_function():
    r = run_editnet(TINY, 0)
    r2 = run_editnet(TINY, 0)
    for k in r:
        pd.testing.assert_frame_equal(r[k], r2[k])
    e = r["episodes"]
    assert set(e["policy"]) == {"evolved", "gen0", "blind", "random", "noop", "rule"}
    assert len(e) == TINY.test_seeds * (3 * TINY.evo_runs + 3)


def test_config_validation():
    with pytest.raises(ValueError, match="elite"):
        EditConfig(pop=4, elite=4)
    with pytest.raises(ValueError, match="start_widths"):
        EditConfig(start_widths=(20,))
