"""Fixpoint classification (paper §2.3, paper-spec §2.3), vectorised over the population.

A network N is an ε-fixpoint of its reduction if every weight of N ◁ N is within ε of N's own weight. The
classification follows the order of the paper's Keras code, with zero and non-zero fixpoints kept apart:

    DIVERGENT      any weight is inf or nan
    ZERO           a fixpoint whose weights all lie in [-ε, ε]
    NONZERO        any other fixpoint (the paper's "non-trivial" fixpoints)
    SECOND_ORDER   not a fixpoint, but N ◁ (N ◁ N) = N within ε (the same N applied twice, as both
                   published codes test it)
    OTHER          everything else

Comparisons are `<=` ε (the journal's np.allclose(atol=ε, rtol=0)); the paper's ε is 1e-5, the Keras logs
used 1e-4 with a strict `<`.
"""

from __future__ import annotations

from enum import IntEnum

import torch

from selfrep.reductions import Reduction


class FixpointKind(IntEnum):
    DIVERGENT = 0
    ZERO = 1
    NONZERO = 2
    SECOND_ORDER = 3
    OTHER = 4

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    FixpointKind.DIVERGENT: "divergent",
    FixpointKind.ZERO: "zero fixpoint",
    FixpointKind.NONZERO: "non-zero fixpoint",
    FixpointKind.SECOND_ORDER: "second-order fixpoint",
    FixpointKind.OTHER: "other",
}
KIND_LABELS: tuple[str, ...] = tuple(_LABELS[k] for k in FixpointKind)


def _check_eps(eps: float) -> float:
    if not (isinstance(eps, int | float) and not isinstance(eps, bool) and 0 < eps < float("inf")):
        raise ValueError(f"eps: must be a finite number > 0, got {eps!r}")
    return float(eps)


def _max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-row max |a - b|, with rows containing any non-finite value mapped to +inf."""
    d = (a - b).abs()
    d = torch.where(torch.isfinite(d), d, torch.full_like(d, float("inf")))
    return d.amax(dim=1) if d.shape[1] else torch.zeros(d.shape[0], dtype=d.dtype, device=d.device)


def fixpoint_error(weights: torch.Tensor, reduction: Reduction) -> tuple[torch.Tensor, torch.Tensor]:
    """(max, mean) over weights of |N ◁ N − N| per network: two (P,) tensors (inf where non-finite)."""
    reduction.arch.check(weights)
    with torch.no_grad():
        d = (reduction.apply(weights, weights) - weights).abs()
    d = torch.where(torch.isfinite(d), d, torch.full_like(d, float("inf")))
    return d.amax(dim=1), d.mean(dim=1)


def is_divergent(weights: torch.Tensor) -> torch.Tensor:
    """(P,) bool: any weight is inf or nan."""
    return ~torch.isfinite(weights).all(dim=1)


def is_fixpoint(weights: torch.Tensor, reduction: Reduction, eps: float = 1e-5) -> torch.Tensor:
    """(P,) bool: all |N ◁ N − N| <= eps (a divergent net is never a fixpoint)."""
    eps = _check_eps(eps)
    reduction.arch.check(weights)
    with torch.no_grad():
        once = reduction.apply(weights, weights)
    return (_max_abs_diff(once, weights) <= eps) & ~is_divergent(weights)


def is_zero(weights: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """(P,) bool: all |w| <= eps."""
    eps = _check_eps(eps)
    return (weights.abs() <= eps).all(dim=1)


def classify(weights: torch.Tensor, reduction: Reduction, eps: float = 1e-5) -> torch.Tensor:
    """(P,) int64 FixpointKind codes for a (P, W) population (see the module docstring)."""
    eps = _check_eps(eps)
    reduction.arch.check(weights)
    with torch.no_grad():
        once = reduction.apply(weights, weights)
        twice = reduction.apply(weights, once)  # N ◁ (N ◁ N)
    divergent = is_divergent(weights)
    fix = (_max_abs_diff(once, weights) <= eps) & ~divergent
    zero = (weights.abs() <= eps).all(dim=1)
    second = (_max_abs_diff(twice, weights) <= eps) & ~divergent & ~fix
    codes = torch.full((weights.shape[0],), int(FixpointKind.OTHER), dtype=torch.int64, device=weights.device)
    codes[second] = int(FixpointKind.SECOND_ORDER)
    codes[fix & ~zero] = int(FixpointKind.NONZERO)
    codes[fix & zero] = int(FixpointKind.ZERO)
    codes[divergent] = int(FixpointKind.DIVERGENT)
    return codes


def count_kinds(codes: torch.Tensor) -> dict[str, int]:
    """{label: count} for every FixpointKind (zeros included), from classify's codes."""
    counts = torch.bincount(codes.to("cpu", torch.int64), minlength=len(FixpointKind))
    return {k.label: int(counts[k]) for k in FixpointKind}
