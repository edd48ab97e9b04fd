"""Chapter 6's tables for the page: strategy summaries, live HPO and L2, predictors and proxies, and the
configuration at both scales."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from selfrep.chapters.architecture_search.config import PRESETS, Chapter06Config
from selfrep.chapters.common import field_meanings
from selfrep.plotting.tables import table


def format_table(
    df: pd.DataFrame, formats: Mapping[str, str], rename: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A display copy of `df`: the columns in `formats` rendered with those format strings, then renamed."""
    out = df.copy()
    for col, fmt in formats.items():
        out[col] = [fmt.format(x) for x in out[col]]
    return out.rename(columns=dict(rename or {}))


SUMMARY_FORMATS = {
    "mean": "{:.4f}",
    "se": "{:.4f}",
    "median": "{:.4f}",
    "median_se": "{:.4f}",
    "regret": "{:.4f}",
    "ri_vs_random_avg_pct": "{:.1f}",
    "p_top1": "{:.2f}",
    "evals": "{:.0f}",
    "charged_s": "{:.1f}",
    "overhead_s": "{:.2f}",
    "inc_val": "{:.4f}",
    "optimism": "{:+.4f}",
}
SUMMARY_NAMES = {
    "repeats": "runs",
    "se": "SE",
    "median_se": "SE (med.)",
    "regret": "regret",
    "ri_vs_random_avg_pct": "RI (%)",
    "p_top1": "top 1 %",
    "charged_s": "charged CPU-s",
    "overhead_s": "overhead s",
    "inc_val": "incumbent val",
    "optimism": "optimism",
}
# What each column of the strategy tables means (shown under them in the chapter).
SUMMARY_MEANINGS = {
    "runs": "independent repeats of the strategy (its own seeds)",
    "mean, median": "of the incumbent's mean-of-seeds test accuracy over the runs",
    "SE, SE (med.)": "standard error of the mean, and bootstrap SE of the median; SDs floored at the "
    "table's accuracy step",
    "regret": "test regret: best test accuracy in the table minus the mean",
    "RI (%)": "relative improvement over the random-average architecture, 100 (mean - a) / a, with a the "
    "random-average architecture's test accuracy (Yang et al. 2020)",
    "top 1 %": "share of runs whose incumbent is among the best 1 % of configurations by test accuracy",
    "evals": "evaluations made (grid stops when exhausted); for hyperband and successive halving, full "
    "trainings' worth of epochs (20 each) spent",
    "charged CPU-s": "training CPU seconds of exactly the runs made, from the table",
    "overhead s": "the strategy's own compute (predictor fits, TPE proposals)",
    "incumbent val": "the incumbent's mean-of-seeds validation accuracy",
    "optimism": "the single observation that made it the incumbent minus that mean: the winner's curse",
}
ACCURACY_COLUMNS = (
    "repeats",
    "mean",
    "se",
    "median",
    "median_se",
    "regret",
    "ri_vs_random_avg_pct",
    "p_top1",
)
COST_COLUMNS = ("evals", "charged_s", "overhead_s", "inc_val", "optimism")


def strategy_table(summary: pd.DataFrame, columns: str = "accuracy"):
    """`search.summarize` output for display, indexed by (method, budget): `columns="accuracy"` (runs, mean,
    SE, median, regret, RI, P(top 1 %)) or `"cost"` (evaluations, charged and overhead seconds, the
    incumbent's validation accuracy and optimism). Two narrow tables fit the page where one wide does not."""
    cols = {"accuracy": ACCURACY_COLUMNS, "cost": COST_COLUMNS}.get(columns)
    if cols is None:
        raise ValueError(f"columns: must be 'accuracy' or 'cost', got {columns!r}")
    df = summary[["method", "budget", *cols]]
    fmt = {c: f for c, f in SUMMARY_FORMATS.items() if c in cols}
    return _padded(
        table(format_table(df, fmt, SUMMARY_NAMES).set_index(["method", "budget"]), font_size="0.85em")
    )


def _padded(sty):
    """A display Styler with some room between columns (numbers otherwise run together)."""
    return sty.set_table_styles(
        [{"selector": "td, th", "props": [("padding", "0.1em 0.3em")]}], overwrite=False
    )


def meanings_table(meanings: Mapping[str, str]):
    """A two-column (column, meaning) table for display."""
    df = pd.DataFrame(list(meanings.items()), columns=["column", "meaning"]).set_index("column")
    return table(df)


