"""Chapter 06b: presets registered, claims decide from glued values, closing table builds."""

import math

import pytest

from selfrep.chapters import preset
from selfrep.chapters import self_modification as ch
from selfrep.claims import VERDICTS


class Values(dict):
    """Glued values for a smoke test: every name present, each 0.5 unless set."""

    def __missing__(self, key):
        return 0.5

    def __contains__(self, key):
        return True


def test_presets_are_registered():
    for scale in ("ci", "paper"):
        cfg = preset("06b_self_modification", scale)
        assert isinstance(cfg, ch.SelfModConfig)
    assert preset("06b_self_modification", "ci", ghn=ch.PRESETS["paper"].ghn).ghn.steps == 1500


def test_claim_ids_and_expectations():
    ids = [c.id for c in ch.CLAIMS]
    assert ids == [
        "A4.1",
        "A4.2",
        "A4.3",
        "A4.4",
        "A5.1",
        "A5.2",
        "A5.3",
        "A5.4",
        "A6.1",
        "A6.2",
        "A6.3",
        "A7.1",
        "A7.2",
        "A7.3",
        "A7.4",
    ]
    for c in ch.CLAIMS:
        assert c.chapter == "06b_self_modification"
        assert set(c.expected) == {"ci", "paper"}


def test_every_claim_decides_from_values():
    for c in ch.CLAIMS:
        measured, verdict = c.decide(Values())
        assert isinstance(measured, str) and verdict in VERDICTS


@pytest.mark.parametrize("x,verdict", [(1e-7, "holds"), (1e-3, "differs")])
def test_c51_threshold(x, verdict):
    c = next(c for c in ch.CLAIMS if c.id == "A5.1")
    assert c.decide({"e5_max_dlogit": x})[1] == verdict


def test_c72_fraction_rule():
    c = next(c for c in ch.CLAIMS if c.id == "A7.2")
    v = Values(e7_endo_mut_down_frac=0.8)
    assert c.decide(v)[1] == "holds"
    v["e7_endo_mut_down_frac"] = 0.6
    assert c.decide(v)[1] == "partly"
    v["e7_endo_mut_down_frac"] = 0.2
    assert c.decide(v)[1] == "differs"


def _claim(cid):
    return next(c for c in ch.CLAIMS if c.id == cid)


def test_null_results_are_differs_not_partly():
    # a gain within 2 SE is no detectable effect (COMMON.md 1): differs, never partly
    v = Values(e5_gain_fit_vs_random=0.001, e5_gain_fit_vs_random_se=0.002, e5_gain_fit_vs_random_z=0.5)
    assert _claim("A5.2").decide(v)[1] == "differs"
    v = Values(e5_blind_same_arch=0.1, e5_gain_fit_vs_blind=-0.0056, e5_gain_fit_vs_blind_se=0.0057)
    v["e5_gain_fit_vs_blind_z"] = -0.0056 / 0.0057
    assert _claim("A5.4").decide(v)[1] == "differs"
    v["e5_gain_fit_vs_blind"] = 0.02
    v["e5_gain_fit_vs_blind_z"] = 0.02 / 0.0057
    assert _claim("A5.4").decide(v)[1] == "holds"
    v["e5_blind_same_arch"] = 0.9
    assert _claim("A5.4").decide(v)[1] == "partly"
    # grown nets 10 seed SDs worse are "differs", however cheap
    v = Values(e5_grown_minus_scratch=-0.029, e5_scratch_seed_sd=0.003, e5_compute_ratio=0.3)
    assert _claim("A5.3").decide(v)[1] == "differs"
    v["e5_grown_minus_scratch"] = -0.001
    assert _claim("A5.3").decide(v)[1] == "holds"
    v["e5_compute_ratio"] = 1.5
    assert _claim("A5.3").decide(v)[1] == "partly"


