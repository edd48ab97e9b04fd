"""Chapter 2 — self-training (paper §3.2, Figs 4–6; paper-spec §6–§7, §15).

Experiments, each a pure function of (config, generator) returning tidy DataFrames:

    run_trajectories   Fig 4: weightwise nets self-trained (Keras epochs), PCA-projected
    run_outcomes       Fig 5: outcome after 1,000 self-training epochs per reduction, with final weights
    run_distances      "no two nets train to the same fixpoint": pairwise distances of trained fixpoints
    run_robustness     Fig 6: noisy copies of trained non-zero fixpoints vs the identity net
    run_journal_main   the journal paper's own self-training (journal@21dd572): scaled positions in the
                       PyTorch layout, PyTorch init, full-batch steps at lr 0.04, constant targets
    run_grid           what decides zero vs non-zero fixpoints: encoding x init x step kind x lr x
                       momentum x targets (constant, as in every published code of the paper, or
                       differentiated, as in the authors' 2022 refactor 49c0d8a)
    run_activations    Fig 5's experiment for tanh, relu and sigmoid, with and without bias

`values(...)` turns the frames into the numbers the chapter glues.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from selfrep.analysis.grid import ENCODINGS, cells, end_to_end_map, grid_population
from selfrep.analysis.robustness import Verged, noisy_copies, robustness
from selfrep.analysis.trajectories import pca_trajectories
from selfrep.chapters.common import KIND_KEYS
from selfrep.chapters.self_application import log_sources  # noqa: F401  (the chapter's sources table)
from selfrep.claims import Claim
from selfrep.fixpoints import KIND_LABELS, FixpointKind, classify, fixpoint_error
from selfrep.nets import ACTIVATIONS, identity_fixpoint, init_population
from selfrep.optim import TrainConfig, train_init
from selfrep.published import NOISE_LEVELS, PUBLISHED_CONFIGS, logged, published_config
from selfrep.reductions import make_reduction
from selfrep.training import self_train, self_train_trajectory

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

    trajectory_nets: int = 10  # Fig 4: 10 weightwise nets
    trajectory_epochs: int = 100  # 101 states (the log's time axis is doubled; ours is not)
    outcome_nets: int = 50  # Fig 5: 50 per reduction
    outcome_epochs: int = 1000  # Fig 5: 1,000 Keras epochs (lr 0.01)
    robustness_parents: int = 1000  # Fig 6 with Keras-trained parents (the text's procedure)
    journal_parents: int = 1000  # Fig 6's own parents: journal_robustness.py trains 1,000 nets
    journal_chunks: int = 5  # 5 x self_train(1,000 steps), momentum buffer reset between chunks
    journal_chunk_steps: int = 1000
    journal_main_nets: int = 200  # the journal's main self-training (lr 0.04, one optimizer per step)
    journal_main_checkpoints: tuple[int, ...] = (1000, 2500)  # main.py: 1,000; journal_basins.py: 2,500
    noise_levels: tuple[float, ...] = NOISE_LEVELS
    robustness_steps: int = 100
    journal_steps: int = 1000
    grid_nets: int = 50  # per cell
    grid_encodings: tuple[str, ...] = ("scaled", "scaled_pytorch", "raw")
    grid_inits: tuple[str, ...] = ("glorot", "pytorch")
    grid_lrs: tuple[float, ...] = (0.004, 0.01, 0.04)
    grid_momenta: tuple[float, ...] = (0.0, 0.9)
    grid_epoch_checkpoints: tuple[int, ...] = (100, 250, 500, 1000)
    grid_batch_checkpoints: tuple[int, ...] = (500, 1000, 2500)
    activations: tuple[str, ...] = ("linear", "tanh", "relu", "sigmoid")
    biases: tuple[bool, ...] = (False, True)
    activation_nets: int = 50
    activation_epochs: int = 1000
    eps: float = 1e-5
    eps_keras: float = 1e-4
    init: str = "glorot"

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


# One line per config field, shown beside the chapter's config table.
CONFIG_MEANINGS = {
    "trajectory_nets": "weightwise nets drawn in paper Fig 4",
    "trajectory_epochs": "Keras epochs per trajectory",
    "outcome_nets": "nets per reduction in paper Fig 5",
    "outcome_epochs": "Keras epochs before classifying (paper Figs 5, 6)",
    "robustness_parents": "nets trained by Keras epochs as paper Fig 6 parents",
    "journal_parents": "nets trained as paper Fig 6's parents (journal_robustness.py)",
    "journal_chunks": "chunks of the journal's parent training (momentum reset between)",
    "journal_chunk_steps": "full-batch steps per chunk (lr 0.004, momentum 0.9)",
    "journal_main_nets": "nets trained as the journal's main self-training (lr 0.04)",
    "journal_main_checkpoints": "full-batch steps at which those are classified",
    "noise_levels": "noise levels ζ of paper Fig 6",
    "robustness_steps": "most self-applications per copy (text counting)",
    "journal_steps": "most self-applications per copy (journal counting)",
    "grid_nets": "nets per cell of the grid (Figure 2.5)",
    "grid_encodings": "positional encodings crossed in the grid",
    "grid_inits": "initialisations crossed in the grid",
    "grid_lrs": "learning rates crossed in the grid",
    "grid_momenta": "momenta crossed in the grid",
    "grid_epoch_checkpoints": "Keras epochs at which the grid is classified",
    "grid_batch_checkpoints": "full-batch steps at which the grid is classified",
    "activations": "activations of Figure 2.8",
    "biases": "without / with bias in Figure 2.8",
    "activation_nets": "nets per activation, bias and reduction (Figure 2.8)",
    "activation_epochs": "Keras epochs in Figure 2.8",
    "eps": "the paper's ε",
    "eps_keras": "ε of the authors' Keras logs",
    "init": "weight initialisation of the Keras-style nets",
}

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


# Glued sentences whose wording the run decides; the chapter pastes them as plain prose ({glue:md}).
SENTENCES: tuple[str, ...] = (
    "jpar_reading",
    "fig5_second_population",
    "gd_tiny_gain_reading",
    "act_reading",
    "act_conclusion",
    "gk_div_text",
)


class Prose:
    """A sentence to glue for `{glue:md}`: rendered as ordinary (not bold) text. It carries text/html
    too, so the results reader treats it as a rendered output, not a value (the plain str is glued
    under its own name for that)."""

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise ValueError(f"text: expected a str, got {type(text).__name__}")
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None):
        import html

        return {"text/markdown": self.text, "text/html": html.escape(self.text), "text/plain": self.text}


def share_text(k: int, n: int) -> str:
    """A share for prose: "k/n" for small n (≤ 10, where a percentage overstates precision), else "x %"."""
    if n < 1:
        raise ValueError(f"n: need at least one net, got {n}")
    return f"{k}/{n}" if n <= 10 else f"{k / n:.0%}"


def _weights_frame(w: torch.Tensor) -> pd.DataFrame:
    return pd.DataFrame(w.numpy(), columns=[f"w{i}" for i in range(w.shape[1])])


def weights_of(frame: pd.DataFrame) -> torch.Tensor:
    """The (P, W) weights stored in a frame's w0, w1, ... columns (rows with NaN columns dropped)."""
    cols = [c for c in frame.columns if c.startswith("w") and c[1:].isdigit()]
    cols = [c for c in cols if frame[c].notna().all()]
    return torch.tensor(frame[cols].to_numpy(), dtype=torch.float32)


# ------------------------------------------------------------------------------------------------
# Experiments
# ------------------------------------------------------------------------------------------------
def run_trajectories(cfg: SelfTrainingConfig, generator: torch.Generator) -> pd.DataFrame:
    """Fig 4: `trajectory_nets` weightwise nets, self-trained `trajectory_epochs` Keras epochs, every
    state recorded; one PCA over all states. One row per state: net, t, pc1, pc2, outcome (at the end,
    ε = eps), explained variance."""
    red = make_reduction("weightwise")
    w = init_population(red.arch, cfg.trajectory_nets, cfg.init, generator=generator)
    state, states = self_train_trajectory(w, red, cfg.trajectory_epochs, KERAS, generator)
    kinds = classify(state.weights, red, cfg.eps)
    frame, var, zero = pca_trajectories(states)
    frame["outcome"] = [KIND_LABELS[int(kinds[p])] for p in frame["net"]]
    frame["zero_pc1"], frame["zero_pc2"] = zero[0], zero[1]
    frame["pc1_var"], frame["pc2_var"] = var[0], var[1]
    return frame


