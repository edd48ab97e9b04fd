"""Chapter 6, "Architecture search": presets, the experiments E0-E3 as library calls, glued values, claims.

The notebook `book/06_architecture_search.ipynb` calls, in order:

    cfg = preset("06_architecture_search", scale)
    bench = Bench.load()
    e0 = run_e0(bench, cfg)          # landscape + live slice check           -> E0Result
    e1 = run_e1(bench, cfg, seed)    # strategies at equal budget             -> E1Result
    e2 = run_e2(bench, cfg, seed)    # space vs strategy, live HPO, L2        -> E2Result
    e3 = run_e3(bench, cfg, seed)    # predictors vs zero-cost proxies        -> E3Result
    values = {**e0.values, **e1.values, **e2.values, **e3.values}   # -> glue, -> claims

Every value is a plain float (or int) so that it can be glued and read back by `selfrep claims`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from selfrep.archsearch import hpo, predictors, search
from selfrep.archsearch.bench import Bench, verify_slice
from selfrep.archsearch.data import load_digits_split
from selfrep.archsearch.space import ACTIVATIONS, grid_configs
from selfrep.claims import Claim, claims_frame
from selfrep.plotting.tables import table

CHAPTER = "06_architecture_search"
DEFAULT_MLPS = ("mlp_untuned", "mlp_default")


@dataclass(frozen=True)
class Chapter06Config:
    """Sizes of the chapter's experiments (the table itself is shipped; see `bench.py`)."""

    # E0: live retraining of a slice of the table
    slice_n: int = 8
    slice_seeds: tuple[int, ...] = (0,)
    # E1: strategies at equal budget (budget = max(budgets); smaller budgets are prefixes of the same runs)
    budgets: tuple[int, ...] = (10, 25, 50, 100)
    repeats: int = 100
    predictor_repeats: int = 20
    predictor_models: tuple[str, ...] = ("rf",)
    optuna_repeats: int = 0
    evolution_population: int = 20
    evolution_sample: int = 5
    # E2a: space vs strategy
    space_budgets: tuple[int, ...] = (10, 25, 48)
    # E2b: live hyperparameter search
    hpo_repeats: int = 3
    hpo_levels: int = 3
    hpo_epochs: int = 8
    # E2c: trainable L2 vs hypergradient
    l2_seeds: tuple[int, ...] = (0, 1)
    l2_epochs: int = 40
    # E3: meta-predictors
    e3_ns: tuple[int, ...] = (10, 25, 50, 100, 200)
    e3_repeats: int = 3
    e3_models: tuple[str, ...] = predictors.MODELS
    proxy_limit: int | None = 400
    extrap_repeats: int = 3

    def __post_init__(self) -> None:
        for name in ("repeats", "predictor_repeats", "hpo_repeats", "e3_repeats", "extrap_repeats"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name}: need at least 2 repeats for standard errors")
        if sorted(self.budgets) != list(self.budgets) or self.budgets[0] < 1:
            raise ValueError(f"budgets: must be increasing and >= 1, got {self.budgets}")


PRESETS: dict[str, Chapter06Config] = {
    "ci": Chapter06Config(),
    "paper": Chapter06Config(
        slice_n=24,
        slice_seeds=(0, 1, 2),
        repeats=100,
        predictor_repeats=100,
        predictor_models=("rf", "mlp"),
        optuna_repeats=100,
        hpo_repeats=10,
        hpo_epochs=20,
        l2_seeds=(0, 1, 2, 3, 4),
        l2_epochs=100,
        e3_repeats=10,
        proxy_limit=None,
        extrap_repeats=10,
    ),
}

# The 48-point restricted space of E2a: uniform widths {32, 64, 128}, relu/tanh, skip 0/1, depth 1-4.
RESTRICTED = {
    "depths": (1, 2, 3, 4),
    "widths": (32, 64, 128),
    "activations": ("relu", "tanh"),
    "skips": (False, True),
}
METHOD_KEYS = {
    "random": "rs",
    "grid": "grid",
    "evolution": "re",
    "predictor-rf": "pred_rf",
    "predictor-mlp": "pred_mlp",
    "optuna-tpe": "tpe",
    "optuna-random": "optuna_rs",
}


def _f(x) -> float:
    return float(x)


# --- E0 --------------------------------------------------------------------------------------------
@dataclass
class E0Result:
    landscape: pd.DataFrame  # quantity -> value (the table shown)
    by_depth_act: pd.DataFrame  # mean / max validation accuracy by depth x activation
    slice_check: pd.DataFrame  # stored vs retrained rows
    values: dict[str, float] = field(default_factory=dict)


def landscape_values(bench: Bench) -> dict[str, float]:
    """The landscape numbers of the table (all from mean-of-seeds validation accuracy unless named test)."""
    v, t = bench.val_mean, bench.test_mean
    sd = bench.val.std(1, ddof=1)
    canon = bench.is_canonical
    top10 = canon & (v >= np.quantile(v[canon], 0.9))
    best = int(np.argmax(v))
    out = {
        "e0_n_configs": len(bench),
        "e0_n_unique": int(canon.sum()),
        "e0_n_seeds": len(bench.seeds),
        "e0_seed_sd_all": _f(sd[canon].mean()),
        "e0_seed_sd_top10": _f(sd[top10].mean()),
        "e0_seed_rho_all": _f(stats.spearmanr(bench.val[canon, 0], bench.val[canon, 1]).statistic),
        "e0_seed_rho_top10": _f(stats.spearmanr(bench.val[top10, 0], bench.val[top10, 1]).statistic),
        "e0_val_test_rho": _f(stats.spearmanr(v[canon], t[canon]).statistic),
        "e0_random_avg_val": _f(v.mean()),
        "e0_random_avg_test": _f(t.mean()),
        "e0_best_val": _f(v[best]),
        "e0_best_val_test": _f(t[best]),
        "e0_oracle_test": _f(t.max()),
        "e0_winners_curse": _f(v[best] - t[best]),
        "e0_train_s_median": _f(np.median(bench.cpu_s[canon])),
    }
    for name, q in (
        ("min", 0),
        ("q25", 0.25),
        ("median", 0.5),
        ("q75", 0.75),
        ("q90", 0.9),
        ("q99", 0.99),
        ("max", 1),
    ):
        out[f"e0_val_{name}"] = _f(np.quantile(v, q))
    out["e0_frac_within_1sd"] = _f((v >= v.max() - out["e0_seed_sd_top10"]).mean())
    out["e0_frac_within_2sd"] = _f((v >= v.max() - 2 * out["e0_seed_sd_top10"]).mean())
    acts = np.array([c.activation for c in bench.configs])
    for a in ACTIVATIONS:
        out[f"e0_mean_{a}"] = _f(v[acts == a].mean())
    b = bench.meta.get("build", {})
    if "cpu_s" in b and "wall_s" in b:  # absent for tables built by hand (e.g. `synthetic_bench`)
        out["e0_build_cpu_s"] = _f(b["cpu_s"])
        out["e0_build_wall_s"] = _f(b["wall_s"])
    return out


