"""Figures of chapter 2: robustness (paper Figs 3, 6), distances, the encoding grid, what separates them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from selfrep.analysis.stats import wilson_interval
from selfrep.fixpoints import KIND_LABELS
from selfrep.plotting.style import FONT, KIND_COLORS, _level_label


# ------------------------------------------------------------------------------------------------
# Robustness (Figs 3, 6)
# ------------------------------------------------------------------------------------------------
def robustness_boxes(
    frame: pd.DataFrame,
    *,
    hue: str | None = None,
    hue_order: Sequence[str] | None = None,
    palette: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Box plots per noise level of time to vergence and time as fixpoint.

    frame: level, time_to_vergence, time_as_fixpoint (and `hue`, e.g. the parent group). Without `hue`
    one panel with two boxes per level (the paper's layout); with `hue` one panel per measure, coloured
    by `palette` (hue value -> colour; seaborn's default without it).
    """
    import seaborn as sns

    levels = sorted(frame["level"].unique(), reverse=True)
    names = {"time_to_vergence": "time to vergence", "time_as_fixpoint": "time as fixpoint"}
    long = frame.melt(
        id_vars=[c for c in frame.columns if c not in names],
        value_vars=list(names),
        var_name="measure",
        value_name="self-applications",
    )
    long["measure"] = long["measure"].map(names)
    long["noise level ζ"] = long["level"].map(_level_label)
    order = [_level_label(z) for z in levels]
    with mpl.rc_context(FONT):
        if hue is None:
            fig = Figure(figsize=(7.5, 4.2), layout="constrained")
            ax = fig.subplots()
            sns.boxplot(
                long,
                x="noise level ζ",
                y="self-applications",
                hue="measure",
                order=order,
                ax=ax,
                fliersize=2,
                palette=["#1f77b4", "#2ca02c"],
            )
            ax.legend(title=None, frameon=False)
            if title:
                ax.set_title(title)
        else:
            fig = Figure(figsize=(7.5, 6.6), layout="constrained")
            axes = fig.subplots(2, 1, sharex=True)
            for k, (ax, measure) in enumerate(zip(axes, names.values(), strict=True)):
                sns.boxplot(
                    long[long["measure"] == measure],
                    x="noise level ζ",
                    y="self-applications",
                    hue=hue,
                    hue_order=hue_order,
                    palette=palette,
                    order=order,
                    ax=ax,
                    fliersize=2,
                )
                ax.set_title(measure)
                if k == 0:
                    ax.legend(title=None, frameon=False, loc="upper left")
                else:
                    ax.get_legend().remove()
    return fig


def robustness_curves(
    means: pd.DataFrame,
    *,
    label: str = "run",
    reference: pd.DataFrame | None = None,
    styles: Mapping[str, Mapping] | None = None,
) -> Figure:
    """Mean time to vergence and mean time as fixpoint against the noise level, one line per `label`.

    means: level, time_to_vergence, time_as_fixpoint, `label`, and optionally time_to_vergence_se and
    time_as_fixpoint_se (drawn as ±2 s.e. bars). reference: level, time_to_vergence, time_as_fixpoint
    (the authors' log), drawn as black diamonds.
    """
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.5, 4.2), layout="constrained")
        axes = fig.subplots(1, 2)
        for ax, col, name in zip(
            axes,
            ("time_to_vergence", "time_as_fixpoint"),
            ("mean time to vergence", "mean time as fixpoint"),
            strict=True,
        ):
            for run, sub in means.groupby(label, sort=False):
                sub = sub.sort_values("level")
                style = dict((styles or {}).get(run, {}))
                if f"{col}_se" in sub:
                    ax.errorbar(
                        sub["level"],
                        sub[col],
                        yerr=2 * sub[f"{col}_se"],
                        marker="o",
                        ms=4,
                        capsize=2,
                        label=run,
                        **style,
                    )
                else:
                    ax.plot(sub["level"], sub[col], marker="o", ms=4, label=run, **style)
            if reference is not None:
                ax.scatter(
                    reference["level"],
                    reference[col],
                    marker="D",
                    facecolors="none",  # hollow, so that the points under a diamond stay visible
                    edgecolors="black",
                    linewidths=1.2,
                    s=42,
                    zorder=3,
                    label="authors' log (Keras, float32, ε = 1e-4)",
                )
            ax.set_xscale("log")
            ax.invert_xaxis()
            ax.set_xlabel("noise level ζ (less noise →)")
            ax.set_ylabel("self-applications")
            ax.set_title(name)
            ax.grid(alpha=0.3)
        handles, labels = axes[1].get_legend_handles_labels()
        ncols = len(labels) if len(labels) <= 3 else 2  # long labels in one row run off the figure
        fig.legend(handles, labels, loc="outside lower center", ncols=ncols, frameon=False)
    return fig