def run_outcomes(cfg: SelfTrainingConfig, generator: torch.Generator) -> pd.DataFrame:
    """Fig 5: `outcome_nets` fresh nets per reduction, self-trained `outcome_epochs` Keras epochs
    (lr 0.01, per-sample, shuffled). One row per net: reduction, net, kind at eps and at eps_keras,
    fixpoint error (max and mean |N◁N − N|) and the final weights (w0 … w{W-1})."""
    frames = []
    for name in REDUCTIONS:
        frames.append(
            _train_and_classify(cfg, name, "linear", False, cfg.outcome_nets, cfg.outcome_epochs, generator)
        )
    return pd.concat(frames, ignore_index=True)


def in_output_range(weights: torch.Tensor, activation: str) -> torch.Tensor:
    """(P,) bool: every weight lies inside the image of the output activation (relu [0, ∞), sigmoid (0, 1),
    tanh (-1, 1), linear everything). A net's outputs become its weights, so a fixpoint needs this."""
    if activation == "relu":
        return (weights >= 0).all(dim=1)
    if activation == "sigmoid":
        return ((weights > 0) & (weights < 1)).all(dim=1)
    if activation == "tanh":
        return (weights.abs() < 1).all(dim=1)
    return torch.isfinite(weights).all(dim=1)


def _train_and_classify(cfg, name, activation, bias, n, epochs, generator) -> pd.DataFrame:
    red = make_reduction(name, activation=activation, bias=bias)
    w0 = init_population(red.arch, n, cfg.init, generator=generator)
    w = self_train(w0, red, epochs, KERAS, generator).weights
    err_max, err_mean = fixpoint_error(w, red)
    if name == "aggregating":  # the error of the 4 block means: what aggregating self-training fits
        with torch.no_grad():
            agg_err = (red.aggregate(red.apply(w, w)) - red.aggregate(w)).abs().amax(dim=1).numpy()
    else:
        agg_err = np.full(n, np.nan)
    frame = pd.DataFrame(
        {
            "reduction": name,
            "activation": activation,
            "bias": bias,
            "net": np.arange(n),
            "kind": [KIND_LABELS[int(k)] for k in classify(w, red, cfg.eps)],
            "kind_keras": [KIND_LABELS[int(k)] for k in classify(w, red, cfg.eps_keras)],
            "error_max": err_max.numpy(),
            "error_mean": err_mean.numpy(),
            "aggregate_error": agg_err,
            "in_range_init": in_output_range(w0, activation).numpy(),
            "in_range": in_output_range(w, activation).numpy(),
        }
    )
    return pd.concat([frame, _weights_frame(w)], axis=1)


def pairwise_distances(w: torch.Tensor) -> pd.DataFrame:
    """Every unordered pair (i < j) of rows: max-abs and Euclidean distance."""
    P = w.shape[0]
    if P < 2:
        raise ValueError(f"w: need at least two networks, got {P}")
    w = w.to(torch.float64)
    i, j = torch.triu_indices(P, P, offset=1)
    d = w[i] - w[j]
    return pd.DataFrame(
        {
            "i": i.numpy(),
            "j": j.numpy(),
            "max_abs": d.abs().amax(1).numpy(),
            "euclidean": d.norm(dim=1).numpy(),
        }
    )


def run_distances(outcomes: pd.DataFrame, parents: pd.DataFrame) -> pd.DataFrame:
    """Pairwise distances between trained non-zero fixpoints: the weightwise nets of Fig 5 and the
    trained parents of Fig 6. One row per pair: population, i, j, max_abs, euclidean."""
    frames = []
    ww = outcomes[(outcomes["reduction"] == "weightwise") & (outcomes["kind"] == "non-zero fixpoint")]
    trained = parents[(parents["group"] == TRAINED) & (parents["kind"] == "non-zero fixpoint")]
    for label, sub in ((DIST_POPULATIONS[0], ww), (DIST_POPULATIONS[1], trained)):
        if len(sub) >= 2:
            frame = pairwise_distances(weights_of(sub))
            frame.insert(0, "population", label)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def published_reduction(key: str):
    """The weightwise reduction of a published configuration (PUBLISHED_CONFIGS key)."""
    p = published_config(key)
    return make_reduction("weightwise", order=p.order, positions=p.positions)


def published_train_config(key: str) -> TrainConfig:
    """The self-training step of a published configuration, on the fused kernel where it can run."""
    p = published_config(key)
    backend = "compiled" if p.targets == "constant" else "eager"
    return TrainConfig(step=p.step, lr=p.lr, momentum=p.momentum, targets=p.targets, backend=backend)


def train_journal_parents(cfg: SelfTrainingConfig, n: int, generator: torch.Generator) -> torch.Tensor:
    """Parents trained as the journal's robustness script trains them (journal@21dd572,
    journal_robustness.py L113-114, L220-225; network.py L89-128): [0, 1]-scaled positions in the PyTorch
    layout, PyTorch initialisation, `journal_chunks` calls of `journal_chunk_steps` full-batch steps at
    lr 0.004 with momentum 0.9 (the optimizer, and so its momentum buffer, is new at every call), inputs
    and targets constant. Returned in the output-major layout."""
    red = published_reduction("jrob")
    config = published_train_config("jrob")
    w = init_population(red.arch, n, published_config("jrob").init, generator=generator)
    for _ in range(cfg.journal_chunks):
        w = self_train(train_init(w, config), red, cfg.journal_chunk_steps, config, generator).weights
    return w


