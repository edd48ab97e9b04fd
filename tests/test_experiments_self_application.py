"""Chapter 1's experiment functions at tiny sizes: shapes, determinism, summaries, claims."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from selfrep.chapters import config_table, generator, preset
from selfrep.chapters import self_application as ch
from selfrep.claims import claims_frame
from selfrep.fixpoints import KIND_LABELS

TINY = ch.SelfApplicationConfig(
    trajectory_nets=3,
    trajectory_steps=20,
    outcome_nets=6,
    outcome_steps=30,
    outcome_replicates=2,
    random_nets=200,
    noise_levels=(1.0, 1e-4, 1e-8),
    noise_copies=4,
    robustness_steps=60,
    journal_steps=200,
)


@pytest.fixture(scope="module")
def frames():
    return {
        "traj": ch.run_trajectories(TINY, generator(0, "t")),
        "out": ch.run_outcomes(TINY, generator(0, "o")),
        "rnd": ch.run_random_nets(TINY, generator(0, "r")),
        "ident": ch.run_identity(TINY),
        "rob": ch.run_robustness(TINY, generator(0, "b")),
    }


def test_presets_and_registry():
    assert preset("01_self_application", "paper") == ch.SelfApplicationConfig()
    paper = ch.PRESETS["paper"]
    assert (paper.outcome_nets, paper.outcome_steps, paper.random_nets, paper.noise_copies) == (
        50,
        100,
        100_000,
        100,
    )
    assert len(paper.noise_levels) == 10 and paper.eps == 1e-5 and paper.eps_keras == 1e-4
    assert list(config_table(paper).data.index) == [f.name for f in dataclasses.fields(paper)]
    with pytest.raises(ValueError, match="outcome_nets"):
        ch.SelfApplicationConfig(outcome_nets=0)
    with pytest.raises(ValueError, match="robustness_runs"):
        ch.SelfApplicationConfig(robustness_runs=(("float16", "text", 1e-5),))


def test_generator_streams_are_independent_and_reproducible():
    a = generator(0, "x").initial_seed()
    assert a == generator(0, "x").initial_seed() != generator(0, "y").initial_seed()
    assert generator(1, "x").initial_seed() != a
    with pytest.raises(ValueError, match="seed"):
        generator("0", "x")


def test_shapes(frames):
    traj, out, rnd, ident, rob = (frames[k] for k in ("traj", "out", "rnd", "ident", "rob"))
    assert set(traj["reduction"]) == set(TINY.trajectory_reductions)
    assert traj.groupby("reduction")["net"].nunique().tolist() == [3, 3]
    assert set(traj["outcome"]) <= set(KIND_LABELS)
    # one row per (reduction, replicate, eps, kind), counts adding up to the population
    assert len(out) == 3 * 2 * 2 * len(KIND_LABELS)
    assert (out.groupby(["reduction", "replicate", "eps"])["count"].sum() == TINY.outcome_nets).all()
    assert len(rnd) == 3 * 2 and (rnd[list(KIND_LABELS)].sum(axis=1) == TINY.random_nets).all()
    assert (ident["max_error"] == 0).all() and (ident["kind"] == "non-zero fixpoint").all()
    assert len(rob) == len(TINY.robustness_runs) * 3 * 4
    assert set(rob["outcome"]) <= {"zero", "divergent", "not verged"}


def test_deterministic_under_a_seed(frames):
    again = ch.run_outcomes(TINY, generator(0, "o"))
    pd.testing.assert_frame_equal(again, frames["out"])
    again = ch.run_robustness(TINY, generator(0, "b"))
    pd.testing.assert_frame_equal(again, frames["rob"])
    other = ch.run_robustness(TINY, generator(1, "b"))
    assert not other["time_to_vergence"].equals(frames["rob"]["time_to_vergence"])


def test_robustness_runs_share_their_copies(frames):
    rob = frames["rob"]
    text = rob[(rob["dtype"] == "float32") & (rob["procedure"] == "text") & (rob["eps"] == 1e-5)]
    keras = rob[(rob["dtype"] == "float32") & (rob["procedure"] == "keras") & (rob["eps"] == 1e-5)]
    verged = (text["outcome"] != "not verged").to_numpy()
    # the Keras count leaves out the verging application, on the very same copies
    diff = text["time_to_vergence"].to_numpy() - keras["time_to_vergence"].to_numpy()
    assert (diff[verged] == 1).all()
    assert text["ones_rounded_away"].tolist() == [False] * 8 + [True] * 4


def test_values_are_finite_scalars_and_claims_decide(frames):
    v = ch.values(TINY, frames["traj"], frames["out"], frames["rnd"], frames["ident"], frames["rob"])
    assert all(isinstance(x, int | float | str) for x in v.values())
    assert all(math.isfinite(x) for x in v.values() if isinstance(x, float))
    for claim in ch.CLAIMS:
        missing = [u for u in claim.uses if u not in v]
        assert not missing, (claim.id, missing)
    table = claims_frame(ch.CLAIMS, v)
    assert list(table.index) == ["P1", "P2", "P3"]
    cmp = ch.compare_with_logged(TINY, frames["traj"], frames["out"], frames["rnd"], frames["rob"])
    assert set(cmp["experiment"]) == {"paper Fig 1", "paper Fig 2", "random nets", "paper Fig 3"}
    assert cmp["reading"].str.len().min() > 10


def _p1(**kw):
    v = {
        "sa_nonzero_total": 0,
        "sa_second_total": 0,
        "sa_other_total": 0,
        "sa_nets_total": 150,
        "pool_weightwise_div_frac": 0.4,
        "pool_aggregating_div_frac": 0.03,
        "pool_recurrent_div_frac": 0.9,
    }
    v.update(kw)
    return ch.CLAIMS[0].decide(v)[1]


def test_claim_p1_decisions():
    assert _p1() == "holds"
    assert _p1(pool_recurrent_div_frac=0.3) == "partly"
    assert _p1(sa_other_total=2) == "partly"
    assert _p1(sa_nonzero_total=1) == "differs"


def test_claim_p2_and_p3_decisions():
    assert ch.CLAIMS[1].decide({"rand_fixpoints_total": 0, "rand_n": 10})[1] == "holds"
    assert ch.CLAIMS[1].decide({"rand_fixpoints_total": 1, "rand_n": 10})[1] == "differs"
    base = {
        "identity_error_max": 0.0,
        "rob_verged_frac": 1.0,
        "rob_verged_frac_smallest": 1.0,
        "rob_cap": 100,
        "rob_tverge_decreases": 0,
        "rob_tfix_decreases": 0,
        "rob_tverge_rise": 20.0,
        "rob_tfix_rise": 15.0,
    }
    p3 = ch.CLAIMS[2].decide
    assert p3(base)[1] == "holds"
    assert p3({**base, "rob_tfix_decreases": 1})[1] == "partly"
    assert p3({**base, "rob_verged_frac": 0.97})[1] == "partly"
    assert p3({**base, "rob_verged_frac": 0.5})[1] == "differs"
    assert p3({**base, "identity_error_max": 1e-3})[1] == "differs"


def test_combined_se_factor_and_helpers(frames):
    assert ch.combined_se_factor(100, 100) == pytest.approx(math.sqrt(2))
    assert ch.combined_se_factor(30, 100) == pytest.approx(math.sqrt(1.3))
    with pytest.raises(ValueError, match="n_log"):
        ch.combined_se_factor(30, None)
    with pytest.raises(ValueError, match="n_ours"):
        ch.combined_se_factor(0, 100)
    first = ch.first_population(frames["out"], TINY.eps)
    assert set(first["replicate"]) == {0} and set(first["eps"]) == {TINY.eps}
    means = ch.precision_means(frames["rob"], "keras", TINY.eps_keras)
    assert set(means["run"]) == set(means["dtype"]) and set(means["procedure"]) == {"keras"}
    assert (means["time_to_vergence_se"].dropna() >= 0).all()
    with pytest.raises(ValueError, match="procedure"):
        ch.precision_means(frames["rob"], "nope", TINY.eps)
    cmp = ch.compare_with_logged(TINY, frames["traj"], frames["out"], frames["rnd"], frames["rob"])
    assert cmp[cmp["experiment"] == "paper Fig 3"]["reading"].str.contains("combined s.e.").all()


def test_robustness_run_selects_one_run(frames):
    sub = ch.robustness_run(frames["rob"], "float32", "text", TINY.eps)
    assert len(sub) and set(sub["procedure"]) == {"text"} and set(sub["dtype"]) == {"float32"}
    with pytest.raises(ValueError, match="dtype"):
        ch.robustness_run(frames["rob"], "float16", "text", TINY.eps)


def test_fig3_agreement_count_matches_the_readings(frames):
    v = ch.values(TINY, frames["traj"], frames["out"], frames["rnd"], frames["ident"], frames["rob"])
    cmp = ch.compare_with_logged(TINY, frames["traj"], frames["out"], frames["rnd"], frames["rob"])
    fig3 = cmp[cmp["experiment"] == "paper Fig 3"]
    assert v["cmp_fig3_within"] == int((~fig3["reading"].str.contains("outside")).sum())


def test_log_sources_lists_each_file_once(frames):
    cmp = ch.compare_with_logged(TINY, frames["traj"], frames["out"], frames["rnd"], frames["rob"])
    src = ch.log_sources(cmp)
    assert src["source"].is_unique and set(src["source"]) == set(cmp["source"])
    with pytest.raises(ValueError, match="cmp"):
        ch.log_sources(cmp.drop(columns=["source"]))


def test_robustness_table_headers_do_not_wrap(frames):
    table = ch.robustness_table(frames["rob"], "time_to_vergence")
    assert list(table.columns)[0] == "1" and all(c == "1" or c.startswith("10⁻") for c in table.columns)
    assert any("ε 10⁻⁵" in r for r in table.index)


def test_tables_print_numbers_as_the_text_writes_them(frames):
    rnd = ch.random_nets_table(frames["rnd"])
    assert "fixpoints (ε = 1e-5)" in rnd.data.columns and "fixpoints (ε = 1e-4)" in rnd.data.columns
    html = rnd.to_html()
    assert "200" in html and "0.138047" not in html
    assert all(len(x.split(".")[1]) == 2 for x in rnd.data["smallest error"].map("{:.2f}".format))
    assert ">0<" in ch.identity_table(frames["ident"]).to_html()  # the error 0.0 as "0"
    assert "e-05" not in config_table(TINY).to_html() and "1e-5" in config_table(TINY).to_html()


def test_glued_wording_never_says_zero_times(frames):
    assert [ch.falls(n) for n in (0, 1, 2, 5)] == [
        "never falls",
        "falls once",
        "falls twice",
        "falls 5 times",
    ]
    with pytest.raises(ValueError, match="times"):
        ch.falls(-1)
    v = ch.values(TINY, frames["traj"], frames["out"], frames["rnd"], frames["ident"], frames["rob"])
    assert v["eps_text"] == "1e-5" and v["eps_keras_text"] == "1e-4"
    assert v["rob_tverge_falls"] == ch.falls(v["rob_tverge_decreases"])
    every = v["rob_verged_text"].startswith("Every copy")
    assert every == (v["rob_verged_frac"] == 1)
