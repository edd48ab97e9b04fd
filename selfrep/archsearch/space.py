"""The DigitsMLP search space: small MLPs on digits, their encoding, construction and training.

An architecture is an `ArchConfig`: hidden-layer widths (depth = number of hidden layers), one activation for
all hidden layers, and a residual-skip flag. With `skip=True`, hidden layer l computes
`h_l = act(W_l h_{l-1} + b_l) + h_{l-1}` wherever the shapes match (`width_l == width_{l-1}`, the input
counting as width 64), and `h_l = act(W_l h_{l-1} + b_l)` elsewhere. A skip flag with no matching shapes
changes nothing, so such a config is functionally the same net as its `skip=False` twin:
`ArchConfig.canonical()` maps it there.

The default space (`SearchSpace()`) is depth 1-4, widths {16, 32, 64, 128} per layer, activation
{relu, tanh, sigmoid}, skip {0, 1}: 2,040 configs, 1,680 of them functionally distinct.

Training (`train_mlp`) is a pure function of (config, seed, BenchTrainConfig): the seed fixes both the initial
weights (drawn layer by layer from one `torch.Generator`, the same draws whatever the skip flag) and the
minibatch order (a second generator, so every architecture with the same seed sees the same batches). Run it
with `torch.set_num_threads(1)` (it sets that itself) to get bit-identical results on one machine.

Used by the self-modification experiments too (hypernetworks, self-editing nets): `build_mlp` gives a plain
`torch.nn.Module` for a config, `MLP.layers` its `nn.Linear` list in order (hidden layers, then the head).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from selfrep.archsearch.data import Digits, load_digits_split

N_IN = 64
N_OUT = 10
SPACE_ACTIVATIONS: tuple[str, ...] = ("relu", "tanh", "sigmoid")
WIDTHS: tuple[int, ...] = (16, 32, 64, 128)
DEPTHS: tuple[int, ...] = (1, 2, 3, 4)
RECORD_EPOCHS: tuple[int, ...] = (2, 5, 10)

_ACT_FN = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


@dataclass(frozen=True, order=True)
class ArchConfig:
    """One architecture: hidden widths (len = depth), activation name, residual-skip flag.

    Hashable and ordered, so it can key dicts and sort deterministically. `key` is a compact string
    ("64-64-128|tanh|skip") that round-trips through `ArchConfig.from_key`.
    """

    widths: tuple[int, ...]
    activation: str
    skip: bool = False

    def __post_init__(self) -> None:
        widths = tuple(int(w) for w in self.widths)
        if not widths:
            raise ValueError("widths: an architecture needs at least one hidden layer")
        if any(w <= 0 for w in widths):
            raise ValueError(f"widths: every width must be positive, got {widths}")
        if self.activation not in _ACT_FN:
            raise ValueError(f"activation: {self.activation!r} is not one of {SPACE_ACTIVATIONS}")
        object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "skip", bool(self.skip))

    @property
    def depth(self) -> int:
        return len(self.widths)

    @property
    def key(self) -> str:
        return f"{'-'.join(map(str, self.widths))}|{self.activation}|{'skip' if self.skip else 'noskip'}"

    @classmethod
    def from_key(cls, key: str) -> ArchConfig:
        try:
            widths, act, skip = key.split("|")
            if skip not in ("skip", "noskip"):
                raise ValueError
            return cls(tuple(int(w) for w in widths.split("-")), act, skip == "skip")
        except ValueError as exc:
            raise ValueError(f"key: cannot parse architecture key {key!r}") from exc

    def skip_mask(self, n_in: int = N_IN) -> tuple[bool, ...]:
        """Per hidden layer: does a residual connection actually apply there?"""
        prev = (n_in, *self.widths[:-1])
        return tuple(self.skip and w == p for w, p in zip(self.widths, prev, strict=True))

    @property
    def n_skips(self) -> int:
        """Number of residual connections that apply (0 when `skip` is False or no shapes match)."""
        return sum(self.skip_mask())

    def canonical(self) -> ArchConfig:
        """The functionally identical config with `skip=False` when no residual connection applies."""
        if self.skip and self.n_skips == 0:
            return ArchConfig(self.widths, self.activation, False)
        return self

    @property
    def is_canonical(self) -> bool:
        return self.canonical() == self

    def n_params(self, n_in: int = N_IN, n_out: int = N_OUT) -> int:
        dims = (n_in, *self.widths, n_out)
        return sum(a * b + b for a, b in itertools.pairwise(dims))

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class SearchSpace:
    """A product space of architectures: every depth, every per-layer width, every activation, every skip.

    `configs()` lists them in a fixed order (depth, then widths lexicographically, then activation in the
    order given, then skip), so an integer index into that list is a stable architecture id.
    """

    depths: tuple[int, ...] = DEPTHS
    widths: tuple[int, ...] = WIDTHS
    activations: tuple[str, ...] = SPACE_ACTIVATIONS
    skips: tuple[bool, ...] = (False, True)

    def __post_init__(self) -> None:
        for name in ("depths", "widths", "activations", "skips"):
            values = tuple(getattr(self, name))
            if not values:
                raise ValueError(f"{name}: must not be empty")
            if len(set(values)) != len(values):
                raise ValueError(f"{name}: duplicate values in {values}")
            object.__setattr__(self, name, values)
        if any(d < 1 for d in self.depths):
            raise ValueError(f"depths: every depth must be >= 1, got {self.depths}")
        bad = [a for a in self.activations if a not in _ACT_FN]
        if bad:
            raise ValueError(f"activations: unknown {bad} (known: {SPACE_ACTIVATIONS})")

    def configs(self) -> list[ArchConfig]:
        out = []
        for d in self.depths:
            for ws in itertools.product(self.widths, repeat=d):
                for act in self.activations:
                    for s in self.skips:
                        out.append(ArchConfig(ws, act, s))
        return out

    @property
    def size(self) -> int:
        return sum(len(self.widths) ** d for d in self.depths) * len(self.activations) * len(self.skips)

    def contains(self, cfg: ArchConfig) -> bool:
        return (
            cfg.depth in self.depths
            and all(w in self.widths for w in cfg.widths)
            and cfg.activation in self.activations
            and cfg.skip in self.skips
        )

    def unique_configs(self) -> list[ArchConfig]:
        """The functionally distinct configs (canonical ones), in `configs()` order."""
        return [c for c in self.configs() if c.is_canonical]

    def sample(self, rng: np.random.Generator) -> ArchConfig:
        """One config drawn uniformly from the space."""
        configs = self.configs()
        return configs[int(rng.integers(len(configs)))]

    def mutate(self, cfg: ArchConfig, rng: np.random.Generator) -> ArchConfig:
        """One random edit of `cfg` that stays in the space and always changes it.

        Edits (chosen uniformly among those that apply): add a hidden layer (random position, random width),
        remove a hidden layer, resize one layer, change the activation, toggle the skip flag.
        """
        ops = []
        if cfg.depth < max(self.depths) and (cfg.depth + 1) in self.depths:
            ops.append("add")
        if cfg.depth > min(self.depths) and (cfg.depth - 1) in self.depths:
            ops.append("remove")
        if len(self.widths) > 1:
            ops.append("resize")
        if len(self.activations) > 1:
            ops.append("activation")
        if len(self.skips) > 1:
            ops.append("skip")
        if not ops:
            raise ValueError("space: a single-point space has no mutations")
        op = ops[int(rng.integers(len(ops)))]
        ws = list(cfg.widths)
        if op == "add":
            pos = int(rng.integers(len(ws) + 1))
            ws.insert(pos, self.widths[int(rng.integers(len(self.widths)))])
            return ArchConfig(tuple(ws), cfg.activation, cfg.skip)
        if op == "remove":
            del ws[int(rng.integers(len(ws)))]
            return ArchConfig(tuple(ws), cfg.activation, cfg.skip)
        if op == "resize":
            i = int(rng.integers(len(ws)))
            choices = [w for w in self.widths if w != ws[i]]
            ws[i] = choices[int(rng.integers(len(choices)))]
            return ArchConfig(tuple(ws), cfg.activation, cfg.skip)
        if op == "activation":
            choices = [a for a in self.activations if a != cfg.activation]
            return ArchConfig(cfg.widths, choices[int(rng.integers(len(choices)))], cfg.skip)
        return ArchConfig(cfg.widths, cfg.activation, not cfg.skip)

    def neighbors(self, cfg: ArchConfig) -> list[ArchConfig]:
        """Every config one `mutate` edit away from `cfg` (add, remove or resize a layer, change the
        activation, toggle the skip flag), distinct, in a fixed order; the neighbourhood of local search."""
        out: list[ArchConfig] = []
        ws = list(cfg.widths)
        if (cfg.depth + 1) in self.depths:
            for pos in range(len(ws) + 1):
                for w in self.widths:
                    out.append(ArchConfig(tuple(ws[:pos] + [w] + ws[pos:]), cfg.activation, cfg.skip))
        if (cfg.depth - 1) in self.depths:
            for pos in range(len(ws)):
                out.append(ArchConfig(tuple(ws[:pos] + ws[pos + 1 :]), cfg.activation, cfg.skip))
        for pos in range(len(ws)):
            for w in self.widths:
                if w != ws[pos]:
                    out.append(ArchConfig(tuple(ws[:pos] + [w] + ws[pos + 1 :]), cfg.activation, cfg.skip))
        out += [ArchConfig(cfg.widths, a, cfg.skip) for a in self.activations if a != cfg.activation]
        out += [ArchConfig(cfg.widths, cfg.activation, s) for s in self.skips if s != cfg.skip]
        return [c for c in dict.fromkeys(out) if c != cfg]


def encode(configs: Sequence[ArchConfig], max_depth: int = max(DEPTHS)) -> np.ndarray:
    """Feature matrix (n, 4 + max_depth + n_act) for predictors: one row per config.

    Columns: depth; log2 width of hidden layers 1..max_depth (0 where absent); one-hot activation
    (SPACE_ACTIVATIONS order); skip flag; number of residual connections that apply; log10 parameter count.
    """
    rows = []
    for c in configs:
        if c.depth > max_depth:
            raise ValueError(f"max_depth: config {c.key} is deeper than {max_depth}")
        lw = [math.log2(w) for w in c.widths] + [0.0] * (max_depth - c.depth)
        act = [1.0 if c.activation == a else 0.0 for a in SPACE_ACTIVATIONS]
        rows.append([c.depth, *lw, *act, float(c.skip), c.n_skips, math.log10(c.n_params())])
    return np.asarray(rows, dtype=np.float64)


ENCODING_NAMES: tuple[str, ...] = (
    "depth",
    *(f"log2_w{i + 1}" for i in range(max(DEPTHS))),
    *(f"act_{a}" for a in SPACE_ACTIVATIONS),
    "skip",
    "n_skips",
    "log10_params",
)


class MLP(nn.Module):
    """A hidden-layer MLP for an `ArchConfig`, with residual connections where `cfg.skip_mask()` says so.

    `layers` holds the hidden `nn.Linear`s followed by the output head. `dropout` (default 0) is applied after
    each hidden layer's output in training mode (used by the live hyperparameter search only); its masks come
    from `dropout_generator` (`train_mlp` seeds one), or torch's global generator when that is None.
    """

    def __init__(self, cfg: ArchConfig, n_in: int = N_IN, n_out: int = N_OUT, dropout: float = 0.0):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout: must be in [0, 1), got {dropout}")
        self.cfg = cfg
        dims = (n_in, *cfg.widths, n_out)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(dims))
        self.mask = cfg.skip_mask(n_in)
        self.act = _ACT_FN[cfg.activation]
        self.dropout = float(dropout)
        self.dropout_generator: torch.Generator | None = None  # None: torch's global generator

    def _drop(self, h: torch.Tensor) -> torch.Tensor:
        if not (self.dropout and self.training):
            return h
        keep = torch.rand(h.shape, generator=self.dropout_generator) >= self.dropout
        return h * keep / (1.0 - self.dropout)

    def hidden(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The post-activation output of every hidden layer (before dropout), for x of shape (B, n_in)."""
        out = []
        h = x
        for layer, res in zip(self.layers[:-1], self.mask, strict=True):
            a = self.act(layer(h))
            out.append(a)
            h = self._drop(a + h if res else a)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, n_in) -> (B, n_out) logits
        h = x
        for layer, res in zip(self.layers[:-1], self.mask, strict=True):
            a = self.act(layer(h))
            h = self._drop(a + h if res else a)
        return self.layers[-1](h)