def hpo_incumbent_table(incumbents: pd.DataFrame):
    """Each live HPO method's incumbent over repeats, as formatted "mean ± SD" cells: validation and test
    accuracy (%), its learning rate, distinct learning rates tried."""
    g = incumbents.groupby("method")
    rows = {}
    for m, d in g:

        def pm(col, fmt, scale=1.0, d=d):
            x = d[col].to_numpy(float) * scale
            sd = x.std(ddof=1) if len(x) > 1 else float("nan")
            return f"{fmt.format(x.mean())} ± {fmt.format(sd)}"

        rows[m] = {
            "repeats": f"{len(d)}",
            "validation accuracy (%)": pm("best_val", "{:.2f}", 100),
            "test accuracy (%)": pm("test_acc", "{:.2f}", 100),
            "learning rate": pm("best_lr", "{:.1e}"),
            "distinct learning rates": pm("distinct_lr", "{:.0f}"),
        }
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "method"
    return _padded(table(df))


def l2_final_table(final: pd.DataFrame):
    """Mean over seeds of the L2 experiment's final numbers per mode (accuracies in %)."""
    cols = ["lam", "val_acc", "val_loss", "test_acc", "test_loss"]
    df = final.groupby("mode", sort=False)[cols].mean()
    df[["val_acc", "test_acc"]] *= 100
    fmt = {
        "lam": "{:.1e}",
        "val_acc": "{:.2f}",
        "test_acc": "{:.2f}",
        "val_loss": "{:.4f}",
        "test_loss": "{:.4f}",
    }
    names = {
        "lam": "final λ",
        "val_acc": "validation accuracy (%)",
        "val_loss": "validation loss",
        "test_acc": "test accuracy (%)",
        "test_loss": "test loss",
    }
    df = format_table(df, fmt, names)
    df.loc[df.index == "none", "final λ"] = "–"
    return _padded(table(df))


def predictor_table(curve_summary: pd.DataFrame):
    """Learning-curve summary (model x N) for display, the MAE in percentage points."""
    df = curve_summary.assign(mae=curve_summary["mae"] * 100)
    fmt = {c: "{:.3f}" for c in ("tau", "tau_se", "tau_top20", "spearman")} | {
        "mae": "{:.2f}",
        "fit_s": "{:.3f}",
    }
    names = {
        "tau": "τ",
        "tau_se": "SE (τ)",
        "tau_top20": "τ (top 20 %)",
        "spearman": "Spearman",
        "mae": "MAE (pp)",
        "fit_s": "fit s",
    }
    return _padded(table(format_table(df, fmt, names).set_index(["model", "n"])))


def proxy_display(proxy_summary: pd.DataFrame, proxy_curve: pd.DataFrame | None = None, n: int | None = None):
    """Zero-cost proxy summary for display: Kendall τ (all, top 20 %) and Spearman over every architecture
    and, given `proxy_curve` (`predictors.proxy_curve`) and a training-set size `n`, the mean τ on the
    architectures the predictors were scored on at that N (the same sets, repeat by repeat)."""
    df = proxy_summary.copy()
    fmt = {c: "{:.3f}" for c in ("tau", "tau_top20", "spearman")}
    names = {"tau": "τ (all)", "tau_top20": "τ (top 20 %)", "spearman": "Spearman"}
    if proxy_curve is not None and n is not None:
        same = proxy_curve[proxy_curve["n"] == n].groupby("proxy")["tau"].mean()
        col = f"τ (predictors' held-out sets, N = {n})"
        df[col] = df["proxy"].map(same)
        fmt[col] = "{:.3f}"
    return _padded(table(format_table(df, fmt, names).set_index("proxy")))


def scale_table(presets: Mapping[str, Chapter06Config] | None = None):
    """The chapter's configuration at both scales side by side, with a one-line meaning per field; the
    fields that change between scales first."""
    import dataclasses

    presets = dict(presets or PRESETS)
    meaning = field_meanings(Chapter06Config)
    names = [f.name for f in dataclasses.fields(Chapter06Config)]
    rows = [
        {
            "parameter": n,
            **{s: _plain(getattr(c, n)) for s, c in presets.items()},
            "meaning": meaning.get(n, ""),
        }
        for n in names
    ]
    df = pd.DataFrame(rows).set_index("parameter")
    changes = df[list(presets)].nunique(axis=1) > 1
    df.insert(0, "changes", np.where(changes, "yes", ""))
    widths = {"changes": "11%", **{s: "17%" for s in presets}, "meaning": "33%"}
    return _padded(table(pd.concat([df[changes], df[~changes]]), widths=widths, font_size="0.85em"))


def _plain(x) -> str:
    """A preset's value as the scale table prints it: tuples as comma-separated items, no quotes."""
    if isinstance(x, tuple):
        return ", ".join(str(i) for i in x) if x else "none"
    return str(x)
