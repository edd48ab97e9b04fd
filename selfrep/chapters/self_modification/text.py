"""Chapter 6b's sentences: one-sentence answers to the source questions and short phrases for the prose,
built from the glued numbers (so no sentence can claim a direction the numbers do not show)."""

from __future__ import annotations

from collections.abc import Mapping


def _cmp(x: float, y: float, tol: float, more: str, same: str, less: str) -> str:
    return more if x > y + tol else (less if x < y - tol else same)


def _pp(x: float) -> str:
    """A difference of accuracies (or of fitness, on the accuracy scale) in percentage points."""
    return f"{100 * x:+.1f} pp"


def _pm_pp(x: float, se: float) -> str:
    """A difference and its SE, both in percentage points."""
    return f"{100 * x:+.2f} pp, SE {100 * se:.2f}"


def answer_values(v: Mapping[str, float]) -> dict[str, str]:
    """One-sentence answers to the source questions, built from the glued numbers (glued as strings, so
    the answer box and the closing table cannot disagree with the sections above). Accuracies are
    percentages, differences percentage points (fitness is on the accuracy scale)."""
    a: dict[str, str] = {}
    gap, gse = v["e4_gap_ghn_mlp_id"], v["e4_gap_ghn_mlp_id_se"]
    enc = _cmp(gap, 0.0, 2 * gse, "better than", "no detectably better than", "worse than")
    ftg, ftse = v["e4_ft_gap_final"], v["e4_ft_gap_final_se"]
    ft = _cmp(ftg, 0.0, 2 * ftse, "ahead of", "level with", "behind")
    fti, ftise = v["e4_ft_gap_final_id"], v["e4_ft_gap_final_id_se"]
    top = v["e4_curve_max_steps"]
    k = v["e4_matched_steps_id"]  # a net never matched within the curve counts as 2 x its length
    worth = f"more than {top:.0f}" if k >= top else f"about {k:.0f}"
    ft_id = _cmp(fti, 0.0, 2 * ftise, "ahead of", "level with", "behind")
    a["answer_e4"] = (
        "Yes, on digits: with no training step the predicted weights reach "
        f"{v['e4_ghn_id_acc0']:.1%} test accuracy on held-out architectures "
        f"({v['e4_ghn_id_ratio']:.0%} of trained), worth {worth} Adam steps from random init; deeper "
        f"nets reach {v['e4_ghn_deeper_acc0']:.1%}, wider nets "
        f"{v['e4_ghn_wider_acc0']:.1%}, an activation never seen in training "
        f"{v['e4_ghn_otheract_acc0']:.1%}. Fine-tuned for as many steps as the trained reference "
        f"({v['e4_finetune_max_steps']:.0f}), the predicted start ends {ft_id} random init in "
        f"distribution ({_pm_pp(fti, ftise)}) and {ft} it over all four splits ({_pm_pp(ftg, ftse)}). "
        + (
            "Message passing over the graph's edges helps"
            if enc == "better than"
            else "Message passing over the graph's edges (the chain and its skips) does not help here"
        )
        + f": the graph GHN is {enc} a plain MLP hypernetwork ({v['e4_mlp_id_acc0']:.1%}, "
        f"{_pm_pp(gap, gse)})."
    )
    gain, gainse = v["e5_gain_fit_vs_random"], v["e5_gain_fit_vs_random_se"]
    beats = _cmp(gain, 0.0, 2 * gainse, "beats", "does not detectably beat", "loses to")
    g0, g0se = v["e5_gain_fit_vs_gen0"], v["e5_gain_fit_vs_gen0_se"]
    vs_g0 = _cmp(g0, 0.0, 2 * g0se, "better than", "no better than", "worse than")
    ru, ruse = v["e5_gain_fit_vs_rule"], v["e5_gain_fit_vs_rule_se"]
    vs_rule = _cmp(ru, 0.0, 2 * ruse, "above", "level with", "below")
    vs_rs = _cmp(v["e5_evolved_test"], v["e5_rs_test"], 0.005, "above", "level with", "below")
    adds = "Evolution adds to this" if vs_g0 == "better than" else "Evolution adds little"
    a["answer_e5"] = (
        "Mechanically, yes for the architecture and no for the weights: a head inside the net, evolved "
        "without gradients, grows the body with function-preserving edits, and the grown body is still "
        f"trained by Adam. The head {beats} random edits (fitness {_pm_pp(gain, gainse)}, paired by "
        "body seed). "
        f"{adds}: it is {vs_g0} the best un-evolved head of generation 0 ({_pm_pp(g0, g0se)}) and "
        f"{vs_rule} a fixed growth rule ({_pm_pp(ru, ruse)}). Its nets end at "
        f"{v['e5_evolved_test']:.1%} test accuracy, {vs_rs} random search over the bench with as many "
        f"trainings as one evolution of the head ({v['e5_rs_test']:.1%})."
    )
    bl, blse = v["e5_gain_fit_vs_blind"], v["e5_gain_fit_vs_blind_se"]
    reads = _cmp(bl, 0.0, 2 * blse, "does better than", "does no better than", "does worse than")
    paths, n_seeds = v["e5_evolved_distinct_paths"], v["e5_test_seeds"]
    lead = (
        "Both: the net computes its edits from its own description, and what it reads matters; an "
        "external evolution selects the head."
        if bl > 2 * blse
        else "Mostly external: the net computes its edits from its own description and an external "
        "evolution selects the head, but what it reads about itself adds nothing detectable."
    )
    a["answer_nbro"] = (
        f"{lead} A blind (open-loop) twin of the head ends in the same final architecture in "
        f"{v['e5_blind_same_arch']:.0%} of episodes, and the head that reads itself {reads} its "
        f"blind twin (fitness {_pm_pp(bl, blse)}); each evolved head follows {paths:.3g} distinct "
        f"width {'trajectory' if paths == 1 else 'trajectories'} over {n_seeds:.0f} body seeds"
        + (", in effect one schedule in time." if paths <= 0.5 * n_seeds else ".")
    )
    diff, sd = v["e5_grown_minus_scratch"], v["e5_scratch_seed_sd"]
    grown = _cmp(diff, 0.0, sd, "better than", "as good as", "worse than")
    a["answer_den"] = (
        f"Growing while training is {grown} training the final architecture from scratch "
        f"({_pp(diff)} test accuracy, seed SD {100 * sd:.1f} pp) at {v['e5_compute_ratio']:.0%} of its "
        f"compute. A fixed growth rule reaches {v['e5_rule_test']:.1%} with "
        f"{v['e5_rule_params']:,.0f} parameters, the evolved head {v['e5_evolved_test']:.1%} with "
        f"{v['e5_evolved_params']:,.0f}, never editing {v['e5_noop_test']:.1%}."
    )
    better = v["e6_ticket_at_small"] > v["e6_dense_test"] + max(v["e6_dense_sd"], v["e6_resolution"])
    run, low = v["e6_ticket_run_remaining"], v["e6_ticket_min_remaining"]
    band = max(v["e6_dense_sd"], v["e6_resolution"])
    rg, rgse = v["e6_reinit_gap_small"], v["e6_reinit_gap_small_se"]
    win = low <= 0.2
    beat = rg > 2 * rgse
    vs_reinit = _cmp(rg, 0.0, 2 * rgse, "beat", "are not detectably better than", "are worse than")
    # "yes" needs every round down to 20 % to match (a contiguous run), not only some sparse round
    lead = "Yes" if win and beat and run <= 0.2 else ("Partly" if win or beat else "No")
    where = (
        f"every pruned round down to {run:.0%} of the weights stays within one seed SD "
        f"({100 * band:.1f} pp) of the dense net ({v['e6_dense_test']:.1%})"
        if run < 1.0
        else f"the first pruned round already falls more than one seed SD ({100 * band:.1f} pp) below "
        f"the dense net ({v['e6_dense_test']:.1%})"
    )
    if low < run:
        where += f"; the smallest ticket back within it keeps {low:.0%}"
    which = "the first round at or below 20 %" if v["e6_small_remaining"] <= 0.2 else "the sparsest round"
    a["answer_e6"] = (
        f"{lead}, in the lottery-ticket sense: pruning by its own trained magnitudes, {where}. At "
        f"{v['e6_small_remaining']:.0%} of the weights ({which}) tickets {vs_reinit} re-initialisation "
        f"({_pm_pp(rg, rgse)}) and reach 95 % validation accuracy after "
        f"{v['e6_speed_ticket_small']:.0f} epochs (dense {v['e6_speed_dense']:.0f}). "
        + (
            f"There the ticket ({v['e6_ticket_at_small']:.1%}) is more than one seed SD above the "
            "dense net, the direction of Q&A 000's 'significantly better' sparse nets, though one "
            "seed SD is no significance test."
            if better
            else "Sparse nets are not 'significantly better' on this easy task (ticket "
            f"{v['e6_ticket_at_small']:.1%})."
        )
    )
    d_triv = v["e7_triv_fitness_last"] - v["e7_endo_fitness_last"]
    follows = (
        v["e7_endo_mut_last"] < v["e7_endo_mut_first"]
        and v["e7_endo_fitness_last"] > v["e7_endo_fitness_first"]
    )
    endo, exo, low_ = v["e7_endo_within_slope"], v["e7_exo_within_slope"], v["e7_exlo_within_slope"]
    ratio = min(exo, low_) / endo if endo < 0 else float("nan")
    specific = endo < 0 and ratio < 0.25
    a["answer_e7"] = (
        f"{'Yes' if follows else 'Not clearly'}: when offspring are the nets' own imperfect copies, "
        f"the mutation rate moves from {v['e7_endo_mut_first']:.2f} to {v['e7_endo_mut_last']:.2f} "
        f"bits per copy and mean fitness from {v['e7_endo_fitness_first']:.1%} to "
        f"{v['e7_endo_fitness_last']:.1%}"
        + (", as in SeRANN. " if follows else ". ")
        + (
            "At fixed architecture the copy error falls only with self-copying "
            if specific
            else "At fixed architecture the copy error does not fall only with self-copying "
        )
        + f"({endo:+.3f} bits per generation; under fixed external mutation {exo:+.3f} and "
        f"{low_:+.3f}). A constant replicator 'copies' with {v['e7_triv_mut_last']:.0f} errors while "
        f"copying nothing, and its fitness ({v['e7_triv_fitness_last']:.1%}) is "
        + (
            "higher, because copying costs the others λ."
            if d_triv > 0
            else "no higher than the self-copiers'."
        )
    )
    return a


