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
from matplotlib.ticker import MaxNLocator

from selfrep.fixpoints import KIND_LABELS
from selfrep.stats import wilson_interval

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
        fig = Figure(figsize=(min(7.5, 3.9 * len(panels)), 4.4), layout="constrained")
        any_cut = False
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
                any_cut = any_cut or bool(cut)
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
            ax.set_xlabel("PC1", labelpad=2)
            ax.set_ylabel("PC2", labelpad=2)
            ax.set_zlabel(time_label, labelpad=0, fontsize=10)
            # Few ticks so that neighbouring PC labels do not run together; time counts whole steps.
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
            ax.zaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
            ax.tick_params(labelsize=8, pad=0)
            ax.view_init(elev=elev, azim=azim)
            ax.set_box_aspect(None, zoom=0.8)  # room for the z label inside the panel
            if name is not None:
                ax.set_title((titles or {}).get(name, str(name)))
        handles = [
            Line2D([], [], color="red", marker="o", ls="", label="start"),
            Line2D([], [], color="black", marker="o", ls="", label="end"),
            Line2D([], [], color="black", ls=":", label="the zero net"),
        ]
        if any_cut:
            handles.insert(
                2, Line2D([], [], color="black", marker="x", ls="", label="last state drawn (diverging)")
            )
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
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
                            color="black",
                            fontweight="bold",
                            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.0},
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
        fig = Figure(figsize=(7.5, 2.4 * len(rows) + 0.5), layout="constrained")
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
            loc="outside lower center",
            ncols=len(present),
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


# ------------------------------------------------------------------------------------------------
# Chapter 3: weight space (Figs 7-10)
# ------------------------------------------------------------------------------------------------
MOVEMENT_COLORS: dict[str, str] = {"approaching": "#1f77b4", "distancing": "#ff7f0e", "stationary": "#2ca02c"}
ZERO_FLOOR = 1e-16  # where a distance of exactly 0 is drawn on a log axis


