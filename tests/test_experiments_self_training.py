"""Chapter 2's experiment functions at tiny sizes: shapes, determinism, definitions, claims."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import torch

from selfrep.chapters import generator, preset
from selfrep.chapters import self_training as ch
from selfrep.claims import claims_frame
from selfrep.fixpoints import KIND_LABELS
from selfrep.published import PUBLISHED_CONFIGS, published_config

TINY = ch.SelfTrainingConfig(
    trajectory_nets=3,
    trajectory_epochs=10,
    outcome_nets=4,
    outcome_epochs=30,
    robustness_parents=5,
    journal_parents=3,
    journal_chunks=2,
    journal_chunk_steps=20,
    journal_main_nets=3,
    journal_main_checkpoints=(10, 20),
    noise_levels=(1.0, 1e-6),
    robustness_steps=40,
    journal_steps=100,
    grid_nets=2,
    grid_lrs=(0.004, 0.01, 0.04),
    grid_epoch_checkpoints=(5, 10),
    grid_batch_checkpoints=(10, 20),
    activations=("linear", "relu"),
    activation_nets=2,
    activation_epochs=5,
)


@pytest.fixture(scope="module")
def frames():
    out = ch.run_outcomes(TINY, generator(0, "o"))
    parents, copies = ch.run_robustness(TINY, generator(0, "r"))
    grid, nets = ch.run_grid(TINY, generator(0, "g"))
    return {
        "traj": ch.run_trajectories(TINY, generator(0, "t")),
        "out": out,
        "parents": parents,
        "copies": copies,
        "dist": ch.run_distances(
            out.assign(kind="non-zero fixpoint"), parents.assign(kind="non-zero fixpoint")
        ),
        "grid": grid,
        "nets": nets,
        "act": ch.run_activations(TINY, generator(0, "a")),
        "jmain": ch.run_journal_main(TINY, generator(0, "j")),
    }


def test_presets():
    paper = preset("02_self_training", "paper")
    assert (paper.outcome_nets, paper.outcome_epochs, paper.trajectory_nets) == (50, 1000, 10)
    assert paper.robustness_parents == 1000 and paper.eps == 1e-5
    with pytest.raises(ValueError, match="grid_epoch_checkpoints"):
        ch.SelfTrainingConfig(grid_epoch_checkpoints=(10, 5))
    with pytest.raises(ValueError, match="activations"):
        ch.SelfTrainingConfig(activations=("swish",))
    with pytest.raises(ValueError, match="grid_encodings"):
        ch.SelfTrainingConfig(grid_encodings=("binary",))


def test_shapes(frames):
    assert frames["traj"].groupby("net")["t"].max().tolist() == [10, 10, 10]
    out = frames["out"]
    assert out.groupby("reduction").size().to_dict() == {"weightwise": 4, "aggregating": 4, "recurrent": 4}
    assert out[out["reduction"] == "weightwise"][[f"w{i}" for i in range(14)]].notna().all().all()
    assert set(out["kind"]) <= set(KIND_LABELS)
    parents = frames["parents"]
    assert parents.groupby("group").size().to_dict() == {ch.TRAINED: 5, ch.JOURNAL: 3}
    copies = frames["copies"]
    # identity copies: as many per level as there are trained non-zero parents (at least one)
    n_ok = max(int((parents[parents["group"] == ch.TRAINED]["kind"] == "non-zero fixpoint").sum()), 1)
    ident = copies[(copies["group"] == ch.IDENTITY) & (copies["procedure"] == "text")]
    assert ident.groupby("level").size().tolist() == [n_ok, n_ok]


def test_grid_summary_and_published_cells(frames):
    grid = frames["grid"]
    cells = 3 * 2 * 3 * 2  # encodings x inits x lrs x momenta
    assert grid.groupby("training")["cell"].nunique().tolist() == [cells] * 3
    fractions = grid[["div", "zero", "nonzero", "second", "other"]].sum(axis=1)
    assert ((fractions - 1).abs() < 1e-6).all()
    marked = grid[grid["published"] != ""].drop_duplicates(["training", "cell"])
    by_key = {p.key: p.name for p in PUBLISHED_CONFIGS}
    assert set(marked["published"]) == set(by_key.values()) and len(marked) == 4

    def cell(key):
        row = marked[marked["published"] == by_key[key]].iloc[0]
        return (row["training"], row["positions"], row["order"], row["init"], row["lr"], row["momentum"])

    assert cell("keras") == ("Keras epochs", "scaled", "input_major", "glorot", 0.01, 0.0)
    # the journal paper's code (21dd572): constant targets, [0, 1] positions in the PyTorch layout
    assert cell("journal") == ("full batch", "scaled", "output_major", "pytorch", 0.04, 0.0)
    assert cell("jrob") == ("full batch", "scaled", "output_major", "pytorch", 0.004, 0.9)
    # the authors' 2022 refactor: differentiated targets (49c0d8a), raw positions (1b7581e)
    assert cell("refactor") == (
        "full batch, differentiated targets",
        "raw",
        "output_major",
        "pytorch",
        0.04,
        0.0,
    )
    assert len(frames["nets"]) == 3 * cells * TINY.grid_nets


def test_journal_settings_are_those_of_21dd572():
    """Nothing labelled with the journal paper's commit has raw positions or differentiated targets."""
    for p in PUBLISHED_CONFIGS:
        if "21dd572" in p.name or "21dd572" in p.source:
            assert (p.positions, p.order, p.init, p.targets) == (
                "scaled",
                "output_major",
                "pytorch",
                "constant",
            )
    assert "21dd572" not in published_config("refactor").source
    red = ch.published_reduction("jrob")
    assert (red.positions, red.arch.order) == ("scaled", "output_major")
    config = ch.published_train_config("jrob")
    assert (config.step, config.lr, config.momentum, config.targets) == ("batch", 0.004, 0.9, "constant")


