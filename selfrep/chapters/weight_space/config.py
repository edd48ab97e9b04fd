"""Chapter 3: its configuration (sizes and settings, each field's meaning as metadata), presets per
scale, and the training it uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from selfrep.optim import TrainConfig
from selfrep.reductions import make_reduction

CHAPTER = "03_weight_space"
DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class WeightSpaceConfig:
    """Sizes and settings of chapter 3 (paper values in comments; paper-spec §8)."""

    # [0, 1] positions, as the text and journal@21dd572's normalize()
    positions: str = field(
        default="scaled",
        metadata={
            "meaning": "how a weight's position is fed to the net ([0, 1], as the text and journal@21dd572)"
        },
    )
    # the journal's PyTorch layout
    order: str = field(
        default="output_major", metadata={"meaning": "weight layout (the journal's PyTorch one)"}
    )
    # the journal's initialisation
    init: str = field(default="pytorch", metadata={"meaning": "initialisation of fresh nets"})
    # journal: full-batch GD, lr 0.04
    lr: float = field(
        default=0.04, metadata={"meaning": "learning rate of one full-batch self-training step"}
    )
    # journal: 1e-5
    eps: float = field(default=1e-5, metadata={"meaning": "ε of the fixpoint test"})
    # Figs 7-9: parents trained 2,500 steps
    parent_steps: int = field(default=2500, metadata={"meaning": "self-training steps that make a parent"})
    # ... and children 2,500 more
    child_steps: int = field(
        default=2500,
        metadata={"meaning": "self-training steps of every child (and of the parent, retrained alone)"},
    )
    # Fig 7
    # 10 clones of one parent
    trajectory_clones: int = field(default=10, metadata={"meaning": "paper Fig 7: clones of the one parent"})
    trajectory_zeta: float = field(
        default=1e-2, metadata={"meaning": "paper Fig 7: noise level ζ of those clones"}
    )
    # the journal logged every 10 steps
    record_every: int = field(
        default=10, metadata={"meaning": "paper Fig 7: a state is drawn every this many steps"}
    )
    # the parent is drawn from step 2,150 (the journal's figure)
    trajectory_from: int = field(
        default=2150, metadata={"meaning": "paper Fig 7: the parent's path is drawn from this step on"}
    )
    # Figs 8, 9
    # 1e-1 ... 1e-14
    levels: tuple[float, ...] = field(
        default=tuple(10.0**-k for k in range(1, 15)), metadata={"meaning": "paper Figs 8, 9: noise levels ζ"}
    )
    # per noise level, fresh parents for each level (journal: 4-5 fixpoint parents)
    parents: int = field(default=5, metadata={"meaning": "paper Figs 8, 9: fresh parents per noise level"})
    # per parent
    clones: int = field(default=10, metadata={"meaning": "paper Figs 8, 9: children per parent"})
    # random nets trained per level to find `parents` non-zero fixpoints
    candidates: int = field(
        default=10,
        metadata={"meaning": "random nets trained per level to find the parents (non-zero fixpoints)"},
    )
    # the paper's footnote, w + U(-ζ, ζ); "per_clone" = journal_basins.py
    noise: str = field(
        default="uniform",
        metadata={"meaning": "noise scheme: 'uniform' is w + U(−ζ, ζ) per weight (the paper's footnote)"},
    )
    # float32 is the paper's; float64 beyond it
    dtypes: tuple[str, ...] = field(
        default=("float32", "float64"),
        metadata={"meaning": "float types run from the same weights and noise (float32 is the paper's)"},
    )
    # Fig 10
    # 10 parents, all pairs of fixpoints
    line_parents: int = field(
        default=10, metadata={"meaning": "paper Fig 10: parents; every pair gets a line of children"}
    )
    line_candidates: int = field(
        default=12, metadata={"meaning": "paper Fig 10: random nets trained to find those parents"}
    )
    # the code trained parents and children 2,000 steps
    line_steps: int = field(
        default=2000, metadata={"meaning": "paper Fig 10: steps for parents and for children"}
    )
    # 25 per pair, endpoint excluded
    line_children: int = field(
        default=25, metadata={"meaning": "paper Fig 10: children per pair (parent 2 itself excluded)"}
    )

    # Beyond the paper: the fixpoint family (issue 12)
    rank_rtol: float = field(
        default=1e-4,
        metadata={"meaning": "Jacobian rank: singular values above this × the largest count"},
    )
    # Q1: the border against the parents' training length, in both float types
    sweep_steps: tuple[int, ...] = field(
        default=(1500, 2000, 2500, 5000, 10000),
        metadata={"meaning": "Q1 border sweep: the parents' training lengths (steps)"},
    )
    sweep_levels: tuple[float, ...] = field(
        default=tuple(10.0**-k for k in range(2, 14)),
        metadata={"meaning": "Q1 border sweep: noise levels ζ"},
    )
    sweep_parents: int = field(
        default=5, metadata={"meaning": "Q1 border sweep: parents per noise level and training length"}
    )
    sweep_candidates: int = field(
        default=16,
        metadata={"meaning": "Q1 border sweep: random nets trained per level to find those parents"},
    )
    # §1, Q6: least-squares searches for exact fixpoints from random starts
    search_starts: int = field(
        default=500, metadata={"meaning": "least-squares searches: random starts N(0, 1) per search"}
    )
    search_iters: int = field(
        default=100, metadata={"meaning": "least-squares searches: Levenberg–Marquardt iterations"}
    )
    constructed: int = field(
        default=10,
        metadata={
            "meaning": "Q6: trained fixpoints whose last layer is negated (second order by construction)"
        },
    )

    def __post_init__(self) -> None:
        for name in (
            "sweep_parents",
            "sweep_candidates",
            "search_starts",
            "search_iters",
            "constructed",
            "parent_steps",
            "child_steps",
            "trajectory_clones",
            "record_every",
            "parents",
            "clones",
            "candidates",
            "line_parents",
            "line_candidates",
            "line_steps",
            "line_children",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.candidates < self.parents:
            raise ValueError(f"candidates: need at least `parents` ({self.parents}), got {self.candidates}")
        if self.line_candidates < self.line_parents:
            raise ValueError(
                f"line_candidates: need at least `line_parents` ({self.line_parents}), "
                f"got {self.line_candidates}"
            )
        if self.line_parents < 2:
            raise ValueError(f"line_parents: need at least 2, got {self.line_parents}")
        if self.sweep_candidates < self.sweep_parents:
            raise ValueError(
                f"sweep_candidates: need at least `sweep_parents` ({self.sweep_parents}), "
                f"got {self.sweep_candidates}"
            )
        if not self.sweep_steps or any(s < 1 for s in self.sweep_steps):
            raise ValueError(f"sweep_steps: need positive training lengths, got {self.sweep_steps}")
        if not self.sweep_levels or any(not z > 0 for z in self.sweep_levels):
            raise ValueError(f"sweep_levels: need positive noise levels, got {self.sweep_levels}")
        if not 0 < self.rank_rtol < 1:
            raise ValueError(f"rank_rtol: must lie in (0, 1), got {self.rank_rtol}")
        if not self.levels or any(not z > 0 for z in self.levels):
            raise ValueError(f"levels: need positive noise levels, got {self.levels}")
        bad = [d for d in self.dtypes if d not in DTYPES]
        if not self.dtypes or self.dtypes[0] != "float32" or bad:
            raise ValueError(f"dtypes: need 'float32' first, then any of {tuple(DTYPES)}, got {self.dtypes}")
        if not 0 <= self.trajectory_from <= self.parent_steps:
            raise ValueError(f"trajectory_from: must lie in [0, parent_steps], got {self.trajectory_from}")


PRESETS = {
    # Beyond the paper: 20 parents per noise level (200 children) instead of 4-5; ci runs the paper's size.
    "paper": WeightSpaceConfig(parents=20, candidates=30, sweep_parents=10, sweep_candidates=30),
    "ci": WeightSpaceConfig(),
}


def reduction(cfg: WeightSpaceConfig):
    return make_reduction("weightwise", positions=cfg.positions, order=cfg.order)


def train_config(cfg: WeightSpaceConfig) -> TrainConfig:
    """The journal's step (full batch, lr 0.04, no momentum), run by the fused kernel where possible."""
    return TrainConfig(step="batch", lr=cfg.lr, backend="compiled")
