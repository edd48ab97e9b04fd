"""Chapter 1's glued values: the numbers its prose cites and its claims read, as plain Python scalars."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from selfrep.chapters.common import KIND_KEYS
from selfrep.chapters.self_application.config import MIXED, REDUCTIONS, SelfApplicationConfig
from selfrep.chapters.self_application.summaries import (
    compare_with_logged,
    falls,
    level_key,
    pooled_fractions,
    robustness_means,
)
from selfrep.plotting.tables import short_number
from selfrep.published import logged


def values(
    cfg: SelfApplicationConfig,
    traj: pd.DataFrame,
    out: pd.DataFrame,
    rnd: pd.DataFrame,
    ident: pd.DataFrame,
    rob: pd.DataFrame,
) -> dict[str, float | int | str]:
    """The numbers chapter 1 glues (and its claims read), as plain Python scalars."""
    v: dict[str, float | int | str] = {}
    # Fig 1
    for red, grp in traj.groupby("reduction", sort=False):
        per_net = grp.groupby("net").agg(outcome=("outcome", "first"), stop=("stop", "first"))
        for label, key in KIND_KEYS.items():
            v[f"fig1_{red}_{key}"] = int((per_net["outcome"] == label).sum())
        v[f"fig1_{red}_nets"] = len(per_net)
        v[f"fig1_{red}_stop_median"] = float(per_net["stop"].median())
        v[f"fig1_{red}_stop_max"] = int(per_net["stop"].max())
        v[f"fig1_{red}_pc_var"] = float(grp["pc1_var"].iloc[0] + grp["pc2_var"].iloc[0])
    # Fig 2 (replicate 0) at both ε, and pooled fractions
    for eps, tag in ((cfg.eps, "fig2"), (cfg.eps_keras, "fig2k")):
        first = out[(out["replicate"] == 0) & (out["eps"] == eps)]
        for row in first.itertuples():
            v[f"{tag}_{row.reduction}_{KIND_KEYS[row.kind]}"] = int(row.count)
    pooled = pooled_fractions(out, cfg.eps)
    for row in pooled.itertuples():
        key = f"pool_{row.reduction}_{KIND_KEYS[row.kind]}"
        v[f"{key}_frac"], v[f"{key}_lo"], v[f"{key}_hi"] = row.fraction, row.low, row.high
    v["pool_nets"] = int(pooled["nets"].iloc[0])
    div = out[(out["eps"] == cfg.eps) & (out["kind"] == "divergent")].pivot_table(
        index="replicate", columns="reduction", values="count"
    )
    ordered = (div["recurrent"] > div["weightwise"]) & (div["weightwise"] > div["aggregating"])
    v["pool_order_replicates"] = int(ordered.sum())
    v["pool_replicates"] = cfg.outcome_replicates
    for label, key in KIND_KEYS.items():
        v[f"sa_{key}_total"] = int(out[out["kind"] == label]["count"].sum())
    v["sa_nets_total"] = int(out[out["eps"] == cfg.eps]["count"].sum())
    # Random nets
    fix_kinds = ["zero fixpoint", "non-zero fixpoint", "second-order fixpoint"]
    v["rand_n"] = int(cfg.random_nets)
    v["rand_fixpoints_total"] = int(rnd[fix_kinds].to_numpy().sum())
    for red, grp in rnd.groupby("reduction", sort=False):
        v[f"rand_{red}_fixpoints"] = int(grp[fix_kinds].to_numpy().sum())
        v[f"rand_{red}_min_error"] = float(grp["min_error"].iloc[0])
        v[f"rand_{red}_median_error"] = float(grp["median_error"].iloc[0])
    # Identity
    v["identity_error_max"] = float(ident["max_error"].max())
    v["identity_nonzero"] = int((ident["kind"] == "non-zero fixpoint").all())
    # Robustness
    means = robustness_means(rob)
    tags = {
        ("float32", "text", cfg.eps): "rob",
        ("float32", "text", cfg.eps_keras): "robt4",
        ("float32", "keras", cfg.eps_keras): "robk32",
        ("float32", "keras", cfg.eps): "robk32e5",
        ("float32", "journal", cfg.eps): "robj32",
        ("float64", "text", cfg.eps): "rob64",
        ("float64", "keras", cfg.eps_keras): "robk64",
        (MIXED, "keras", cfg.eps_keras): "robkmix",
    }
    for row in means.itertuples():
        tag = tags.get((row.dtype, row.procedure, row.eps))
        if tag is None:
            continue
        lv = level_key(row.level)
        v[f"{tag}_tverge_{lv}"] = float(row.time_to_vergence)
        v[f"{tag}_tfix_{lv}"] = float(row.time_as_fixpoint)
        v[f"{tag}_zero_{lv}"] = float(row.zero)
        se = row.time_to_vergence_se
        v[f"{tag}_tverge_se_{lv}"] = float(se) if np.isfinite(se) else 0.0
    main = rob[(rob["dtype"] == "float32") & (rob["procedure"] == "text") & (rob["eps"] == cfg.eps)]
    main_means = means[
        (means["dtype"] == "float32") & (means["procedure"] == "text") & (means["eps"] == cfg.eps)
    ]
    v["rob_copies"] = int(cfg.noise_copies)
    v["rob_cap"] = int(cfg.robustness_steps)
    v["rob_verged_frac"] = float((main["outcome"] != "not verged").mean())
    v["rob_zero_frac"] = float((main["outcome"] == "zero").mean())
    v["rob_div_frac"] = float((main["outcome"] == "divergent").mean())
    smallest = main[main["level"] == main["level"].min()]
    v["rob_verged_frac_smallest"] = float((smallest["outcome"] != "not verged").mean())
    v["rob_tverge_max"] = int(main["time_to_vergence"].max())
    if v["rob_verged_frac"] == 1:
        v["rob_verged_text"] = (
            f"Every copy, at every noise level, verges within {cfg.robustness_steps} self-applications "
            f"(the slowest after {v['rob_tverge_max']})"
        )
    else:
        v["rob_verged_text"] = (
            f"{v['rob_verged_frac']:.0%} of the copies verge within {cfg.robustness_steps} self-applications "
            f"({v['rob_verged_frac_smallest']:.0%} of those at the smallest noise level)"
        )
    by_noise = main_means.sort_values("level", ascending=False)  # from the most noise to the least
    for col, key in (("time_to_vergence", "tverge"), ("time_as_fixpoint", "tfix")):
        steps = np.diff(by_noise[col].to_numpy())
        v[f"rob_{key}_decreases"] = int((steps < 0).sum())  # levels where less noise gave a shorter time
        v[f"rob_{key}_falls"] = falls(v[f"rob_{key}_decreases"])
        v[f"rob_{key}_rise"] = float(by_noise[col].iloc[-1] - by_noise[col].iloc[0])
    ones = means[(means["dtype"] == "float32") & (means["procedure"] == "keras")]
    for row in ones.drop_duplicates("level").itertuples():
        v[f"ones_rounded_{level_key(row.level)}"] = float(row.ones_rounded_away)
    # float32 vs float64 at ζ = 1, split by how the copies ended (divergence takes longer in float64)
    for dtype, tag in (("float32", "robk32"), ("float64", "robk64")):
        sub = rob[(rob["dtype"] == dtype) & (rob["procedure"] == "keras") & (rob["eps"] == cfg.eps_keras)]
        sub = sub[sub["level"] == max(cfg.noise_levels)]
        for outcome, key in (("zero", "zero"), ("divergent", "div")):
            part = sub[sub["outcome"] == outcome]["time_to_vergence"]
            if len(part):
                v[f"{tag}_tverge_{key}_0"] = float(part.mean())
    # ε = 1e-5 vs 1e-4 on Fig 2
    a = out[(out["eps"] == cfg.eps)].set_index(["reduction", "replicate", "kind"])["count"]
    b = out[(out["eps"] == cfg.eps_keras)].set_index(["reduction", "replicate", "kind"])["count"]
    changed = int((a - b.reindex(a.index)).abs().sum() // 2)
    v["fig2_eps_changed"] = changed
    # Beside the log
    cmp = compare_with_logged(cfg, traj, out, rnd, rob)
    for row in cmp[cmp["experiment"].isin(["paper Fig 1", "paper Fig 2"])].itertuples():
        red = row.quantity.split(",")[0]
        v[f"cmp_fig{row.experiment[-1]}_{red}_p"] = float(row.p)
    fig3 = cmp[cmp["experiment"] == "paper Fig 3"]
    v["cmp_fig3_within"] = int(fig3["reading"].str.endswith("within 2 combined s.e.").sum())
    v["cmp_fig3_rows"] = len(fig3)
    for red in REDUCTIONS:
        entry = logged(f"fig2_{red}")
        k_log = int(entry.values["divergent"])
        pooled_div = out[(out["eps"] == cfg.eps) & (out["reduction"] == red) & (out["kind"] == "divergent")]
        k, n = int(pooled_div["count"].sum()), cfg.outcome_nets * cfg.outcome_replicates
        v[f"cmp_pool_{red}_p"] = float(fisher_exact([[k, n - k], [k_log, entry.n - k_log]]).pvalue)
    # The authors' logged numbers, for the prose
    for red in cfg.trajectory_reductions:
        entry = logged(f"fig1_{red}")
        v[f"log_fig1_{red}_nets"] = int(entry.n)
        for label, key in KIND_KEYS.items():
            v[f"log_fig1_{red}_{key}"] = int(entry.values[label])
    for red in REDUCTIONS:
        entry = logged(f"fig2_{red}")
        for label, key in KIND_KEYS.items():
            v[f"log_fig2_{red}_{key}"] = int(entry.values[label])
        v[f"log_fig2_{red}_div_frac"] = entry.values["divergent"] / entry.n
    v["log_density_n"] = int(logged("density_weightwise").n)
    v["log_fig2_nets"] = int(logged("fig2_weightwise").n)
    for zeta in cfg.noise_levels:
        lv, label = level_key(zeta), f"{zeta:.0e}"
        v[f"log_fig3_tverge_{lv}"] = float(logged("fig3_time_to_vergence").values[label])
        v[f"log_fig3_tfix_{lv}"] = float(logged("fig3_time_as_fixpoint").values[label])
    # The configuration, for the prose
    v["eps_text"], v["eps_keras_text"] = short_number(cfg.eps), short_number(cfg.eps_keras)
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            v[f"cfg_{f.name}"] = value
    return v
