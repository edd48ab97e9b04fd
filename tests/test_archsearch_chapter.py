"""Chapter 6 glue: presets, claims (decided from exactly the values they declare), figures."""

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from selfrep.archsearch import search
from selfrep.archsearch.bench import synthetic_bench
from selfrep.archsearch.space import SearchSpace
from selfrep.chapters import architecture_search as ch
from selfrep.chapters import preset
from selfrep.chapters.architecture_search.run import _runs
from selfrep.claims import VERDICTS
from selfrep.plotting import architecture_search as figures


class OnlyThese(dict):
    """A values mapping that fails on any key a claim did not declare in `uses`."""

    def __init__(self, allowed, base):
        super().__init__({k: base[k] for k in allowed})

    def __missing__(self, key):
        raise AssertionError(f"decide read {key!r}, not declared in uses")


def _values():
    v = {k: 0.001 for c in ch.CLAIMS for k in c.uses}
    v.update(
        {
            "e1_best_method": "evolution",
            "e1_tied_mean": "evolution, grid",
            "e1_tied_median": "evolution",
            "e3_best_model": "rf",
            "e3_n_max": 200,
            "e3_n_small": 25,
            "e2_budget_mid": 25,
            "e2_l2_lam0": 1e-3,
        }
    )
    return v


def test_presets_and_claims_registered():
    assert preset("06_architecture_search", "ci") == ch.PRESETS["ci"]
    assert preset("06_architecture_search", "paper").repeats >= 100
    with pytest.raises(ValueError, match="repeats"):
        ch.Chapter06Config(repeats=1)
    ids = [c.id for c in ch.CLAIMS]
    assert len(ids) == len(set(ids)) == 19
    assert {"A1.5", "A1.6", "A1.7"} <= set(ids)  # TPE, multi-fidelity and local search against random search
    assert all(i.startswith("A") for i in ids)  # A1.x-A3.x: not to be read as chapter 1's claims
    assert all(c.chapter == "06_architecture_search" for c in ch.CLAIMS)


@pytest.mark.parametrize("claim", ch.CLAIMS, ids=lambda c: c.id)
def test_claim_decides_from_its_declared_values(claim):
    measured, verdict = claim.decide(OnlyThese(claim.uses, _values()))
    assert verdict in VERDICTS and isinstance(measured, str) and measured
    assert set(claim.expected) == {"ci", "paper"}


def test_claim_rules_turn_on_the_numbers():
    v = _values()
    v.update({"e1_re_minus_rs_100": 0.001, "e1_re_minus_rs_100_se": 0.0005, "e0_seed_sd_top10": 0.006})
    claim = {c.id: c for c in ch.CLAIMS}
    assert claim["A1.1"].decide(v)[1] == "holds"
    v["e1_re_minus_rs_100"] = 0.02
    assert claim["A1.1"].decide(v)[1] == "differs"
    v["e1_re_minus_rs_100"] = -0.002  # detectably worse than random: not "only slightly better"
    assert claim["A1.1"].decide(v)[1] == "differs"
    # a claimed effect within 2 SE is a null result: "differs", never "partly"
    v.update({"e2_hpo_random_minus_grid_test": 0.009, "e2_hpo_random_minus_grid_test_se": 0.009})
    assert claim["A2.3"].decide(v)[1] == "differs"
    v["e2_hpo_random_minus_grid_test_se"] = 0.004
    assert claim["A2.3"].decide(v)[1] == "holds"
    v.update({"e2_space_gain": 0.004, "e2_space_gain_se": 0.001})
    assert claim["A2.2"].decide(v)[1] == "partly"  # detectable, but below one seed SD
    v["e2_space_gain_se"] = 0.003
    assert claim["A2.2"].decide(v)[1] == "differs"
    v.update({"e1_tied_sets_agree": 0})
    assert claim["A1.4"].decide(v)[1] == "differs"
    v.update({"e2_l2_trainable_ratio": 1e-4, "e2_l2_hyper_over_trained": 5.0})
    assert claim["A2.5"].decide(v)[1] == "partly"
    v["e2_l2_hyper_over_trained"] = 100.0
    assert claim["A2.5"].decide(v)[1] == "holds"

    # A1.3 can fail at budget 25, where 15 of the evaluations are model-guided (budget 10 is not read)
    def rf(b, d, se=0.001):
        v.update({f"e1_pred_rf_minus_rs_{b}": d, f"e1_pred_rf_minus_rs_{b}_se": se})
        v[f"e1_pred_rf_minus_rs_{b}_z"] = d / se

    for b, d in ((25, 0.0), (50, 0.01), (100, 0.01)):
        rf(b, d)
    assert claim["A1.3"].decide(v)[1] == "holds"
    rf(25, 0.01)
    assert claim["A1.3"].decide(v)[1] == "partly"
    rf(50, 0.0)
    rf(100, 0.0)
    assert claim["A1.3"].decide(v)[1] == "differs"
    # the three budgets are one family (Holm): 2.2 SE at 100 alone passes a single 2-SE test, not Holm
    rf(25, 0.0)
    rf(100, 0.0022)
    assert claim["A1.3"].decide(v)[1] == "differs"
    rf(100, 0.0026)  # p = 0.0047 < 0.0228 / 3
    assert claim["A1.3"].decide(v)[1] == "holds"
    assert "e1_pred_rf_minus_rs_10" not in claim["A1.3"].uses
    # A1.5: TPE "no better" than random search; A1.6 / A1.7: "beats" random search, > 2 SE
    v.update({"e1_tpe_minus_rs_100": 0.001, "e1_tpe_minus_rs_100_se": 0.001})
    assert claim["A1.5"].decide(v)[1] == "holds"
    v["e1_tpe_minus_rs_100"] = 0.003
    assert claim["A1.5"].decide(v)[1] == "differs"
    for b, d in ((25, 0.004), (100, 0.001)):
        v.update(
            {f"e1_hb_minus_rs_{b}": d, f"e1_hb_minus_rs_{b}_se": 0.001, f"e1_hb_minus_rs_{b}_z": d / 0.001}
        )
    assert claim["A1.6"].decide(v)[1] == "partly"
    v.update({"e1_hb_minus_rs_100": 0.003, "e1_hb_minus_rs_100_z": 3.0})
    assert claim["A1.6"].decide(v)[1] == "holds"
    # Holm over the two budgets: 2.1 SE at both is not enough (the smaller p must beat 0.0228 / 2)
    v.update({"e1_hb_minus_rs_25_z": 2.1, "e1_hb_minus_rs_100_z": 2.1})
    assert claim["A1.6"].decide(v)[1] == "differs"
    v.update({"e1_ls_minus_rs_100": 0.001, "e1_ls_minus_rs_100_se": 0.001, "e1_ls_minus_rs_100_z": 1.0})
    assert claim["A1.7"].decide(v)[1] == "differs"
    v.update({"e1_ls_minus_rs_100": 0.0025, "e1_ls_minus_rs_100_z": 2.5})
    assert claim["A1.7"].decide(v)[1] == "holds"


