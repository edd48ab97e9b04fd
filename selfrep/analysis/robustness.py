"""Robustness of fixpoints to noise (paper §3.1–3.2, Figs 3 and 6; paper-spec §5, §7), batched.

A fixpoint is perturbed (noisy copies, `noisy_copies`) and then self-applied again and again. Two
numbers describe each copy:

* time to vergence: how many self-applications until the copy *verges*, i.e. becomes the zero net
  (all |w| <= ε) or diverges (a weight is inf or nan);
* time as fixpoint: for how many of those self-applications the copy is still an ε-fixpoint.

Three procedures count them, and they differ in the details (paper-spec §14.7):

"text" (the paper's wording, our default)
    time to vergence counts the self-application that verges; time as fixpoint counts the initial
    unbroken run of applications after which the copy is a (non-zero) ε-fixpoint, so a fixpoint
    status regained on the way to 0 is not counted ("we did not count that as remaining robust").
"keras" (master:code/setups/known-fixpoint-variation.py, behind the Fig 3 log)
    at most `max_steps` (100) applications; the verging application is not counted; time as fixpoint
    counts the initial run, and after a break a regained fixpoint re-arms the count for the steps
    that follow it (the step that regains is not counted).
"journal" (journal@21dd572:journal_robustness.py, behind Fig 6)
    no cap (use a large `max_steps`); the verging application is counted; every application after
    which the copy is an ε-fixpoint counts, including the final approach to the zero net.

All copies are processed at once; the loop runs over time steps and stops when every copy has verged.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

import torch

from selfrep.fixpoints import is_divergent, is_fixpoint, is_zero
from selfrep.operators import add_noise
from selfrep.reductions import Reduction

PROCEDURES: tuple[str, ...] = ("text", "keras", "journal")


class Verged(IntEnum):
    """How a copy ended: at the zero net, diverged, or still neither after max_steps."""

    ZERO = 0
    DIVERGENT = 1
    ALIVE = 2

    @property
    def label(self) -> str:
        return ("zero", "divergent", "not verged")[self]


class Robustness(NamedTuple):
    """Per copy: time to vergence (P,) int64, time as fixpoint (P,) int64, how it ended (P,) Verged codes."""

    time_to_vergence: torch.Tensor
    time_as_fixpoint: torch.Tensor
    outcome: torch.Tensor


class NoisyCopies(NamedTuple):
    """Noisy copies of parents: weights (R, W), and per row the noise level index and the parent index."""

    weights: torch.Tensor
    level: torch.Tensor
    parent: torch.Tensor


def noisy_copies(
    parents: torch.Tensor,
    levels: tuple[float, ...] | list[float],
    copies: int = 1,
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> NoisyCopies:
    """`copies` noisy copies of every parent at every noise level ζ: w + U(-ζ, ζ) per weight.

    Rows are ordered level-major, then parent, then copy. The noise is drawn and added in float64 and
    the sum is rounded to `dtype` once, so copies made in float32 and float64 from the same generator
    state are the same perturbation (in float32, a perturbation smaller than half the spacing of
    float32 numbers around a weight is rounded away, as in the published float32 code).
    """
    if parents.ndim != 2:
        raise ValueError(f"parents: expected a (P, W) tensor, got shape {tuple(parents.shape)}")
    if copies < 1:
        raise ValueError(f"copies: must be >= 1, got {copies}")
    levels = [float(z) for z in levels]
    if not levels or any(not (z >= 0) for z in levels):
        raise ValueError(f"levels: need at least one noise level >= 0, got {levels}")
    P = parents.shape[0]
    level = torch.arange(len(levels)).repeat_interleave(P * copies)
    parent = torch.arange(P).repeat_interleave(copies).repeat(len(levels))
    base = parents.to(torch.float64)[parent]
    zeta = torch.tensor(levels, dtype=torch.float64)[level]
    noisy = add_noise(base, zeta, generator)
    return NoisyCopies(noisy.to(dtype), level, parent)


def _count_step(procedure: str, alive, run, t_verge, t_fix, outcome, zero, div, fix):
    """Update the counters with one self-application whose result is zero / divergent / a fixpoint.
    Returns the new (alive, run) masks; t_verge, t_fix and outcome are updated in place."""
    verged = alive & (zero | div)
    stays = alive & ~verged
    if procedure == "journal":
        t_verge += alive
        t_fix += alive & fix  # the zero net is a fixpoint too: the approach to 0 counts
    elif procedure == "text":
        t_verge += alive
        t_fix += stays & fix & run
        run = run & (~stays | fix)
    else:  # keras
        t_verge += stays
        t_fix += stays & fix & run
        run = torch.where(stays, fix, run)  # a break stops the count, a regained fixpoint re-arms it
    outcome[verged & zero] = int(Verged.ZERO)
    outcome[verged & div] = int(Verged.DIVERGENT)
    return stays, run


def _check_procedure(procedure: str) -> None:
    if procedure not in PROCEDURES:
        raise ValueError(f"procedure: unknown value {procedure!r} (expected one of {PROCEDURES})")


def count_from_flags(
    zero: torch.Tensor, divergent: torch.Tensor, fixpoint: torch.Tensor, procedure: str = "text"
) -> Robustness:
    """The counting rules alone, on given (T, P) flags of the states after applications 1 … T.

    `robustness` applies exactly these rules while it self-applies; this form makes them testable on
    hand-written sequences. A copy not verged after T applications ends ALIVE.
    """
    _check_procedure(procedure)
    if not (zero.shape == divergent.shape == fixpoint.shape) or zero.ndim != 2:
        raise ValueError(
            f"zero: flags must be three (T, P) tensors of one shape, got {tuple(zero.shape)}, "
            f"{tuple(divergent.shape)}, {tuple(fixpoint.shape)}"
        )
    T, P = zero.shape
    t_verge = torch.zeros(P, dtype=torch.int64)
    t_fix = torch.zeros(P, dtype=torch.int64)
    outcome = torch.full((P,), int(Verged.ALIVE), dtype=torch.int64)
    alive = torch.ones(P, dtype=torch.bool)
    run = torch.ones(P, dtype=torch.bool)
    for t in range(T):
        alive, run = _count_step(
            procedure,
            alive,
            run,
            t_verge,
            t_fix,
            outcome,
            zero[t].bool(),
            divergent[t].bool(),
            fixpoint[t].bool(),
        )
    return Robustness(t_verge, t_fix, outcome)


def robustness(
    weights: torch.Tensor,
    reduction: Reduction,
    eps: float = 1e-5,
    *,
    procedure: str = "text",
    max_steps: int = 100,
) -> Robustness:
    """Self-apply every row of `weights` until it verges (or `max_steps`), counting as `procedure` says.

    A copy that is already zero or divergent before the first application has time to vergence 0.
    """
    _check_procedure(procedure)
    if not isinstance(max_steps, int) or max_steps < 1:
        raise ValueError(f"max_steps: must be a positive int, got {max_steps!r}")
    reduction.arch.check(weights)
    P = weights.shape[0]
    t_verge = torch.zeros(P, dtype=torch.int64)
    t_fix = torch.zeros(P, dtype=torch.int64)
    outcome = torch.full((P,), int(Verged.ALIVE), dtype=torch.int64)
    zero0, div0 = is_zero(weights, eps), is_divergent(weights)
    outcome[zero0] = int(Verged.ZERO)
    outcome[div0] = int(Verged.DIVERGENT)
    alive = ~(zero0 | div0)
    run = torch.ones(P, dtype=torch.bool)  # still inside a counted run of fixpoint steps
    w = weights
    with torch.no_grad():
        for _ in range(max_steps):
            if not bool(alive.any()):
                break
            w = reduction.apply(w, w)
            zero, div, fix = is_zero(w, eps), is_divergent(w), is_fixpoint(w, reduction, eps)
            alive, run = _count_step(procedure, alive, run, t_verge, t_fix, outcome, zero, div, fix)
    return Robustness(t_verge, t_fix, outcome)