def init_mlp_(model: MLP, generator: torch.Generator) -> MLP:
    """PyTorch's default `nn.Linear` init (weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))), drawn from
    `generator` layer by layer (weight then bias), in place."""
    with torch.no_grad():
        for layer in model.layers:
            bound = 1.0 / math.sqrt(layer.in_features)
            layer.weight.copy_(torch.rand(layer.weight.shape, generator=generator) * 2 * bound - bound)
            layer.bias.copy_(torch.rand(layer.bias.shape, generator=generator) * 2 * bound - bound)
    return model


def build_mlp(cfg: ArchConfig, seed: int, dropout: float = 0.0) -> MLP:
    """A freshly initialised MLP for `cfg`: the weights are a pure function of (cfg, seed)."""
    g = torch.Generator().manual_seed(int(seed))
    return init_mlp_(MLP(cfg, dropout=dropout), g)


@dataclass(frozen=True)
class BenchTrainConfig:
    """How every benchmark net is trained: Adam, minibatches, a fixed number of epochs.

    `record_epochs` are the epochs after which validation accuracy is also recorded (low-fidelity estimates).
    """

    epochs: int = 20
    lr: float = 1e-3
    batch_size: int = 64
    weight_decay: float = 0.0
    dropout: float = 0.0
    record_epochs: tuple[int, ...] = RECORD_EPOCHS

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs: must be >= 1, got {self.epochs}")
        if not self.lr > 0:
            raise ValueError(f"lr: must be > 0, got {self.lr}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size: must be >= 1, got {self.batch_size}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay: must be >= 0, got {self.weight_decay}")
        bad = [e for e in self.record_epochs if not 1 <= e <= self.epochs]
        if bad:
            raise ValueError(f"record_epochs: {bad} outside 1..{self.epochs}")


