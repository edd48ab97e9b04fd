"""Chapter 5 — soups (paper §3.5, Figs 12–14; paper-spec §10).

    run_soup_trajectories  Fig 12: soups of 20 weightwise nets (100 epochs, α = 0.1, A = 30), beside control
                           soups with the same particles and no attacks; PCA trajectories of soup 0
    run_soup_counts        Fig 13: zero / non-zero fixpoints per soup against A, weightwise and aggregating
    run_large_soups        Q4: soups of 20, 1,000 and 10,000 networks over time (beyond the paper)
    run_learn_soups        Q2: soups whose networks learn from each other (the authors' code, not the paper)
    run_clone_soups        Fig 14: soups of noisy-cloned children, in the journal's committed setting and in
                           a setting with real interaction, each beside control soups without attacks

Figs 12 and 13 follow the Keras code (paper-spec §10.1): glorot nets, Keras epochs (lr 0.01), each particle
in turn may attack (α per particle and epoch, the target possibly itself) and then self-trains A epochs,
ε = 1e-4. Fig 14 follows the journal code (paper-spec §10.4): parents and children trained with full-batch
steps at lr 0.04, ε = 1e-5, [0, 1] positions in the PyTorch layout and constant targets, as journal@21dd572
trains (chapter 3). Its parents are non-zero fixpoints, chosen as in chapter 3.

The package: `config` (SoupsConfig, PRESETS, field meanings), `run` (the experiments), `summaries`
(shared by figures, tables, values and claims), `values` (the numbers the chapter glues), `claims` (CLAIMS).
"""

from selfrep.chapters.soups.claims import CLAIMS
from selfrep.chapters.soups.config import (
    CHAPTER,
    COMMITTED,
    FAR_ERROR,
    INTERACTING,
    NEAR_ERROR,
    NONZERO,
    PRESETS,
    SECOND,
    STAMP_GAIN,
    ZERO,
    SoupsConfig,
    journal,
    journal_reduction,
    keras,
)
from selfrep.chapters.soups.run import (
    cluster_share,
    main_cluster,
    run_clone_soups,
    run_large_soups,
    run_learn_soups,
    run_soup_counts,
    run_soup_trajectories,
)
from selfrep.chapters.soups.summaries import (
    compare_with_logged,
    count_means,
    interaction_display,
    interaction_table,
    logged_counts,
    spearman,
)
from selfrep.chapters.soups.values import values

__all__ = [
    "CHAPTER",
    "CLAIMS",
    "COMMITTED",
    "FAR_ERROR",
    "INTERACTING",
    "NEAR_ERROR",
    "NONZERO",
    "PRESETS",
    "STAMP_GAIN",
    "SECOND",
    "ZERO",
    "SoupsConfig",
    "cluster_share",
    "compare_with_logged",
    "count_means",
    "interaction_display",
    "interaction_table",
    "journal",
    "journal_reduction",
    "keras",
    "logged_counts",
    "main_cluster",
    "run_clone_soups",
    "run_large_soups",
    "run_learn_soups",
    "run_soup_counts",
    "run_soup_trajectories",
    "spearman",
    "values",
]
