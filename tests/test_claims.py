"""The claims ledger: rule helpers, assessment of results, and the `selfrep claims` command."""

from __future__ import annotations

import json
import math

import pytest

import selfrep.book.ledger as ledger_mod
import selfrep.chapters as chapters_mod
import selfrep.claims as claims_mod
from selfrep.book.ledger import assess_all
from selfrep.claims import Claim, assess, at_least, at_most, near
from selfrep.cli import main
from selfrep.files import write_json_atomic


def _result(chapter, values, scale="ci"):
    return {
        "chapter": chapter,
        "scale": scale,
        "seed": 0,
        "versions": {},
        "wall_s": 1.0,
        "values": values,
    }


# ---------------------------------------------------------------------------- helpers


def test_at_least_thresholds():
    c = at_least(
        "X1",
        "ch",
        "most nets are fixpoints",
        paper="50/50",
        value="frac",
        holds=0.9,
        partly=0.5,
        expected="holds",
    )
    assert c.uses == ("frac",)
    assert c.expected == {"ci": "holds", "paper": "holds"}
    assert c.rule == "holds if frac ≥ 0.9; partly if ≥ 0.5; otherwise differs"
    assert c.decide({"frac": 0.95}) == ("frac = 0.95", "holds")
    assert c.decide({"frac": 0.9})[1] == "holds"
    assert c.decide({"frac": 0.6})[1] == "partly"
    assert c.decide({"frac": 0.1})[1] == "differs"
    assert c.decide({"frac": math.nan}) == ("frac = nan", "differs")


def test_at_most_without_partly_and_derived_values():
    c = at_most(
        "X2",
        "ch",
        "no second-order fixpoints",
        paper="none",
        value="n2",
        holds=0,
        expected={"ci": "holds", "paper": "holds"},
    )
    assert c.decide({"n2": 0})[1] == "holds" and c.decide({"n2": 1})[1] == "differs"
    d = at_most(
        "X3",
        "ch",
        "RE within a seed SD of RS",
        paper="0.23 pp",
        value=lambda v: abs(v["re"] - v["rs"]) / v["sd"],
        uses=("re", "rs", "sd"),
        label="|RE-RS|/SD",
        holds=1,
        partly=2,
        expected="holds",
        fmt=".2f",
    )
    assert d.uses == ("re", "rs", "sd")
    assert d.decide({"re": 0.9, "rs": 0.885, "sd": 0.01}) == ("|RE-RS|/SD = 1.50", "partly")


def test_near():
    c = near(
        "X4",
        "ch",
        "border at 1e-7",
        paper="-7",
        value="log_border",
        target=-7,
        holds=0.5,
        partly=1.0,
        expected="partly",
    )
    assert c.decide({"log_border": -7.2}) == ("log_border = -7.2 (|Δ| = 0.2)", "holds")
    assert c.decide({"log_border": -6.2})[1] == "partly"
    assert c.decide({"log_border": -5})[1] == "differs"


def test_helper_validation():
    with pytest.raises(ValueError, match="partly"):
        at_least("X", "ch", "s", "p", "v", holds=0.5, partly=0.9, expected="holds")
    with pytest.raises(ValueError, match="uses"):
        at_most("X", "ch", "s", "p", lambda v: 1.0, holds=1, expected="holds")
    with pytest.raises(ValueError, match="expected"):
        at_most("X", "ch", "s", "p", "v", holds=1, expected="maybe")


# ---------------------------------------------------------------------------- assessment

CLAIM = at_least(
    "X1",
    "ch",
    "most nets are fixpoints",
    paper="50/50",
    value="frac",
    holds=0.9,
    partly=0.5,
    expected={"ci": "partly", "paper": "holds"},
)


@pytest.mark.parametrize(
    ("result", "status", "verdict"),
    [
        (None, "not run", None),
        (_result("ch", {"frac": 0.7}), "ok", "partly"),
        (_result("ch", {"frac": 0.95}), "mismatch", "holds"),
        (_result("ch", {"frac": 0.95}, scale="paper"), "ok", "holds"),
        (_result("ch", {"other": 1.0}), "no measurement", None),
        (_result("ch", {"frac": "high"}), "no measurement", None),
    ],
)
def test_assess_statuses(result, status, verdict):
    a = assess(CLAIM, result)
    assert (a.status, a.verdict) == (status, verdict)
    assert a.failed == (status not in ("ok", "not run"))


