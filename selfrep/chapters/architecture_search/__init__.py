"""Chapter 6, "Architecture search" (book/06_architecture_search.ipynb): presets, the experiments E0-E3 as
library calls, their tables, glued values and claims A1.1-A3.6.

The notebook calls, in order:

    cfg = preset("06_architecture_search", scale)
    bench = Bench.load()
    clock = ch.Stopwatch()
    e0 = ch.run_e0(bench, cfg)          # landscape + live slice check           -> E0Result
    e1 = ch.run_e1(bench, cfg, seed)    # strategies at equal budget             -> E1Result
    e2 = ch.run_e2(bench, cfg, seed)    # space vs strategy, live HPO, L2        -> E2Result
    e3 = ch.run_e3(bench, cfg, seed)    # predictors vs zero-cost proxies        -> E3Result
    values = ch.values(cfg, e0, e1, e2, e3, scale=scale, seed=seed, clock=clock)   # -> glue_all, claims

Submodules: config (config, presets, prose numbers of the configuration), run (the experiments), tables
(tables for the page), claims (claims, verdicts, answers), values (the glued values).
"""

from selfrep.chapters.architecture_search.claims import (
    ANSWERS,
    CLAIMS,
    EXPECTED,
    answer_values,
    decide_claims,
    expected_values,
    verdict_values,
)
from selfrep.chapters.architecture_search.config import (
    CHAPTER,
    DEFAULT_MLPS,
    METHOD_KEYS,
    PRESETS,
    RESTRICTED,
    Chapter06Config,
    config_values,
    repeats_text,
)
from selfrep.chapters.architecture_search.run import (
    E0Result,
    E1Result,
    E2Result,
    E3Result,
    extrapolation_tau_text,
    l2_path_values,
    landscape_values,
    optuna_text,
    restricted_ids,
    run_e0,
    run_e1,
    run_e2,
    run_e3,
)
from selfrep.chapters.architecture_search.tables import (
    SUMMARY_MEANINGS,
    format_table,
    hpo_incumbent_table,
    l2_final_table,
    meanings_table,
    predictor_table,
    proxy_display,
    scale_table,
    strategy_table,
)
from selfrep.chapters.architecture_search.values import measured, values, with_pp
from selfrep.chapters.common import Stopwatch

__all__ = [
    "ANSWERS",
    "CHAPTER",
    "CLAIMS",
    "DEFAULT_MLPS",
    "EXPECTED",
    "METHOD_KEYS",
    "PRESETS",
    "RESTRICTED",
    "SUMMARY_MEANINGS",
    "Chapter06Config",
    "E0Result",
    "E1Result",
    "E2Result",
    "E3Result",
    "Stopwatch",
    "answer_values",
    "config_values",
    "decide_claims",
    "expected_values",
    "extrapolation_tau_text",
    "format_table",
    "hpo_incumbent_table",
    "l2_final_table",
    "l2_path_values",
    "landscape_values",
    "meanings_table",
    "measured",
    "optuna_text",
    "predictor_table",
    "proxy_display",
    "repeats_text",
    "restricted_ids",
    "run_e0",
    "run_e1",
    "run_e2",
    "run_e3",
    "scale_table",
    "strategy_table",
    "values",
    "verdict_values",
    "with_pp",
]
