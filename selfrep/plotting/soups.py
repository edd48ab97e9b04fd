"""Figures of chapter 5: soups (paper Figs 12-14)."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from selfrep.fixpoints import KIND_LABELS
from selfrep.plotting.style import FONT, KIND_COLORS


# ------------------------------------------------------------------------------------------------
# Chapter 5: soups (Figs 12-14)
# ------------------------------------------------------------------------------------------------
def soup_trajectories_3d(
    frame: pd.DataFrame,
    *,
    panel: str = "panel",
    time_label: str = "soup epoch",
    ncols: int = 3,
    elev: float = 22,
    azim: float = -58,
) -> Figure:
    """Fig 12: every particle of a soup in its first two principal components, z = soup epoch, one panel
    per `panel` value (up to `ncols` per row, so three panels leave no empty quarter; the vertical axis is
    named above the panels, where no neighbour hides it). Lines are coloured
    by how the particle ended (KIND_COLORS; light grey: replaced by a fresh net); red dots: starts; dotted:
    the zero net."""
    panels = list(dict.fromkeys(frame[panel]))
    ncols = min(ncols, len(panels))
    nrows = int(np.ceil(len(panels) / ncols))
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, (3.0 if ncols >= 3 else 3.7) * nrows + 0.7), layout="constrained")
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
            ax.tick_params(labelsize=7, pad=0)
            ax.locator_params(nbins=4)  # fewer ticks: PC1 and PC2 labels no longer collide
            ax.view_init(elev=elev, azim=azim)
            ax.set_title(str(name), fontsize=9 if ncols >= 3 else 10)
        # a z label beside a narrow 3-D panel is hidden by the next panel: name the vertical axis once
        fig.suptitle(f"vertical axis: {time_label}", fontsize=9)
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
    children: pd.DataFrame | None = None,
) -> Figure:
    """Fig 14: the children of a soup of noisy clones, coloured by their parent (family), with the parents
    in black; whitened PCA per panel, z = training step. `only`: draw just the panels whose name contains
    this text (e.g. "family 0"). With `children` (`run_clone_soups`), a second row shows, per setting,
    every child's distance at the end to its own parent against the nearest other parent (MAE, log-log,
    coloured by ζ; dashed: equal distances)."""
    panels = [p for p in dict.fromkeys(frame[panel]) if only is None or only in str(p)]
    if not panels:
        raise ValueError(f"only: no panel name contains {only!r}")
    cmap = mpl.colormaps["tab10"]
    ncols = min(ncols, len(panels))
    nrows = int(np.ceil(len(panels) / ncols))
    extra = 0 if children is None else 1
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 3.6 * nrows + 3.0 * extra + 0.6), layout="constrained")
        for k, name in enumerate(panels):
            ax = fig.add_subplot(nrows + extra, ncols, k + 1, projection="3d")
            ax.set_box_aspect(None, zoom=0.82)  # room for the z label beside the next panel
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
            ax.tick_params(labelsize=7, pad=0)
            ax.locator_params(nbins=4)  # fewer ticks: PC1 and PC2 labels no longer collide
            ax.view_init(elev=elev, azim=azim)
            ax.set_title(str(name), fontsize=9 if ncols >= 3 else 10)
        if children is not None:
            _family_distances(fig, children, nrows + extra, ncols, nrows * ncols)
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


def _family_distances(fig: Figure, children: pd.DataFrame, nrows: int, ncols: int, first: int) -> None:
    """Per setting: each child's MAE to its own parent at the end against the nearest other parent."""
    zetas = sorted(children["zeta"].unique(), reverse=True)
    colors = mpl.colormaps["viridis"](np.linspace(0, 0.85, len(zetas)))
    lo = float(np.nanmin(children[["post", "other_parent"]].to_numpy()))
    hi = float(np.nanmax(children[["post", "other_parent"]].to_numpy()))
    for k, (setting, sub) in enumerate(children.groupby("setting", sort=False)):
        ax = fig.add_subplot(nrows, ncols, first + k + 1)
        for z, c in zip(zetas, colors, strict=True):
            m = sub["zeta"] == z
            ax.scatter(sub["other_parent"][m], np.maximum(sub["post"][m], lo), s=6, alpha=0.5, color=c,
                       label=f"ζ = {z:.0e}")  # fmt: skip
        ax.plot([lo, hi], [lo, hi], color="black", ls="--", lw=0.9)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("MAE to the nearest other parent", fontsize=9)
        ax.set_ylabel("MAE to its own parent", fontsize=9)
        ax.set_title(f"{setting}: every child at the end", fontsize=10)
        ax.grid(alpha=0.3)
        if k == 0:
            ax.legend(frameon=False, fontsize="small", loc="upper left")


