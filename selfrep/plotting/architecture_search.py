"""Figures of chapter 6 (architecture search): data in, matplotlib Figure out (never saved or shown here);
built as Figure objects in the book's style (selfrep.plotting.style, COMPACT fonts)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from selfrep.archsearch.bench import Bench
from selfrep.archsearch.space import SPACE_ACTIVATIONS
from selfrep.plotting.style import COMPACT, WIDTH, styled

ACT_COLORS = {"relu": "#1f77b4", "tanh": "#2ca02c", "sigmoid": "#d62728"}
METHOD_STYLE = {
    "random": ("#444444", "-"),
    "grid": ("#9467bd", "--"),
    "evolution": ("#ff7f0e", "-"),
    "local search": ("#2ca02c", "-."),
    "smac-like (RF)": ("#1f77b4", "-"),
    "bananas-like (MLP)": ("#17becf", "-."),
    "tpe (optuna)": ("#8c564b", ":"),
    "random (optuna)": ("#7f7f7f", ":"),
    "hyperband": ("#e377c2", "--"),
    "successive halving": ("#bcbd22", ":"),
}


def _style(method: str) -> tuple[str, str]:
    return METHOD_STYLE.get(method, (None, "-"))


@styled(COMPACT)
def landscape(bench: Bench) -> Figure:
    """(a) histogram of mean validation accuracy by activation; (b) mean and max validation accuracy by depth
    and activation; (c) seed 0 vs seed 1 for every distinct architecture, the top 10 % by the other seeds
    marked; (d) that top 10 % alone, zoomed in. Book-column width (7.2 in), fonts >= 9 pt."""
    df = bench.frame()
    df = df[df["canonical"]]
    fig = Figure(figsize=(WIDTH, 6.6), layout="constrained")
    ax = fig.subplots(2, 2).ravel()
    bins = np.linspace(0, 1, 51)
    ax[0].hist(
        [df.loc[df["activation"] == a, "val_acc"] for a in SPACE_ACTIVATIONS],
        bins=bins,
        stacked=True,
        color=[ACT_COLORS[a] for a in SPACE_ACTIVATIONS],
        label=list(SPACE_ACTIVATIONS),
    )
    ax[0].set(xlabel="validation accuracy\n(mean of seeds)", ylabel="architectures", title="(a) landscape")
    ax[0].legend(frameon=False, loc="upper left")
    for a in SPACE_ACTIVATIONS:
        g = df[df["activation"] == a].groupby("depth")["val_acc"]
        ax[1].plot(g.mean().index, g.mean(), "o-", color=ACT_COLORS[a], label=a)
        ax[1].plot(g.max().index, g.max(), "^--", color=ACT_COLORS[a], alpha=0.7)
    ax[1].plot([], [], "ko-", label="mean")
    ax[1].plot([], [], "k^--", alpha=0.7, label="best")
    ax[1].set(
        xlabel="depth (hidden layers)",
        ylabel="validation accuracy",
        title="(b) by depth and activation",
        xticks=sorted(df["depth"].unique()),
    )
    ax[1].legend(frameon=False, ncol=2, loc="lower left")
    # the top 10 % of (c) and (d) is chosen on the held-out seeds (all but the two plotted), so that the
    # selection does not favour the configs on which the two plotted seeds agree
    held_cols = [f"val_s{s}" for s in bench.seeds[2:]] or ["val_acc"]
    held = df[held_cols].mean(axis=1)
    top = held >= held.quantile(0.9)
    s0, s1 = f"val_s{bench.seeds[0]}", f"val_s{bench.seeds[1]}"
    ax[2].scatter(df.loc[~top, s0], df.loc[~top, s1], s=5, alpha=0.4, color="#999999", label="others")
    ax[2].scatter(
        df.loc[top, s0], df.loc[top, s1], s=6, alpha=0.7, color="#d62728", label="top 10 % (other seeds)"
    )
    ax[2].plot([0, 1], [0, 1], color="k", lw=0.6)
    ax[2].legend(frameon=False, loc="upper left")
    ax[3].scatter(df.loc[top, s0], df.loc[top, s1], s=8, alpha=0.6, color="#d62728")
    lo = df.loc[top, [s0, s1]].min().min()
    ax[3].plot([lo, 1], [lo, 1], color="k", lw=0.6)
    for a, title in ((ax[2], "(c) seed vs seed, all"), (ax[3], "(d) seed vs seed, top 10 %")):
        a.set(
            xlabel=f"validation accuracy, seed {bench.seeds[0]}",
            ylabel=f"validation accuracy, seed {bench.seeds[1]}",
            title=title,
        )
    return fig


def _band(ax, x, g: pd.DataFrame, value: str, method: str, label: str | None = None) -> None:
    q = g.groupby(x)[value].quantile([0.25, 0.5, 0.75]).unstack()
    color, ls = _style(method)
    ax.plot(q.index, q[0.5], ls, color=color, label=label or method)
    ax.fill_between(q.index, q[0.25], q[0.75], color=color, alpha=0.15)


@styled(COMPACT)
def anytime(curves: pd.DataFrame, reference: dict[str, float], n_seconds: int = 60) -> Figure:
    """Median and IQR (over repeats) of the incumbent's test accuracy against evaluations and against charged
    training CPU seconds; the oracle and the random-average architecture as reference lines."""
    fig = Figure(figsize=(WIDTH, 7.6), layout="constrained")
    ax = fig.subplots(2, 1, sharey=True)
    smax = curves.groupby(["method", "seed"])["charged_s"].max().median()
    grid = np.linspace(0, smax, n_seconds)  # runs that stopped earlier keep their last incumbent
    for m, g in curves.groupby("method", sort=False):
        _band(ax[0], "evals", g, "test_acc", m)
        rows = []
        for _, gs in g.groupby("seed"):
            k = np.searchsorted(gs["charged_s"].to_numpy(), grid, side="right") - 1
            ok = k >= 0  # before the first evaluation finished there is no incumbent
            rows.append(pd.DataFrame({"t": grid[ok], "test_acc": gs["test_acc"].to_numpy()[k[ok]]}))
        _band(ax[1], "t", pd.concat(rows), "test_acc", m)
    for a in ax:
        a.axhline(reference["oracle_test"], color="k", lw=0.7, ls=":", label="oracle (best test)")
        a.grid(alpha=0.3)
    ax[0].set(
        xscale="log",
        xlabel="evaluations (multi-fidelity: 20 epochs' worth each)",
        ylabel="incumbent test accuracy (mean of seeds)",
        title="(a) against evaluations",
    )
    ax[1].set(
        xlabel="charged training CPU seconds",
        ylabel="incumbent test accuracy (mean of seeds)",
        title="(b) against charged compute",
    )
    handles, labels = ax[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
    lo = curves.groupby("method")["test_acc"].quantile(0.25).min()
    ax[0].set_ylim(max(lo - 0.01, 0), reference["oracle_test"] + 0.004)
    return fig


@styled(COMPACT)
def regret_ecdf(curves: pd.DataFrame, reference: dict[str, float], budget: int) -> Figure:
    """ECDF over repeats of the test regret (oracle - incumbent test accuracy) after `budget` evaluations."""
    fig = Figure(figsize=(6.5, 4.2), layout="constrained")
    ax = fig.subplots()
    at = curves[curves["evals"] == budget]
    for m, g in at.groupby("method", sort=False):
        r = np.sort(100 * (reference["oracle_test"] - g["test_acc"].to_numpy()))
        color, ls = _style(m)
        ax.step(r, np.arange(1, len(r) + 1) / len(r), ls, where="post", color=color, label=m)
    ax.set(
        xlabel=f"test regret after {budget} evaluations (pp)",
        ylabel="fraction of repeats",
        title="regret distribution",
    )
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return fig


@styled(COMPACT)
def space_vs_strategy(summary: pd.DataFrame) -> Figure:
    """Mean ± SE incumbent test accuracy against budget for each (space, strategy)."""
    fig = Figure(figsize=(6.5, 4.2), layout="tight")
    ax = fig.subplots()
    for m, g in summary.groupby("method", sort=False):
        ax.errorbar(g["budget"], g["mean"], yerr=g["se"], marker="o", capsize=3, label=m)
    ax.set(xlabel="evaluations", ylabel="incumbent test accuracy (mean ± SE)", title="space vs strategy")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return fig


@styled(COMPACT)
def hpo_scatter(trials: pd.DataFrame, importance: pd.Series) -> Figure:
    """Validation accuracy of every live trial against each hyperparameter (grid vs random), and the
    variance share of each hyperparameter's main effect."""
    fig = Figure(figsize=(WIDTH, 6.4), layout="constrained")
    ax = fig.subplots(2, 2).ravel()
    names = {"lr": "learning rate", "weight_decay": "weight decay", "dropout": "dropout"}
    for j, (h, log) in enumerate((("lr", True), ("weight_decay", True), ("dropout", False))):
        for m, mk, c in (("grid", "s", "#9467bd"), ("random", "o", "#444444")):
            g = trials[trials["method"] == m]
            ax[j].scatter(g[h], g["val_acc"], s=16, marker=mk, alpha=0.6, color=c, label=m)
        ax[j].set(
            xlabel=names[h] + (" (log scale)" if log else " (probability)"),
            ylabel="validation accuracy",
            xscale="log" if log else "linear",
            title=f"({'abc'[j]}) {names[h]}",
        )
        ax[j].set_ylim(max(trials["val_acc"].min() - 0.02, 0), 1)
        ax[j].grid(alpha=0.3)
    ax[0].legend(frameon=False, loc="lower left")
    ax[3].bar(
        [names.get(h, h).replace(" ", "\n") for h in importance.index],
        importance.values,
        color=["#1f77b4", "#aec7e8", "#aec7e8"],
    )
    ax[3].set(ylabel="variance share (main effect)", title="(d) which one matters", ylim=(0, 1))
    return fig


