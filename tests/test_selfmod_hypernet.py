"""Mini-GHN: token shapes, predicted weight shapes, splits, determinism, steps-to-match."""

import numpy as np
import pandas as pd
import pytest
import torch

from selfrep.archsearch.space import ArchConfig
from selfrep.selfmod.common import generator
from selfrep.selfmod.hypernet import (
    MAX_WIDTH,
    TOKEN_DIM,
    GHNConfig,
    MiniGHN,
    adam_curve,
    arch_sizes,
    arch_tokens,
    eval_accuracy,
    run_hypernet,
    split_archs,
    steps_to_match,
    train_ghn,
)

TINY = GHNConfig(
    steps=3,
    meta_batch=2,
    image_batch=16,
    n_test=1,
    ghn_seeds=1,
    curve_steps=(0, 3),
)
ARCHS = [
    ArchConfig((16,), "relu", False),
    ArchConfig((64, 64, 32), "tanh", True),
    ArchConfig((128, 16, 16, 128), "sigmoid", True),
]


def test_tokens_have_one_row_per_layer():
    for a in ARCHS:
        t = arch_tokens(a)
        assert t.shape == (a.depth + 1, TOKEN_DIM)
        assert t[-1, 4] == 1.0 and t[0, 3] == 1.0  # last / first flags
    with pytest.raises(ValueError, match="arch"):
        arch_tokens(ArchConfig((MAX_WIDTH + 1,), "relu"))


@pytest.mark.parametrize("encoder", ["gru", "mlp"])
def test_predicted_weights_have_the_architectures_shapes(encoder):
    ghn = MiniGHN(encoder, gen=generator(0))
    for a, layers in zip(ARCHS, ghn.predict(ARCHS), strict=True):
        sizes = arch_sizes(a)
        assert [tuple(W.shape) for W, _ in layers] == list(zip(sizes[1:], sizes[:-1], strict=True))
        assert [b.shape[0] for _, b in layers] == list(sizes[1:])
        assert 0.0 <= eval_accuracy([(W.detach(), b.detach()) for W, b in layers], a) <= 1.0


def test_token_override_must_match_depth():
    ghn = MiniGHN("gru", gen=generator(0))
    with pytest.raises(ValueError, match="tokens"):
        ghn.predict(ARCHS[:1], [arch_tokens(ARCHS[1])])
    with pytest.raises(ValueError, match="encoder"):
        MiniGHN("gnn")


def test_splits_are_disjoint_and_out_of_distribution():
    cfg = GHNConfig(n_test=5)
    s = split_archs(cfg, 0)
    assert not set(s["train"]) & set(s["in-distribution"])
    assert all(a.depth == 4 for a in s["deeper"])
    assert all(MAX_WIDTH in a.widths for a in s["wider"])
    assert all(a.activation == "sigmoid" for a in s["other activation"])
    assert all(a.activation in cfg.train_acts and max(a.widths) <= 64 for a in s["train"])
    assert split_archs(cfg, 0) == s


def test_training_is_deterministic_and_changes_the_weights():
    s = split_archs(TINY, 0)
    g1, l1 = train_ghn(TINY, s["train"], "gru", 0)
    g2, l2 = train_ghn(TINY, s["train"], "gru", 0)
    assert np.array_equal(l1, l2)
    for p, q in zip(g1.parameters(), g2.parameters(), strict=True):
        assert torch.equal(p, q)
    g0 = MiniGHN("gru", gen=generator(4, 0, 1, 0))
    assert not torch.equal(g0.dec_out.weight, g1.dec_out.weight)


def test_steps_to_match_interpolates_in_log_steps():
    steps, curve = [0, 10, 100], np.array([0.1, 0.5, 0.9])
    assert steps_to_match(0.05, steps, curve) == 0.0
    assert steps_to_match(0.5, steps, curve) == pytest.approx(10.0)
    assert 10 < steps_to_match(0.7, steps, curve) < 100
    assert steps_to_match(0.95, steps, curve) == float("inf")


def test_adam_curve_is_deterministic():
    a = adam_curve(ARCHS[0], (0, 5, 20), generator(1))
    b = adam_curve(ARCHS[0], (0, 5, 20), generator(1))
    assert a.shape == (3,) and np.array_equal(a, b)


def test_run_hypernet_is_a_pure_function():
    a = run_hypernet(TINY, 0)
    b = run_hypernet(TINY, 0)
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k])
    z = a["zero_shot"]
    assert set(z["tokens"]) == {"true", "shuffled", "constant"} and set(z["encoder"]) == {
        "gru",
        "mlp",
    }


def test_no_skip_twins_in_the_space_or_across_splits():
    from selfrep.selfmod.hypernet import arch_space, has_skip_edge

    space = arch_space((1, 2, 3), (16, 32, 64), ("relu", "tanh"))
    assert all(has_skip_edge(a) for a in space if a.skip)
    assert ArchConfig((16,), "relu", True) not in space  # its skip adds nothing: a twin of the plain net
    assert ArchConfig((64,), "relu", True) in space  # input (64) -> first layer (64): a real skip
    s = split_archs(GHNConfig(n_test=10), 0)
    train_tokens = {tuple(arch_tokens(a).flatten().tolist()) for a in s["train"]}
    for a in s["in-distribution"]:
        assert tuple(arch_tokens(a).flatten().tolist()) not in train_tokens


def test_skip_edges_reach_the_message_passing():
    from selfrep.selfmod.hypernet import arch_edges

    a = ArchConfig((32, 32, 16), "relu", True)  # layer 1 (32 -> 32) adds its input: edge 0 -> 2
    assert arch_edges(a) == [(0, 1), (1, 2), (2, 3), (0, 2)]
    assert arch_edges(ArchConfig((32, 32, 16), "relu", False)) == [(0, 1), (1, 2), (2, 3)]
    ghn = MiniGHN("gru", gen=generator(0))
    toks = [arch_tokens(a)]
    with torch.no_grad():
        with_skip = ghn.embed_tokens(toks, [arch_edges(a)])[0]
        chain = ghn.embed_tokens(toks, [[(0, 1), (1, 2), (2, 3)]])[0]
        assert not torch.allclose(with_skip[2], chain[2])  # the skip's target reads another message
        mlp = MiniGHN("mlp", gen=generator(0))
        assert torch.equal(mlp.embed_tokens(toks, [arch_edges(a)])[0], mlp.embed_tokens(toks, None)[0])
    with pytest.raises(ValueError, match="edges"):
        ghn.embed_tokens(toks, [[(2, 1)]])


def test_stacked_adam_curves_equal_training_each_net_alone():
    from selfrep.archsearch.data import load_digits_split
    from selfrep.selfmod.common import adam_stack_curves, init_layers, stack_layers

    d = load_digits_split()
    steps = (0, 5, 30)
    for a in ARCHS[:2]:
        alone = adam_curve(a, steps, generator(7))
        g = generator(7)
        net = init_layers(arch_sizes(a), g)
        other = init_layers(arch_sizes(a), generator(8))
        st = stack_layers([net, other], a.activation, a.skip)
        both = adam_stack_curves(st, [g, generator(9)], steps, d.X_train, d.y_train, d.X_test, d.y_test)
        assert np.allclose(both[0], alone, atol=1 / 360 + 1e-9)
