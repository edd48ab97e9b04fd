"""Operators on populations: self-application, attack, noise, learning from another net, self-training.

Every operator takes and returns (P, W) tensors (or an explicit `TrainState`), works on the device and dtype
of its inputs, and draws randomness only from the `torch.Generator` it is given. Divergence is allowed:
inf and nan flow through every operator without errors or warnings and are classified later
(`selfrep.fixpoints.classify`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch

from selfrep.nets import Arch, check_count, check_generator
from selfrep.reductions import Reduction
from selfrep.shuffle import sample_orders

STEP_KINDS: tuple[str, ...] = ("epoch", "batch")
BACKENDS: tuple[str, ...] = ("eager", "compiled")
TARGETS: tuple[str, ...] = ("constant", "differentiated")
DEFAULT_LR: dict[str, float] = {"epoch": 0.01, "batch": 0.04}


def _check_steps(steps: int) -> int:
    return check_count(steps, "steps")


# ------------------------------------------------------------------------------------------------
# Self-application, attack, noise
# ------------------------------------------------------------------------------------------------
def self_apply(
    weights: torch.Tensor, reduction: Reduction, steps: int = 1, backend: str = "eager"
) -> torch.Tensor:
    """Apply every network to itself `steps` times: N <- N ◁ N. (P, W) -> (P, W).

    backend="compiled" uses the fused native kernel (selfrep.fused) for weightwise reductions on CPU when a
    C compiler works, and the eager path otherwise.
    """
    _check_steps(steps)
    if backend not in BACKENDS:
        raise ValueError(f"backend: unknown backend {backend!r} (expected one of {BACKENDS})")
    reduction.arch.check(weights)
    apply = reduction.apply
    from selfrep import fused

    why = fused.fallback_reason(reduction, weights) if backend == "compiled" else None
    ran = "compiled" if backend == "compiled" and why is None else "eager"
    fused.note_backend(backend, ran, why or "")
    if ran == "compiled":

        def apply(a, v):
            return fused.apply(a, v, reduction)

    with torch.no_grad():
        for _ in range(steps):
            weights = apply(weights, weights)
    return weights


def self_apply_trajectory(weights: torch.Tensor, reduction: Reduction, steps: int) -> torch.Tensor:
    """States before and after each of `steps` self-applications: (steps + 1, P, W)."""
    _check_steps(steps)
    reduction.arch.check(weights)
    states = [weights]
    with torch.no_grad():
        for _ in range(steps):
            states.append(reduction.apply(states[-1], states[-1]))
    return torch.stack(states)


def _check_index(name: str, idx: torch.Tensor | list[int], P: int, device: torch.device) -> torch.Tensor:
    idx = torch.as_tensor(idx, device=device)
    if idx.ndim != 1 or idx.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"{name}: expected a 1-d integer index tensor, got {tuple(idx.shape)} {idx.dtype}")
    if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= P):
        raise ValueError(
            f"{name}: indices must lie in [0, {P}), got range [{int(idx.min())}, {int(idx.max())}]"
        )
    return idx.long()


def attack(
    weights: torch.Tensor,
    reduction: Reduction,
    attackers: torch.Tensor | list[int],
    victims: torch.Tensor | list[int],
) -> torch.Tensor:
    """Each attacker rewrites its victim, 𝓜 <- 𝒩 ◁ 𝓜, all pairs at once from the current weights.

    Args:
        weights: (P, W) population.
        attackers, victims: (K,) indices into the population; victims must be distinct (two attacks on one
            victim in the same call would be ambiguous). An attacker may attack itself.
    Returns a new (P, W) tensor; rows that are not victims are unchanged.
    """
    reduction.arch.check(weights)
    P = weights.shape[0]
    a = _check_index("attackers", attackers, P, weights.device)
    v = _check_index("victims", victims, P, weights.device)
    if a.shape != v.shape:
        raise ValueError(f"victims: {v.numel()} victims for {a.numel()} attackers")
    if torch.unique(v).numel() != v.numel():
        raise ValueError("victims: must be distinct within one call")
    out = weights.clone()
    with torch.no_grad():
        out[v] = reduction.apply(weights[a], weights[v])
    return out


def add_noise(
    weights: torch.Tensor, zeta: float | torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """w + U(-ζ, ζ) independently per weight (the paper's footnote; ζ per network if a (P,) tensor)."""
    if not isinstance(weights, torch.Tensor) or weights.ndim != 2:
        got = f"shape {tuple(weights.shape)}" if isinstance(weights, torch.Tensor) else type(weights).__name__
        raise ValueError(f"weights: expected a (P, W) tensor, got {got}")
    check_generator(generator)
    z = torch.as_tensor(zeta, dtype=weights.dtype, device=weights.device)
    if z.ndim > 1 or (z.ndim == 1 and z.shape[0] != weights.shape[0]):
        raise ValueError(f"zeta: expected a scalar or a ({weights.shape[0]},) tensor, got {tuple(z.shape)}")
    if bool((z < 0).any()) or not bool(torch.isfinite(z).all()):
        raise ValueError("zeta: noise levels must be finite and >= 0")
    u = torch.rand(weights.shape, generator=generator, dtype=weights.dtype, device=weights.device)
    scale = z.unsqueeze(1) if z.ndim == 1 else z
    return weights + (2.0 * u - 1.0) * scale


# ------------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------------
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
        backend: "eager" (portable reference) or "compiled" (the fused native kernel of selfrep.fused, used
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


def _loss_grad(reduction: Reduction, w: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """d/dw of each network's mean squared error on its samples: (P, W)."""
    with torch.enable_grad():
        w = w.detach().requires_grad_(True)
        pred = reduction.predict(w, x)
        loss = (pred - y).square().flatten(1).mean(1)  # (P,) per-network MSE
        (g,) = torch.autograd.grad(loss.sum(), w)
    return g


def _per_net(name: str, value: float | tuple[float, ...], w: torch.Tensor) -> float | torch.Tensor:
    """A scalar hyperparameter as is; a per-network tuple as a (P, 1) tensor for broadcasting."""
    if not isinstance(value, tuple):
        return value
    if len(value) != w.shape[0]:
        raise ValueError(f"{name}: {len(value)} per-network values for {w.shape[0]} networks")
    return torch.tensor(value, dtype=w.dtype, device=w.device).unsqueeze(1)


def _hyper(config: TrainConfig, w: torch.Tensor, v: torch.Tensor | None):
    """(lr, momentum, velocity) for one step: per-network values broadcast, the buffer created on demand."""
    lr = _per_net("lr", config.learning_rate, w)
    mom = _per_net("momentum", config.momentum, w)
    if config.momentum_on and v is None:
        v = torch.zeros_like(w)
    return lr, mom, v


def _sgd(w: torch.Tensor, v: torch.Tensor | None, g: torch.Tensor, lr, momentum):
    if v is None:
        return w - lr * g, None
    v = momentum * v + g
    return w - lr * v, v


def fit_pairs(
    state: TrainState,
    reduction: Reduction,
    x: torch.Tensor,
    y: torch.Tensor,
    config: TrainConfig = TrainConfig(),
    generator: torch.Generator | None = None,
) -> TrainState:
    """One training step of every network on its own samples (x[p], y[p]) (see `TrainConfig.step`)."""
    check_state(state, reduction.arch)
    check_generator(generator)
    if x.shape[:2] != y.shape[:2] or x.shape[0] != state.weights.shape[0]:
        raise ValueError(
            f"x: samples {tuple(x.shape[:2])} do not match targets {tuple(y.shape[:2])} "
            f"and population {state.weights.shape[0]}"
        )
    w = state.weights
    lr, mom, v = _hyper(config, w, state.velocity)
    x, y = x.detach(), y.detach()
    if config.step == "batch":
        w, v = _sgd(w, v, _loss_grad(reduction, w, x, y), lr, mom)
    else:
        P, S = x.shape[:2]
        rows = torch.arange(P, device=w.device)
        order = sample_orders(P, S, generator, w.device) if S > 1 else None
        for k in range(S):
            pick = order[:, k] if order is not None else torch.zeros_like(rows)
            xk, yk = x[rows, pick].unsqueeze(1), y[rows, pick].unsqueeze(1)
            w, v = _sgd(w, v, _loss_grad(reduction, w, xk, yk), lr, mom)
    return TrainState(w.detach(), None if v is None else v.detach(), state.step + 1)


def train_step(
    state: TrainState,
    reduction: Reduction,
    config: TrainConfig = TrainConfig(),
    generator: torch.Generator | None = None,
) -> TrainState:
    """One self-training step: every network is fitted to its own training pairs (targets = itself)."""
    from selfrep import fused

    if not isinstance(config, TrainConfig):
        raise ValueError(f"config: expected a TrainConfig, got {type(config).__name__}")
    check_state(state, reduction.arch)
    check_generator(generator)
    why = None
    if config.backend == "compiled":
        if config.targets == "differentiated":
            why = "targets='differentiated' has no compiled kernel"
        elif config.per_network:
            why = "per-network lr or momentum has no compiled kernel"
        else:
            why = fused.fallback_reason(reduction, state.weights)
    ran = "compiled" if config.backend == "compiled" and why is None else "eager"
    fused.note_backend(config.backend, ran, why or "")
    if config.targets == "differentiated":
        return _step_through_targets(state, reduction, config)
    if ran == "compiled":
        return fused.train_step(state, reduction, config, generator)
    x, y = reduction.training_pairs(state.weights)
    return fit_pairs(state, reduction, x, y, config, generator)


def _step_through_targets(state: TrainState, reduction: Reduction, config: TrainConfig) -> TrainState:
    """A full-batch step whose loss is also differentiated through the training pairs.

    This is `targets="differentiated"`: inputs and targets are built from the weights inside the graph."""
    reduction.arch.check(state.weights, "state.weights")
    w = state.weights
    lr, mom, v = _hyper(config, w, state.velocity)
    with torch.enable_grad():
        wg = w.detach().requires_grad_(True)
        x, y = reduction.training_pairs(wg)
        loss = (reduction.predict(wg, x) - y).square().flatten(1).mean(1)
        (g,) = torch.autograd.grad(loss.sum(), wg)
    w, v = _sgd(w, v, g, lr, mom)
    return TrainState(w.detach(), None if v is None else v.detach(), state.step + 1)


def self_train(
    weights: torch.Tensor | TrainState,
    reduction: Reduction,
    steps: int,
    config: TrainConfig = TrainConfig(),
    generator: torch.Generator | None = None,
) -> TrainState:
    """`steps` self-training steps from weights (or from a state, to continue with its momentum)."""
    _check_steps(steps)
    state = _as_state(weights, config)
    for _ in range(steps):
        state = train_step(state, reduction, config, generator)
    return state


def self_train_trajectory(
    weights: torch.Tensor | TrainState,
    reduction: Reduction,
    steps: int,
    config: TrainConfig = TrainConfig(),
    generator: torch.Generator | None = None,
    every: int = 1,
) -> tuple[TrainState, torch.Tensor]:
    """Like `self_train`, also returning the states at steps 0, every, 2·every, ... (and the last step):
    a (T, P, W) tensor."""
    _check_steps(steps)
    check_count(every, "every", 1)
    state = _as_state(weights, config)
    states = [state.weights]
    for t in range(1, steps + 1):
        state = train_step(state, reduction, config, generator)
        if t % every == 0 or t == steps:
            states.append(state.weights)
    return state, torch.stack(states)


def learn_from(
    learner: torch.Tensor | TrainState,
    teachers: torch.Tensor,
    reduction: Reduction,
    config: TrainConfig = TrainConfig(),
    generator: torch.Generator | None = None,
    steps: int = 1,
) -> TrainState:
    """Network p learns network p of `teachers`: `steps` training steps on the teacher's training pairs
    (inputs and targets computed from the teacher's weights)."""
    _check_steps(steps)
    state = _as_state(learner, config)
    reduction.arch.check(teachers, "teachers")
    if teachers.shape[0] != state.weights.shape[0]:
        raise ValueError(f"teachers: {teachers.shape[0]} teachers for {state.weights.shape[0]} learners")
    x, y = reduction.training_pairs(teachers)
    for _ in range(steps):
        state = fit_pairs(state, reduction, x, y, config, generator)
    return state
