"""Figures of chapter 6b (self-modification): data in, matplotlib Figure out (never saved, never shown);
built as Figure objects in the book's style (selfrep.plotting.style, COMPACT fonts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from selfrep.plotting.style import COMPACT, styled

SPLITS = ("in-distribution", "deeper", "wider", "other activation")
# evolved vs blind and gen0 vs rule in hues far apart, each policy with its own marker as well
POLICY_COLORS = {"evolved": "C0", "gen0": "C4", "blind": "C3", "random": "C1", "noop": "C7", "rule": "C2"}
POLICY_MARKERS = {"evolved": "o", "gen0": "s", "blind": "^", "random": "v", "noop": "D", "rule": "P"}
COND_COLORS = {
    "endogenous": "C0",
    "exogenous": "C3",
    "exogenous_low": "C1",
    "trivial": "C7",
    "ticket": "C0",
    "reinit": "C3",
    "random_mask": "C1",
}

COND_LABELS = {
    "endogenous": "endogenous (own copies)",
    "exogenous": "exogenous, initial rate",
    "exogenous_low": "exogenous, final rate",
    "trivial": "trivial replicator",
}


@styled(COMPACT)
def ghn_zero_shot(res: Mapping[str, pd.DataFrame]) -> Figure:
    """E4: 0-step test accuracy per split for the graph GHN, the MLP hypernet and the token
    ablations, each
    architecture x GHN seed a dot, the bar its mean; the random-init-trained accuracy as a line."""
    z = res["zero_shot"]
    c = res["curves"]
    rnd = c[c["init"] == "random"]
    trained = rnd[rnd["step"] == rnd["step"].max()].groupby("split")["acc"].mean()
    models = [
        ("gru", "true", "graph GHN"),
        ("mlp", "true", "MLP hypernet"),
        ("gru", "shuffled", "GHN, shuffled tokens"),
        ("gru", "constant", "GHN, constant tokens"),
    ]
    fig = Figure(figsize=(7.2, 4.2))
    ax = fig.subplots()
    width = 0.2
    rng = np.random.default_rng(0)  # jitter of the dots only
    for j, (enc, tok, name) in enumerate(models):
        for i, split in enumerate(SPLITS):
            a = z[(z["encoder"] == enc) & (z["tokens"] == tok) & (z["split"] == split)]["acc"]
            x = i + (j - 1.5) * width
            ax.bar(x, a.mean(), width * 0.9, color=f"C{j}", alpha=0.55, label=name if i == 0 else None)
            ax.plot(x + rng.uniform(-width / 4, width / 4, len(a)), a, ".", color=f"C{j}", ms=3)
    for i, split in enumerate(SPLITS):
        ax.hlines(
            trained[split],
            i - 0.45,
            i + 0.45,
            color="k",
            lw=1,
            label=f"random init + {int(rnd['step'].max())} Adam steps" if i == 0 else None,
        )
    ax.axhline(0.1, color="k", ls=":", lw=0.8)
    ax.set_xticks(range(len(SPLITS)), SPLITS)
    ax.set_ylabel("test accuracy at 0 steps")
    ax.set_ylim(0, 1.02)
    # legend above the axes: inside it would cover the bars
    ax.legend(ncol=2, loc="lower center", bbox_to_anchor=(0.5, 1.01), frameon=False)
    fig.tight_layout()
    return fig


@styled(COMPACT)
def ghn_curves(res: Mapping[str, pd.DataFrame]) -> Figure:
    """E4: test accuracy vs Adam steps from random init and from the GHN's prediction (mean and
    min-max over
    architectures), one panel per split."""
    c = res["curves"]
    fig = Figure(figsize=(7, 5.4))
    axes = fig.subplots(2, 2, sharey=True, sharex=True)
    for ax, split in zip(axes.flat, SPLITS, strict=True):
        for init, color, name in (("random", "C1", "random init"), ("ghn", "C0", "GHN init")):
            d = c[(c["split"] == split) & (c["init"] == init)]
            g = d.groupby("step")["acc"]
            steps = np.array(g.mean().index, dtype=float)
            x = steps + 1
            ax.plot(x, g.mean().to_numpy(), "o-", color=color, ms=3, label=name)
            ax.fill_between(x, g.min().to_numpy(), g.max().to_numpy(), color=color, alpha=0.15)
        ax.set_xscale("log")
        ax.set_title(split)
    for ax in axes[1]:
        ax.set_xlabel("Adam steps + 1 (log scale)")
    for ax in axes[:, 0]:
        ax.set_ylabel("test accuracy")
    axes[0][0].legend(loc="lower right")
    fig.tight_layout()
    return fig


@styled(COMPACT)
def edit_trajectories(traj: pd.DataFrame, policy: str = "evolved", n: int = 3, evo_run: int = 0) -> Figure:
    """E5: width of each layer vs edit round for the first `n` test seeds of one policy (stacked
    bars: one
    colour per layer, so depth and widths are both visible), with the validation accuracy."""
    t = traj[(traj["policy"] == policy)]
    if policy in ("evolved", "blind"):
        t = t[t["evo_run"] == evo_run]
    seeds = sorted(t["test_seed"].unique())[:n]
    fig = Figure(figsize=(7, 2.5 * len(seeds) + 0.6))
    axes = fig.subplots(len(seeds), 1, sharex=True, sharey=True, squeeze=False)
    # one val-accuracy range for all panels, from the data: the floor is the lowest value shown,
    # rounded down to 0.05, so no point is clipped (early rounds of small nets can be far below)
    acc = t[t["test_seed"].isin(seeds)]["val_acc"].to_numpy(dtype=float)
    acc = acc[np.isfinite(acc)]
    acc_lo = max(0.0, np.floor((acc.min() - 0.01) / 0.05) * 0.05) if acc.size else 0.0
    for ax, s in zip(axes[:, 0], seeds, strict=True):
        d = t[t["test_seed"] == s].sort_values("round")
        bottom = np.zeros(len(d))
        for l in range(4):
            w = d[f"w{l + 1}"].to_numpy()
            ax.bar(
                d["round"],
                w,
                bottom=bottom,
                color=f"C{l}",
                alpha=0.7,
                label=f"layer {l + 1}" if s == seeds[0] else None,
            )
            bottom += w
        for r, a in zip(d["round"], d["action"], strict=True):
            ax.annotate(
                a,
                (r, bottom[list(d["round"]).index(r)]),
                ha="center",
                va="bottom",
                fontsize=9,
            )
        ax2 = ax.twinx()
        ax2.plot(d["round"], d["val_acc"], "k.-", lw=1)
        ax2.set_ylim(acc_lo, 1.0)
        ax2.set_ylabel("val accuracy")
        ax.set_title(f"{policy} head, body seed {s}")
        ax.set_ylabel("units")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1][0].set_xlabel("edit round (0: before the first edit)")
    axes[0][0].set_ylim(0, 640)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, ncol=4, loc="upper center", frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / fig.get_figheight()))
    return fig


@styled(COMPACT)
def edit_policies(episodes: pd.DataFrame, refs: Mapping[str, float]) -> Figure:
    """E5: final test accuracy vs parameters for every policy (one dot per episode), with the static
    baselines of the bench as horizontal lines (`refs`: label -> test accuracy)."""
    fig = Figure(figsize=(7, 5.6))
    ax = fig.subplots()
    rng = np.random.default_rng(0)  # jitter only
    for pol, color in POLICY_COLORS.items():
        e = episodes[episodes["policy"] == pol]
        if e.empty:
            continue
        ax.scatter(
            e["params"] * np.exp(rng.normal(0, 0.04, len(e))),
            e["test_acc"],
            s=22,
            color=color,
            marker=POLICY_MARKERS.get(pol, "o"),
            alpha=0.7,
            label=f"{pol} (mean {e['test_acc'].mean():.1%})",
        )
    # the static baselines lie within a point of each other: one line style and grey level each
    styles = [("--", "0.0"), (":", "0.35"), ("-.", "0.6")]
    for i, (name, acc) in enumerate(refs.items()):
        ls, grey = styles[i % len(styles)]
        ax.axhline(acc, color=grey, ls=ls, lw=1.4, label=f"{name}: {acc:.1%}")
    ax.set_xscale("log")
    ax.set_xlabel("parameters of the final net (log scale)")
    ax.set_ylabel("test accuracy")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


@styled(COMPACT)
def edit_evolution(evolution: pd.DataFrame) -> Figure:
    """E5: fitness of the head population per generation (best and mean, each evolution run)."""
    fig = Figure(figsize=(6, 3.6))
    ax = fig.subplots()
    for r, d in evolution.groupby("evo_run"):
        g = d.groupby("generation")["fitness"]
        ax.plot(g.max().index, g.max(), "-", color=f"C{r}", label=f"run {r}: best")
        ax.plot(g.mean().index, g.mean(), ":", color=f"C{r}", label=f"run {r}: mean")
    ax.set_xlabel("generation")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("fitness\n(val acc − α log10 params)")
    ax.legend(ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


@styled(COMPACT)
def lottery(df: pd.DataFrame, epochs: int | None = None) -> Figure:
    """E6: against the fraction of weights remaining, for tickets, re-initialised tickets and
    random masks
    (mean and SD over seeds): (a) test accuracy at early stop, (b) test accuracy of the masked
    initial
    weights before any training, (c) the first epoch reaching 95 % validation accuracy, (d) the
    early-stop
    epoch. `epochs` (the training length) marks, in (c), the value a run that never reached 95 %
    is counted as (epochs + 1)."""
    fig = Figure(figsize=(7.2, 6.4))
    axes = fig.subplots(2, 2, sharex=True)
    labels = {
        "ticket": "winning ticket (rewind to θ0)",
        "reinit": "same mask, random re-init",
        "random_mask": "random mask, θ0",
    }
    panels = [
        ("test_at_stop", "(a) test accuracy at early stop"),
        ("test_at_init", "(b) test accuracy before training"),
        ("epochs_to_95", "(c) first epoch with 95 % val accuracy"),
        ("stop_epoch", "(d) early-stop epoch (min val loss)"),
    ]
    for cond, name in labels.items():
        d = df[df["condition"] == cond].groupby("round")
        rem = d["remaining"].mean() * 100
        for ax, (col, _) in zip(axes.flat, panels, strict=True):
            ax.errorbar(
                rem,
                d[col].mean(),
                yerr=d[col].std(),
                fmt="o-",
                ms=3,
                color=COND_COLORS[cond],
                capsize=2,
                label=name,
            )
    rem = sorted(df.groupby("round")["remaining"].mean() * 100, reverse=True)
    for ax, (_, title) in zip(axes.flat, panels, strict=True):
        ax.set_title(title, fontsize=9.5)
        ax.set_xscale("log")
        ax.set_xticks(rem, [f"{r:.0f}" if r >= 10 else f"{r:.1f}" for r in rem])
        ax.minorticks_off()
    axes[0][0].invert_xaxis()
    for ax in axes[1]:
        ax.set_xlabel("weights remaining (%)")
    axes[0][1].axhline(0.1, color="k", ls=":", lw=0.8)
    axes[0][1].text(rem[0], 0.11, "chance", fontsize=9, va="bottom")
    if epochs is not None:
        axes[1][0].axhline(epochs + 1, color="k", ls=":", lw=0.8)
        axes[1][0].text(rem[0], epochs + 1, f"never reached\n(counted as {epochs + 1})", fontsize=9, va="top")
    for ax in axes[:, 0]:
        ax.set_ylabel("accuracy" if ax is axes[0][0] else "epoch")
    axes[0][1].set_ylabel("accuracy")
    axes[1][1].set_ylabel("epoch")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, ncol=2, loc="upper center", frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    return fig


@styled(COMPACT)
def serann(gens: pd.DataFrame, metrics: Sequence[tuple[str, str]] | None = None) -> Figure:
    """E7: population metrics per generation for each condition (mean and SD band over repeats)."""
    metrics = metrics or [
        ("fitness", "mean fitness"),
        ("mut_rate", "mutation rate (bits / copy)"),
        ("self_error", "latent self-copy error (bits)"),
        ("n_unique", "distinct genotypes"),
        ("loss_balance", "mean loss balance λ"),
        ("survival", "viable fraction"),
    ]
    fig = Figure(figsize=(7.2, 8))
    axes = fig.subplots(3, 2, sharex=True)
    for ax, (m, name) in zip(axes.flat, metrics, strict=True):
        for cond, d in gens.groupby("condition"):
            g = d.groupby("generation")[m]
            mu, sd = g.mean(), g.std().fillna(0)
            color = COND_COLORS.get(cond, "k")
            ax.plot(mu.index, mu, color=color, label=COND_LABELS.get(cond, cond))
            ax.fill_between(mu.index, mu - sd, mu + sd, color=color, alpha=0.15)
        ax.set_title(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[-1]:
        ax.set_xlabel("generation")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, ncol=2, loc="upper center", frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig
