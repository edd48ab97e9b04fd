"""Chapter 2's configuration: the frozen config, its presets per scale, and the chapter's constants."""

from __future__ import annotations

from dataclasses import dataclass, field

from selfrep.analysis.grid import ENCODINGS
from selfrep.chapters.common import field_meanings
from selfrep.nets import ACTIVATIONS
from selfrep.optim import TrainConfig
from selfrep.published import NOISE_LEVELS, PUBLISHED_CONFIGS

CHAPTER = "02_self_training"
REDUCTIONS: tuple[str, ...] = ("weightwise", "aggregating", "recurrent")
# Parent groups of the robustness experiment (Fig 6).
TRAINED, IDENTITY, JOURNAL = "trained (Keras epochs)", "identity", "trained (journal@21dd572)"
FIG6_GROUPS: tuple[str, ...] = (JOURNAL, TRAINED, IDENTITY)  # Figure 2.4's order
# Figure 2.3's two populations: Figure 2.2's weightwise nets and Figure 2.4's Keras-trained parents.
DIST_POPULATIONS: tuple[str, str] = ("Figure 2.2 weightwise nets", "Keras-trained parents (Figure 2.4)")
FIG6_PALETTE: dict[str, str] = {JOURNAL: "#7b3294", TRAINED: "#a6611a", IDENTITY: "#8c8c8c"}
# Figure 2.4's styling for selfrep.plotting.robustness_boxes.
FIG6_STYLE: dict[str, object] = {"hue": "group", "hue_order": FIG6_GROUPS, "palette": FIG6_PALETTE}
# Figure 2.5's short tags for the cells a published code ran (by PublishedConfig.name).
PUBLISHED_TAGS: dict[str, str] = {
    p.name: {"keras": "K", "journal": "J", "jrob": "R", "refactor": "2022"}[p.key] for p in PUBLISHED_CONFIGS
}


