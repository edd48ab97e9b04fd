"""Chapter 6b's glued values: the numbers each experiment measured (`e4_values` ... `e7_values`, plain
floats) and `values(...)`, every value the prose, the results file and the claims read, as one dict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from selfrep.chapters.self_modification.claims import (
    CLAIMS,
    SCALE_REASONS,
    scale_dependent_claims,
    scale_note,
    verdict_values,
)
from selfrep.chapters.self_modification.config import ANCHORS, CHAPTER
from selfrep.chapters.self_modification.text import QUESTIONS, answer_values, prose_words
from selfrep.claims import holm, multiplicity, multiplicity_text
from selfrep.selfmod.editnet import EditConfig
from selfrep.selfmod.hypernet import GHNConfig, steps_to_match
from selfrep.selfmod.lottery import lottery_summary
from selfrep.selfmod.serann import BITS, SerannConfig, arch_effects, slopes

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


def _z(effect: float, se: float) -> float:
    """effect / SE (NaN when the SE is zero or undefined): the statistic of a "> 2 SE" rule."""
    return float(effect / se) if se == se and se > 0 else float("nan")


def _by_seed(a: pd.DataFrame, b: pd.DataFrame, col: str = "fitness") -> np.ndarray:
    """Per body seed, the mean over evolved heads of a[col] minus the mean of b[col] (both indexed by
    rows with a `test_seed`): one paired difference per seed, so that runs reused by several heads (the
    random policy's, one per seed) or sharing a seed are counted once."""
    ma = a.groupby("test_seed")[col].mean()
    mb = b.groupby("test_seed")[col].mean()
    return (ma - mb.loc[ma.index]).to_numpy(dtype=float)


def _ft_diff(ft: pd.DataFrame, rnd: pd.DataFrame, split: str, step: int) -> np.ndarray:
    """GHN init - random init test accuracy after `step` Adam steps, one per (GHN seed, architecture)."""
    a = ft[(ft["split"] == split) & (ft["step"] == step)].sort_values(["ghn_seed", "arch_i"])
    b = rnd[(rnd["split"] == split) & (rnd["step"] == step)].set_index("arch_i")["acc"]
    return a["acc"].to_numpy() - b.loc[a["arch_i"]].to_numpy()


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
        v[f"e4_drop_{s}_z"] = _z(v[f"e4_drop_{s}"], v[f"e4_drop_{s}_se"])
    gi, mi = sel("gru", "true", "in-distribution"), sel("mlp", "true", "in-distribution")
    d = gi["acc"].to_numpy() - mi["acc"].to_numpy()  # paired by (GHN seed, architecture)
    v["e4_gap_ghn_mlp_id"] = float(d.mean())
    v["e4_gap_ghn_mlp_id_se"] = _se(d)
    v["e4_gap_ghn_mlp_id_z"] = _z(v["e4_gap_ghn_mlp_id"], v["e4_gap_ghn_mlp_id_se"])
    for tok in ("shuffled", "constant"):
        t = sel("gru", tok, "in-distribution")
        v[f"e4_ghn_id_{tok}_acc0"] = float(t["acc"].mean())
        dd = gi["acc"].to_numpy() - t["acc"].to_numpy()
        v[f"e4_drop_{tok}_id"] = float(dd.mean())
        v[f"e4_drop_{tok}_id_se"] = _se(dd)
        v[f"e4_drop_{tok}_id_z"] = _z(v[f"e4_drop_{tok}_id"], v[f"e4_drop_{tok}_id_se"])
    # fine-tuning from the GHN init vs random init at equal steps (up to the "trained" reference's
    # count): paired per (split, arch, GHN seed); a cell is worse if Holm's step-down over all cells
    # (z = -gain / SE) keeps it at the 2-SE level
    gains, zs = [], []
    for split in short:
        for st in cfg.curve_steps[1:]:
            diff = _ft_diff(ft, rnd, split, st)
            gains.append(diff.mean())
            zs.append(-diff.mean() / _se(diff) if _se(diff) > 0 else float("nan"))
    v["e4_ft_worse_cells"] = float(sum(holm(zs)))
    v["e4_ft_worse_cells_2se"] = float(sum(z > 2 for z in zs))
    v["e4_ft_cells"] = float(len(gains))
    v["e4_ft_min_gain"] = float(np.min(gains))
    top_ft = max(cfg.curve_steps)
    final = np.concatenate([_ft_diff(ft, rnd, split, top_ft) for split in short])
    v["e4_ft_gap_final"] = float(final.mean())
    v["e4_ft_gap_final_se"] = _se(final)
    idf = _ft_diff(ft, rnd, "in-distribution", top_ft)
    v["e4_ft_gap_final_id"] = float(idf.mean())
    v["e4_ft_gap_final_id_se"] = _se(idf)
    for st in (100, top_ft):
        key = "final" if st == top_ft else str(st)
        a = ft[ft["step"] == st]["acc"].mean()
        b = rnd[rnd["step"] == st]["acc"].mean()
        v[f"e4_ft_ghn_{key}"] = float(a)
        v[f"e4_ft_random_{key}"] = float(b)
        # the in-distribution split alone (the values above average all four splits)
        idx = "in-distribution"
        v[f"e4_ft_ghn_id_{key}"] = float(ft[(ft["step"] == st) & (ft["split"] == idx)]["acc"].mean())
        v[f"e4_ft_random_id_{key}"] = float(rnd[(rnd["step"] == st) & (rnd["split"] == idx)]["acc"].mean())
    v["e4_finetune_max_steps"] = float(top_ft)
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
    # SE from the per-seed differences (mean over evolved heads minus the seed's one random run): the
    # random run of a seed is reused by every head, so the head x seed pairs are not independent
    d_seed = _by_seed(ev, ep[ep["policy"] == "random"])
    v["e5_gain_fit_vs_random"] = float(d_fit.mean())
    v["e5_gain_fit_vs_random_se"] = _se(d_seed)
    v["e5_gain_fit_vs_random_se_naive"] = _se(d_fit)  # as if every (head, seed) pair were independent
    v["e5_gain_fit_vs_random_z"] = _z(v["e5_gain_fit_vs_random"], v["e5_gain_fit_vs_random_se"])
    v["e5_gain_test_vs_random"] = float(d_test.mean())
    v["e5_wins_vs_random"] = float((d_fit > 0).mean())
    nz = ep[ep["policy"] == "noop"].set_index("test_seed")
    d_noop = ev["fitness"].to_numpy() - nz.loc[ev["test_seed"], "fitness"].to_numpy()
    v["e5_gain_fit_vs_noop"] = float(d_noop.mean())
    v["e5_gain_fit_vs_noop_se"] = _se(_by_seed(ev, ep[ep["policy"] == "noop"]))
    ru = ep[ep["policy"] == "rule"].set_index("test_seed")
    d_rule = ev["fitness"].to_numpy() - ru.loc[ev["test_seed"], "fitness"].to_numpy()
    v["e5_gain_fit_vs_rule"] = float(d_rule.mean())
    v["e5_gain_fit_vs_rule_se"] = _se(_by_seed(ev, ep[ep["policy"] == "rule"]))
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
    v["e5_gain_fit_vs_gen0_se"] = _se(_by_seed(ev, g0))
    # does the head read itself? blind (open-loop) twin of each evolved episode
    bl = ep[ep["policy"] == "blind"]
    key = ["evo_run", "test_seed"]
    m = ev.merge(bl, on=key, suffixes=("", "_blind"))
    v["e5_blind_same_arch"] = float((m["widths"] == m["widths_blind"]).mean())
    d_blind = m["fitness"].to_numpy() - m["fitness_blind"].to_numpy()
    v["e5_gain_fit_vs_blind"] = float(d_blind.mean())
    # clustered by body seed, like the comparisons above (heads of one seed share its body)
    v["e5_gain_fit_vs_blind_se"] = _se(_by_seed(ev, bl))
    v["e5_gain_fit_vs_blind_z"] = _z(v["e5_gain_fit_vs_blind"], v["e5_gain_fit_vs_blind_se"])
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
    v["e6_reinit_gap_small_z"] = _z(v["e6_reinit_gap_small"], v["e6_reinit_gap_small_se"])
    v["e6_stop_gap_small_z"] = _z(v["e6_stop_gap_small"], v["e6_stop_gap_small_se"])
    v["e6_speed_gap_small_z"] = _z(v["e6_speed_gap_small"], v["e6_speed_gap_small_se"])
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
    # the same at fixed architecture: architecture effects removed by regression over the world's
    # phenotypes (serann.add_arch_split), and the part the architectures explain
    sw = slopes(g, "self_error_within")
    sa = slopes(g, "self_error_arch")
    for cond, c in (("endogenous", "endo"), ("exogenous", "exo"), ("exogenous_low", "exlo")):
        v[f"e7_{c}_within_slope"] = mean(sw, cond)
        v[f"e7_{c}_arch_slope"] = mean(sa, cond)
    _, v["e7_lambda_effect"] = arch_effects(res["world"])
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


def paper_answers(answers: dict[str, str], scale: str) -> dict[str, str]:
    """The answers, each followed, below paper scale, by the paper-scale verdict of every claim it rests on
    whose recorded verdict differs between the scales (with the reason), so that the answer a reader takes
    away is the paper one."""
    out = dict(answers)
    if scale == "paper":
        return out
    for _, key, ids in QUESTIONS:
        for c in CLAIMS:
            if c.id in SCALE_REASONS and c.id in ids and c.expected.get(scale) != c.expected["paper"]:
                out[key] += (
                    f" At paper scale, which this answer stands on, the verdict on “{c.statement}” is "
                    f"{c.expected['paper']} (here {c.expected.get(scale, '?')}): {SCALE_REASONS[c.id]}."
                )
    return out


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
    out.update(paper_answers(answer_values(measured), scale))
    out["claims_scale_dependent"] = scale_dependent_claims()
    out["claims_scale_note"] = scale_note()
    # the chapter's significance tests as one Holm family, for the claims intro
    out["claims_multiplicity_text"] = multiplicity_text(
        multiplicity(CLAIMS, {CHAPTER: measured}), "this chapter"
    )
    if clock is not None:
        out["chapter_wall_s"] = clock.wall_s
    return out
