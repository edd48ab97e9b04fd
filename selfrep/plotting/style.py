"""The one style of the book's figures: colours fixed per outcome kind across every figure (KIND_COLORS, so a
zero fixpoint is the same grey in every chapter), font sizes, and small shared helpers."""

from __future__ import annotations

import numpy as np

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