# ------------------------------------------------------------------------------------------------
# Chapter 2: distances, the zero/non-zero grid, what separates the outcomes
# ------------------------------------------------------------------------------------------------
def distance_histogram(
    dist: pd.DataFrame, *, eps: Sequence[float] = (1e-5, 1e-4), column: str = "max_abs"
) -> Figure:
    """Histogram (log x) of pairwise distances between trained fixpoints, per population, with ε marked."""
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.5, 4.0), layout="constrained")
        ax = fig.subplots()
        lo = min(min(eps) / 3, dist[column].min() / 2)
        bins = np.logspace(np.log10(lo), np.log10(dist[column].max() * 1.5), 60)
        for pop, sub in dist.groupby("population", sort=False):
            share = np.full(len(sub), 1 / len(sub))  # each population's bars sum to 1
            ax.hist(sub[column], bins=bins, alpha=0.6, weights=share, label=f"{pop} ({len(sub):,} pairs)")
        for e, ls in zip(eps, ("--", ":"), strict=False):
            ax.axvline(e, color="black", ls=ls, lw=1.2, label=f"ε = {e:.0e}".replace("e-0", "e-"))
        ax.set_xscale("log")
        ax.set_xlabel("largest weight difference between two trained fixpoints, max |w_i − w'_i|")
        ax.set_ylabel("share of the population's pairs")
        fig.legend(frameon=False, loc="outside lower center", ncols=2)
    return fig


def outcome_fraction_bars(
    counts: pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    group: str = "reduction",
    title: str | None = None,
) -> Figure:
    """Outcome fractions with 95 % Wilson intervals: one panel per `group`, one bar per kind that occurs
    (ours solid, the reference hatched beside it), so populations of different sizes compare directly.

    counts, reference: columns `group`, kind, count (reference: the authors' log)."""
    groups = list(dict.fromkeys(counts[group]))
    sets = [("ours", counts, None)] + ([("authors' log", reference, "//")] if reference is not None else [])
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.5, 3.8), layout="constrained")
        axes = fig.subplots(1, len(groups), sharey=True, squeeze=False)[0]
        for ax, g in zip(axes, groups, strict=True):
            kinds = [
                k
                for k in KIND_LABELS
                if any(d[(d[group] == g) & (d["kind"] == k)]["count"].sum() > 0 for _, d, _ in sets)
            ]
            width = 0.8 / len(sets)
            for j, (_, data, hatch) in enumerate(sets):
                sub = data[data[group] == g]
                n = int(sub["count"].sum())
                k = np.array([sub[sub["kind"] == kind]["count"].sum() for kind in kinds], dtype=float)
                lo, hi = wilson_interval(k, np.full(len(k), n))
                x = np.arange(len(kinds)) + (j - (len(sets) - 1) / 2) * width
                ax.bar(
                    x,
                    k / n,
                    width,
                    color=[KIND_COLORS[kind] for kind in kinds],
                    hatch=hatch,
                    edgecolor="white",
                    linewidth=0.6,
                )
                ax.errorbar(x, k / n, yerr=[k / n - lo, hi - k / n], fmt="none", ecolor="black", lw=1)
                for xi, ki in zip(x, k, strict=True):
                    ax.text(xi, 1.03, f"{ki:.0f}/{n}", ha="center", va="bottom", fontsize=8)
            ax.set_xticks(range(len(kinds)), [k.replace(" fixpoint", "\nfixpoint") for k in kinds])
            ax.set_ylim(0, 1.12)
            ax.set_title(g, pad=16)
        axes[0].set_ylabel("fraction of nets (95 % interval)")
        handles = [Patch(facecolor="#999999", label="ours")]
        if reference is not None:
            handles.append(Patch(facecolor="#999999", hatch="//", edgecolor="white", label="authors' log"))
        fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
        if title:
            fig.suptitle(title)
    return fig


