"""Operators on populations: self-application, attack and noise.

Every operator takes and returns (P, W) tensors, works on the device and dtype of its inputs, and draws
randomness only from the `torch.Generator` it is given. Divergence is allowed: inf and nan flow through every
operator without errors or warnings and are classified later (`selfrep.fixpoints.classify`). Self-training
and learning from another net are in selfrep.training; the optimizer state in selfrep.optim.
"""

from __future__ import annotations

import torch

from selfrep.nets import check_count, check_generator
from selfrep.optim import BACKENDS
from selfrep.reductions import Reduction


def _check_steps(steps: int) -> int:
    return check_count(steps, "steps")


# ------------------------------------------------------------------------------------------------
# Self-application, attack, noise
# ------------------------------------------------------------------------------------------------
def self_apply(
    weights: torch.Tensor, reduction: Reduction, steps: int = 1, backend: str = "eager"
) -> torch.Tensor:
    """Apply every network to itself `steps` times: N <- N ◁ N. (P, W) -> (P, W).

    backend="compiled" uses the fused native kernel (selfrep.kernels) for weightwise reductions on CPU when a
    C compiler works, and the eager path otherwise.
    """
    _check_steps(steps)
    if backend not in BACKENDS:
        raise ValueError(f"backend: unknown backend {backend!r} (expected one of {BACKENDS})")
    reduction.arch.check(weights)
    apply = reduction.apply
    from selfrep import kernels

    why = kernels.fallback_reason(reduction, weights) if backend == "compiled" else None
    ran = "compiled" if backend == "compiled" and why is None else "eager"
    kernels.note_backend(backend, ran, why or "")
    if ran == "compiled":

        def apply(a, v):
            return kernels.apply(a, v, reduction)

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