def clone_trajectories_3d(
    frame: pd.DataFrame, *, time_label: str = "self-training step", elev: float = 20, azim: float = -60
) -> Figure:
    """Fig 7: a parent (black) and its noisy clones (one colour each) in the first two principal
    components, z = training step; beside it, each clone's distance to the parent at cloning right after
    the noise and after retraining (the moves the projection is too coarse to show). frame: net, role,
    t, pc1, pc2, pre, post (net 0 is the parent)."""
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 4.8), layout="constrained")
        gs = fig.add_gridspec(1, 2, width_ratios=[2.3, 1])
        ax = fig.add_subplot(gs[0, 0], projection="3d")
        kids = [n for n in dict.fromkeys(frame["net"]) if n != 0]
        cmap = mpl.colormaps["viridis"].resampled(max(len(kids), 2))
        for net in [0, *kids]:
            tr = frame[frame["net"] == net]
            color = "black" if net == 0 else cmap(kids.index(net))
            ax.plot(tr["pc1"], tr["pc2"], tr["t"], color=color, lw=2.4 if net == 0 else 1.3, alpha=0.9)
            ax.scatter(
                tr["pc1"].iloc[:1], tr["pc2"].iloc[:1], tr["t"].iloc[:1], color="red", s=20, depthshade=False
            )
            ax.scatter(
                tr["pc1"].iloc[-1:],
                tr["pc2"].iloc[-1:],
                tr["t"].iloc[-1:],
                color=color,
                s=26,
                marker="s",
                edgecolor="black",
                depthshade=False,
            )
        ax.set_xlabel("PC1 (whitened)", fontsize=9)
        ax.set_ylabel("PC2 (whitened)", fontsize=9)
        ax.set_zlabel(time_label, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.view_init(elev=elev, azim=azim)
        side = fig.add_subplot(gs[0, 1])
        first = frame[frame["net"] != 0].groupby("net").first()
        for net, row in first.iterrows():
            side.plot(
                [0, 1], [row["pre"], row["post"]], color=cmap(kids.index(net)), marker="o", ms=3, lw=1.2
            )
        side.set_yscale("log")
        side.set_xticks([0, 1], ["after\nnoise", "re-\ntrained"])
        side.set_xlim(-0.2, 1.2)
        side.set_ylabel("MAE to the parent at cloning")
        side.set_title("each clone's distance", fontsize=10)
        fig.legend(
            handles=[
                Line2D([], [], color="black", lw=2.4, label="parent (trained on)"),
                Line2D([], [], color=cmap(0.5), lw=1.3, label="clones (one colour each)"),
                Line2D([], [], color="red", marker="o", ls="", label="first state drawn"),
                Line2D([], [], color="grey", marker="s", ls="", mec="black", label="last state"),
            ],
            loc="outside lower center",
            ncols=2,
            frameon=False,
        )
    return fig


def clone_distances(children: pd.DataFrame, *, ncols: int = 5, floor: float = ZERO_FLOOR) -> Figure:
    """Fig 8: one panel per noise level; every clone is a line from its distance to the parent after the
    noise (left) to its distance after retraining (right), coloured by how it moved; log y, a distance of
    exactly 0 drawn at `floor`. children: level, pre, post, movement."""
    levels = sorted(children["level"].unique(), reverse=True)
    nrows = int(np.ceil(len(levels) / ncols))
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 2.35 * nrows + 0.9), layout="constrained")
        axes = np.atleast_2d(fig.subplots(nrows, ncols, sharey=True, squeeze=False))
        lo = floor
        hi = max(children["pre"].max(), children["post"].max()) * 2
        for ax, z in zip(axes.flat, levels, strict=False):
            sub = children[children["level"] == z]
            for row in sub.itertuples():
                ax.plot(
                    [0, 1],
                    [max(row.pre, floor), max(row.post, floor)],
                    color=MOVEMENT_COLORS[row.movement],
                    lw=0.8,
                    alpha=0.55,
                )
            n = {m: int((sub["movement"] == m).sum()) for m in MOVEMENT_COLORS}
            ax.set_title(
                f"ζ = {_level_label(z)}\n{n['approaching']} / {n['distancing']} / {n['stationary']}",
                fontsize=10,
            )
            ax.set_xticks([0, 1], ["noise", "trained"], fontsize=9)
            ax.tick_params(axis="y", labelsize=9)
            ax.set_xlim(-0.15, 1.15)
            ax.set_yscale("log")
            ax.set_ylim(lo / 2, hi)
            ax.axhline(z, color="black", lw=0.6, ls=":")
        for ax in axes.flat[len(levels) :]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_ylabel("MAE to parent")
        fig.legend(
            handles=[Line2D([], [], color=c, lw=2, label=m) for m, c in MOVEMENT_COLORS.items()]
            + [Line2D([], [], color="black", ls=":", lw=0.8, label="ζ")],
            loc="outside lower center",
            ncols=4,
            frameon=False,
            title=f"titles: approaching / distancing / stationary; a distance of 0 is drawn at {floor:g}",
            title_fontsize=10,
        )
    return fig


def movement_count_bars(counts: pd.DataFrame, *, panel: str = "dtype") -> Figure:
    """Fig 8 (count plot): stacked counts of approaching / distancing / stationary clones per noise level,
    one panel per `panel` value. counts: panel, level, approaching, distancing, stationary."""
    panels = list(dict.fromkeys(counts[panel]))
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 2.6 * len(panels) + 0.6), layout="constrained")
        axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
        for ax, name in zip(axes, panels, strict=True):
            sub = counts[counts[panel] == name].sort_values("level", ascending=False)
            x = np.arange(len(sub))
            bottom = np.zeros(len(sub))
            for m, c in MOVEMENT_COLORS.items():
                ax.bar(x, sub[m], 0.75, bottom=bottom, color=c, label=m)
                bottom += sub[m].to_numpy()
            ax.set_xticks(x, [_level_label(z) for z in sub["level"]])
            ax.set_title(str(name))
            ax.set_ylabel("clones")
        axes[-1].set_xlabel("noise level ζ")
        fig.legend(
            handles=[Patch(color=c, label=m) for m, c in MOVEMENT_COLORS.items()],
            loc="outside lower center",
            ncols=3,
            frameon=False,
        )
    return fig


