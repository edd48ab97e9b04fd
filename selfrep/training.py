"""Self-training and learning from another net: gradient steps of a whole population on the pairs its
reduction makes of its own weights (or of another net's), eager or through the fused kernels
(selfrep.kernels).

Every operator takes and returns (P, W) tensors or an explicit `TrainState` (selfrep.optim) and draws
randomness only from the `torch.Generator` it is given; inf and nan flow through without errors.
"""

from __future__ import annotations

import torch

from selfrep.nets import check_count, check_generator
from selfrep.optim import TrainConfig, TrainState, _as_state, check_state
from selfrep.reductions import Reduction
from selfrep.shuffle import sample_orders


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
    from selfrep import kernels

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
            why = kernels.fallback_reason(reduction, state.weights)
    ran = "compiled" if config.backend == "compiled" and why is None else "eager"
    kernels.note_backend(config.backend, ran, why or "")
    if config.targets == "differentiated":
        return _step_through_targets(state, reduction, config)
    if ran == "compiled":
        return kernels.train_step(state, reduction, config, generator)
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
    check_count(steps, "steps")
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
    check_count(steps, "steps")
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
    check_count(steps, "steps")
    state = _as_state(learner, config)
    reduction.arch.check(teachers, "teachers")
    if teachers.shape[0] != state.weights.shape[0]:
        raise ValueError(f"teachers: {teachers.shape[0]} teachers for {state.weights.shape[0]} learners")
    x, y = reduction.training_pairs(teachers)
    for _ in range(steps):
        state = fit_pairs(state, reduction, x, y, config, generator)
    return state


def _learn_backend(config: TrainConfig, reduction: Reduction, weights: torch.Tensor) -> str:
    """Which backend a learn-from step runs on ("compiled" or "eager"), noted with the reason for a
    fallback: the compiled learn step takes plain SGD epoch steps with one learning rate."""
    from selfrep import kernels

    why = None
    if config.backend == "compiled":
        if config.step != "epoch":
            why = "the compiled learn step takes epoch steps only"
        elif config.momentum_on or config.per_network:
            why = "the compiled learn step takes plain SGD with one lr"
        else:
            why = kernels.fallback_reason(reduction, weights)
    ran = "compiled" if config.backend == "compiled" and why is None else "eager"
    kernels.note_backend(config.backend, ran, why or "")
    return ran


def learn_step(
    state: torch.Tensor | TrainState,
    teachers: torch.Tensor,
    reduction: Reduction,
    config: TrainConfig = TrainConfig(),
    generator: torch.Generator | None = None,
) -> TrainState:
    """One training step of network p on the training pairs of network p of `teachers`, for the whole
    population at once: `learn_from(..., steps=1)`, through the fused kernel where `config.backend` is
    "compiled" and the kernel applies (a weightwise net on the CPU, epoch steps, plain SGD); the eager
    path otherwise. Both draw the same random stream, so they agree to float rounding."""
    from selfrep import kernels

    if not isinstance(config, TrainConfig):
        raise ValueError(f"config: expected a TrainConfig, got {type(config).__name__}")
    state = _as_state(state, config)
    check_state(state, reduction.arch)
    check_generator(generator)
    reduction.arch.check(teachers, "teachers")
    if teachers.shape != state.weights.shape:
        raise ValueError(
            f"teachers: shape {tuple(teachers.shape)} differs from the learners' {tuple(state.weights.shape)}"
        )
    ran = _learn_backend(config, reduction, state.weights)
    if ran == "compiled":
        return kernels.learn_step(state, teachers.to(state.weights.dtype), reduction, config, generator)
    x, y = reduction.training_pairs(teachers)
    return fit_pairs(state, reduction, x, y, config, generator)


def learn_steps(
    weights: torch.Tensor,
    teachers: torch.Tensor,
    steps: torch.Tensor,
    reduction: Reduction,
    config: TrainConfig = TrainConfig(),
    generator: torch.Generator | None = None,
    own: torch.Tensor | None = None,
) -> torch.Tensor:
    """Network p takes steps[p] (an (P,) int tensor) training steps on the pairs of teachers[p], all
    networks together; where own[p] (default: nowhere) the teacher is the network itself, its pairs read
    afresh at every step. The rows are sorted by steps (descending, stable) and step t trains the prefix
    of rows that still have steps left, drawing that prefix's randomness as `learn_step` would: the compiled
    kernel (no gather per step) and the eager path give the same numbers to float rounding.
    Returns the new (P, W) weights."""
    from selfrep import kernels

    reduction.arch.check(weights, "weights")
    reduction.arch.check(teachers, "teachers")
    P = weights.shape[0]
    steps = torch.as_tensor(steps, dtype=torch.int64)
    own = torch.zeros(P, dtype=torch.bool) if own is None else torch.as_tensor(own, dtype=torch.bool)
    if teachers.shape != weights.shape or steps.shape != (P,) or own.shape != (P,):
        raise ValueError(
            f"teachers, steps, own: need shapes {tuple(weights.shape)}, ({P},), ({P},); got "
            f"{tuple(teachers.shape)}, {tuple(steps.shape)}, {tuple(own.shape)}"
        )
    if bool((steps < 0).any()):
        raise ValueError("steps: must be non-negative")
    check_generator(generator)
    if P == 0 or int(steps.max()) == 0:
        return weights.clone()
    ran = _learn_backend(config, reduction, weights)
    if ran == "compiled":
        return kernels.learn_steps(weights, teachers, steps, own, reduction, config, generator)
    order = torch.sort(steps, descending=True, stable=True).indices
    cur, tch = weights[order].clone(), teachers[order].to(weights.dtype).clone()
    n_steps, mine = steps[order], own[order]
    for s in range(int(n_steps.max())):
        k = int((n_steps > s).sum())
        tch[mine] = cur[mine]
        x, y = reduction.training_pairs(tch[:k])
        cur[:k] = fit_pairs(TrainState(cur[:k], None, 0), reduction, x, y, config, generator).weights
    out = torch.empty_like(cur)
    out[order] = cur
    return out
