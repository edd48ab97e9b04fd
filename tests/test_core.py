"""The batched library against slow per-network references, plus shapes, edge cases and bad input."""

from __future__ import annotations

import warnings

import pytest
import torch

import selfrep as sr
from selfrep.fixpoints import FixpointKind
from selfrep.shuffle import sample_orders
from tests import reference as ref

REDUCTION_NAMES = list(sr.REDUCTIONS)
# (activation, bias, order) variants every MLP test runs on: the paper's setting and the untried ones.
MLP_VARIANTS = [
    ("linear", False, "input_major"),
    ("linear", False, "output_major"),
    ("tanh", True, "input_major"),
    ("relu", False, "output_major"),
    ("sigmoid", True, "output_major"),
]


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(params=REDUCTION_NAMES)
def reduction(request):
    return sr.make_reduction(request.param)


# ------------------------------------------------------------------------------------------------
# Architectures and initialisation
# ------------------------------------------------------------------------------------------------
def test_paper_weight_counts():
    assert sr.Arch.weightwise().n_weights == 14
    assert sr.Arch.aggregating().n_weights == 20
    assert sr.Arch.recurrent().n_weights == 17
    assert sr.Arch.weightwise(bias=True).n_weights == 14 + 2 + 2 + 1


@pytest.mark.parametrize("order", ["input_major", "output_major"])
@pytest.mark.parametrize("bias", [False, True])
def test_layers_flatten_roundtrip(order, bias):
    arch = sr.Arch((4, 3, 2, 1), "tanh", bias, "mlp", order)
    w = torch.randn(5, arch.n_weights, generator=gen())
    assert torch.equal(arch.flatten(arch.layers(w)), w)
    for p in range(5):
        for (K, bb), layer in zip(
            ref.mlp_matrices(arch.sizes, w[p], order, bias), arch.layers(w), strict=True
        ):
            assert torch.equal(layer["kernel"][p], K)
            if bias:
                assert torch.equal(layer["bias"][p], bb)


def test_glorot_init_bounds_and_stream():
    arch = sr.Arch.weightwise()
    w = sr.init_population(arch, 20000, "glorot", generator=gen())
    bounds = [ref.glorot_bound(4, 2)] * 8 + [ref.glorot_bound(2, 2)] * 4 + [ref.glorot_bound(2, 1)] * 2
    b = torch.tensor(bounds)
    assert (w.abs() <= b).all()
    assert (w.abs().amax(0) > 0.99 * b).all()  # the whole interval is used
    assert torch.equal(w, sr.init_population(arch, 20000, "glorot", generator=gen()))


def test_pytorch_init_bounds():
    arch = sr.Arch.weightwise(order="output_major")
    w = sr.init_population(arch, 20000, "pytorch", generator=gen())
    b = torch.tensor([0.5] * 8 + [2**-0.5] * 4 + [2**-0.5] * 2)
    assert (w.abs() <= b + 1e-7).all() and (w.abs().amax(0) > 0.99 * b).all()


def test_recurrent_kernels_are_orthogonal():
    arch = sr.Arch.recurrent()
    w = sr.init_population(arch, 64, "glorot", generator=gen(), dtype=torch.float64)
    for layer in arch.layers(w):
        U = layer["recurrent"]
        eye = torch.eye(U.shape[-1], dtype=U.dtype).expand_as(U)
        assert torch.allclose(U @ U.transpose(1, 2), eye, atol=1e-12)


def test_init_dtype_follows_request():
    w = sr.init_population(sr.Arch.weightwise(), 3, dtype=torch.float64, generator=gen())
    assert w.dtype == torch.float64 and w.shape == (3, 14)


# ------------------------------------------------------------------------------------------------
# Reductions against the per-network reference
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation,bias,order", MLP_VARIANTS)
@pytest.mark.parametrize("positions", ["scaled", "raw"])
def test_weightwise_apply_matches_reference(activation, bias, order, positions):
    red = sr.make_reduction("weightwise", activation=activation, bias=bias, order=order, positions=positions)
    a = torch.randn(6, red.arch.n_weights, generator=gen(1), dtype=torch.float64)
    v = torch.randn(6, red.arch.n_weights, generator=gen(2), dtype=torch.float64)
    out = red.apply(a, v)
    for p in range(6):
        expect = ref.ww_apply(red.arch.sizes, a[p], v[p], activation, order, bias, positions)
        assert torch.allclose(out[p], expect, atol=1e-12)