def drift_scatter(children: pd.DataFrame, *, panel: str = "dtype", floor: float = ZERO_FLOOR) -> Figure:
    """Beyond Fig 8: every clone at (its distance to the parent after the noise, the distance its parent
    travels when retrained itself: the parent drift), coloured by how the clone moved; the diagonal
    separates 'the parent itself moves farther than the noise' (above). Exact zeros drawn at `floor`."""
    panels = list(dict.fromkeys(children[panel]))
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 4.2), layout="constrained")
        axes = fig.subplots(1, len(panels), squeeze=False, sharex=True, sharey=True)[0]
        lo = floor / 3
        hi = max(children["pre"].max(), children["parent_drift"].max()) * 3
        for ax, name in zip(axes, panels, strict=True):
            sub = children[children[panel] == name]
            for m, c in MOVEMENT_COLORS.items():
                s = sub[sub["movement"] == m]
                ax.scatter(
                    np.maximum(s["pre"], floor),
                    np.maximum(s["parent_drift"], floor),
                    s=9,
                    alpha=0.6,
                    color=c,
                )
            ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, ls="--")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            ax.set_xlabel("child's MAE to parent\nafter the noise")
            n = {m: int((sub["movement"] == m).sum()) for m in MOVEMENT_COLORS}
            ax.set_title(f"{name}\n{n['approaching']} / {n['distancing']} / {n['stationary']}", fontsize=10)
        axes[0].set_ylabel("parent drift (MAE the parent\ntravels when retrained alone)")
        fig.legend(
            handles=[Line2D([], [], color=c, marker="o", ls="", label=m) for m, c in MOVEMENT_COLORS.items()]
            + [Line2D([], [], color="black", ls="--", lw=0.8, label="drift = noise")],
            loc="outside lower center",
            ncols=4,
            frameon=False,
            title="titles: approaching / distancing / stationary",
            title_fontsize=10,
        )
    return fig


def fixpoint_error_boxes(
    children: pd.DataFrame,
    parents: pd.DataFrame,
    *,
    panel: str = "dtype",
    lines: Sequence[float] = (1e-6, 1e-7),
) -> Figure:
    """Fig 9: L1 fixpoint error of parents (at cloning) and children (after retraining) per noise level,
    one panel per `panel` value, log y, dashed lines at `lines`."""
    import seaborn as sns

    both = pd.concat([parents.assign(who="parents"), children.assign(who="children")], ignore_index=True)
    both["noise level ζ"] = both["level"].map(_level_label)
    order = [_level_label(z) for z in sorted(both["level"].unique(), reverse=True)]
    panels = list(dict.fromkeys(both[panel]))
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 2.9 * len(panels) + 0.6), layout="constrained")
        axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
        for ax, name in zip(axes, panels, strict=True):
            sub = both[both[panel] == name]
            sns.boxplot(
                sub,
                x="noise level ζ",
                y="l1",
                hue="who",
                order=order,
                ax=ax,
                showfliers=False,
                palette={"parents": "#8c564b", "children": "#17becf"},
                log_scale=True,
            )
            for y in lines:
                ax.axhline(y, color="black", ls="--", lw=0.9)
            ax.set_ylabel("L1 fixpoint error")
            ax.set_title(str(name))
            ax.tick_params(axis="x", labelsize=9)
            if ax.get_legend() is not None:
                ax.get_legend().remove()
            if ax is not axes[-1]:
                ax.set_xlabel("")
        fig.legend(
            handles=[Patch(color="#8c564b", label="parents"), Patch(color="#17becf", label="children")]
            + [Line2D([], [], color="black", ls="--", lw=0.9, label="1e-6, 1e-7")],
            loc="outside lower center",
            ncols=3,
            frameon=False,
        )
    return fig


