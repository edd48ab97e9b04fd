"""Chapters 3-5's experiment functions at tiny sizes: shapes, determinism, definitions, values, claims."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import torch

import selfrep as sr
from selfrep.chapters import generator, preset
from selfrep.chapters import mixed as ch4
from selfrep.chapters import soups as ch5
from selfrep.chapters import weight_space as ch3
from selfrep.claims import claims_frame
from selfrep.optim import TrainConfig

TINY3 = ch3.WeightSpaceConfig(
    parent_steps=2500,
    child_steps=300,
    trajectory_clones=3,
    levels=(1e-2, 1e-7, 1e-11),
    parents=2,
    clones=3,
    candidates=5,
    line_parents=3,
    line_candidates=5,
    line_steps=2500,
    line_children=6,
    sweep_steps=(2500,),
    sweep_levels=(1e-2, 1e-9),
    sweep_parents=2,
    sweep_candidates=5,
    search_starts=20,
    search_iters=20,
    constructed=2,
)
TINY4 = ch4.MixedConfig(trains=(0, 20, 40), nets=4, replicates=2, arrival_nets=50, arrival_steps=20)
TINY5 = ch5.SoupsConfig(
    particles=4,
    epochs=3,
    train_steps=2,
    soups=2,
    count_trains=(0, 5),
    count_soups=2,
    count_particles=3,
    count_epochs=2,
    clone_children=2,
    clone_zetas=(1e-2,),
    clone_candidates=6,
    clone_parent_steps=2500,
    clone_steps=20,
    clone_soups=2,
    interacting_epochs=4,
    interacting_steps=5,
    clone_record_every=5,
    large_sizes=(4, 12),
    large_soups=(2, 1),
    large_sample=8,
    learn_particles=3,
    learn_epochs=4,
    learn_severities=(0, 10),
    learn_trials=2,
    learn_rate=0.5,
)


def finite_numbers(values):
    return {k: v for k, v in values.items() if isinstance(v, int | float) and not math.isfinite(v)}


# ------------------------------------------------------------------------------------------------
# Chapter 3
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ws_frames():
    traj = ch3.run_trajectories(TINY3, generator(0, "t"))
    children, parents, cand = ch3.run_cloning(TINY3, generator(0, "c"))
    line, lcand = ch3.run_line(TINY3, generator(0, "l"))
    return traj, children, parents, cand, line, lcand


def test_weight_space_presets():
    paper, ci = preset("03_weight_space", "paper"), preset("03_weight_space", "ci")
    assert (ci.parent_steps, ci.child_steps, ci.clones, ci.line_children) == (2500, 2500, 10, 25)
    assert ci.levels[0] == 1e-1 and ci.levels[-1] == pytest.approx(1e-14) and len(ci.levels) == 14
    assert paper.parents >= ci.parents == 5


def test_cloning_frames_and_definitions(ws_frames):
    _, children, parents, cand, _, _ = ws_frames
    n = len(TINY3.levels) * TINY3.parents * TINY3.clones
    assert len(children) == 2 * n and set(children["dtype"]) == {"float32", "float64"}
    assert set(children["movement"]) <= {"approaching", "distancing", "stationary"}
    moved = children["movement"].map({"approaching": -1, "distancing": 1, "stationary": 0})
    assert ((children["post"] - children["pre"]).apply(lambda d: (d > 0) - (d < 0)) == moved).all()
    # every parent is a non-zero fixpoint: exactly `parents` kept per level and dtype
    kept = cand[cand["kept"]]
    assert (kept["kind"] == "non-zero fixpoint").all()
    assert kept.groupby(["dtype", "level"]).size().eq(TINY3.parents).all()
    # float32 and float64 start from the same weights and the same noise: same pre-distances at 1e-2
    big = children[children["level"] == 1e-2].pivot_table(
        index=["parent", "clone"], columns="dtype", values="pre"
    )
    assert (abs(big["float32"] - big["float64"]) < 1e-6).all()
    assert len(parents) == 2 * len(TINY3.levels) * TINY3.parents


def test_trajectories_and_line(ws_frames):
    traj, *_, line, _ = ws_frames
    assert set(traj["role"]) == {"parent", "child"} and traj["net"].nunique() == TINY3.trajectory_clones + 1
    parent = traj[traj["net"] == 0]
    assert parent["t"].min() == TINY3.trajectory_from and parent["t"].max() == 2500 + TINY3.child_steps
    assert traj[traj["net"] > 0]["t"].min() == 2500
    assert len(line) == 3 * TINY3.line_children  # 3 pairs of 3 parents
    first = line[line["position"] == 0]
    assert (first["pre"] == 0).all()  # j = 0 is parent 1
    fin = line.dropna(subset=["post_norm"])
    assert fin[["pre_norm", "post_norm"]].min().min() >= 0 and fin[["pre_norm", "post_norm"]].max().max() <= 1


def test_weight_space_values_and_claims(ws_frames):
    search = ch3.run_search(TINY3, generator(0, "s"))
    constructed = ch3.run_constructed(TINY3, generator(0, "k"))
    sweep = ch3.run_border_sweep(TINY3, generator(0, "b"))
    assert set(sweep[0]["steps"]) == {2500} and set(sweep[0]["dtype"]) == {"float32", "float64"}
    assert len(constructed) == 2 * (1 + TINY3.constructed)
    v = ch3.values(TINY3, *ws_frames, search=search, constructed=constructed, sweep=sweep)
    assert not finite_numbers(v)
    assert v["family_rank"] == 4 and v["family_dim"] == 10
    assert v["search2_so_other"] == 0 and v["con_negid_ok"] == 2
    assert v["census_second_order"] == 0 and v["census_nets"] > 0
    assert v["log_appr_1"] == 40 and v["log_dist_10"] == 30  # the authors' count plot
    table = claims_frame(ch3.CLAIMS, v)
    assert set(table["verdict"]) <= {"holds", "partly", "differs"}
    cmp = ch3.compare_with_logged(ws_frames[1])
    cols = ch3.COMPARE_COLUMNS
    assert list(cmp.columns) == [cols[0], cols[1], cols[3], cols[4]] and len(cmp) == 10
    assert cmp.loc["1e-1", cols[3]] == "100 / 0 / 0"
    assert cmp[cols[0]].notna().sum() == 2  # 1e-2 and 1e-7: the levels both ran (1e-11 is not in the log)
    # P7d reads only children that kept noise: in float32 nothing survives at 1e-11, so the float64 twins
    assert v["f32_travel_noisy_n"] == 0 and v["travel_noisy_f32"] == 0
    assert v["f32_travel_copies"] == TINY3.parents * TINY3.clones
    assert v["travel_noisy"] == v["f64_travel_low"]
    # the noise's own share: the twins' distance to where their parent itself ends when retrained
    children = ws_frames[1]
    twins = children[(children["dtype"] == "float64") & (children["level"] == 1e-11)]
    assert v["travel_noise_only"] == twins["to_parent_after"].max() < v["travel_noisy"]
    assert v["travel_any"] == max(v["f32_travel_low"], v["f64_travel_low"])
    assert {"P7a", "P7b", "P7c", "P7d"} <= set(table.index)


def test_noise_variant_moves_every_weight_by_zeta(ws_frames):
    var = ch3.run_noise_variant(TINY3, generator(0, "v"))
    assert set(var["noise"]) == {"sign"} and set(var["dtype"]) == {"float32"}
    # at 1e-2 every weight keeps its ±ζ: the MAE to the parent right after the noise is ζ (to rounding)
    hi = var[var["level"] == 1e-2]
    assert (hi["noise_kept"] == 1).all() and np.allclose(hi["pre"], 1e-2, rtol=1e-4)
    v = ch3.values(TINY3, *ws_frames, variant=var)
    assert 0 <= v["sign_appr_frac_7"] <= 1 and "sign_noise_kept_11" in v
    cmp = ch3.compare_with_logged(ws_frames[1], var)
    assert ch3.COMPARE_COLUMNS[2] in cmp.columns
    assert "padding" in ch3.comparison_table(ws_frames[1], var).to_html()


def test_border_and_census():
    kids = pd.DataFrame(
        {
            "dtype": "float32",
            "level": [1e-3] * 4 + [1e-8] * 4,
            "movement": ["approaching"] * 4 + ["distancing"] * 3 + ["approaching"],
        }
    )
    assert ch3.border(kids, "float32") == 1e-8
    frame = pd.DataFrame({"kind": ["other", "second-order fixpoint"]})
    assert ch3.second_order_census(frame, frame) == (4, 2)


# ------------------------------------------------------------------------------------------------
# Chapter 4
# ------------------------------------------------------------------------------------------------
def test_alternate_schedule():
    red = sr.make_reduction("weightwise")
    tc = TrainConfig(step="epoch", lr=0.01)
    w = sr.init_population(red.arch, 3, generator=torch.Generator().manual_seed(0))
    one, ran = ch4.alternate(w, red, torch.zeros(3, dtype=torch.int64), 1, 1e-4, tc)
    assert torch.allclose(one, sr.self_apply(w, red, 1)) and ran.tolist() == [1, 1, 1]
    ident = sr.identity_fixpoint(red.arch, 2)
    out, ran = ch4.alternate(ident, red, torch.tensor([5, 0]), 4, 1e-4, tc)
    assert ran.tolist() == [1, 1]  # a fixpoint after the first round stops
    assert torch.allclose(out, ident)
    with pytest.raises(ValueError, match="trains"):
        ch4.alternate(w, red, torch.zeros(2, dtype=torch.int64), 1, 1e-4, tc)


def test_mixed_run_values_and_log():
    m = ch4.run_mixed(TINY4, generator(0, "m"))
    assert len(m) == 3 * len(TINY4.trains) * TINY4.nets * TINY4.replicates
    assert m["rounds"].between(1, TINY4.rounds).all()
    m2 = ch4.run_mixed(TINY4, generator(0, "m"))
    pd.testing.assert_frame_equal(m, m2)  # same seed, same numbers
    frac = ch4.fractions(m)
    assert ((frac["zero"] + frac["nonzero"] - frac["fixpoint"]).abs() < 1e-12).all()
    v = ch4.values(TINY4, m)
    assert not finite_numbers(v) and v["log_wei_fixpoint_0"] == 0.2
    table = claims_frame(ch4.CLAIMS, v)
    assert set(table["verdict"]) <= {"holds", "partly", "differs"} and {"P10a", "P10b"} <= set(table.index)
    # T = 0 is the only T ≤ 100 in the log among TINY4's (0, 20, 40)
    assert v["wei_low_t_excess"] == v["wei_fixpoint_0"] - 0.2 and v["wei_low_t_excess_se"] > 0
    assert "2 repetitions" in v["replicates_text"] and v["trains_step"] == 20
    assert "ours (all replicates)" in ch4.compare_with_logged(m).columns
    one = m[m["replicate"] == 0]
    assert "ours (all replicates)" not in ch4.compare_with_logged(one).columns  # would repeat rep. 0
    assert ch4.logged_fractions()["trains"].max() == 500
    assert (
        ch4.first_reaching(
            pd.DataFrame({"reduction": "x", "trains": [0, 1, 2], "fixpoint": [0.5, 0.95, 0.8]}), "x"
        )
        == 1
    )


def test_mixed_control_and_zero_arrival():
    ctrl = ch4.run_mixed(TINY4, generator(0, "c"), apply=False)
    assert set(ctrl["reduction"]) == set(TINY4.control_reductions)
    # without self-application and without training (T = 0) a random net stays what it was: no fixpoint
    assert not ctrl[ctrl["trains"] == 0]["fixpoint"].any()
    arr = ch4.run_zero_arrival(TINY4, generator(0, "z"))
    assert len(arr) == TINY4.arrival_nets
    # a zero net is an ε-fixpoint, so the stopping test fires no later than the zero test
    z = arr[arr["zero_at"] > 0]
    assert ((z["fixpoint_at"] > 0) & (z["fixpoint_at"] <= z["zero_at"])).all()
    assert not ((arr["zero_at"] > 0) & (arr["div_at"] > 0)).any()
    m = ch4.run_mixed(TINY4, generator(0, "m"))
    v = ch4.values(TINY4, m, ctrl, arr)
    assert not finite_numbers(v)
    assert 0 <= v["arrival_log_t0_p"] <= 1 and v["log_fig2_n"] == 50
    assert v["ctrl_t_compare"] == 40 and v["wei_fixpoint_cmp"] == v["wei_fixpoint_40"]
    assert "pooled" in v["table_text"]
    with pytest.raises(ValueError, match="control_reductions"):
        ch4.MixedConfig(control_reductions=("convolutional",))


def test_mixed_fractions_legend_clear_of_x_label():
    from selfrep import plotting as pl

    ref = ch4.logged_fractions()
    frac = ref.assign(zero=0.1, nonzero=ref["fixpoint"] - 0.1, low=0.0, high=1.0)
    fig = pl.mixed_fractions(frac, ref)
    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    labels = [ax.xaxis.label for ax in fig.axes if ax.get_xlabel()]
    assert len(labels) == 1 and fig.get_figwidth() <= 7.5
    label_box = labels[0].get_window_extent(renderer)
    (legend,) = fig.legends
    legend_box = legend.get_window_extent(renderer)
    assert legend_box.y1 <= label_box.y0  # the legend lies wholly below the x label
    assert len(legend.get_texts()) == 4


# ------------------------------------------------------------------------------------------------
# Chapter 5
# ------------------------------------------------------------------------------------------------
def test_soups_run_values_and_claims():
    traj12, soups12, attacks12, lineage12, dyn12 = ch5.run_soup_trajectories(TINY5, generator(0, "a"))
    assert len(soups12) == 2 * TINY5.soups
    assert len(lineage12) == (TINY5.epochs + 1) * 2 * TINY5.soups * TINY5.particles
    # the dynamics: every soup and control at every epoch, shares in [0, 1], the end as in soups12
    assert len(dyn12) == (TINY5.epochs + 1) * 2 * TINY5.soups
    assert dyn12[["nonzero", "largest"]].apply(lambda c: c.between(0, 1)).all().all()
    end = dyn12[dyn12["epoch"] == TINY5.epochs].reset_index(drop=True)
    assert (end["nonzero"] * TINY5.particles).round().astype(int).tolist() == soups12["nonzero"].tolist()
    learn_soups, learns, twins = ch5.run_learn_soups(TINY5, generator(0, "q2"))
    assert len(twins) == 2 * 2 * TINY5.learn_particles and (twins["moved"] > 0).all()
    assert len(learn_soups) == 2 * 2 and (learns["steps"] == 10).all()
    still = learn_soups[learn_soups["severity"] == 0]  # severity 0: nothing moves
    assert (still["spread_end"] == still["spread_start"]).all()
    large = ch5.run_large_soups(TINY5, generator(0, "q4"))
    assert set(large["size"]) == {4, 12} and set(large["epoch"]) == {0, TINY5.epochs}
    assert large[["nonzero", "stampers", "largest"]].apply(lambda c: c.between(0, 1)).all().all()
    ctrl = soups12[soups12["setting"] != "soup"]
    assert (ctrl["attacks"] == 0).all()
    counts = ch5.run_soup_counts(TINY5, generator(0, "b"))
    assert len(counts) == 2 * 2 * len(TINY5.count_trains) * TINY5.count_soups  # soups and controls
    assert (counts[~counts["attacking"]]["attacks"] == 0).all()
    kinds = ["div", "zero", "nonzero", "second", "other"]
    assert (counts[kinds].sum(axis=1) == TINY5.count_particles).all()
    children, soups14, attacks14, traj14 = ch5.run_clone_soups(TINY5, generator(0, "c"))
    assert set(children["setting"]) == {"committed", "interacting"}
    assert (soups14[soups14["setting"] == "committed"]["attacks"] <= 1).all()
    assert set(traj14["role"]) == {"parent", "child"}
    assert (children["other_parent"] > 0).all()
    v = ch5.values(
        TINY5, traj12, soups12, attacks12, counts, children, soups14, attacks14, lineage12, large,
        learn=(learn_soups, learns, twins), dynamics12=dyn12,
    )  # fmt: skip
    assert not finite_numbers({k: x for k, x in v.items() if not k.startswith(("q3_within", "q3_between"))})
    assert v["census_second_order"] == 0
    table = claims_frame(ch5.CLAIMS, v)
    assert set(table["verdict"]) <= {"holds", "partly", "differs"}
    assert {"P11a", "P11b", "Q2", "Q3", "Q4", "Q5"} <= set(table.index)
    assert 0 <= v["q2_copy_frac"] <= 1 and v["q2_nonzero_bottom"] == 0 and v["dyn_soups"] == TINY5.soups
    assert 1 <= v["q3_lineages_median"] <= TINY5.particles and v["q4_big"] == 12
    # P12's size check: a control without attacks and A = 0 leaves every net as it was
    still = counts[~counts["attacking"] & (counts["trains"] == 0)]
    assert (still["size_end"] == still["size_start"]).all() and (still["shrunk"] == 0).all()
    assert 0 <= v["fig13_agg_shrunk_frac"] <= 1 and v["fig13_agg_size_ratio_median"] > 0
    assert ch5.compare_with_logged(counts).shape[0] == 2 * len(TINY5.count_trains)
    # 3 families of 3 (parents and children) attack at 0.1 per particle and epoch for 4 epochs: 3.6 expected
    # per soup, against 0.1 per soup in the committed setting
    assert math.isclose(v["attack_ratio_expected"], 9 * 0.1 * 4 / 0.1)
    assert v["fig12_clustered_half_radius"] <= v["fig12_clustered"] <= v["fig12_clustered_double_radius"]
    it = ch5.interaction_table(soups14, children)
    assert list(it.index.get_level_values("ζ").unique()) == ["1e-2"]
    # Fig 13's text says whether the table (repetition 0) shows the same soups as the pooled means
    assert TINY5.count_replicates == 1 and "single repetition" in v["fig13_table_text"]
    two = dataclasses.replace(TINY5, count_replicates=2)
    counts2 = ch5.run_soup_counts(two, generator(0, "b"))
    v2 = ch5.values(two, traj12, soups12, attacks12, counts2, children, soups14, attacks14)
    assert "repetition 0 of our 2" in v2["fig13_table_text"]
    assert "all 2 repetitions, 4 soups per A" in v2["fig13_pooled_text"]
    r0 = ch5.compare_with_logged(counts2).loc[("weightwise", max(TINY5.count_trains)), "non-zero (ours)"]
    assert v2["fig13_wei_r0_nonzero_top"] == r0 and f"end with {r0:.1f} non-zero" in v2["fig13_pooled_text"]


def test_cluster_share():
    w = torch.tensor([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [0.0, 0.1]])
    assert ch5.cluster_share(w, 0.2) == 0.75
    members, centre = ch5.main_cluster(w, 0.2)
    assert members.tolist() == [True, True, False, True]
    assert torch.allclose(centre, torch.tensor([0.1 / 3, 0.1 / 3], dtype=torch.float64))


def test_configs_reject_bad_sizes():
    with pytest.raises(ValueError, match="candidates"):
        ch3.WeightSpaceConfig(parents=5, candidates=3)
    with pytest.raises(ValueError, match="dtypes"):
        ch3.WeightSpaceConfig(dtypes=("float64",))
    with pytest.raises(ValueError, match="reductions"):
        ch4.MixedConfig(reductions=("convolutional",))
    with pytest.raises(ValueError, match="clone_candidates"):
        ch5.SoupsConfig(clone_parents=3, clone_candidates=2)


def test_chapter3_figures_fit_the_book_column(ws_frames):
    from selfrep import plotting as pl

    traj, children, parents, _, line, _ = ws_frames
    f32 = children[children["dtype"] == "float32"]
    figs = [
        pl.clone_trajectories_3d(traj),
        pl.clone_distances(f32),
        pl.movement_count_bars(ch3.movement_counts(children)),
        pl.drift_scatter(children),
        pl.fixpoint_error_boxes(children, parents),
        pl.line_children_scatter(line),
        pl.projection_scatter(children),
    ]
    assert all(f.get_figwidth() <= 7.5 for f in figs)


def test_clone_soup_3d_panel_filter():
    from selfrep import plotting as pl

    _, _, _, traj14 = ch5.run_clone_soups(TINY5, generator(0, "c"))
    fig = pl.clone_soup_3d(traj14, only="family 0")
    assert len(fig.axes) == 2 and fig.get_figwidth() <= 7.5
    with pytest.raises(ValueError, match="only"):
        pl.clone_soup_3d(traj14, only="no such panel")


def test_last_attackers_of_a_cluster():
    from selfrep.chapters.soups.run import _last_attackers

    attacks = pd.DataFrame(
        {
            "attacker": [3, 3, 2, 3, 4],
            "victim": [0, 1, 0, 2, 5],  # victim 0: last hit by 2; victims 1, 2 by 3; 5 is not a member
            "attacker_error": [0.1, 0.2, 0.3, 0.4, 0.5],
            "attacker_gain": [1.0, 1.0, 0.2, 1.0, 0.0],  # 2 is a stamper (|a0| <= 0.5) when it hits 0
        }
    )
    members = torch.tensor([True, True, True, False, False, False])
    out = _last_attackers(attacks, members)
    assert out["cluster_top_attacker_share"] == 2 / 3
    assert math.isclose(out["cluster_top_attacker_error"], 0.3)  # median of 3's two attacks (0.2, 0.4)
    assert out["cluster_stamped"] == 1 / 3  # member 0's last attacker was a stamper
    none = _last_attackers(attacks.iloc[:0], members)
    assert none == {
        "cluster_top_attacker_share": 0.0,
        "cluster_top_attacker_error": 0.0,
        "cluster_stamped": 0.0,
    }


def test_p7d_separates_the_observation_from_its_cause():
    decide = next(c for c in ch3.CLAIMS if c.id == "P7d").decide
    v = {
        "travel_noisy": 3e-6,
        "travel_noise_only": 6e-12,
        "travel_any": 3e-6,
        "travel_noisy_f32": 0,
        "f32_travel_noisy_n": 0,
        "f32_travel_copies": 200,
        "f32_travel_low": 2e-6,
        "travel_level_exp": 11,
    }
    text, verdict = decide(v)
    assert verdict == "partly" and "6e-12 from where its parent itself ends" in text  # drift, not noise
    assert decide({**v, "travel_noise_only": 5e-8})[1] == "holds"
    assert decide({**v, "travel_noisy": 1e-8, "travel_any": 3e-8})[1] == "differs"
