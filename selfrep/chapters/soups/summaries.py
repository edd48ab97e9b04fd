"""Chapter 5: summaries of the experiments' frames, shared by figures, tables, values and claims."""

from __future__ import annotations

import numpy as np
import pandas as pd

from selfrep.published import logged


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation; 0 when either input is constant (no trend to rank)."""
    from scipy.stats import spearmanr

    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(spearmanr(x, y).statistic)


def count_means(counts: pd.DataFrame, replicate: int | None = None, attacking: bool = True) -> pd.DataFrame:
    """Mean count per soup of zero and non-zero fixpoints (and their standard errors) per reduction and A,
    for the soups with attacks (or, `attacking=False`, their controls)."""
    sub = counts[counts["attacking"] == attacking]
    sub = sub if replicate is None else sub[sub["replicate"] == replicate]
    g = sub.groupby(["reduction", "trains"], sort=False)
    out = g.agg(
        soups=("zero", "size"),
        zero=("zero", "mean"),
        nonzero=("nonzero", "mean"),
        zero_se=("zero", "sem"),
        nonzero_se=("nonzero", "sem"),
        div=("div", "mean"),
        second=("second", "sum"),
    ).reset_index()
    return out.fillna({"zero_se": 0.0, "nonzero_se": 0.0})


def logged_counts() -> pd.DataFrame:
    """The authors' logged Fig 13 means: reduction, trains, zero, nonzero."""
    rows = []
    for red in ("weightwise", "aggregating"):
        z, nz = logged(f"fig13_{red}_zero").values, logged(f"fig13_{red}_nonzero").values
        rows += [
            {"reduction": red, "trains": int(a), "zero": float(z[a]), "nonzero": float(nz[a])} for a in z
        ]
    return pd.DataFrame(rows)


def compare_with_logged(counts: pd.DataFrame) -> pd.DataFrame:
    """Per reduction and A: our mean zero / non-zero count per soup (replicate 0, the paper's 10 soups)
    beside the authors' log."""
    ours = count_means(counts, 0).set_index(["reduction", "trains"])
    log = logged_counts().set_index(["reduction", "trains"])
    rows = []
    for key in ours.index:
        has = key in log.index
        rows.append(
            {
                "reduction": key[0],
                "A": key[1],
                "non-zero (ours)": float(ours.loc[key, "nonzero"]),
                "non-zero (authors)": float(log.loc[key, "nonzero"]) if has else float("nan"),
                "zero (ours)": float(ours.loc[key, "zero"]),
                "zero (authors)": float(log.loc[key, "zero"]) if has else float("nan"),
            }
        )
    return pd.DataFrame(rows).set_index(["reduction", "A"])


def interaction_display(soups14: pd.DataFrame, children14: pd.DataFrame):
    """`interaction_table` styled for the page: display.table, ζ labels kept on one line, spaced columns."""
    from selfrep.plotting.tables import table

    sty = table(interaction_table(soups14, children14))
    return sty.set_table_styles(
        [
            {"selector": "th, td", "props": [("padding", "2px 6px")]},
            {"selector": "th.row_heading", "props": [("white-space", "nowrap")]},
        ],
        overwrite=False,
    )


def interaction_table(soups14: pd.DataFrame, children14: pd.DataFrame) -> pd.DataFrame:
    """For display: Fig 14's two settings per ζ — attacks per soup with the attacks across families (all
    soups) in brackets, the largest change one attack made (MAE), the closest two parents (MAE), the
    median distance of a child to its parent after the noise, the largest difference between a child and
    its twin in the control soup, and the share of children ending nearest their own parent. Numbers as
    short strings."""
    g = ["setting", "zeta"]
    so = soups14.groupby(g, sort=False)
    ch = children14.assign(own=children14["nearest_family"] == children14["family"]).groupby(g, sort=False)
    out = pd.DataFrame(
        {
            "attacks / soup (all soups: across families)": [
                f"{m:.2f} ({c})" for m, c in zip(so["attacks"].mean(), so["cross_attacks"].sum(), strict=True)
            ],
            "max change by an attack": so["max_displacement"].max().map(lambda x: f"{x:.1e}"),
            "closest parents": so["parent_distance_min"].min().map(lambda x: f"{x:.2f}"),
            "child to parent after noise": ch["pre"].median().map(lambda x: f"{x:.1e}"),
            "max child to control": ch["influence"].max().map(lambda x: f"{x:.1e}"),
            "nearest own parent": ch["own"].mean().map(lambda x: f"{x:.0%}"),
        }
    )
    out.index = out.index.set_levels(
        [out.index.levels[0], [f"1e{round(np.log10(z))}" for z in out.index.levels[1]]]
    )
    out.index.names = ["setting", "ζ"]
    return out