def test_assess_reports_broken_rules_and_missing_expectations():
    broken = Claim("B", "ch", "s", "p", ("v",), "r", lambda v: 1 / 0, expected="holds")
    assert assess(broken, _result("ch", {"v": 1})).status == "error"
    bad_verdict = Claim("B", "ch", "s", "p", ("v",), "r", lambda v: ("1", "yes"), expected="holds")
    assert assess(bad_verdict, _result("ch", {"v": 1})).status == "error"
    no_exp = at_least("N", "ch", "s", "p", "v", holds=1, expected={"ci": "holds"})
    a = assess(no_exp, _result("ch", {"v": 2}, scale="paper"))
    assert (a.status, a.verdict) == ("no expectation", "holds") and a.failed


def test_assess_all_checks_scale():
    with pytest.raises(ValueError, match="scale: results of chapter 'ch' are at scale 'ci'"):
        assess_all({"ch": _result("ch", {"frac": 0.7})}, [CLAIM], scale="paper")
    with pytest.raises(ValueError, match="scale: unknown scale"):
        assess_all({}, [CLAIM], scale="huge")


# ---------------------------------------------------------------------------- the command


@pytest.fixture
def ledger(tmp_path, monkeypatch):
    claims = [
        CLAIM,
        at_most("Y1", "other", "nothing diverges", "0", "n_div", holds=0, expected="holds"),
    ]
    monkeypatch.setattr(ledger_mod, "all_claims", lambda: claims)
    results = tmp_path / "results"
    return results


