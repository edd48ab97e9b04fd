"""Chapter 5: its configuration (sizes and settings, each field's meaning as metadata), presets per
scale, and the training it uses."""

from __future__ import annotations

from dataclasses import dataclass, field

from selfrep.fixpoints import KIND_LABELS, FixpointKind
from selfrep.optim import TrainConfig
from selfrep.published import SOUP_TRAINS
from selfrep.reductions import make_reduction

CHAPTER = "05_soups"
ZERO, NONZERO = KIND_LABELS[FixpointKind.ZERO], KIND_LABELS[FixpointKind.NONZERO]
SECOND = KIND_LABELS[FixpointKind.SECOND_ORDER]
COMMITTED, INTERACTING = "committed", "interacting"
NEAR_ERROR, FAR_ERROR = 1e-3, 1e-1  # Fig 12c: attackers this close to / this far from being fixpoints
STAMP_GAIN = 0.5  # an attacker with value gain |a₀| ≤ this pulls its victim at least halfway onto itself
COPY_RATIO = 0.1  # Q5: an attack "copies" the attacker if the victim ends ≤ this × its earlier distance
BAND_CHANGE = 0.3  # Fig 12c's band: attacks that change the victim by at least this (MAE)


@dataclass(frozen=True)
class SoupsConfig:
    """Sizes of chapter 5 (paper values in comments; paper-spec §10)."""

    # Fig 12 (master:code/setups/soup_trajectorys.py)
    # 20 weightwise nets
    particles: int = field(default=20, metadata={"meaning": "paper Fig 12: networks per soup"})
    epochs: int = field(default=100, metadata={"meaning": "paper Fig 12: soup epochs"})
    attack_rate: float = field(
        default=0.1,
        metadata={"meaning": "α: probability that a particle attacks in an epoch (paper Figs 12, 13)"},
    )
    # A = 30 Keras epochs per soup epoch
    train_steps: int = field(
        default=30,
        metadata={"meaning": "A: Keras self-training epochs per particle and soup epoch (paper Fig 12)"},
    )
    # beyond the paper: independent soups (soup 0 is the figure), each with a control
    soups: int = field(
        default=20,
        metadata={
            "meaning": "paper Fig 12: independent soups (soup 0 is the figure), each with a control "
            "without attacks"
        },
    )
    # a cluster: particles within this fraction of the initial median distance
    cluster_radius: float = field(
        default=0.25,
        metadata={
            "meaning": "a cluster: particles within this fraction of the soup's initial median distance"
        },
    )
    # Fig 13 (master:code/setups/mixed-soup.py)
    count_reductions: tuple[str, ...] = field(
        default=("weightwise", "aggregating"), metadata={"meaning": "paper Fig 13: network types"}
    )
    # A = 0, 10, ..., 100
    count_trains: tuple[int, ...] = field(
        default=SOUP_TRAINS, metadata={"meaning": "paper Fig 13: the values of A"}
    )
    # 10 soups per (reduction, A)
    count_soups: int = field(
        default=10, metadata={"meaning": "paper Fig 13: soups per network type and A (the paper's)"}
    )
    count_particles: int = field(default=10, metadata={"meaning": "paper Fig 13: networks per soup"})
    count_epochs: int = field(default=5, metadata={"meaning": "paper Fig 13: soup epochs"})
    # beyond the paper: more soups per cell (replicate 0 is the paper's)
    count_replicates: int = field(
        default=1, metadata={"meaning": "paper Fig 13: repetitions of count_soups (beyond the paper)"}
    )
    # Q4 (beyond the paper): soups of many networks, the synchronous rule, Fig 12's settings otherwise
    large_sizes: tuple[int, ...] = field(
        default=(20, 1000, 10000), metadata={"meaning": "Q4: networks per soup (20 is the paper's size)"}
    )
    large_soups: tuple[int, ...] = field(
        default=(20, 3, 1), metadata={"meaning": "Q4: soups per size (one value per entry of large_sizes)"}
    )
    large_every: int = field(
        default=10, metadata={"meaning": "Q4: soups are measured every this many epochs"}
    )
    large_sample: int = field(
        default=1000, metadata={"meaning": "Q4: clusters are counted on this many particles drawn at random"}
    )
    large_min_share: float = field(
        default=0.1, metadata={"meaning": "Q4: a cluster holds at least this share of the soup"}
    )
    # Q2 (master@0c9b036 code/setups/learn_from_soup.py): attacks off, no self-training, learning from
    # another particle with probability 0.1 per particle and epoch, `severity` Keras epochs on its pairs
    learn_particles: int = field(
        default=10, metadata={"meaning": "Q2: networks per learn-from soup (code's)"}
    )
    learn_epochs: int = field(default=100, metadata={"meaning": "Q2: soup epochs (code's)"})
    learn_rate: float = field(
        default=0.1,
        metadata={"meaning": "Q2: probability that a particle learns from another in an epoch (code's)"},
    )
    learn_severities: tuple[int, ...] = field(
        default=tuple(range(0, 101, 10)),
        metadata={"meaning": "Q2: Keras epochs on the teacher's pairs per learning-from (code's severity)"},
    )
    learn_trials: int = field(default=10, metadata={"meaning": "Q2: soups per severity (code's trials)"})
    # the Keras code's ε
    eps: float = field(default=1e-4, metadata={"meaning": "ε of the fixpoint test (Keras code)"})
    lr: float = field(default=0.01, metadata={"meaning": "learning rate (Keras code)"})
    init: str = field(default="glorot", metadata={"meaning": "initialisation of fresh nets"})
    # Fig 14 (journal@21dd572:journal_soup_basins.py)
    clone_parents: int = field(default=3, metadata={"meaning": "paper Fig 14: parents (families) per soup"})
    # per parent
    clone_children: int = field(default=5, metadata={"meaning": "paper Fig 14: noisy clones per parent"})
    clone_zetas: tuple[float, ...] = field(
        default=(1e-2, 1e-3, 1e-4), metadata={"meaning": "paper Fig 14: noise levels ζ"}
    )
    # random nets trained per soup to find 3 non-zero fixpoint parents
    clone_candidates: int = field(
        default=16, metadata={"meaning": "paper Fig 14: random nets trained per soup to find the parents"}
    )
    clone_parent_steps: int = field(
        default=1500, metadata={"meaning": "paper Fig 14: self-training steps that make a parent"}
    )
    # committed: 1 soup epoch of 1,500 steps after at most one attack
    clone_steps: int = field(
        default=1500,
        metadata={
            "meaning": "paper Fig 14, committed setting: training steps after the one soup epoch's attack"
        },
    )
    clone_attack_rate: float = field(
        default=0.1,
        metadata={
            "meaning": "paper Fig 14: attack probability (per soup in the committed setting, per particle "
            "and epoch in the interacting one)"
        },
    )
    clone_record_every: int = field(
        default=10, metadata={"meaning": "paper Fig 14: a state is drawn every this many steps"}
    )
    # soups per ζ (soup 0 is the figure), each with a control without attacks
    clone_soups: int = field(
        default=20,
        metadata={
            "meaning": "paper Fig 14: soups per ζ (soup 0 is the figure), each with a control without attacks"
        },
    )
    # ours: 100 epochs x 15 steps = the same 1,500 steps of training,
    interacting_epochs: int = field(
        default=100, metadata={"meaning": "paper Fig 14, interacting setting: soup epochs"}
    )
    # parents and children together, α = 0.1 per particle and epoch
    interacting_steps: int = field(
        default=15, metadata={"meaning": "paper Fig 14, interacting setting: training steps per epoch"}
    )
    clone_eps: float = field(
        default=1e-5, metadata={"meaning": "paper Fig 14: ε of the fixpoint test (journal code)"}
    )
    clone_lr: float = field(default=0.04, metadata={"meaning": "paper Fig 14: learning rate (journal code)"})

    def __post_init__(self) -> None:
        for name in (
            "particles",
            "epochs",
            "soups",
            "count_soups",
            "count_particles",
            "count_epochs",
            "count_replicates",
            "clone_parents",
            "clone_children",
            "clone_candidates",
            "clone_parent_steps",
            "clone_steps",
            "clone_record_every",
            "clone_soups",
            "interacting_epochs",
            "interacting_steps",
            "large_every",
            "large_sample",
            "learn_particles",
            "learn_epochs",
            "learn_trials",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.train_steps < 0 or any(a < 0 for a in self.count_trains) or not self.count_trains:
            raise ValueError("train_steps, count_trains: need non-negative step counts")
        if self.clone_candidates < self.clone_parents:
            raise ValueError(f"clone_candidates: need at least clone_parents ({self.clone_parents})")
        if not self.clone_zetas or any(not z > 0 for z in self.clone_zetas):
            raise ValueError(f"clone_zetas: need positive noise levels, got {self.clone_zetas}")
        if len(self.large_sizes) != len(self.large_soups) or not self.large_sizes:
            raise ValueError("large_soups: need one soup count per entry of large_sizes")
        if any(n < 2 for n in self.large_sizes) or any(k < 1 for k in self.large_soups):
            raise ValueError("large_sizes, large_soups: need >= 2 networks and >= 1 soup per size")
        if self.learn_particles < 3:
            raise ValueError(
                f"learn_particles: need >= 3 (a learner and two other teachers), got {self.learn_particles}"
            )
        if not 0 <= self.learn_rate <= 1:
            raise ValueError(f"learn_rate: must lie in [0, 1], got {self.learn_rate}")
        if not self.learn_severities or any(k < 0 for k in self.learn_severities):
            raise ValueError(f"learn_severities: need non-negative step counts, got {self.learn_severities}")
        if not 0 < self.large_min_share <= 1:
            raise ValueError(f"large_min_share: must lie in (0, 1], got {self.large_min_share}")
        bad = [r for r in self.count_reductions if r not in ("weightwise", "aggregating", "recurrent")]
        if bad:
            raise ValueError(f"count_reductions: unknown {bad}")


PRESETS = {
    # Beyond the paper: more soups for statistics (soup / replicate 0 has the paper's own size).
    "paper": SoupsConfig(soups=50, count_replicates=5, clone_soups=50),
    "ci": SoupsConfig(soups=20, clone_soups=10, large_sizes=(20, 200, 1000), large_soups=(20, 3, 1)),
}


def keras(cfg: SoupsConfig) -> TrainConfig:
    return TrainConfig(step="epoch", lr=cfg.lr, backend="compiled")


def journal(cfg: SoupsConfig) -> TrainConfig:
    return TrainConfig(step="batch", lr=cfg.clone_lr, backend="compiled")


def journal_reduction():
    """The chapter-3 setting: scaled positions, PyTorch layout."""
    return make_reduction("weightwise", positions="scaled", order="output_major")