@styled(COMPACT)
def l2_curves(history: pd.DataFrame) -> Figure:
    """(a) the L2 coefficient over training per mode (log scale; mean over seeds); (b) validation loss."""
    fig = Figure(figsize=(WIDTH, 6.6), layout="constrained")
    ax = fig.subplots(2, 1, sharex=True)
    colors = {"none": "#444444", "fixed": "#9467bd", "trainable": "#d62728", "hypergradient": "#1f77b4"}
    for m, g in history.groupby("mode", sort=False):
        mean = g.groupby("epoch")[["lam", "val_loss"]].mean()
        if m != "none":
            ax[0].plot(mean.index, np.maximum(mean["lam"], 1e-12), color=colors.get(m), label=m)
        ax[1].plot(mean.index, mean["val_loss"], color=colors.get(m), label=m)
    ax[0].set(yscale="log", ylabel="L2 coefficient λ", title="(a) λ during training")
    ax[1].set(yscale="log", xlabel="epoch", ylabel="validation loss", title="(b) validation loss")
    for a in ax:
        a.grid(alpha=0.3)
        a.legend(frameon=False)
    return fig


@styled(COMPACT)
def predictor_curves(
    curve_summary: pd.DataFrame,
    proxy_summary: pd.DataFrame,
    proxies: Sequence[str] = ("n_params", "val_acc_e2", "naswot", "seed0_val"),
    omit_mae: Sequence[str] = ("mlp_untuned",),
) -> Figure:
    """Kendall tau (all, ± SE over repeats; top 20 %) and MAE against the number of training architectures,
    per predictor, with the zero-cost proxies and one full training run as horizontal lines. Models in
    `omit_mae` are left out of the MAE panel (their MAE is off any useful scale); the panel says so."""
    fig = Figure(figsize=(WIDTH, 9.6), layout="constrained")
    ax = fig.subplots(3, 1, sharex=True)
    ps = proxy_summary.set_index("proxy")
    pcolors = {"n_params": "#7f7f7f", "val_acc_e2": "#bcbd22", "naswot": "#e377c2", "seed0_val": "k"}
    plabels = {
        "n_params": "parameter count",
        "val_acc_e2": "epoch-2 accuracy",
        "naswot": "NASWOT-like",
        "seed0_val": "one full training run",
    }
    omitted = []
    for m, g in curve_summary.groupby("model", sort=False):
        line = ax[0].errorbar(g["n"], g["tau"], yerr=g.get("tau_se"), fmt="o-", capsize=2, label=m)
        color = line.lines[0].get_color()
        ax[1].plot(g["n"], g["tau_top20"], "o-", color=color)
        if m in omit_mae:
            omitted.append(f"{m}: {100 * g['mae'].min():.0f}-{100 * g['mae'].max():.0f} pp")
        else:
            ax[2].plot(g["n"], 100 * g["mae"], "o-", color=color)
    for p in proxies:
        if p in ps.index:
            ax[0].axhline(ps.loc[p, "tau"], color=pcolors.get(p), ls=":", lw=1.2, label=plabels.get(p, p))
            ax[1].axhline(ps.loc[p, "tau_top20"], color=pcolors.get(p), ls=":", lw=1.2)
    ax[2].axhline(1.0, color="k", ls="--", lw=0.8)
    ax[2].annotate("1 pp", (curve_summary["n"].min(), 1.0), xytext=(2, 3), textcoords="offset points")
    if omitted:
        ax[2].text(
            0.98, 0.95, "not shown: " + "; ".join(omitted), transform=ax[2].transAxes, ha="right", va="top"
        )
    ax[0].set(xscale="log", ylabel="Kendall tau", title="(a) ranking, all held-out architectures")
    ax[1].set(ylabel="Kendall tau", title="(b) ranking inside the true top 20 %")
    ax[2].set(xlabel="training architectures N", ylabel="MAE (pp)", title="(c) calibration", ylim=(0, None))
    for a in ax:
        a.grid(alpha=0.3)
    handles, labels = ax[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
    return fig


@styled(COMPACT)
def extrapolation_bars(rows: pd.DataFrame) -> Figure:
    """Kendall tau and MAE of each predictor when extrapolating (shallow -> deep) vs interpolating: bars at
    the mean over repeats, error bars one SE over repeats.

    rows: one row per (model, setting, repeat) with tau and mae (`predictors.extrapolation`)."""
    if "repeat" not in rows:
        raise ValueError("rows: need one row per repeat (predictors.extrapolation), with a 'repeat' column")
    fig = Figure(figsize=(WIDTH, 4.0), layout="constrained")
    ax = fig.subplots(1, 2)
    g = rows.assign(mae=rows["mae"] * 100).groupby(["model", "setting"])[["tau", "mae"]]
    mean, se = g.mean(), g.std(ddof=1) / np.sqrt(g.size().to_numpy()[:, None])
    for a, q in zip(ax, ("tau", "mae"), strict=True):
        m, e = mean[q].unstack("setting"), se[q].unstack("setting")
        m.plot.bar(ax=a, rot=0, color=["#d62728", "#1f77b4"], yerr=e, capsize=3, error_kw={"lw": 1})
    ax[0].set(ylabel="Kendall tau on deep nets", title="(a) ranking")
    ax[1].set(ylabel="MAE on deep nets (pp)", title="(b) calibration")
    for a in ax:
        a.grid(alpha=0.3, axis="y")
        a.set_xlabel("predictor")
        a.get_legend().remove()
    handles, labels = ax[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False)
    return fig