def run_e0(bench: Bench, cfg: Chapter06Config) -> E0Result:
    vals = landscape_values(bench)
    t0 = time.perf_counter()
    check = verify_slice(bench, n=cfg.slice_n, seeds=cfg.slice_seeds)
    vals["e0_slice_runs"] = len(check)
    vals["e0_slice_maxdiff"] = _f(max(check["val_absdiff"].max(), check["test_absdiff"].max()))
    vals["e0_slice_wall_s"] = _f(time.perf_counter() - t0)
    rows = [
        ("configurations (total / functionally distinct)", f"{len(bench)} / {vals['e0_n_unique']}"),
        ("training seeds per configuration", f"{vals['e0_n_seeds']}"),
        (
            "validation accuracy min / 25 / 50 / 75 / 90 / 99 % / max",
            " / ".join(
                f"{vals[f'e0_val_{k}']:.3f}" for k in ("min", "q25", "median", "q75", "q90", "q99", "max")
            ),
        ),
        (
            "seed SD of validation accuracy (all / top 10 %)",
            f"{vals['e0_seed_sd_all']:.4f} / {vals['e0_seed_sd_top10']:.4f}",
        ),
        (
            "Spearman seed 0 vs seed 1 (all / top 10 %)",
            f"{vals['e0_seed_rho_all']:.3f} / {vals['e0_seed_rho_top10']:.3f}",
        ),
        ("Spearman validation vs test (mean of seeds)", f"{vals['e0_val_test_rho']:.3f}"),
        (
            "random-average architecture: validation / test",
            f"{vals['e0_random_avg_val']:.4f} / {vals['e0_random_avg_test']:.4f}",
        ),
        (
            "winner's curse: best validation -> its test (oracle test)",
            f"{vals['e0_best_val']:.4f} -> {vals['e0_best_val_test']:.4f} ({vals['e0_oracle_test']:.4f})",
        ),
        (
            "share of configs within 1 / 2 top-10 % SD of the best",
            f"{vals['e0_frac_within_1sd']:.3f} / {vals['e0_frac_within_2sd']:.3f}",
        ),
        (
            "build: wall s / CPU s (2 single-thread workers)",
            f"{vals['e0_build_wall_s']:.0f} / {vals['e0_build_cpu_s']:.0f}"
            if "e0_build_wall_s" in vals
            else "n/a",
        ),
        (
            "live slice: runs, max |stored - retrained|",
            f"{vals['e0_slice_runs']}, {vals['e0_slice_maxdiff']:.1e}",
        ),
    ]
    landscape = pd.DataFrame(rows, columns=["quantity", "value"]).set_index("quantity")
    df = bench.frame()
    by = df.groupby(["depth", "activation"])["val_acc"].agg(["mean", "max"]).unstack("activation")
    return E0Result(landscape, by, check, vals)


# --- E1 --------------------------------------------------------------------------------------------
@dataclass
class E1Result:
    traces: list[search.SearchTrace]
    summary: pd.DataFrame
    curves: pd.DataFrame
    values: dict[str, float] = field(default_factory=dict)


def run_e1(bench: Bench, cfg: Chapter06Config, seed: int = 0) -> E1Result:
    obj = search.TableObjective(bench)
    B = max(cfg.budgets)
    traces = []
    traces += search.run_repeats(obj, "random", B, cfg.repeats, seed)
    traces += search.run_repeats(obj, "grid", B, cfg.repeats, seed)
    traces += search.run_repeats(
        obj,
        "evolution",
        B,
        cfg.repeats,
        seed,
        population=cfg.evolution_population,
        sample=cfg.evolution_sample,
    )
    for m in cfg.predictor_models:
        traces += search.run_repeats(obj, "predictor", B, cfg.predictor_repeats, seed, model=m)
    if cfg.optuna_repeats and search.optuna_available():
        for s in ("tpe", "random"):
            traces += search.run_repeats(obj, "optuna", B, cfg.optuna_repeats, seed, sampler=s)
    summary = search.summarize(traces, bench, cfg.budgets)
    curves = search.incumbent_curves(traces, bench)
    vals: dict[str, float] = {
        "e1_budget_max": B,
        "e1_repeats": cfg.repeats,
        "e1_predictor_repeats": cfg.predictor_repeats,
        "e1_optuna_ran": int(any(t.method.startswith("optuna") for t in traces)),
    }
    vals["e1_optuna_text"] = optuna_text(cfg.optuna_repeats, search.optuna_available(), vals["e1_optuna_ran"])
    for r in summary.itertuples():
        k = f"e1_{METHOD_KEYS[r.method]}_{r.budget}"
        vals[f"{k}_mean"], vals[f"{k}_se"] = _f(r.mean), _f(r.se)
        vals[f"{k}_median"], vals[f"{k}_median_se"] = _f(r.median), _f(r.median_se)
        vals[f"{k}_ri"], vals[f"{k}_ptop1"] = _f(r.ri_vs_random_avg_pct), _f(r.p_top1)
        vals[f"{k}_charged_s"], vals[f"{k}_overhead_s"] = _f(r.charged_s), _f(r.overhead_s)
        vals[f"{k}_optimism"] = _f(r.optimism)
    by = {m: [t for t in traces if t.method == m] for m in dict.fromkeys(t.method for t in traces)}
    for m, ts in by.items():
        if m == "random":
            continue
        for b in cfg.budgets:
            d, se = search.difference(ts, by["random"], bench, b)
            vals[f"e1_{METHOD_KEYS[m]}_minus_rs_{b}"], vals[f"e1_{METHOD_KEYS[m]}_minus_rs_{b}_se"] = d, se
            vals[f"e1_{METHOD_KEYS[m]}_minus_rs_{b}_z"] = _f(d / se)
    at_b = summary[summary["budget"] == B].set_index("method")
    others = at_b.drop(index="random")
    best = others["mean"].idxmax()
    vals["e1_best_method"] = best
    vals["e1_best_minus_rs"] = vals[f"e1_{METHOD_KEYS[best]}_minus_rs_{B}"]
    vals["e1_best_minus_rs_se"] = vals[f"e1_{METHOD_KEYS[best]}_minus_rs_{B}_se"]
    vals["e1_best_ri"] = _f(at_b.loc[best, "ri_vs_random_avg_pct"])
    vals["e1_rs_ri"] = _f(at_b.loc["random", "ri_vs_random_avg_pct"])
    vals["e1_best_ri_vs_rs"] = _f(100 * vals["e1_best_minus_rs"] / at_b.loc["random", "mean"])
    vals["e1_rank_tau_mean_median"] = _f(stats.kendalltau(at_b["mean"], at_b["median"]).statistic)
    vals["e1_median_best_method"] = at_b["median"].idxmax()
    # ties: every method within 2 combined SE of the best, by mean and by median (the "best" alone is a
    # tie-break when the SEs overlap)
    rows_b = summary[summary["budget"] == B]
    tied_mean = search.tied_best(rows_b, "mean")
    tied_median = search.tied_best(rows_b, "median")
    vals["e1_tied_mean"] = ", ".join(tied_mean)
    vals["e1_tied_median"] = ", ".join(tied_median)
    vals["e1_n_tied_mean"] = len(tied_mean)
    vals["e1_n_tied_median"] = len(tied_median)
    vals["e1_tied_sets_agree"] = int(set(tied_mean) == set(tied_median))
    vals["e1_accuracy_step_inv"] = int(round(1 / search.accuracy_step(bench)))
    return E1Result(traces, summary, curves, vals)


def optuna_text(repeats: int, available: bool, ran: int) -> str:
    """Whether the Optuna cross-check ran in this build, and why not, for prose."""
    if ran:
        return (
            f"optuna is installed here, and both Optuna samplers ran ({repeats} runs each); their rows are "
            "in the tables and figures below."
        )
    if not repeats:
        return (
            "The Optuna samplers are switched off at this scale (optuna_repeats = 0), so no table or "
            "figure has Optuna rows."
        )
    if not available:
        return (
            "The Optuna cross-check runs only when optuna is installed (it is not a dependency). It is not "
            "installed here, so it did not run in this build, and no table or figure has Optuna rows."
        )
    return "The Optuna samplers did not run in this build, so no table or figure has Optuna rows."


# --- E2 --------------------------------------------------------------------------------------------
@dataclass
class E2Result:
    space_summary: pd.DataFrame
    hpo_trials: pd.DataFrame
    hpo_incumbents: pd.DataFrame
    importance: pd.Series
    l2_history: pd.DataFrame
    l2_final: pd.DataFrame
    values: dict[str, float] = field(default_factory=dict)