def test_journal_main_frame(frames):
    jm = frames["jmain"]
    assert jm.groupby("t").size().to_dict() == {10: 3, 20: 3}
    assert set(jm["kind"]) <= set(KIND_LABELS)
    v = ch.journal_main_values(jm)
    assert (v["jmain_n"], v["jmain_first_steps"], v["jmain_last_steps"]) == (3, 10, 20)
    assert sum(v[f"jmain_last_{k}"] for k in ("div", "zero", "nonzero", "second", "other")) == 3


def test_pairwise_distances_definition():
    w = torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    d = ch.pairwise_distances(w)
    assert d[["i", "j"]].values.tolist() == [[0, 1], [0, 2], [1, 2]]
    assert d["max_abs"].tolist() == [4.0, 1.0, 3.0]
    assert d["euclidean"].round(6).tolist() == [5.0, 1.0, round(18**0.5, 6)]
    with pytest.raises(ValueError, match="two"):
        ch.pairwise_distances(w[:1])


def test_output_range_rule():
    w = torch.tensor([[0.5, 0.2], [-0.1, 0.3], [1.5, 0.1]])
    assert ch.in_output_range(w, "relu").tolist() == [True, False, True]
    assert ch.in_output_range(w, "sigmoid").tolist() == [True, False, False]
    assert ch.in_output_range(w, "tanh").tolist() == [True, True, False]
    assert ch.in_output_range(w, "linear").tolist() == [True, True, True]


def test_deterministic_under_a_seed(frames):
    pd.testing.assert_frame_equal(ch.run_outcomes(TINY, generator(0, "o")), frames["out"])
    grid, _ = ch.run_grid(TINY, generator(0, "g"))
    pd.testing.assert_frame_equal(grid, frames["grid"])


def _values(f, **extra):
    keys = ("traj", "out", "dist", "parents", "copies", "grid", "nets", "act")
    return ch.values(TINY, *(f[k] for k in keys), **extra)


def test_values_and_claims(frames):
    v = _values(frames, journal_main=frames["jmain"])
    assert all(isinstance(x, int | float | str) for x in v.values())
    for claim in ch.CLAIMS:
        missing = [u for u in claim.uses if u not in v]
        assert not missing, (claim.id, missing)
    assert [c.id for c in ch.CLAIMS] == ["P4a", "P4b", "P4c", "P4d", "P5a", "P5b", "P6"]
    assert len(claims_frame(ch.CLAIMS, v)) == 7
    for key in (
        "jpar_reading",
        "act_reading",
        "act_conclusion",
        "gd_tiny_gain_reading",
        "gk_div_text",
    ):
        assert isinstance(v[key], str) and v[key], key
    # Figure 2.8's linear panel is cited beside Figure 2.2 only when it was trained the same way
    assert v["fig5_second_population"] == ""
    same = dataclasses.replace(TINY, activation_nets=TINY.outcome_nets, activation_epochs=TINY.outcome_epochs)
    text = ch._texts(same, v, frames["grid"], frames["nets"])["fig5_second_population"]
    assert text.startswith("A second, independent population with the same settings")
    assert all(math.isfinite(v[k]) for k in ("fig5_weightwise_nonzero_frac", "gd_zero", "dist_min_max_abs"))


def _claim(cid):
    return next(c for c in ch.CLAIMS if c.id == cid)


