"""Figures of chapter 3: weight space (paper Figs 7-10)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from selfrep.plotting.style import FONT, _level_label

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
        gs = fig.add_gridspec(1, 2, width_ratios=[1.2, 1])
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
        # the jump at cloning: the parent's state at the cloning step joined to each clone's first state
        t0 = frame.loc[frame["net"] != 0, "t"].min()
        at = frame[(frame["net"] == 0) & (frame["t"] <= t0)].sort_values("t").iloc[-1:]
        if len(at):
            for net in kids:
                first = frame[frame["net"] == net].iloc[:1]
                ax.plot(
                    [float(at["pc1"].iloc[0]), float(first["pc1"].iloc[0])],
                    [float(at["pc2"].iloc[0]), float(first["pc2"].iloc[0])],
                    [float(at["t"].iloc[0]), float(first["t"].iloc[0])],
                    color="red",
                    lw=0.8,
                    ls="--",
                )
        from matplotlib.ticker import MaxNLocator

        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            axis.set_major_locator(MaxNLocator(3))
        ax.set_xlabel("PC1 (whitened)", fontsize=9)
        ax.set_ylabel("PC2 (whitened)", fontsize=9)
        ax.set_title(f"vertical axis: {time_label}", fontsize=10)
        ax.tick_params(labelsize=8)
        ax.view_init(elev=elev, azim=azim)
        side = fig.add_subplot(gs[0, 1])
        first = frame[frame["net"] != 0].groupby("net").first()
        for net, row in first.iterrows():
            side.plot(
                [0, 1], [row["pre"], row["post"]], color=cmap(kids.index(net)), marker="o", ms=3, lw=1.2
            )
        side.set_yscale("log")
        compact = mpl.ticker.FuncFormatter(lambda y, _: f"{y:.0e}".replace("e-0", "e-"))
        side.yaxis.set_major_formatter(compact)
        side.yaxis.set_minor_formatter(compact)
        side.tick_params(axis="y", which="both", labelsize=8)
        side.set_xticks([0, 1], ["after\nnoise", "after\nretraining"])
        side.set_xlim(-0.2, 1.2)
        side.yaxis.tick_right()
        side.yaxis.set_label_position("right")
        side.set_ylabel("MAE to the parent at cloning", labelpad=2)
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
    noise (left) to its distance after retraining (right), coloured by how it moved; log y, one y-axis per
    panel, a distance of exactly 0 drawn at the panel's bottom (`floor` where a panel has no non-zero
    distance). children: level, pre, post, movement."""
    levels = sorted(children["level"].unique(), reverse=True)
    nrows = int(np.ceil(len(levels) / ncols))
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 2.35 * nrows + 0.9), layout="constrained")
        # one y-axis per panel (the authors' catplot: sharey=False); the distances span 15 decades
        axes = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False))
        for ax, z in zip(axes.flat, levels, strict=False):
            sub = children[children["level"] == z]
            both = np.r_[sub["pre"].to_numpy(), sub["post"].to_numpy()]
            pos = both[both > 0]
            lo = float(pos.min()) / 10 if len(pos) else floor  # where a distance of 0 is drawn
            hi = float(pos.max()) * 3 if len(pos) else floor * 10
            for row in sub.itertuples():
                ax.plot(
                    [0, 1],
                    [max(row.pre, lo), max(row.post, lo)],
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
            ax.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
            if (sub["pre"] == 0).any() or (sub["post"] == 0).any():
                ax.axhline(lo, color="grey", lw=0.5, ls="--")
                ax.text(
                    0.5,
                    lo * 1.3,
                    "0",
                    transform=ax.get_yaxis_transform(),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color="grey",
                )
            if lo / 2 <= z <= hi:
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
            title="titles: approaching / distancing / stationary; one y-axis per panel; "
            "0 on the grey dashed line",
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
            ax.set_ylabel("children")
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
            sns.stripplot(
                sub,
                x="noise level ζ",
                y="l1",
                hue="who",
                order=order,
                ax=ax,
                dodge=True,
                size=1.8,
                alpha=0.6,
                palette={"parents": "#4a2c25", "children": "#0b6e78"},
                legend=False,
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


def projection_scatter(children: pd.DataFrame, *, panel: str = "dtype", floor: float = ZERO_FLOOR) -> Figure:
    """Beyond the paper: each child's L2 distance to its parent after retraining (y) against the one the
    projection onto the fixpoint family predicts (x, the noise's part along the family), log-log, colour
    = noise level ζ; one panel per `panel` value. children: level, pred_l2, post_l2 (and `panel`)."""
    panels = list(dict.fromkeys(children[panel]))
    levels = np.log10(children["level"].to_numpy())
    norm = mpl.colors.Normalize(vmin=levels.min(), vmax=levels.max())
    cmap = mpl.colormaps["viridis"]
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 3.6), layout="constrained")
        axes = fig.subplots(1, len(panels), squeeze=False, sharex=True, sharey=True)[0]
        for ax, name in zip(axes, panels, strict=True):
            sub = children[children[panel] == name]
            x = np.maximum(sub["pred_l2"].to_numpy(), floor)
            y = np.maximum(sub["post_l2"].to_numpy(), floor)
            ax.scatter(x, y, c=np.log10(sub["level"]), cmap=cmap, norm=norm, s=6, alpha=0.7, lw=0)
            lo = floor / 2
            hi = max(float(children["pred_l2"].max()), float(children["post_l2"].max())) * 2
            ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, ls="--")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            ax.set_title(str(name), fontsize=10)
            ax.set_xlabel("predicted L2 distance after retraining")
        axes[0].set_ylabel("measured L2 distance after retraining")
        bar = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=list(axes), shrink=0.9)
        bar.set_label("log₁₀ ζ")
    return fig


def border_sweep(table: pd.DataFrame, *, level_min: float | None = None) -> Figure:
    """Q1: the regime border (largest ζ at which fewer than half the children approach) against the
    parents' training length, measured (solid) and predicted from the parents' remaining distance to the
    family (dashed), per float type; the parents' median remaining distance dotted. A border below the
    sweep's smallest level (`level_min`) is drawn one decade under it. table: `sweep_borders`."""
    colors = {"float32": "#d62728", "float64": "#1f77b4"}
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 4.2), layout="constrained")
        ax = fig.subplots()
        for name, t in table.groupby("dtype", sort=False):
            t = t.sort_values("steps")
            c = colors.get(name, "grey")
            ax.plot(t["steps"], t["border"], color=c, marker="o", lw=1.8, label=f"{name}: border")
            ax.plot(
                t["steps"],
                t["predicted"],
                color=c,
                marker="s",
                mfc="none",
                ls="--",
                lw=1.2,
                label=f"{name}: predicted",
            )
            ax.plot(
                t["steps"],
                t["normal_distance"].clip(lower=1e-16),
                color=c,
                ls=":",
                lw=1.2,
                label=f"{name}: parents' distance to the family (median MAE)",
            )
        if level_min is not None:
            ax.axhline(level_min, color="grey", lw=0.6)
            ax.text(table["steps"].min(), level_min * 1.5, "smallest ζ swept", fontsize=8, color="grey")
        ax.set_xscale("log")
        ax.set_yscale("log")
        steps = sorted(table["steps"].unique())
        ax.set_xticks(steps, [f"{s:,}" for s in steps], rotation=30, ha="right")
        ax.minorticks_off()
        ax.set_xlabel("parents' self-training steps")
        ax.set_ylabel("noise level ζ")
        fig.legend(loc="outside lower center", ncols=2, frameon=False, fontsize=8)
    return fig
