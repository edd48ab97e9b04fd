"""Chapter 06b: presets registered, claims decide from glued values, closing table builds."""

import math

import pytest

from selfrep.archsearch import chapter06b as ch
from selfrep.claims import VERDICTS
from selfrep.scales import preset


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
        "C4.1",
        "C4.2",
        "C4.3",
        "C4.4",
        "C5.1",
        "C5.2",
        "C5.3",
        "C5.4",
        "C6.1",
        "C6.2",
        "C6.3",
        "C7.1",
        "C7.2",
        "C7.3",
        "C7.4",
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
    c = next(c for c in ch.CLAIMS if c.id == "C5.1")
    assert c.decide({"e5_max_dlogit": x})[1] == verdict


def test_c72_fraction_rule():
    c = next(c for c in ch.CLAIMS if c.id == "C7.2")
    v = Values(e7_endo_mut_down_frac=0.8)
    assert c.decide(v)[1] == "holds"
    v["e7_endo_mut_down_frac"] = 0.6
    assert c.decide(v)[1] == "partly"
    v["e7_endo_mut_down_frac"] = 0.2
    assert c.decide(v)[1] == "differs"


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
    t = ch.claims_table(Values(), "ci")
    assert list(t.index) == [c.id for c in ch.CLAIMS]


def test_nan_values_do_not_crash_claims():
    v = Values(e6_ticket_min_remaining=math.nan)
    assert next(c for c in ch.CLAIMS if c.id == "C6.1").decide(v)[1] == "differs"


def test_page_tables_from_tiny_runs():
    from selfrep.archsearch.hypernet import GHNConfig, run_hypernet
    from selfrep.archsearch.lottery import LotteryConfig, run_lottery
    from selfrep.archsearch.serann import SerannConfig, run_serann

    g = GHNConfig(
        steps=2,
        meta_batch=2,
        image_batch=8,
        n_test=2,
        ghn_seeds=1,
        curve_steps=(0, 2),
        finetune_steps=(0, 100),
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
    assert len(t7) == 6
    v7 = ch.e7_values(r7, sc)
    assert v7["e7_triv_unique_last"] == 1.0