def test_significance_rules_declare_their_z_values():
    """Every claim decided by a '> 2 SE' test names the glued z statistics it turns on (`tests`), and those
    are among the values it reads; a rule that is several tests at once names all of them."""
    tests = {c.id: c.tests for c in ch.CLAIMS}
    for cid in ("A1.1", "A1.3", "A1.5", "A1.6", "A1.7", "A2.2", "A2.3", "A2.6", "A3.1", "A3.6"):
        assert tests[cid], cid
    assert len(tests["A1.3"]) == 3 and len(tests["A1.6"]) == 2
    for c in ch.CLAIMS:
        assert set(c.tests) <= set(c.uses)


def test_a31_compares_on_the_same_architectures():
    """A3.1 reads the paired per-repeat gap between the random forest and the parameter count, both scored
    on the same held-out architectures, not the parameter count's tau over all architectures."""
    c = next(c for c in ch.CLAIMS if c.id == "A3.1")
    assert "e3_proxy_n_params_tau" not in c.uses and "e3_rf_minus_params_small_se" in c.uses
    v = _values()
    v.update({"e3_rf_minus_params_small": 0.2, "e3_rf_minus_params_small_se": 0.02})
    assert c.decide(v)[1] == "holds"
    v["e3_rf_minus_params_small_se"] = 0.15
    assert c.decide(v)[1] == "differs"


def test_extrapolation_tau_text():
    assert "unchanged" in ch.extrapolation_tau_text(1.03)
    assert ch.extrapolation_tau_text(0.8) == "it keeps 80 % of its Kendall τ"
    assert "rises by 20 %" in ch.extrapolation_tau_text(1.2)


def test_every_claim_has_one_verdict_at_both_scales():
    """The page is built at ci scale: its verdicts must be the paper verdicts (or the claim would have to
    show both)."""
    assert all(c.expected["ci"] == c.expected["paper"] for c in ch.CLAIMS)


def test_top10_seed_correlation_selects_on_held_out_seeds():
    from scipy import stats

    b = synthetic_bench(seeds=(0, 1, 2), seed=3)
    v = ch.landscape_values(b)
    canon = b.is_canonical
    held = b.val[:, 2]
    top = canon & (held >= np.quantile(held[canon], 0.9))
    assert math.isclose(v["e0_seed_rho_top10"], stats.spearmanr(b.val[top, 0], b.val[top, 1]).statistic)
    assert v["e0_seed_rho_top10_heldout"] == 1
    # chosen on the mean of all seeds, seeds 0 and 1 included, the selection is another one
    assert v["e0_seed_rho_top10_selected"] != v["e0_seed_rho_top10"]