def test_ood_drop_needs_significance_after_holm():
    v = Values(e4_drop_deeper_z=5.0, e4_drop_wider_z=0.5, e4_drop_otheract_z=15.0)
    assert _claim("A4.2").decide(v)[1] == "partly"
    v["e4_drop_wider_z"] = 5.0
    assert _claim("A4.2").decide(v)[1] == "holds"
    # 2.1 SE passes one test at 2 SE, but three such tests do not survive Holm's first step
    v.update(e4_drop_deeper_z=2.1, e4_drop_wider_z=2.1, e4_drop_otheract_z=2.1)
    assert _claim("A4.2").decide(v)[1] == "differs"


def test_lottery_se_is_floored_at_resolution():
    # three seeds that all differ by exactly 4 test digits: SD 0, SE floored at (1/360)/sqrt(3)
    import pandas as pd

    rows = [
        dict(seed=s, round=r, condition=c, remaining=rem, test_at_stop=acc, test_at_init=0.1)
        | dict(stop_epoch=10, epochs_to_95=5)
        for r, rem in ((0, 1.0), (1, 0.15))
        for s in (0, 1, 2)
        for c, acc in (("ticket", 0.97), ("reinit", 0.97 - 4 / 360), ("random_mask", 0.9))
    ]
    v = ch.e6_values(pd.DataFrame(rows))
    assert v["e6_reinit_gap_small_sd"] == 1 / 360
    assert v["e6_reinit_gap_small_z"] == pytest.approx(4 * 3**0.5)
    measured, verdict = _claim("A6.2").decide(v)
    assert verdict == "holds" and "0.0016" in measured
    v["e6_reinit_gap_small_z"] = 3**0.5
    assert _claim("A6.2").decide(v)[1] == "differs"


def test_low_rate_exogenous_arm_enters_a73_at_fixed_architecture():
    v = Values(e7_endo_within_slope=-0.1, e7_exo_within_slope=0.0, e7_exlo_within_slope=-0.01)
    assert _claim("A7.3").decide(v)[1] == "holds"
    v["e7_exlo_within_slope"] = -0.08
    assert _claim("A7.3").decide(v)[1] == "differs"
    # the raw slopes do not decide: a raw fall with no fall at fixed architecture is "differs"
    v = Values(e7_endo_self_error_slope=-0.1, e7_exo_self_error_slope=0.0, e7_exlo_self_error_slope=0.0)
    v.update(e7_endo_within_slope=0.0, e7_exo_within_slope=0.0, e7_exlo_within_slope=0.0)
    assert _claim("A7.3").decide(v)[1] == "differs"


def test_answers_and_verdicts_are_strings():
    a = ch.answer_values(Values())
    assert set(a) == {
        "answer_e4",
        "answer_e5",
        "answer_nbro",
        "answer_den",
        "answer_e6",
        "answer_e7",
    }
    assert all(isinstance(x, str) and len(x) > 40 for x in a.values())
    verdicts = ch.verdict_values(Values())
    assert len(verdicts) == len(ch.CLAIMS) and set(verdicts.values()) <= set(VERDICTS)
    t = ch.claims_table(Values(), "ci").data
    assert list(t["id"]) == [c.id for c in ch.CLAIMS]
    words = ch.prose_words(Values())
    assert all(k.startswith("word_") and isinstance(x, str) for k, x in words.items())
    answers = ch.answers_table(Values()).data
    assert list(answers.columns) == ["answer", "claims"] and len(answers) == len(a)


def test_blind_twin_sign_wording():
    # evolved - blind < 0 beyond 2 SE: the prose must say the blind twin does better
    v = Values(e5_gain_fit_vs_blind=-0.02, e5_gain_fit_vs_blind_se=0.005)
    assert "blind twin does better" in ch.prose_words(v)["word_e5_blind"]
    assert "does worse than its blind twin" in ch.answer_values(v)["answer_nbro"]
    v["e5_gain_fit_vs_blind"] = -0.0056
    v["e5_gain_fit_vs_blind_se"] = 0.0057
    assert "no detectable gain" in ch.prose_words(v)["word_e5_blind"]


def test_scale_table_lists_only_differences():
    t = ch.scale_table().data
    assert "ghn.steps" in t.index and "ghn.hidden" not in t.index
    assert (t["ci"] != t["paper"]).all() and (t["meaning"] != "").all()


