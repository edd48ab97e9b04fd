"""Chapter 3: summaries of the experiments' frames, shared by figures, values and claims."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from selfrep.analysis.weightspace import MOVEMENT_LABELS
from selfrep.fixpoints import KIND_LABELS, FixpointKind
from selfrep.published import logged


# ------------------------------------------------------------------------------------------------
# Summaries
# ------------------------------------------------------------------------------------------------
def level_key(zeta: float) -> str:
    """'7' for 1e-7: the exponent used in glued names (f32_approach_7)."""
    return str(round(-math.log10(zeta)))


def movement_counts(children: pd.DataFrame) -> pd.DataFrame:
    """Approaching / distancing / stationary counts per dtype and noise level (Fig 8's count plot)."""
    counts = children.groupby(["dtype", "level"], sort=False)["movement"].value_counts().unstack(fill_value=0)
    for label in MOVEMENT_LABELS:
        if label not in counts.columns:
            counts[label] = 0
    return counts[list(MOVEMENT_LABELS)].reset_index()


def border(children: pd.DataFrame, dtype: str, share: float = 0.5) -> float:
    """The regime border: the largest noise level at which fewer than `share` of the children approach
    their parent (the paper's "10⁻⁷"); the smallest level + 1 decade if there is none."""
    sub = children[children["dtype"] == dtype]
    frac = sub.groupby("level")["movement"].apply(lambda m: float((m == "approaching").mean()))
    below = frac[frac < share]
    return float(below.index.max()) if len(below) else float(frac.index.min()) / 10


def second_order_census(*frames: pd.DataFrame) -> tuple[int, int]:
    """(networks classified, second-order fixpoints among them) over every frame's `kind` column (and
    `kind_after`, where present)."""
    n = k = 0
    label = KIND_LABELS[FixpointKind.SECOND_ORDER]
    for f in frames:
        for col in ("kind", "kind_after"):
            if col in f.columns:
                n += len(f)
                k += int((f[col] == label).sum())
    return n, k


def _shares(sub: pd.DataFrame) -> str:
    n = len(sub)
    return " / ".join(f"{round(100 * int((sub['movement'] == m).sum()) / n)}" for m in MOVEMENT_LABELS)


COMPARE_COLUMNS = (
    "children (ours)",
    "ours, U(−ζ, ζ): a / d / s %",
    "ours, ±ζ exact: a / d / s %",
    "authors: a / d / s %",
    "children (authors)",
)


def comparison_table(children: pd.DataFrame, variant: pd.DataFrame | None = None):
    """`compare_with_logged` styled for the page (selfrep.plotting.tables.table, room between columns)."""
    from selfrep.plotting.tables import table

    sty = table(compare_with_logged(children, variant))
    return sty.set_table_styles(
        [
            {"selector": "th, td", "props": [("padding", "2px 12px")]},
            {"selector": "th.row_heading", "props": [("white-space", "nowrap")]},
        ],
        overwrite=False,
    )


def compare_with_logged(children: pd.DataFrame, variant: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fig 8's classes per noise level, as "approaching / distancing / stationary" % of the level's
    children: ours (float32), ours with the "±ζ exact" noise (`variant`, if given), and the authors'
    count plot (1e-1 … 1e-10; 40-50 children per level there)."""
    f32 = children[children["dtype"] == "float32"]
    rows = []
    for key in logged("fig8_approaching").values:
        z = float(key)
        theirs = {label: int(logged(f"fig8_{label}").values[key]) for label in MOVEMENT_LABELS}
        n_theirs = sum(theirs.values())
        row = {"ζ": level_text(z)}
        ours = f32[np.isclose(f32["level"], z, rtol=1e-6, atol=0)]
        if len(ours):
            row[COMPARE_COLUMNS[0]] = len(ours)
            row[COMPARE_COLUMNS[1]] = _shares(ours)
            if variant is not None:
                alt = variant[np.isclose(variant["level"], z, rtol=1e-6, atol=0)]
                row[COMPARE_COLUMNS[2]] = _shares(alt) if len(alt) else "–"
        row[COMPARE_COLUMNS[3]] = " / ".join(str(round(100 * theirs[m] / n_theirs)) for m in MOVEMENT_LABELS)
        row[COMPARE_COLUMNS[4]] = n_theirs
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("ζ")
    order = list(COMPARE_COLUMNS)
    return frame[[c for c in order if c in frame.columns]]


def level_text(z: float) -> str:
    """1e-7, not 1e-07."""
    return f"1e{int(round(math.log10(z)))}"


# ------------------------------------------------------------------------------------------------
# The fixpoint family (beyond the paper; issue 12)
# ------------------------------------------------------------------------------------------------
def normal_distance(parents: pd.DataFrame) -> pd.Series:
    """Each parent's remaining distance to the family, estimated from its own numbers: its L1 fixpoint
    error divided by the smallest non-zero singular value of the fixpoint condition's Jacobian there
    (the error is, to first order, that Jacobian times the normal displacement)."""
    return parents["l1"] / parents["sigma_rank"]


def predicted_movement(children: pd.DataFrame, parents: pd.DataFrame) -> pd.DataFrame:
    """A copy of `children` (one dtype, one run) whose `movement` is the geometric prediction: a child
    approaches its parent if its noise (MAE) exceeds the parent's remaining distance to the family
    (`normal_distance`), and otherwise ends anywhere within that distance (counted as not approaching)."""
    dist = normal_distance(parents.set_index("parent")).reindex(children["parent"]).to_numpy()
    out = children.copy()
    out["movement"] = np.where(children["pre"].to_numpy() > dist, "approaching", "distancing")
    return out


def sweep_borders(children: pd.DataFrame, parents: pd.DataFrame) -> pd.DataFrame:
    """Q1: per (steps, dtype) of the border sweep, the measured border, the predicted one
    (`predicted_movement`), the parents' median drift, L1 error and remaining normal distance, and the
    share of children whose movement the prediction gets right."""
    rows = []
    for (steps, name), ch in children.groupby(["steps", "dtype"], sort=True):
        pa = parents[(parents["steps"] == steps) & (parents["dtype"] == name)]
        pred = predicted_movement(ch, pa)
        measured, predicted = border(ch, name), border(pred, name)
        rows.append(
            {
                "steps": int(steps),
                "dtype": name,
                "border": measured,
                "predicted": predicted,
                "decades_off": abs(math.log10(measured) - math.log10(predicted)),
                "drift": float(pa["drift"].median()),
                "l1": float(pa["l1"].median()),
                "normal_distance": float(normal_distance(pa).median()),
                "agree": float(
                    ((ch["movement"] == "approaching") == (pred["movement"] == "approaching")).mean()
                ),
            }
        )
    return pd.DataFrame(rows)


def projection_fit(children: pd.DataFrame, min_level: float) -> pd.DataFrame:
    """Per dtype, over children at ζ ≥ `min_level` that kept noise: the correlation between the measured
    and the predicted post/pre ratio (L2 and MAE), and both medians."""
    rows = []
    for name, ch in children.groupby("dtype", sort=False):
        sub = ch[(ch["level"] >= min_level) & (ch["pre_l2"] > 0)]
        meas, pred = sub["post_l2"] / sub["pre_l2"], sub["pred_l2"] / sub["pre_l2"]
        meas1, pred1 = sub["post"] / sub["pre"], sub["pred"] / sub["pre"]
        rows.append(
            {
                "dtype": name,
                "children": len(sub),
                "r_l2": float(np.corrcoef(meas, pred)[0, 1]),
                "r_mae": float(np.corrcoef(meas1, pred1)[0, 1]),
                "measured_median": float(meas.median()),
                "predicted_median": float(pred.median()),
                "abs_err_max": float((meas - pred).abs().max()),
            }
        )
    return pd.DataFrame(rows)
