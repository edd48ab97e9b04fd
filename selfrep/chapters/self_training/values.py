"""Chapter 2's glued values: the numbers its prose cites and its claims read, as plain Python scalars."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from selfrep.analysis.grid import ENCODINGS
from selfrep.chapters.common import KIND_KEYS
from selfrep.chapters.self_training.config import (
    DIST_POPULATIONS,
    GAIN_SPLIT,
    IDENTITY,
    JOURNAL,
    MAP_TOL,
    REDUCTIONS,
    TRAINED,
    SelfTrainingConfig,
)
from selfrep.chapters.self_training.prose import _texts
from selfrep.chapters.self_training.summaries import (
    _eps_text,
    compare_with_logged,
    gain_example_values,
    journal_main_values,
    kind_counts,
    level_key,
    robustness_means,
)
from selfrep.published import PUBLISHED_CONFIGS, logged


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
