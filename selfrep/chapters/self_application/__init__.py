"""Chapter 1 — self-application (paper §3.1, Figs 1–3; paper-spec §3–§5).

Experiments (`run`), each a pure function of (config, generator) returning a tidy DataFrame:

    run_trajectories   Fig 1: networks self-applied until they diverge or become fixpoints, PCA-projected
    run_outcomes       Fig 2: outcome of 100 self-applications per reduction, in `outcome_replicates`
                       independent populations of `outcome_nets` (replicate 0 is the paper's population)
    run_random_nets    the in-text check: are random networks ever fixpoints?
    run_identity       the hand-built identity fixpoint: its fixpoint error
    run_robustness     Fig 3: noisy copies of the identity fixpoint, self-applied until they verge

`config` holds the frozen config (its fields' meanings as metadata) and PRESETS; `summaries` the
summaries and tables, and `compare_with_logged(...)`, which sets ours beside the authors' logged numbers
(selfrep.published); `values(...)` turns the frames into the numbers the chapter glues; `claims` the
chapter's CLAIMS.
"""

from selfrep.chapters.self_application.claims import CLAIMS
from selfrep.chapters.self_application.config import (
    CHAPTER,
    CONFIG_MEANINGS,
    DTYPES,
    MIXED,
    PRESETS,
    REDUCTIONS,
    SelfApplicationConfig,
)
from selfrep.chapters.self_application.run import (
    run_identity,
    run_outcomes,
    run_random_nets,
    run_robustness,
    run_trajectories,
)
from selfrep.chapters.self_application.summaries import (
    combined_se_factor,
    compare_with_logged,
    falls,
    first_population,
    identity_table,
    level_key,
    log_sources,
    pooled_fractions,
    precision_means,
    random_nets_table,
    robustness_means,
    robustness_run,
    robustness_table,
)
from selfrep.chapters.self_application.values import values

__all__ = [
    "CHAPTER",
    "CLAIMS",
    "CONFIG_MEANINGS",
    "DTYPES",
    "MIXED",
    "PRESETS",
    "REDUCTIONS",
    "SelfApplicationConfig",
    "combined_se_factor",
    "compare_with_logged",
    "falls",
    "first_population",
    "identity_table",
    "level_key",
    "log_sources",
    "pooled_fractions",
    "precision_means",
    "random_nets_table",
    "robustness_means",
    "robustness_run",
    "robustness_table",
    "run_identity",
    "run_outcomes",
    "run_random_nets",
    "run_robustness",
    "run_trajectories",
    "values",
]
