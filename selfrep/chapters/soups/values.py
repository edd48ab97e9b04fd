"""Chapter 5: the numbers the chapter glues (and its claims read), as plain Python scalars."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from selfrep.chapters.common import KIND_KEYS
from selfrep.chapters.soups.config import (
    BAND_CHANGE,
    COMMITTED,
    COPY_RATIO,
    FAR_ERROR,
    INTERACTING,
    NEAR_ERROR,
    NONZERO,
    STAMP_GAIN,
    ZERO,
    SoupsConfig,
)
from selfrep.chapters.soups.summaries import count_means, logged_counts, spearman
from selfrep.fixpoints import KIND_LABELS, FixpointKind
from selfrep.published import logged


# ------------------------------------------------------------------------------------------------
# Values and claims
# ------------------------------------------------------------------------------------------------
def values(
    cfg: SoupsConfig,
    traj12: pd.DataFrame,
    soups12: pd.DataFrame,
    attacks12: pd.DataFrame,
    counts: pd.DataFrame,
    children14: pd.DataFrame,
    soups14: pd.DataFrame,
    attacks14: pd.DataFrame,
    lineage12: pd.DataFrame | None = None,
    large: pd.DataFrame | None = None,
    learn: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
    dynamics12: pd.DataFrame | None = None,
) -> dict[str, float | int | str]:
    """The numbers chapter 5 glues (and its claims read), as plain Python scalars. `lineage12` (from
    `run_soup_trajectories`) and `large` (`run_large_soups`) add the open questions Q3 and Q4, `learn`
    (`run_learn_soups`) Q2, `dynamics12` (`run_soup_trajectories`) Fig 12's soups over the epochs."""
    v: dict[str, float | int | str] = {}
    v.update(replication_values(cfg, attacks12, soups12))
    if learn is not None:
        v.update(learn_values(cfg, *learn, soups12, attacks12))
    if dynamics12 is not None:
        v.update(dynamics_values(cfg, dynamics12))
    if lineage12 is not None:
        v.update(lineage_values(cfg, lineage12, soups12))
    if large is not None:
        v.update(large_values(cfg, large))
    # Fig 12
    soup = soups12[soups12["setting"] == "soup"]
    ctrl = soups12[soups12["setting"] != "soup"]
    s0 = soup[soup["soup"] == 0].iloc[0]
    for key in (
        "nonzero",
        "zero",
        "other",
        "div",
        "second",
        "replacements",
        "attacks",
        "cluster_size",
        "cluster_nonzero",
    ):
        v[f"fig12_s0_{key}"] = int(s0[key])
    v["fig12_s0_share_end"] = float(s0["share_end"])
    v["fig12_s0_cluster_to_zero"] = float(s0["cluster_to_zero"])
    v["fig12_s0_cluster_to_start"] = float(s0["cluster_to_start_centroid"])
    v["fig12_radius"] = float(soup["radius"].mean())
    v["fig12_initial_distance"] = float(soup["initial_median_distance"].mean())
    v["fig12_soups"] = len(soup)
    clustered = soup[soup["share_end"] >= 0.5]
    v["fig12_clustered"] = len(clustered)
    v["fig12_clustered_frac"] = len(clustered) / max(len(soup), 1)
    v["fig12_ctrl_clustered"] = int((ctrl["share_end"] >= 0.5).sum())
    # sensitivity to the cluster radius (half and twice cluster_radius)
    for key, col in (("half", "share_end_half_radius"), ("double", "share_end_double_radius")):
        v[f"fig12_clustered_{key}_radius"] = int((soup[col] >= 0.5).sum())
        v[f"fig12_ctrl_clustered_{key}_radius"] = int((ctrl[col] >= 0.5).sum())
    v["fig12_radius_half"] = cfg.cluster_radius / 2
    v["fig12_radius_double"] = cfg.cluster_radius * 2
    v["fig12_clustered_replaced"] = int((clustered["replacements"] > 0).sum())
    v["fig12_clustered_replacements"] = int(clustered["replacements"].sum())
    v["fig12_share_end_median"] = float(soup["share_end"].median())
    v["fig12_ctrl_share_end_median"] = float(ctrl["share_end"].median())
    v["fig12_share_start_max"] = float(soups12["share_start"].max())
    top = soup.iloc[int(soup["share_end"].to_numpy().argmax())]
    v["fig12_top_soup"] = int(top["soup"])
    v["fig12_top_share"] = float(top["share_end"])
    v["fig12_top_nonzero"] = int(top["nonzero"])
    v["fig12_top_other"] = int(top["other"])
    v["fig12_top_cluster_nonzero"] = int(top["cluster_nonzero"])
    v["fig12_top_cluster_size"] = int(top["cluster_size"])
    v["fig12_all_nonzero_soups"] = int((soup["nonzero"] == cfg.particles).sum())
    v["fig12_mostly_other_soups"] = int((soup["other"] > cfg.particles / 2).sum())
    n_all = len(soup) * cfg.particles
    v["fig12_nonzero_frac"] = float(soup["nonzero"].sum() / n_all)
    v["fig12_ctrl_nonzero_frac"] = float(ctrl["nonzero"].sum() / n_all)
    v["fig12_other_frac"] = float(soup["other"].sum() / n_all)
    v["fig12_replacements"] = int(soup["replacements"].sum())
    v["fig12_ctrl_replacements"] = int(ctrl["replacements"].sum())
    v["fig12_replaced_soups"] = int((soup["replacements"] > 0).sum())
    if len(clustered):
        v["fig12_cluster_nonzero_frac"] = float(
            clustered["cluster_nonzero"].sum() / clustered["cluster_size"].sum()
        )
        v["fig12_cluster_to_zero_min"] = float(clustered["cluster_to_zero"].min())
        v["fig12_cluster_to_start_min"] = float(clustered["cluster_to_start_centroid"].min())
        v["fig12_cluster_size_median"] = float(clustered["cluster_size"].median())
        v["fig12_cluster_top_attacker_share"] = float(clustered["cluster_top_attacker_share"].median())
        v["fig12_cluster_top_attacker_error"] = float(clustered["cluster_top_attacker_error"].median())
    else:
        v["fig12_cluster_nonzero_frac"] = 0.0
        v["fig12_cluster_to_zero_min"] = 0.0
        v["fig12_cluster_to_start_min"] = 0.0
        v["fig12_cluster_size_median"] = 0.0
        v["fig12_cluster_top_attacker_share"] = 0.0
        v["fig12_cluster_top_attacker_error"] = 0.0
    rest = soup[soup["share_end"] < 0.5]
    v["fig12_other_top_attacker_error"] = (
        float(rest["cluster_top_attacker_error"].median()) if len(rest) else 0.0
    )
    a = attacks12[attacks12["soup"] < cfg.soups]
    near = a[a["attacker_error"] <= NEAR_ERROR]
    far = a[a["attacker_error"] > FAR_ERROR]
    v["fig12_attacks"] = len(a)
    v["fig12_disp_near_median"] = float(near["displacement"].median()) if len(near) else 0.0
    v["fig12_disp_far_median"] = float(far["displacement"].median()) if len(far) else 0.0
    v["fig12_attacks_near_frac"] = len(near) / max(len(a), 1)
    late = a[a["epoch"] > cfg.epochs // 2]
    v["fig12_late_near_frac"] = float((late["attacker_error"] <= NEAR_ERROR).mean()) if len(late) else 0.0
    log12 = logged("fig12_soup")
    v["log_fig12_nonzero"] = int(log12.values[NONZERO])
    v["log_fig12_other"] = int(log12.values[KIND_LABELS[FixpointKind.OTHER]])
    # Fig 13
    means = count_means(counts).set_index(["reduction", "trains"])
    first = count_means(counts, 0).set_index(["reduction", "trains"])
    for red in cfg.count_reductions:
        tag = red[:3]
        sub = means.loc[red]
        for a_ in cfg.count_trains:
            v[f"fig13_{tag}_nonzero_{a_}"] = float(sub.loc[a_, "nonzero"])
            v[f"fig13_{tag}_zero_{a_}"] = float(sub.loc[a_, "zero"])
        v[f"fig13_{tag}_nonzero_max"] = float(sub["nonzero"].max())
        v[f"fig13_{tag}_nonzero_top"] = float(sub.loc[max(cfg.count_trains), "nonzero"])
        v[f"fig13_{tag}_nonzero_bottom"] = float(sub.loc[min(cfg.count_trains), "nonzero"])
        v[f"fig13_{tag}_zero_mean"] = float(sub["zero"].mean())
        v[f"fig13_{tag}_zero_frac"] = float(sub["zero"].mean() / cfg.count_particles)
        v[f"fig13_{tag}_trend"] = spearman(np.asarray(sub.index, dtype=float), sub["nonzero"].to_numpy())
        v[f"fig13_{tag}_r0_nonzero_top"] = float(first.loc[red].loc[max(cfg.count_trains), "nonzero"])
        r0 = first.loc[red]
        v[f"fig13_{tag}_r0_trend"] = spearman(np.asarray(r0.index, dtype=float), r0["nonzero"].to_numpy())
        ctrl = count_means(counts, attacking=False).set_index(["reduction", "trains"]).loc[red]
        for a_ in cfg.count_trains:
            v[f"fig13_{tag}_ctrl_nonzero_{a_}"] = float(ctrl.loc[a_, "nonzero"])
            v[f"fig13_{tag}_ctrl_zero_{a_}"] = float(ctrl.loc[a_, "zero"])
        v[f"fig13_{tag}_attack_cost_max"] = float((ctrl["nonzero"] - sub["nonzero"]).max())
        a_cost = (ctrl["nonzero"] - sub["nonzero"]).idxmax()
        v[f"fig13_{tag}_attack_cost_at"] = int(a_cost)
        v[f"fig13_{tag}_ctrl_at_cost"] = float(ctrl.loc[a_cost, "nonzero"])
        v[f"fig13_{tag}_soup_at_cost"] = float(sub.loc[a_cost, "nonzero"])
        v[f"fig13_{tag}_ctrl_zero_mean"] = float(ctrl["zero"].mean())
        kinds = counts[(counts["reduction"] == red) & counts["attacking"]]
        v[f"fig13_{tag}_other_frac"] = float(kinds["other"].sum() / (len(kinds) * cfg.count_particles))
        v[f"fig13_{tag}_attacks_per_soup"] = float(kinds["attacks"].mean())
        if "size_end" in counts.columns:  # P12: the weights' size, read before the ε-zero counts
            crow = counts[(counts["reduction"] == red) & ~counts["attacking"]]
            n_k, n_c = len(kinds) * cfg.count_particles, len(crow) * cfg.count_particles
            v[f"fig13_{tag}_size_ratio_median"] = float((kinds["size_end"] / kinds["size_start"]).median())
            v[f"fig13_{tag}_ctrl_size_ratio_median"] = float((crow["size_end"] / crow["size_start"]).median())
            v[f"fig13_{tag}_shrunk_frac"] = float(kinds["shrunk"].sum() / n_k)
            v[f"fig13_{tag}_ctrl_shrunk_frac"] = float(crow["shrunk"].sum() / n_c)
    lg = logged_counts().set_index(["reduction", "trains"])
    for red in ("weightwise", "aggregating"):
        tag = red[:3]
        v[f"log_fig13_{tag}_nonzero_top"] = float(lg.loc[(red, 100), "nonzero"])
        v[f"log_fig13_{tag}_zero_mean"] = float(lg.loc[red]["zero"].mean())
        v[f"log_fig13_{tag}_zero_frac"] = float(lg.loc[red]["zero"].mean() / 10)
    v["fig13_soups_per_cell"] = cfg.count_soups * cfg.count_replicates
    # The figure and the prose pool every repetition; Table 1 (compare_with_logged) shows repetition 0.
    reps, n_soups = cfg.count_replicates, cfg.count_soups
    if reps == 1:
        v["fig13_pooled_text"] = (
            f"means over the {n_soups} soups per A of our single repetition, the same soups as in the "
            "table below"
        )
        v["fig13_table_text"] = (
            f"the paper's {n_soups} soups per A (our single repetition, the same soups as in the figure "
            "and the text)"
        )
    else:
        v["fig13_pooled_text"] = (
            f"means over all {reps} repetitions, {reps * n_soups} soups per A. The table below shows "
            f"repetition 0 alone, the paper's {n_soups} soups per A, so its numbers differ a little"
        )
        if "fig13_wei_r0_trend" in v:
            v["fig13_pooled_text"] += (
                f": there weightwise soups end with {v['fig13_wei_r0_nonzero_top']:.1f} non-zero "
                f"fixpoints at A = {max(cfg.count_trains)} (Spearman correlation with A "
                f"{v['fig13_wei_r0_trend']:.2f})"
            )
        v["fig13_table_text"] = (
            f"the paper's {n_soups} soups per A: repetition 0 of our {reps}, not the mean over all "
            f"{reps} repetitions ({reps * n_soups} soups per A) that the figure and the text report"
        )
    v["log_fig13_soup_size"] = int(logged("fig13_weightwise_nonzero").n)
    # Fig 14
    for setting in (COMMITTED, INTERACTING):
        tag = "c14" if setting == COMMITTED else "i14"
        ch = children14[children14["setting"] == setting]
        so = soups14[soups14["setting"] == setting]
        at = attacks14[attacks14["setting"] == setting]
        v[f"{tag}_soups"] = len(so)
        v[f"{tag}_attacks_per_soup"] = float(so["attacks"].mean())
        v[f"{tag}_soups_without_attack"] = int((so["attacks"] == 0).sum())
        v[f"{tag}_cross_attacks"] = int(so["cross_attacks"].sum())
        v[f"{tag}_attacks"] = int(so["attacks"].sum())
        v[f"{tag}_disp_max"] = float(at["displacement"].max()) if len(at) else 0.0
        v[f"{tag}_disp_median"] = float(at["displacement"].median()) if len(at) else 0.0
        v[f"{tag}_nearest_own"] = float((ch["nearest_family"] == ch["family"]).mean())
        v[f"{tag}_influence_max"] = float(ch["influence"].max())
        if "other_parent" in ch:  # Fig 5.6's lower row: own parent against the nearest other parent
            v[f"{tag}_own_over_other_max"] = float((ch["post"] / ch["other_parent"]).max())
        v[f"{tag}_influence_rel_max"] = float((ch["influence"] / ch["pre"]).max())
        v[f"{tag}_influenced_frac"] = float((ch["influence"] > 0.1 * ch["pre"]).mean())
        v[f"{tag}_nonzero_frac"] = float((ch["kind"] == NONZERO).mean())
        v[f"{tag}_parent_distance_min"] = float(so["parent_distance_min"].min())
        v[f"{tag}_influence_vs_parents"] = float(ch["influence"].max() / so["parent_distance_min"].min())
        v[f"{tag}_zero"] = int((ch["kind"] == ZERO).sum())
        v[f"{tag}_children"] = len(ch)
        for z in cfg.clone_zetas:
            e = str(round(-np.log10(z)))
            cz = ch[ch["zeta"] == z]
            v[f"{tag}_influence_rel_max_{e}"] = float((cz["influence"] / cz["pre"]).max())
            v[f"{tag}_pre_median_{e}"] = float(cz["pre"].median())
    v["c14_expected_attacks"] = cfg.clone_attack_rate
    v["c14_soups_per_zeta"] = cfg.clone_soups
    # how many more attacks the interacting setting makes than the committed one (measured, and expected)
    c_rate = max(v["c14_attacks_per_soup"], 1.0 / max(v["c14_soups"], 1))  # at least one attack in all soups
    v["attack_ratio_measured"] = v["i14_attacks_per_soup"] / c_rate
    v["attack_ratio_measured_is_bound"] = int(v["c14_attacks_per_soup"] == 0)
    n14 = cfg.clone_parents * (1 + cfg.clone_children)
    expected_interacting = n14 * cfg.clone_attack_rate * cfg.interacting_epochs
    v["attack_ratio_expected"] = expected_interacting / cfg.clone_attack_rate
    v["fig12_near_error"] = NEAR_ERROR
    v["fig12_far_error"] = FAR_ERROR
    v["fig12_near_error_text"] = _sci(NEAR_ERROR)
    v["fig12_far_error_text"] = _sci(FAR_ERROR)
    v["eps_text"] = _sci(cfg.eps)
    v["clone_zeta_first_exp"] = int(round(-np.log10(cfg.clone_zetas[0])))
    v["clone_zeta_first_text"] = _sci(cfg.clone_zetas[0])
    # Claim 14 census over every classified network of this chapter
    census = [
        soups12[list(KIND_KEYS.values())].to_numpy().sum(),
        counts[list(KIND_KEYS.values())].to_numpy().sum(),
        soups14[list(KIND_KEYS.values())].to_numpy().sum(),
    ]
    second = int(soups12["second"].sum() + counts["second"].sum() + soups14["second"].sum())
    v["census_nets"] = int(sum(census))
    v["census_second_order"] = second
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            v[f"cfg_{f.name}"] = value
    v["cfg_count_trains_max"] = max(cfg.count_trains)
    v["cfg_clone_total_steps"] = cfg.interacting_epochs * cfg.interacting_steps
    v["cfg_particles_14"] = cfg.clone_parents * (1 + cfg.clone_children)
    return v


def replication_values(cfg: SoupsConfig, attacks12: pd.DataFrame, soups12: pd.DataFrame) -> dict:
    """Q5: does an attack make the victim a copy of its attacker? From Fig 12's attack log (attacks on
    another particle): the victim's distance to its attacker after over before, by the attacker's kind and
    value gain a₀; what the band of large changes (≥ BAND_CHANGE) is made of;
    what the clusters are made of."""
    a = attacks12[(attacks12["soup"] < cfg.soups) & (attacks12["attacker"] != attacks12["victim"])].copy()
    a["ratio"] = a["distance_after"] / a["distance_before"]
    g = a["attacker_gain"].abs()
    v: dict[str, float | int | str] = {}
    fp = a[a["attacker_kind"] == NONZERO]
    v["q5_attacks"] = len(a)
    v["q5_fp_attacks"] = len(fp)
    v["q5_fp_copy_frac"] = float((fp["ratio"] <= COPY_RATIO).mean()) if len(fp) else 0.0
    v["q5_fp_ratio_median"] = float(fp["ratio"].median()) if len(fp) else 1.0
    v["q5_fp_gain_dev_max"] = float((fp["attacker_gain"] - 1).abs().max()) if len(fp) else 0.0
    st = a[g <= STAMP_GAIN]
    v["q5_stamp_attacks"] = len(st)
    v["q5_stamp_frac"] = len(st) / max(len(a), 1)
    v["q5_stamp_ratio_median"] = float(st["ratio"].median()) if len(st) else 1.0
    v["q5_stamp_copy_frac"] = float((st["ratio"] <= COPY_RATIO).mean()) if len(st) else 0.0
    # the mechanism: for an attacker near a fixpoint, after / before = |a₀|
    near = a[a["attacker_error"] <= NEAR_ERROR]
    v["q5_near_pred_err_median"] = (
        float((near["ratio"] - near["attacker_gain"].abs()).abs().median()) if len(near) else 0.0
    )
    band = a[a["displacement"] >= BAND_CHANGE]
    v["q5_band_attacks"] = len(band)
    v["q5_band_stamp_frac"] = float((band["attacker_gain"].abs() <= STAMP_GAIN).mean()) if len(band) else 0.0
    bn = band[band["attacker_error"] <= NEAR_ERROR]
    v["q5_band_near"] = len(bn)
    v["q5_band_near_stamp_frac"] = float((bn["attacker_gain"].abs() <= STAMP_GAIN).mean()) if len(bn) else 0.0
    v["q5_band_near_zero"] = int((bn["attacker_kind"] == ZERO).sum())
    v["q5_band_ratio_median"] = float(band["ratio"].median()) if len(band) else 1.0
    soup = soups12[soups12["setting"] == "soup"]
    cl, rest = soup[soup["share_end"] >= 0.5], soup[soup["share_end"] < 0.5]
    v["q5_cluster_gain_median"] = float(cl["cluster_gain_median"].median()) if len(cl) else 1.0
    v["q5_cluster_stamped_median"] = float(cl["cluster_stamped"].median()) if len(cl) else 0.0
    v["q5_other_gain_median"] = float(rest["cluster_gain_median"].median()) if len(rest) else 1.0
    v["q5_stamp_gain"] = STAMP_GAIN
    v["q5_copy_ratio"] = COPY_RATIO
    v["q5_band_change"] = BAND_CHANGE
    return v


def lineage_values(cfg: SoupsConfig, lineage: pd.DataFrame, soups12: pd.DataFrame | None = None) -> dict:
    """Q3: the genealogy of Fig 12's soups. At the end: lineages per soup, the largest lineage's share,
    the share of non-zero fixpoints among the particles of lineages that spread (≥ 2 members) and among
    the others; with `soups12`, the median MAE between particles of one lineage and of different ones."""
    v: dict[str, float | int | str] = {}
    end = lineage[lineage["t"] == lineage["t"].max()]
    for setting, tag in (("soup", "q3"), ("control (no attacks)", "q3_ctrl")):
        e = end[end["setting"] == setting]
        per = e.groupby("soup")["founder"].nunique()
        v[f"{tag}_lineages_median"] = float(per.median())
        size = e.groupby(["soup", "founder"])["uid"].transform("size")
        v[f"{tag}_top_share_median"] = float(
            e.groupby(["soup", "founder"]).size().groupby("soup").max().median() / cfg.particles
        )
        if tag == "q3":
            spread = e[size >= 2]
            single = e[size < 2]
            v["q3_spread_nonzero_frac"] = float((spread["kind"] == NONZERO).mean()) if len(spread) else 0.0
            v["q3_single_nonzero_frac"] = float((single["kind"] == NONZERO).mean()) if len(single) else 0.0
            v["q3_spread_frac"] = len(spread) / max(len(e), 1)
            first_new = 2 * cfg.soups * cfg.particles  # uids from here on are replacements
            v["q3_single_replaced_frac"] = (
                float((single["founder"] >= first_new).mean()) if len(single) else 0.0
            )
            v["q3_initial_founders_left"] = float(
                e[e["founder"] < cfg.soups * cfg.particles * 2].groupby("soup")["founder"].nunique().median()
            )
    if soups12 is not None:
        so = soups12[soups12["setting"] == "soup"]
        v["q3_within_median"] = float(so["lineage_within"].median())
        v["q3_between_median"] = float(so["lineage_between"].median())
        v["q3_initial_distance"] = float(so["initial_median_distance"].mean())
    mid = lineage[(lineage["setting"] == "soup") & (lineage["t"] == cfg.epochs // 2)]
    v["q3_lineages_half_median"] = float(mid.groupby("soup")["founder"].nunique().median())
    return v


def large_values(cfg: SoupsConfig, large: pd.DataFrame) -> dict:
    """Q4: the large soups at the end, per size (tag = the size), and the wall time of the largest."""
    v: dict[str, float | int | str] = {}
    end = large[large["epoch"] == large["epoch"].max()]
    sizes = sorted(end["size"].unique())
    for n in sizes:
        e = end[end["size"] == n]
        v[f"q4_nonzero_{n}"] = float(e["nonzero"].mean())
        v[f"q4_stampers_{n}"] = float(e["stampers"].mean())
        v[f"q4_largest_{n}"] = float(e["largest"].mean())
        v[f"q4_clusters_{n}"] = float(e["clusters"].mean())
    small, big = sizes[0], sizes[-1]
    v["q4_small"], v["q4_big"], v["q4_middle"] = int(small), int(big), int(sizes[len(sizes) // 2])
    for key in ("nonzero", "stampers", "largest", "clusters"):
        v[f"q4_{key}_small"] = v[f"q4_{key}_{small}"]
        v[f"q4_{key}_middle"] = v[f"q4_{key}_{sizes[len(sizes) // 2]}"]
        v[f"q4_{key}_big"] = v[f"q4_{key}_{big}"]
    v["q4_nonzero_dev_max"] = float(max(abs(v[f"q4_nonzero_{n}"] - v[f"q4_nonzero_{small}"]) for n in sizes))
    v["q4_largest_dev_max"] = float(max(abs(v[f"q4_largest_{n}"] - v[f"q4_largest_{small}"]) for n in sizes))
    v["q4_wall_big_s"] = float(large[large["size"] == big]["wall_s"].iloc[0])
    v["cfg_large_soups_text"] = (
        ", ".join(str(k) for k in cfg.large_soups[:-1]) + f" and {cfg.large_soups[-1]}"
    )
    # the time course, pooled over sizes (mean of the per-size means): when the fixpoints are made, and
    # how the stampers' and the fixpoints' shares change from then to the end
    course = large.groupby(["size", "epoch"])[["nonzero", "stampers"]].mean().groupby("epoch").mean()
    settle = int(course.index[(course["nonzero"] >= 0.8 * course["nonzero"].max()).to_numpy()][0])
    v["q4_settle_epoch"] = settle
    v["q4_stampers_change"] = float(course["stampers"].iloc[-1] - course.loc[settle, "stampers"])
    v["q4_nonzero_change"] = float(course["nonzero"].iloc[-1] - course.loc[settle, "nonzero"])
    return v


def _sci(x: float) -> str:
    """1e-4, not 1e-04 (for powers of ten); otherwise the shortest general form."""
    e = math.log10(x)
    return f"1e{round(e)}" if abs(e - round(e)) < 1e-9 else f"{x:g}"


def learn_values(
    cfg: SoupsConfig,
    soups: pd.DataFrame,
    learns: pd.DataFrame,
    twins: pd.DataFrame,
    soups12: pd.DataFrame,
    attacks12: pd.DataFrame,
) -> dict[str, float | int | str]:
    """Q2: the learn-from soups against the authors' log, replication per learning-from, consensus (the
    soups' spread, end over start) beside Fig 12's attack soups, and the mechanism's twins."""
    v: dict[str, float | int | str] = {}
    v["q2_twin_steps"] = max(cfg.learn_severities)
    v["q2_twin_nets"] = len(twins)
    for key in ("moved", "to_teacher_before", "to_teacher_after", "vs_self", "vs_other_teacher", "map_off"):
        v[f"q2_twin_{key}_median"] = float(twins[key].median())
    v["q2_twin_vs_self_over_moved_median"] = float((twins["vs_self"] / twins["moved"]).median())
    log_nz = logged("learn_soup_nonzero").values
    means = soups.groupby("severity")[["nonzero", "zero"]].mean()
    dev = [abs(float(means.loc[k, "nonzero"]) - log_nz[str(k)]) for k in means.index if str(k) in log_nz]
    v["q2_log_dev_max"] = max(dev) if dev else math.nan
    top, bottom = max(cfg.learn_severities), min(cfg.learn_severities)
    v["q2_nonzero_top"] = float(means.loc[top, "nonzero"])
    v["q2_nonzero_bottom"] = float(means.loc[bottom, "nonzero"])
    v["q2_log_nonzero_top"] = float(log_nz.get(str(top), math.nan))
    v["q2_zero_total"] = int(soups["zero"].sum())
    v["q2_top"] = int(top)
    v["q2_soups"] = len(soups)
    v["q2_trials"] = cfg.learn_trials
    other = learns[learns["learner"] != learns["teacher"]]
    ratio = other["distance_after"] / other["distance_before"]
    v["q2_learns"] = len(other)
    v["q2_copy_frac"] = float((ratio <= COPY_RATIO).mean()) if len(other) else math.nan
    v["q2_ratio_median"] = float(ratio.median())
    v["q2_ratio_p05"] = float(ratio.quantile(0.05))
    v["q2_moved_over_distance_median"] = float((other["moved"] / other["distance_before"]).median())
    v["q2_gain_after_median"] = float(other["learner_gain_after"].median())
    first = other.sort_values("epoch").groupby(["soup", "learner"]).head(1)
    v["q2_first_gain_before_median"] = float(first["learner_gain_before"].abs().median())
    v["q2_first_gain_after_median"] = float(first["learner_gain_after"].median())
    v["q2_first_moved_over_distance_median"] = float((first["moved"] / first["distance_before"]).median())
    v["q2_first_ratio_median"] = float((first["distance_after"] / first["distance_before"]).median())
    spread = soups["spread_end"] / soups["spread_start"]
    top_soups = soups["severity"] == top
    v["q2_spread_ratio_top_median"] = float(spread[top_soups].median())
    v["q2_spread_ratio_median"] = float(spread.median())
    v["q2_spread_ratio_min"] = float(spread.min())
    v["q2_map_off_start_median"] = float(soups["map_off_start"].median())
    v["q2_map_off_end_top_median"] = float(soups.loc[top_soups, "map_off_end"].median())
    att = soups12[soups12["setting"] == "soup"]
    ctl = soups12[soups12["setting"] != "soup"]
    v["q2_attack_spread_ratio_median"] = float(
        (att["final_median_distance"] / att["initial_median_distance"]).median()
    )
    v["q2_attack_spread_ratio_min"] = float(
        (att["final_median_distance"] / att["initial_median_distance"]).min()
    )
    v["q2_control_spread_ratio_median"] = float(
        (ctl["final_median_distance"] / ctl["initial_median_distance"]).median()
    )
    a = attacks12[(attacks12["attacker"] != attacks12["victim"]) & (attacks12["soup"] < cfg.soups)]
    v["q2_attack_ratio_median"] = float((a["distance_after"] / a["distance_before"]).median())
    v["q2_attack_copy_frac"] = float((a["distance_after"] / a["distance_before"] <= COPY_RATIO).mean())
    return v


def dynamics_values(cfg: SoupsConfig, dyn: pd.DataFrame) -> dict[str, float | int | str]:
    """Fig 12's soups over the epochs: when the non-zero fixpoint share and the cluster count settle."""
    v: dict[str, float | int | str] = {}
    soup = dyn[dyn["setting"] == "soup"]
    ctrl = dyn[dyn["setting"] != "soup"]
    med = soup.groupby("epoch")["nonzero"].median()
    med_c = ctrl.groupby("epoch")["nonzero"].median()
    last = int(med.index.max())
    v["dyn_nonzero_end_median"] = float(med.loc[last])
    v["dyn_ctrl_nonzero_end_median"] = float(med_c.loc[last])
    v["dyn_nonzero_end_q25"] = float(soup[soup["epoch"] == last]["nonzero"].quantile(0.25))
    v["dyn_ctrl_nonzero_end_min"] = float(ctrl[ctrl["epoch"] == last]["nonzero"].min())
    half = float(med.loc[last]) / 2
    v["dyn_nonzero_half_epoch"] = int(med[med >= half].index.min()) if half > 0 else 0
    half_c = float(med_c.loc[last]) / 2
    v["dyn_ctrl_nonzero_half_epoch"] = int(med_c[med_c >= half_c].index.min()) if half_c > 0 else 0
    clus = soup.groupby("epoch")["clusters"].mean()
    v["dyn_clusters_end_mean"] = float(clus.loc[last])
    v["dyn_clusters_half_epoch"] = (
        int(clus[clus >= clus.loc[last] / 2].index.min()) if clus.loc[last] > 0 else 0
    )
    v["dyn_clustered_soups_end"] = int((soup[soup["epoch"] == last]["clusters"] > 0).sum())
    v["dyn_clusters_max_mean"] = float(clus.max())
    v["dyn_clusters_max_epoch"] = int(clus.idxmax())
    ctrl_clus = ctrl.groupby("epoch")["clusters"].mean()
    v["dyn_ctrl_clusters_end_mean"] = float(ctrl_clus.loc[last])
    v["dyn_ctrl_clusters_max_mean"] = float(ctrl_clus.max())
    v["dyn_soups"] = int(soup["soup"].nunique())
    return v
