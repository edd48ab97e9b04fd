"""Chapter 6's glued values: every number and text the prose, the results file and the claims read, as
one plain dict (the notebook glues it with one `glue_all`)."""

from __future__ import annotations

from collections.abc import Mapping

from selfrep.chapters.architecture_search.claims import (
    answer_values,
    expected_values,
    multiplicity_values,
    verdict_values,
)
from selfrep.chapters.architecture_search.config import Chapter06Config, config_values
from selfrep.chapters.architecture_search.run import E0Result, E1Result, E2Result, E3Result
from selfrep.chapters.common import Stopwatch


def with_pp(values: Mapping[str, float]) -> dict[str, float]:
    """`values` plus, for every accuracy difference or SD (numeric keys containing minus, gain, sd, curse, mae
    optimism or detectable; not z statistics, ratios, percentages or rank correlations), a `<key>_pp` copy
    in percentage points, for prose."""
    out = dict(values)
    for k, v in values.items():
        if (
            isinstance(v, (int, float))
            and not isinstance(v, bool)
            and any(t in k for t in ("minus", "gain", "_sd", "curse", "mae", "optimism", "detectable"))
            and not k.endswith(("_ratio", "_ms", "_z", "_pct"))
            and "loss" not in k
            and "tau" not in k
            and "params_small" not in k  # a difference of Kendall taus, not of accuracies
            and "n_for" not in k
        ):
            out[f"{k}_pp"] = 100.0 * float(v)
    return out


def measured(e0: E0Result, e1: E1Result, e2: E2Result, e3: E3Result) -> dict[str, float | str]:
    """The numbers the four experiments measured (what the claims read), E0 to E3."""
    return {**e0.values, **e1.values, **e2.values, **e3.values}


def values(
    cfg: Chapter06Config,
    e0: E0Result,
    e1: E1Result,
    e2: E2Result,
    e3: E3Result,
    *,
    scale: str,
    seed: int,
    clock: Stopwatch | None = None,
) -> dict[str, float | str]:
    """Every glued value of the chapter, in the order the prose meets them: the scale and seed labels, the
    configuration (`cfg_*`), the recorded verdicts (`expected_*`), the measured numbers of E0-E3 with
    their percentage-point copies (`*_pp`), the verdicts (`verdict_*`), the closing table's answers
    (`answer_*`) and, given the chapter's `clock`, its wall seconds so far (`chapter_wall_s`, a timing)."""
    m = measured(e0, e1, e2, e3)
    out: dict[str, float | str] = {"scale_label": scale, "seed_label": str(seed)}
    out.update(config_values(cfg))
    out.update(expected_values())
    for e in (e0, e1, e2, e3):
        out.update(with_pp(e.values))
    out.update(verdict_values(m))
    out.update(multiplicity_values(m))
    out.update(answer_values(m))
    if clock is not None:
        out["chapter_wall_s"] = clock.wall_s
    return out
