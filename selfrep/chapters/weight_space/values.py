"""Chapter 3: the numbers the chapter glues (and its claims read), as plain Python scalars."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from selfrep.analysis.weightspace import MOVEMENT_LABELS
from selfrep.chapters.weight_space.config import WeightSpaceConfig, reduction
from selfrep.chapters.weight_space.summaries import (
    border,
    level_key,
    level_text,
    projection_fit,
    second_order_census,
    sweep_borders,
)
from selfrep.fixpoints import KIND_LABELS, FixpointKind
from selfrep.published import logged


def values(
    cfg: WeightSpaceConfig,
    traj: pd.DataFrame,
    children: pd.DataFrame,
    parents: pd.DataFrame,
    candidates: pd.DataFrame,
    line: pd.DataFrame,
    line_candidates: pd.DataFrame,
    variant: pd.DataFrame | None = None,
    search: pd.DataFrame | None = None,
    constructed: pd.DataFrame | None = None,
    sweep: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> dict[str, float | int | str]:
    """The numbers chapter 3 glues (and its claims read), as plain Python scalars. `variant`: the
    children of `run_noise_variant` ("±ζ exact" noise), `search` (`run_search`), `constructed`
    (`run_constructed`) and `sweep` (`run_border_sweep`'s two frames), each if it was run."""
    v: dict[str, float | int | str] = {}
    nz = KIND_LABELS[FixpointKind.NONZERO]
    zero = KIND_LABELS[FixpointKind.ZERO]
    # Fig 7
    kids = traj[traj["role"] == "child"].groupby("net").first()
    v["fig7_clones"] = len(kids)
    v["fig7_nonzero"] = int((kids["kind"] == nz).sum())
    v["fig7_approaching"] = int((kids["post"] < kids["pre"]).sum())
    v["fig7_ratio_min"] = float((kids["post"] / kids["pre"]).min())
    v["fig7_ratio_median"] = float((kids["post"] / kids["pre"]).median())
    v["fig7_pc_var"] = float(traj["pc1_var"].iloc[0] + traj["pc2_var"].iloc[0])
    v["fig7_close_median"] = 1.0 - v["fig7_ratio_median"]
    v["fig7_close_max"] = 1.0 - v["fig7_ratio_min"]
    # Candidates (how parents were chosen)
    for name in cfg.dtypes:
        tag = "f32" if name == "float32" else "f64"
        c = candidates[candidates["dtype"] == name]
        v[f"{tag}_candidates"] = len(c)
        v[f"{tag}_candidates_nonzero"] = int((c["kind"] == nz).sum())
        v[f"{tag}_candidates_zero"] = int((c["kind"] == zero).sum())
    v["parents_per_level"] = cfg.parents
    v["clones_per_parent"] = cfg.clones
    v["children_per_level"] = cfg.parents * cfg.clones
    v["n_levels"] = len(cfg.levels)
    v["level_min_exp"] = int(level_key(min(cfg.levels)))
    # Figs 8, 9 per dtype and level
    for name in cfg.dtypes:
        tag = "f32" if name == "float32" else "f64"
        ch = children[children["dtype"] == name]
        pa = parents[parents["dtype"] == name]
        v[f"{tag}_children"] = len(ch)
        v[f"{tag}_children_nonzero_frac"] = float((ch["kind"] == nz).mean())
        v[f"{tag}_children_zero"] = int((ch["kind"] == zero).sum())
        for z, sub in ch.groupby("level"):
            lk = level_key(z)
            for label in MOVEMENT_LABELS:
                v[f"{tag}_{label[:4]}_{lk}"] = int((sub["movement"] == label).sum())
                v[f"{tag}_{label[:4]}_frac_{lk}"] = float((sub["movement"] == label).mean())
            v[f"{tag}_post_max_{lk}"] = float(sub["post"].max())
            v[f"{tag}_post_median_{lk}"] = float(sub["post"].median())
            v[f"{tag}_pre_median_{lk}"] = float(sub["pre"].median())
            v[f"{tag}_noise_kept_{lk}"] = float(sub["noise_kept"].mean())
            p = pa[pa["level"] == z]
            v[f"{tag}_l1c_median_{lk}"] = float(sub["l1"].median())
            v[f"{tag}_l1p_median_{lk}"] = float(p["l1"].median())
        high = ch[ch["level"] > 1e-6]
        low = ch[ch["level"] <= 1e-7]
        v[f"{tag}_high_approach_frac"] = float((high["movement"] == "approaching").mean())
        v[f"{tag}_high_exceptions"] = int((high["movement"] != "approaching").sum())
        moved = high[high["pre"] > 0]
        ratio = moved["post"] / moved["pre"]
        v[f"{tag}_high_ratio_min"] = float(ratio.min())
        v[f"{tag}_high_ratio_median"] = float(ratio.median())
        v[f"{tag}_high_returned"] = int((ratio < 1e-3).sum())
        v[f"{tag}_low_returned_exactly"] = int(((low["pre"] > 0) & (low["post"] == 0)).sum())
        v[f"{tag}_low_distance_frac"] = float((low["movement"] == "distancing").mean())
        v[f"{tag}_low_stationary_frac"] = float((low["movement"] == "stationary").mean())
        v[f"{tag}_low_approach_frac"] = float((low["movement"] == "approaching").mean())
        v[f"{tag}_border"] = border(children, name)
        v[f"{tag}_border_exp"] = int(level_key(v[f"{tag}_border"]))
        above = [z for z in cfg.levels if z > v[f"{tag}_border"]]
        v[f"{tag}_border_prev_exp"] = int(level_key(min(above))) if above else 0
        by_level = ch.groupby("level")["movement"].apply(lambda m: float((m == "distancing").mean()))
        some = by_level[by_level >= 0.2]
        first = float(some.index.max()) if len(some) else min(cfg.levels)
        v[f"{tag}_first_dist_exp"] = int(level_key(first))
        major = (
            ch[ch["level"] <= first]
            .groupby(["level", "parent"])["movement"]
            .agg(
                lambda m: (
                    "distancing"
                    if (m == "distancing").mean() > 0.5
                    else ("approaching" if (m == "approaching").mean() > 0.5 else "neither")
                )
            )
        )
        mixed = major.groupby("level").agg(lambda m: {"distancing", "approaching"} <= set(m))
        v[f"{tag}_mixed_levels"] = int(mixed.sum())
        v[f"{tag}_low_levels"] = len(mixed)
        # Fig 9
        v[f"{tag}_parents_l1_below_6"] = float((pa["l1"] < 1e-6).mean())
        v[f"{tag}_parents_l1_below_7"] = float((pa["l1"] < 1e-7).mean())
        v[f"{tag}_children_l1_below_6"] = float((ch["l1"] < 1e-6).mean())
        v[f"{tag}_children_l1_below_7"] = float((ch["l1"] < 1e-7).mean())
        v[f"{tag}_parents_l1_median"] = float(pa["l1"].median())
        v[f"{tag}_children_l1_median"] = float(ch["l1"].median())
        v[f"{tag}_parents_l1_f64_median"] = float(pa["l1_f64"].median())
        v[f"{tag}_children_l1_f64_median"] = float(ch["l1_f64"].median())
        # children and parents are trivially alike where no noise survived (the child *is* its parent)
        noisy_levels = ch.groupby("level")["noise_kept"].mean()
        noisy_levels = noisy_levels[noisy_levels > 0].index
        chn = ch[ch["level"].isin(noisy_levels)]
        pan = pa[pa["level"].isin(noisy_levels)]
        per_level = chn.groupby("level")["l1"].median() / pan.groupby("level")["l1"].median()
        v[f"{tag}_noisy_levels"] = len(noisy_levels)
        silent = [z for z in cfg.levels if z not in set(noisy_levels)]
        v[f"{tag}_noise_none_exp"] = int(level_key(max(silent))) if silent else 0
        v[f"{tag}_noise_min_exp"] = int(level_key(min(noisy_levels))) if len(noisy_levels) else 0
        v[f"{tag}_l1_ratio_max_dev"] = float(np.abs(np.log10(per_level)).max())
        v[f"{tag}_l1_ratio_factor"] = float(10 ** v[f"{tag}_l1_ratio_max_dev"])
        v[f"{tag}_parent_drift_median"] = float(pa["drift"].median())
        v[f"{tag}_parent_drift_zero_frac"] = float((pa["drift"] == 0).mean())
        moved_any = ch[ch["movement"] != "stationary"]
        rule = np.where(moved_any["parent_drift"] > moved_any["pre"], "distancing", "approaching")
        v[f"{tag}_drift_rule_n"] = len(moved_any)
        v[f"{tag}_drift_rule_acc"] = float((rule == moved_any["movement"].to_numpy()).mean())
        lowmoved = low[low["post"] > 0]
        v[f"{tag}_low_follow_parent_frac"] = (
            float((lowmoved["to_parent_after"] < lowmoved["post"]).mean()) if len(lowmoved) else 0.0
        )
    # "at 1e-11 a child still travels >= 4e-8": the smallest level <= 1e-11 run (else the smallest level).
    # A float32 child whose noise was rounded away is a copy of its parent: what it travels is the parent's
    # own drift. The travel test reads only children that kept some noise: float32 ones if any did, else
    # their float64 twins (same parents, same noise draws).
    small = [z for z in cfg.levels if z <= 1e-11] or [min(cfg.levels)]
    z_travel = max(small)
    v["travel_level_exp"] = int(level_key(z_travel))
    v["travel_level"] = level_text(z_travel)
    at = {
        name: children[(children["dtype"] == name) & (children["level"] == z_travel)] for name in cfg.dtypes
    }
    f32 = at["float32"]
    v["f32_travel_low"] = float(f32["post"].max())  # copies included: the parents' drift
    v["f32_travel_low_ratio"] = v["f32_travel_low"] / z_travel
    noisy32 = f32[f32["noise_kept"] > 0]
    v["f32_travel_noisy_n"] = len(noisy32)
    v["f32_travel_copies"] = int((f32["noise_kept"] == 0).sum())
    v["f32_travel_copies_moved"] = int(((f32["noise_kept"] == 0) & (f32["post"] > 0)).sum())
    # What the test reads: travel from the parent's start (`post`), the observation, and the distance to
    # where the parent itself ends when retrained (`to_parent_after`), the part the noise causes.
    read = noisy32 if len(noisy32) else at.get("float64", noisy32)
    v["travel_noisy_f32"] = int(len(noisy32) > 0 or "float64" not in at)
    v["travel_noisy"] = float(read["post"].max()) if len(read) else 0.0
    v["travel_noise_only"] = float(read["to_parent_after"].max()) if len(read) else 0.0
    v["travel_noise_only_median"] = float(read["to_parent_after"].median()) if len(read) else 0.0
    v["travel_noisy_ratio"] = v["travel_noisy"] / z_travel
    v["travel_any"] = max((float(a["post"].max()) for a in at.values() if len(a)), default=0.0)
    v["travel_reading"] = (
        "so part of what they travel is a response to the noise"
        if v["travel_noise_only"] >= 4e-8
        else "so what they travel is their parents' drift, not a response to the noise"
    )
    if "float64" in at:
        v["f64_travel_low"] = float(at["float64"]["post"].max())
        v["f64_travel_low_median"] = float(at["float64"]["post"].median())
        v["f64_travel_low_ratio"] = v["f64_travel_low"] / z_travel
    for name in cfg.dtypes:
        ch = children[children["dtype"] == name]
        tag = "f32" if name == "float32" else "f64"
        low9 = ch[ch["level"] <= 1e-9]
        v[f"{tag}_noise_kept_low"] = float(low9["noise_kept"].mean()) if len(low9) else 0.0
    # Fig 10
    fin = line.dropna(subset=["post_norm"])
    v["line_parents"] = cfg.line_parents
    v["line_pairs"] = int(line["pair"].nunique())
    v["line_children"] = len(line)
    v["line_divergent"] = int(len(line) - len(fin))
    v["line_nonzero_frac"] = float((line["kind"] == nz).mean())
    pd_pair = fin.groupby("pair")["parent_distance"].first()
    cut = float(pd_pair.median())
    v["line_distance_median"] = cut
    v["line_distance_min"] = float(pd_pair.min())
    v["line_distance_max"] = float(pd_pair.max())
    far, close = fin[fin["parent_distance"] > cut], fin[fin["parent_distance"] <= cut]
    q = float(pd_pair.quantile(0.25))
    closest = fin[fin["parent_distance"] <= q]
    v["line_distance_q25"] = q
    v["line_shift_max"] = float((fin["post_norm"] - fin["pre_norm"]).abs().max())
    for tag, sub in (("far", far), ("close", close), ("closest", closest)):
        first = sub[(sub["position"] > 0) & (sub["position"] < 0.5)]
        second = sub[sub["position"] > 0.5]
        v[f"line_{tag}_first_approach"] = float((first["movement"] == "approaching").mean())
        v[f"line_{tag}_first_distance"] = float((first["movement"] == "distancing").mean())
        v[f"line_{tag}_second_distance"] = float((second["movement"] == "distancing").mean())
    # Claim 14 over this chapter
    n, k = second_order_census(
        candidates, children, parents, line, line_candidates, traj.groupby("net").first()
    )
    v["census_nets"] = n
    v["census_second_order"] = k
    fix_kinds = {KIND_LABELS[FixpointKind.NONZERO], KIND_LABELS[FixpointKind.ZERO]}
    v["census_not_first_order"] = int(
        sum(
            int((~f[col].isin(fix_kinds)).sum())
            for f in (candidates, children, parents, line, line_candidates, traj.groupby("net").first())
            for col in ("kind", "kind_after")
            if col in f.columns
        )
    )
    v.update(family_values(cfg, children, parents, search, constructed, sweep))
    # The authors' Fig 8 counts (read off their count plot)
    per_level = [
        sum(logged(f"fig8_{m}").values[k] for m in MOVEMENT_LABELS) for k in logged("fig8_stationary").values
    ]
    v["log_fig8_children_min"], v["log_fig8_children_max"] = int(min(per_level)), int(max(per_level))
    for label in MOVEMENT_LABELS:
        entry = logged(f"fig8_{label}")
        for key, count in entry.values.items():
            v[f"log_{label[:4]}_{level_key(float(key))}"] = int(count)
    for key in logged("fig8_approaching").values:
        lk = level_key(float(key))
        n_level = sum(int(logged(f"fig8_{m}").values[key]) for m in MOVEMENT_LABELS)
        for label in MOVEMENT_LABELS:
            v[f"log_{label[:4]}_frac_{lk}"] = int(logged(f"fig8_{label}").values[key]) / n_level
    if variant is not None:
        for z, sub in variant.groupby("level"):
            lk = level_key(z)
            for label in MOVEMENT_LABELS:
                v[f"sign_{label[:4]}_frac_{lk}"] = float((sub["movement"] == label).mean())
            v[f"sign_noise_kept_{lk}"] = float(sub["noise_kept"].mean())
        hi = variant[variant["level"] > 1e-6]
        v["sign_high_approach_frac"] = float((hi["movement"] == "approaching").mean())
        v["sign_border_exp"] = int(level_key(border(variant, "float32")))
    # the same exponents as whole strings ("1e-7"), for prose (a glued exponent alone renders half bold)
    for key in [k for k in v if k.endswith("_exp") and isinstance(v[k], int)]:
        v[key[: -len("_exp")] + "_text"] = f"1e-{v[key]}"
    v["eps"] = cfg.eps
    v["eps_text"] = level_text(cfg.eps)
    v["fig7_zeta_text"] = level_text(cfg.trajectory_zeta)
    v["f32_spacing_half"] = float(np.spacing(np.float32(0.5)))
    v["level_max_text"] = level_text(max(cfg.levels))
    v["level_min_text"] = level_text(min(cfg.levels))
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            v[f"cfg_{f.name}"] = value
    v["cfg_line_children_last"] = cfg.line_children - 1
    return v


PROJECTION_MIN_LEVEL = 1e-5  # the projection is tested where noise dwarfs every parent's drift


def family_values(
    cfg: WeightSpaceConfig,
    children: pd.DataFrame,
    parents: pd.DataFrame,
    search: pd.DataFrame | None,
    constructed: pd.DataFrame | None,
    sweep: tuple[pd.DataFrame, pd.DataFrame] | None,
) -> dict[str, float | int | str]:
    """The fixpoint family's numbers: rank of the fixpoint condition at the parents, the projection
    prediction, L2 exceptions, the least-squares searches, the constructed second-order fixpoints, and
    the border sweep (Q1)."""
    v: dict[str, float | int | str] = {}
    n_w = reduction(cfg).arch.n_weights
    ranks = parents["rank"]
    mode = int(ranks.mode().iloc[0])
    v["family_rank"] = mode
    v["rank_rtol_text"] = level_text(cfg.rank_rtol)
    v["family_rank_frac"] = float((ranks == mode).mean())
    v["family_parents"] = len(parents)
    v["family_weights"] = n_w
    v["family_dim"] = n_w - mode
    v["family_sigma_rank_min"] = float(parents["sigma_rank"].min())
    for name in cfg.dtypes:
        tag = "f32" if name == "float32" else "f64"
        pa = parents[parents["dtype"] == name]
        v[f"{tag}_sigma_next_median"] = float(pa["sigma_next"].median())
    v["family_retained_theory"] = float(np.sqrt((n_w - mode) / n_w))
    fit = projection_fit(children, PROJECTION_MIN_LEVEL).set_index("dtype")
    v["proj_min_level_text"] = level_text(PROJECTION_MIN_LEVEL)
    for name in cfg.dtypes:
        tag = "f32" if name == "float32" else "f64"
        row = fit.loc[name]
        v[f"{tag}_proj_children"] = int(row["children"])
        v[f"{tag}_proj_r_l2"] = float(row["r_l2"])
        v[f"{tag}_proj_r_mae"] = float(row["r_mae"])
        v[f"{tag}_proj_measured_median"] = float(row["measured_median"])
        v[f"{tag}_proj_predicted_median"] = float(row["predicted_median"])
        v[f"{tag}_proj_abs_err_max"] = float(row["abs_err_max"])
        ch = children[(children["dtype"] == name) & (children["level"] > 1e-6)]
        v[f"{tag}_high_exceptions_l2"] = int((ch["post_l2"] >= ch["pre_l2"]).sum())
        top = ch[ch["level"] >= 10 * PROJECTION_MIN_LEVEL]
        v[f"{tag}_high_exceptions_top"] = int((top["post"] >= top["pre"]).sum())
        v[f"{tag}_high_exceptions_l2_top"] = int((top["post_l2"] >= top["pre_l2"]).sum())
    fit_top = projection_fit(children, 10 * PROJECTION_MIN_LEVEL).set_index("dtype")
    v["proj_top_level_text"] = level_text(10 * PROJECTION_MIN_LEVEL)
    for name in cfg.dtypes:
        tag = "f32" if name == "float32" else "f64"
        v[f"{tag}_proj_r_l2_top"] = float(fit_top.loc[name, "r_l2"])
    if search is not None:
        v["search_starts"] = int(search["start"].nunique())
        for order in (1, 2):
            s = search[search["order"] == order]
            counts = s["label"].value_counts()
            for label, key in (
                ("zero net", "zero"),
                ("identity family", "identity"),
                ("off the family", "off"),
                ("second order, a₀ = −1", "so_neg"),
                ("second order, a₀ ≠ −1", "so_other"),
                ("not converged", "unconverged"),
            ):
                v[f"search{order}_{key}"] = int(counts.get(label, 0))
        s1 = search[search["order"] == 1]
        ident = s1[s1["label"] == "identity family"]
        off = s1[s1["label"] == "off the family"]
        v["search1_identity_rank_min"] = int(ident["rank"].min()) if len(ident) else -1
        v["search1_identity_rank_max"] = int(ident["rank"].max()) if len(ident) else -1
        v["search1_off_rank_min"] = int(off["rank"].min()) if len(off) else -1
        a0 = sorted({round(float(x), 3) for x in off["a0"]})
        v["search1_off_kinds"] = len(a0)
        v["search1_off_a0_text"] = ", ".join(f"{x:g}" for x in a0) if a0 else "none"
        s2 = search[search["order"] == 2]
        neg = s2[s2["label"] == "second order, a₀ = −1"]
        v["search2_so_rank_max"] = int(neg["rank"].max()) if len(neg) else -1
        v["search2_so_dim"] = n_w - v["search2_so_rank_max"] if len(neg) else -1
        so = s2[s2["label"].str.startswith("second order")]
        v["search2_so_a0_dev_max"] = float((so["a0"] + 1).abs().max()) if len(so) else float("nan")
    if constructed is not None:
        so_label = KIND_LABELS[FixpointKind.SECOND_ORDER]
        neg_id = constructed[constructed["origin"] == "negated identity"]
        v["con_negid_ok"] = int((neg_id["kind"] == so_label).sum())
        v["con_negid_n"] = len(neg_id)
        for name in cfg.dtypes:
            tag = "f32" if name == "float32" else "f64"
            c = constructed[(constructed["dtype"] == name) & (constructed["origin"] != "negated identity")]
            v[f"{tag}_con_n"] = len(c)
            v[f"{tag}_con_ok"] = int((c["kind"] == so_label).sum())
            v[f"{tag}_con_error2_max"] = float(c["error2"].max())
            v[f"{tag}_con_error1_max"] = float(c["error1_before"].max())
    if sweep is not None:
        table = sweep_borders(*sweep)
        v["q1_points"] = len(table)
        v["q1_within"] = int((table["decades_off"] <= 1 + 1e-9).sum())
        v["q1_steps_min"], v["q1_steps_max"] = int(table["steps"].min()), int(table["steps"].max())
        for name in cfg.dtypes:
            tag = "f32" if name == "float32" else "f64"
            t = table[table["dtype"] == name].sort_values("steps")
            v[f"q1_{tag}_border_first"] = float(t["border"].iloc[0])
            v[f"q1_{tag}_border_last"] = float(t["border"].iloc[-1])
            v[f"q1_{tag}_border_max"] = float(t["border"].max())
            v[f"q1_{tag}_border_min"] = float(t["border"].min())
            v[f"q1_{tag}_normal_last"] = float(t["normal_distance"].iloc[-1])
            v[f"q1_{tag}_normal_first"] = float(t["normal_distance"].iloc[0])
            v[f"q1_{tag}_l1_last"] = float(t["l1"].iloc[-1])
            v[f"q1_{tag}_agree_min"] = float(t["agree"].min())
            v[f"q1_{tag}_drop"] = float(np.log10(t["border"].iloc[0]) - np.log10(t["border"].iloc[-1]))
            low = min(cfg.sweep_levels)
            for key in ("border_first", "border_last", "border_max", "border_min"):
                z = v[f"q1_{tag}_{key}"]
                v[f"q1_{tag}_{key}_text"] = (
                    level_text(z) if z >= low * (1 - 1e-9) else f"below {level_text(low)}"
                )
        v["q1_sweep_level_min_text"] = level_text(min(cfg.sweep_levels))
        names = [f"{s:,}" for s in sorted(cfg.sweep_steps)]
        v["q1_steps_text"] = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return v
