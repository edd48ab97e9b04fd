"""Net2Net operators: exact function preservation, symmetry breaking, shrinking, bad input."""

import pytest
import torch

from selfrep.chapters.self_modification import preservation_check
from selfrep.selfmod.common import generator, init_layers, mlp_forward
from selfrep.selfmod.net2net import net2deeper, net2wider, shrink, unit_scores, widths


def _net(ws, seed=0):
    g = generator(123, seed)
    return init_layers((64, *ws, 10), g), torch.rand(200, 64, generator=g), g


@pytest.mark.parametrize("ws,l,new", [((16,), 0, 32), ((16, 32), 1, 128), ((32, 16, 64), 0, 33)])
def test_net2wider_preserves_function(ws, l, new):
    layers, x, g = _net(ws)
    wide = net2wider(layers, l, new, g)
    assert widths(wide)[l] == new
    assert (mlp_forward(wide, x) - mlp_forward(layers, x)).abs().max() < 1e-5


@pytest.mark.parametrize("ws,l", [((16,), 0), ((16, 32), 0), ((16, 32, 8), 2)])
def test_net2deeper_preserves_relu_function(ws, l):
    layers, x, _ = _net(ws)
    deep = net2deeper(layers, l)
    assert len(widths(deep)) == len(ws) + 1
    assert widths(deep)[l + 1] == ws[l]
    assert (mlp_forward(deep, x) - mlp_forward(layers, x)).abs().max() < 1e-5


def test_net2deeper_is_not_exact_for_tanh():
    # the identity layer is exact only for idempotent activations (ReLU): a documented limit
    layers, x, _ = _net((16, 16))
    deep = net2deeper(layers, 0)
    assert (mlp_forward(deep, x, "tanh") - mlp_forward(layers, x, "tanh")).abs().max() > 1e-3


def test_widened_copies_get_different_gradients():
    layers, x, g = _net((4,))
    wide = net2wider(layers, 0, 8, g)
    W = wide[0][0].clone().requires_grad_(True)
    net = [(W, wide[0][1]), wide[1]]
    y = torch.randint(0, 10, (200,), generator=g)
    torch.nn.functional.cross_entropy(mlp_forward(net, x), y).backward()
    # unit j >= 4 copies some unit i < 4: same incoming weights, different gradients (symmetry
    # broken)
    for j in range(4, 8):
        i = next(i for i in range(4) if torch.equal(wide[0][0][i], wide[0][0][j]))
        assert not torch.allclose(W.grad[i], W.grad[j])


def test_shrink_keeps_largest_units():
    layers, x, _ = _net((32, 16))
    scores = unit_scores(layers, 0)
    small = shrink(layers, 0, 8)
    assert widths(small) == (8, 16)
    kept = torch.sort(torch.argsort(scores, descending=True)[:8]).values
    assert torch.equal(small[0][0], layers[0][0][kept])
    assert torch.equal(small[1][0], layers[1][0][:, kept])


def test_bad_input_names_the_parameter():
    layers, _, g = _net((16,))
    with pytest.raises(ValueError, match="width"):
        net2wider(layers, 0, 8, g)
    with pytest.raises(ValueError, match="^l:"):
        net2deeper(layers, 1)
    with pytest.raises(ValueError, match="width"):
        shrink(layers, 0, 0)


def test_preservation_check_is_tiny():
    assert preservation_check(seed=0, n_checks=6) < 1e-5
