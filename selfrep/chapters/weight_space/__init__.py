"""Chapter 3 — weight space (journal §3.3, Figs 7–10; paper-spec §8).

Experiments, each a pure function of (config, generator) returning tidy DataFrames:

    run_trajectories   Fig 7: one parent and its noisy clones, retrained, PCA-projected
    run_cloning        Figs 8, 9: noisy clones of fresh parents per noise level, retrained; distances to
                       the parent before and after, fixpoint errors; in float32 and (beyond the paper)
                       float64 with the same initial weights and the same noise draws
    run_line           Fig 10: children on the straight line between two parents, retrained
    run_border_sweep   Q1 (beyond the paper): Figs 8's experiment for several parent training lengths
    run_search         §1, Q6: least-squares searches for exact first- and second-order fixpoints
    run_constructed    Q6: second-order fixpoints by construction, classified by the library

Training is the journal paper's own (journal@21dd572: network.py L89-128, journal_basins.py L126-127,
L225, L233; paper-spec §2.2, §15): one self-training step is one full-batch gradient step at lr 0.04 (the
optimizer is rebuilt every step, so its momentum never acts), positions scaled to [0, 1] in the PyTorch
layout, PyTorch initialisation, and constant targets (the weights copied with `.item()`). The authors'
2022 refactor differentiates the loss through its targets and feeds raw positions (49c0d8a, 1b7581e);
chapter 2 shows that this sends many nets to the zero net, but it is not the journal's code.

Parents are always *non-zero* fixpoints: we train `candidates` random nets per group and keep the first
`parents` that pass the ε-test and are not the zero net (the journal gated on the fixpoint test alone,
which admits the zero net).

The package: `config` (WeightSpaceConfig, PRESETS, field meanings), `run` (the experiments), `summaries`
(shared by figures, values and claims), `values` (the numbers the chapter glues), `claims` (CLAIMS).
"""

from selfrep.chapters.weight_space.claims import CLAIMS
from selfrep.chapters.weight_space.config import (
    CHAPTER,
    DTYPES,
    PRESETS,
    WeightSpaceConfig,
    reduction,
    train_config,
)
from selfrep.chapters.weight_space.run import (
    run_border_sweep,
    run_cloning,
    run_constructed,
    run_line,
    run_noise_variant,
    run_search,
    run_trajectories,
    train_parents,
)
from selfrep.chapters.weight_space.summaries import (
    COMPARE_COLUMNS,
    border,
    compare_with_logged,
    comparison_table,
    level_key,
    level_text,
    movement_counts,
    normal_distance,
    predicted_movement,
    projection_fit,
    second_order_census,
    sweep_borders,
)
from selfrep.chapters.weight_space.values import values

__all__ = [
    "CHAPTER",
    "CLAIMS",
    "COMPARE_COLUMNS",
    "DTYPES",
    "PRESETS",
    "WeightSpaceConfig",
    "border",
    "compare_with_logged",
    "comparison_table",
    "level_key",
    "level_text",
    "movement_counts",
    "reduction",
    "run_border_sweep",
    "run_cloning",
    "run_constructed",
    "run_line",
    "normal_distance",
    "predicted_movement",
    "projection_fit",
    "run_noise_variant",
    "run_search",
    "run_trajectories",
    "second_order_census",
    "sweep_borders",
    "train_config",
    "train_parents",
    "values",
]
