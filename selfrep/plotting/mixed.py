"""Figures of chapter 4: the mixed setting (paper Fig 11)."""

from __future__ import annotations

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure

from selfrep.plotting.style import FONT, KIND_COLORS


# ------------------------------------------------------------------------------------------------
# Chapter 4: the mixed setting (Fig 11)
# ------------------------------------------------------------------------------------------------
def mixed_fractions(
    frac: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    control: pd.DataFrame | None = None,
    *,
    xlabel: str = "self-training epochs between self-applications (T)",
) -> Figure:
    """Fig 11: per reduction (one panel each), the fraction of nets ending as a fixpoint against T, with
    its 95 % interval, split into zero (grey) and non-zero (green) fixpoints; the authors' logged
    fractions (zero and non-zero together) as black diamonds.

    frac: reduction, trains, fixpoint, zero, nonzero, low, high. reference: reduction, trains, fixpoint.
    control: like frac, for the control without self-applications (blue, dotted, with its interval), drawn
    in the panels of the reductions it has.
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
            if control is not None and (control["reduction"] == red).any():
                c = control[control["reduction"] == red].sort_values("trains")
                ax.fill_between(c["trains"], c["low"], c["high"], color="#1f77b4", alpha=0.1, lw=0)
                ax.plot(
                    c["trains"],
                    c["fixpoint"],
                    color="#1f77b4",
                    marker="s",
                    ms=3,
                    ls=":",
                    label="fixpoints, self-training alone (control)",
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
            ax.set_xticks(sorted(set(x.tolist()))[::2] if len(x) > 6 else x)
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
