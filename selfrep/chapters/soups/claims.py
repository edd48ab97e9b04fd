"""Chapter 5: its claims (paper-spec §13, claims 11-14) and their rules."""

from __future__ import annotations

from selfrep.chapters.common import decide_no_second_order
from selfrep.chapters.soups.config import CHAPTER
from selfrep.claims import Claim, verdict


def _decide_p11a(v):
    frac, ctrl = v["fig12_clustered_frac"], v["fig12_ctrl_clustered"]
    text = (
        f"{v['fig12_clustered']} of {v['fig12_soups']} soups end with ≥ half their particles in one "
        f"cluster (controls without attacks: {ctrl}); cluster centre ≥ {v['fig12_cluster_to_zero_min']:.2f} "
        f"from 0 and ≥ {v['fig12_cluster_to_start_min']:.2f} from the initial centroid (radius "
        f"{v['fig12_radius']:.2f})"
    )
    away = (
        v["fig12_cluster_to_zero_min"] > v["fig12_radius"]
        and v["fig12_cluster_to_start_min"] > v["fig12_radius"]
    )
    return text, verdict(frac >= 0.5 and ctrl == 0 and away, v["fig12_clustered"] >= 1 and ctrl == 0 and away)


def _decide_p11b(v):
    share = v["fig12_cluster_nonzero_frac"]
    text = (
        f"{share:.0%} of the particles in the {v['fig12_clustered']} clusters are non-zero fixpoints "
        f"(all particles of all soups: {v['fig12_nonzero_frac']:.0%})"
    )
    return text, verdict(v["fig12_clustered"] >= 1 and share >= 0.5)


def _decide_p12(v):
    trend, top, bottom = v["fig13_wei_trend"], v["fig13_wei_nonzero_top"], v["fig13_wei_nonzero_bottom"]
    agg_nz, agg_zero = v["fig13_agg_nonzero_max"], v["fig13_agg_zero_frac"]
    text = (
        f"ww non-zero fixpoints per soup rise from {bottom:.1f} to {top:.1f} (Spearman {trend:.2f}); agg: "
        f"{agg_zero:.0%} of particles zero fixpoints, max {agg_nz:.1f} non-zero per soup "
        f"(log: {v['log_fig13_agg_zero_frac']:.0%} zero)"
    )
    if "fig13_agg_size_ratio_median" in v:
        text += (
            f"; agg weights' median size end/start {v['fig13_agg_size_ratio_median']:.2f}, "
            f"{v['fig13_agg_shrunk_frac']:.0%} of the nets below a tenth of it"
        )
    ww_ok = trend >= 0.8 and top >= 0.7 * v["cfg_count_particles"]
    return text, verdict(ww_ok and agg_nz == 0 and agg_zero >= 0.5, ww_ok and agg_nz == 0)


def _decide_p13(v):
    own_c, own_i = v["c14_nearest_own"], v["i14_nearest_own"]
    text = (
        f"committed setting: {v['c14_attacks_per_soup']:.2f} attacks per soup, children nearest their own "
        f"parent {own_c:.0%}; interacting setting: {v['i14_attacks_per_soup']:.0f} attacks per soup "
        f"({v['i14_cross_attacks']:,} across families), nearest own parent {own_i:.0%}, largest change "
        f"against the control {v['i14_influence_rel_max']:.2f} of the child's cloning distance"
    )
    return text, verdict(
        own_c == 1.0 and own_i == 1.0 and v["i14_attacks_per_soup"] >= 10, own_c >= 0.9 and own_i >= 0.9
    )


def _decide_q5(v):
    text = (
        f"{v['q5_fp_copy_frac']:.0%} of {v['q5_fp_attacks']:,} attacks by non-zero fixpoints leave "
        f"the victim ≤ {v['q5_copy_ratio']:g} × its distance to the attacker (median after/before "
        f"{v['q5_fp_ratio_median']:.3f}); attackers with |a₀| ≤ {v['q5_stamp_gain']:g}: "
        f"{v['q5_stamp_copy_frac']:.0%} of {v['q5_stamp_attacks']:,} "
        f"(median {v['q5_stamp_ratio_median']:.2f})"
    )
    frac = v["q5_fp_copy_frac"]
    return text, verdict(frac >= 0.9, frac >= 0.1)


def _decide_q2(v):
    text = (
        f"{v['q2_copy_frac']:.0%} of {v['q2_learns']:,} learnings-from leave the learner ≤ "
        f"{v['q5_copy_ratio']:g} × its distance to the teacher (median after/before "
        f"{v['q2_ratio_median']:.3f}); the soups at severity {v['q2_top']} end with "
        f"{v['q2_spread_ratio_top_median']:.2f} × their initial spread (median; attack soups of Fig 12: "
        f"{v['q2_attack_spread_ratio_median']:.2f}); non-zero fixpoints per soup "
        f"{v['q2_nonzero_bottom']:.1f} → {v['q2_nonzero_top']:.1f} (log: 0 → {v['q2_log_nonzero_top']:.1f})"
    )
    copy, spread = v["q2_copy_frac"], v["q2_spread_ratio_top_median"]
    return text, verdict(copy >= 0.9 or spread <= 0.5, copy >= 0.1 or spread <= 0.75)