GAIN_CLASSES = (
    ("stamper: |a₀| ≤ 0.5", "#d62728"),
    ("identity family: |a₀ − 1| ≤ 0.01", KIND_COLORS["non-zero fixpoint"]),
    ("other gain", "#7f7f7f"),
)


def _gain_class(gain: pd.Series, stamp: float) -> np.ndarray:
    g = gain.to_numpy()
    return np.where(np.abs(g) <= stamp, 0, np.where(np.abs(g - 1) <= 0.01, 1, 2))


def attack_replication(attacks: pd.DataFrame, *, stamp: float = 0.5, floor: float = 1e-9) -> Figure:
    """Q5: every attack on another particle. Left: the victim's change against the attacker's fixpoint error
    (the axes of Figure 5.3), coloured by the attacker's value gain a₀. Right: the victim's distance to its
    attacker after the attack over before, against |a₀|; dashed: after/before = |a₀|, what an exact fixpoint
    attacker gives (v' − w = a₀ (v − w))."""
    a = attacks[attacks["attacker"] != attacks["victim"]]
    cls = _gain_class(a["attacker_gain"], stamp)
    ratio = a["distance_after"] / a["distance_before"]
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 3.9), layout="constrained")
        left, right = fig.subplots(1, 2)
        for k, (label, color) in enumerate(GAIN_CLASSES):
            m = cls == k
            left.scatter(
                np.maximum(a["attacker_error"][m], floor),
                np.maximum(a["displacement"][m], floor),
                s=7,
                alpha=0.5,
                color=color,
                label=f"{label} ({int(m.sum()):,})",
            )
            right.scatter(
                np.maximum(a["attacker_gain"][m].abs(), 1e-6),
                np.maximum(ratio[m], 1e-6),
                s=7,
                alpha=0.5,
                color=color,
            )
        xs = np.logspace(-6, 0.5, 50)
        right.plot(xs, xs, color="black", ls="--", lw=0.9, label="after/before = |a₀|")
        for ax in (left, right):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(alpha=0.3)
        left.set_xlabel("attacker's fixpoint error")
        left.set_ylabel("change of the victim (MAE)")
        right.set_xlabel("attacker's value gain |a₀| (floor 1e-6)")
        right.set_ylabel("victim-to-attacker distance, after / before")
        right.legend(loc="lower right", frameon=False)
        fig.legend(
            *left.get_legend_handles_labels(),
            loc="outside lower center",
            ncols=2,
            frameon=False,
            markerscale=2,
        )
    return fig


