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
]