def run_journal_main(cfg: SelfTrainingConfig, generator: torch.Generator) -> pd.DataFrame:
    """The journal paper's own self-training (journal@21dd572: main.py L61, experiments/self_train_exp.py
    L57-58, journal_basins.py L126-127, L225, L233): `journal_main_nets` fresh nets, [0, 1]-scaled
    positions in the PyTorch layout, PyTorch initialisation, one full-batch step at lr 0.04 per
    `self_train(1, ...)` call (a new optimizer every step, so its momentum never acts), constant targets.
    Classified at every step count of `journal_main_checkpoints`.

    One row per (checkpoint, net): t, net, kind, fixpoint error."""
    red = published_reduction("journal")
    config = published_train_config("journal")
    w = init_population(
        red.arch, cfg.journal_main_nets, published_config("journal").init, generator=generator
    )
    state, done, frames = train_init(w, config), 0, []
    for cp in cfg.journal_main_checkpoints:
        state = self_train(state, red, cp - done, config, generator)
        done = cp
        err, _ = fixpoint_error(state.weights, red)
        frames.append(
            pd.DataFrame(
                {
                    "t": cp,
                    "net": np.arange(w.shape[0]),
                    "kind": [KIND_LABELS[int(k)] for k in classify(state.weights, red, cfg.eps)],
                    "error_max": err.numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def run_robustness(cfg: SelfTrainingConfig, generator: torch.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 6: trained parents, their noisy copies, self-applied until they verge.

    Parents: `robustness_parents` weightwise nets self-trained `outcome_epochs` Keras epochs, and
    `journal_parents` trained by the journal's robustness script (train_journal_parents), the parents
    of the paper's Fig 6; only non-zero fixpoints at eps are cloned.
    The identity net gets as many copies per level as there are trained non-zero parents. Every copy is
    measured with the text procedure and the journal procedure at eps.

    Returns (parents, copies): parents has one row per parent (group, parent, kind, error_max, weights);
    copies one row per (procedure, copy): group, procedure, eps, level, parent, time_to_vergence,
    time_as_fixpoint, outcome.
    """
    red = make_reduction("weightwise")
    red_journal = published_reduction("jrob")
    w0 = init_population(red.arch, cfg.robustness_parents, cfg.init, generator=generator)
    trained = self_train(w0, red, cfg.outcome_epochs, KERAS, generator).weights
    journal = train_journal_parents(cfg, cfg.journal_parents, generator)
    parents, copies = [], []
    groups = [(TRAINED, trained, red), (JOURNAL, journal, red_journal)]
    n_identity = None
    for group, w, r in groups:
        kinds = classify(w, r, cfg.eps)
        err, _ = fixpoint_error(w, r)
        frame = pd.DataFrame(
            {
                "group": group,
                "parent": np.arange(w.shape[0]),
                "kind": [KIND_LABELS[int(k)] for k in kinds],
                "error_max": err.numpy(),
            }
        )
        parents.append(pd.concat([frame, _weights_frame(w)], axis=1))
        keep = kinds == int(FixpointKind.NONZERO)
        if group == TRAINED:
            n_identity = max(int(keep.sum()), 1)
        if bool(keep.any()):
            copies.append(
                _copies_frame(cfg, group, w[keep], r, 1, generator, torch.nonzero(keep).squeeze(1).numpy())
            )
    ident = identity_fixpoint(red.arch, 1)
    copies.append(_copies_frame(cfg, IDENTITY, ident, red, n_identity, generator, np.zeros(1, int)))
    return pd.concat(parents, ignore_index=True), pd.concat(copies, ignore_index=True)


def _copies_frame(cfg, group, parents, red, copies, generator, parent_ids) -> pd.DataFrame:
    nc = noisy_copies(parents, cfg.noise_levels, copies, generator=generator)
    zeta = np.asarray(cfg.noise_levels)[nc.level.numpy()]
    frames = []
    for procedure, steps in (("text", cfg.robustness_steps), ("journal", cfg.journal_steps)):
        res = robustness(nc.weights, red, cfg.eps, procedure=procedure, max_steps=steps)
        frames.append(
            pd.DataFrame(
                {
                    "group": group,
                    "procedure": procedure,
                    "eps": cfg.eps,
                    "level": zeta,
                    "parent": parent_ids[nc.parent.numpy()],
                    "time_to_vergence": res.time_to_vergence.numpy(),
                    "time_as_fixpoint": res.time_as_fixpoint.numpy(),
                    "outcome": [Verged(int(o)).label for o in res.outcome],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def run_grid(cfg: SelfTrainingConfig, generator: torch.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What decides zero vs non-zero fixpoints: every cell of encoding x init x lr x momentum, for
    three kinds of training: Keras epochs (constant targets), full-batch steps with constant targets
    (the journal paper's code, journal@21dd572), and full-batch steps differentiated through the
    targets (the authors' 2022 refactor, 49c0d8a). `grid_nets` nets per cell, all cells of one kind in
    one population.

    Returns (summary, nets):
      summary: one row per (training, cell, checkpoint step): settings, n, fractions of divergent / zero
        / non-zero / other at eps, and `published` naming the code that ran this cell ("" if none);
      nets: one row per net at the last checkpoint: training, cell, kind, the initial and final weight
        norm, and for the linear net the end-to-end map a = (value gain, layer, cell, position gains).
    """
    grid = cells(cfg.grid_encodings, cfg.grid_inits, cfg.grid_lrs, cfg.grid_momenta)
    runs = (
        ("Keras epochs", "epoch", "constant", cfg.grid_epoch_checkpoints),
        ("full batch", "batch", "constant", cfg.grid_batch_checkpoints),
        ("full batch, differentiated targets", "batch", "differentiated", cfg.grid_batch_checkpoints),
    )
    summary, nets = [], []
    for training, step, targets, checkpoints in runs:
        pop = grid_population(grid, cfg.grid_nets, step, targets, generator=generator)
        state, done = train_init(pop.weights, pop.config), 0
        for cp in checkpoints:
            state = self_train(state, pop.reduction, cp - done, pop.config, generator)
            done = cp
            codes = classify(state.weights, pop.reduction, cfg.eps)
            for k, c in enumerate(grid):
                sel = codes[pop.cell == k]
                row = {
                    "training": training,
                    "step": step,
                    "targets": targets,
                    "cell": k,
                    **c._asdict(),
                    "t": cp,
                    "n": int(sel.numel()),
                }
                for kind in FixpointKind:
                    row[KIND_KEYS[kind.label]] = float((sel == int(kind)).float().mean())
                row["published"] = _published(c, step, targets)
                summary.append(row)
        a = end_to_end_map(pop.reduction.arch, state.weights).squeeze(-1).double()
        a0 = end_to_end_map(pop.reduction.arch, pop.weights).squeeze(-1).double()
        nets.append(
            pd.DataFrame(
                {
                    "training": training,
                    "cell": pop.cell.numpy(),
                    "kind": [KIND_LABELS[int(k)] for k in codes],
                    "norm_init": pop.weights.double().norm(dim=1).numpy(),
                    "norm_final": state.weights.double().norm(dim=1).numpy(),
                    "a_value_init": a0[:, 0].numpy(),
                    "a_value": a[:, 0].numpy(),
                    "a_layer": a[:, 1].numpy(),
                    "a_cell": a[:, 2].numpy(),
                    "a_position": a[:, 3].numpy(),
                }
            )
        )
    nets = pd.concat(nets, ignore_index=True)
    settings = pd.DataFrame([c._asdict() for c in grid]).rename_axis("cell").reset_index()
    nets = nets.merge(settings, on="cell", how="left")
    return pd.DataFrame(summary), nets


def run_gain_example(
    cfg: SelfTrainingConfig, generator: torch.Generator, n: int = 12, every: int = 25
) -> pd.DataFrame:
    """Fig 8b: how nets move when the loss is differentiated through its targets. `n` nets per
    initialisation (cfg.grid_inits) with the setting of the authors' 2022 refactor (PUBLISHED_CONFIGS
    "refactor": raw positions, lr 0.04, full-batch steps, targets differentiated; not the journal paper's
    code), trained for the grid's last checkpoint, recorded every `every` steps.

    One row per (net, step): init, step, weight norm, value gain a0 (first entry of the end-to-end map),
    and the net's kind at the end (ε = eps)."""
    if n < 1 or every < 1:
        raise ValueError(f"n, every: must be >= 1, got {n}, {every}")
    steps = cfg.grid_batch_checkpoints[-1]
    grid = cells(("raw",), cfg.grid_inits, (0.04,), (0.0,))
    pop = grid_population(grid, n, "batch", "differentiated", generator=generator)
    state, rows = train_init(pop.weights, pop.config), []
    arch = pop.reduction.arch

    def record(t, w):
        a0 = end_to_end_map(arch, w).squeeze(-1).double()[:, 0]
        norm = w.double().norm(dim=1)
        for k in range(w.shape[0]):
            rows.append((k, grid[int(pop.cell[k])].init, t, float(norm[k]), float(a0[k])))

    record(0, pop.weights)
    done = 0
    while done < steps:
        chunk = min(every, steps - done)
        state = self_train(state, pop.reduction, chunk, pop.config, generator)
        done += chunk
        record(done, state.weights)
    kinds = [KIND_LABELS[int(k)] for k in classify(state.weights, pop.reduction, cfg.eps)]
    frame = pd.DataFrame(rows, columns=["net", "init", "step", "norm", "a0"])
    frame["kind"] = frame["net"].map(dict(enumerate(kinds)))
    return frame


def gain_example_values(gain: pd.DataFrame) -> dict[str, float | int]:
    """Fig 8b's numbers: nets, how many end at zero / non-zero, and the median final weight norm and
    value gain of each group."""
    last = gain[gain["step"] == gain["step"].max()]
    v: dict[str, float | int] = {"gex_n": int(last["net"].nunique()), "gex_steps": int(last["step"].iloc[0])}
    for kind, key in (("zero fixpoint", "zero"), ("non-zero fixpoint", "nonzero")):
        sub = last[last["kind"] == kind]
        v[f"gex_{key}"] = int(sub["net"].nunique())
        if len(sub):
            v[f"gex_{key}_norm_median"] = float(sub["norm"].median())
            v[f"gex_{key}_a0_median"] = float(sub["a0"].median())
    return v


def journal_main_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 2.2: run_journal_main's counts of every kind per step count."""
    return kind_counts(frame, ["t"]).rename(columns={"t": "full-batch steps"}).set_index("full-batch steps")


def journal_main_values(frame: pd.DataFrame) -> dict[str, float | int]:
    """run_journal_main's numbers: per checkpoint (first / last) the counts of every kind, the step count,
    and the median fixpoint error of the non-zero fixpoints at the last one."""
    v: dict[str, float | int] = {"jmain_n": int(frame["net"].nunique())}
    for tag, t in (("first", frame["t"].min()), ("last", frame["t"].max())):
        sub = frame[frame["t"] == t]
        v[f"jmain_{tag}_steps"] = int(t)
        for label, key in KIND_KEYS.items():
            v[f"jmain_{tag}_{key}"] = int((sub["kind"] == label).sum())
        v[f"jmain_{tag}_nonzero_frac"] = float((sub["kind"] == "non-zero fixpoint").mean())
    last = frame[(frame["t"] == frame["t"].max()) & (frame["kind"] == "non-zero fixpoint")]
    if len(last):
        v["jmain_error_median"] = float(last["error_max"].median())
    return v


def _published(c, step: str, targets: str) -> str:
    """The name of the published configuration that ran this grid cell ("" if none)."""
    for p in PUBLISHED_CONFIGS:
        if (c.positions, c.order, c.init, c.lr, c.momentum, step, targets) == (
            p.positions,
            p.order,
            p.init,
            p.lr,
            p.momentum,
            p.step,
            p.targets,
        ):
            return p.name
    return ""


def run_activations(cfg: SelfTrainingConfig, generator: torch.Generator) -> pd.DataFrame:
    """Fig 5's experiment for every activation x bias: `activation_nets` nets per reduction,
    `activation_epochs` Keras epochs. One row per net (as run_outcomes, without weights)."""
    frames = []
    for activation in cfg.activations:
        for bias in cfg.biases:
            for name in REDUCTIONS:
                f = _train_and_classify(
                    cfg, name, activation, bias, cfg.activation_nets, cfg.activation_epochs, generator
                )
                frames.append(f[[c for c in f.columns if not (c.startswith("w") and c[1:].isdigit())]])
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------------------------
# Summaries
# ------------------------------------------------------------------------------------------------
def kind_counts(frame: pd.DataFrame, by: list[str], column: str = "kind") -> pd.DataFrame:
    """Counts of every kind (zeros included) per group of `by`, one column per kind label."""
    counts = frame.groupby(by, sort=False)[column].value_counts().unstack(fill_value=0)
    for label in KIND_LABELS:
        if label not in counts.columns:
            counts[label] = 0
    return counts[list(KIND_LABELS)].reset_index()


def kind_counts_long(frame: pd.DataFrame, by: list[str], column: str = "kind") -> pd.DataFrame:
    """kind_counts in long form: one row per group and kind (columns `kind`, `count`), for plots."""
    return kind_counts(frame, by, column).melt(id_vars=by, var_name="kind", value_name="count")


def fig6_copies(copies: pd.DataFrame) -> pd.DataFrame:
    """The copies Fig 6 shows: the text procedure, for every parent group (journal@21dd572-trained,
    Keras-trained, identity)."""
    return copies[copies["procedure"] == "text"]


def level_key(zeta: float) -> str:
    return str(round(-np.log10(zeta)))


def robustness_means(copies: pd.DataFrame) -> pd.DataFrame:
    g = copies.groupby(["group", "procedure", "level"], sort=False)
    return g.agg(
        time_to_vergence=("time_to_vergence", "mean"),
        time_as_fixpoint=("time_as_fixpoint", "mean"),
        time_as_fixpoint_median=("time_as_fixpoint", "median"),
        copies=("time_as_fixpoint", "size"),
        at_least_2=("time_as_fixpoint", lambda s: float((s >= 2).mean())),
        verged=("outcome", lambda s: float((s != "not verged").mean())),
    ).reset_index()


def compare_with_logged(cfg: SelfTrainingConfig, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Fig 5 beside the authors' log, at the logged ε (1e-4): one row per reduction with both splits as
    text, a computed reading (Fisher's exact test on the share of the reduction's most common logged
    outcome) and the p-value."""
    from scipy.stats import fisher_exact

    rows = []
    counts = kind_counts(outcomes, ["reduction"], "kind_keras").set_index("reduction")
    for red in REDUCTIONS:
        entry = logged(f"fig5_{red}")
        ours = {k: int(counts.loc[red, k]) for k in KIND_LABELS}
        log = {k: int(entry.values[k]) for k in KIND_LABELS}
        top = max(log, key=log.get)
        n1, n2 = sum(ours.values()), sum(log.values())
        p = float(fisher_exact([[ours[top], n1 - ours[top]], [log[top], n2 - log[top]]]).pvalue)
        verdict = "consistent with sampling noise" if p >= 0.05 else "differs beyond sampling noise"

        def split(c):
            return " · ".join(f"{v} {k}" for k, v in c.items() if v) + f" (of {sum(c.values())})"

        rows.append(
            {
                "reduction": red,
                "ours": split(ours),
                "authors' log": split(log),
                "reading": f"{top}: {ours[top] / n1:.0%} vs {log[top] / n2:.0%}, Fisher p = {p:.2g}: "
                f"{verdict}",
                "p": p,
                "source": entry.source,
            }
        )
    return pd.DataFrame(rows)


def values(
    cfg: SelfTrainingConfig,
    traj: pd.DataFrame,
    outcomes: pd.DataFrame,
    dist: pd.DataFrame,
    parents: pd.DataFrame,
    copies: pd.DataFrame,
    grid: pd.DataFrame,
    grid_nets: pd.DataFrame,
    act: pd.DataFrame,
    gain: pd.DataFrame | None = None,
    journal_main: pd.DataFrame | None = None,
) -> dict[str, float | int | str]:
    """The numbers chapter 2 glues (and its claims read), as plain Python scalars. `gain` is
    run_gain_example's frame (Fig 8b) and `journal_main` run_journal_main's, both optional."""
    v: dict[str, float | int | str] = {}
    if gain is not None:
        v.update(gain_example_values(gain))
    if journal_main is not None:
        v.update(journal_main_values(journal_main))
    # Fig 4
    per_net = traj.groupby("net")["outcome"].first()
    v["fig4_nets"] = len(per_net)
    v["fig4_nonzero"] = int((per_net == "non-zero fixpoint").sum())
    v["fig4_pc_var"] = float(traj["pc1_var"].iloc[0] + traj["pc2_var"].iloc[0])
    # Fig 5
    v["fig5_nets"] = cfg.outcome_nets
    v["fig5_epochs"] = cfg.outcome_epochs
    for col, tag in (("kind", "fig5"), ("kind_keras", "fig5k")):
        counts = kind_counts(outcomes, ["reduction"], col).set_index("reduction")
        for red in REDUCTIONS:
            for label, key in KIND_KEYS.items():
                v[f"{tag}_{red}_{key}"] = int(counts.loc[red, label])
    for red in REDUCTIONS:
        sub = outcomes[outcomes["reduction"] == red]
        v[f"fig5_{red}_nonzero_frac"] = float((sub["kind"] == "non-zero fixpoint").mean())
        v[f"fig5_{red}_fix_frac"] = float(sub["kind"].isin(["zero fixpoint", "non-zero fixpoint"]).mean())
        v[f"fig5_{red}_div_frac"] = float((sub["kind"] == "divergent").mean())
    ww = outcomes[(outcomes["reduction"] == "weightwise") & (outcomes["kind"] == "non-zero fixpoint")]
    if len(ww):  # undefined without a fixpoint: not glued (a chapter citing it then fails loudly)
        v["fig5_weightwise_error_median"] = float(ww["error_max"].median())
        v["fig5_weightwise_error_max"] = float(ww["error_max"].max())
    agg = outcomes[outcomes["reduction"] == "aggregating"]
    v["fig5_aggregating_error_min"] = float(agg["error_max"].min())
    v["fig5_aggregating_aggregate_error_median"] = float(agg["aggregate_error"].median())
    # Distances
    for pop, tag in zip(DIST_POPULATIONS, ("dist5", "dist6"), strict=True):
        sub = dist[dist["population"] == pop]
        v[f"{tag}_pairs"] = len(sub)
        if len(sub):
            v[f"{tag}_min_max_abs"] = float(sub["max_abs"].min())
            v[f"{tag}_median_max_abs"] = float(sub["max_abs"].median())
            v[f"{tag}_min_euclidean"] = float(sub["euclidean"].min())
    v["dist_min_max_abs"] = float(dist["max_abs"].min())
    v["eps"] = cfg.eps
    v["eps_text"] = _eps_text(cfg.eps)
    v["eps_keras"] = cfg.eps_keras
    # Fig 6 parents
    for group, tag in ((TRAINED, "par"), (JOURNAL, "jpar")):
        sub = parents[parents["group"] == group]
        v[f"{tag}_n"] = len(sub)
        for label, key in KIND_KEYS.items():
            v[f"{tag}_{key}"] = int((sub["kind"] == label).sum())
        nz = sub[sub["kind"] == "non-zero fixpoint"]
        if len(nz):
            v[f"{tag}_error_median"] = float(nz["error_max"].median())
    # Fig 6 copies
    means = robustness_means(copies)
    for row in means.itertuples():
        tag = {TRAINED: "fig6t", IDENTITY: "fig6i", JOURNAL: "fig6j"}[row.group]
        tag += "" if row.procedure == "text" else "_journal"
        lv = level_key(row.level)
        v[f"{tag}_tverge_{lv}"] = float(row.time_to_vergence)
        v[f"{tag}_tfix_{lv}"] = float(row.time_as_fixpoint)
        v[f"{tag}_ge2_{lv}"] = float(row.at_least_2)
    text = copies[copies["procedure"] == "text"]
    low = text[text["level"] < cfg.eps]
    t_low, i_low = low[low["group"] == TRAINED], low[low["group"] == IDENTITY]
    v["fig6_trained_ge2_low"] = float((t_low["time_as_fixpoint"] >= 2).mean()) if len(t_low) else 0.0
    v["fig6_trained_ge1_low"] = float((t_low["time_as_fixpoint"] >= 1).mean()) if len(t_low) else 0.0
    v["fig6_copies_low"] = len(t_low)
    v["fig6_trained_tfix_low"] = float(t_low["time_as_fixpoint"].mean()) if len(t_low) else 0.0
    v["fig6_identity_tfix_low"] = float(i_low["time_as_fixpoint"].mean()) if len(i_low) else 0.0
    tm = means[(means["procedure"] == "text")]
    tr = tm[tm["group"] == TRAINED].set_index("level")["time_as_fixpoint"]
    idt = tm[tm["group"] == IDENTITY].set_index("level")["time_as_fixpoint"]
    small = [z for z in cfg.noise_levels if z <= 1e-6 and z in tr.index]
    v["fig6_levels_trained_below_identity"] = int(sum(tr[z] < idt[z] for z in small))
    v["fig6_levels_compared"] = len(small)
    j_low = low[low["group"] == JOURNAL]
    v["fig6_journal_copies_low"] = len(j_low)
    for k in (1, 2):
        v[f"fig6_journal_ge{k}_low"] = float((j_low["time_as_fixpoint"] >= k).mean()) if len(j_low) else 0.0
    v["fig6_journal_tfix_low"] = float(j_low["time_as_fixpoint"].mean()) if len(j_low) else 0.0
    jr = tm[tm["group"] == JOURNAL].set_index("level")["time_as_fixpoint"]
    small_j = [z for z in cfg.noise_levels if z <= 1e-6 and z in jr.index]
    v["fig6_levels_journal_below_identity"] = int(sum(jr[z] < idt[z] for z in small_j))
    v["fig6_levels_journal_compared"] = len(small_j)
    v["fig6_copies_per_level"] = int((text[(text["group"] == TRAINED)]["level"] == cfg.noise_levels[0]).sum())
    # Grid
    last = grid.groupby("training")["t"].transform("max") == grid["t"]
    end = grid[last]
    for training, tag in (
        ("Keras epochs", "gk"),
        ("full batch", "gb"),
        ("full batch, differentiated targets", "gd"),
    ):
        sub = end[end["training"] == training]
        v[f"{tag}_zero"] = float(sub["zero"].mean())
        v[f"{tag}_nonzero"] = float(sub["nonzero"].mean())
        v[f"{tag}_div"] = float(sub["div"].mean())
        v[f"{tag}_steps"] = int(sub["t"].iloc[0])
        v[f"{tag}_n"] = int(sub["n"].sum())
        v[f"{tag}_zero_count"] = int(round(float((sub["zero"] * sub["n"]).sum())))
        for init in cfg.grid_inits:
            s2 = sub[sub["init"] == init]
            v[f"{tag}_{init}_zero"] = float(s2["zero"].mean())
            v[f"{tag}_{init}_nonzero"] = float(s2["nonzero"].mean())
        for enc in cfg.grid_encodings:
            positions, order = ENCODINGS[enc]
            s2 = sub[(sub["positions"] == positions) & (sub["order"] == order)]
            v[f"{tag}_{enc}_zero"] = float(s2["zero"].mean())
    for p in PUBLISHED_CONFIGS:
        key = f"pub_{p.key}"
        rows = grid[grid["published"] == p.name]
        if len(rows):
            final = rows[rows["t"] == rows["t"].max()].iloc[0]
            v[f"{key}_zero"], v[f"{key}_nonzero"] = float(final["zero"]), float(final["nonzero"])
            v[f"{key}_other"] = float(final["other"] + final["second"])
            v[f"{key}_steps"] = int(final["t"])
            v[f"{key}_n"] = int(final["n"])
            first = rows[rows["t"] == rows["t"].min()].iloc[0]
            v[f"{key}_nonzero_first"] = float(first["nonzero"])
            v[f"{key}_zero_first"] = float(first["zero"])
            v[f"{key}_steps_first"] = int(first["t"])
    v["grid_cells"] = int(grid[["training", "cell"]].drop_duplicates().shape[0])
    v["grid_nets"] = cfg.grid_nets
    # Explanation: what the end-to-end map of non-zero fixpoints looks like
    nz = grid_nets[grid_nets["kind"] == "non-zero fixpoint"]
    if len(nz):
        dev = np.maximum.reduce(
            [np.abs(nz["a_value"] - 1), np.abs(nz["a_layer"]), np.abs(nz["a_cell"]), np.abs(nz["a_position"])]
        )
        v["map_nonzero_n"] = len(nz)
        v["map_nonzero_dev_median"] = float(np.median(dev))
        v["map_nonzero_dev_max"] = float(np.max(dev))
        v["map_nonzero_e1_frac"] = float((dev < MAP_TOL).mean())
    v["map_tol"] = MAP_TOL
    z = grid_nets[grid_nets["kind"] == "zero fixpoint"]
    v["map_zero_n"] = len(z)
    diff = grid_nets[grid_nets["training"] == "full batch, differentiated targets"]
    a0 = diff["a_value_init"]
    groups = {"neg": a0 < -GAIN_SPLIT, "small": a0.abs() <= GAIN_SPLIT, "pos": a0 > GAIN_SPLIT}
    v["gain_split"] = GAIN_SPLIT
    for key, sel in groups.items():
        v[f"gd_gain_{key}_share"] = float(sel.mean())
        v[f"gd_gain_{key}_zero"] = float((diff[sel]["kind"] == "zero fixpoint").mean()) if sel.any() else 0.0
        v[f"gd_gain_{key}_nonzero"] = (
            float((diff[sel]["kind"] == "non-zero fixpoint").mean()) if sel.any() else 0.0
        )
    v["gd_gain_below1"] = float((a0.abs() < 1).mean())
    tiny = a0.abs() <= 0.1
    for init in cfg.grid_inits:
        sel = tiny & (diff["init"] == init)
        v[f"gd_{init}_tiny_gain_zero"] = (
            float((diff[sel]["kind"] == "zero fixpoint").mean()) if sel.any() else 0.0
        )
    for init in cfg.grid_inits:
        v[f"gd_{init}_gain_small_share"] = float((a0[diff["init"] == init].abs() <= GAIN_SPLIT).mean())
    d = grid_nets[grid_nets["training"] == "full batch, differentiated targets"]
    for init in cfg.grid_inits:
        s2 = d[d["init"] == init]
        v[f"gd_{init}_norm_init_median"] = float(s2["norm_init"].median())
    # Activations
    v["act_nets"] = cfg.activation_nets
    v["act_epochs"] = cfg.activation_epochs
    counts = kind_counts(act, ["activation", "bias", "reduction"]).set_index(
        ["activation", "bias", "reduction"]
    )
    for (a, b, r), row in counts.iterrows():
        for label, key in KIND_KEYS.items():
            v[f"act_{a}_{'bias' if b else 'nobias'}_{r}_{key}"] = int(row[label])
    for (a, b, r), grp in act.groupby(["activation", "bias", "reduction"], sort=False):
        tag = f"act_{a}_{'bias' if b else 'nobias'}_{r}"
        finite = grp["error_max"][np.isfinite(grp["error_max"])]
        if len(finite):
            v[f"{tag}_error_median"] = float(finite.median())
        v[f"{tag}_in_range"] = float(grp["in_range"].mean())
        v[f"{tag}_in_range_init"] = float(grp["in_range_init"].mean())
    # Beside the log, and the configuration
    cmp = compare_with_logged(cfg, outcomes)
    for row in cmp.itertuples():
        v[f"cmp_fig5_{row.reduction}_p"] = float(row.p)
    for red in REDUCTIONS:
        entry = logged(f"fig5_{red}")
        for label, key in KIND_KEYS.items():
            v[f"log_fig5_{red}_{key}"] = int(entry.values[label])
    v["log_fig5_nets"] = int(logged("fig5_weightwise").n)
    changed = int((outcomes["kind"] != outcomes["kind_keras"]).sum())
    v["fig5_eps_changed"] = changed
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            v[f"cfg_{f.name}"] = value
    nonlinear = act[act["activation"] != "linear"]
    v["act_nonlinear_fixpoints"] = int(
        nonlinear["kind"].isin(["zero fixpoint", "non-zero fixpoint", "second-order fixpoint"]).sum()
    )
    v["act_nonlinear_nets"] = len(nonlinear)
    lin = v.get("act_linear_nobias_weightwise_error_median")
    ratios = [
        v[f"act_{a}_nobias_weightwise_error_median"] / max(lin, 1e-30)
        for a in cfg.activations
        if a != "linear" and f"act_{a}_nobias_weightwise_error_median" in v
    ]
    if lin is not None and ratios:
        v["act_error_ratio_min"] = float(min(ratios))
        v["act_error_ratio_max"] = float(max(ratios))
    v.update(_texts(cfg, v, grid, grid_nets))
    return v


def _count(frac: float, n: int) -> int:
    return int(round(frac * n))


def _bias_difference_text(v: dict, n: int) -> str:
    """For the linear column of Fig 9: how the aggregating and recurrent nets differ without and with
    bias (per reduction, the kind whose counts differ most, with Fisher's exact test), as a clause
    starting "; " ("" if the counts are equal)."""
    from scipy.stats import fisher_exact

    verbs = {
        "div": "diverge",
        "zero": "end at the zero net",
        "nonzero": "end as non-zero fixpoints",
        "second": "end as second-order fixpoints",
        "other": "end as other",
    }
    parts = []
    for red in ("aggregating", "recurrent"):
        counts = {
            key: tuple(v.get(f"act_linear_{tag}_{red}_{key}") for tag in ("nobias", "bias"))
            for key in KIND_KEYS.values()
        }
        counts = {key: ab for key, ab in counts.items() if None not in ab and ab[0] != ab[1]}
        if not counts:
            continue
        key, (a, b) = max(counts.items(), key=lambda kv: abs(kv[1][0] - kv[1][1]))
        p = float(fisher_exact([[a, n - a], [b, n - b]]).pvalue)
        noise = "beyond sampling noise" if p < 0.05 else "within sampling noise"
        parts.append(
            f"{a} of {n} {red} nets {verbs[key]} without bias and {b} with bias (Fisher p = {p:.2g}, {noise})"
        )
    return "; among the other linear nets, " + "; ".join(parts) if parts else ""


def divergence_text(end: pd.DataFrame) -> str:
    """Where the nets of one panel of the grid (one training, last checkpoint) diverge, for prose:
    "x % diverge (in k of m cells, all with μ 0.9: raw / glorot at lr 0.04 (98 %), ...)", settings that
    every divergent cell shares named once; "none diverge" if no net does."""
    n = int(end["n"].sum())
    k = _count(float((end["div"] * end["n"]).sum()), 1)
    if k == 0:
        return "none diverge"
    cells = end[end["div"] > 0].sort_values("div", ascending=False, kind="stable")
    shared, rest = [], []
    for col, fmt in (("lr", "lr {:g}"), ("momentum", "μ {:g}")):
        values = set(cells[col])
        if len(cells) > 1 and len(values) == 1 and len(set(end[col])) > 1:
            shared.append(fmt.format(cells[col].iloc[0]))
        else:
            rest.append((col, fmt))
    parts = []
    for row in cells.itertuples():
        layout = {"input_major": ", Keras layout", "output_major": ", PyTorch layout"}
        where = f"{row.positions}{layout.get(getattr(row, 'order', ''), '')} / {row.init}"
        if rest:
            where += " at " + ", ".join(fmt.format(getattr(row, col)) for col, fmt in rest)
        parts.append(f"{where} ({share_text(_count(row.div, row.n), row.n)})")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    common = f", all with {' and '.join(shared)}" if shared else ""
    total = share_text(k, n) if k >= 0.01 * n else f"{k} of {n:,} nets"
    return f"{total} diverge (in {len(cells)} of {len(end)} cells{common}: {listed})"


def _texts(
    cfg: SelfTrainingConfig, v: dict, grid: pd.DataFrame, grid_nets: pd.DataFrame
) -> dict[str, object]:
    """Sentences whose wording depends on what this run measured (so the prose cannot outrun the numbers),
    and the counts and tests behind them."""
    from scipy.stats import fisher_exact

    t: dict[str, object] = {}
    # Published grid cells as counts ("2/4" for small n).
    for key in (f"pub_{p.key}" for p in PUBLISHED_CONFIGS):
        if f"{key}_n" not in v:
            continue
        n = v[f"{key}_n"]
        for kind in ("zero", "nonzero", "other"):
            k = _count(v[f"{key}_{kind}"], n)
            t[f"{key}_{kind}_count"] = k
            t[f"{key}_{kind}_text"] = share_text(k, n)
        t[f"{key}_nonzero_first_text"] = share_text(_count(v[f"{key}_nonzero_first"], n), n)
    # What paper Fig 6 measured: decided by parents trained as journal_robustness.py trains them.
    jn, jz, jnz = v["jpar_n"], v["jpar_zero"], v["jpar_nonzero"]
    if jn and jnz / jn >= 0.9:
        t["jpar_reading"] = (
            "almost all of them are non-zero fixpoints, so paper Fig 6 measured noisy copies of non-zero "
            "fixpoints, as the paper says"
        )
    elif jn and jz / jn >= 0.5:
        t["jpar_reading"] = (
            "most of them are zero nets, so paper Fig 6 most likely measured noisy copies of the zero net"
        )
    else:
        t["jpar_reading"] = "too few of them are fixpoints to say what paper Fig 6 measured"
    # Where the Keras epochs' nets diverge (Fig 7, top panel).
    end = grid[grid.groupby("training")["t"].transform("max") == grid["t"]]
    t["gk_div_text"] = divergence_text(end[end["training"] == "Keras epochs"])
    # Fig 5's recurrent nets beside Figure 2.8's linear, bias-free panel (1c).
    same = cfg.activation_nets == cfg.outcome_nets and cfg.activation_epochs == cfg.outcome_epochs
    div = v.get("act_linear_nobias_recurrent_div")
    if div is None:
        t["fig5_second_population"] = ""
    elif same:
        t["fig5_second_population"] = (
            f"A second, independent population with the same settings (the linear, bias-free panel of "
            f"Figure 2.8) has {div} divergent nets of {cfg.activation_nets}."
        )
    else:  # a population trained otherwise has no bearing on this comparison
        t["fig5_second_population"] = ""
    # Fig 8 (1e): nets with a tiny initial gain, PyTorch against glorot initialisation.
    diff = grid_nets[grid_nets["training"] == "full batch, differentiated targets"]
    tiny = diff["a_value_init"].abs() <= TINY_GAIN
    table = []
    for init in ("pytorch", "glorot"):
        sel = diff[tiny & (diff["init"] == init)]
        k = int((sel["kind"] == "zero fixpoint").sum())
        t[f"gd_{init}_tiny_gain_n"], t[f"gd_{init}_tiny_gain_zero_count"] = len(sel), k
        table.append([k, len(sel) - k])
    t["tiny_gain"] = TINY_GAIN
    if all(sum(r) for r in table):
        p = float(fisher_exact(table).pvalue)
        t["gd_tiny_gain_init_p"] = p
        (kp, np_), (kg, ng) = (table[0][0], sum(table[0])), (table[1][0], sum(table[1]))
        counts = f"{kp} of {np_} PyTorch-initialised against {kg} of {ng} glorot-initialised nets end at zero"
        if p < 0.05 and kp / np_ > kg / ng:
            t["gd_tiny_gain_reading"] = (
                f"{counts} (Fisher p = {p:.2g}), so the smaller weights themselves matter too"
            )
        else:
            t["gd_tiny_gain_reading"] = (
                f"{counts}; the difference is within sampling noise at this size (Fisher p = {p:.2g}), so "
                "whether the smaller weights matter beyond the gain stays open"
            )
    else:
        t["gd_tiny_gain_reading"] = "too few nets of one initialisation start with so small a gain to compare"
    # Activations (1b): counts decide only once the linear control reaches fixpoints; else the error medians.
    n_act = cfg.activation_nets
    lin = {b: v.get(f"act_linear_{b}_weightwise_nonzero") for b in ("nobias", "bias")}
    med = {a: v.get(f"act_{a}_nobias_weightwise_error_median") for a in ("linear", "tanh", "relu", "sigmoid")}
    med_bias = v.get("act_linear_bias_weightwise_error_median")
    nonlinear = {a: m for a, m in med.items() if a != "linear" and m is not None}
    errs = ", ".join(f"{m:.2g} ({a})" for a, m in nonlinear.items())
    bias_other = _bias_difference_text(v, n_act)
    if None in lin.values() or med["linear"] is None or not nonlinear:
        t["act_reading"] = "The activation experiment did not run every activation; no reading."
    elif min(lin.values()) >= 0.9 * n_act:
        same = "makes no difference" if lin["nobias"] == lin["bias"] else "makes little difference"
        t["act_reading"] = (
            f"Bias {same} for linear weightwise nets ({lin['nobias']} of {n_act} without and {lin['bias']} "
            f"with bias end as non-zero fixpoints){bias_other}. The activation does: among the "
            f"{v['act_nonlinear_nets']:,} nonlinear nets we find {v['act_nonlinear_fixpoints']} fixpoints of "
            f"any kind. The median fixpoint error of weightwise nets is {med['linear']:.1e} (linear) against "
            f"{errs}."
        )
        t["act_conclusion"] = (
            "With the activation on the output layer, as the published code would have applied it, the "
            'paper\'s "no qualitative difference" does not hold'
        )
    else:
        ratio = min(nonlinear.values()) / max(med["linear"], med_bias or 0.0, 1e-12)
        far = (
            f"every nonlinear median is at least {ratio:.0f} times the linear one"
            if ratio >= 2
            else "the nonlinear medians are not clearly above the linear one"
        )
        t["act_reading"] = (
            f"After {cfg.activation_epochs:,} epochs even the linear control has not reached its fixpoints "
            f"({lin['nobias']} of {n_act} weightwise nets without bias, {lin['bias']} with bias, are "
            f"non-zero fixpoints), so at this scale counting fixpoints cannot separate the activations "
            f"(nor bias from no bias){bias_other}. The median fixpoint error of the weightwise nets can: "
            f"{med['linear']:.1e} (linear, {med_bias:.1e} with bias) against {errs}; {far}."
        )
        verdict = "contradict" if ratio >= 10 else "do not clearly contradict"
        t["act_conclusion"] = (
            f'These errors and the range argument {verdict} the paper\'s "no qualitative difference", '
            "although at this scale the fixpoint counts alone cannot decide it"
        )
    return t


# ------------------------------------------------------------------------------------------------
# Claims (paper-spec §13, claims 4–6)
# ------------------------------------------------------------------------------------------------
def _eps_text(eps: float) -> str:
    """ε as the text writes it: 1e-5, not 1e-05."""
    return f"{eps:.0e}".replace("e-0", "e-")


def _decide_p4a(v):
    n = v["fig5_nets"]
    ww, agg, rnn = (
        v["fig5_weightwise_nonzero"],
        v["fig5_aggregating_zero"] + v["fig5_aggregating_nonzero"],
        v["fig5_recurrent_div"],
    )
    text = (
        f"Keras epochs, {n} nets each: ww {ww}/{n} non-zero fixpoints, agg {agg}/{n} fixpoints, "
        f"rnn {rnn}/{n} divergent"
    )
    log_div = v["log_fig5_recurrent_div"] / v["log_fig5_nets"]
    text += (
        f"; the recurrent gap to the authors' log ({rnn / n:.0%} vs {log_div:.0%} divergent) is unexplained"
    )
    parts = [ww >= 0.9 * n, agg == 0, rnn >= 0.5 * n]
    if all(parts):
        return text, "holds"
    if any(parts):
        return text + f" ({sum(parts)} of 3 parts hold)", "partly"
    return text, "differs"


def _decide_p4b(v):
    n = v["jmain_n"]
    first, last = v["jmain_first_nonzero"], v["jmain_last_nonzero"]
    text = (
        f"journal@21dd572's self-training, {n} nets: {last}/{n} non-zero fixpoints and "
        f"{v['jmain_last_zero']}/{n} zero nets after {v['jmain_last_steps']:,} full-batch steps "
        f"({first}/{n} non-zero after {v['jmain_first_steps']:,}); with the journal robustness script's "
        f"training {v['jpar_nonzero']}/{v['jpar_n']} non-zero, {v['jpar_zero']} zero"
    )
    main_ok = last >= 0.9 * n and v["jmain_last_zero"] == 0
    rob_ok = v["jpar_nonzero"] >= 0.9 * v["jpar_n"] and v["jpar_zero"] == 0
    if main_ok and rob_ok:
        return text, "holds"
    if main_ok or rob_ok:
        return text, "partly"
    return text, "differs"


def _decide_p4c(v):
    n4, k4 = v["fig4_nets"], v["fig4_nonzero"]
    f5 = v["fig5_weightwise_nonzero_frac"]
    text = (
        f"after {v['cfg_trajectory_epochs']:,} Keras epochs (Figure 2.1) {k4}/{n4} nets are non-zero "
        f"fixpoints at "
        f"ε = {_eps_text(v['eps'])}; after {v['cfg_outcome_epochs']:,} epochs (Figure 2.2) {f5:.0%} are"
    )
    if k4 >= 0.9 * n4:
        return text, "holds"
    if f5 >= 0.9:
        return text, "partly"
    return text, "differs"


def _decide_p4d(v):
    lo, hi = v["act_error_ratio_min"], v["act_error_ratio_max"]
    text = (
        f"median fixpoint error of weightwise nets without bias, {v['act_nets']} nets, "
        f"{v['act_epochs']:,} epochs: linear {v['act_linear_nobias_weightwise_error_median']:.1e}; "
        f"nonlinear {lo:.2g}–{hi:.2g} times that; {v['act_nonlinear_fixpoints']} fixpoints among "
        f"{v['act_nonlinear_nets']:,} nonlinear nets"
    )
    if hi < 10:
        return text, "holds"
    if lo >= 10:
        return text, "differs"
    return text, "partly"


def _decide_p5a(v):
    below, compared = v["fig6_levels_journal_below_identity"], v["fig6_levels_journal_compared"]
    text = (
        f"copies of journal@21dd572-trained fixpoints: mean time as fixpoint below the identity's at {below} "
        f"of {compared} levels ζ ≤ 1e-6 (mean over ζ < ε: {v['fig6_journal_tfix_low']:.2f} vs identity "
        f"{v['fig6_identity_tfix_low']:.2f}; Keras-trained parents: "
        f"{v['fig6_levels_trained_below_identity']} of {v['fig6_levels_compared']} levels)"
    )
    return text, ("holds" if compared and below == compared else "differs")


def _decide_p5b(v):
    ge2, ge1 = v["fig6_journal_ge2_low"], v["fig6_journal_ge1_low"]
    text = (
        f"for ζ < ε, of {v['fig6_journal_copies_low']:,} copies of journal@21dd572-trained fixpoints "
        f"{ge1:.0%} stay fixpoints ≥ 1 application and {ge2:.0%} ≥ 2 (Keras-trained parents: "
        f"{v['fig6_trained_ge1_low']:.0%} and {v['fig6_trained_ge2_low']:.0%})"
    )
    if ge2 >= 0.9:
        return text, "holds"
    if ge1 >= 0.9:
        return text, "partly"
    return text, "differs"


def _decide_p6(v):
    d, eps, eps_k = v["dist_min_max_abs"], v["eps"], v["eps_keras"]
    text = (
        f"closest pair of trained non-zero fixpoints differs by {d:.2g} in some weight "
        f"({v['dist5_pairs'] + v['dist6_pairs']:,} pairs); ε = {_eps_text(v['eps'])}"
    )
    if d > eps_k:
        return text, "holds"
    if d > eps:
        return text, "partly"
    return text, "differs"


CLAIMS: list[Claim] = [
    Claim(
        "P4a",
        CHAPTER,
        "Under the Keras code's training (per-sample epochs, lr 0.01), weightwise self-training turns random "
        "nets into non-zero fixpoints with near certainty; aggregating nets converge to non-fixpoints and "
        "recurrent nets often diverge (paper Figs 4, 5).",
        "paper Fig 5 log (50 nets, 1,000 epochs): ww 50 non-zero fixpoints; agg 50 other; "
        "rnn 38 divergent, 12 other",
        (
            "fig5_nets",
            "fig5_weightwise_nonzero",
            "fig5_aggregating_zero",
            "fig5_aggregating_nonzero",
            "fig5_recurrent_div",
            "log_fig5_recurrent_div",
            "log_fig5_nets",
        ),
        "reading 'near certainty' as ≥ 90 % of ww nets, 'converge to non-fixpoints' as no agg net a "
        "fixpoint, 'often' as ≥ 50 % of rnn nets diverging: holds if all three hold, partly if some do, "
        "differs if none",
        _decide_p4a,
        {"ci": "partly", "paper": "holds"},
    ),
    Claim(
        "P4b",
        CHAPTER,
        "The same holds for the journal paper's own training procedure (the authors' PyTorch code, "
        "journal@21dd572): weightwise self-training gives non-zero fixpoints with near certainty.",
        "the journal's experiments on trained fixpoints (paper Figs 6-10) grow their parents with this code "
        "(journal_basins.py: 2,500 steps at lr 0.04; journal_robustness.py: 5 x 1,000 steps at lr 0.004, "
        "momentum 0.9) and take self-training's non-zero fixpoints as given",
        (
            "jmain_n",
            "jmain_first_nonzero",
            "jmain_last_nonzero",
            "jmain_last_zero",
            "jmain_first_steps",
            "jmain_last_steps",
            "jpar_n",
            "jpar_nonzero",
            "jpar_zero",
        ),
        "reading 'near certainty' as ≥ 90 % of the nets non-zero fixpoints and none a zero net, under "
        "journal@21dd572's two trainings: its main setting ([0, 1] positions in the PyTorch layout, PyTorch "
        "init, one full-batch step at lr 0.04 per new optimizer, constant targets) after 2,500 steps, the "
        "length journal_basins.py trains its parents, and its robustness script's 5 × 1,000 steps; holds if "
        "both, partly if one, differs if neither",
        _decide_p4b,
        {"ci": "holds", "paper": "holds"},
    ),
    Claim(
        "P4c",
        CHAPTER,
        "The end points of paper Fig 4's self-training trajectories are (non-zero) fixpoints.",
        "paper Fig 4 (101 Keras epochs): 'these points are fixpoints … all of these fixpoints are non-zero'",
        (
            "fig4_nets",
            "fig4_nonzero",
            "fig5_weightwise_nonzero_frac",
            "cfg_trajectory_epochs",
            "cfg_outcome_epochs",
            "eps",
        ),
        "holds if ≥ 90 % of Figure 2.1's nets are non-zero fixpoints at ε after paper Fig 4's epochs; "
        "partly if they are not yet, but ≥ 90 % of Figure 2.2's nets are after its 1,000 epochs (the points "
        "are fixpoints only "
        "with longer training); differs otherwise",
        _decide_p4c,
        {"ci": "partly", "paper": "partly"},
    ),
    Claim(
        "P4d",
        CHAPTER,
        "Other activations than linear make no qualitative difference to self-training (§2: 'we observed "
        "no qualitative difference between various activations').",
        "'all plots show linear activation since we observed no qualitative difference between various "
        "activations'",
        (
            "act_error_ratio_min",
            "act_error_ratio_max",
            "act_linear_nobias_weightwise_error_median",
            "act_nonlinear_fixpoints",
            "act_nonlinear_nets",
            "act_nets",
            "act_epochs",
        ),
        "compares the median fixpoint error of weightwise nets without bias after the same self-training "
        "(Figure 2.8's experiment): holds if every nonlinear activation's median is within 10 times the "
        "linear "
        "one, differs if every one is at least 10 times it, partly otherwise",
        _decide_p4d,
        {"ci": "differs", "paper": "differs"},
    ),
    Claim(
        "P5a",
        CHAPTER,
        "Trained fixpoints are less robust than the identity net (paper Fig 6).",
        "paper Fig 6: 'much more limited number of steps' than paper Fig 3",
        (
            "fig6_levels_journal_below_identity",
            "fig6_levels_journal_compared",
            "fig6_journal_tfix_low",
            "fig6_identity_tfix_low",
            "fig6_levels_trained_below_identity",
            "fig6_levels_compared",
        ),
        "on copies of parents trained as the paper's Fig 6 parents were (journal@21dd572, "
        "journal_robustness.py), reading 'less robust' as a shorter mean time as fixpoint: holds if it is "
        "below the identity's at every noise level ζ ≤ 1e-6, differs otherwise",
        _decide_p5a,
        {"ci": "holds", "paper": "holds"},
    ),
    Claim(
        "P5b",
        CHAPTER,
        "Trained fixpoints still reliably stay fixpoints for at least a few applications when the noise is "
        "below ε = 1e-5 (paper Fig 6).",
        "paper Fig 6: 'it will still reliably remain a fixpoint for at least a few applications when "
        "subjected "
        "to noise levels below the ε = 10−5 threshold'",
        (
            "fig6_journal_ge2_low",
            "fig6_journal_ge1_low",
            "fig6_journal_copies_low",
            "fig6_trained_ge2_low",
            "fig6_trained_ge1_low",
        ),
        "on copies (ζ < ε, text counting) of parents trained as the paper's Fig 6 parents were "
        "(journal@21dd572): 'reliably' as ≥ 90 % of the copies, 'a few' as ≥ 2 applications; holds if "
        "≥ 90 % stay fixpoints ≥ 2 applications, partly if ≥ 90 % stay ≥ 1 but fewer reach 2, differs "
        "otherwise",
        _decide_p5b,
        {"ci": "partly", "paper": "partly"},
    ),
    Claim(
        "P6",
        CHAPTER,
        "No two random nets train to the same fixpoint.",
        "'no two (fully) randomly generated networks in our experiments ended up evolving … "
        "into the same fixpoint'",
        ("dist_min_max_abs", "eps", "eps_keras", "dist5_pairs", "dist6_pairs"),
        "holds if every pair of trained non-zero fixpoints differs by more than 1e-4 in some weight; "
        "partly if by more than ε = 1e-5 only",
        _decide_p6,
        {"ci": "holds", "paper": "holds"},
    ),
]
