"""Chapter 6b, "Self-modification" (book/06b_self_modification.ipynb): networks that predict, grow, prune
and copy themselves. Presets ("ci", "paper"), the experiments E4-E7 as timed library calls, their tables,
the glued values, the claims A4.1-A7.4 and the closing table that answers each source question in a
sentence.

The notebook calls, in order:

    cfg = preset("06b_self_modification", scale)
    bench = load_bench()
    clock = ch.Stopwatch()
    e4 = ch.run_e4(cfg, seed)           # graph hypernetworks              hypernet.run_hypernet
    e5 = ch.run_e5(cfg, bench, seed)    # a self-edit head                 editnet.run_editnet
    e6 = ch.run_e6(cfg, seed)           # lottery tickets                  lottery.run_lottery
    e7 = ch.run_e7(cfg, seed)           # self-copying populations         serann.run_serann
    values = ch.values(e4, e5, e6, e7, scale=scale, seed=seed, clock=clock)   # -> glue_all, claims

Submodules: config (config, presets, anchors), run (the timed experiments), values (the glued numbers),
claims (claims and verdicts), text (answers and phrases for prose), tables (tables for the page).
"""

from selfrep.chapters.common import Stopwatch
from selfrep.chapters.self_modification.claims import (
    CLAIMS,
    SCALE_REASONS,
    claims_table,
    scale_dependent_claims,
    scale_note,
    verdict_values,
)
from selfrep.chapters.self_modification.config import (
    ANCHORS,
    CHAPTER,
    PRESETS,
    SCALE_MEANINGS,
    SelfModConfig,
)
from selfrep.chapters.self_modification.run import (
    Result,
    preservation_check,
    run_e4,
    run_e5,
    run_e6,
    run_e7,
)
from selfrep.chapters.self_modification.tables import (
    answers_table,
    e4_table,
    e5_references,
    e5_table,
    e6_table,
    e7_checkpoints,
    e7_table,
    scale_table,
)
from selfrep.chapters.self_modification.text import QUESTIONS, answer_values, prose_words
from selfrep.chapters.self_modification.values import (
    e4_values,
    e5_values,
    e6_values,
    e7_values,
    values,
)

__all__ = [
    "ANCHORS",
    "CHAPTER",
    "CLAIMS",
    "PRESETS",
    "QUESTIONS",
    "SCALE_MEANINGS",
    "SCALE_REASONS",
    "Result",
    "SelfModConfig",
    "Stopwatch",
    "answer_values",
    "answers_table",
    "claims_table",
    "e4_table",
    "e4_values",
    "e5_references",
    "e5_table",
    "e5_values",
    "e6_table",
    "e6_values",
    "e7_checkpoints",
    "e7_table",
    "e7_values",
    "preservation_check",
    "prose_words",
    "run_e4",
    "run_e5",
    "run_e6",
    "run_e7",
    "scale_dependent_claims",
    "scale_note",
    "scale_table",
    "values",
    "verdict_values",
]
