"""Chapter 6b's tables for the page: the scale differences, one compact table per experiment (the library
frames hold everything; these pick what a reader needs) and the closing table of answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

import numpy as np
import pandas as pd

from selfrep.chapters.self_modification.config import PRESETS, SCALE_MEANINGS, SelfModConfig
from selfrep.chapters.self_modification.text import QUESTIONS, answer_values
from selfrep.plotting.tables import table
from selfrep.selfmod.hypernet import GHNConfig


def scale_table() -> pd.DataFrame:
    """Every config field whose value differs between the ci and paper presets, with its meaning."""
    ci, paper = PRESETS["ci"], PRESETS["paper"]
    rows = []
    for part in fields(SelfModConfig):
        a, b = getattr(ci, part.name), getattr(paper, part.name)
        for f in fields(a):
            x, y = getattr(a, f.name), getattr(b, f.name)
            if x != y:
                key = f"{part.name}.{f.name}"
                rows.append((key, repr(x), repr(y), SCALE_MEANINGS.get(key, "")))
    df = pd.DataFrame(rows, columns=["parameter", "ci", "paper", "meaning"]).set_index("parameter")
    pad = [{"selector": "td, th", "props": [("padding-right", "1.2em")]}]
    return table(df).set_table_styles(pad, overwrite=False)


def _pm(mean: float, sd: float, fmt: str = ".3f") -> str:
    return f"{mean:{fmt}} ± {sd:{fmt}}"


def e4_table(res: dict[str, pd.DataFrame], cfg: GHNConfig) -> pd.DataFrame:
    """Split -> 0-step accuracy of each hypernetwork variant, the trained reference, the chain
    GHN's ratio
    to it and the Adam steps that match it, and fine-tuning from GHN vs random init."""
    from selfrep.selfmod.hypernet import hypernet_table

    t = hypernet_table(res, cfg)
    rows = []
    for split in t["split"].unique():
        d = t[t["split"] == split].set_index(["encoder", "tokens"])
        g = d.loc[("gru", "true")]
        top = max(cfg.curve_steps)
        rows.append(
            {
                "split": split,
                "graph GHN": _pm(g["acc0_mean"], g["acc0_sd"]),
                "MLP hypernet": f"{d.loc[('mlp', 'true'), 'acc0_mean']:.3f}",
                "GHN, shuffled tokens": f"{d.loc[('gru', 'shuffled'), 'acc0_mean']:.3f}",
                "GHN, constant tokens": f"{d.loc[('gru', 'constant'), 'acc0_mean']:.3f}",
                "trained": f"{g['trained']:.3f}",
                "GHN / trained": f"{g['ratio_trained']:.2f}",
                "Adam steps to match": f"{g['matched_steps_median']:.0f}",
                "fine-tuned 100 (GHN / random)": f"{g['ghn_ft@100']:.3f} / {g['random@100']:.3f}",
                f"fine-tuned {top} (GHN / random)": f"{g[f'ghn_ft@{top}']:.3f} / {g[f'random@{top}']:.3f}",
            }
        )
    return pd.DataFrame(rows).set_index("split").T  # measures as rows, one column per split


def e5_table(episodes: pd.DataFrame, best_static_test: float) -> pd.DataFrame:
    """Policy -> test accuracy, fitness, final parameters, charged parameter-epochs, edits by type,
    and the
    fraction of episodes reaching the best static architecture of the bench."""
    from selfrep.selfmod.editnet import policy_table

    t = policy_table(episodes, best_static_test)
    return pd.DataFrame(
        {
            "test accuracy": [_pm(m, s) for m, s in zip(t["test"], t["test_sd"], strict=True)],
            "fitness": t["fitness"].map("{:.3f}".format),
            "parameters": t["params"].map("{:,.0f}".format),
            "param-epochs (k)": (t["param_epochs"] / 1000).map("{:,.0f}".format),
            "edits: widen / deepen / shrink": [
                f"{w:.1f} / {d:.1f} / {s_:.1f}"
                for w, d, s_ in zip(t["widen"], t["deepen"], t["shrink"], strict=True)
            ],
            "≥ best static": t["P(>= best static)"].map("{:.0%}".format),
            "episodes": t["episodes"],
        },
        index=t.index,
    )


def e5_references(v: Mapping[str, float]) -> dict[str, float]:
    """The static baselines drawn as lines in the E5 figure: label -> test accuracy."""
    return {
        f"best static in the bench ({v['e5_best_static_label']})": v["e5_best_static_test"],
        f"best relu / no-skip in the bench ({v['e5_best_relu_label']})": v["e5_best_relu_test"],
        f"random search, {v['e5_rs_budget']:.0f} evaluations": v["e5_rs_test"],
    }


def e6_table(df: pd.DataFrame, resolution: float = 1 / 360) -> pd.DataFrame:
    """Weights remaining -> test accuracy at early stop (mean ± SD) per condition, ticket -
    re-init (paired by seed, ± SE with the seed SD floored at `resolution`, one test digit), the
    ticket's accuracy before training, and its learning-speed measures."""
    rows = []
    for _, g in df.groupby("round"):
        row = {"weights remaining": f"{g['remaining'].mean():.1%}"}
        for cond, name in (("ticket", "ticket"), ("reinit", "re-init"), ("random_mask", "random mask")):
            x = g[g["condition"] == cond]["test_at_stop"]
            row[name] = _pm(x.mean(), x.std(ddof=1))
        t = g[g["condition"] == "ticket"]
        gap = (
            t.set_index("seed")["test_at_stop"]
            - g[g["condition"] == "reinit"].set_index("seed")["test_at_stop"]
        ).to_numpy(dtype=float)
        if g["round"].iloc[0] > 0 and len(gap) > 1:
            se = max(float(gap.std(ddof=1)), resolution) / np.sqrt(len(gap))
            row["ticket − re-init (± SE)"] = f"{gap.mean():+.4f} ± {se:.4f}"
        else:
            row["ticket − re-init (± SE)"] = "–"
        row["ticket before training"] = f"{t['test_at_init'].mean():.3f}"
        row["ticket: epochs to 95 %"] = f"{t['epochs_to_95'].mean():.1f}"
        row["ticket: early-stop epoch"] = f"{t['stop_epoch'].mean():.1f}"
        rows.append(row)
    return pd.DataFrame(rows).set_index("weights remaining")