def _p4a(**kw):
    v = {
        "fig5_nets": 50,
        "fig5_weightwise_nonzero": 50,
        "fig5_aggregating_zero": 0,
        "fig5_aggregating_nonzero": 0,
        "fig5_recurrent_div": 38,
        "log_fig5_recurrent_div": 38,
        "log_fig5_nets": 50,
    }
    v.update(kw)
    return _claim("P4a").decide(v)[1]


def test_claim_decisions():
    assert _p4a() == "holds"
    assert _p4a(fig5_recurrent_div=24) == "partly"  # 'often' read as >= 50 %
    assert _p4a(fig5_recurrent_div=25) == "holds"
    assert _p4a(fig5_weightwise_nonzero=10, fig5_aggregating_zero=3, fig5_recurrent_div=0) == "differs"
    assert (
        "unexplained"
        in _claim("P4a").decide(
            {"fig5_nets": 50, "fig5_weightwise_nonzero": 50, "fig5_aggregating_zero": 0}
            | {"fig5_aggregating_nonzero": 0, "fig5_recurrent_div": 10, "log_fig5_recurrent_div": 38}
            | {"log_fig5_nets": 50}
        )[0]
    )
    p4b = {
        "jmain_n": 50,
        "jmain_first_nonzero": 15,
        "jmain_last_nonzero": 48,
        "jmain_last_zero": 0,
        "jmain_first_steps": 1000,
        "jmain_last_steps": 2500,
        "jpar_n": 60,
        "jpar_nonzero": 60,
        "jpar_zero": 0,
    }
    assert _claim("P4b").decide(p4b)[1] == "holds"
    assert _claim("P4b").decide({**p4b, "jmain_last_zero": 1})[1] == "partly"  # 'near certainty': no zero net
    assert _claim("P4b").decide({**p4b, "jmain_last_nonzero": 40, "jpar_nonzero": 10})[1] == "differs"
    p4c = {
        "fig4_nets": 10,
        "fig4_nonzero": 0,
        "fig5_weightwise_nonzero_frac": 1.0,
        "cfg_trajectory_epochs": 100,
        "cfg_outcome_epochs": 1000,
        "eps": 1e-5,
    }
    assert _claim("P4c").decide(p4c)[1] == "partly"
    assert _claim("P4c").decide({**p4c, "fig4_nonzero": 9})[1] == "holds"
    assert _claim("P4c").decide({**p4c, "fig5_weightwise_nonzero_frac": 0.5})[1] == "differs"
    p4d = {
        "act_error_ratio_min": 400.0,
        "act_error_ratio_max": 3000.0,
        "act_linear_nobias_weightwise_error_median": 1e-3,
        "act_nonlinear_fixpoints": 0,
        "act_nonlinear_nets": 90,
        "act_nets": 5,
        "act_epochs": 200,
    }
    assert _claim("P4d").decide(p4d)[1] == "differs"
    assert _claim("P4d").decide({**p4d, "act_error_ratio_min": 5.0})[1] == "partly"
    assert _claim("P4d").decide({**p4d, "act_error_ratio_min": 0.5, "act_error_ratio_max": 9.0})[1] == "holds"
    p5a = {
        "fig6_levels_journal_below_identity": 4,
        "fig6_levels_journal_compared": 4,
        "fig6_journal_tfix_low": 1.4,
        "fig6_identity_tfix_low": 7.0,
        "fig6_levels_trained_below_identity": 4,
        "fig6_levels_compared": 4,
    }
    assert _claim("P5a").decide(p5a)[1] == "holds"
    assert _claim("P5a").decide({**p5a, "fig6_levels_journal_below_identity": 3})[1] == "differs"
    p5b = {
        "fig6_journal_ge2_low": 0.95,
        "fig6_journal_ge1_low": 0.99,
        "fig6_journal_copies_low": 100,
        "fig6_trained_ge2_low": 0.6,
        "fig6_trained_ge1_low": 0.9,
    }
    assert _claim("P5b").decide(p5b)[1] == "holds"
    assert _claim("P5b").decide({**p5b, "fig6_journal_ge2_low": 0.3})[1] == "partly"  # >= 1 but not 'a few'
    assert (
        _claim("P5b").decide({**p5b, "fig6_journal_ge2_low": 0.3, "fig6_journal_ge1_low": 0.8})[1]
        == "differs"
    )
    p6 = {"dist_min_max_abs": 0.3, "eps": 1e-5, "eps_keras": 1e-4, "dist5_pairs": 10, "dist6_pairs": 10}
    assert _claim("P6").decide(p6)[1] == "holds"
    assert _claim("P6").decide({**p6, "dist_min_max_abs": 5e-5})[1] == "partly"
    assert _claim("P6").decide({**p6, "dist_min_max_abs": 1e-6})[1] == "differs"