def test_nan_values_do_not_crash_claims():
    v = Values(e6_ticket_min_remaining=math.nan)
    assert next(c for c in ch.CLAIMS if c.id == "A6.1").decide(v)[1] == "differs"


def test_page_tables_from_tiny_runs():
    from selfrep.selfmod.hypernet import GHNConfig, run_hypernet
    from selfrep.selfmod.lottery import LotteryConfig, run_lottery
    from selfrep.selfmod.serann import SerannConfig, run_serann

    g = GHNConfig(
        steps=2,
        meta_batch=2,
        image_batch=8,
        n_test=2,
        ghn_seeds=1,
        curve_steps=(0, 2),
    )
    t4 = ch.e4_table(run_hypernet(g, 0), g)
    assert list(t4.columns) == ["in-distribution", "deeper", "wider", "other activation"]
    lc = LotteryConfig(sizes=(64, 16, 10), epochs=1, rounds=1, seeds=2)
    df = run_lottery(lc, 0)
    t6 = ch.e6_table(df)
    assert len(t6) == 2 and "ticket before training" in t6.columns
    v6 = ch.e6_values(df)
    assert all(isinstance(x, float) for x in v6.values())
    sc = SerannConfig(pop=4, generations=2, repeats=2, epochs=1)
    r7 = run_serann(sc, 0)
    t7 = ch.e7_table(r7["generations"], (0, 2))
    assert len(t7) == 8  # 4 conditions x 2 checkpoints
    v7 = ch.e7_values(r7, sc)
    assert v7["e7_triv_unique_last"] == 1.0
    assert "e7_exlo_self_error_slope" in v7 and v7["e7_exlo_rate_bits"] >= 0
    assert v6["e6_reinit_gap_small_sd"] >= v6["e6_resolution"] == 1 / 360
    assert v6["e6_ticket_run_remaining"] >= v6["e6_ticket_min_remaining"]


def test_scale_dependent_claims_and_e7_wording():
    assert ch.scale_dependent_claims() == ", ".join(
        c.id for c in ch.CLAIMS if c.expected["ci"] != c.expected["paper"]
    )
    v = Values(e7_endo_within_slope=-0.1, e7_exo_within_slope=0.0, e7_exlo_within_slope=-0.01)
    assert ch.prose_words(v)["word_e7_specific"].startswith("The fall")
    v["e7_exlo_within_slope"] = -0.06
    assert ch.prose_words(v)["word_e7_specific"].startswith("Not even")
    v["e7_endo_within_slope"] = 0.01
    assert ch.prose_words(v)["word_e7_specific"].startswith("At fixed architecture")


def test_e6_run_wording_follows_the_numbers():
    contiguous = ch.prose_words(Values(e6_ticket_run_remaining=0.112, e6_ticket_min_remaining=0.112))
    assert contiguous["word_e6_run"].startswith("This is a contiguous run")
    assert "outside" not in contiguous["word_e6_run"]
    gap = ch.prose_words(Values(e6_ticket_run_remaining=0.5, e6_ticket_min_remaining=0.112))
    assert "not a contiguous run" in gap["word_e6_run"] and "fall outside" in gap["word_e6_run"]
    first = ch.prose_words(Values(e6_ticket_run_remaining=1.0, e6_ticket_min_remaining=0.2))
    assert "already the first pruned round" in first["word_e6_run"]
    none = ch.prose_words(Values(e6_ticket_run_remaining=1.0, e6_ticket_min_remaining=1.0))
    assert none["word_e6_run"].startswith("No pruned round")


def test_e5_answer_shows_enough_digits_for_the_rule_gap():
    a = ch.answer_values(Values(e5_gain_fit_vs_rule=0.0049, e5_gain_fit_vs_rule_se=0.0025))
    assert "level with a fixed growth rule (+0.49 pp, SE 0.25)" in a["answer_e5"]


