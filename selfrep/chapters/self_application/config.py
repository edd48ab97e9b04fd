"""Chapter 1's configuration: the frozen config, its presets per scale, and the chapter's constants."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from selfrep.chapters.common import field_meanings
from selfrep.published import NOISE_LEVELS

CHAPTER = "01_self_application"
REDUCTIONS: tuple[str, ...] = ("weightwise", "aggregating", "recurrent")
DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "float64": torch.float64}
# The dtype label of the diagnostic run: float64 everywhere except the three weights that are 1 in the
# identity net, which get their float32-rounded noisy value (isolates float32 rounding of 1 + ζu).
MIXED = "float64, float32-rounded ones"


@dataclass(frozen=True)
class SelfApplicationConfig:
    """Sizes of chapter 1's experiments (paper values in comments; paper-spec §3–§5).

    robustness_runs lists (dtype, procedure, ε) combinations; the first one is Fig 3.
    """

    trajectory_reductions: tuple[str, ...] = field(
        default=("aggregating", "weightwise"), metadata={"meaning": "reductions drawn in Figure 1.1"}
    )
    # Fig 1: 10 aggregating nets (20 weightwise in the log)
    trajectory_nets: int = field(default=10, metadata={"meaning": "nets per reduction in Figure 1.1"})
    trajectory_steps: int = field(default=100, metadata={"meaning": "most self-applications per trajectory"})
    # the early stop of the authors' trajectory runs
    trajectory_eps: float = field(
        default=1e-14,
        metadata={"meaning": "ε of the trajectory runs' early stop (the authors' class default)"},
    )
    # states beyond this are not drawn (diverging nets)
    trajectory_max_abs: float = field(
        default=5.0, metadata={"meaning": "states with a weight beyond ± this are not drawn"}
    )
    # Fig 2: 50 per reduction
    outcome_nets: int = field(
        default=50, metadata={"meaning": "nets per reduction and population in Figure 1.2"}
    )
    outcome_steps: int = field(
        default=100, metadata={"meaning": "self-applications before classifying (Figure 1.2)"}
    )
    # beyond the paper: 10x the population for confidence intervals
    outcome_replicates: int = field(
        default=10, metadata={"meaning": "populations of Figure 1.2's size (the first is Figure 1.2)"}
    )
    # in-text: 100,000 per reduction
    random_nets: int = field(
        default=100_000, metadata={"meaning": "random nets per reduction checked for fixpoints"}
    )
    # Fig 3: 1 ... 1e-9
    noise_levels: tuple[float, ...] = field(
        default=NOISE_LEVELS, metadata={"meaning": "noise levels ζ of Figure 1.4"}
    )
    # Fig 3: 100 per level
    noise_copies: int = field(default=100, metadata={"meaning": "noisy identity copies per level"})
    # the Keras cap
    robustness_steps: int = field(
        default=100, metadata={"meaning": "most self-applications per copy (text and Keras counting)"}
    )
    # stands in for the journal's uncapped loop
    journal_steps: int = field(
        default=1000, metadata={"meaning": "most self-applications per copy (journal counting)"}
    )
    robustness_runs: tuple[tuple[str, str, float], ...] = field(
        default=(
            ("float32", "text", 1e-5),
            ("float32", "text", 1e-4),
            ("float32", "keras", 1e-4),
            ("float32", "keras", 1e-5),
            ("float32", "journal", 1e-5),
            ("float64", "text", 1e-5),
            ("float64", "keras", 1e-4),
            (MIXED, "keras", 1e-4),
        ),
        metadata={"meaning": "(precision, counting procedure, ε) of each robustness run"},
    )
    eps: float = field(default=1e-5, metadata={"meaning": "the paper's ε"})
    # the ε of the logged Keras runs
    eps_keras: float = field(default=1e-4, metadata={"meaning": "ε of the authors' Keras logs"})
    init: str = field(default="glorot", metadata={"meaning": "weight initialisation"})

    def __post_init__(self) -> None:
        for name in (
            "trajectory_nets",
            "outcome_nets",
            "outcome_replicates",
            "random_nets",
            "noise_copies",
            "robustness_steps",
            "journal_steps",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        for dtype, procedure, eps in self.robustness_runs:
            if dtype not in (*DTYPES, MIXED):
                raise ValueError(f"robustness_runs: unknown dtype {dtype!r}")
            if procedure not in ("text", "keras", "journal") or not eps > 0:
                raise ValueError(f"robustness_runs: bad entry {(dtype, procedure, eps)!r}")


# {field: meaning}, from the fields' metadata (what the config table shows beside each value).
CONFIG_MEANINGS: dict[str, str] = field_meanings(SelfApplicationConfig)

PRESETS = {
    "paper": SelfApplicationConfig(),
    "ci": SelfApplicationConfig(outcome_replicates=3, random_nets=10_000, noise_copies=30),
}