def _decide_q3(v):
    coalesce = v["q3_lineages_median"] <= v["cfg_particles"] / 2
    fixpoints = v["q3_spread_nonzero_frac"] >= 0.9
    text = (
        f"median soup ends with {v['q3_lineages_median']:.0f} of {v['cfg_particles']} lineages (controls: "
        f"{v['q3_ctrl_lineages_median']:.0f}); {v['q3_spread_nonzero_frac']:.0%} of the particles of "
        f"lineages with ≥ 2 members are non-zero fixpoints (single ones: {v['q3_single_nonzero_frac']:.0%})"
    )
    return text, verdict(coalesce and fixpoints, coalesce or fixpoints)


def _decide_q4(v):
    same_fp = v["q4_nonzero_dev_max"] <= 0.1
    same_cl = v["q4_largest_dev_max"] <= 0.1
    text = (
        f"non-zero fixpoints at the end {v['q4_nonzero_small']:.0%} ({v['q4_small']:,} nets), "
        f"{v['q4_nonzero_middle']:.0%} ({v['q4_middle']:,}), {v['q4_nonzero_big']:.0%} ({v['q4_big']:,}); "
        f"largest cluster {v['q4_largest_small']:.0%}, {v['q4_largest_middle']:.0%}, "
        f"{v['q4_largest_big']:.0%}; stampers {v['q4_stampers_small']:.0%}, {v['q4_stampers_middle']:.0%}, "
        f"{v['q4_stampers_big']:.0%}"
    )
    return text, verdict(same_fp and same_cl, same_fp or same_cl)