def lineage_plot(lineage: pd.DataFrame, soup: int) -> Figure:
    """Q3: left, the number of lineages per soup against the epoch (median and interquartile range over
    soups; soups with attacks and their controls); right, soup `soup`'s lineages as shares of the soup
    over the epochs (a Muller plot), lineages that end with ≥ 2 members in colour, the rest grey."""
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 3.8), layout="constrained")
        left, right = fig.subplots(1, 2)
        for setting, color in (("soup", "#1f77b4"), ("control (no attacks)", "#7f7f7f")):
            sub = lineage[lineage["setting"] == setting]
            n = sub.groupby(["t", "soup"])["founder"].nunique().unstack()
            q = n.quantile([0.25, 0.5, 0.75], axis=1).T
            left.plot(q.index, q[0.5], color=color, label=setting)
            left.fill_between(q.index, q[0.25], q[0.75], color=color, alpha=0.25)
        left.set_xlabel("soup epoch")
        left.set_ylabel("lineages per soup")
        left.set_ylim(bottom=0)
        left.grid(alpha=0.3)
        left.legend(frameon=False)
        one = lineage[(lineage["setting"] == "soup") & (lineage["soup"] == soup)]
        shares = one.groupby(["t", "founder"]).size().unstack(fill_value=0)
        shares = shares / shares.sum(axis=1).to_numpy()[:, None]
        last = shares.iloc[-1]
        order = last.sort_values(ascending=False).index
        cmap = mpl.colormaps["tab10"]
        colors, k = [], 0
        for f in order:
            if last[f] * one["slot"].nunique() >= 2:
                colors.append(cmap(k % 10))
                k += 1
            else:
                colors.append("#d9d9d9")
        right.stackplot(shares.index, shares[order].T.to_numpy(), colors=colors, lw=0.2, edgecolor="white")
        right.set_xlim(shares.index.min(), shares.index.max())
        right.set_ylim(0, 1)
        right.set_xlabel("soup epoch")
        right.set_ylabel(f"share of soup {soup}")
        right.set_title(f"soup {soup}: its lineages", fontsize=10)
    return fig


def large_soups(large: pd.DataFrame) -> Figure:
    """Q4: against the soup epoch, one line per soup size (mean over its soups): the share of non-zero
    fixpoints, of stampers (|a₀| ≤ 0.5), and the largest cluster's share."""
    sizes = sorted(large["size"].unique())
    cmap = mpl.colormaps["viridis"]
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 3.4), layout="constrained")
        axes = fig.subplots(1, 3, sharey=True)
        for col, title, ax in zip(
            ("nonzero", "stampers", "largest"),
            ("non-zero fixpoints", "stampers (|a₀| ≤ 0.5)", "largest cluster"),
            axes,
            strict=True,
        ):
            for k, n in enumerate(sizes):
                m = large[large["size"] == n].groupby("epoch")[col].mean()
                ax.plot(
                    m.index,
                    m.to_numpy(),
                    color=cmap(k / max(len(sizes) - 1, 1)),
                    marker="o",
                    ms=3,
                    label=f"{n:,} networks",
                )
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("soup epoch")
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("share of the soup")
        axes[0].set_ylim(0, 1)
        fig.legend(
            *axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=len(sizes), frameon=False
        )
    return fig


