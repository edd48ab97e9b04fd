"""Chapter 1's claims (paper-spec §13, claims 1–3), decided on its glued values."""

from __future__ import annotations

from selfrep.chapters.self_application.config import CHAPTER, REDUCTIONS
from selfrep.chapters.self_application.summaries import falls
from selfrep.claims import Claim, verdict


def _decide_p1(v):
    nonzero, second, other = v["sa_nonzero_total"], v["sa_second_total"], v["sa_other_total"]
    div = {r: v[f"pool_{r}_div_frac"] for r in REDUCTIONS}
    rnn_most = div["recurrent"] > max(div["weightwise"], div["aggregating"])
    text = (
        f"{nonzero} non-zero and {second} second-order fixpoints, {other} 'other' among the "
        f"{v['sa_nets_total']} self-applied nets (each classified at both ε); divergent fraction "
        f"ww {div['weightwise']:.2f}, "
        f"agg {div['aggregating']:.2f}, rnn {div['recurrent']:.2f}"
    )
    no_fixpoint = nonzero == 0 and second == 0
    return text, verdict(no_fixpoint and other == 0 and rnn_most, no_fixpoint)


def _decide_p2(v):
    total = v["rand_fixpoints_total"]
    text = (
        f"{total} fixpoints (zero, non-zero or second-order) among {v['rand_n']:,} random nets per reduction"
    )
    return text, verdict(total == 0)


def _decide_p3(v):
    err, verged = v["identity_error_max"], v["rob_verged_frac"]
    d_v, d_f = v["rob_tverge_decreases"], v["rob_tfix_decreases"]
    rise_v, rise_f = v["rob_tverge_rise"], v["rob_tfix_rise"]
    text = (
        f"identity error {err:g}; {verged:.0%} of noisy copies verged within {v['rob_cap']} steps "
        f"(smallest noise: {v['rob_verged_frac_smallest']:.0%}); from ζ = 1 to 1e-9 the mean time to "
        f"vergence rises by {rise_v:.1f} and as fixpoint by {rise_f:.1f} steps; between adjacent levels "
        f"the mean time to vergence {falls(d_v)} and the mean time as fixpoint {falls(d_f)}"
    )
    holds = err == 0 and verged == 1.0 and d_v == 0 and d_f == 0 and rise_v > 0 and rise_f > 0
    return text, verdict(holds, err == 0 and verged >= 0.95)


CLAIMS: list[Claim] = [
    Claim(
        "P1",
        CHAPTER,
        "Repeated self-application drives random nets to the zero net or to divergence; no non-zero "
        "fixpoint appears for any reduction, and recurrent nets diverge most (paper Figs 1, 2).",
        "paper Fig 2 log (50 nets, 100 applications): ww 23 div / 27 zero, agg 4 / 46, rnn 46 / 4; "
        "no other kind",
        (
            "sa_nonzero_total",
            "sa_second_total",
            "sa_other_total",
            "sa_nets_total",
            "pool_weightwise_div_frac",
            "pool_aggregating_div_frac",
            "pool_recurrent_div_frac",
        ),
        "holds if every net (all replicates, both ε) is zero or divergent and rnn has the largest "
        "divergent fraction; partly if no non-zero/second-order fixpoint but some other outcome or "
        "another ordering; differs if a non-zero or second-order fixpoint appears",
        _decide_p1,
        {"ci": "holds", "paper": "holds"},
    ),
    Claim(
        "P2",
        CHAPTER,
        "Among 100,000 random nets per reduction none is a fixpoint, so the attraction to 0 comes from "
        "self-application.",
        "none of 100,000 per type (only 100-net trial logs were committed: all 'other')",
        ("rand_fixpoints_total", "rand_n"),
        "holds if no random net is a zero, non-zero or second-order fixpoint at ε = 1e-5 or 1e-4",
        _decide_p2,
        {"ci": "holds", "paper": "holds"},
    ),
    Claim(
        "P3",
        CHAPTER,
        "The hand-built identity net is a non-zero fixpoint of ◁ww but no attractor: noise down to 1e-9 "
        "eventually makes every copy verge, and less noise means a longer time as fixpoint and later "
        "vergence (paper Fig 3).",
        "paper Fig 3 log: mean time to vergence 3.63 (ζ = 1) … 26.45 (ζ = 1e-9); time as fixpoint 0 … 16.47",
        (
            "identity_error_max",
            "rob_verged_frac",
            "rob_verged_frac_smallest",
            "rob_cap",
            "rob_tverge_decreases",
            "rob_tfix_decreases",
            "rob_tverge_rise",
            "rob_tfix_rise",
        ),
        "holds if the identity's error is 0, every copy verges within the cap and both mean times never "
        "fall from one noise level to the next smaller one and rise overall; partly if ≥ 95 % verge",
        _decide_p3,
        {"ci": "holds", "paper": "holds"},
    ),
]