def test_answers_follow_verdicts():
    a = ch.answer_values(_values())
    assert set(a) == {name for name, _, _ in ch.ANSWERS}
    pp = ch.with_pp({"e1_re_minus_rs_100": 0.002, "e3_extrap_rf_mae_ratio": 2.0, "e1_best_method": "x"})
    assert ch.with_pp({"e2_hpo_detectable": 0.01})["e2_hpo_detectable_pp"] == 1.0
    assert "e1_re_minus_rs_100_z_pp" not in ch.with_pp({"e1_re_minus_rs_100_z": 3.0})
    assert "e3_mlp_minus_default_tau_pp" not in ch.with_pp({"e3_mlp_minus_default_tau": 0.2})
    assert math.isclose(pp["e1_re_minus_rs_100_pp"], 0.2) and "e3_extrap_rf_mae_ratio_pp" not in pp


def test_figures_are_figures():
    space = SearchSpace(depths=(1, 2), widths=(16, 64))
    b = synthetic_bench(space, seeds=(0, 1))
    obj = search.TableObjective(b)
    tr = search.run_repeats(obj, "random", 10, 3) + search.run_repeats(obj, "grid", 10, 3)
    curves = search.incumbent_curves(tr, b)
    ref = search.landscape_reference(b)
    summ = search.summarize(tr, b, [5, 10])
    for fig in (
        figures.landscape(b),
        figures.anytime(curves, ref),
        figures.regret_ecdf(curves, ref, 10),
        figures.space_vs_strategy(summ),
        figures.extrapolation_bars(
            pd.DataFrame(
                {
                    "model": ["rf", "rf", "ridge", "ridge"] * 2,
                    "setting": ["extrapolate", "interpolate"] * 4,
                    "repeat": [0, 0, 0, 0, 1, 1, 1, 1],
                    "tau": [0.5, 0.6, 0.4, 0.5, 0.55, 0.62, 0.42, 0.48],
                    "mae": [0.02, 0.01, 0.03, 0.02, 0.021, 0.012, 0.031, 0.019],
                }
            )
        ),
    ):
        assert isinstance(fig, Figure) and fig.axes
        assert fig.get_figwidth() <= 7.5  # the book column
    for name in ("accuracy", "cost"):
        assert "budget" in ch.strategy_table(summ, name).data.index.names
    with pytest.raises(ValueError, match="columns"):
        ch.strategy_table(summ, "everything")


def test_config_and_expected_values_for_prose():
    table = ch.scale_table().data
    assert table.loc["hpo_epochs", "changes"] == "yes" and table.loc["budgets", "changes"] == ""
    cv = ch.config_values(ch.PRESETS["ci"])
    assert cv["cfg_hpo_epochs"] == ch.PRESETS["ci"].hpo_epochs and cv["cfg_restricted_size"] == 48
    assert cv["cfg_pred_n_init"] >= 2
    ev = ch.expected_values()
    assert ev["expected_A2_6_ci"] == ch.EXPECTED["A2.6"]["ci"] and len(ev) == 2 * len(ch.CLAIMS)


def test_repeat_and_optuna_texts_follow_the_configuration():
    same = ch.repeats_text(ch.PRESETS["paper"])
    assert ch.PRESETS["paper"].repeats == ch.PRESETS["paper"].predictor_repeats
    assert not any("predictor" in t for t in same.values()) and same["cfg_runs_caption"] == "100 per strategy"
    ci = ch.PRESETS["ci"]
    fewer = ch.repeats_text(ci)
    assert f"{ci.predictor_repeats} for predictor-guided search" in fewer["cfg_runs_caption"]
    assert "larger" in fewer["cfg_runs_text"] and "larger" in fewer["cfg_runs_note"]
    assert ch.config_values(ci)["cfg_runs_note"] == fewer["cfg_runs_note"]
    assert "100 runs each" in ch.optuna_text(("tpe",), 100) and "TPE" in ch.optuna_text(("tpe",), 100)
    assert "No Optuna sampler" in ch.optuna_text((), 100)
    # TPE, local search and the multi-fidelity strategies get the same repeats as random search
    for p in ch.PRESETS.values():
        assert p.optuna_repeats == p.repeats and "tpe" in p.optuna_samplers
        assert "hyperband" in p.multi_fidelity


def _l2_history(lam_paths, loss_paths):
    """An l2_experiment-like history: lam_paths[seed] (hypergradient λ per epoch), loss_paths[mode][seed]."""
    rows = []
    for mode, paths in loss_paths.items():
        for seed, loss in enumerate(paths):
            for e, x in enumerate(loss, start=1):
                lam = lam_paths[seed][e - 1] if mode == "hypergradient" else 1e-3
                rows.append({"mode": mode, "seed": seed, "epoch": e, "lam": lam, "val_loss": x})
    return pd.DataFrame(rows)