def test_weightwise_encoding_matches_spec_tables():
    keras = sr.make_reduction("weightwise").encoding(torch.float64)
    assert keras[:8].tolist() == [[0, r / 3, k] for r in range(4) for k in range(2)]
    assert keras[8:12].tolist() == [[0.5, r, k] for r in range(2) for k in range(2)]
    assert keras[12:].tolist() == [[1, r, 0] for r in range(2)]
    torch_ = sr.make_reduction("weightwise", order="output_major").encoding(torch.float64)
    assert torch_[:8].tolist() == [[0, r, k / 3] for r in range(2) for k in range(4)]
    assert torch_[12:].tolist() == [[1, 0, k] for k in range(2)]
    raw = sr.make_reduction("weightwise", order="output_major", positions="raw").encoding(torch.float64)
    assert raw[:8].tolist() == [[0, r, k] for r in range(2) for k in range(4)]
    assert raw[12:].tolist() == [[2, 0, k] for k in range(2)]


@pytest.mark.parametrize("activation,bias,order", MLP_VARIANTS)
def test_aggregating_apply_matches_reference(activation, bias, order):
    red = sr.make_reduction("aggregating", activation=activation, bias=bias, order=order)
    a = torch.randn(5, red.arch.n_weights, generator=gen(1), dtype=torch.float64)
    v = torch.randn(5, red.arch.n_weights, generator=gen(2), dtype=torch.float64)
    out = red.apply(a, v)
    for p in range(5):
        assert torch.allclose(
            out[p], ref.agg_apply(red.arch.sizes, a[p], v[p], activation, order, bias), atol=1e-12
        )


def test_aggregating_remainder_joins_last_block():
    red = sr.Aggregating(arch=sr.Arch((3, 2, 3)))  # W = 6 + 6 = 12 -> blocks of 4
    assert red.block_of.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    red = sr.Aggregating(arch=sr.Arch((4, 3, 4)))  # W = 24 -> 6 each
    assert red.block_of.bincount().tolist() == [6] * 4
    red = sr.Aggregating(arch=sr.Arch((4, 2, 2, 4), bias=True))  # W = 10 + 6 + 12 = 28 -> 7 each
    assert red.block_of.bincount().tolist() == [7] * 4
    red = sr.Aggregating(arch=sr.Arch((4, 3, 4), bias=True))  # W = 15 + 16 = 31 -> 7, 7, 7, 10
    assert red.block_of.bincount().tolist() == [7, 7, 7, 10]


@pytest.mark.parametrize("activation,bias", [("linear", False), ("tanh", True)])
def test_recurrent_apply_matches_reference(activation, bias):
    red = sr.make_reduction("recurrent", activation=activation, bias=bias)
    a = torch.randn(4, red.arch.n_weights, generator=gen(1), dtype=torch.float64) * 0.5
    v = torch.randn(4, red.arch.n_weights, generator=gen(2), dtype=torch.float64)
    out = red.apply(a, v)
    for p in range(4):
        assert torch.allclose(out[p], ref.rnn_forward((2, 2, 1), a[p], v[p], activation, bias), atol=1e-12)


def test_shapes_for_every_reduction(reduction):
    W = reduction.arch.n_weights
    w = sr.init_population(reduction.arch, 7, generator=gen())
    assert reduction.apply(w, w).shape == (7, W)
    x, y = reduction.training_pairs(w)
    assert x.shape[:2] == y.shape[:2] and x.shape[0] == 7
    assert reduction.predict(w, x).shape == y.shape
    assert sr.self_apply(w, reduction, 3).shape == (7, W)
    assert sr.self_apply_trajectory(w, reduction, 3).shape == (4, 7, W)
    for step in ("epoch", "batch"):
        st = sr.self_train(w, reduction, 2, sr.TrainConfig(step=step, momentum=0.5), gen())
        assert st.weights.shape == (7, W) and st.velocity.shape == (7, W) and st.step == 2
    assert sr.classify(w, reduction).shape == (7,)
    assert sr.attack(w, reduction, [0, 1], [2, 3]).shape == (7, W)
    assert sr.add_noise(w, 0.1, gen()).shape == (7, W)
    empty = w[:0]
    assert sr.self_apply(empty, reduction).shape == (0, W)
    assert sr.classify(empty, reduction).shape == (0,)