@dataclass(frozen=True)
class SelfTrainingConfig:
    """Sizes of chapter 2's experiments (paper values in comments; paper-spec §6–§7)."""

    # Fig 4: 10 weightwise nets
    trajectory_nets: int = field(default=10, metadata={"meaning": "weightwise nets drawn in paper Fig 4"})
    # 101 states (the log's time axis is doubled; ours is not)
    trajectory_epochs: int = field(default=100, metadata={"meaning": "Keras epochs per trajectory"})
    # Fig 5: 50 per reduction
    outcome_nets: int = field(default=50, metadata={"meaning": "nets per reduction in paper Fig 5"})
    # Fig 5: 1,000 Keras epochs (lr 0.01)
    outcome_epochs: int = field(
        default=1000, metadata={"meaning": "Keras epochs before classifying (paper Figs 5, 6)"}
    )
    # Fig 6 with Keras-trained parents (the text's procedure)
    robustness_parents: int = field(
        default=1000, metadata={"meaning": "nets trained by Keras epochs as paper Fig 6 parents"}
    )
    # Fig 6's own parents: journal_robustness.py trains 1,000 nets
    journal_parents: int = field(
        default=1000, metadata={"meaning": "nets trained as paper Fig 6's parents (journal_robustness.py)"}
    )
    # 5 x self_train(1,000 steps), momentum buffer reset between chunks
    journal_chunks: int = field(
        default=5, metadata={"meaning": "chunks of the journal's parent training (momentum reset between)"}
    )
    journal_chunk_steps: int = field(
        default=1000, metadata={"meaning": "full-batch steps per chunk (lr 0.004, momentum 0.9)"}
    )
    # the journal's main self-training (lr 0.04, one optimizer per step)
    journal_main_nets: int = field(
        default=200, metadata={"meaning": "nets trained as the journal's main self-training (lr 0.04)"}
    )
    # main.py: 1,000; journal_basins.py: 2,500
    journal_main_checkpoints: tuple[int, ...] = field(
        default=(1000, 2500), metadata={"meaning": "full-batch steps at which those are classified"}
    )
    noise_levels: tuple[float, ...] = field(
        default=NOISE_LEVELS, metadata={"meaning": "noise levels ζ of paper Fig 6"}
    )
    robustness_steps: int = field(
        default=100, metadata={"meaning": "most self-applications per copy (text counting)"}
    )
    journal_steps: int = field(
        default=1000, metadata={"meaning": "most self-applications per copy (journal counting)"}
    )
    # per cell
    grid_nets: int = field(default=50, metadata={"meaning": "nets per cell of the grid (Figure 2.5)"})
    grid_encodings: tuple[str, ...] = field(
        default=("scaled", "scaled_pytorch", "raw"),
        metadata={"meaning": "positional encodings crossed in the grid"},
    )
    grid_inits: tuple[str, ...] = field(
        default=("glorot", "pytorch"), metadata={"meaning": "initialisations crossed in the grid"}
    )
    grid_lrs: tuple[float, ...] = field(
        default=(0.004, 0.01, 0.04), metadata={"meaning": "learning rates crossed in the grid"}
    )
    grid_momenta: tuple[float, ...] = field(
        default=(0.0, 0.9), metadata={"meaning": "momenta crossed in the grid"}
    )
    grid_epoch_checkpoints: tuple[int, ...] = field(
        default=(100, 250, 500, 1000), metadata={"meaning": "Keras epochs at which the grid is classified"}
    )
    grid_batch_checkpoints: tuple[int, ...] = field(
        default=(500, 1000, 2500), metadata={"meaning": "full-batch steps at which the grid is classified"}
    )
    activations: tuple[str, ...] = field(
        default=("linear", "tanh", "relu", "sigmoid"), metadata={"meaning": "activations of Figure 2.8"}
    )
    biases: tuple[bool, ...] = field(
        default=(False, True), metadata={"meaning": "without / with bias in Figure 2.8"}
    )
    activation_nets: int = field(
        default=50, metadata={"meaning": "nets per activation, bias and reduction (Figure 2.8)"}
    )
    activation_epochs: int = field(default=1000, metadata={"meaning": "Keras epochs in Figure 2.8"})
    eps: float = field(default=1e-5, metadata={"meaning": "the paper's ε"})
    eps_keras: float = field(default=1e-4, metadata={"meaning": "ε of the authors' Keras logs"})
    init: str = field(default="glorot", metadata={"meaning": "weight initialisation of the Keras-style nets"})

    def __post_init__(self) -> None:
        for name in (
            "trajectory_nets",
            "trajectory_epochs",
            "outcome_nets",
            "outcome_epochs",
            "robustness_parents",
            "journal_parents",
            "journal_chunks",
            "journal_chunk_steps",
            "journal_main_nets",
            "robustness_steps",
            "journal_steps",
            "grid_nets",
            "activation_nets",
            "activation_epochs",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        for name in ("grid_epoch_checkpoints", "grid_batch_checkpoints", "journal_main_checkpoints"):
            cp = getattr(self, name)
            if not cp or list(cp) != sorted(set(cp)) or cp[0] < 1:
                raise ValueError(f"{name}: need increasing positive step counts, got {cp}")
        unknown = [a for a in self.activations if a not in ACTIVATIONS]
        if unknown:
            raise ValueError(f"activations: unknown {unknown} (expected some of {ACTIVATIONS})")
        bad = [e for e in self.grid_encodings if e not in ENCODINGS]
        if bad:
            raise ValueError(f"grid_encodings: unknown {bad} (expected some of {tuple(ENCODINGS)})")


# {field: meaning}, from the fields' metadata (what the config table shows beside each value).
CONFIG_MEANINGS: dict[str, str] = field_meanings(SelfTrainingConfig)

PRESETS = {
    "paper": SelfTrainingConfig(),
    "ci": SelfTrainingConfig(
        outcome_nets=20,
        robustness_parents=60,
        journal_parents=60,
        journal_main_nets=50,
        grid_nets=4,
        grid_epoch_checkpoints=(100, 1000),
        grid_batch_checkpoints=(500, 2500),
        activation_nets=5,
        activation_epochs=200,  # enough for the linear control to near its fixpoints (claim P4d)
    ),
}

# The Keras code's self-training epoch. "compiled" runs weightwise nets through the fused native kernel
# (selfrep.kernels; 10-100x faster here, equal to the eager path up to float rounding) where a C compiler
# works, and everything else eagerly.
KERAS = TrainConfig(step="epoch", lr=0.01, backend="compiled")
GAIN_SPLIT = 0.25  # |initial value gain a0| below which a net counts as "shrinking" (chapter 2, the grid)
MAP_TOL = 1e-3  # max deviation of the end-to-end map from (1, 0, 0, 0) counted as "on the identity map"
TINY_GAIN = 0.1  # |a0| below which the grid compares the two initialisations directly (Figure 2.6 text)
# The authors' repository, cited for the journal's PyTorch code.
REPO = "https://github.com/illiumst/self-replicating-neural-networks"
