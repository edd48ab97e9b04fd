"""Chapter 6b's claims A4.1-A7.4: each decided from the glued numbers it declares in `uses`, every rule
ending in the one ladder `selfrep.claims.verdict`; the verdicts for prose and the claims table."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from selfrep.chapters.self_modification.config import CHAPTER
from selfrep.claims import Claim, holm, verdict
from selfrep.claims import claims_table as styled_claims_table


def _fmt(x: float, f: str = ".3f") -> str:
    return format(float(x), f)


def _c41(v: Mapping[str, float]) -> tuple[str, str]:
    gap, se, z = v["e4_gap_ghn_mlp_id"], v["e4_gap_ghn_mlp_id_se"], v["e4_gap_ghn_mlp_id_z"]
    m = (
        f"graph GHN {_fmt(v['e4_ghn_id_acc0'])} vs MLP hypernet {_fmt(v['e4_mlp_id_acc0'])} "
        f"(gap {gap:+.3f} ± {se:.3f} SE, z = {z:.1f})"
    )
    # partly: significant but smaller than half a point
    return m, verdict(z > 2 and gap > 0.005, z > 2)


def _c42(v: Mapping[str, float]) -> tuple[str, str]:
    idv = v["e4_ghn_id_acc0"]
    splits = ("deeper", "wider", "otheract")
    drop = {k: (v[f"e4_drop_{k}"], v[f"e4_drop_{k}_se"]) for k in splits}
    m = f"ID {_fmt(idv)}; drop below ID: " + ", ".join(
        f"{k} {d:+.3f} ± {se_:.3f} SE" for k, (d, se_) in drop.items()
    )
    lower = holm([v[f"e4_drop_{k}_z"] for k in splits])  # three tests: Holm's step-down
    return m, verdict(all(lower), any(lower))


def _c43(v: Mapping[str, float]) -> tuple[str, str]:
    ds, dss = v["e4_drop_shuffled_id"], v["e4_drop_shuffled_id_se"]
    dc, dcs = v["e4_drop_constant_id"], v["e4_drop_constant_id_se"]
    m = f"drop with shuffled tokens {ds:+.3f} ± {dss:.3f} SE; with constant tokens {dc:+.3f} ± {dcs:.3f} SE"
    ok = holm([v["e4_drop_shuffled_id_z"], v["e4_drop_constant_id_z"]])  # two tests: Holm
    return m, verdict(all(ok), any(ok))


def _c44(v: Mapping[str, float]) -> tuple[str, str]:
    k, worse, cells = v["e4_matched_steps_id"], v["e4_ft_worse_cells"], v["e4_ft_cells"]
    g, gse = v["e4_ft_gap_final"], v["e4_ft_gap_final_se"]
    m = (
        f"0-step GHN = {k:.0f} Adam steps from random init (ID median); GHN init significantly "
        f"worse than random init in {worse:.0f}/{cells:.0f} (split, steps) cells (Holm); after "
        f"{v['e4_finetune_max_steps']:.0f} steps, GHN init - random init {g:+.3f} ± {gse:.3f} SE"
    )
    return m, verdict(k >= 50 and worse == 0, k >= 10 or worse <= 1)


def _c51(v: Mapping[str, float]) -> tuple[str, str]:
    x = v["e5_max_dlogit"]
    return f"max |Δlogits| = {x:.2e}", verdict(x < 1e-5)


def _c52(v: Mapping[str, float]) -> tuple[str, str]:
    d, se, w = v["e5_gain_fit_vs_random"], v["e5_gain_fit_vs_random_se"], v["e5_wins_vs_random"]
    z = v["e5_gain_fit_vs_random_z"]
    m = (
        f"fitness gain over random edits {d:+.4f} ± {se:.4f} SE (paired per body seed, z = {z:.1f}), "
        f"wins {w:.0%} of episodes"
    )
    return m, verdict(z > 2)


def _c53(v: Mapping[str, float]) -> tuple[str, str]:
    diff, sd, ratio = v["e5_grown_minus_scratch"], v["e5_scratch_seed_sd"], v["e5_compute_ratio"]
    m = (
        f"grown - from scratch (bench) = {diff:+.3f} test acc (seed SD {sd:.3f}); "
        f"charged param-epochs ratio {ratio:.2f}"
    )
    close, cheap = diff >= -sd, ratio < 1.0
    # partly: matches, but not cheaper (a net that ends worse is trivially cheaper: no credit)
    return m, verdict(close and cheap, close)


def _c54(v: Mapping[str, float]) -> tuple[str, str]:
    same, d, se = v["e5_blind_same_arch"], v["e5_gain_fit_vs_blind"], v["e5_gain_fit_vs_blind_se"]
    z = v["e5_gain_fit_vs_blind_z"]
    m = (
        f"blind (open-loop) head ends in the same architecture in {same:.0%} of episodes; "
        f"fitness gain of reading itself {d:+.4f} ± {se:.4f} SE (per body seed, z = {z:.1f})"
    )
    return m, verdict(z > 2 and same < 0.5, z > 2)


def _c61(v: Mapping[str, float]) -> tuple[str, str]:
    r = v["e6_ticket_min_remaining"]
    m = f"smallest ticket within 1 seed SD of dense: {r:.1%} of weights remaining"
    return m, verdict(r <= 0.2, r <= 0.5)


def _c62(v: Mapping[str, float]) -> tuple[str, str]:
    # e6_reinit_gap_small_sd is floored at one test digit (1/360): seeds that agree exactly
    # cannot give a zero SE
    d, sd, n = v["e6_reinit_gap_small"], v["e6_reinit_gap_small_sd"], v["e6_n_seeds"]
    se = sd / np.sqrt(n) if n > 1 else float("nan")
    z = v["e6_reinit_gap_small_z"]
    m = f"ticket - reinit at {v['e6_small_remaining']:.1%} remaining: {d:+.4f} ± {se:.4f} SE (z = {z:.1f})"
    return m, verdict(z > 2)


def _c63(v: Mapping[str, float]) -> tuple[str, str]:
    g, gse = v["e6_stop_gap_small"], v["e6_stop_gap_small_se"]
    sg, sgse = v["e6_speed_gap_small"], v["e6_speed_gap_small_se"]
    m = (
        f"at {v['e6_small_remaining']:.1%}: early-stop epoch {v['e6_stop_ticket_small']:.1f} vs "
        "dense "
        f"{v['e6_stop_dense']:.1f} (gap {g:+.1f} ± {gse:.1f} SE); epochs to 95 % val "
        f"{v['e6_speed_ticket_small']:.1f} vs {v['e6_speed_dense']:.1f} (gap {sg:+.1f} ± "
        f"{sgse:.1f} SE)"
    )
    stop, speed = holm([v["e6_stop_gap_small_z"], v["e6_speed_gap_small_z"]])  # two tests: Holm
    return m, verdict(stop, speed)


def _c71(v: Mapping[str, float]) -> tuple[str, str]:
    f = v["e7_endo_fitness_up_frac"]
    m = (
        f"mean fitness {v['e7_endo_fitness_first']:.3f} -> {v['e7_endo_fitness_last']:.3f}; "
        f"slope > 0 in {f:.0%} of repeats"
    )
    return m, verdict(f >= 0.7, f >= 0.5)


def _c72(v: Mapping[str, float]) -> tuple[str, str]:
    f = v["e7_endo_mut_down_frac"]
    m = (
        f"mutation rate {v['e7_endo_mut_first']:.2f} -> {v['e7_endo_mut_last']:.2f} bits/copy; "
        f"slope < 0 in {f:.0%} of repeats"
    )
    return m, verdict(f >= 0.7, f >= 0.5)


def _c73(v: Mapping[str, float]) -> tuple[str, str]:
    endo, exo, low = v["e7_endo_within_slope"], v["e7_exo_within_slope"], v["e7_exlo_within_slope"]
    ratio = min(exo, low) / endo if endo < 0 else float("nan")  # the arm that falls most
    m = (
        f"self-copy error slope at fixed architecture: endogenous {endo:+.4f}; fixed external mutation "
        f"at the initial rate {exo:+.4f}, at the final rate {low:+.4f} bits/generation (largest ratio "
        f"{ratio:.2f}); raw slopes {v['e7_endo_self_error_slope']:+.4f}, "
        f"{v['e7_exo_self_error_slope']:+.4f}, {v['e7_exlo_self_error_slope']:+.4f}"
    )
    return m, verdict(endo < 0 and ratio < 0.25, endo < 0 and ratio < 0.5)


def _c74(v: Mapping[str, float]) -> tuple[str, str]:
    u, mut, re = v["e7_triv_unique_last"], v["e7_triv_mut_last"], v["e7_triv_random_error_last"]
    m = (
        f"trivial replicator: {u:.0f} genotype left, mutation rate {mut:.2f}, yet copies random "
        "genotypes "
        f"with {re:.2f}/{v['e7_bits']:.0f} bit errors"
    )
    return m, verdict(u == 1 and mut == 0)


def _claim(
    id: str,
    statement: str,
    paper: str,
    uses: tuple[str, ...],
    rule: str,
    decide,
    expected: dict[str, str],
    **more,
) -> Claim:
    return Claim(
        id=id,
        chapter=CHAPTER,
        statement=statement,
        paper=paper,
        uses=uses,
        rule=rule,
        decide=decide,
        expected=expected,
        **more,
    )


CLAIMS: list[Claim] = [
    _claim(
        "A4.1",
        "A chain (message-passing) encoder predicts better weights than an MLP hypernetwork.",
        "GHN-2 66.9 % vs MLP hypernet 42.2 % (CIFAR-10, 0 steps)",
        (
            "e4_gap_ghn_mlp_id",
            "e4_gap_ghn_mlp_id_se",
            "e4_gap_ghn_mlp_id_z",
            "e4_ghn_id_acc0",
            "e4_mlp_id_acc0",
        ),
        "holds if the paired gap (graph GHN - MLP hypernet, same architecture and seed) > 2 SE and > "
        "0.005; partly if only > 2 SE; otherwise differs",
        _c41,
        {"ci": "differs", "paper": "differs"},
        tests=("e4_gap_ghn_mlp_id_z",),
    ),
    _claim(
        "A4.2",
        "Predicted weights lose accuracy on out-of-distribution architectures.",
        "GHN-2: deep 60.5 %, wide 64.0 %, BN-free 36.8 % vs in-distribution 66.9 %",
        (
            "e4_ghn_id_acc0",
            "e4_drop_deeper",
            "e4_drop_deeper_se",
            "e4_drop_wider",
            "e4_drop_wider_se",
            "e4_drop_otheract",
            "e4_drop_otheract_se",
            "e4_drop_deeper_z",
            "e4_drop_wider_z",
            "e4_drop_otheract_z",
        ),
        "'lose accuracy' read as: mean 0-step accuracy below ID by > 2 SE (unpaired, architectures "
        "x GHN seeds), the three splits' tests corrected by Holm's step-down; holds if every OOD split "
        "is, partly if some are, differs if none",
        _c42,
        {"ci": "partly", "paper": "partly"},
        tests=("e4_drop_deeper_z", "e4_drop_wider_z", "e4_drop_otheract_z"),
    ),
    _claim(
        "A4.3",
        "The hypernetwork uses the architecture description (scrambled tokens lose accuracy).",
        "design check: shuffled/constant architecture tokens (no paper number)",
        (
            "e4_drop_shuffled_id",
            "e4_drop_shuffled_id_se",
            "e4_drop_constant_id",
            "e4_drop_constant_id_se",
            "e4_drop_shuffled_id_z",
            "e4_drop_constant_id_z",
        ),
        "holds if both drops (paired) > 2 SE, the two tests corrected by Holm's step-down; partly if one",
        _c43,
        {"ci": "holds", "paper": "holds"},
        tests=("e4_drop_shuffled_id_z", "e4_drop_constant_id_z"),
    ),
    _claim(
        "A4.4",
        "0-step predicted weights are worth K training steps, and never fine-tune worse.",
        "GHN-2 66.9 % at 0 steps vs 69.2 % after 2,500 iterations (article 004)",
        (
            "e4_matched_steps_id",
            "e4_ft_worse_cells",
            "e4_ft_cells",
            "e4_ft_gap_final",
            "e4_ft_gap_final_se",
            "e4_finetune_max_steps",
        ),
        "fine-tuning runs as many Adam steps as the 'trained' reference; a (split, steps) cell is "
        "worse if GHN init - random init (paired) < -2 SE, the cells' tests corrected by Holm's "
        "step-down; holds if K >= 50 Adam steps and no cell is worse; partly if K >= 10 or <= 1 "
        "worse cell",
        _c44,
        {"ci": "holds", "paper": "holds"},
        # measured by `selfrep sweep --seeds 0-2 --scale ci`: seeds 1 and 2 leave one cell worse
        seed_dependent={"ci": {"holds": 1, "partly": 2}},
    ),
    _claim(
        "A5.1",
        "Net2Wider / Net2Deeper preserve the network's function exactly.",
        "Net2Net: function-preserving transformations",
        ("e5_max_dlogit",),
        "holds if max |Δlogits| < 1e-5",
        _c51,
        {"ci": "holds", "paper": "holds"},
    ),
    _claim(
        "A5.2",
        "An evolved self-edit head beats random edits (paired over body seeds).",
        "seeds 000/001: a CPPN-like net emits its own edits, fitness from the task",
        ("e5_gain_fit_vs_random", "e5_gain_fit_vs_random_se", "e5_gain_fit_vs_random_z", "e5_wins_vs_random"),
        "'beats' read as: paired fitness gain (evolved - random, same body seed) > 2 SE, the SE over "
        "body seeds of the per-seed gain (mean over evolved heads; the seed's one random run is "
        "reused by every head); otherwise differs (no detectable gain)",
        _c52,
        {"ci": "holds", "paper": "holds"},
        tests=("e5_gain_fit_vs_random_z",),
    ),
    _claim(
        "A5.3",
        "Grown nets match the same architecture trained from scratch, for less compute.",
        "Net2Net: growing 'accelerates' experimentation",
        ("e5_grown_minus_scratch", "e5_scratch_seed_sd", "e5_compute_ratio"),
        "'match' read as: grown >= scratch - 1 seed SD; holds if they match and are charged fewer "
        "param-epochs than scratch; partly if they match at no saving; differs if they do not "
        "match (being cheaper while worse is no part of the claim)",
        _c53,
        {"ci": "differs", "paper": "differs"},
    ),
    _claim(
        "A5.4",
        "The evolved head's edits depend on what it reads about itself.",
        "Q&A 001 (nbro): the selection is external; is the edit computed by the net?",
        ("e5_blind_same_arch", "e5_gain_fit_vs_blind", "e5_gain_fit_vs_blind_se", "e5_gain_fit_vs_blind_z"),
        "'depend on' read as: the evolved head beats its blind (open-loop) twin by > 2 SE "
        "fitness (paired; SE over body seeds of the per-seed mean gain); holds if so and the blind "
        "head ends in another architecture in > 50 % of episodes; partly if only the fitness gain "
        "passes; differs if there is no detectable "
        "gain (different architectures alone are no evidence: any change of input changes them)",
        _c54,
        # ci seed 0: the blind twin does better (z = -3.8); paper: the evolved head does (z = +2.5, SE per
        # body seed; the SE over all head x seed pairs gave z < 2, "differs", before). At ci the verdict
        # depends on the seed: `selfrep sweep --seeds 0-2 --scale ci` measured holds for seeds 1 and 2.
        {"ci": "differs", "paper": "holds"},
        seed_dependent={"ci": {"holds": 2, "differs": 1}},
        tests=("e5_gain_fit_vs_blind_z",),
    ),
    _claim(
        "A6.1",
        "Winning tickets of <= 20 % of the weights match the dense net.",
        "Frankle & Carbin: tickets < 10-20 % of the size match or beat the dense net",
        ("e6_ticket_min_remaining",),
        "'match' read as: ticket mean >= dense mean - 1 seed SD (SD floored at one test digit, "
        "1/360); holds if some ticket of <= 20 % of the weights matches; partly if only <= 50 %",
        _c61,
        {"ci": "holds", "paper": "holds"},
    ),
    _claim(
        "A6.2",
        "Randomly re-initialised tickets are worse at <= 20 % remaining (read at the first "
        "pruning round with <= 20 % of the weights).",
        "Frankle & Carbin: re-initialised tickets 'drop significantly'",
        (
            "e6_reinit_gap_small",
            "e6_reinit_gap_small_sd",
            "e6_reinit_gap_small_z",
            "e6_n_seeds",
            "e6_small_remaining",
        ),
        "'drop significantly' read as: ticket - re-init > 2 SE (paired by seed; seed SD floored at "
        "one test digit, 1/360) at the first pruning round with <= 20 % of the weights remaining "
        "(the sparsest round if none reaches 20 %); otherwise differs",
        _c62,
        # ci runs the paper's first 8 rounds exactly (same seeds, epochs, rates), so the two scales
        # read the same numbers: +0.0056 ± 0.0025 SE at 17.3 % (5 seeds, z = 2.2, on the 2-SE edge;
        # the one-net-at-a-time trainer of earlier versions measured +0.0044 ± 0.0024, z = 1.8)
        {"ci": "holds", "paper": "holds"},
        tests=("e6_reinit_gap_small_z",),
    ),
    _claim(
        "A6.3",
        "Tickets learn faster (earlier early-stop epoch) than the dense net.",
        "Frankle & Carbin: tickets 'learn faster'; up to 6.7x (v1)",
        (
            "e6_stop_gap_small",
            "e6_stop_gap_small_se",
            "e6_speed_gap_small",
            "e6_speed_gap_small_se",
            "e6_stop_ticket_small",
            "e6_stop_dense",
            "e6_speed_ticket_small",
            "e6_speed_dense",
            "e6_small_remaining",
            "e6_stop_gap_small_z",
            "e6_speed_gap_small_z",
        ),
        "'learn faster' read, as in the paper, as an earlier early-stop epoch (min val loss) by "
        "> 2 SE (paired; seed SD floored at 1 epoch) at the first pruning round with <= 20 % of "
        "the weights remaining: holds; partly if only the second measure, the first epoch at 95 % "
        "validation accuracy, is earlier by > 2 SE (the two tests corrected by Holm's step-down)",
        _c63,
        {"ci": "partly", "paper": "partly"},
        tests=("e6_stop_gap_small_z", "e6_speed_gap_small_z"),
    ),
    _claim(
        "A7.1",
        "Mean fitness rises over generations.",
        "SeRANN: 'in the first 270 generations, the population mean fitness increased'",
        ("e7_endo_fitness_up_frac", "e7_endo_fitness_first", "e7_endo_fitness_last"),
        "holds if the slope is positive in >= 70 % of repeats; partly if >= 50 %",
        _c71,
        {"ci": "holds", "paper": "holds"},
    ),
    _claim(
        "A7.2",
        "The endogenous mutation rate falls (selection for copy fidelity).",
        "SeRANN: '... and the mutation rate decreased'",
        ("e7_endo_mut_down_frac", "e7_endo_mut_first", "e7_endo_mut_last"),
        "holds if the slope is negative in >= 70 % of repeats; partly if >= 50 %",
        _c72,
        {"ci": "holds", "paper": "holds"},
    ),
    _claim(
        "A7.3",
        "The fall of the copy error is absent under fixed external mutation.",
        "design control (no paper number)",
        (
            "e7_endo_within_slope",
            "e7_exo_within_slope",
            "e7_exlo_within_slope",
            "e7_endo_self_error_slope",
            "e7_exo_self_error_slope",
            "e7_exlo_self_error_slope",
        ),
        "the copy error is read at fixed architecture (each architecture's effect on it removed by "
        "least squares over the world's phenotypes, with lambda), so that a drift towards "
        "architectures that copy well cannot pass for selection on copying; 'absent' read as: under "
        "both external rates (the endogenous runs' initial and final mutation rates) that slope is "
        "< 25 % of the endogenous one, which must fall (holds); < 50 % (partly); otherwise differs",
        _c73,
        # at fixed architecture, paper: -0.0124 endogenous, -0.0026 / +0.0074 fixed (ratio 0.21); the raw
        # slopes (-0.0463, -0.0078, -0.0146, ratio 0.31) gave "partly" there and "holds" at ci
        {"ci": "holds", "paper": "holds"},
    ),
    _claim(
        "A7.4",
        "A trivial replicator (constant output) collapses diversity to one genotype.",
        "quine lesson: 'rapidly converges to a trivial zero quine'",
        ("e7_triv_unique_last", "e7_triv_mut_last", "e7_triv_random_error_last", "e7_bits"),
        "holds if one genotype is left and its mutation rate is 0",
        _c74,
        {"ci": "holds", "paper": "holds"},
    ),
]


# Why a claim's recorded verdict differs between the scales, for each claim where it does (a test requires
# one entry per such claim and no other).
SCALE_REASONS: dict[str, str] = {
    "A5.4": "at ci the verdict depends on the seed: over seeds 0-2 (selfrep sweep) it holds for seeds 1 "
    "and 2, as at paper scale, and differs for seed 0, where the blind twin does better; the ci head evolves "
    "for 4 generations of 6 heads (paper: 15 of 8), and the paper verdict is measured for seed 0 only"
}


# --------------------------------------------------------------------------------------------------
# Verdicts, claims table, closing answers
# --------------------------------------------------------------------------------------------------
def verdict_values(v: Mapping[str, float]) -> dict[str, str]:
    """{"verdict_A4_1": "holds", ...} for every claim whose glued values are all present."""
    return {
        f"verdict_{c.id.replace('.', '_')}": c.decide(v)[1] for c in CLAIMS if all(u in v for u in c.uses)
    }


def claims_table(v: Mapping[str, float], scale: str):
    """Every claim of the chapter with its verdict and the verdict recorded for this scale, styled like
    every chapter's claims table (`selfrep.claims.claims_table`; the DataFrame is its `.data`), which
    shows a claim whose records differ between the scales with both ("differs (paper: holds)")."""
    return styled_claims_table(CLAIMS, v, scale)


def scale_dependent_claims() -> str:
    """Ids of the claims whose recorded verdict differs between the ci and paper scales."""
    ids = [c.id for c in CLAIMS if c.expected.get("ci") != c.expected.get("paper")]
    return ", ".join(ids) if ids else "none"


def scale_note() -> str:
    """One sentence for the answer box: every verdict is the same at both scales, or which are not and
    their paper-scale verdicts (the ones the answers stand on)."""
    differ = [c for c in CLAIMS if c.expected.get("ci") != c.expected.get("paper")]
    if not differ:
        return (
            "Every verdict of this chapter is the same at ci and at paper scale (the claims table's "
            "'expected' column)."
        )
    parts = "; ".join(
        f"“{c.statement}” ({c.id}) {c.expected['paper']} at paper scale, {c.expected['ci']} at ci"
        for c in differ
    )
    return (
        f"Every verdict of this chapter is the same at ci and at paper scale except one: {parts}. "
        if len(differ) == 1
        else f"Every verdict of this chapter is the same at ci and at paper scale except these: {parts}. "
    ) + "Below paper scale, the answer that rests on such a claim ends with its paper-scale verdict."