def _run(capsys, *argv):
    rc = main(["claims", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_claims_json_and_check_pass(ledger, capsys):
    write_json_atomic(ledger / "ch.json", _result("ch", {"frac": 0.7}))
    rc, out, err = _run(capsys, "--results", str(ledger), "--json", "--check")
    assert rc == 0, err
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ["X1", "Y1"]
    assert {"id", "chapter", "statement", "paper", "measured", "verdict"} <= set(rows[0])
    assert rows[0]["verdict"] == "partly" and rows[0]["measured"] == "frac = 0.7"
    assert rows[1]["verdict"] is None and rows[1]["status"] == "not run"  # chapter not run: fine
    assert "1 checked, 1 as recorded, 0 failed, 1 not run" in err


def test_claims_table(ledger, capsys):
    write_json_atomic(ledger / "ch.json", _result("ch", {"frac": 0.7}))
    rc, out, _ = _run(capsys, "--results", str(ledger))
    assert rc == 0
    header = out.splitlines()[0].split()
    assert header == ["id", "chapter", "statement", "paper", "measured", "verdict", "check"]
    assert "frac = 0.7" in out and "partly" in out


@pytest.mark.parametrize(
    ("values", "why"),
    [({"frac": 0.95}, "MISMATCH (expected partly)"), ({}, "NO MEASUREMENT")],
)
def test_claims_check_fails(ledger, capsys, values, why):
    write_json_atomic(ledger / "ch.json", _result("ch", values))
    rc, _, err = _run(capsys, "--results", str(ledger), "--check")
    assert rc == 1
    assert f"claims: X1 (ch): {why}" in err


def test_claims_bad_input_is_one_line(ledger, capsys, tmp_path):
    rc, _, err = _run(capsys, "--results", str(tmp_path / "missing"))
    assert rc == 2 and err.count("\n") == 1
    assert err.startswith("selfrep claims: error: results: no results files in")
    write_json_atomic(ledger / "ch.json", _result("ch", {"frac": 0.7}))
    rc, _, err = _run(capsys, "--results", str(ledger), "--scale", "paper")
    assert rc == 2 and err.count("\n") == 1 and "scale: results of chapter 'ch'" in err
    (ledger / "broken.json").write_text('{"chapter": "broken"}')
    rc, _, err = _run(capsys, "--results", str(ledger))
    assert rc == 2 and err.count("\n") == 1 and "broken.json lacks scale" in err


def test_registered_claims_are_well_formed():
    from selfrep.chapters import CHAPTERS

    seen = set()
    for c in chapters_mod.all_claims():
        assert c.chapter in CHAPTERS, c.id
        assert c.id not in seen
        seen.add(c.id)
        assert c.uses and c.rule and c.statement and c.paper
        assert set(c.expected) == {"ci", "paper"}, f"{c.id}: record a verdict for both scales"


# ---------------------------------------------------------------------------- chapter display


def test_styled_claims_table_spans_the_column_with_fixed_widths():
    c = at_least(
        "X1", "ch", "most nets are fixpoints", paper="50/50", value="frac", holds=0.9, expected="holds"
    )
    html = claims_mod.claims_table([c], {"frac": 0.95}, "ci").to_html()
    assert "table-layout: fixed" in html and "width: 100%" in html
    for text in ("X1", "most nets are fixpoints", "frac = 0.95", "holds"):
        assert text in html
    assert html.count("th.col") == 8  # id, claim, paper, measured, verdict, seeds, rule, expected
    assert claims_mod.seeds_placeholder("X1") in html  # filled from the sweep when the site is built


def test_display_table_names_an_unknown_width_column():
    import pandas as pd

    from selfrep.plotting.tables import table

    with pytest.raises(ValueError, match="widths"):
        table(pd.DataFrame({"a": [1]}), widths={"b": "10%"})


def test_holm_step_down_against_bonferroni_and_single_test():
    from selfrep.claims import ALPHA_2SE, holm, one_sided_p

    assert abs(one_sided_p(2.0) - 0.02275) < 1e-5 and one_sided_p(2.0) == ALPHA_2SE
    assert holm([2.1]) == [True]  # one test: Holm is the plain "> 2 SE"
    # three tests: the smallest p must beat alpha/3 (z > 2.43), the next alpha/2 (z > 2.28), the last alpha
    assert holm([2.5, 2.3, 2.1]) == [True, True, True]
    assert holm([2.2, 2.25, 5.0]) == [False, False, True]  # step-down stops at the first failure
    assert holm([float("nan"), 9.0]) == [False, True]
    with pytest.raises(ValueError, match="alpha"):
        holm([1.0], alpha=0)


def test_claim_tests_must_be_glued_values_it_uses():
    from selfrep.claims import Claim

    with pytest.raises(ValueError, match="tests"):
        Claim("X", "c", "s", "p", ("a",), "r", lambda v: ("", "holds"), "holds", tests=("a_z",))
    assert Claim(
        "X", "c", "s", "p", ("a", "a_z"), "r", lambda v: ("", "holds"), "holds", tests=("a_z",)
    ).tests


def test_multiplicity_pools_tests_over_claims_and_names_what_holm_changes():
    from selfrep.claims import Claim, multiplicity, multiplicity_text

    def rule(v):
        return "", "holds"

    a = Claim("A", "ch", "s", "p", ("d", "d_z"), "r", rule, "holds", tests=("d_z",))
    b = Claim("B", "ch", "s", "p", ("e_z", "f_z"), "r", rule, "holds", tests=("e_z", "f_z"))
    c = Claim("C", "other", "s", "p", ("g_z",), "r", rule, "holds", tests=("g_z",))  # chapter not run
    d = Claim("D", "ch", "s", "p", ("h_z",), "r", rule, "holds", tests=("h_z",))
    values = {"d": 1.0, "d_z": 2.2, "e_z": 5.0, "f_z": "n/a", "h_z": 1.5}
    rows = multiplicity([a, b, c, d], {"ch": values})
    assert [(r.claim, r.name) for r in rows] == [("A", "d_z"), ("B", "e_z"), ("D", "h_z")]  # text left out
    # 3 tests: z = 5 beats alpha/3; z = 2.2 (p = 0.014) fails alpha/2 = 0.011, and the step-down stops
    assert [(r.single, r.holm) for r in rows] == [(True, False), (True, True), (False, False)]
    text = multiplicity_text(rows, "chapter X")
    assert "3 significance tests" in text and "2 are significant" in text
    assert "1 decision changes, in claim A (d_z: z = +2.20)" in text
    assert multiplicity_text([], "chapter X") == "No claim of chapter X rests on a significance test."
    alone = multiplicity_text(multiplicity([a], {"ch": {"d_z": 3.0}}), "x")
    assert alone.endswith("so no decision changes.")


def test_expected_text_shows_the_other_scales_verdict_only_where_it_differs():
    from selfrep.claims import expected_text

    same = at_least("X", "c", "s", "p", "v", holds=1, expected="holds")
    split = at_least("Y", "c", "s", "p", "v", holds=1, expected={"ci": "partly", "paper": "holds"})
    assert expected_text(same, "ci") == "holds"
    assert expected_text(split, "ci") == "partly (paper: holds)"
    assert expected_text(split, "paper") == "holds (ci: partly)"