def e7_checkpoints(generations: int) -> tuple[int, ...]:
    """The generations Table 6b.5 shows: 0, 1, the middle and the last."""
    return tuple(sorted({0, 1, generations // 2, generations}))


def e7_table(gens: pd.DataFrame, checkpoints: tuple[int, ...]) -> pd.DataFrame:
    """(condition, generation) -> mean ± SD over repeats of fitness, mutation rate, self-copy
    error (raw and at fixed architecture), distinct genotypes, loss balance and viable fraction, at
    the checkpoint generations (short cells, so the table fits a printed page)."""
    cols = [
        ("fitness", "fitness", ".2f"),
        ("mut_rate", "mutation rate (bits)", ".1f"),
        ("self_error", "self-copy error (bits)", ".1f"),
        ("self_error_within", "the same, fixed architecture", ".1f"),
        ("n_unique", "genotypes", ".0f"),
        ("loss_balance", "λ", ".2f"),
        ("survival", "viable", ".2f"),
    ]
    g = gens[gens["generation"].isin(checkpoints)].groupby(["condition", "generation"])
    mean, sd = g.mean(numeric_only=True), g.std(numeric_only=True).fillna(0.0)
    out = pd.DataFrame(index=mean.index)
    for col, name, fmt in cols:
        if col not in mean:
            continue
        out[name] = ["–" if pd.isna(m) else _pm(m, s_, fmt) for m, s_ in zip(mean[col], sd[col], strict=True)]
    return out


def answers_table(v: Mapping[str, float]):
    """The closing table: source question -> answer sentence (from `answer_values`) -> claims."""
    a = answer_values(v)
    df = pd.DataFrame(
        [(q, a[k], c) for q, k, c in QUESTIONS], columns=["source question", "answer", "claims"]
    ).set_index("source question")
    return table(df)
