"""Figures for the book: tidy data in, a matplotlib Figure out. Nothing here saves or shows a figure.

Figures are built as `matplotlib.figure.Figure` objects, not through pyplot, so a notebook shows each one
exactly once (as the value of its cell) and nothing accumulates in pyplot's figure registry.

Colours are fixed per outcome kind across every figure (KIND_COLORS), so a zero fixpoint is the same grey
in chapter 1 and chapter 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from selfrep.fixpoints import KIND_LABELS

KIND_COLORS: dict[str, str] = {
    "divergent": "#d62728",
    "zero fixpoint": "#7f7f7f",
    "non-zero fixpoint": "#2ca02c",
    "second-order fixpoint": "#9467bd",
    "other": "#ff7f0e",
}
FONT = {
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
}


def _level_label(z: float) -> str:
    return "1" if z == 1 else f"1e{int(round(np.log10(z)))}"


# ------------------------------------------------------------------------------------------------
# Trajectories (Figs 1, 4)
# ------------------------------------------------------------------------------------------------
def trajectories_3d(
    frame: pd.DataFrame,
    *,
    panel: str | None = None,
    time_label: str = "step",
    titles: Mapping[str, str] | None = None,
    elev: float = 22,
    azim: float = -58,
) -> Figure:
    """PCA trajectories in 3-D: x = PC1, y = PC2, z = time; one line per net, red start, black end.

    `frame` has net, t, pc1, pc2, outcome (and `panel` column for one subplot per value). A net whose
    drawn trajectory ends before its last recorded state (it left the plotted range while diverging)
    ends in a cross.
    """
    panels = list(dict.fromkeys(frame[panel])) if panel else [None]
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(6.2 * len(panels), 5.6), layout="constrained")
        for k, name in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), k + 1, projection="3d")
            sub = frame if name is None else frame[frame[panel] == name]
            nets = list(dict.fromkeys(sub["net"]))
            cmap = mpl.colormaps["viridis"].resampled(max(len(nets), 2))
            for j, net in enumerate(nets):
                tr = sub[sub["net"] == net]
                ax.plot(tr["pc1"], tr["pc2"], tr["t"], color=cmap(j), lw=1.6, alpha=0.9)
                ax.scatter(
                    tr["pc1"].iloc[:1],
                    tr["pc2"].iloc[:1],
                    tr["t"].iloc[:1],
                    color="red",
                    s=22,
                    depthshade=False,
                )
                cut = "stop" in tr and tr["t"].iloc[-1] < tr["stop"].iloc[0]
                ax.scatter(
                    tr["pc1"].iloc[-1:],
                    tr["pc2"].iloc[-1:],
                    tr["t"].iloc[-1:],
                    color="black",
                    s=40 if cut else 22,
                    marker="x" if cut else "o",
                    depthshade=False,
                )
            if "zero_pc1" in sub:
                z1, z2 = sub["zero_pc1"].iloc[0], sub["zero_pc2"].iloc[0]
                ax.plot([z1, z1], [z2, z2], [sub["t"].min(), sub["t"].max()], color="black", ls=":", lw=1)
            ax.set_xlabel("PC1")
            ax.set_ylabel("PC2")
            ax.set_zlabel(time_label)
            ax.view_init(elev=elev, azim=azim)
            if name is not None:
                ax.set_title((titles or {}).get(name, str(name)))
        handles = [
            Line2D([], [], color="red", marker="o", ls="", label="start"),
            Line2D([], [], color="black", marker="o", ls="", label="end"),
            Line2D([], [], color="black", marker="x", ls="", label="last state drawn (diverging)"),
            Line2D([], [], color="black", ls=":", label="the zero net"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False)
    return fig


# ------------------------------------------------------------------------------------------------
# Outcome counts (Figs 2, 5)
# ------------------------------------------------------------------------------------------------
def outcome_bars(
    counts: pd.DataFrame,
    *,
    group: str = "reduction",
    reference: pd.DataFrame | None = None,
    ylabel: str = "networks",
    title: str | None = None,
    ax=None,
) -> Figure:
    """Stacked bars of outcome counts per `group` (one bar each), optionally beside a reference bar.

    counts: columns `group`, kind, count. reference: the same columns (e.g. the authors' log); its bar
    is drawn hatched to the right of ours.
    """
    groups = list(dict.fromkeys(counts[group]))
    with mpl.rc_context(FONT):
        if ax is None:
            fig = Figure(figsize=(1.9 * len(groups) + 2.6, 4.2), layout="constrained")
            ax = fig.subplots()
        else:
            fig = ax.figure
        width = 0.38 if reference is not None else 0.6
        sets = [("ours", counts, 0.0, None)]
        if reference is not None:
            sets = [("ours", counts, -0.21, None), ("authors' log", reference, 0.21, "//")]
        for _, data, shift, hatch in sets:
            bottom = np.zeros(len(groups))
            for label in KIND_LABELS:
                vals = np.array(
                    [data[(data[group] == g) & (data["kind"] == label)]["count"].sum() for g in groups],
                    dtype=float,
                )
                if not vals.any():
                    continue
                ax.bar(
                    np.arange(len(groups)) + shift,
                    vals,
                    width,
                    bottom=bottom,
                    color=KIND_COLORS[label],
                    hatch=hatch,
                    edgecolor="white",
                    linewidth=0.6,
                )
                for x, b, h in zip(np.arange(len(groups)) + shift, bottom, vals, strict=True):
                    if h > 0:
                        ax.text(
                            x,
                            b + h / 2,
                            f"{h:g}",
                            ha="center",
                            va="center",
                            fontsize=9,
                            color="white",
                            fontweight="bold",
                        )
                bottom += vals
        ax.set_xticks(np.arange(len(groups)), groups)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title)
        present = [
            k
            for k in KIND_LABELS
            if counts[counts["kind"] == k]["count"].sum() > 0
            or (reference is not None and reference[reference["kind"] == k]["count"].sum() > 0)
        ]
        handles = [Patch(color=KIND_COLORS[k], label=k) for k in present]
        if reference is not None:
            handles += [
                Patch(facecolor="white", edgecolor="black", label="ours (left)"),
                Patch(facecolor="white", edgecolor="black", hatch="//", label="authors' log (right)"),
            ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def outcome_bars_facets(
    counts: pd.DataFrame,
    *,
    row: str,
    col: str,
    group: str = "reduction",
    row_titles: Mapping | None = None,
    col_titles: Mapping | None = None,
    ylabel: str = "networks",
) -> Figure:
    """A grid of `outcome_bars`: one panel per (row, col) value pair."""
    rows, cols = list(dict.fromkeys(counts[row])), list(dict.fromkeys(counts[col]))
    groups = list(dict.fromkeys(counts[group]))
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(2.9 * len(cols) + 2.4, 2.6 * len(rows)), layout="constrained")
        axes = fig.subplots(len(rows), len(cols), sharey=True, squeeze=False)
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                ax = axes[i, j]
                sub = counts[(counts[row] == r) & (counts[col] == c)]
                bottom = np.zeros(len(groups))
                for label in KIND_LABELS:
                    vals = np.array(
                        [sub[(sub[group] == g) & (sub["kind"] == label)]["count"].sum() for g in groups],
                        dtype=float,
                    )
                    ax.bar(
                        np.arange(len(groups)),
                        vals,
                        0.65,
                        bottom=bottom,
                        color=KIND_COLORS[label],
                        edgecolor="white",
                        linewidth=0.5,
                    )
                    bottom += vals
                ax.set_xticks(np.arange(len(groups)), [g[:3] for g in groups])
                if i == 0:
                    ax.set_title((col_titles or {}).get(c, str(c)))
                if j == 0:
                    ax.set_ylabel(f"{(row_titles or {}).get(r, str(r))}\n{ylabel}")
        present = [k for k in KIND_LABELS if counts[counts["kind"] == k]["count"].sum() > 0]
        fig.legend(
            handles=[Patch(color=KIND_COLORS[k], label=k) for k in present],
            loc="outside right center",
            frameon=False,
        )
    return fig


def outcome_fractions(
    pooled: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    *,
    kinds: Sequence[str] = ("divergent", "zero fixpoint"),
) -> Figure:
    """Pooled outcome fractions per reduction with their 95 % intervals (columns reduction, kind, fraction,
    low, high), and the reference fractions (reduction, kind, fraction) as black diamonds."""
    groups = list(dict.fromkeys(pooled["reduction"]))
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.2, 3.8), layout="constrained")
        ax = fig.subplots()
        offsets = np.linspace(-0.15, 0.15, len(kinds))
        for off, kind in zip(offsets, kinds, strict=True):
            sub = pooled[pooled["kind"] == kind].set_index("reduction").loc[groups]
            x = np.arange(len(groups)) + off
            ax.errorbar(
                x,
                sub["fraction"],
                yerr=[sub["fraction"] - sub["low"], sub["high"] - sub["fraction"]],
                fmt="o",
                color=KIND_COLORS[kind],
                capsize=4,
                ms=7,
                label=f"{kind} (ours, 95 % CI)",
            )
            if reference is not None:
                ref = reference[reference["kind"] == kind].set_index("reduction").reindex(groups)
                ax.scatter(
                    x + 0.06,
                    ref["fraction"],
                    marker="D",
                    color="black",
                    s=28,
                    zorder=3,
                    label="authors' log" if kind == kinds[0] else None,
                )
        ax.set_xticks(np.arange(len(groups)), groups)
        ax.set_ylim(-0.03, 1.03)
        ax.set_ylabel("fraction of networks")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


# ------------------------------------------------------------------------------------------------
# Robustness (Figs 3, 6)
# ------------------------------------------------------------------------------------------------
def robustness_boxes(
    frame: pd.DataFrame,
    *,
    hue: str | None = None,
    hue_order: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Box plots per noise level of time to vergence and time as fixpoint.

    frame: level, time_to_vergence, time_as_fixpoint (and `hue`, e.g. the parent group). Without `hue`
    one panel with two boxes per level (the paper's layout); with `hue` one panel per measure.
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
            fig = Figure(figsize=(10, 4.4), layout="constrained")
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
            fig = Figure(figsize=(13, 4.4), layout="constrained")
            axes = fig.subplots(1, 2)
            for ax, measure in zip(axes, names.values(), strict=True):
                sns.boxplot(
                    long[long["measure"] == measure],
                    x="noise level ζ",
                    y="self-applications",
                    hue=hue,
                    hue_order=hue_order,
                    order=order,
                    ax=ax,
                    fliersize=2,
                )
                ax.set_title(measure)
                ax.legend(title=None, frameon=False)
    return fig


def robustness_curves(
    means: pd.DataFrame,
    *,
    label: str = "run",
    reference: pd.DataFrame | None = None,
    styles: Mapping[str, Mapping] | None = None,
) -> Figure:
    """Mean time to vergence and mean time as fixpoint against the noise level, one line per `label`.

    means: level, time_to_vergence, time_as_fixpoint, `label`. reference: level, time_to_vergence,
    time_as_fixpoint (the authors' log), drawn as black diamonds.
    """
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(12.5, 4.3), layout="constrained")
        axes = fig.subplots(1, 2)
        for ax, col, name in zip(
            axes,
            ("time_to_vergence", "time_as_fixpoint"),
            ("mean time to vergence", "mean time as fixpoint"),
            strict=True,
        ):
            for run, sub in means.groupby(label, sort=False):
                sub = sub.sort_values("level")
                ax.plot(sub["level"], sub[col], marker="o", ms=4, label=run, **(styles or {}).get(run, {}))
            if reference is not None:
                ax.scatter(
                    reference["level"],
                    reference[col],
                    marker="D",
                    color="black",
                    s=30,
                    zorder=3,
                    label="authors' log (Keras, float32, ε = 1e-4)",
                )
            ax.set_xscale("log")
            ax.invert_xaxis()
            ax.set_xlabel("noise level ζ (less noise →)")
            ax.set_ylabel("self-applications")
            ax.set_title(name)
            ax.grid(alpha=0.3)
        axes[1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


# ------------------------------------------------------------------------------------------------
# Chapter 2: distances, the zero/non-zero grid, what separates the outcomes
# ------------------------------------------------------------------------------------------------
def distance_histogram(
    dist: pd.DataFrame, *, eps: Sequence[float] = (1e-5, 1e-4), column: str = "max_abs"
) -> Figure:
    """Histogram (log x) of pairwise distances between trained fixpoints, per population, with ε marked."""
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(8, 3.8), layout="constrained")
        ax = fig.subplots()
        lo = min(min(eps) / 3, dist[column].min() / 2)
        bins = np.logspace(np.log10(lo), np.log10(dist[column].max() * 1.5), 60)
        for pop, sub in dist.groupby("population", sort=False):
            ax.hist(sub[column], bins=bins, alpha=0.6, density=True, label=f"{pop} ({len(sub):,} pairs)")
        for e, ls in zip(eps, ("--", ":"), strict=False):
            ax.axvline(e, color="black", ls=ls, lw=1.2, label=f"ε = {e:g}")
        ax.set_xscale("log")
        ax.set_xlabel("largest weight difference between two trained fixpoints (max |w_i − w'_i|)")
        ax.set_ylabel("density")
        ax.legend(frameon=False, loc="upper left")
    return fig


def grid_heatmap(summary: pd.DataFrame, *, trainings: Sequence[str] | None = None) -> Figure:
    """The zero/non-zero grid: one panel per training kind; rows = (encoding, init), columns = (lr,
    momentum). Colour = fraction non-zero minus fraction zero (green: non-zero fixpoints dominate, grey:
    zero fixpoints dominate, white: neither); text = non-zero / zero percentages (and divergent ones
    marked 'd'). Cells that a published code ran are framed."""
    last = summary[summary["t"] == summary.groupby("training")["t"].transform("max")]
    trainings = list(trainings or dict.fromkeys(last["training"]))
    rows = list(dict.fromkeys(zip(last["positions"], last["init"], strict=True)))
    cols = list(dict.fromkeys(zip(last["lr"], last["momentum"], strict=True)))
    cmap = mpl.colors.LinearSegmentedColormap.from_list("zn", ["#606060", "#ffffff", "#2ca02c"])
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(1.15 * len(cols) + 3.2, 2.0 * len(trainings) + 1.2), layout="constrained")
        axes = fig.subplots(len(trainings), 1, squeeze=False)
        for ax, training in zip(axes[:, 0], trainings, strict=True):
            sub = last[last["training"] == training]
            m = np.full((len(rows), len(cols)), np.nan)
            for r, (pos, init) in enumerate(rows):
                for c, (lr, mom) in enumerate(cols):
                    cell = sub[
                        (sub["positions"] == pos)
                        & (sub["init"] == init)
                        & (sub["lr"] == lr)
                        & (sub["momentum"] == mom)
                    ]
                    if not len(cell):
                        continue
                    cell = cell.iloc[0]
                    m[r, c] = cell["nonzero"] - cell["zero"]
                    txt = f"{cell['nonzero']:.0%}\n{cell['zero']:.0%}"
                    if cell["div"] > 0:
                        txt += f" d{cell['div']:.0%}"
                    ax.text(c, r, txt, ha="center", va="center", fontsize=8.5)
                    if cell["published"]:
                        ax.add_patch(
                            Rectangle((c - 0.48, r - 0.48), 0.96, 0.96, fill=False, lw=2.6, ec="#1f3fbf")
                        )
            im = ax.imshow(m, cmap=cmap, vmin=-1, vmax=1, aspect="auto")
            ax.set_yticks(range(len(rows)), [f"{p} / {i}" for p, i in rows])
            ax.set_xticks(range(len(cols)), [f"lr {lr:g}\nμ {mom:g}" for lr, mom in cols])
            ax.set_title(
                f"{training} ({int(sub['t'].iloc[0]):,} steps, {int(sub['n'].iloc[0])} nets per cell)"
            )
        cb = fig.colorbar(im, ax=axes[:, 0], shrink=0.6, label="fraction non-zero − fraction zero")
        cb.set_ticks([-1, 0, 1], labels=["all zero", "neither", "all non-zero"])
        fig.legend(
            handles=[
                Rectangle((0, 0), 1, 1, fill=False, ec="#1f3fbf", lw=2.4, label="a published code's setting"),
                Patch(color="white", label="text: % non-zero (top), % zero (bottom)"),
            ],
            loc="outside lower center",
            ncols=2,
            frameon=False,
        )
    return fig


def gain_strip(
    nets: pd.DataFrame,
    *,
    training: str,
    x: str = "a_value_init",
    xlabel: str = "initial value gain a₀ of the net",
) -> Figure:
    """Where each net started (x) and how it ended (colour), one row per initialisation."""
    sub = nets[nets["training"] == training]
    inits = list(dict.fromkeys(sub["init"]))
    rng = np.random.default_rng(0)  # vertical jitter only, for legibility
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(9, 1.2 + 1.0 * len(inits)), layout="constrained")
        ax = fig.subplots()
        for r, init in enumerate(inits):
            s = sub[sub["init"] == init]
            for label in KIND_LABELS:
                k = s[s["kind"] == label]
                if len(k):
                    ax.scatter(
                        k[x],
                        r + rng.uniform(-0.3, 0.3, len(k)),
                        s=9,
                        alpha=0.6,
                        color=KIND_COLORS[label],
                        label=label
                        if r == 0 or label not in set(sub[sub["init"] == inits[0]]["kind"])
                        else None,
                    )
        ax.set_yticks(range(len(inits)), [f"{i} init" for i in inits])
        ax.set_xlabel(xlabel)
        ax.axvline(0, color="black", lw=0.6)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, markerscale=2)
        ax.set_title(training)
    return fig
