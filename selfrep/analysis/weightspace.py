"""Where fixpoints lie in weight space (paper §3.3, Figs 7–10; paper-spec §8): noisy cloning, distances,
children on the line between two parents.

A *parent* is a trained fixpoint; its *children* (clones) are copies with noise added, later trained on
their own. Everything is batched: one (P, W) population holds every child of every parent at every noise
level, and the bookkeeping (which parent, which level) travels as index tensors beside it.

Distances follow the journal code (paper-spec §8.2): the mean absolute difference of two weight vectors
(`mae`; the figure's axis says "Manhattan distance" but the code averages), and `mim`, the same between
the sorted weight vectors (invariant to permuting weights). Both are computed in float64.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

import torch

from selfrep.operators import add_noise


class Movement(IntEnum):
    """How a child moved relative to its parent during retraining (paper-spec §8.2)."""

    APPROACHING = 0  # ends closer to the parent than it started (post < pre)
    DISTANCING = 1  # ends farther away (post > pre)
    STATIONARY = 2  # exactly as far as it started (post == pre)

    @property
    def label(self) -> str:
        return ("approaching", "distancing", "stationary")[self]


MOVEMENT_LABELS: tuple[str, ...] = tuple(m.label for m in Movement)


def _pair(a: torch.Tensor, b: torch.Tensor, name: str = "b") -> tuple[torch.Tensor, torch.Tensor]:
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(
            f"{name}: expected two (P, W) tensors of one shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    return a.to(torch.float64), b.to(torch.float64)


def mae(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(P,) float64 mean absolute difference of rows: mean_i |a_i − b_i| (the journal's distance)."""
    a, b = _pair(a, b)
    return (a - b).abs().mean(dim=1)