def error_strips(
    frame: pd.DataFrame,
    *,
    eps: float,
    x: str = "activation",
    hue: str = "bias",
    hue_labels: Mapping[object, str] | None = None,
    group: str = "reduction",
) -> Figure:
    """Each net's fixpoint error (max |N◁N − N|, log scale) per `x`, split by `hue`, one panel per `group`,
    with ε as a dashed line and each group's median as a bar; nets whose error is not finite (divergent)
    are counted above the panel."""
    groups = list(dict.fromkeys(frame[group]))
    xs = list(dict.fromkeys(frame[x]))
    hues = list(dict.fromkeys(frame[hue]))
    colors = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a"]
    rng = np.random.default_rng(0)  # horizontal jitter only
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.5, 3.9), layout="constrained")
        axes = fig.subplots(1, len(groups), sharey=True, squeeze=False)[0]
        width = 0.8 / len(hues)
        for ax, g in zip(axes, groups, strict=True):
            for j, h in enumerate(hues):
                for i, xv in enumerate(xs):
                    err = frame[(frame[group] == g) & (frame[x] == xv) & (frame[hue] == h)]["error_max"]
                    fin = err[np.isfinite(err)].clip(lower=1e-12)
                    pos = i + (j - (len(hues) - 1) / 2) * width
                    if len(fin):
                        ax.scatter(
                            pos + rng.uniform(-0.3, 0.3, len(fin)) * width,
                            fin,
                            s=9,
                            color=colors[j % len(colors)],
                            alpha=0.7,
                            linewidths=0,
                        )
                        ax.hlines(
                            float(fin.median()), pos - width / 2, pos + width / 2, color="black", lw=1.6
                        )
                    if len(err) > len(fin):
                        ax.annotate(
                            f"{len(err) - len(fin)} d",
                            (pos, 1.0 + 0.055 * j),  # one row per hue, so neighbours never overlap
                            xycoords=("data", "axes fraction"),
                            ha="center",
                            va="bottom",
                            fontsize=7,
                        )
            ax.axhline(eps, ls="--", color="#555555", lw=1)
            ax.set_yscale("log")
            ax.set_xticks(range(len(xs)), xs, rotation=30)
            ax.set_title(g, pad=8 + 9 * len(hues))
        axes[0].set_ylabel("fixpoint error, max |Δw| (log scale)")
        labels = hue_labels or ({False: "no bias", True: "bias"} if hue == "bias" else {})
        handles = [
            Line2D(
                [], [], ls="", marker="o", color=colors[j % len(colors)], label=labels.get(h, f"{hue} {h}")
            )
            for j, h in enumerate(hues)
        ]
        handles += [
            Line2D([], [], color="black", lw=1.6, label="median"),
            Line2D([], [], color="#555555", ls="--", label=f"ε = {eps:.0e}".replace("e-0", "e-")),
            Line2D([], [], ls="", label="k d: k nets diverged"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    return fig


LAYOUT_NAMES: dict[str, str] = {"input_major": "Keras layout", "output_major": "PyTorch layout"}


def grid_heatmap(
    summary: pd.DataFrame,
    *,
    trainings: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> Figure:
    """The zero/non-zero grid: one panel per training kind; rows = (positions, layout, init), columns =
    (lr, momentum). Colour = fraction non-zero minus fraction zero (green: non-zero fixpoints dominate,
    grey: zero fixpoints dominate, white: neither); text = non-zero / zero percentages (and divergent
    ones marked 'd'). Cells that a published code ran are framed, with the short tag `tags` gives for
    the `published` name in their corner."""
    last = summary[summary["t"] == summary.groupby("training")["t"].transform("max")]
    trainings = list(trainings or dict.fromkeys(last["training"]))
    rows = list(dict.fromkeys(zip(last["positions"], last["order"], last["init"], strict=True)))
    cols = list(dict.fromkeys(zip(last["lr"], last["momentum"], strict=True)))
    cmap = mpl.colors.LinearSegmentedColormap.from_list("zn", ["#606060", "#ffffff", "#2ca02c"])
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.5, (0.42 * len(rows) + 0.9) * len(trainings) + 1.7), layout="constrained")
        axes = fig.subplots(len(trainings), 1, squeeze=False)
        for ax, training in zip(axes[:, 0], trainings, strict=True):
            sub = last[last["training"] == training]
            m = np.full((len(rows), len(cols)), np.nan)
            for r, (pos, order, init) in enumerate(rows):
                for c, (lr, mom) in enumerate(cols):
                    cell = sub[
                        (sub["positions"] == pos)
                        & (sub["order"] == order)
                        & (sub["init"] == init)
                        & (sub["lr"] == lr)
                        & (sub["momentum"] == mom)
                    ]
                    if not len(cell):
                        continue
                    cell = cell.iloc[0]
                    m[r, c] = cell["nonzero"] - cell["zero"]
                    txt = f"{100 * cell['nonzero']:.0f}\n{100 * cell['zero']:.0f}"  # percentages
                    if cell["div"] > 0:
                        txt += f" d{100 * cell['div']:.0f}"
                    ax.text(c, r, txt.replace("\n", " / "), ha="center", va="center", fontsize=9)
                    if cell["published"]:
                        ax.add_patch(
                            Rectangle((c - 0.48, r - 0.48), 0.96, 0.96, fill=False, lw=2.6, ec="#1f3fbf")
                        )
                        tag = (tags or {}).get(cell["published"], "")
                        ax.text(
                            c - 0.40,
                            r - 0.32,
                            tag,
                            ha="left",
                            va="center",
                            fontsize=9,
                            color="#1f3fbf",
                            fontweight="bold",
                        )
            im = ax.imshow(m, cmap=cmap, vmin=-1, vmax=1, aspect="auto")
            ax.set_yticks(range(len(rows)), [f"{p}, {LAYOUT_NAMES.get(o, o)} / {i}" for p, o, i in rows])
            ax.set_xticks(range(len(cols)), [f"lr {lr:g}\nμ {mom:g}" for lr, mom in cols])
            unit = "epochs" if sub["step"].iloc[0] == "epoch" else "steps"  # an epoch: one update per weight
            ax.set_title(
                f"{training} ({int(sub['t'].iloc[0]):,} {unit}, {int(sub['n'].iloc[0])} nets per cell)"
            )
        # below the panels, so the panels (and their titles) keep the full width
        cb = fig.colorbar(
            im,
            ax=axes[:, 0],
            location="bottom",
            shrink=0.5,
            aspect=30,
            label="fraction non-zero − fraction zero",
        )
        cb.set_ticks([-1, 0, 1], labels=["all zero", "neither", "all non-zero"])
        fig.legend(
            handles=[
                Rectangle((0, 0), 1, 1, fill=False, ec="#1f3fbf", lw=2.4, label="a published code's setting"),
                Patch(color="white", label="text: % non-zero / % zero, d % divergent"),
            ],
            loc="outside lower center",
            ncols=2,
            frameon=False,
        )
    return fig


def outcome_by_gain(
    nets: pd.DataFrame,
    *,
    training: str,
    x: str = "a_value_init",
    edges: Sequence[float] = (-0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5),
    xlabel: str = "initial value gain a₀ of the net",
) -> Figure:
    """How nets ended (stacked fractions) against where they started (`x`, binned at `edges`), one panel
    per initialisation; n above each bar."""
    sub = nets[nets["training"] == training]
    inits = list(dict.fromkeys(sub["init"]))
    bins = [-np.inf, *edges, np.inf]
    labels = [f"< {edges[0]:g}"] + [f"{a:g} … {b:g}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    labels += [f"> {edges[-1]:g}"]
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(min(7.5, 3.4 * len(inits) + 0.8), 4.2), layout="constrained")
        axes = fig.subplots(1, len(inits), sharey=True, squeeze=False)[0]
        for ax, init in zip(axes, inits, strict=True):
            s = sub[sub["init"] == init]
            b = pd.cut(s[x], bins, labels=labels)
            table = pd.crosstab(b, s["kind"]).reindex(index=labels, fill_value=0)
            n = table.sum(axis=1)
            frac = table.div(n.where(n > 0, 1), axis=0)
            bottom = np.zeros(len(labels))
            for label in KIND_LABELS:
                if label not in frac.columns:
                    continue
                ax.bar(
                    range(len(labels)),
                    frac[label],
                    bottom=bottom,
                    color=KIND_COLORS[label],
                    edgecolor="white",
                    linewidth=0.5,
                    label=label,
                )
                bottom += frac[label].to_numpy()
            for k, count in enumerate(n):
                ax.text(k, 1.01, f"{count}", ha="center", va="bottom", fontsize=8)
            ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
            ax.set_title(f"{init} initialisation", pad=14)
            ax.set_xlabel(xlabel)
            ax.set_ylim(0, 1.08)
        axes[0].set_ylabel("fraction of nets (n above the bar)")
        handles = [Patch(color=KIND_COLORS[k], label=k) for k in KIND_LABELS if k in set(sub["kind"])]
        fig.legend(handles=handles, loc="outside right center", frameon=False)
        fig.suptitle(training)
    return fig


def gain_trajectories(frame: pd.DataFrame) -> Figure:
    """Weight norm (top, log scale) and value gain a0 (bottom) against the training step, one line per
    net, coloured by how the net ended; solid: glorot, dashed: PyTorch initialisation (`init` column)."""
    styles = {"glorot": "-", "pytorch": "--"}
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.5, 6.0), layout="constrained")
        axes = fig.subplots(2, 1, sharex=True)
        for (_net, init, kind), sub in frame.groupby(["net", "init", "kind"], sort=False):
            for ax, col in zip(axes, ("norm", "a0"), strict=True):
                ax.plot(
                    sub["step"],
                    sub[col],
                    color=KIND_COLORS[kind],
                    ls=styles.get(init, "-"),
                    lw=1.1,
                    alpha=0.8,
                )
        axes[0].set_yscale("log")
        axes[0].set_ylabel("weight norm ‖w‖")
        axes[1].set_ylabel("value gain a₀")
        axes[1].axhline(0, color="black", lw=0.8)
        axes[1].set_xlabel("full-batch training step")
        for ax in axes:
            ax.grid(alpha=0.3)
        kinds = [k for k in KIND_LABELS if (frame["kind"] == k).any()]
        handles = [Line2D([], [], color=KIND_COLORS[k], label=f"ends as {k}") for k in kinds]
        handles += [
            Line2D([], [], color="black", ls=ls, label=f"{i} init")
            for i, ls in styles.items()
            if (frame["init"] == i).any()
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    return fig