def line_children_scatter(line: pd.DataFrame, *, cmap: str = "viridis_r") -> Figure:
    """Fig 10: children on the line between two parents — normalised distance to parent 1 before
    (x, ≈ the position on the line) and after (y) retraining, coloured by the distance between the two
    parents (dark = far apart); the diagonal marks 'did not move'."""
    fin = line.dropna(subset=["post_norm"]).sort_values("parent_distance")
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.0, 5.6), layout="constrained")
        ax = fig.subplots()
        sc = ax.scatter(
            fin["pre_norm"], fin["post_norm"], c=fin["parent_distance"], cmap=cmap, s=9, alpha=0.8
        )
        ax.plot([0, 1], [0, 1], color="black", lw=0.8, ls="--")
        ax.set_xlabel("distance to parent 1 before retraining (normalised per pair)")
        ax.set_ylabel("distance to parent 1 after retraining (normalised per pair)")
        fig.colorbar(sc, ax=ax, label="distance between the two parents (MAE)")
    return fig


# ------------------------------------------------------------------------------------------------
# Chapter 4: the mixed setting (Fig 11)
# ------------------------------------------------------------------------------------------------
def mixed_fractions(
    frac: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    *,
    xlabel: str = "self-training epochs between self-applications (T)",
) -> Figure:
    """Fig 11: per reduction (one panel each), the fraction of nets ending as a fixpoint against T, with
    its 95 % interval, split into zero (grey) and non-zero (green) fixpoints; the authors' logged
    fractions (zero and non-zero together) as black diamonds.

    frac: reduction, trains, fixpoint, zero, nonzero, low, high. reference: reduction, trains, fixpoint.
    """
    reds = list(dict.fromkeys(frac["reduction"]))
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 3.9), layout="constrained")
        axes = fig.subplots(1, len(reds), sharey=True, squeeze=False)[0]
        for ax, red in zip(axes, reds, strict=True):
            sub = frac[frac["reduction"] == red].sort_values("trains")
            x = sub["trains"].to_numpy()
            ax.fill_between(x, sub["low"], sub["high"], color="black", alpha=0.1, lw=0)
            ax.plot(
                x, sub["fixpoint"], color="black", marker="o", ms=4, label="fixpoints, zero or not (ours)"
            )
            ax.plot(
                x,
                sub["nonzero"],
                color=KIND_COLORS["non-zero fixpoint"],
                marker="^",
                ms=4,
                label="non-zero fixpoints (ours)",
            )
            ax.plot(
                x,
                sub["zero"],
                color=KIND_COLORS["zero fixpoint"],
                marker="v",
                ms=4,
                ls="--",
                label="zero fixpoints (ours)",
            )
            if reference is not None:
                ref = reference[reference["reduction"] == red]
                ax.scatter(
                    ref["trains"],
                    ref["fixpoint"],
                    marker="D",
                    color="#d62728",
                    s=28,
                    zorder=3,
                    label="fixpoints, authors' log",
                )
            ax.set_title(red)
            ax.set_ylim(-0.03, 1.03)
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("fraction of networks")
        for ax in axes:
            ax.tick_params(labelsize=9)
        # The x label belongs to the middle panel, not fig.supxlabel: constrained layout stacks an
        # "outside lower" legend and a supxlabel in the same strip, printing one over the other. As an
        # axes label it is part of the panels' own decorations, and the legend goes below it.
        axes[len(axes) // 2].set_xlabel(xlabel, fontsize=10)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False, fontsize=9)
    return fig


# ------------------------------------------------------------------------------------------------
# Chapter 5: soups (Figs 12-14)
# ------------------------------------------------------------------------------------------------
def soup_trajectories_3d(
    frame: pd.DataFrame,
    *,
    panel: str = "panel",
    time_label: str = "soup epoch",
    ncols: int = 2,
    elev: float = 22,
    azim: float = -58,
) -> Figure:
    """Fig 12: every particle of a soup in its first two principal components, z = soup epoch, one panel
    per `panel` value. Lines are coloured by how the particle ended (KIND_COLORS; light grey: replaced by
    a fresh net); red dots: starts; dotted: the zero net."""
    panels = list(dict.fromkeys(frame[panel]))
    ncols = min(ncols, len(panels))
    nrows = int(np.ceil(len(panels) / ncols))
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 3.7 * nrows + 0.7), layout="constrained")
        for k, name in enumerate(panels):
            ax = fig.add_subplot(nrows, ncols, k + 1, projection="3d")
            sub = frame[frame[panel] == name]
            for _, tr in sub.groupby("uid", sort=False):
                kind = tr["kind"].iloc[0]
                color = KIND_COLORS.get(kind, "#c7c7c7")
                ax.plot(tr["pc1"], tr["pc2"], tr["t"], color=color, lw=1.1, alpha=0.85)
                ax.scatter(
                    tr["pc1"].iloc[:1],
                    tr["pc2"].iloc[:1],
                    tr["t"].iloc[:1],
                    color="red",
                    s=10,
                    depthshade=False,
                )
            z1, z2 = sub["zero_pc1"].iloc[0], sub["zero_pc2"].iloc[0]
            ax.plot([z1, z1], [z2, z2], [sub["t"].min(), sub["t"].max()], color="black", ls=":", lw=1)
            ax.set_xlabel("PC1", fontsize=9)
            ax.set_ylabel("PC2", fontsize=9)
            ax.set_zlabel(time_label, fontsize=9)
            ax.tick_params(labelsize=8)
            ax.view_init(elev=elev, azim=azim)
            ax.set_title(str(name), fontsize=10)
        kinds = [k for k in KIND_LABELS if (frame["kind"] == k).any()]
        handles = [Line2D([], [], color=KIND_COLORS[k], lw=2, label=f"ends as {k}") for k in kinds]
        if (frame["kind"] == "replaced").any():
            handles.append(Line2D([], [], color="#c7c7c7", lw=2, label="replaced (divergent or zero)"))
        handles += [
            Line2D([], [], color="red", marker="o", ls="", label="start"),
            Line2D([], [], color="black", ls=":", label="the zero net"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3), frameon=False)
    return fig