def restricted_ids(bench: Bench) -> list[int]:
    return [bench.index(c) for c in grid_configs(**RESTRICTED)]


def run_e2(bench: Bench, cfg: Chapter06Config, seed: int = 0) -> E2Result:
    vals: dict[str, float] = {}
    obj = search.TableObjective(bench)
    # (a) space vs strategy on the table
    grid48 = grid_configs(**RESTRICTED)
    ids = restricted_ids(bench)
    B = max(cfg.space_budgets)
    tr = (
        search.run_repeats(obj, "grid", B, cfg.repeats, seed, label="grid (48, restricted)", grid=grid48)
        + search.run_repeats(
            obj, "random", B, cfg.repeats, seed, label="random (48, restricted)", candidates=ids
        )
        + search.run_repeats(obj, "random", B, cfg.repeats, seed, label="random (full space)")
    )
    space_summary = search.summarize(tr, bench, cfg.space_budgets)
    keys = {
        "grid (48, restricted)": "grid48",
        "random (48, restricted)": "rs48",
        "random (full space)": "rsfull",
    }
    for r in space_summary.itertuples():
        vals[f"e2_{keys[r.method]}_{r.budget}_mean"] = _f(r.mean)
        vals[f"e2_{keys[r.method]}_{r.budget}_se"] = _f(r.se)
    groups = {keys[m]: [t for t in tr if t.method == m] for m in keys}
    b_mid = cfg.space_budgets[1] if len(cfg.space_budgets) > 1 else cfg.space_budgets[0]
    vals["e2_budget_mid"] = b_mid
    d, se = search.difference(groups["grid48"], groups["rs48"], bench, b_mid)
    vals["e2_grid_minus_rs48"], vals["e2_grid_minus_rs48_se"] = d, se
    d, se = search.difference(groups["rs48"], groups["rsfull"], bench, b_mid)
    vals["e2_space_gain"], vals["e2_space_gain_se"] = d, se
    vals["e2_restricted_best_test"] = _f(bench.test_mean[ids].max())
    vals["e2_restricted_mean_test"] = _f(bench.test_mean[ids].mean())
    # (b) live hyperparameter search
    trials = hpo.hpo_experiment(cfg.hpo_repeats, cfg.hpo_levels, cfg.hpo_epochs, seed)
    inc = hpo.hpo_incumbents(trials)
    imp = hpo.importance(trials[trials["method"] == "random"], seed)
    # one training seed per incumbent: accuracies are multiples of 1 / (test or validation digits)
    split = load_digits_split()
    t_step, v_step = 1 / len(split.y_test), 1 / len(split.y_val)
    for m, g in inc.groupby("method"):
        vals[f"e2_hpo_{m}_val"] = _f(g["best_val"].mean())
        vals[f"e2_hpo_{m}_test"] = _f(g["test_acc"].mean())
        vals[f"e2_hpo_{m}_test_se"] = search.floored_se(g["test_acc"].to_numpy(), t_step)
        vals[f"e2_hpo_{m}_distinct_lr"] = _f(g["distinct_lr"].mean())
    rt = inc[inc["method"] == "random"]["test_acc"].to_numpy()
    gt = inc[inc["method"] == "grid"]["test_acc"].to_numpy()
    rv = inc[inc["method"] == "random"]["best_val"].to_numpy()
    gv = inc[inc["method"] == "grid"]["best_val"].to_numpy()
    vals["e2_hpo_random_minus_grid_test"] = _f(rt.mean() - gt.mean())
    vals["e2_hpo_random_minus_grid_test_se"] = _f(
        np.hypot(search.floored_se(rt, t_step), search.floored_se(gt, t_step))
    )
    vals["e2_hpo_random_minus_grid_test_z"] = _f(
        vals["e2_hpo_random_minus_grid_test"] / vals["e2_hpo_random_minus_grid_test_se"]
    )
    vals["e2_hpo_random_minus_grid_val"] = _f(rv.mean() - gv.mean())
    vals["e2_hpo_random_minus_grid_val_se"] = _f(
        np.hypot(search.floored_se(rv, v_step), search.floored_se(gv, v_step))
    )
    vals["e2_hpo_trials"] = len(trials)
    vals["e2_hpo_cpu_s"] = _f(trials["cpu_s"].sum())
    for h in hpo.HPARAMS:
        vals[f"e2_imp_{h}"] = _f(imp[h])
    # (c) trainable L2 vs hypergradient
    l2cfg = hpo.L2Config(epochs=cfg.l2_epochs)
    hist, fin = hpo.l2_experiment(cfg.l2_seeds, l2cfg)
    vals["e2_l2_lam0"] = l2cfg.lam0
    for m, g in fin.groupby("mode"):
        for q in ("lam", "val_acc", "val_loss", "test_acc", "test_loss"):
            vals[f"e2_l2_{m}_{q}"] = _f(g[q].mean())
    piv = fin.pivot(index="seed", columns="mode", values="test_loss")
    dl = (piv["hypergradient"] - piv["none"]).to_numpy()
    vals["e2_l2_hyper_minus_none_test_loss"] = _f(dl.mean())
    vals["e2_l2_hyper_minus_none_test_loss_se"] = (
        _f(dl.std(ddof=1) / np.sqrt(len(dl))) if len(dl) > 1 else float("nan")
    )
    df_ = (piv["fixed"] - piv["none"]).to_numpy()
    vals["e2_l2_fixed_minus_none_test_loss"] = _f(df_.mean())
    vals["e2_l2_min_hyper_lam"] = _f(
        hist[hist["mode"] == "hypergradient"].groupby("epoch")["lam"].mean().min()
    )
    pa = fin.pivot(index="seed", columns="mode", values="test_acc")
    da = (pa["hypergradient"] - pa["none"]).to_numpy()
    vals["e2_l2_hyper_minus_none_test_acc"] = _f(da.mean())
    vals["e2_l2_cpu_s"] = _f(fin["cpu_s"].sum())
    vals["e2_l2_trainable_ratio"] = vals["e2_l2_trainable_lam"] / l2cfg.lam0
    vals["e2_l2_hypergradient_ratio"] = vals["e2_l2_hypergradient_lam"] / l2cfg.lam0
    vals["e2_l2_hyper_over_trained"] = vals["e2_l2_hypergradient_lam"] / vals["e2_l2_trainable_lam"]
    vals["e2_l2_hyper_fall"] = 1 / vals["e2_l2_hypergradient_ratio"]
    vals.update(l2_path_values(hist, l2cfg.lam0))
    return E2Result(space_summary, trials, inc, imp, hist, fin, vals)


