"""Chapter 6b's glued values: the numbers each experiment measured (`e4_values` ... `e7_values`, plain
floats) and `values(...)`, every value the prose, the results file and the claims read, as one dict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from selfrep.chapters.self_modification.claims import scale_dependent_claims, verdict_values
from selfrep.chapters.self_modification.config import ANCHORS
from selfrep.chapters.self_modification.text import prose_words
from selfrep.selfmod.editnet import EditConfig
from selfrep.selfmod.hypernet import GHNConfig, steps_to_match
from selfrep.selfmod.lottery import lottery_summary
from selfrep.selfmod.serann import BITS, SerannConfig, slopes

if TYPE_CHECKING:  # run.py calls the e*_values below
    from selfrep.chapters.common import Stopwatch


@dataclass
class Result:
    """One experiment: the library's frames (`res`) and the glued numbers (`values`), including its CPU
    and wall seconds (`e<k>_cpu_s`, `e<k>_wall_s`: timings, different every run)."""

    res: dict[str, pd.DataFrame] | pd.DataFrame
    values: dict[str, float | int | str] = field(default_factory=dict)


def _se(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    return float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


def e4_values(res: dict[str, pd.DataFrame], cfg: GHNConfig) -> dict[str, float]:
    """Glued numbers of E4 (0-step accuracies, ratios, matched steps, fine-tuning, ablations)."""
    z, c = res["zero_shot"], res["curves"]
    rnd = c[c["init"] == "random"]
    ft = c[c["init"] == "ghn"]
    top = max(cfg.curve_steps)
    trained = rnd[rnd["step"] == top].groupby("split")["acc"].mean()
    v: dict[str, float] = {}
    short = {
        "in-distribution": "id",
        "deeper": "deeper",
        "wider": "wider",
        "other activation": "otheract",
    }

    def sel(enc: str, tok: str, split: str) -> pd.DataFrame:
        return z[(z["encoder"] == enc) & (z["tokens"] == tok) & (z["split"] == split)].sort_values(
            ["ghn_seed", "arch_i"]
        )

    for split, s in short.items():
        g = sel("gru", "true", split)
        m = sel("mlp", "true", split)
        v[f"e4_ghn_{s}_acc0"] = float(g["acc"].mean())
        v[f"e4_ghn_{s}_acc0_sd"] = float(g["acc"].std(ddof=1))
        v[f"e4_mlp_{s}_acc0"] = float(m["acc"].mean())
        v[f"e4_trained_{s}"] = float(trained[split])
        v[f"e4_ghn_{s}_ratio"] = v[f"e4_ghn_{s}_acc0"] / v[f"e4_trained_{s}"]
        v[f"e4_mlp_{s}_ratio"] = v[f"e4_mlp_{s}_acc0"] / v[f"e4_trained_{s}"]
        # Adam steps from random init needed to match the GHN's 0-step accuracy (median over archs
        # x seeds)
        matched = []
        for _, row in g.iterrows():
            cur = rnd[(rnd["split"] == split) & (rnd["arch_i"] == row["arch_i"])].sort_values("step")
            matched.append(steps_to_match(row["acc"], list(cur["step"]), cur["acc"].to_numpy()))
        # never matched within the curve (inf) is counted as twice its length, so the median stays
        # finite
        m_arr = np.asarray(matched)
        v[f"e4_unmatched_{s}"] = float(np.isinf(m_arr).mean())
        v[f"e4_matched_steps_{s}"] = float(np.median(np.where(np.isinf(m_arr), 2 * top, m_arr)))
    # OOD drop below ID (different architectures, so unpaired): ID - split, with its SE
    gid = sel("gru", "true", "in-distribution")["acc"].to_numpy()
    for split, s in list(short.items())[1:]:
        a = sel("gru", "true", split)["acc"].to_numpy()
        v[f"e4_drop_{s}"] = float(gid.mean() - a.mean())
        v[f"e4_drop_{s}_se"] = float(np.hypot(_se(gid), _se(a)))
    gi, mi = sel("gru", "true", "in-distribution"), sel("mlp", "true", "in-distribution")
    d = gi["acc"].to_numpy() - mi["acc"].to_numpy()  # paired by (GHN seed, architecture)
    v["e4_gap_ghn_mlp_id"] = float(d.mean())
    v["e4_gap_ghn_mlp_id_se"] = _se(d)
    for tok in ("shuffled", "constant"):
        t = sel("gru", tok, "in-distribution")
        v[f"e4_ghn_id_{tok}_acc0"] = float(t["acc"].mean())
        dd = gi["acc"].to_numpy() - t["acc"].to_numpy()
        v[f"e4_drop_{tok}_id"] = float(dd.mean())
        v[f"e4_drop_{tok}_id_se"] = _se(dd)
    # fine-tuning from the GHN init vs random init at equal steps: paired per (split, arch, GHN
    # seed)
    worse, gains = 0, []
    for split in short:
        for st in cfg.finetune_steps[1:]:
            a = ft[(ft["split"] == split) & (ft["step"] == st)].sort_values(["ghn_seed", "arch_i"])
            b = rnd[(rnd["split"] == split) & (rnd["step"] == st)].set_index("arch_i")["acc"]
            diff = a["acc"].to_numpy() - b.loc[a["arch_i"]].to_numpy()
            gains.append(diff.mean())
            if diff.mean() < -2 * _se(diff):
                worse += 1
    v["e4_ft_worse_cells"] = float(worse)
    v["e4_ft_cells"] = float(len(gains))
    v["e4_ft_min_gain"] = float(np.min(gains))
    for st in (100, max(cfg.finetune_steps)):
        a = ft[ft["step"] == st]["acc"].mean()
        b = rnd[rnd["step"] == st]["acc"].mean()
        v[f"e4_ft_ghn_{st}"] = float(a)
        v[f"e4_ft_random_{st}"] = float(b)
        # the in-distribution split alone (the values above average all four splits)
        idx = "in-distribution"
        v[f"e4_ft_ghn_id_{st}"] = float(ft[(ft["step"] == st) & (ft["split"] == idx)]["acc"].mean())
        v[f"e4_ft_random_id_{st}"] = float(rnd[(rnd["step"] == st) & (rnd["split"] == idx)]["acc"].mean())
    v["e4_finetune_max_steps"] = float(max(cfg.finetune_steps))
    v["e4_curve_max_steps"] = float(top)
    v["e4_n_test"] = float(cfg.n_test)
    v["e4_ghn_seeds"] = float(cfg.ghn_seeds)
    v["e4_n_train_archs"] = float((res["archs"]["split"] == "train").sum())
    return v


def e5_values(res: dict[str, pd.DataFrame], cfg: EditConfig, bench, max_dlogit: float) -> dict[str, float]:
    """Glued numbers of E5. `bench` is a loaded DigitsMLP-Bench (part 1) for the static baselines
    and the
    from-scratch accuracy of each grown architecture."""
    from selfrep.selfmod.baselines import best_static, random_search, scratch

    ep = res["episodes"].copy()
    v: dict[str, float] = {"e5_max_dlogit": float(max_dlogit)}
    for pol in ("evolved", "gen0", "blind", "random", "noop", "rule"):
        e = ep[ep["policy"] == pol]
        v[f"e5_{pol}_test"] = float(e["test_acc"].mean())
        v[f"e5_{pol}_test_sd"] = float(e["test_acc"].std(ddof=1))
        v[f"e5_{pol}_val"] = float(e["val_acc"].mean())
        v[f"e5_{pol}_fitness"] = float(e["fitness"].mean())
        v[f"e5_{pol}_params"] = float(e["params"].mean())
        v[f"e5_{pol}_param_epochs"] = float(e["param_epochs"].mean())
    # paired comparison (same body seed): evolved head of each run vs the random policy
    ev = ep[ep["policy"] == "evolved"]
    rd = ep[ep["policy"] == "random"].set_index("test_seed")
    d_fit = ev["fitness"].to_numpy() - rd.loc[ev["test_seed"], "fitness"].to_numpy()
    d_test = ev["test_acc"].to_numpy() - rd.loc[ev["test_seed"], "test_acc"].to_numpy()
    v["e5_gain_fit_vs_random"] = float(d_fit.mean())
    v["e5_gain_fit_vs_random_se"] = _se(d_fit)
    v["e5_gain_fit_vs_random_z"] = v["e5_gain_fit_vs_random"] / v["e5_gain_fit_vs_random_se"]
    v["e5_gain_test_vs_random"] = float(d_test.mean())
    v["e5_wins_vs_random"] = float((d_fit > 0).mean())
    nz = ep[ep["policy"] == "noop"].set_index("test_seed")
    d_noop = ev["fitness"].to_numpy() - nz.loc[ev["test_seed"], "fitness"].to_numpy()
    v["e5_gain_fit_vs_noop"] = float(d_noop.mean())
    v["e5_gain_fit_vs_noop_se"] = _se(d_noop)
    ru = ep[ep["policy"] == "rule"].set_index("test_seed")
    d_rule = ev["fitness"].to_numpy() - ru.loc[ev["test_seed"], "fitness"].to_numpy()
    v["e5_gain_fit_vs_rule"] = float(d_rule.mean())
    v["e5_gain_fit_vs_rule_se"] = _se(d_rule)
    # do the evolved heads react to the body, or replay one schedule? distinct edit sequences
    # (the round-by-round widths of each test seed, one sequence per episode, per evolution run)
    tr = res["trajectories"]
    tr = tr[tr["policy"] == "evolved"].sort_values("round")
    wcols = [c for c in tr.columns if c.startswith("w") and c[1:].isdigit()]
    path = tr.assign(state=tr[wcols].astype(str).agg("-".join, axis=1))
    per_run = path.groupby(["evo_run", "test_seed"])["state"].agg("/".join).groupby(level=0).nunique()
    v["e5_evolved_distinct_paths"] = float(per_run.mean())
    # does evolution add anything to picking the best of the random initial heads?
    g0 = ep[ep["policy"] == "gen0"]
    m0 = ev.merge(g0, on=["evo_run", "test_seed"], suffixes=("", "_gen0"))
    d_g0 = m0["fitness"].to_numpy() - m0["fitness_gen0"].to_numpy()
    v["e5_gain_fit_vs_gen0"] = float(d_g0.mean())
    v["e5_gain_fit_vs_gen0_se"] = _se(d_g0)
    # does the head read itself? blind (open-loop) twin of each evolved episode
    bl = ep[ep["policy"] == "blind"]
    key = ["evo_run", "test_seed"]
    m = ev.merge(bl, on=key, suffixes=("", "_blind"))
    v["e5_blind_same_arch"] = float((m["widths"] == m["widths_blind"]).mean())
    d_blind = m["fitness"].to_numpy() - m["fitness_blind"].to_numpy()
    v["e5_gain_fit_vs_blind"] = float(d_blind.mean())
    v["e5_gain_fit_vs_blind_se"] = _se(d_blind)
    # grown architectures vs the same architecture trained from scratch (bench look-up, 20 epochs)
    diffs, sds, ratios = [], [], []
    for _, row in ev.iterrows():
        widths = tuple(int(w) for w in row["widths"].split("-"))
        e = scratch(bench, widths, "relu", False)
        diffs.append(row["test_acc"] - e.test_acc)
        sds.append(float(np.std(e.test_acc_seeds, ddof=1)))
        ratios.append(row["param_epochs"] / (cfg.total_epochs * e.n_params))
    v["e5_grown_minus_scratch"] = float(np.mean(diffs))
    v["e5_scratch_seed_sd"] = float(np.mean(sds))
    v["e5_compute_ratio"] = float(np.mean(ratios))
    v["e5_scratch_test"] = float(v["e5_evolved_test"] - v["e5_grown_minus_scratch"])
    best, bval, btest, bsd = best_static(bench)
    v["e5_best_static_test"] = btest
    v["e5_best_static_val"] = bval
    v["e5_best_static_label"] = best.key  # a string label
    rbest = best_static(bench, activations=("relu",), skip=False)
    v["e5_best_relu_test"] = rbest[2]
    v["e5_best_relu_label"] = rbest[0].key
    budget = cfg.pop * cfg.generations * cfg.episode_seeds  # trainings spent by one evolution of the head
    rs = random_search(bench, budget, cfg.search_repeats, 0)
    v["e5_rs_budget"] = float(budget)
    v["e5_rs_test"] = float(rs.mean())
    v["e5_rs_test_sd"] = float(rs.std(ddof=1))
    v["e5_episodes_per_evolution"] = float(budget)
    v["e5_test_seeds"] = float(cfg.test_seeds)
    v["e5_evo_runs"] = float(cfg.evo_runs)
    v["e5_total_epochs"] = float(cfg.total_epochs)
    v["e5_evolved_edits"] = float(
        ep[ep["policy"] == "evolved"][["n_widen", "n_deepen", "n_shrink"]].sum(1).mean()
    )
    return v


# --------------------------------------------------------------------------------------------------
# E6
# --------------------------------------------------------------------------------------------------
def e6_values(df: pd.DataFrame) -> dict[str, float]:
    """Glued numbers of E6 (prefix e6_), from `lottery.lottery_summary`, with seed SDs floored at
    the test-set resolution."""
    from selfrep.archsearch.data import load_digits_split

    res = 1.0 / len(load_digits_split().y_test)  # one test digit: the step of a seed's accuracy
    summary = lottery_summary(df, small=ANCHORS["lth_ticket_size_max"], resolution=res)
    v = {f"e6_{k}": float(x) for k, x in summary.items()}
    v["e6_reinit_gap_small_se"] = float(v["e6_reinit_gap_small_sd"] / np.sqrt(v["e6_n_seeds"]))
    return v


# --------------------------------------------------------------------------------------------------
# E7
# --------------------------------------------------------------------------------------------------
def e7_values(res: dict[str, pd.DataFrame], cfg: SerannConfig) -> dict[str, float]:
    """Glued numbers of E7: first/last generation means, per-repeat slope signs, controls."""
    g = res["generations"]
    last = cfg.generations
    v: dict[str, float] = {}

    def at(cond: str, gen: int, metric: str) -> float:
        x = g[(g["condition"] == cond) & (g["generation"] == gen)][metric]
        return float(x.mean())

    short = {"endogenous": "endo", "exogenous": "exog", "exogenous_low": "exlo", "trivial": "triv"}
    for cond, c in short.items():
        v[f"e7_{c}_fitness_first"] = at(cond, 0, "fitness")
        v[f"e7_{c}_fitness_last"] = at(cond, last, "fitness")
        v[f"e7_{c}_mut_first"] = at(cond, 1, "mut_rate")
        v[f"e7_{c}_mut_last"] = at(cond, last, "mut_rate")
        v[f"e7_{c}_self_error_first"] = at(cond, 0, "self_error")
        v[f"e7_{c}_self_error_last"] = at(cond, last, "self_error")
        v[f"e7_{c}_unique_last"] = at(cond, last, "n_unique")
        v[f"e7_{c}_hamming_last"] = at(cond, last, "hamming")
        v[f"e7_{c}_lambda_last"] = at(cond, last, "loss_balance")
        v[f"e7_{c}_random_error_last"] = at(cond, last, "random_error")
        v[f"e7_{c}_extinct"] = float(
            g[(g["condition"] == cond) & (g["generation"] == last)]["fitness"].isna().sum()
        )
    v["e7_lambda_first"] = at("endogenous", 0, "loss_balance")
    sf = slopes(g, "fitness")
    sm = slopes(g, "mut_rate")
    se = slopes(g, "self_error")

    def frac(s: pd.DataFrame, cond: str, sign: int) -> float:
        x = s[s["condition"] == cond]["slope"].dropna()
        return float((np.sign(x) == sign).mean()) if len(x) else float("nan")

    def mean(s: pd.DataFrame, cond: str) -> float:
        return float(s[s["condition"] == cond]["slope"].mean())

    v["e7_endo_fitness_up_frac"] = frac(sf, "endogenous", 1)
    v["e7_endo_fitness_slope"] = mean(sf, "endogenous")
    v["e7_exo_fitness_slope"] = mean(sf, "exogenous")
    v["e7_triv_fitness_slope"] = mean(sf, "trivial")
    v["e7_endo_mut_down_frac"] = frac(sm, "endogenous", -1)
    v["e7_endo_mut_slope"] = mean(sm, "endogenous")
    v["e7_endo_self_error_slope"] = mean(se, "endogenous")
    v["e7_exo_self_error_slope"] = mean(se, "exogenous")
    v["e7_exo_self_error_down_frac"] = frac(se, "exogenous", -1)
    v["e7_exlo_self_error_slope"] = mean(se, "exogenous_low")
    v["e7_exlo_fitness_slope"] = mean(sf, "exogenous_low")
    v["e7_exlo_fitness_up_frac"] = frac(sf, "exogenous_low", 1)
    for cond, c in (("exogenous", "exo"), ("exogenous_low", "exlo")):
        v[f"e7_{c}_rate_bits"] = float(
            g[g["condition"] == cond].groupby("repeat")["exo_rate"].first().mean() * BITS
        )
    # what copying costs: the trivial replicator's fitness minus the endogenous population's
    v["e7_triv_minus_endo_fitness"] = v["e7_triv_fitness_last"] - v["e7_endo_fitness_last"]
    v["e7_repeats"] = float(cfg.repeats)
    v["e7_generations"] = float(cfg.generations)
    v["e7_pop"] = float(cfg.pop)
    v["e7_world_size"] = float(len(res["world"]))
    v["e7_bits"] = float(BITS)
    return v


def values(
    e4: Result,
    e5: Result,
    e6: Result,
    e7: Result,
    *,
    scale: str,
    seed: int,
    clock: Stopwatch | None = None,
) -> dict[str, float | int | str]:
    """Every glued value of the chapter, in the order the prose meets them: the scale and seed, the numbers
    of E4-E7 (with their configuration numbers and their CPU and wall seconds), the verdicts
    (`verdict_*`), the computed phrases (`word_*`), the claims whose verdict depends on the scale and,
    given the chapter's `clock`, its wall seconds so far (`chapter_wall_s`, a timing)."""
    measured = {**e4.values, **e5.values, **e6.values, **e7.values}
    out: dict[str, float | int | str] = {"scale_06b": scale, "seed_06b": seed, **measured}
    out.update(verdict_values(measured))
    out.update(prose_words(measured))
    out["claims_scale_dependent"] = scale_dependent_claims()
    if clock is not None:
        out["chapter_wall_s"] = clock.wall_s
    return out
