"""Figures for the book: tidy data in, a matplotlib Figure out. Nothing here saves or shows a figure.

Figures are built as `matplotlib.figure.Figure` objects, not through pyplot, so nothing accumulates in
pyplot's figure registry; a chapter shows each one with `selfrep.chapters.show` (in JupyterLab, and glued
for the site). One module per chapter family, one style (selfrep.plotting.style); chapters 1-5 use the
names re-exported here (`from selfrep import plotting as pl; pl.clone_distances(...)`), chapters 6 and 6b
their own modules (architecture_search, self_modification). Tables: selfrep.plotting.tables.
"""

from selfrep.plotting.mixed import mixed_fractions
from selfrep.plotting.self_application import (
    outcome_bars,
    outcome_bars_facets,
    outcome_fractions,
    trajectories_3d,
)
from selfrep.plotting.self_training import (
    LAYOUT_NAMES,
    distance_histogram,
    error_strips,
    gain_trajectories,
    grid_heatmap,
    outcome_by_gain,
    outcome_fraction_bars,
    robustness_boxes,
    robustness_curves,
)
from selfrep.plotting.soups import (
    attack_damage,
    attack_replication,
    clone_soup_3d,
    cluster_shares,
    large_soups,
    learn_soups,
    lineage_plot,
    soup_counts,
    soup_dynamics,
    soup_trajectories_3d,
)
from selfrep.plotting.style import FONT, KIND_COLORS
from selfrep.plotting.weight_space import (
    MOVEMENT_COLORS,
    ZERO_FLOOR,
    border_sweep,
    clone_distances,
    clone_trajectories_3d,
    drift_scatter,
    fixpoint_error_boxes,
    line_children_scatter,
    movement_count_bars,
    projection_scatter,
)

__all__ = [
    "FONT",
    "KIND_COLORS",
    "LAYOUT_NAMES",
    "MOVEMENT_COLORS",
    "ZERO_FLOOR",
    "attack_damage",
    "attack_replication",
    "large_soups",
    "learn_soups",
    "lineage_plot",
    "clone_distances",
    "clone_soup_3d",
    "clone_trajectories_3d",
    "cluster_shares",
    "distance_histogram",
    "drift_scatter",
    "error_strips",
    "fixpoint_error_boxes",
    "gain_trajectories",
    "grid_heatmap",
    "line_children_scatter",
    "mixed_fractions",
    "movement_count_bars",
    "projection_scatter",
    "border_sweep",
    "outcome_bars",
    "outcome_bars_facets",
    "outcome_by_gain",
    "outcome_fraction_bars",
    "outcome_fractions",
    "robustness_boxes",
    "robustness_curves",
    "soup_counts",
    "soup_dynamics",
    "soup_trajectories_3d",
    "trajectories_3d",
]