def test_l2_path_values_describe_the_figure():
    flat = [0.1] * 8
    spiky = [1.0, 0.5, 0.1, 0.1, 0.1, 2.0, 0.1, 0.1]  # a spike at epoch 6 in seed 1
    lam = [
        [5e-4, 1e-4, 2e-5, 1e-4, 5e-3, 1e-4, 1e-4, 1e-4],  # minimum at epoch 3, one excursion at epoch 5
        [5e-4, 1e-4, 2e-5, 3e-5, 4e-5, 2e-3, 3e-3, 1e-4],  # one excursion, epochs 6-7
    ]
    hist = _l2_history(lam, {"hypergradient": [flat, spiky], "fixed": [flat, flat], "none": [flat, flat]})
    v = ch.l2_path_values(hist, 1e-3)
    assert v["e2_l2_hyper_min_epoch"] == 3 and v["e2_l2_hyper_peak_epoch"] == 5
    assert math.isclose(v["e2_l2_hyper_peak_lam"], (5e-3 + 4e-5) / 2)
    assert v["e2_l2_hyper_seeds_above_lam0"] == 2 and v["e2_l2_hyper_excursions_max"] == 1
    assert v["e2_l2_hyper_excursion_longest"] == 2
    assert (
        "In 2 of the 2 seeds" in v["e2_l2_hyper_excursion_text"]
        and "epochs 5–7" in v["e2_l2_hyper_excursion_text"]
    )
    assert v["e2_l2_hyper_loss_peak_epoch"] == 6 and math.isclose(v["e2_l2_hyper_loss_peak"], 1.05)
    assert "spike" in v["e2_l2_hyper_loss_text"] and "seed 1" in v["e2_l2_hyper_loss_text"]
    assert math.isclose(v["e2_l2_fixed_loss_at_peak"], 0.1)
    calm = ch.l2_path_values(
        _l2_history(
            [[5e-4, 1e-4, 5e-5, 6e-5]],
            {m: [[0.5, 0.1, 0.1, 0.12]] for m in ("hypergradient", "fixed", "none")},
        ),
        1e-3,
    )
    assert (
        calm["e2_l2_hyper_seeds_above_lam0"] == 0
        and "none of the 1 seeds" in calm["e2_l2_hyper_excursion_text"]
    )
    assert "no spike" in calm["e2_l2_hyper_loss_text"]
    assert _runs(np.array([True, False, True, True])) == [1, 2]


@pytest.mark.slow
def test_the_whole_chapter_pipeline_on_a_synthetic_table():
    """run_e0..e3 at toy size: every value a claim reads is produced, and every glued number is finite."""
    b = synthetic_bench(seeds=(0, 1, 2))
    cfg = ch.Chapter06Config(
        slice_n=1,
        repeats=2,
        predictor_repeats=2,
        optuna_repeats=2,
        hpo_repeats=2,
        hpo_levels=1,
        hpo_epochs=1,
        l2_seeds=(0, 1),
        l2_epochs=1,
        e3_ns=(10, 25, 200),
        e3_repeats=2,
        proxy_limit=20,
        extrap_repeats=2,
    )
    results = [
        run(b, cfg) if run is ch.run_e0 else run(b, cfg, 0)
        for run in (ch.run_e0, ch.run_e1, ch.run_e2, ch.run_e3)
    ]
    vals = ch.measured(*results)
    assert all(isinstance(k, str) for k in vals)
    for c in ch.CLAIMS:
        missing = [k for k in c.uses if k not in vals]
        assert not missing, f"{c.id}: {missing}"
        assert all(isinstance(vals[k], int | float) for k in c.uses), f"{c.id}: `uses` must be numbers"
        assert c.decide(vals)[1] in VERDICTS
    glued = {**ch.with_pp(vals), **ch.verdict_values(vals), **ch.answer_values(vals)}
    bad = [
        k
        for k, v in glued.items()
        if not isinstance(v, str) and not (isinstance(v, int | float) and math.isfinite(v))
    ]
    assert not bad, bad
    # the notebook's one call: the same numbers, plus the labels, the configuration, the expected verdicts
    every = ch.values(cfg, *results, scale="ci", seed=0, clock=ch.Stopwatch())
    assert glued.items() <= every.items() and every["scale_label"] == "ci" and every["seed_label"] == "0"
    assert set(ch.config_values(cfg)) | set(ch.expected_values()) | {"chapter_wall_s"} <= set(every)
    assert all(isinstance(x, bool | int | float | str) for x in every.values())
    # the claims intro counts the chapter's significance tests as one Holm family
    n_tests = sum(len(c.tests) for c in ch.CLAIMS)
    assert every["claims_multiplicity_text"].startswith(f"{n_tests} significance tests at 2 SE decide")
