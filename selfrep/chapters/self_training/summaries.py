"""Chapter 2's summaries of the experiments' frames: counts per kind, robustness means, the comparison
with the authors' log. Computed once; the figures, the values and the claims read them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from selfrep.chapters.common import KIND_KEYS
from selfrep.chapters.self_training.config import REDUCTIONS, SelfTrainingConfig
from selfrep.fixpoints import KIND_LABELS
from selfrep.published import logged


def gain_example_values(gain: pd.DataFrame) -> dict[str, float | int]:
    """Fig 8b's numbers: nets, how many end at zero / non-zero, and the median final weight norm and
    value gain of each group."""
    last = gain[gain["step"] == gain["step"].max()]
    v: dict[str, float | int] = {"gex_n": int(last["net"].nunique()), "gex_steps": int(last["step"].iloc[0])}
    for kind, key in (("zero fixpoint", "zero"), ("non-zero fixpoint", "nonzero")):
        sub = last[last["kind"] == kind]
        v[f"gex_{key}"] = int(sub["net"].nunique())
        if len(sub):
            v[f"gex_{key}_norm_median"] = float(sub["norm"].median())
            v[f"gex_{key}_a0_median"] = float(sub["a0"].median())
    return v


def journal_main_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 2.2: run_journal_main's counts of every kind per step count."""
    return kind_counts(frame, ["t"]).rename(columns={"t": "full-batch steps"}).set_index("full-batch steps")


def journal_main_values(frame: pd.DataFrame) -> dict[str, float | int]:
    """run_journal_main's numbers: per checkpoint (first / last) the counts of every kind, the step count,
    and the median fixpoint error of the non-zero fixpoints at the last one."""
    v: dict[str, float | int] = {"jmain_n": int(frame["net"].nunique())}
    for tag, t in (("first", frame["t"].min()), ("last", frame["t"].max())):
        sub = frame[frame["t"] == t]
        v[f"jmain_{tag}_steps"] = int(t)
        for label, key in KIND_KEYS.items():
            v[f"jmain_{tag}_{key}"] = int((sub["kind"] == label).sum())
        v[f"jmain_{tag}_nonzero_frac"] = float((sub["kind"] == "non-zero fixpoint").mean())
    last = frame[(frame["t"] == frame["t"].max()) & (frame["kind"] == "non-zero fixpoint")]
    if len(last):
        v["jmain_error_median"] = float(last["error_max"].median())
    return v


def kind_counts(frame: pd.DataFrame, by: list[str], column: str = "kind") -> pd.DataFrame:
    """Counts of every kind (zeros included) per group of `by`, one column per kind label."""
    counts = frame.groupby(by, sort=False)[column].value_counts().unstack(fill_value=0)
    for label in KIND_LABELS:
        if label not in counts.columns:
            counts[label] = 0
    return counts[list(KIND_LABELS)].reset_index()


def kind_counts_long(frame: pd.DataFrame, by: list[str], column: str = "kind") -> pd.DataFrame:
    """kind_counts in long form: one row per group and kind (columns `kind`, `count`), for plots."""
    return kind_counts(frame, by, column).melt(id_vars=by, var_name="kind", value_name="count")


def fig6_copies(copies: pd.DataFrame) -> pd.DataFrame:
    """The copies Fig 6 shows: the text procedure, for every parent group (journal@21dd572-trained,
    Keras-trained, identity)."""
    return copies[copies["procedure"] == "text"]


def level_key(zeta: float) -> str:
    return str(round(-np.log10(zeta)))


def robustness_means(copies: pd.DataFrame) -> pd.DataFrame:
    g = copies.groupby(["group", "procedure", "level"], sort=False)
    return g.agg(
        time_to_vergence=("time_to_vergence", "mean"),
        time_as_fixpoint=("time_as_fixpoint", "mean"),
        time_as_fixpoint_median=("time_as_fixpoint", "median"),
        copies=("time_as_fixpoint", "size"),
        at_least_2=("time_as_fixpoint", lambda s: float((s >= 2).mean())),
        verged=("outcome", lambda s: float((s != "not verged").mean())),
    ).reset_index()


def compare_with_logged(cfg: SelfTrainingConfig, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Fig 5 beside the authors' log, at the logged ε (1e-4): one row per reduction with both splits as
    text, a computed reading (Fisher's exact test on the share of the reduction's most common logged
    outcome) and the p-value."""
    from scipy.stats import fisher_exact

    rows = []
    counts = kind_counts(outcomes, ["reduction"], "kind_keras").set_index("reduction")
    for red in REDUCTIONS:
        entry = logged(f"fig5_{red}")
        ours = {k: int(counts.loc[red, k]) for k in KIND_LABELS}
        log = {k: int(entry.values[k]) for k in KIND_LABELS}
        top = max(log, key=log.get)
        n1, n2 = sum(ours.values()), sum(log.values())
        p = float(fisher_exact([[ours[top], n1 - ours[top]], [log[top], n2 - log[top]]]).pvalue)
        verdict = "consistent with sampling noise" if p >= 0.05 else "differs beyond sampling noise"

        def split(c):
            return " · ".join(f"{v} {k}" for k, v in c.items() if v) + f" (of {sum(c.values())})"

        rows.append(
            {
                "reduction": red,
                "ours": split(ours),
                "authors' log": split(log),
                "reading": f"{top}: {ours[top] / n1:.0%} vs {log[top] / n2:.0%}, Fisher p = {p:.2g}: "
                f"{verdict}",
                "p": p,
                "source": entry.source,
            }
        )
    return pd.DataFrame(rows)


def _eps_text(eps: float) -> str:
    """ε as the text writes it: 1e-5, not 1e-05."""
    return f"{eps:.0e}".replace("e-0", "e-")