# ------------------------------------------------------------------------------------------------
# Operators
# ------------------------------------------------------------------------------------------------
def test_attack_rewrites_only_victims(reduction):
    w = sr.init_population(reduction.arch, 6, generator=gen())
    out = sr.attack(w, reduction, torch.tensor([0, 3, 5]), torch.tensor([1, 3, 4]))
    for a, v in [(0, 1), (3, 3), (5, 4)]:
        assert torch.equal(out[v], reduction.apply(w[a : a + 1], w[v : v + 1])[0])
    for untouched in (0, 2, 5):
        assert torch.equal(out[untouched], w[untouched])
    assert torch.equal(sr.attack(w, reduction, [2], [2])[2], sr.self_apply(w[2:3], reduction)[0])


def test_noise_is_uniform_in_band():
    w = torch.zeros(2000, 14)
    n = sr.add_noise(w, 1e-3, gen())
    assert n.abs().max() <= 1e-3 and n.abs().max() > 0.99e-3
    assert abs(float(n.mean())) < 1e-5
    per_net = sr.add_noise(w[:3], torch.tensor([0.0, 1.0, 2.0]), gen())
    assert per_net[0].abs().max() == 0 and per_net[2].abs().max() > 1.0
    assert torch.equal(sr.add_noise(w, 1e-3, gen(5)), sr.add_noise(w, 1e-3, gen(5)))


@pytest.mark.parametrize("activation,bias,order", MLP_VARIANTS)
@pytest.mark.parametrize(
    "step_kind,momentum", [("epoch", 0.0), ("epoch", 0.9), ("batch", 0.0), ("batch", 0.9)]
)
def test_weightwise_self_training_matches_reference(activation, bias, order, step_kind, momentum):
    red = sr.make_reduction("weightwise", activation=activation, bias=bias, order=order)
    cfg = sr.TrainConfig(step=step_kind, momentum=momentum)
    P, steps = 3, 4
    w0 = sr.init_population(red.arch, P, generator=gen(3), dtype=torch.float64)
    g = gen(11)
    state = g.get_state()
    out = sr.self_train(w0, red, steps, cfg, g).weights
    # Replay the same per-network sample orders for the reference.
    g.set_state(state)
    orders = [sample_orders(P, red.arch.n_weights, g) for _ in range(steps)] if step_kind == "epoch" else None
    for p in range(P):
        per_net = [o[p].tolist() for o in orders] if orders else None
        expect = ref.ww_train_reference(
            red.arch.sizes,
            w0[p],
            steps,
            step_kind,
            cfg.learning_rate,
            momentum,
            per_net,
            activation,
            order,
            bias,
        )
        assert torch.allclose(out[p], expect, atol=1e-10), (p, out[p] - expect)


@pytest.mark.parametrize("name", ["aggregating", "recurrent"])
def test_one_sample_reductions_train_like_reference(name):
    red = sr.make_reduction(name)
    # Scaled down so that every net stays finite over the 3 steps (some random RNNs explode at once).
    w0 = 0.5 * sr.init_population(red.arch, 3, generator=gen(4), dtype=torch.float64)
    cfg = sr.TrainConfig(step="epoch", lr=0.01, momentum=0.5)
    out = sr.self_train(w0, red, 3, cfg, gen()).weights
    for p in range(3):
        w = w0[p].clone().requires_grad_(True)
        opt = torch.optim.SGD([w], lr=0.01, momentum=0.5)
        for _ in range(3):
            target = w.detach().clone()
            if name == "aggregating":
                blocks = ref.agg_blocks(20, 4)
                x = torch.stack([target[b].mean() for b in blocks])
                pred = ref.mlp_forward(red.arch.sizes, w, x)
            else:
                x = target
                pred = ref.rnn_forward((2, 2, 1), w, x)
            opt.zero_grad()
            torch.nn.functional.mse_loss(pred, x).backward()
            opt.step()
        assert torch.isfinite(w).all() and torch.allclose(out[p], w.detach(), atol=1e-10)


