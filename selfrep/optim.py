"""Explicit optimizer state of self-training: how a step is taken (`TrainConfig`) and what it carries from
one step to the next (`TrainState`: weights, momentum buffer, steps taken)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch

from selfrep.nets import Arch

STEP_KINDS: tuple[str, ...] = ("epoch", "batch")
BACKENDS: tuple[str, ...] = ("eager", "compiled")
TARGETS: tuple[str, ...] = ("constant", "differentiated")
DEFAULT_LR: dict[str, float] = {"epoch": 0.01, "batch": 0.04}


@dataclass(frozen=True)
class TrainConfig:
    """How one self-training step is taken.

    Attributes:
        step: "epoch" — one Keras `fit` epoch (the paper's Keras code): per-sample SGD (batch size 1) over
            the training pairs computed at the start of the step (frozen targets), in a fresh random order
            per network; ww nets make 14 updates per step, agg and rnn nets 1.
            "batch" — one full-batch gradient step on the mean squared error (the journal's PyTorch code).
        lr: learning rate; None means the published code's value (0.01 for "epoch", 0.04 for "batch").
        momentum: SGD momentum (PyTorch form v <- μv + g, w <- w - lr·v), carried across steps in the
            `TrainState`. 0 (default) is plain SGD, which is what both published codes effectively ran.
            `lr` and `momentum` may also be tuples with one value per network (a sweep held in one
            population); such configs always use the eager path.
        backend: "eager" (portable reference) or "compiled" (the fused native kernel of selfrep.kernels, used
            for weightwise reductions on CPU float32/float64 where a C compiler works; otherwise eager).
        targets: "constant" (default; the text and the Keras code): inputs and targets are the weights
            taken as data, no gradient flows through them (both published codes of the paper: Keras, and
            journal@21dd572, which copies the weights with `.item()`). "differentiated" (the authors' 2022
            refactor, 49c0d8a, which builds them from its live parameters): the loss is differentiated
            through the inputs' value column and through the targets as well. Only with step="batch";
            always eager.
    """

    step: str = "epoch"
    lr: float | tuple[float, ...] | None = None
    momentum: float | tuple[float, ...] = 0.0
    backend: str = "eager"
    targets: str = "constant"

    def __post_init__(self) -> None:
        if self.step not in STEP_KINDS:
            raise ValueError(f"step: unknown step kind {self.step!r} (expected one of {STEP_KINDS})")
        if self.targets not in TARGETS:
            raise ValueError(f"targets: unknown value {self.targets!r} (expected one of {TARGETS})")
        if self.targets == "differentiated" and self.step != "batch":
            raise ValueError("targets: 'differentiated' is defined for step='batch' only")
        for name in ("lr", "momentum"):
            value = getattr(self, name)
            items = value if isinstance(value, list | tuple) else (value,)
            if name == "lr" and value is None:
                continue
            if not items or not all(_is_real(x) for x in items):
                raise ValueError(f"{name}: expected a number or a tuple of numbers, got {value!r}")
            if isinstance(value, list | tuple):
                object.__setattr__(self, name, tuple(float(x) for x in value))
        lrs = self.lr if isinstance(self.lr, tuple) else (self.lr,)
        if self.lr is not None and not all(0 < x < math.inf for x in lrs):
            raise ValueError(f"lr: must be finite and > 0, got {self.lr!r}")
        moms = self.momentum if isinstance(self.momentum, tuple) else (self.momentum,)
        if not all(0.0 <= x < 1.0 for x in moms):
            raise ValueError(f"momentum: must lie in [0, 1), got {self.momentum!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend: unknown backend {self.backend!r} (expected one of {BACKENDS})")

    @property
    def learning_rate(self) -> float | tuple[float, ...]:
        if self.lr is None:
            return DEFAULT_LR[self.step]
        return self.lr if isinstance(self.lr, tuple) else float(self.lr)

    @property
    def per_network(self) -> bool:
        """True when lr or momentum holds one value per network."""
        return isinstance(self.lr, tuple) or isinstance(self.momentum, tuple)

    @property
    def momentum_on(self) -> bool:
        moms = self.momentum if isinstance(self.momentum, tuple) else (self.momentum,)
        return any(m > 0 for m in moms)


def _is_real(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and x == x


class TrainState(NamedTuple):
    """Self-training state: weights (P, W), momentum buffer (P, W) or None, and the steps taken."""

    weights: torch.Tensor
    velocity: torch.Tensor | None
    step: int


def check_state(state: object, arch: Arch) -> TrainState:
    """A TrainState whose weights are a (P, W) population of `arch` and whose momentum buffer, if any,
    matches them in shape, dtype and device; else a ValueError naming the field. Both backends check
    this before any arithmetic (a wrong buffer would broadcast, promote, or be read out of bounds)."""
    if not isinstance(state, TrainState):
        raise ValueError(f"state: expected a TrainState or a (P, W) tensor, got {type(state).__name__}")
    w = arch.check(state.weights, "state.weights")
    v = state.velocity
    if v is not None:
        if not isinstance(v, torch.Tensor):
            raise ValueError(f"state.velocity: expected a torch.Tensor or None, got {type(v).__name__}")
        if v.shape != w.shape or v.dtype != w.dtype or v.device != w.device:
            raise ValueError(
                f"state.velocity: expected {tuple(w.shape)} {w.dtype} on {w.device} like the weights, "
                f"got {tuple(v.shape)} {v.dtype} on {v.device}"
            )
    return state


def train_init(weights: torch.Tensor, config: TrainConfig = TrainConfig()) -> TrainState:
    """Start self-training `weights`; the momentum buffer starts at zero when momentum is on."""
    velocity = torch.zeros_like(weights) if config.momentum_on else None
    return TrainState(weights, velocity, 0)


def _as_state(weights_or_state: torch.Tensor | TrainState, config: TrainConfig) -> TrainState:
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config: expected a TrainConfig, got {type(config).__name__}")
    if isinstance(weights_or_state, TrainState):
        return weights_or_state
    if not isinstance(weights_or_state, torch.Tensor):
        raise ValueError(
            f"weights: expected a torch.Tensor or a TrainState, got {type(weights_or_state).__name__}"
        )
    return train_init(weights_or_state, config)