CLAIMS: list[Claim] = [
    Claim(
        "P11a",
        CHAPTER,
        "In a soup of self-training, attacking weightwise nets, the nets form a main cluster away from the "
        "initial centre of mass and from 0 (paper Fig 12).",
        "paper Fig 12 (one soup): a cluster 'neither at the center of mass … nor anywhere near 0'",
        (
            "fig12_clustered_frac",
            "fig12_clustered",
            "fig12_soups",
            "fig12_ctrl_clustered",
            "fig12_cluster_to_zero_min",
            "fig12_cluster_to_start_min",
            "fig12_radius",
        ),
        "'a main cluster' read as ≥ half of a soup's particles within a quarter of the initial median "
        "distance of one particle, its centre farther than that radius from 0 and from the initial centroid; "
        "the paper shows one soup, so: holds if ≥ half of our soups form one and no control soup does; "
        "partly if at least one soup (and no control) does; else differs",
        _decide_p11a,
        {"ci": "partly", "paper": "partly"},
    ),
    Claim(
        "P11b",
        CHAPTER,
        "That cluster is made of fixpoints: emergent replication (paper Fig 12).",
        "'a cluster of fixpoints'; log: 13 non-zero fixpoints, 7 other of 20",
        ("fig12_cluster_nonzero_frac", "fig12_clustered", "fig12_nonzero_frac"),
        "'a cluster of fixpoints' read as ≥ half of the particles inside the clusters of P11a non-zero "
        "fixpoints; holds if so, else differs (also when no soup forms a cluster)",
        _decide_p11b,
        {"ci": "differs", "paper": "differs"},
    ),
    Claim(
        "P12",
        CHAPTER,
        "More self-training per soup epoch (A) gives more non-zero weightwise fixpoints; aggregating nets "
        "still converge to 0 to a strong degree (paper Fig 13).",
        "paper Fig 13 log: ww 0 → 8.8 non-zero per soup of 10 (A = 0 → 100); agg 0.2–0.8 zero, 0 non-zero",
        (
            "fig13_wei_trend",
            "fig13_wei_nonzero_top",
            "fig13_wei_nonzero_bottom",
            "fig13_agg_nonzero_max",
            "fig13_agg_zero_frac",
            "log_fig13_agg_zero_frac",
            "cfg_count_particles",
            "fig13_agg_size_ratio_median",
            "fig13_agg_shrunk_frac",
        ),
        "holds if the ww non-zero count rises with A (Spearman ≥ 0.8) to ≥ 70 % of the soup at the "
        "largest A, agg nets are never non-zero fixpoints and ≥ 50 % of them are zero fixpoints; partly if "
        "all but the last hold",
        _decide_p12,
        {"ci": "partly", "paper": "partly"},
    ),
    Claim(
        "P13",
        CHAPTER,
        "A soup of noisy clones keeps the children clustered around their own parent, with no real influence "
        "between the clusters (paper Fig 14).",
        "paper Fig 14 (qualitative): 'all children tend to stick together … no real influence'",
        (
            "c14_nearest_own",
            "i14_nearest_own",
            "c14_attacks_per_soup",
            "i14_attacks_per_soup",
            "i14_cross_attacks",
            "i14_influence_rel_max",
        ),
        "holds if every child ends nearest its own parent in both settings and the interacting setting "
        "makes ≥ 10 attacks per soup; partly if ≥ 90 % do",
        _decide_p13,
        {"ci": "holds", "paper": "holds"},
    ),
    Claim(
        "P14",
        CHAPTER,
        "The soups produce no second-order fixpoint (𝒩 ◁ (𝒩 ◁ 𝒩) = 𝒩 without 𝒩 ◁ 𝒩 = 𝒩), although such "
        "fixpoints exist (chapter 3, Q6: every one negates the weight value, a₀ = −1); a statement about "
        "where the dynamics go.",
        "'we did not observe higher-order fixpoints'",
        ("census_nets", "census_second_order"),
        "holds if none of the networks classified at the end of any soup of this chapter is a second-order "
        "fixpoint (a first-order fixpoint cannot be one, so only the nets that are not fixpoints test the "
        "claim; chapters 3 and 4 check their own experiments: P14.3, P14.4)",
        decide_no_second_order,
        "holds",
    ),
    Claim(
        "Q5",
        CHAPTER,
        "Open question (from §3.5's replication): an attack by a fixpoint makes the victim a copy of the "
        "attacker.",
        "paper §3.5: the soup shows 'emergent replication'; whether an attack replicates the attacker is not "
        "measured in the paper",
        (
            "q5_fp_copy_frac",
            "q5_fp_attacks",
            "q5_fp_ratio_median",
            "q5_copy_ratio",
            "q5_stamp_gain",
            "q5_stamp_copy_frac",
            "q5_stamp_attacks",
            "q5_stamp_ratio_median",
        ),
        "in Fig 12's soups, for every attack on another particle by a non-zero fixpoint (classified at the "
        "time of the attack, ε of the chapter): the victim's MAE distance to its attacker after the attack "
        "over before. A 'copy' is an attack that removes ≥ 90 % of that distance (after/before ≤ 0.1). Holds "
        "if ≥ 90 % of these attacks copy, partly if ≥ 10 % do, else differs",
        _decide_q5,
        {"ci": "differs", "paper": "differs"},
    ),
    Claim(
        "Q2",
        CHAPTER,
        "Open question (learning from others): in a soup whose networks learn from each other, learners "
        "become copies of their teachers (replication) or the soup contracts to one point (consensus).",
        "paper §4 (future work) defers learning from other networks; the authors' code has such a soup "
        "(master@0c9b036 code/setups/learn_from_soup.py)",
        (
            "q2_copy_frac",
            "q2_learns",
            "q2_ratio_median",
            "q5_copy_ratio",
            "q2_top",
            "q2_spread_ratio_top_median",
            "q2_attack_spread_ratio_median",
            "q2_nonzero_bottom",
            "q2_nonzero_top",
            "q2_log_nonzero_top",
        ),
        "in the code's learn-from soups (attacks off, no self-training): 'replication' read as ≥ 90 % of the "
        "learnings-from from another particle leaving the learner ≤ 0.1 × its MAE distance to the teacher "
        "(Q5's copy); 'consensus' as the median soup at the largest severity ending with ≤ 0.5 × its "
        "initial spread (median Euclidean distance between particles). Holds if either, partly if ≥ 10 % "
        "copy or the spread ends ≤ 0.75 ×, else differs",
        _decide_q2,
        {"ci": "differs", "paper": "differs"},
    ),
    Claim(
        "Q3",
        CHAPTER,
        "Open question (lineage): descent by attack concentrates a soup in a few lineages, and the lineages "
        "that survive are fixpoints.",
        "paper §4 (future work): the genealogy of a soup is not studied",
        (
            "q3_lineages_median",
            "q3_ctrl_lineages_median",
            "q3_spread_nonzero_frac",
            "q3_single_nonzero_frac",
            "cfg_particles",
        ),
        "lineages from Fig 12's attack log (a victim joins its attacker's lineage; a replacement founds "
        "one); 'few lineages' read as: the median soup ends with at most half as many lineages as particles; "
        "'the lineages are fixpoints' as: ≥ 90 % of the particles in lineages with ≥ 2 members are non-zero "
        "fixpoints. Holds if both, partly if one, else differs",
        _decide_q3,
        {"ci": "partly", "paper": "partly"},
    ),
    Claim(
        "Q4",
        CHAPTER,
        "Open question (larger soups): soups of 1,000 and 10,000 networks end like the paper's soup of 20.",
        "paper §4 (future work): larger soups are not run (the paper's have 20 networks)",
        (
            "q4_nonzero_dev_max",
            "q4_largest_dev_max",
            "q4_nonzero_small",
            "q4_nonzero_middle",
            "q4_nonzero_big",
            "q4_largest_small",
            "q4_largest_middle",
            "q4_largest_big",
            "q4_stampers_small",
            "q4_stampers_middle",
            "q4_stampers_big",
            "q4_small",
            "q4_middle",
            "q4_big",
        ),
        "under the synchronous rule with Fig 12's settings: 'end like' read as: the share of non-zero "
        "fixpoints after the run and the largest cluster's share (radius as Fig 12's) each within 0.10 of "
        "the 20-network soups' at every size. Holds if both, partly if one, else differs",
        _decide_q4,
        {"ci": "partly", "paper": "partly"},
    ),
]
