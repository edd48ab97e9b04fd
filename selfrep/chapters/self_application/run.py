"""Chapter 1's experiments, each a pure function of (config, generator) returning a tidy DataFrame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from selfrep.analysis.robustness import Verged, noisy_copies, robustness
from selfrep.analysis.trajectories import first_stop, pca_trajectories
from selfrep.chapters.self_application.config import DTYPES, MIXED, REDUCTIONS, SelfApplicationConfig
from selfrep.fixpoints import KIND_LABELS, FixpointKind, classify, fixpoint_error
from selfrep.nets import identity_fixpoint, init_population
from selfrep.operators import self_apply, self_apply_trajectory
from selfrep.reductions import make_reduction


def run_trajectories(cfg: SelfApplicationConfig, generator: torch.Generator) -> pd.DataFrame:
    """Fig 1: `trajectory_nets` nets per reduction, self-applied up to `trajectory_steps` times and
    stopped at the first divergent or `trajectory_eps`-fixpoint state; PCA fitted per reduction on
    kept states (states with a weight beyond `trajectory_max_abs` are dropped: a diverging net would
    otherwise set the scale). One row per state: reduction, net, t, pc1, pc2, outcome (of the net's last
    state), stop (its last state's index), explained variance of pc1/pc2, and the zero net's coordinates."""
    frames = []
    for name in cfg.trajectory_reductions:
        red = make_reduction(name)
        w = init_population(red.arch, cfg.trajectory_nets, cfg.init, generator=generator)
        states = self_apply_trajectory(w, red, cfg.trajectory_steps)
        stop = first_stop(states, red, cfg.trajectory_eps)
        last = states[stop, torch.arange(cfg.trajectory_nets)]
        kinds = classify(last, red, cfg.trajectory_eps)
        frame, var, zero = pca_trajectories(states, stop, max_abs=cfg.trajectory_max_abs)
        frame.insert(0, "reduction", name)
        frame["zero_pc1"], frame["zero_pc2"] = zero[0], zero[1]
        frame["outcome"] = [KIND_LABELS[int(kinds[p])] for p in frame["net"]]
        frame["stop"] = stop.numpy()[frame["net"]]
        frame["pc1_var"], frame["pc2_var"] = var[0], var[1]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def run_outcomes(cfg: SelfApplicationConfig, generator: torch.Generator) -> pd.DataFrame:
    """Fig 2 (+ replicates): for every reduction, `outcome_replicates` x `outcome_nets` fresh nets
    self-applied exactly `outcome_steps` times and classified at ε = eps and eps_keras.
    One row per (reduction, replicate, eps, kind) with the count."""
    rows = []
    n, reps = cfg.outcome_nets, cfg.outcome_replicates
    for name in REDUCTIONS:
        red = make_reduction(name)
        w = init_population(red.arch, n * reps, cfg.init, generator=generator)
        w = self_apply(w, red, cfg.outcome_steps)
        for eps in (cfg.eps, cfg.eps_keras):
            codes = classify(w, red, eps).reshape(reps, n)
            for r in range(reps):
                counts = torch.bincount(codes[r], minlength=len(FixpointKind))
                for k in FixpointKind:
                    rows.append((name, r, eps, k.label, int(counts[k])))
    return pd.DataFrame(rows, columns=["reduction", "replicate", "eps", "kind", "count"])


def run_random_nets(cfg: SelfApplicationConfig, generator: torch.Generator) -> pd.DataFrame:
    """In-text check: `random_nets` freshly initialised nets per reduction, classified once (no
    self-application). One row per (reduction, eps) with the count per kind and the smallest and the
    median fixpoint error max_i |N◁N − N|_i."""
    rows = []
    for name in REDUCTIONS:
        red = make_reduction(name)
        w = init_population(red.arch, cfg.random_nets, cfg.init, generator=generator)
        err, _ = fixpoint_error(w, red)
        for eps in (cfg.eps, cfg.eps_keras):
            counts = torch.bincount(classify(w, red, eps), minlength=len(FixpointKind))
            row = {"reduction": name, "eps": eps, "n": cfg.random_nets}
            row.update({k.label: int(counts[k]) for k in FixpointKind})
            row["min_error"] = float(err.min())
            row["median_error"] = float(err.median())
            rows.append(row)
    return pd.DataFrame(rows)


def run_identity(cfg: SelfApplicationConfig) -> pd.DataFrame:
    """The hand-built identity net in both flat layouts and both precisions: its fixpoint error and kind."""
    rows = []
    for order in ("input_major", "output_major"):
        red = make_reduction("weightwise", order=order)
        for dname, dtype in DTYPES.items():
            w = identity_fixpoint(red.arch, 1, dtype=dtype)
            err, _ = fixpoint_error(w, red)
            kind = KIND_LABELS[int(classify(w, red, cfg.eps)[0])]
            rows.append(
                {
                    "order": order,
                    "dtype": dname,
                    "max_error": float(err[0]),
                    "kind": kind,
                    "weights": " ".join(f"{x:g}" for x in w[0].tolist()),
                }
            )
    return pd.DataFrame(rows)


def run_robustness(cfg: SelfApplicationConfig, generator: torch.Generator) -> pd.DataFrame:
    """Fig 3: `noise_copies` noisy copies of the identity net per noise level (the same copies for every
    run), self-applied until they verge, for every (dtype, procedure, ε) of `robustness_runs`.

    One row per (run, copy): dtype, procedure, eps, level (ζ), copy, time_to_vergence, time_as_fixpoint,
    outcome, and ones_rounded_away (True when float32 rounding removed the noise on all three
    weights that are 1)."""
    red = make_reduction("weightwise")
    ident = identity_fixpoint(red.arch, 1, dtype=torch.float64)
    copies = noisy_copies(ident, cfg.noise_levels, cfg.noise_copies, generator=generator, dtype=torch.float64)
    w64 = copies.weights
    w32 = w64.to(torch.float32)
    ones = ident[0] == 1.0
    rounded_away = (w32[:, ones] == 1.0).all(dim=1).numpy()
    start = {"float32": w32, "float64": w64, MIXED: torch.where(ones, w32.to(torch.float64), w64)}
    zeta = np.asarray(cfg.noise_levels)[copies.level.numpy()]
    copy_idx = np.tile(np.arange(cfg.noise_copies), len(cfg.noise_levels))
    frames = []
    for dtype, procedure, eps in cfg.robustness_runs:
        steps = cfg.journal_steps if procedure == "journal" else cfg.robustness_steps
        res = robustness(start[dtype], red, eps, procedure=procedure, max_steps=steps)
        frames.append(
            pd.DataFrame(
                {
                    "dtype": dtype,
                    "procedure": procedure,
                    "eps": eps,
                    "level": zeta,
                    "copy": copy_idx,
                    "time_to_vergence": res.time_to_vergence.numpy(),
                    "time_as_fixpoint": res.time_as_fixpoint.numpy(),
                    "outcome": [Verged(int(o)).label for o in res.outcome],
                    "ones_rounded_away": rounded_away,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