def test_e6_table_shows_paired_reinit_gap_with_se():
    import pandas as pd

    rows = [
        dict(seed=s, round=r, condition=c, remaining=rem, test_at_stop=acc, test_at_init=0.1)
        | dict(stop_epoch=10, epochs_to_95=5)
        for r, rem in ((0, 1.0), (1, 0.5))
        for s in (0, 1, 2)
        for c, acc in (("ticket", 0.97), ("reinit", 0.95), ("random_mask", 0.94))
    ]
    t = ch.e6_table(pd.DataFrame(rows))
    col = "ticket − re-init (± SE)"
    assert t[col].iloc[0] == "–"  # dense round: no re-init
    se = (1 / 360) / 3**0.5  # identical seeds: SD floored at one test digit
    assert t[col].iloc[1] == f"+0.0200 ± {se:.4f}"


def test_edit_trajectories_do_not_clip_val_accuracy():
    import pandas as pd

    from selfrep.plotting import self_modification as plots06b

    rows = [
        dict(policy="rule", test_seed=0, round=r, val_acc=a, action="+") | {f"w{i}": 10 for i in range(1, 5)}
        for r, a in enumerate((0.31, 0.62, 0.9))
    ]
    fig = plots06b.edit_trajectories(pd.DataFrame(rows), "rule", n=1)
    lo, hi = fig.axes[1].get_ylim()
    assert lo <= 0.31 and hi >= 0.9


def test_e6_reinit_wording_follows_the_gap():
    sig = Values(e6_reinit_gap_small=0.011, e6_reinit_gap_small_se=0.0016)
    assert ch.prose_words(sig)["word_e6_reinit"].startswith("What the trained magnitudes keep")
    assert "tickets beat re-initialisation" in ch.answer_values(sig)["answer_e6"]
    null = Values(e6_reinit_gap_small=0.004, e6_reinit_gap_small_se=0.003)
    assert "no detectable accuracy" in ch.prose_words(null)["word_e6_reinit"]
    assert "not detectably better than re-initialisation" in ch.answer_values(null)["answer_e6"]


def test_every_claim_has_one_verdict_at_both_scales_or_shows_both():
    # the ci preset must give the paper verdict; where it cannot, the row shows both and the answer
    # box names the paper verdict
    differ = [c for c in ch.CLAIMS if c.expected["ci"] != c.expected["paper"]]
    assert {c.id for c in differ} <= set(ch.SCALE_REASONS)
    assert set(ch.SCALE_REASONS) <= {c.id for c in differ}, "a reason for a claim that does not differ"
    t = ch.claims_table(Values(), "ci").data.set_index("id")["expected"]
    for c in differ:
        assert t[c.id] == f"{c.expected['ci']} (paper: {c.expected['paper']})"
        assert f"({c.id}) {c.expected['paper']} at paper scale" in ch.scale_note()


def test_significance_rules_declare_their_z_values():
    for c in ch.CLAIMS:
        if "2 SE" in c.rule and c.id != "A4.4":  # A4.4: Holm over its cells, counted in its rule
            assert c.tests, f"{c.id}: a '> 2 SE' rule must name its z values in tests="
        for t in c.tests:
            assert t.endswith("_z") and t in c.uses


def test_a44_can_fail_at_the_final_step():
    v = Values(e4_matched_steps_id=100.0, e4_ft_worse_cells=2.0, e4_ft_cells=28.0)
    v.update(e4_ft_gap_final=-0.01, e4_ft_gap_final_se=0.002)
    assert _claim("A4.4").decide(v)[1] == "partly"
    v["e4_ft_worse_cells"] = 0.0
    assert _claim("A4.4").decide(v)[1] == "holds"


def test_answers_below_paper_scale_carry_the_paper_verdict():
    from selfrep.chapters.self_modification.values import paper_answers

    a = ch.answer_values(Values())
    ci = paper_answers(a, "ci")
    for c in ch.CLAIMS:
        if c.id in ch.SCALE_REASONS:
            key = next(k for _, k, ids in ch.QUESTIONS if c.id in ids)
            assert ci[key].startswith(a[key]) and f"is {c.expected['paper']}" in ci[key]
    assert paper_answers(a, "paper") == a
