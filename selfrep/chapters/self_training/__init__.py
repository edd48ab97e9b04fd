"""Chapter 2 — self-training (paper §3.2, Figs 4–6; paper-spec §6–§7, §15).

Experiments (`run`), each a pure function of (config, generator) returning tidy DataFrames:

    run_trajectories   Fig 4: weightwise nets self-trained (Keras epochs), PCA-projected
    run_outcomes       Fig 5: outcome after 1,000 self-training epochs per reduction, with final weights
    run_distances      "no two nets train to the same fixpoint": pairwise distances of trained fixpoints
    run_robustness     Fig 6: noisy copies of trained non-zero fixpoints vs the identity net
    run_journal_main   the journal paper's own self-training (journal@21dd572): scaled positions in the
                       PyTorch layout, PyTorch init, full-batch steps at lr 0.04, constant targets
    run_grid           what decides zero vs non-zero fixpoints: encoding x init x step kind x lr x
                       momentum x targets (constant, as in every published code of the paper, or
                       differentiated, as in the authors' 2022 refactor 49c0d8a)
    run_activations    Fig 5's experiment for tanh, relu and sigmoid, with and without bias

`config` holds the frozen config (its fields' meanings as metadata), PRESETS and the chapter's constants;
`summaries` the summaries and tables; `prose` the sentences whose wording the run decides; `values(...)`
turns the frames into the numbers the chapter glues; `claims` the chapter's CLAIMS.
"""

from selfrep.chapters.self_application.summaries import log_sources  # the chapter's sources table
from selfrep.chapters.self_training.claims import CLAIMS
from selfrep.chapters.self_training.config import (
    CHAPTER,
    CONFIG_MEANINGS,
    DIST_POPULATIONS,
    FIG6_GROUPS,
    FIG6_PALETTE,
    FIG6_STYLE,
    GAIN_SPLIT,
    IDENTITY,
    JOURNAL,
    KERAS,
    MAP_TOL,
    PRESETS,
    PUBLISHED_TAGS,
    REDUCTIONS,
    REPO,
    TINY_GAIN,
    TRAINED,
    SelfTrainingConfig,
)
from selfrep.chapters.self_training.prose import (
    SENTENCES,
    Prose,
    _bias_difference_text,
    _texts,
    divergence_text,
    md_sentences,
    share_text,
)
from selfrep.chapters.self_training.run import (
    in_output_range,
    pairwise_distances,
    published_reduction,
    published_train_config,
    run_activations,
    run_distances,
    run_gain_example,
    run_grid,
    run_journal_main,
    run_outcomes,
    run_robustness,
    run_trajectories,
    train_journal_parents,
    weights_of,
)
from selfrep.chapters.self_training.summaries import (
    compare_with_logged,
    fig6_copies,
    gain_example_values,
    journal_main_table,
    journal_main_values,
    kind_counts,
    kind_counts_long,
    level_key,
    robustness_means,
)
from selfrep.chapters.self_training.values import values

__all__ = [
    "CHAPTER",
    "CLAIMS",
    "CONFIG_MEANINGS",
    "DIST_POPULATIONS",
    "FIG6_GROUPS",
    "FIG6_PALETTE",
    "FIG6_STYLE",
    "GAIN_SPLIT",
    "IDENTITY",
    "JOURNAL",
    "KERAS",
    "MAP_TOL",
    "PRESETS",
    "PUBLISHED_TAGS",
    "REDUCTIONS",
    "REPO",
    "SENTENCES",
    "TINY_GAIN",
    "TRAINED",
    "Prose",
    "SelfTrainingConfig",
    "_bias_difference_text",
    "_texts",
    "compare_with_logged",
    "divergence_text",
    "fig6_copies",
    "gain_example_values",
    "md_sentences",
    "in_output_range",
    "journal_main_table",
    "journal_main_values",
    "kind_counts",
    "kind_counts_long",
    "level_key",
    "log_sources",
    "pairwise_distances",
    "published_reduction",
    "published_train_config",
    "robustness_means",
    "run_activations",
    "run_distances",
    "run_gain_example",
    "run_grid",
    "run_journal_main",
    "run_outcomes",
    "run_robustness",
    "run_trajectories",
    "share_text",
    "train_journal_parents",
    "values",
    "weights_of",
]
