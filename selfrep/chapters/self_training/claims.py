"""Chapter 2's claims (paper-spec §13, claims 4–6), decided on its glued values."""

from __future__ import annotations

from selfrep.chapters.self_training.config import CHAPTER
from selfrep.chapters.self_training.summaries import _eps_text
from selfrep.claims import Claim, verdict


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
    if any(parts) and not all(parts):
        text += f" ({sum(parts)} of 3 parts hold)"
    return text, verdict(all(parts), any(parts))


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
    return text, verdict(main_ok and rob_ok, main_ok or rob_ok)


def _decide_p4c(v):
    n4, k4 = v["fig4_nets"], v["fig4_nonzero"]
    f5 = v["fig5_weightwise_nonzero_frac"]
    text = (
        f"after {v['cfg_trajectory_epochs']:,} Keras epochs (Figure 2.1) {k4}/{n4} nets are non-zero "
        f"fixpoints at "
        f"ε = {_eps_text(v['eps'])}; after {v['cfg_outcome_epochs']:,} epochs (Figure 2.2) {f5:.0%} are"
    )
    return text, verdict(k4 >= 0.9 * n4, f5 >= 0.9)


def _decide_p4d(v):
    lo, hi = v["act_error_ratio_min"], v["act_error_ratio_max"]
    text = (
        f"median fixpoint error of weightwise nets without bias, {v['act_nets']} nets, "
        f"{v['act_epochs']:,} epochs: linear {v['act_linear_nobias_weightwise_error_median']:.1e}; "
        f"nonlinear {lo:.2g}–{hi:.2g} times that; {v['act_nonlinear_fixpoints']} fixpoints among "
        f"{v['act_nonlinear_nets']:,} nonlinear nets"
    )
    # every nonlinear median within 10 times the linear one: holds; every one at least 10 times: differs
    return text, verdict(hi < 10, not lo >= 10)


def _decide_p5a(v):
    below, compared = v["fig6_levels_journal_below_identity"], v["fig6_levels_journal_compared"]
    text = (
        f"copies of journal@21dd572-trained fixpoints: mean time as fixpoint below the identity's at {below} "
        f"of {compared} levels ζ ≤ 1e-6 (mean over ζ < ε: {v['fig6_journal_tfix_low']:.2f} vs identity "
        f"{v['fig6_identity_tfix_low']:.2f}; Keras-trained parents: "
        f"{v['fig6_levels_trained_below_identity']} of {v['fig6_levels_compared']} levels)"
    )
    return text, verdict(bool(compared) and below == compared)


def _decide_p5b(v):
    ge2, ge1 = v["fig6_journal_ge2_low"], v["fig6_journal_ge1_low"]
    text = (
        f"for ζ < ε, of {v['fig6_journal_copies_low']:,} copies of journal@21dd572-trained fixpoints "
        f"{ge1:.0%} stay fixpoints ≥ 1 application and {ge2:.0%} ≥ 2 (Keras-trained parents: "
        f"{v['fig6_trained_ge1_low']:.0%} and {v['fig6_trained_ge2_low']:.0%})"
    )
    return text, verdict(ge2 >= 0.9, ge1 >= 0.9)


def _decide_p6(v):
    d, eps, eps_k = v["dist_min_max_abs"], v["eps"], v["eps_keras"]
    text = (
        f"closest pair of trained non-zero fixpoints differs by {d:.2g} in some weight "
        f"({v['dist5_pairs'] + v['dist6_pairs']:,} pairs); ε = {_eps_text(v['eps'])}"
    )
    return text, verdict(d > eps_k, d > eps)


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