def prose_words(v: Mapping[str, float]) -> dict[str, str]:
    """Short computed phrases the prose glues (word_*), so a sentence cannot claim a direction the
    numbers do not show."""
    w: dict[str, str] = {}
    gap, gse = v["e4_gap_ghn_mlp_id"], v["e4_gap_ghn_mlp_id_se"]
    w["word_e4_mp"] = (
        "Message passing over the real edges, the skips included, helps: what a layer's neighbours are "
        "adds to what its own token states"
        if gap > 2 * gse
        else "Message passing runs over real edges here, the skips included, yet adds nothing detectable: "
        "each token already states its own fan-in, fan-out, position, activation and skip, and that is "
        "nearly all a layer's weights need in these nets"
        if gap > -2 * gse
        else "Message passing over the real edges, the skips included, does worse than none: it adds "
        "parameters that the few training architectures do not pin down"
    )
    bl, blse = v["e5_gain_fit_vs_blind"], v["e5_gain_fit_vs_blind_se"]
    w["word_e5_blind"] = _cmp(
        bl,
        0.0,
        2 * blse,
        "reading itself gains fitness over the blind twin",
        "reading itself gives no detectable gain: the blind twin does as well",
        "the blind twin does better than the head that reads itself",
    )
    g0, g0se = v["e5_gain_fit_vs_gen0"], v["e5_gain_fit_vs_gen0_se"]
    w["word_e5_gen0"] = _cmp(
        g0,
        0.0,
        2 * g0se,
        "evolution improves on the best random head, so part of the gain over random edits is evolution's",
        "evolution adds nothing detectable to picking the best random head, so the gain over random "
        "edits is mostly that of some fixed way of growing, not of evolution",
        "the best random head of generation 0 does better than the evolved one",
    )
    paths, n_seeds = v["e5_evolved_distinct_paths"], v["e5_test_seeds"]
    w["word_e5_paths"] = (
        "so what the head 'decides' is mostly a schedule in time (for example, grow early, then "
        "stop) rather than a reaction to what it reads about itself"
        if paths <= 0.5 * n_seeds
        else "so the head does react to the body it is editing"
    )
    ru, ruse = v["e5_gain_fit_vs_rule"], v["e5_gain_fit_vs_rule_se"]
    w["word_e5_rule"] = _cmp(ru, 0.0, 2 * ruse, "above", "level with", "below")
    up = v["e7_exlo_fitness_up_frac"]
    w["word_e7_exlo_fitness"] = (
        "rises as well: a low mutation rate, however it arises, lets selection work, so the rise of "
        "fitness alone is not specific to self-copying"
        if up >= 0.7
        else "does not rise reliably, so the rise of fitness under self-copying is not explained by "
        "a low mutation rate alone"
    )
    endo = v["e7_endo_within_slope"]
    fall = min(v["e7_exo_within_slope"], v["e7_exlo_within_slope"])
    ratio = fall / endo if endo < 0 else float("nan")
    w["word_e7_specific"] = (
        "The fall of the latent self-copy error at fixed architecture is specific to self-copying: "
        "under fixed external mutation it does not fall at all, so only when the copies are the "
        "networks' own does selection act on how well they copy"
        if endo < 0 and fall >= 0
        else f"The fall of the latent self-copy error at fixed architecture is specific to self-copying: "
        f"the steeper external arm reaches {ratio:.0%} of its slope, so only when the copies are the "
        "networks' own does selection act on how well they copy"
        if endo < 0 and ratio < 0.25
        else "Not even the fall of the latent self-copy error at fixed architecture is specific to "
        f"self-copying: the steeper external arm reaches {ratio:.0%} of its slope"
        if endo < 0
        else "At fixed architecture the latent self-copy error does not fall under self-copying "
        f"({endo:+.4f} bits per generation): its raw fall is a drift towards architectures that copy "
        "well"
    )
    rg, rgse = v["e6_reinit_gap_small"], v["e6_reinit_gap_small_se"]
    w["word_e6_reinit"] = (
        "What the trained magnitudes keep, together with the initial values they started from, is "
        "what matters"
        if rg > 2 * rgse
        else "At this sparsity, rewinding to θ0 adds no detectable accuracy over a fresh "
        "initialisation of the same mask: the mask, which the trained magnitudes chose, carries "
        "what the ticket keeps"
    )
    run, low = v["e6_ticket_run_remaining"], v["e6_ticket_min_remaining"]
    if run < 1.0 and low >= run:
        w["word_e6_run"] = (
            f"This is a contiguous run: every pruning round down to {run:.1%} of the weights stays "
            "within the band"
        )
    elif run < 1.0:
        w["word_e6_run"] = (
            f"This is the smallest passing round, not a contiguous run: every round passes down to "
            f"{run:.1%} of the weights, then some rounds in between fall outside the band before "
            f"the {low:.1%} ticket is back inside it (see Table 6b.4)"
        )
    elif low < 1.0:
        w["word_e6_run"] = (
            "This is the smallest passing round, not a contiguous run: already the first pruned "
            f"round falls outside the band, and the {low:.1%} ticket is back inside it (see "
            "Table 6b.4)"
        )
    else:
        w["word_e6_run"] = "No pruned round stays within the band (see Table 6b.4)"
    d = v["e7_triv_minus_endo_fitness"]
    w["word_e7_triv"] = "higher than" if d > 0 else "no higher than"
    return w


QUESTIONS: list[tuple[str, str, str]] = [
    (
        "Can a network predict the weights of architectures it has never seen? (004, GHN-2)",
        "answer_e4",
        "A4.1-A4.4",
    ),
    (
        "Can a network modify its own architecture without backpropagation? (000/001)",
        "answer_e5",
        "A5.1, A5.2",
    ),
    (
        "Is it the network that modifies itself, or an external algorithm? (001, nbro)",
        "answer_nbro",
        "A5.4",
    ),
    (
        "Expand, or just train more, and where? (001, dynamically expandable networks)",
        "answer_den",
        "A5.3",
    ),
    (
        "Does a network learn for itself which connections are unimportant, and are sparse nets "
        "better? (000/001, lottery ticket)",
        "answer_e6",
        "A6.1-A6.3",
    ),
    (
        "Can networks copy their own architecture, and does evolution follow? (000/001 'show it "
        "its own code'; SeRANN)",
        "answer_e7",
        "A7.1-A7.4",
    ),
]