def mim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(P,) float64 mean |sorted(a) − sorted(b)| per row: a distance blind to which weight is which."""
    a, b = _pair(a, b)
    return (a.sort(dim=1).values - b.sort(dim=1).values).abs().mean(dim=1)


def l1_error(weights: torch.Tensor, reduction, dtype: torch.dtype | None = None) -> torch.Tensor:
    """(P,) float64 L1 fixpoint error mean_i |(N ◁ N)_i − w_i| (paper Fig 9; `F.l1_loss` in the journal).

    `dtype` evaluates the self-application in another precision (e.g. float32 weights evaluated in
    float64, to separate the weights' own error from the rounding of the evaluation); by default the
    weights' own dtype. Non-finite results are +inf.
    """
    reduction.arch.check(weights)
    w = weights if dtype is None else weights.to(dtype)
    with torch.no_grad():
        d = (reduction.apply(w, w) - w).abs().to(torch.float64)
    d = torch.where(torch.isfinite(d), d, torch.full_like(d, float("inf")))
    return d.mean(dim=1)


def movement(pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
    """(P,) int64 Movement codes from the distances to the parent before and after retraining."""
    if pre.shape != post.shape or pre.ndim != 1:
        raise ValueError(
            f"post: expected two (P,) tensors of one shape, got {tuple(pre.shape)} and {tuple(post.shape)}"
        )
    codes = torch.full(pre.shape, int(Movement.STATIONARY), dtype=torch.int64)
    codes[post < pre] = int(Movement.APPROACHING)
    codes[post > pre] = int(Movement.DISTANCING)
    return codes


class Clones(NamedTuple):
    """Noisy clones: weights (R, W) and, per row, the index of its parent and its noise level ζ."""

    weights: torch.Tensor
    parent: torch.Tensor
    zeta: torch.Tensor


NOISE_SCHEMES: tuple[str, ...] = ("uniform", "per_clone", "sign")


def noisy_clones(
    parents: torch.Tensor,
    zeta: float | torch.Tensor,
    n: int,
    *,
    generator: torch.Generator | None = None,
    scheme: str = "uniform",
    dtype: torch.dtype | None = None,
) -> Clones:
    """`n` noisy clones of every parent; rows are parent-major (parent 0's clones first).

    zeta: one noise level for all parents, or a (P,) tensor with one level per parent (the journal
    trains fresh parents for every noise level).
    scheme: "uniform" — w + U(−ζ, ζ) per weight (the paper's footnote, our default);
            "per_clone" — each clone draws its own scale s = U(0, 1)·ζ, then w + U(−s, s) per weight
            (journal@21dd572:journal_basins.py);
            "sign" — w ± ζ exactly, an independent random sign per weight (every weight moves by ζ;
            twice the footnote's mean |noise|, so more of it survives float32 rounding).
    The noise is drawn and added in float64 and the sum rounded to `dtype` (default: the parents' dtype)
    once, so float32 and float64 clones from one generator state carry the same perturbation; in float32
    a perturbation below half the spacing of floats around a weight is rounded away.
    """
    if parents.ndim != 2:
        raise ValueError(f"parents: expected a (P, W) tensor, got shape {tuple(parents.shape)}")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n: must be a positive int, got {n!r}")
    if scheme not in NOISE_SCHEMES:
        raise ValueError(f"scheme: unknown value {scheme!r} (expected one of {NOISE_SCHEMES})")
    P = parents.shape[0]
    z = torch.as_tensor(zeta, dtype=torch.float64)
    if z.ndim == 0:
        z = z.expand(P)
    if z.shape != (P,):
        raise ValueError(f"zeta: expected a scalar or a ({P},) tensor, got shape {tuple(z.shape)}")
    if bool((z < 0).any()) or not bool(torch.isfinite(z).all()):
        raise ValueError("zeta: noise levels must be finite and >= 0")
    parent = torch.arange(P).repeat_interleave(n)
    level = z[parent]
    if scheme == "per_clone":
        level = level * torch.rand(level.shape, generator=generator, dtype=torch.float64)
    if scheme == "sign":
        base = parents.to(torch.float64)[parent]
        sign = torch.randint(0, 2, base.shape, generator=generator, dtype=torch.int64).to(torch.float64)
        noisy = base + (2.0 * sign - 1.0) * level.unsqueeze(1)
    else:
        noisy = add_noise(parents.to(torch.float64)[parent], level, generator)
    return Clones(noisy.to(dtype or parents.dtype), parent, z[parent])


class LineChildren(NamedTuple):
    """Children on the segments between parent pairs: weights (R, W); per row the pair index, the
    position f ∈ [0, 1) along the segment and the indices of parent 1 and parent 2."""

    weights: torch.Tensor
    pair: torch.Tensor
    position: torch.Tensor
    first: torch.Tensor
    second: torch.Tensor


def line_children(
    parents: torch.Tensor,
    first: torch.Tensor,
    second: torch.Tensor,
    n: int,
    *,
    dtype: torch.dtype | None = None,
) -> LineChildren:
    """`n` children per pair on the straight line from parent `first[k]` to parent `second[k]`:
    w = w₁ + (j/n)(w₂ − w₁), j = 0 … n−1 (journal: np.linspace(…, n, endpoint=False); j = 0 is parent 1).

    Computed in float64, rounded to `dtype` (default: the parents' dtype). Rows are pair-major.
    """
    if parents.ndim != 2:
        raise ValueError(f"parents: expected a (P, W) tensor, got shape {tuple(parents.shape)}")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n: must be a positive int, got {n!r}")
    first, second = torch.as_tensor(first).long(), torch.as_tensor(second).long()
    if first.shape != second.shape or first.ndim != 1:
        raise ValueError(
            f"second: expected two (K,) index tensors, got {tuple(first.shape)} and {tuple(second.shape)}"
        )
    K = first.numel()
    pair = torch.arange(K).repeat_interleave(n)
    f = (torch.arange(n, dtype=torch.float64) / n).repeat(K)
    p = parents.to(torch.float64)
    a, b = p[first[pair]], p[second[pair]]
    w = a + f.unsqueeze(1) * (b - a)
    return LineChildren(w.to(dtype or parents.dtype), pair, f, first[pair], second[pair])


def minmax_per_group(
    pre: torch.Tensor, post: torch.Tensor, group: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Min-max normalise `pre` and `post` together within each group (the journal's per-pair scaling of
    Fig 10): x ↦ (x − min) / (max − min), min and max over the group's pre and post values. A group whose
    values are all equal maps to 0."""
    if not (pre.shape == post.shape == group.shape) or pre.ndim != 1:
        raise ValueError("group: pre, post and group must be (R,) tensors of one shape")
    pre, post = pre.to(torch.float64), post.to(torch.float64)
    g = group.long()
    G = int(g.max()) + 1 if g.numel() else 0
    both = torch.cat([pre, post])
    gg = torch.cat([g, g])
    lo = torch.full((G,), float("inf"), dtype=torch.float64).scatter_reduce(0, gg, both, "amin")
    hi = torch.full((G,), float("-inf"), dtype=torch.float64).scatter_reduce(0, gg, both, "amax")
    span = (hi - lo)[g]
    span = torch.where(span > 0, span, torch.ones_like(span))
    return (pre - lo[g]) / span, (post - lo[g]) / span


class Parents(NamedTuple):
    """Trained non-zero fixpoints: weights (groups·parents, W), and per trained candidate (groups·candidates,)
    its FixpointKind code and whether it was kept."""

    weights: torch.Tensor
    kinds: torch.Tensor
    kept: torch.Tensor


def train_parents(
    reduction,
    groups: int,
    parents: int,
    candidates: int,
    steps: int,
    config,
    *,
    init: str,
    eps: float,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> Parents:
    """`groups` × `candidates` random nets (drawn in float32, then cast to `dtype`, so every dtype starts
    from the same weights), self-trained `steps` steps with `config`; in each group the first `parents`
    that are non-zero ε-fixpoints are kept (rows group-major).

    Raises a ValueError naming `candidates` when a group has fewer than `parents` non-zero fixpoints.
    """
    from selfrep.fixpoints import FixpointKind, classify
    from selfrep.nets import init_population
    from selfrep.training import self_train

    for name, value in (("groups", groups), ("parents", parents), ("candidates", candidates)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: must be a positive int, got {value!r}")
    w = init_population(reduction.arch, groups * candidates, init, generator=generator).to(dtype)
    w = self_train(w, reduction, steps, config, generator).weights
    kinds = classify(w, reduction, eps)
    ok = (kinds == int(FixpointKind.NONZERO)).reshape(groups, candidates)
    keep = ok & (ok.long().cumsum(dim=1) <= parents)
    short = (keep.sum(dim=1) < parents).nonzero().flatten().tolist()
    if short:
        raise ValueError(
            f"candidates: group(s) {short[:5]} have fewer than {parents} non-zero fixpoints among "
            f"{candidates} nets trained {steps} steps; raise `candidates`"
        )
    return Parents(w[keep.flatten()], kinds, keep.flatten())
