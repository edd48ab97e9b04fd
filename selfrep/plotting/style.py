"""The one style of the book's figures.

Every figure is a `matplotlib.figure.Figure` built directly (never through pyplot, so nothing is left in
pyplot's registry and a figure is shown only where a chapter shows it), at most WIDTH inches wide (the book
column), with its fonts set by `styled`: FONT for the figures of chapters 1-5, COMPACT (one point
smaller) for the dense multi-panel figures of chapters 6 and 6b. Colours are fixed per outcome kind across
every figure (KIND_COLORS, so a zero fixpoint is the same grey in every chapter)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import matplotlib as mpl
import numpy as np

KIND_COLORS: dict[str, str] = {
    "divergent": "#d62728",
    "zero fixpoint": "#7f7f7f",
    "non-zero fixpoint": "#2ca02c",
    "second-order fixpoint": "#9467bd",
    "other": "#ff7f0e",
}
WIDTH = 7.2  # inches: the book column
FONT = {
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
}
COMPACT = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
}

F = TypeVar("F", bound=Callable)


def styled(rc: dict[str, object]) -> Callable[[F], F]:
    """Build the figure under the font sizes `rc` (FONT or COMPACT): fonts are fixed when each text object
    is created, so the whole figure function runs inside the context."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with mpl.rc_context(rc):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return wrap


def _level_label(z: float) -> str:
    return "1" if z == 1 else f"1e{int(round(np.log10(z)))}"
