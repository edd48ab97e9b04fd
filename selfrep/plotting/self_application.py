"""Figures of chapter 1 (and the trajectory and count figures chapter 2 reuses): paper Figs 1, 2, 4, 5."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from selfrep.fixpoints import KIND_LABELS
from selfrep.plotting.style import FONT, KIND_COLORS


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
