"""Chapter 2's experiments, each a pure function of (config, generator) returning tidy DataFrames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from selfrep.analysis.grid import cells, end_to_end_map, grid_population
from selfrep.analysis.robustness import Verged, noisy_copies, robustness
from selfrep.analysis.trajectories import pca_trajectories
from selfrep.chapters.common import KIND_KEYS
from selfrep.chapters.self_training.config import (
    DIST_POPULATIONS,
    IDENTITY,
    JOURNAL,
    KERAS,
    REDUCTIONS,
    TRAINED,
    SelfTrainingConfig,
)
from selfrep.fixpoints import KIND_LABELS, FixpointKind, classify, fixpoint_error
from selfrep.nets import identity_fixpoint, init_population
from selfrep.optim import TrainConfig, train_init
from selfrep.published import PUBLISHED_CONFIGS, published_config
from selfrep.reductions import make_reduction
from selfrep.training import self_train, self_train_trajectory


def _weights_frame(w: torch.Tensor) -> pd.DataFrame:
    return pd.DataFrame(w.numpy(), columns=[f"w{i}" for i in range(w.shape[1])])


def weights_of(frame: pd.DataFrame) -> torch.Tensor:
    """The (P, W) weights stored in a frame's w0, w1, ... columns (rows with NaN columns dropped)."""
    cols = [c for c in frame.columns if c.startswith("w") and c[1:].isdigit()]
    cols = [c for c in cols if frame[c].notna().all()]
    return torch.tensor(frame[cols].to_numpy(), dtype=torch.float32)


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