def test_momentum_is_carried_across_steps():
    red = sr.make_reduction("weightwise")
    cfg = sr.TrainConfig(step="batch", momentum=0.9)
    w0 = sr.init_population(red.arch, 4, generator=gen(), dtype=torch.float64)
    two_at_once = sr.self_train(w0, red, 2, cfg)
    one_then_one = sr.self_train(sr.self_train(w0, red, 1, cfg), red, 1, cfg)
    assert torch.equal(two_at_once.weights, one_then_one.weights)
    restarted = sr.self_train(sr.self_train(w0, red, 1, cfg).weights, red, 1, cfg)  # buffer reset
    assert not torch.allclose(two_at_once.weights, restarted.weights)


def test_learn_from_fits_teacher_pairs():
    red = sr.make_reduction("weightwise")
    learner = sr.init_population(red.arch, 4, generator=gen(1))
    teacher = sr.identity_fixpoint(red.arch, 4)
    before = (red.apply(learner, teacher) - teacher).abs().mean()
    after_state = sr.learn_from(learner, teacher, red, sr.TrainConfig(step="batch", lr=0.1), steps=200)
    after = (red.apply(after_state.weights, teacher) - teacher).abs().mean()
    assert after < 0.2 * before


def test_same_seed_same_tensors(reduction):
    def run(seed):
        g = gen(seed)
        w = sr.init_population(reduction.arch, 10, generator=g)
        w = sr.add_noise(w, 0.01, g)
        return sr.self_train(w, reduction, 3, sr.TrainConfig(), g).weights

    same = torch.testing.assert_close
    same(run(7), run(7), rtol=0, atol=0, equal_nan=True)
    with pytest.raises(AssertionError):
        same(run(7), run(8), rtol=0, atol=0, equal_nan=True)


def test_sample_orders_are_uniform_permutations():
    o = sample_orders(30000, 14, gen())
    assert torch.equal(o.sort(1).values, torch.arange(14).expand(30000, 14))
    freq = torch.stack([torch.bincount(o[:, k], minlength=14) for k in range(14)]).float() / 30000
    assert (freq - 1 / 14).abs().max() < 0.012  # ~5 sigma for 30k draws


# ------------------------------------------------------------------------------------------------
# Classification
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("order", ["input_major", "output_major"])
@pytest.mark.parametrize("positions", ["scaled", "raw"])
def test_identity_net_is_exact_nonzero_fixpoint(order, positions):
    red = sr.make_reduction("weightwise", order=order, positions=positions)
    idn = sr.identity_fixpoint(red.arch, 2)
    assert idn[0].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0]
    assert torch.equal(red.apply(idn, idn), idn)
    mx, mean = sr.fixpoint_error(idn, red)
    assert mx.tolist() == [0.0, 0.0] and mean.tolist() == [0.0, 0.0]
    assert sr.classify(idn, red).tolist() == [FixpointKind.NONZERO] * 2


def test_zero_net_is_zero_fixpoint(reduction):
    z = torch.zeros(3, reduction.arch.n_weights)
    assert sr.classify(z, reduction).tolist() == [FixpointKind.ZERO] * 3


def test_divergent_nets_are_classified_without_warnings(reduction):
    w = sr.init_population(reduction.arch, 4, generator=gen())
    w[0, 0] = float("inf")
    w[1, -1] = float("nan")
    w[2, :] = float("-inf")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        codes = sr.classify(w, reduction)
        sr.self_apply(w, reduction, 5)
        sr.self_train(w, reduction, 2, sr.TrainConfig(step="epoch", momentum=0.9), gen())
        sr.fixpoint_error(w, reduction)
    assert codes[:3].tolist() == [FixpointKind.DIVERGENT] * 3


def test_overflow_during_application_is_not_a_fixpoint():
    red = sr.make_reduction("weightwise")
    w = torch.full((1, 14), 1e30)  # finite weights, but N ◁ N overflows
    assert sr.classify(w, red).tolist() == [FixpointKind.OTHER]
    assert sr.fixpoint_error(w, red)[0].item() == float("inf")