def cluster_shares(soups: pd.DataFrame) -> Figure:
    """Beyond Fig 12: the share of particles in each soup's largest cluster at the end, soups with attacks
    beside their controls; a point's colour says what its cluster is made of."""
    settings = list(dict.fromkeys(soups["setting"]))
    rng = np.random.default_rng(0)  # horizontal jitter only
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.2, 4.0), layout="constrained")
        ax = fig.subplots()
        for i, setting in enumerate(settings):
            sub = soups[soups["setting"] == setting]
            mostly = sub["cluster_nonzero"] / sub["cluster_size"] >= 0.5
            for flag, label, color in (
                (True, "cluster mostly non-zero fixpoints", KIND_COLORS["non-zero fixpoint"]),
                (False, "cluster mostly other nets", KIND_COLORS["other"]),
            ):
                s = sub[mostly == flag]
                ax.scatter(
                    i + rng.uniform(-0.15, 0.15, len(s)),
                    s["share_end"],
                    color=color,
                    s=30,
                    alpha=0.8,
                    label=label if i == 0 or not (mostly == flag).any() else None,
                )
        ax.axhline(0.5, color="black", ls="--", lw=0.8)
        ax.set_xticks(range(len(settings)), settings)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("share of the soup in its largest cluster")
        handles = [
            Line2D(
                [],
                [],
                color=KIND_COLORS["non-zero fixpoint"],
                marker="o",
                ls="",
                label="cluster mostly non-zero fixpoints",
            ),
            Line2D([], [], color=KIND_COLORS["other"], marker="o", ls="", label="cluster mostly other nets"),
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def attack_damage(attacks: pd.DataFrame, *, floor: float = 1e-9) -> Figure:
    """How far an attack moves its victim (mean |Δw|) against the attacker's fixpoint error (max
    |N◁N − N|), coloured by soup epoch; log axes, values below `floor` drawn at it."""
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 4.8), layout="constrained")
        ax = fig.subplots()
        sc = ax.scatter(
            np.maximum(attacks["attacker_error"], floor),
            np.maximum(attacks["displacement"], floor),
            c=attacks["epoch"],
            cmap="viridis",
            s=8,
            alpha=0.6,
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("attacker's fixpoint error (max |N◁N − N|)")
        ax.set_ylabel("change of the victim (MAE)")
        fig.colorbar(sc, ax=ax, label="soup epoch")
    return fig


def soup_counts(
    means: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    *,
    xlabel: str = "self-training epochs per soup epoch (A)",
) -> Figure:
    """Fig 13: mean count per soup of non-zero (green) and zero (grey) fixpoints against A, one panel per
    reduction, with standard errors; the authors' log as open markers.

    means: reduction, trains, zero, nonzero, zero_se, nonzero_se. reference: reduction, trains, zero, nonzero.
    """
    reds = list(dict.fromkeys(means["reduction"]))
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 4.0), layout="constrained")
        axes = fig.subplots(1, len(reds), sharey=True, squeeze=False)[0]
        for ax, red in zip(axes, reds, strict=True):
            sub = means[means["reduction"] == red].sort_values("trains")
            for col, kind, marker in (("nonzero", "non-zero fixpoint", "^"), ("zero", "zero fixpoint", "v")):
                ax.errorbar(
                    sub["trains"],
                    sub[col],
                    yerr=sub[f"{col}_se"],
                    color=KIND_COLORS[kind],
                    marker=marker,
                    ms=5,
                    capsize=3,
                    label=f"{kind}s (ours)",
                )
                if reference is not None:
                    ref = reference[reference["reduction"] == red].sort_values("trains")
                    ax.plot(
                        ref["trains"],
                        ref[col],
                        color=KIND_COLORS[kind],
                        marker="D",
                        ms=6,
                        ls=":",
                        mfc="white",
                        label=f"{kind}s (authors' log)",
                    )
            ax.set_title(red)
            ax.set_xlabel(xlabel, fontsize=10)
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("fixpoints per soup (mean)")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
    return fig