def test_share_text_and_readings():
    assert ch.share_text(2, 4) == "2/4"
    assert ch.share_text(42, 50) == "84%"
    with pytest.raises(ValueError, match="n:"):
        ch.share_text(0, 0)


def _panel(divs):
    return pd.DataFrame(
        [
            {"positions": p, "order": "output_major", "init": i, "lr": lr, "momentum": m, "n": 50, "div": d}
            for (p, i, lr, m), d in divs.items()
        ]
    )


def test_divergence_text_names_every_divergent_cell():
    cells = {
        ("raw", "glorot", 0.04, 0.9): 0.98,
        ("raw", "glorot", 0.01, 0.9): 0.06,
        ("raw", "glorot", 0.01, 0.0): 0.0,
        ("scaled", "pytorch", 0.04, 0.0): 0.0,
    }
    text = ch.divergence_text(_panel(cells))
    # the small cell is named too, and the shared momentum once; lr differs so it is named per cell
    assert text.startswith("26% diverge (in 2 of 4 cells, all with μ 0.9:")
    assert "raw, PyTorch layout / glorot at lr 0.04 (98%)" in text
    assert "raw, PyTorch layout / glorot at lr 0.01 (6%)" in text
    assert ch.divergence_text(_panel({k: 0.0 for k in cells})) == "none diverge"
    one = ch.divergence_text(_panel({**{k: 0.0 for k in cells}, ("raw", "glorot", 0.04, 0.9): 0.02}))
    assert (
        one == "1 of 200 nets diverge (in 1 of 4 cells: raw, PyTorch layout / glorot at lr 0.04, μ 0.9 (2%))"
    )


def test_bias_reading_reports_the_recurrent_difference():
    v = {}
    for tag, div in (("nobias", 20), ("bias", 30)):
        for red, counts in (
            ("weightwise", {"nonzero": 50}),
            ("aggregating", {"other": 50}),
            ("recurrent", {"div": div, "other": 50 - div}),
        ):
            for key in ("div", "zero", "nonzero", "second", "other"):
                v[f"act_linear_{tag}_{red}_{key}"] = counts.get(key, 0)
    text = ch._bias_difference_text(v, 50)
    assert "20 of 50 recurrent nets diverge without bias and 30 with bias" in text
    assert "aggregating" not in text and "within sampling noise" in text
    v["act_linear_bias_recurrent_div"], v["act_linear_bias_recurrent_other"] = 20, 30
    assert ch._bias_difference_text(v, 50) == ""


def test_prose_renders_as_markdown_not_as_a_value():
    bundle = ch.Prose("a *b*")._repr_mimebundle_()
    assert bundle["text/markdown"] == "a *b*" and "text/html" in bundle
    with pytest.raises(ValueError, match="text:"):
        ch.Prose(3)
    # every computed sentence the chapter pastes as prose is glued as Prose, and nothing else is
    nb = (Path(__file__).parents[1] / "book" / "02_self_training.ipynb").read_text()
    pasted = set(re.findall(r"\{glue:md\}`([a-z0-9_]+)_md`", nb))
    assert pasted == set(ch.SENTENCES)


def test_config_meanings_cover_every_field():
    import dataclasses

    from selfrep.chapters import self_application

    for mod, cfg in ((ch, ch.SelfTrainingConfig), (self_application, self_application.SelfApplicationConfig)):
        assert all(f.metadata.get("meaning") for f in dataclasses.fields(cfg))  # the config table reads these
        assert set(mod.CONFIG_MEANINGS) == {f.name for f in dataclasses.fields(cfg)}


def test_gain_example_records_every_net(frames):
    cfg = dataclasses.replace(TINY, grid_batch_checkpoints=(20,))
    gain = ch.run_gain_example(cfg, generator(0, "gx"), n=2, every=10)
    assert sorted(gain["step"].unique()) == [0, 10, 20]
    assert gain["net"].nunique() == 2 * len(cfg.grid_inits)
    assert set(gain["init"]) == set(cfg.grid_inits)
    v = ch.gain_example_values(gain)
    assert v["gex_n"] == 2 * len(cfg.grid_inits) and v["gex_steps"] == 20
    with pytest.raises(ValueError, match="every"):
        ch.run_gain_example(cfg, generator(0, "gx"), every=0)
    v = _values(frames, gain=gain)
    assert v["gex_n"] == 2 * len(cfg.grid_inits)
