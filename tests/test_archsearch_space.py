"""The DigitsMLP search space: encoding, counting, mutation, construction and deterministic training."""

import numpy as np
import pytest
import torch

from selfrep.archsearch.space import (
    ENCODING_NAMES,
    ArchConfig,
    BenchTrainConfig,
    SearchSpace,
    build_mlp,
    encode,
    train_mlp,
)


def test_space_size_and_unique_count():
    sp = SearchSpace()
    cs = sp.configs()
    assert len(cs) == sp.size == 2040
    assert len(set(cs)) == 2040
    # skip with no matching shapes is a duplicate: 3^d width sequences avoid every match at depth d, x3 acts
    assert len(sp.unique_configs()) == 2040 - 3 * (3 + 9 + 27 + 81)


def test_key_roundtrip_and_validation():
    c = ArchConfig((64, 64, 128), "tanh", True)
    assert ArchConfig.from_key(c.key) == c
    assert c.skip_mask() == (True, True, False)
    assert c.n_params() == 64 * 64 + 64 + 64 * 64 + 64 + 64 * 128 + 128 + 128 * 10 + 10
    with pytest.raises(ValueError, match="activation"):
        ArchConfig((16,), "gelu")
    with pytest.raises(ValueError, match="widths"):
        ArchConfig((), "relu")
    with pytest.raises(ValueError, match="key"):
        ArchConfig.from_key("16|relu")


def test_canonical_only_drops_inert_skip():
    assert ArchConfig((32, 16), "relu", True).canonical() == ArchConfig((32, 16), "relu", False)
    assert ArchConfig((64,), "relu", True).canonical() == ArchConfig((64,), "relu", True)
    assert ArchConfig((32, 32), "relu", True).is_canonical


def test_mutate_stays_in_space_and_changes():
    sp = SearchSpace()
    rng = np.random.default_rng(0)
    c = ArchConfig((16,), "relu")
    for _ in range(500):
        m = sp.mutate(c, rng)
        assert m != c and sp.contains(m)
        c = m
    small = SearchSpace(depths=(2,), widths=(16,), activations=("relu",), skips=(False,))
    with pytest.raises(ValueError, match="space"):
        small.mutate(ArchConfig((16, 16), "relu"), rng)


def test_encode_shape_and_values():
    X = encode([ArchConfig((16,), "relu"), ArchConfig((128, 64, 64, 64), "sigmoid", True)])
    assert X.shape == (2, len(ENCODING_NAMES))
    assert X[0, 0] == 1 and X[0, 1] == 4 and X[0, 2] == 0
    assert X[1, ENCODING_NAMES.index("act_sigmoid")] == 1
    assert X[1, ENCODING_NAMES.index("n_skips")] == 2


def test_build_mlp_deterministic_and_residual():
    c = ArchConfig((64, 64), "tanh", True)
    a, b = build_mlp(c, 3), build_mlp(c, 3)
    x = torch.rand(5, 64, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a(x), b(x))
    assert a(x).shape == (5, 10)
    # residual: with zeroed hidden weights and biases, tanh(0) = 0 and the input passes through
    with torch.no_grad():
        for layer in a.layers[:-1]:
            layer.weight.zero_()
            layer.bias.zero_()
    assert torch.allclose(a(x), a.layers[-1](x))
    assert not torch.equal(build_mlp(c, 4)(x), b(x))


def test_train_is_pure_and_inert_skip_identical():
    tc = BenchTrainConfig(epochs=2, record_epochs=(1,))
    r1 = train_mlp(ArchConfig((16,), "relu", True), 5, tc)
    r2 = train_mlp(ArchConfig((16,), "relu", False), 5, tc)
    r3 = train_mlp(ArchConfig((16,), "relu", False), 5, tc)
    assert (r1.val_acc, r1.test_acc, r1.val_loss) == (r2.val_acc, r2.test_acc, r2.val_loss)
    assert r2 == r3 or (r2.val_acc, r2.val_acc_at) == (r3.val_acc, r3.val_acc_at)
    assert set(r1.val_acc_at) == {1}
    assert 0.0 <= r1.val_acc <= 1.0


def test_train_divergence_is_reported_not_raised():
    r = train_mlp(ArchConfig((16,), "relu"), 0, BenchTrainConfig(epochs=2, lr=1e30, record_epochs=()))
    assert r.diverged and r.val_acc == pytest.approx(0.1)


def test_trainconfig_validates():
    with pytest.raises(ValueError, match="epochs"):
        BenchTrainConfig(epochs=0)
    with pytest.raises(ValueError, match="record_epochs"):
        BenchTrainConfig(epochs=3, record_epochs=(5,))


def test_training_with_dropout_is_reproducible_despite_the_global_rng():
    tc = BenchTrainConfig(epochs=2, dropout=0.3, record_epochs=())
    cfg = ArchConfig((32, 32), "relu")
    a = train_mlp(cfg, 1, tc)
    torch.manual_seed(123)  # the global generator must not matter
    torch.rand(10)
    b = train_mlp(cfg, 1, tc)
    assert (a.val_acc, a.val_loss, a.test_acc) == (b.val_acc, b.val_loss, b.test_acc)
    assert train_mlp(cfg, 1, BenchTrainConfig(epochs=2, record_epochs=())).val_loss != a.val_loss