def clone_soup_3d(
    frame: pd.DataFrame,
    *,
    panel: str = "setting",
    time_label: str = "self-training step",
    ncols: int = 2,
    elev: float = 20,
    azim: float = -60,
    only: str | None = None,
) -> Figure:
    """Fig 14: the children of a soup of noisy clones, coloured by their parent (family), with the parents
    in black; whitened PCA per panel, z = training step. `only`: draw just the panels whose name contains
    this text (e.g. "family 0")."""
    panels = [p for p in dict.fromkeys(frame[panel]) if only is None or only in str(p)]
    if not panels:
        raise ValueError(f"only: no panel name contains {only!r}")
    cmap = mpl.colormaps["tab10"]
    ncols = min(ncols, len(panels))
    nrows = int(np.ceil(len(panels) / ncols))
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 3.6 * nrows + 0.6), layout="constrained")
        for k, name in enumerate(panels):
            ax = fig.add_subplot(nrows, ncols, k + 1, projection="3d")
            sub = frame[frame[panel] == name]
            order = sorted(sub.groupby(["net", "role"], sort=False), key=lambda item: item[0][1] != "parent")
            for (_, role), tr in order:  # parents first, so the children are drawn over them
                color = cmap(int(tr["family"].iloc[0]) % 10)
                if role == "parent":
                    ax.plot(tr["pc1"], tr["pc2"], tr["t"], color="black", lw=1.4, ls="--")
                    ax.scatter(
                        tr["pc1"].iloc[-1:],
                        tr["pc2"].iloc[-1:],
                        tr["t"].iloc[-1:],
                        color=color,
                        s=70,
                        marker="*",
                        edgecolor="black",
                        depthshade=False,
                    )
                else:
                    ax.plot(tr["pc1"], tr["pc2"], tr["t"], color=color, lw=1.2, alpha=0.9)
                    ax.scatter(
                        tr["pc1"].iloc[:1],
                        tr["pc2"].iloc[:1],
                        tr["t"].iloc[:1],
                        color="red",
                        s=12,
                        depthshade=False,
                    )
            ax.set_xlabel("PC1 (whitened)", fontsize=9)
            ax.set_ylabel("PC2 (whitened)", fontsize=9)
            ax.set_zlabel(time_label, fontsize=9)
            ax.tick_params(labelsize=8)
            ax.view_init(elev=elev, azim=azim)
            ax.set_title(str(name), fontsize=10)
        fig.legend(
            handles=[
                Line2D([], [], color="black", lw=1.4, ls="--", label="parents (star: end)"),
                Line2D([], [], color=cmap(0), lw=1.2, label="children (colour = parent)"),
                Line2D([], [], color="red", marker="o", ls="", label="child after cloning"),
            ],
            loc="outside lower center",
            ncols=2,
            frameon=False,
        )
    return fig