def _runs(mask: np.ndarray) -> list[int]:
    """The lengths of the runs of True in a 1-d boolean array, in order."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).tolist()


def l2_path_values(hist: pd.DataFrame, lam0: float, spike: float = 2.0) -> dict[str, float | str]:
    """The hypergradient's λ path and the validation loss as the L2 figure draws them (means over seeds),
    for prose: the minimum of λ and its epoch; after that minimum, λ's largest mean value and epoch, how
    many seeds climb back above λ0 (and how far, when); the largest mean validation loss after the minimum,
    its epoch, the seed it comes from, and the losses of the fixed-λ and no-L2 settings at that epoch.
    A loss above `spike` times its median after the minimum is called a spike.

    hist: mode, seed, epoch, lam, val_loss (hpo.l2_experiment's histories)."""
    hy = hist[hist["mode"] == "hypergradient"]
    lam = hy.pivot(index="epoch", columns="seed", values="lam")
    loss = hist.pivot_table(index="epoch", columns=["mode", "seed"], values="val_loss")
    mean_lam, mean_loss = lam.mean(axis=1), loss["hypergradient"].mean(axis=1)
    e_min = int(mean_lam.idxmin())
    after = lam.loc[e_min:]
    e_peak = int(after.mean(axis=1).idxmax())
    v: dict[str, float | str] = {
        "e2_l2_hyper_min_epoch": e_min,
        "e2_l2_hyper_peak_lam": _f(mean_lam[e_peak]),
        "e2_l2_hyper_peak_epoch": e_peak,
        "e2_l2_hyper_peak_over_lam0": _f(mean_lam[e_peak] / lam0),
    }
    above = after.columns[(after > lam0).any()]
    runs = [_runs(after[c].to_numpy() > lam0) for c in lam.columns]  # excursions above λ0, per seed
    v["e2_l2_hyper_seeds_above_lam0"] = len(above)
    v["e2_l2_hyper_excursions_max"] = max(len(r) for r in runs)
    v["e2_l2_hyper_excursion_longest"] = max((max(r) for r in runs if r), default=0)
    if len(above) == 0:
        v["e2_l2_hyper_excursion_text"] = (
            f"In none of the {lam.shape[1]} seeds does λ climb back above λ0 after its minimum."
        )
    else:
        peaks, epochs = after[above].max(), after[above].idxmax()
        n_runs = v["e2_l2_hyper_excursions_max"]
        where = (
            f"at epoch {int(epochs.max())}"
            if epochs.nunique() == 1
            else f"at epochs {int(epochs.min())}–{int(epochs.max())}"
        )
        v["e2_l2_hyper_excursion_text"] = (
            f"In {len(above)} of the {lam.shape[1]} seeds λ climbs back above λ0 "
            f"({'once' if n_runs == 1 else f'up to {n_runs} times'} per seed, for at most "
            f"{v['e2_l2_hyper_excursion_longest']} epochs at a time), with per-seed peaks {where}, the "
            f"highest {peaks.max():.1e} ({peaks.max() / lam0:.0f} × λ0). The spikes of the mean in (a) are "
            "these excursions."
        )
    tail = mean_loss.loc[e_min:]
    e_loss = int(tail.idxmax())
    median = float(tail.median())
    worst = loss.loc[e_loss, "hypergradient"].idxmax()
    v.update(
        {
            "e2_l2_hyper_loss_peak": _f(tail[e_loss]),
            "e2_l2_hyper_loss_peak_epoch": e_loss,
            "e2_l2_hyper_loss_median": median,
            "e2_l2_fixed_loss_at_peak": _f(loss.loc[e_loss, "fixed"].mean()),
            "e2_l2_none_loss_at_peak": _f(loss.loc[e_loss, "none"].mean()),
        }
    )
    if tail[e_loss] > spike * median:
        v["e2_l2_hyper_loss_text"] = (
            f"This is a spike, {tail[e_loss] / median:.0f} × the median after epoch {e_min}, and it comes "
            f"from seed {worst}, whose loss there is {loss.loc[e_loss, ('hypergradient', worst)]:.2f}; the "
            f"same seed with λ fixed at λ0 reaches {loss.loc[e_loss, ('fixed', worst)]:.2f} at that epoch, "
            f"and without L2 {loss.loc[e_loss, ('none', worst)]:.2f}"
        )
    else:
        v["e2_l2_hyper_loss_text"] = (
            f"It stays within {spike:g} × its median after epoch {e_min} ({median:.3f}): no spike"
        )
    return v


# --- E3 --------------------------------------------------------------------------------------------
@dataclass
class E3Result:
    curve: pd.DataFrame  # one row per (model, n, repeat)
    curve_summary: pd.DataFrame  # mean over repeats
    proxies: pd.DataFrame  # per architecture
    proxy_summary: pd.DataFrame  # per proxy
    extrapolation: pd.DataFrame
    extrapolation_summary: pd.DataFrame
    values: dict[str, float] = field(default_factory=dict)


def run_e3(bench: Bench, cfg: Chapter06Config, seed: int = 0) -> E3Result:
    vals: dict[str, float] = {}
    curve = predictors.learning_curve(bench, cfg.e3_models, cfg.e3_ns, cfg.e3_repeats, seed)
    cs = curve.groupby(["model", "n"], sort=False)[["tau", "tau_top20", "spearman", "mae", "fit_s"]].mean()
    se = curve.groupby(["model", "n"], sort=False)["tau"].std(ddof=1) / np.sqrt(cfg.e3_repeats)
    cs.insert(1, "tau_se", se)
    for (m, n), r in cs.iterrows():
        for q in ("tau", "tau_se", "tau_top20", "mae"):
            vals[f"e3_{m}_{n}_{q}"] = _f(r[q])
    prox = predictors.proxy_scores(bench, limit=cfg.proxy_limit)
    ps = predictors.proxy_table(prox).set_index("proxy")
    for p, r in ps.iterrows():
        vals[f"e3_proxy_{p}_tau"] = _f(r["tau"])
        vals[f"e3_proxy_{p}_tau_top20"] = _f(r["tau_top20"])
    vals["e3_proxy_seed0_mae"] = _f(np.mean(np.abs(prox["seed0_val"] - prox["target"])))
    vals["e3_naswot_ms"] = _f(1000 * prox["naswot_s"].mean())
    vals["e3_proxy_n_archs"] = len(prox)
    ex = predictors.extrapolation(bench, repeats=cfg.extrap_repeats, seed=seed)
    es = ex.groupby(["model", "setting"])[["tau", "tau_top20", "mae", "n_train"]].mean()
    for (m, s), r in es.iterrows():
        vals[f"e3_{s}_{m}_tau"] = _f(r["tau"])
        vals[f"e3_{s}_{m}_mae"] = _f(r["mae"])
    vals["e3_extrap_n_train"] = _f(es["n_train"].iloc[0])
    vals["e3_extrap_rf_mae_ratio"] = vals["e3_extrapolate_rf_mae"] / vals["e3_interpolate_rf_mae"]
    vals["e3_extrap_rf_tau_ratio"] = vals["e3_extrapolate_rf_tau"] / vals["e3_interpolate_rf_tau"]
    n_max = max(cfg.e3_ns)
    # "learned" = the predictors we set up; the two default-settings MLPs are the meta-meta control (A3.5)
    learned = [m for m in cfg.e3_models if m not in DEFAULT_MLPS]
    best = max(learned, key=lambda m: vals[f"e3_{m}_{n_max}_tau"])
    vals["e3_n_max"] = n_max
    vals["e3_best_model"] = best
    vals["e3_best_tau"] = vals[f"e3_{best}_{n_max}_tau"]
    vals["e3_best_tau_top20"] = vals[f"e3_{best}_{n_max}_tau_top20"]
    vals["e3_best_mae"] = min(vals[f"e3_{m}_{n_max}_mae"] for m in learned)
    n25 = 25 if 25 in cfg.e3_ns else min(cfg.e3_ns)
    vals["e3_n_small"] = n25
    vals["e3_rf_small_tau"] = vals[f"e3_rf_{n25}_tau"]
    vals["e3_rf_small_tau_se"] = vals[f"e3_rf_{n25}_tau_se"]
    if "mlp" in cfg.e3_models and "mlp_default" in cfg.e3_models:
        vals["e3_mlp_minus_default_tau"] = vals[f"e3_mlp_{n_max}_tau"] - vals[f"e3_mlp_default_{n_max}_tau"]
        vals["e3_mlp_minus_default_tau_se"] = _f(
            np.hypot(vals[f"e3_mlp_{n_max}_tau_se"], vals[f"e3_mlp_default_{n_max}_tau_se"])
        )
    # smallest N at which the best learned model's MAE is <= 0.01 (0 if never)
    hits = [n for n in cfg.e3_ns if min(vals[f"e3_{m}_{n}_mae"] for m in learned) <= 0.01]
    vals["e3_n_for_1pp_mae"] = min(hits) if hits else 0
    return E3Result(curve, cs.reset_index(), prox, ps.reset_index(), ex, es.reset_index(), vals)


def format_table(
    df: pd.DataFrame, formats: Mapping[str, str], rename: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A display copy of `df`: the columns in `formats` rendered with those format strings, then renamed."""
    out = df.copy()
    for col, fmt in formats.items():
        out[col] = [fmt.format(x) for x in out[col]]
    return out.rename(columns=dict(rename or {}))


SUMMARY_FORMATS = {
    "mean": "{:.4f}",
    "se": "{:.4f}",
    "median": "{:.4f}",
    "median_se": "{:.4f}",
    "regret": "{:.4f}",
    "ri_vs_random_avg_pct": "{:.1f}",
    "p_top1": "{:.2f}",
    "evals": "{:.0f}",
    "charged_s": "{:.1f}",
    "overhead_s": "{:.2f}",
    "inc_val": "{:.4f}",
    "optimism": "{:+.4f}",
}
SUMMARY_NAMES = {
    "repeats": "runs",
    "se": "SE",
    "median_se": "SE (median)",
    "regret": "test regret",
    "ri_vs_random_avg_pct": "RI (%)",
    "p_top1": "P(top 1 %)",
    "charged_s": "charged CPU-s",
    "overhead_s": "overhead s",
    "inc_val": "incumbent val",
    "optimism": "optimism",
}
# What each column of the strategy tables means (shown under them in the chapter).
SUMMARY_MEANINGS = {
    "runs": "independent repeats of the strategy (its own seeds)",
    "mean, median": "of the incumbent's mean-of-seeds test accuracy over the runs",
    "SE, SE (median)": "standard error of the mean, and bootstrap SE of the median; SDs floored at the "
    "table's accuracy step",
    "test regret": "best test accuracy in the table minus the mean",
    "RI (%)": "relative improvement over the random-average architecture, 100 (mean - a) / (1 - a)",
    "P(top 1 %)": "share of runs whose incumbent is among the best 1 % of configurations by test accuracy",
    "evals": "evaluations made (grid stops when exhausted)",
    "charged CPU-s": "training CPU seconds of exactly the runs made, from the table",
    "overhead s": "the strategy's own compute (predictor fits, proposals)",
    "incumbent val": "the incumbent's mean-of-seeds validation accuracy",
    "optimism": "the single observation that made it the incumbent minus that mean: the winner's curse",
}
ACCURACY_COLUMNS = (
    "repeats",
    "mean",
    "se",
    "median",
    "median_se",
    "regret",
    "ri_vs_random_avg_pct",
    "p_top1",
)
COST_COLUMNS = ("evals", "charged_s", "overhead_s", "inc_val", "optimism")


def strategy_table(summary: pd.DataFrame, columns: str = "accuracy"):
    """`search.summarize` output for display, indexed by (method, budget): `columns="accuracy"` (runs, mean,
    SE, median, regret, RI, P(top 1 %)) or `"cost"` (evaluations, charged and overhead seconds, the
    incumbent's validation accuracy and optimism). Two narrow tables fit the page where one wide does not."""
    cols = {"accuracy": ACCURACY_COLUMNS, "cost": COST_COLUMNS}.get(columns)
    if cols is None:
        raise ValueError(f"columns: must be 'accuracy' or 'cost', got {columns!r}")
    df = summary[["method", "budget", *cols]]
    fmt = {c: f for c, f in SUMMARY_FORMATS.items() if c in cols}
    return _padded(table(format_table(df, fmt, SUMMARY_NAMES).set_index(["method", "budget"])))


def _padded(sty):
    """A display Styler with some room between columns (numbers otherwise run together)."""
    return sty.set_table_styles(
        [{"selector": "td, th", "props": [("padding", "0.1em 0.3em")]}], overwrite=False
    )


def meanings_table(meanings: Mapping[str, str]):
    """A two-column (column, meaning) table for display."""
    df = pd.DataFrame(list(meanings.items()), columns=["column", "meaning"]).set_index("column")
    return table(df)


def hpo_incumbent_table(incumbents: pd.DataFrame):
    """Mean and SD over repeats of each live HPO method's incumbent (validation, test, its learning rate,
    distinct learning rates tried)."""
    cols = ["best_val", "test_acc", "best_lr", "distinct_lr"]
    return _padded(table(incumbents.groupby("method")[cols].agg(["mean", "std"]), precision=4))


def l2_final_table(final: pd.DataFrame):
    """Mean over seeds of the L2 experiment's final numbers per mode."""
    cols = ["lam", "val_acc", "val_loss", "test_acc", "test_loss"]
    df = final.groupby("mode", sort=False)[cols].mean()
    return _padded(table(format_table(df, {"lam": "{:.1e}"}), precision=4))


def predictor_table(curve_summary: pd.DataFrame):
    """Learning-curve summary (model x N) for display."""
    fmt = {c: "{:.3f}" for c in ("tau", "tau_se", "tau_top20", "spearman")} | {
        "mae": "{:.4f}",
        "fit_s": "{:.3f}",
    }
    return _padded(table(format_table(curve_summary, fmt).set_index(["model", "n"])))


def proxy_display(proxy_summary: pd.DataFrame):
    """Zero-cost proxy summary for display."""
    fmt = {c: "{:.3f}" for c in ("tau", "tau_top20", "spearman")}
    return _padded(table(format_table(proxy_summary, fmt).set_index("proxy")))


CONFIG_MEANINGS = {
    "slice_n": "table rows retrained live to check the stored values",
    "slice_seeds": "training seeds of that live check",
    "budgets": "evaluation budgets reported (prefixes of one run)",
    "repeats": "runs per strategy (random, grid, evolution) and per space in E2a",
    "predictor_repeats": "runs of each predictor-guided strategy",
    "predictor_models": "predictor-guided strategies run (rf: random forest, mlp: MLP ensemble)",
    "optuna_repeats": "runs of each Optuna sampler (only when optuna is installed)",
    "evolution_population": "regularized evolution: population P",
    "evolution_sample": "regularized evolution: tournament size S",
    "space_budgets": "budgets of the space-vs-strategy comparison",
    "hpo_repeats": "live hyperparameter searches per method (each a new training seed)",
    "hpo_levels": "grid levels per hyperparameter (trials = levels^3 for both methods)",
    "hpo_epochs": "training epochs of each live trial",
    "l2_seeds": "seeds of the trainable-L2 experiment",
    "l2_epochs": "training epochs of the trainable-L2 experiment",
    "e3_ns": "training-set sizes N of the predictors",
    "e3_repeats": "repeats (random training sets) per predictor and N",
    "e3_models": "predictors compared",
    "proxy_limit": "architectures scored by the zero-cost proxies (None: all)",
    "extrap_repeats": "repeats of the extrapolation test",
}


def scale_table(presets: Mapping[str, Chapter06Config] | None = None):
    """The chapter's configuration at both scales side by side, with a one-line meaning per field; the
    fields that change between scales first."""
    import dataclasses

    presets = dict(presets or PRESETS)
    names = [f.name for f in dataclasses.fields(Chapter06Config)]
    rows = [
        {
            "parameter": n,
            **{s: repr(getattr(c, n)) for s, c in presets.items()},
            "meaning": CONFIG_MEANINGS.get(n, ""),
        }
        for n in names
    ]
    df = pd.DataFrame(rows).set_index("parameter")
    changes = df[list(presets)].nunique(axis=1) > 1
    df.insert(0, "changes", np.where(changes, "yes", ""))
    return _padded(table(pd.concat([df[changes], df[~changes]])))


def config_values(cfg: Chapter06Config) -> dict[str, float]:
    """Configuration numbers the prose cites, for glue (`cfg_<field>`), plus derived sizes."""
    from selfrep.archsearch.space import SearchSpace

    l2 = hpo.L2Config(epochs=cfg.l2_epochs)
    return {
        "cfg_repeats": cfg.repeats,
        "cfg_predictor_repeats": cfg.predictor_repeats,
        "cfg_evolution_population": cfg.evolution_population,
        "cfg_evolution_sample": cfg.evolution_sample,
        "cfg_budget_max": max(cfg.budgets),
        "cfg_hpo_repeats": cfg.hpo_repeats,
        "cfg_hpo_levels": cfg.hpo_levels,
        "cfg_hpo_trials": cfg.hpo_levels**3,
        "cfg_hpo_epochs": cfg.hpo_epochs,
        "cfg_l2_n_seeds": len(cfg.l2_seeds),
        "cfg_l2_epochs": cfg.l2_epochs,
        "cfg_e3_repeats": cfg.e3_repeats,
        "cfg_extrap_repeats": cfg.extrap_repeats,
        "cfg_grid_size": len(search.default_grid(SearchSpace())),
        "cfg_restricted_size": len(grid_configs(**RESTRICTED)),
        "cfg_predictor_models": ", ".join(f"predictor-{m}" for m in cfg.predictor_models),
        **repeats_text(cfg),
        **{f"cfg_pred_{k}": v for k, v in _defaults(search.predictor_guided).items()},
        "cfg_hpo_arch": f"{list(hpo.HPO_ARCH.widths)} {hpo.HPO_ARCH.activation}",
        "cfg_hpo_lr_range": f"1e{hpo.LOG_LR[0]:.0f} … 1e{hpo.LOG_LR[1]:.0f}",
        "cfg_hpo_wd_range": f"1e{hpo.LOG_WD[0]:.0f} … 1e{hpo.LOG_WD[1]:.0f}",
        "cfg_hpo_dropout_range": f"{hpo.DROPOUT[0]:g} … {hpo.DROPOUT[1]:g}",
        "cfg_l2_arch": f"{list(l2.widths)} relu",
        "cfg_l2_lr": l2.lr,
    }


def repeats_text(cfg: Chapter06Config) -> dict[str, str]:
    """How many runs each strategy of E1 gets, for prose and captions; predictor-guided search is named
    apart only when its repeat count differs from the others'."""
    n, p = cfg.repeats, cfg.predictor_repeats
    if n == p:
        return {
            "cfg_runs_text": f"{n} independent runs per strategy",
            "cfg_runs_caption": f"{n} per strategy",
            "cfg_runs_note": f"At this scale every strategy has {n} runs.",
        }
    se = "larger" if p < n else "smaller"
    return {
        "cfg_runs_text": (
            f"{n} independent runs ({p} for predictor-guided search, which refits a model every round, so "
            f"its SEs are {se})"
        ),
        "cfg_runs_caption": f"{n} per strategy, {p} for predictor-guided search",
        "cfg_runs_note": (
            f"At this scale predictor-guided search has {p} runs, the other strategies {n} each, so its SEs "
            f"are {se}."
        ),
    }


def _defaults(fn) -> dict[str, int]:
    """The integer keyword defaults of `fn` (the predictor-guided search's sizes, for prose)."""
    import inspect

    ps = inspect.signature(fn).parameters.values()
    return {p.name: p.default for p in ps if isinstance(p.default, int) and not isinstance(p.default, bool)}


def expected_values() -> dict[str, str]:
    """`expected_A1_4_ci`, `expected_A1_4_paper`, ...: the recorded verdict of each claim per scale."""
    return {
        f"expected_{c.id.replace('.', '_')}_{s}": v for c in CLAIMS for s, v in sorted(c.expected.items())
    }


def with_pp(values: Mapping[str, float]) -> dict[str, float]:
    """`values` plus, for every accuracy difference or SD (numeric keys containing minus, gain, sd, curse, mae
    or optimism), a `<key>_pp` copy in percentage points, for prose."""
    out = dict(values)
    for k, v in values.items():
        if (
            isinstance(v, (int, float))
            and not isinstance(v, bool)
            and any(t in k for t in ("minus", "gain", "_sd", "curse", "mae", "optimism"))
            and not k.endswith(("_ratio", "_ms"))
            and "loss" not in k
            and "n_for" not in k
        ):
            out[f"{k}_pp"] = 100.0 * float(v)
    return out


def verdict_values(values: Mapping[str, float]) -> dict[str, str]:
    """`verdict_A1_1` ... : the verdict of each claim, for prose."""
    return {f"verdict_{c.id.replace('.', '_')}": c.decide(values)[1] for c in CLAIMS}


# --- claims ----------------------------------------------------------------------------------------
# A claim's `uses` lists the numbers it is decided by; string labels (method names) are read with `.get`
# for the measured text only. Verdicts follow the evidence with its uncertainty: a claimed effect holds only
# when it is detectable (> 2 SE), a null result is "differs", and "partly" is kept for compound claims of
# which one part holds (the rule says which parts).
def _verdict(ok: bool, partly: bool = False) -> str:
    return "holds" if ok else ("partly" if partly else "differs")


def _pm(d: float, se: float) -> str:
    return f"{100 * d:+.2f} ± {100 * se:.2f} pp"


def _a11(v: Mapping[str, float]):
    d, se, sd = v["e1_re_minus_rs_100"], v["e1_re_minus_rs_100_se"], v["e0_seed_sd_top10"]
    return (
        f"RE - RS at 100 evals = {_pm(d, se)} ({d / se:+.1f} SE); "
        f"seed SD of the top 10 % = {100 * sd:.2f} pp",
        _verdict(-2 * se < d < sd),
    )


def _a12(v: Mapping[str, float]):
    d, ri = v["e1_best_minus_rs"], v["e1_best_ri"]
    return (
        f"best by mean ({v.get('e1_best_method', '?')}) - RS = {100 * d:+.2f} pp; RI over the "
        f"random-average architecture = {ri:.1f} %",
        _verdict(d < 0.005 and ri > 10, d < 0.005 or ri > 10),
    )


def _a13(v: Mapping[str, float]):
    sig = {b: v[f"e1_pred_rf_minus_rs_{b}"] > 2 * v[f"e1_pred_rf_minus_rs_{b}_se"] for b in (10, 25, 50, 100)}
    gains = ", ".join(
        f"{b}: {100 * v[f'e1_pred_rf_minus_rs_{b}']:+.2f}±{100 * v[f'e1_pred_rf_minus_rs_{b}_se']:.2f}"
        for b in (10, 25, 50, 100)
    )
    late = sig[50] or sig[100]
    early = sig[10] or sig[25]
    return (
        f"predictor (RF) - RS in pp at budget {gains}",
        _verdict(late and not early, late and not sig[10]),
    )


def _a14(v: Mapping[str, float]):
    agree = bool(v["e1_tied_sets_agree"])
    return (
        f"tied best (within 2 SE) by mean: {v.get('e1_tied_mean', '?')} ({v['e1_n_tied_mean']:.0f}); "
        f"by median: {v.get('e1_tied_median', '?')} ({v['e1_n_tied_median']:.0f}); Kendall tau of the two "
        f"full rankings {v['e1_rank_tau_mean_median']:.2f}",
        _verdict(agree),
    )


def _a21(v: Mapping[str, float]):
    d, se, sd = v["e2_grid_minus_rs48"], v["e2_grid_minus_rs48_se"], v["e0_seed_sd_top10"]
    return (
        f"grid - random in the same 48-point space = {_pm(d, se)} at {v['e2_budget_mid']:.0f} evals "
        f"(seed SD {100 * sd:.2f} pp)",
        _verdict(abs(d) < sd),
    )


def _a22(v: Mapping[str, float]):
    d, se, sd = v["e2_space_gain"], v["e2_space_gain_se"], v["e0_seed_sd_top10"]
    detectable = d > 2 * se
    return (
        f"random in the restricted space - random in the full space = {_pm(d, se)} "
        f"(seed SD {100 * sd:.2f} pp)",
        _verdict(detectable and d > sd, detectable),
    )


def _a23(v: Mapping[str, float]):
    d, se = v["e2_hpo_random_minus_grid_test"], v["e2_hpo_random_minus_grid_test_se"]
    return (
        f"random - grid (test accuracy of the incumbent) = {_pm(d, se)} ({d / se:+.1f} SE)",
        _verdict(d > 2 * se),
    )


def _a24(v: Mapping[str, float]):
    s = {h: v[f"e2_imp_{h}"] for h in hpo.HPARAMS}
    others = max(s["weight_decay"], s["dropout"])
    return (
        f"variance share of main effects: lr {s['lr']:.2f}, weight decay {s['weight_decay']:.2f}, "
        f"dropout {s['dropout']:.2f}",
        _verdict(s["lr"] > 0.5 and s["lr"] > 3 * others, s["lr"] > others),
    )


def _a25(v: Mapping[str, float]):
    tr, hy, ratio = v["e2_l2_trainable_ratio"], v["e2_l2_hypergradient_ratio"], v["e2_l2_hyper_over_trained"]
    collapses = tr < 1e-2
    return (
        f"final lam / lam0: trained on the training loss {tr:.1e}; by validation hypergradient {hy:.1e} "
        f"({ratio:.0f}x the trained one)",
        _verdict(collapses and ratio >= 10, collapses),
    )


def _a26(v: Mapping[str, float]):
    d, se = v["e2_l2_hyper_minus_none_test_loss"], v["e2_l2_hyper_minus_none_test_loss_se"]
    return (
        f"test loss, hypergradient L2 - no L2 = {d:+.4f} ± {se:.4f} (paired by seed); test accuracy "
        f"{100 * v['e2_l2_hyper_minus_none_test_acc']:+.2f} pp",
        _verdict(d < -2 * se),
    )


def _a31(v: Mapping[str, float]):
    t, se, p = v["e3_rf_small_tau"], v["e3_rf_small_tau_se"], v["e3_proxy_n_params_tau"]
    return (
        f"Kendall tau at N = {v['e3_n_small']:.0f}: random forest {t:.3f} ± {se:.3f} "
        f"vs parameter count {p:.3f}",
        _verdict(t - p > max(0.05, 2 * se)),
    )


def _a32(v: Mapping[str, float]):
    m, n = v["e3_best_mae"], v["e3_n_max"]
    return (f"best learned MAE at N = {n:.0f}: {100 * m:.2f} pp", _verdict(m <= 0.01))


def _a33(v: Mapping[str, float]):
    t = v["e3_best_tau_top20"]
    return (
        f"tau inside the true top 20 % ({v.get('e3_best_model', '?')}, N = {v['e3_n_max']:.0f}) = {t:.3f}; "
        f"epoch-2 accuracy {v['e3_proxy_val_acc_e2_tau_top20']:.3f}; one full training run (seed 0) "
        f"{v['e3_proxy_seed0_val_tau_top20']:.3f}",
        _verdict(t < 0.5),
    )


def _a34(v: Mapping[str, float]):
    tr, mr = v["e3_extrap_rf_tau_ratio"], v["e3_extrap_rf_mae_ratio"]
    keeps, loses = tr >= 0.8, mr >= 2
    return (
        f"depth <= 2 -> depth 4 vs same-size interpolation (RF): tau ratio {tr:.2f}, MAE ratio {mr:.2f}",
        _verdict(keeps and loses, keeps or loses),
    )


def _a35(v: Mapping[str, float]):
    u, p = v["e3_mlp_untuned_200_tau"], v["e3_proxy_n_params_tau"]
    return (
        f"tau at N = {v['e3_n_max']:.0f}: default MLP on the raw description {u:.3f}, "
        f"parameter count {p:.3f}",
        _verdict(u < p),
    )


def _a36(v: Mapping[str, float]):
    t, ts = v["e3_mlp_200_tau"], v["e3_mlp_200_tau_se"]
    d, ds = v["e3_mlp_default_200_tau"], v["e3_mlp_default_200_tau_se"]
    gap, se = t - d, float(np.hypot(ts, ds))
    return (
        f"tau at N = 200: tuned MLP ensemble {t:.3f} ± {ts:.3f}, sklearn defaults on "
        f"standardised inputs {d:.3f} ± {ds:.3f}; gap {gap:+.3f} ± {se:.3f}",
        _verdict(gap > 2 * se),
    )


# The verdicts we measured and recorded, per scale (`selfrep claims --check` fails when one changes). This is
# a regression record of what the chapter measured at each scale, not a prediction made before measuring.
EXPECTED: dict[str, dict[str, str]] = {
    "A1.1": {"ci": "holds", "paper": "holds"},
    "A1.2": {"ci": "holds", "paper": "holds"},
    "A1.3": {"ci": "holds", "paper": "holds"},
    "A1.4": {"ci": "differs", "paper": "differs"},
    "A2.1": {"ci": "holds", "paper": "holds"},
    "A2.2": {"ci": "partly", "paper": "partly"},
    "A2.3": {"ci": "differs", "paper": "differs"},
    "A2.4": {"ci": "holds", "paper": "holds"},
    "A2.5": {"ci": "holds", "paper": "holds"},
    "A2.6": {"ci": "differs", "paper": "holds"},
    "A3.1": {"ci": "holds", "paper": "holds"},
    "A3.2": {"ci": "differs", "paper": "differs"},
    "A3.3": {"ci": "holds", "paper": "holds"},
    "A3.4": {"ci": "holds", "paper": "holds"},
    "A3.5": {"ci": "holds", "paper": "holds"},
    "A3.6": {"ci": "holds", "paper": "holds"},
}


def _claim(cid, statement, paper, uses, rule, decide):
    return Claim(cid, CHAPTER, statement, paper, tuple(uses), rule, decide, EXPECTED[cid])


CLAIMS: list[Claim] = [
    _claim(
        "A1.1",
        "Regularized evolution is at most slightly better than random search at 100 evaluations: better by "
        "less than one seed SD, and not detectably worse.",
        "NAS-Bench-101, 150 evals: RS 6.341 % vs RE 6.109 % test error (0.23 pp); Q&A 001: RL-NAS 'only "
        "slightly better than random search'",
        ["e1_re_minus_rs_100", "e1_re_minus_rs_100_se", "e0_seed_sd_top10"],
        "'only slightly better' read as: -2 SE < RE - RS < one seed SD of the top 10 %; holds if so, "
        "differs otherwise",
        _a11,
    ),
    _claim(
        "A1.2",
        "The best strategy beats random search by < 0.5 pp, yet beats the random-average "
        "architecture by > 10 % (relative improvement).",
        "Yang et al. 2020: methods 'struggle to significantly beat the average architecture baseline'; "
        "RS to best method 0.42 pp on NB-101",
        ["e1_best_minus_rs", "e1_best_ri"],
        "two parts, 'struggle to beat' read as < 0.5 pp over RS and 'beat the average' as RI > 10 %: "
        "holds if both; partly if one; differs if neither",
        _a12,
    ),
    _claim(
        "A1.3",
        "Predictor-guided search (BANANAS-lite) helps only from about 50 evaluations on.",
        "BANANAS: predictor 'within one percent' after 200 training points; >100x over RS on NB-101",
        [f"e1_pred_rf_minus_rs_{b}" for b in (10, 25, 50, 100)]
        + [f"e1_pred_rf_minus_rs_{b}_se" for b in (10, 25, 50, 100)],
        "'helps' read as gain over RS > 2 SE: holds if it helps at 50 or 100 but not at 10 or 25; "
        "partly if it helps late and not at 10 (but already at 25); differs otherwise",
        _a13,
    ),
    _claim(
        "A1.4",
        "Mean and median over repeats pick the same best strategies at 100 evaluations.",
        "nasbench#11: users ask whether to report mean or median over runs",
        ["e1_tied_sets_agree", "e1_n_tied_mean", "e1_n_tied_median", "e1_rank_tau_mean_median"],
        "'best strategies' read as the best one and every strategy within 2 combined SE of it (ties "
        "stay ties); holds if the sets by mean and by median are equal; differs otherwise",
        _a14,
    ),
    _claim(
        "A2.1",
        "Grid and random search are equivalent inside the same 48-point space.",
        "Bergstra & Bengio 2012 (random beats grid when few hyperparameters matter); prototype 0.9659 vs "
        "0.9666 at 10 evals",
        ["e2_grid_minus_rs48", "e2_grid_minus_rs48_se", "e0_seed_sd_top10", "e2_budget_mid"],
        "'equivalent' read as |grid - random| < one seed SD of the top 10 %; holds if so, differs otherwise",
        _a21,
    ),
    _claim(
        "A2.2",
        "Restricting the search space gains more than one seed SD over searching the full space.",
        "Q&A 001: 'the question is more how you define the search space'",
        ["e2_space_gain", "e2_space_gain_se", "e0_seed_sd_top10"],
        "two parts: a detectable gain (> 2 SE) that is larger than one seed SD; holds if both; partly if "
        "the gain is detectable but <= SD; differs if not detectable",
        _a22,
    ),
    _claim(
        "A2.3",
        "In a live search over lr, weight decay and dropout, random search beats a grid of the same size.",
        "Bergstra & Bengio 2012: random trials are more efficient than a grid",
        ["e2_hpo_random_minus_grid_test", "e2_hpo_random_minus_grid_test_se"],
        "'beats' read as random - grid > 2 SE (SDs floored at 1/360, the test-set step); holds if so, "
        "differs otherwise (a difference within 2 SE is no detectable effect)",
        _a23,
    ),
    _claim(
        "A2.4",
        "Only one hyperparameter (the learning rate) really matters.",
        "Bergstra & Bengio 2012: 'only a few of the hyper-parameters really matter'",
        ["e2_imp_lr", "e2_imp_weight_decay", "e2_imp_dropout"],
        "two parts, 'matters most' and 'only it': holds if lr's variance share > 0.5 and > 3x each other "
        "share; partly if lr's share is only the largest; differs otherwise",
        _a24,
    ),
    _claim(
        "A2.5",
        "An L2 coefficient trained on the training loss collapses (to < 1/100 of its start); one that "
        "follows a validation hypergradient (a meta-level) ends at least 10x higher than that.",
        "Q&A 003: 'gradient descent would simply drive it to zero'",
        ["e2_l2_trainable_ratio", "e2_l2_hypergradient_ratio", "e2_l2_hyper_over_trained"],
        "'drive it to zero' read as final lam / lam0 < 1e-2; holds if that and hypergradient lam >= 10x "
        "the trained lam; partly if only the collapse; differs otherwise",
        _a25,
    ),
    _claim(
        "A2.6",
        "The hypergradient-tuned L2 lowers the test loss against no L2.",
        "Q&A 003: regularisation trades training loss for test performance",
        [
            "e2_l2_hyper_minus_none_test_loss",
            "e2_l2_hyper_minus_none_test_loss_se",
            "e2_l2_hyper_minus_none_test_acc",
        ],
        "'lowers' read as lower by > 2 SE (paired by seed); holds if so, differs otherwise",
        _a26,
    ),
    _claim(
        "A3.1",
        "A learned predictor beats the parameter count at N = 25 training architectures.",
        "ZiCo (ICLR 2023): no zero-cost proxy works consistently better than #params",
        ["e3_rf_small_tau", "e3_rf_small_tau_se", "e3_proxy_n_params_tau", "e3_n_small"],
        "'beats' read as tau_RF - tau_params > 2 SE (over repeats) and > 0.05; holds if so, "
        "differs otherwise",
        _a31,
    ),
    _claim(
        "A3.2",
        "Predicting accuracy within 1 pp (MAE) takes about 200 trained architectures.",
        "BANANAS: 'within one percent of its true value using only 200 training points'",
        ["e3_best_mae", "e3_n_max"],
        "'within one percent' read as the best learned MAE <= 1 pp at N max (200); holds if so, differs "
        "otherwise",
        _a32,
    ),
    _claim(
        "A3.3",
        "Ranking inside the top 20 % stays poor (Kendall tau < 0.5).",
        "Q&A 003: no point tuning below the standard error of the estimate",
        ["e3_best_tau_top20", "e3_n_max", "e3_proxy_val_acc_e2_tau_top20", "e3_proxy_seed0_val_tau_top20"],
        "'poor' read as the best learned predictor's tau inside the true top 20 % < 0.5 at N max; holds "
        "if so, differs otherwise",
        _a33,
    ),
    _claim(
        "A3.4",
        "Trained on shallow nets, a predictor keeps its ranking on deeper nets but loses its "
        "calibration (MAE x2 or more).",
        "Q&A 003: 'neural networks are bad at extrapolating'",
        ["e3_extrap_rf_tau_ratio", "e3_extrap_rf_mae_ratio"],
        "two parts, 'keeps its ranking' read as tau ratio >= 0.8 and 'bad' as MAE ratio >= 2: holds if "
        "both; partly if one; differs if neither",
        _a34,
    ),
    _claim(
        "A3.5",
        "An MLP predictor with sklearn's default settings on the raw description (unscaled widths and "
        "parameter counts) fails: it ranks worse than the parameter count.",
        "Q&A 003: would you need a 'meta meta' network to tune the meta network?",
        ["e3_mlp_untuned_200_tau", "e3_proxy_n_params_tau", "e3_n_max"],
        "'fails' read as tau below the parameter count's at N max; holds if so, differs otherwise",
        _a35,
    ),
    _claim(
        "A3.6",
        "Even on standardised inputs, sklearn's default settings rank worse than the tuned MLP ensemble.",
        "Q&A 003: the meta network has hyperparameters of its own ('meta meta')",
        ["e3_mlp_200_tau", "e3_mlp_200_tau_se", "e3_mlp_default_200_tau", "e3_mlp_default_200_tau_se"],
        "'worse' read as tau_tuned - tau_default > 2 SE (over repeats) at N = 200; holds if so, differs "
        "otherwise",
        _a36,
    ),
]


def decide_claims(values: Mapping[str, float], scale: str | None = None) -> pd.DataFrame:
    """The chapter's claims decided from `values` (see selfrep.claims.claims_frame)."""
    return claims_frame(CLAIMS, values, scale)


# The closing table's one-word answers: (glue name, claim ids that must all hold, words for yes/partly/no).
ANSWERS: tuple[tuple[str, tuple[str, ...], tuple[str, str, str]], ...] = (
    ("answer_nas_vs_random", ("A1.1", "A1.2"), ("Yes, at this scale", "Partly", "No")),
    ("answer_space", ("A2.1", "A2.2"), ("Yes", "Partly", "No")),
    ("answer_random_effective", ("A1.2",), ("Yes", "Partly", "No")),
    ("answer_below_se", ("A3.3",), ("Yes, near the top", "Partly", "Not here")),
    ("answer_self_l2", ("A2.5",), ("Not by itself", "Only partly", "It can")),
    ("answer_few_matter", ("A2.4",), ("Yes, one does", "Partly", "No")),
    ("answer_extrapolation", ("A3.4",), ("It ranks, but is miscalibrated", "Partly", "Not here")),
    (
        "answer_meta_meta",
        ("A3.5", "A3.6"),
        ("Its own hyperparameters decide whether it works", "Partly", "Not here"),
    ),
)


def answer_values(values: Mapping[str, float]) -> dict[str, str]:
    """One-word answers for the closing table, from the claims' verdicts: all hold -> first word; none
    differs -> second; otherwise the third."""
    verdicts = {c.id: c.decide(values)[1] for c in CLAIMS}
    out = {}
    for name, ids, (yes, partly, no) in ANSWERS:
        vs = [verdicts[i] for i in ids]
        out[name] = yes if all(v == "holds" for v in vs) else (partly if "differs" not in vs else no)
    return out