def learn_soups(
    soups: pd.DataFrame,
    learns: pd.DataFrame,
    logged_nonzero: dict[str, float],
    attack_soups: pd.DataFrame,
    attacks: pd.DataFrame,
) -> Figure:
    """Q2: the learn-from soups. Left: non-zero fixpoints per soup against the severity (mean ± SE), the
    authors' log as open diamonds. Middle: the learner's distance to its teacher after over before (median
    and 5-95 % range per severity; learnings from another particle), beside the victim's distance to its
    attacker in Fig 12's attack soups (dashed: their median). Right: each soup's spread (median distance
    between particles) at the end over the start, against the severity, beside Fig 12's attack soups and
    their controls."""
    g = soups.groupby("severity")
    mean, se = g["nonzero"].mean(), g["nonzero"].std(ddof=1) / np.sqrt(g.size())
    other = learns[learns["learner"] != learns["teacher"]]
    ratio = (other["distance_after"] / other["distance_before"]).groupby(other["severity"])
    a = attacks[attacks["attacker"] != attacks["victim"]]
    a_ratio = float((a["distance_after"] / a["distance_before"]).median())
    spread = soups["spread_end"] / soups["spread_start"]
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 3.9), layout="constrained")
        left, mid, right = fig.subplots(1, 3)
        left.errorbar(mean.index, mean, yerr=se, color=KIND_COLORS["non-zero fixpoint"], marker="o", ms=3,
                      capsize=2, label="ours (mean ± SE)")  # fmt: skip
        xs = [int(k) for k in logged_nonzero]
        left.scatter(xs, list(logged_nonzero.values()), marker="D", facecolors="none", edgecolors="black",
                     s=22, label="authors' log", zorder=3)  # fmt: skip
        left.set_xlabel("severity")
        left.set_ylabel("non-zero fixpoints per soup")
        left.legend(frameon=False, loc="lower right", fontsize="small")
        med, lo, hi = ratio.median(), ratio.quantile(0.05), ratio.quantile(0.95)
        mid.fill_between(med.index, lo, hi, color="tab:blue", alpha=0.2, lw=0, label="learner, 5-95 %")
        mid.plot(med.index, med, color="tab:blue", marker="o", ms=3, label="learner, median")
        mid.axhline(a_ratio, color="black", ls="--", lw=1.2, dashes=(3, 3), label="attack victims, median",
                    zorder=3)  # fmt: skip
        mid.axhline(0.1, color="tab:red", ls=":", lw=0.9, label="a copy (≤ 0.1)")
        mid.set_ylim(0, 1.15)
        mid.set_xlabel("severity")
        mid.set_ylabel("distance to partner, after / before")
        mid.legend(frameon=False, loc="center right", fontsize="small")
        right.scatter(soups["severity"], spread, s=8, alpha=0.5, color="tab:blue", label="learn-from soups")
        top = int(max(soups["severity"]))
        x_att, gap = top * 1.3 + 1, max(top / 8, 1)
        for k, (name, sub) in enumerate(attack_soups.groupby("setting", sort=False)):
            r = sub["final_median_distance"] / sub["initial_median_distance"]
            right.scatter(np.full(len(r), x_att + gap * k), r, s=8, alpha=0.5,
                          color="black" if name == "soup" else "grey",
                          label="attack soups (Fig 5.1)" if name == "soup" else "their controls")  # fmt: skip
        right.axhline(0.5, color="tab:red", ls=":", lw=0.9, label="consensus (≤ 0.5)")
        right.set_ylim(0, max(1.3, float(np.nanmax(spread)) * 1.05))
        right.set_xticks([0, top // 2, top, x_att + gap / 2], ["0", str(top // 2), str(top), "Fig 5.1"])
        right.set_xlabel("severity")
        right.set_ylabel("spread, end / start")
        for ax in (left, mid, right):
            ax.grid(alpha=0.3)
        fig.legend(*right.get_legend_handles_labels(), loc="outside lower center", ncols=2, frameon=False,
                   fontsize="small")  # fmt: skip
    return fig


def soup_dynamics(dyn: pd.DataFrame) -> Figure:
    """Fig 12's soups over the soup epochs, soups with attacks and their controls: left, the share of
    non-zero fixpoints (median and interquartile range over soups); right, the number of clusters (mean
    ± SE over soups)."""
    with mpl.rc_context(FONT):
        fig = Figure(figsize=(7.4, 3.2), layout="constrained")
        left, right = fig.subplots(1, 2)
        for setting, color in (("soup", "#1f77b4"), ("control (no attacks)", "#7f7f7f")):
            sub = dyn[dyn["setting"] == setting]
            q = sub.groupby("epoch")["nonzero"].quantile([0.25, 0.5, 0.75]).unstack()
            left.plot(q.index, q[0.5], color=color, label=setting)
            left.fill_between(q.index, q[0.25], q[0.75], color=color, alpha=0.25, lw=0)
            g = sub.groupby("epoch")["clusters"]
            m, se = g.mean(), g.std(ddof=1) / np.sqrt(g.size())
            right.plot(m.index, m, color=color, label=setting, lw=1.6 if setting == "soup" else 2.4)
            right.fill_between(m.index, m - se, m + se, color=color, alpha=0.25, lw=0)
        left.set_xlabel("soup epoch")
        left.set_ylabel("share of non-zero fixpoints")
        left.set_ylim(0, 1)
        left.legend(frameon=False, loc="lower right")
        right.set_xlabel("soup epoch")
        right.set_ylabel("clusters per soup (mean ± SE)")
        right.set_ylim(bottom=-0.02)
        for ax in (left, right):
            ax.grid(alpha=0.3)
    return fig