def test_second_order_fixpoint_is_detected():
    # Output the negated value: N ◁ N = -N (not a fixpoint), N ◁ (N ◁ N) = N.
    red = sr.make_reduction("weightwise")
    w = torch.zeros(1, 14)
    w[0, 0], w[0, 8], w[0, 12] = -1.0, 1.0, 1.0
    assert sr.classify(w, red).tolist() == [FixpointKind.SECOND_ORDER]


def test_classification_order_and_eps():
    red = sr.make_reduction("weightwise")
    idn = sr.identity_fixpoint(red.arch)
    near = idn.clone()
    near[0, 0] = 1 + 3e-5  # N ◁ N - N = 3e-5 (1 + 3e-5) at weights 0, 8 and 12
    assert sr.classify(near, red, eps=1e-5).item() == FixpointKind.OTHER
    assert sr.classify(near, red, eps=1e-4).item() == FixpointKind.NONZERO
    tiny = torch.full((1, 14), 1e-6)
    assert sr.classify(tiny, red, eps=1e-5).item() == FixpointKind.ZERO
    counts = sr.count_kinds(sr.classify(torch.cat([idn, tiny]), red))
    assert counts == {
        "divergent": 0,
        "zero fixpoint": 1,
        "non-zero fixpoint": 1,
        "second-order fixpoint": 0,
        "other": 0,
    }


@pytest.mark.slow
def test_100k_random_nets_contain_no_fixpoint(reduction):
    w = sr.init_population(reduction.arch, 100_000, generator=gen(2019))
    counts = sr.count_kinds(sr.classify(w, reduction, eps=1e-5))
    assert counts["zero fixpoint"] == counts["non-zero fixpoint"] == counts["second-order fixpoint"] == 0
    assert counts["other"] == 100_000


# ------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------
def test_bad_input_names_the_parameter():
    red = sr.make_reduction("weightwise")
    w = sr.init_population(red.arch, 3, generator=gen())
    cases = [
        (lambda: sr.make_reduction("quine"), "reduction"),
        (lambda: sr.make_reduction("weightwise", positions="absolute"), "positions"),
        (lambda: sr.make_reduction("weightwise", activation="gelu"), "activation"),
        (lambda: sr.make_reduction("weightwise", shuffle=True), "options"),
        (lambda: sr.self_apply(w, red, -1), "steps"),
        (lambda: sr.self_train(w, red, -5), "steps"),
        (lambda: sr.self_train(w, red, 1.5), "steps"),
        (lambda: sr.self_apply(w[:, :10], red), "weights"),
        (lambda: sr.self_apply(w[0], red), "weights"),
        (lambda: red.apply(w, w[:2]), "attacker"),
        (lambda: sr.classify(w, red, eps=0), "eps"),
        (lambda: sr.classify(w, red, eps=-1e-5), "eps"),
        (lambda: sr.TrainConfig(step="minibatch"), "step"),
        (lambda: sr.TrainConfig(lr=-0.1), "lr"),
        (lambda: sr.TrainConfig(momentum=1.0), "momentum"),
        (lambda: sr.TrainConfig(backend="gpu"), "backend"),
        (lambda: sr.add_noise(w, -1.0), "zeta"),
        (lambda: sr.attack(w, red, [0], [5]), "victims"),
        (lambda: sr.attack(w, red, [0, 1], [2, 2]), "victims"),
        (lambda: sr.init_population(red.arch, 3, "he"), "scheme"),
        (lambda: sr.init_population(red.arch, -1), "P"),
        (lambda: sr.Arch((4,)), "sizes"),
        (lambda: sr.Arch((4, 1), kind="cnn"), "kind"),
        (lambda: sr.Weightwise(arch=sr.Arch((3, 1))), "arch"),
    ]
    for fn, name in cases:
        with pytest.raises(ValueError, match=rf"^{name}:"):
            fn()


def test_unknown_scale_names_the_parameter():
    from selfrep.chapters import check_scale

    with pytest.raises(ValueError, match=r"^scale:"):
        check_scale("huge")