@dataclass(frozen=True)
class TrainResult:
    """What one training run measured. Accuracies are fractions of the split; seconds are this process's CPU
    time (`cpu_s`, the charged cost: single-threaded, so close to uncontended wall time) and wall time."""

    config: ArchConfig
    seed: int
    val_acc: float
    test_acc: float
    val_loss: float
    train_loss: float
    val_acc_at: dict[int, float] = field(default_factory=dict)
    n_params: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    diverged: bool = False


@torch.no_grad()
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) of `model` on (X, y), in eval mode."""
    was = model.training
    model.eval()
    logits = model(X)
    model.train(was)
    loss = nn.functional.cross_entropy(logits, y).item()
    acc = int((logits.argmax(1) == y).sum()) / int(y.numel())
    return acc, loss


def train_mlp(
    cfg: ArchConfig,
    seed: int,
    train: BenchTrainConfig = BenchTrainConfig(),  # noqa: B008 (frozen, immutable default)
    data: Digits | None = None,
) -> TrainResult:
    """Train a fresh `build_mlp(cfg, seed)` on the digits train split; a pure function of its arguments.

    Batches are reshuffled every epoch from a generator seeded with `seed` (independent of the architecture).
    Divergence (non-finite loss) stops training and is reported as `diverged=True` with chance-level accuracy,
    never raised.
    """
    torch.set_num_threads(1)
    data = data or load_digits_split()
    t_cpu, t_wall = time.process_time(), time.perf_counter()
    model = build_mlp(cfg, seed, dropout=train.dropout)
    model.dropout_generator = torch.Generator().manual_seed(int(seed) + 2_000_003)
    order_gen = torch.Generator().manual_seed(int(seed) + 1_000_003)
    opt = torch.optim.Adam(model.parameters(), lr=train.lr, weight_decay=train.weight_decay)
    X, y = data.X_train, data.y_train
    n = X.shape[0]
    at: dict[int, float] = {}
    diverged = False
    train_loss = float("nan")
    model.train()
    for epoch in range(1, train.epochs + 1):
        perm = torch.randperm(n, generator=order_gen)
        total, count = 0.0, 0
        for i in range(0, n, train.batch_size):
            idx = perm[i : i + train.batch_size]
            loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * idx.numel()
            count += idx.numel()
        train_loss = total / count
        if not math.isfinite(train_loss):
            diverged = True
            break
        if epoch in train.record_epochs:
            at[epoch] = evaluate(model, data.X_val, data.y_val)[0]
    if diverged:
        val_acc = test_acc = 0.1
        val_loss = float("nan")
        at = {e: 0.1 for e in train.record_epochs}
    else:
        val_acc, val_loss = evaluate(model, data.X_val, data.y_val)
        test_acc, _ = evaluate(model, data.X_test, data.y_test)
    return TrainResult(
        config=cfg,
        seed=int(seed),
        val_acc=val_acc,
        test_acc=test_acc,
        val_loss=val_loss,
        train_loss=train_loss,
        val_acc_at=at,
        n_params=cfg.n_params(),
        cpu_s=time.process_time() - t_cpu,
        wall_s=time.perf_counter() - t_wall,
        diverged=diverged,
    )


def grid_configs(
    depths: Iterable[int], widths: Iterable[int], activations: Iterable[str], skips: Iterable[bool]
) -> list[ArchConfig]:
    """Uniform-width configs (every hidden layer the same width): the axis-aligned grid over
    depth x width x activation x skip, in lexicographic order."""
    return [ArchConfig((w,) * d, a, s) for d in depths for w in widths for a in activations for s in skips]
