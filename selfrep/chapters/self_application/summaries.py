"""Chapter 1's summaries of the experiments' frames: means, fractions, the comparison with the authors'
logs, and the chapter's tables. Computed once; the figures, the values and the claims read them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from selfrep.analysis.stats import wilson_interval
from selfrep.chapters.self_application.config import REDUCTIONS, SelfApplicationConfig
from selfrep.fixpoints import KIND_LABELS
from selfrep.plotting.tables import short_number, table
from selfrep.published import logged


def level_key(zeta: float) -> str:
    """'0' for 1, '9' for 1e-9: the exponent used in glued names (rob_tverge_mean_9)."""
    return str(round(-np.log10(zeta)))


def robustness_means(rob: pd.DataFrame) -> pd.DataFrame:
    """Mean and median of both times per (dtype, procedure, eps, level), with verged fractions."""
    g = rob.groupby(["dtype", "procedure", "eps", "level"], sort=False)
    out = g.agg(
        time_to_vergence=("time_to_vergence", "mean"),
        time_to_vergence_median=("time_to_vergence", "median"),
        time_as_fixpoint=("time_as_fixpoint", "mean"),
        time_to_vergence_se=("time_to_vergence", "sem"),
        time_as_fixpoint_se=("time_as_fixpoint", "sem"),
        zero=("outcome", lambda s: float((s == "zero").mean())),
        divergent=("outcome", lambda s: float((s == "divergent").mean())),
        not_verged=("outcome", lambda s: float((s == "not verged").mean())),
        ones_rounded_away=("ones_rounded_away", "mean"),
    )
    return out.reset_index()


def first_population(out: pd.DataFrame, eps: float) -> pd.DataFrame:
    """The outcome counts of the first population (replicate 0) at `eps`: the paper's Figure 2."""
    sub = out[(out["replicate"] == 0) & (out["eps"] == eps)]
    if sub.empty:
        raise ValueError(f"eps: no outcomes at eps {eps:g}")
    return sub


def robustness_run(rob: pd.DataFrame, dtype: str, procedure: str, eps: float) -> pd.DataFrame:
    """The copies of one robustness run (precision, counting procedure, ε)."""
    sub = rob[(rob["dtype"] == dtype) & (rob["procedure"] == procedure) & (rob["eps"] == eps)]
    if sub.empty:
        raise ValueError(f"dtype: no robustness run ({dtype}, {procedure}, eps {eps:g})")
    return sub


def precision_means(rob: pd.DataFrame, procedure: str, eps: float) -> pd.DataFrame:
    """robustness_means of one procedure at one ε, one run per precision (column `run` = dtype), for
    robustness_curves."""
    sub = rob[(rob["procedure"] == procedure) & (rob["eps"] == eps)]
    if sub.empty:
        raise ValueError(f"procedure: no rows for procedure {procedure!r} at eps {eps:g}")
    means = robustness_means(sub)
    return means.assign(run=means["dtype"])


def pooled_fractions(out: pd.DataFrame, eps: float) -> pd.DataFrame:
    """Per (reduction, kind): pooled fraction over all replicates at `eps`, with a Wilson 95 % interval
    and the spread (min, max) of the per-replicate counts."""
    sub = out[out["eps"] == eps]
    rows = []
    for (red, kind), grp in sub.groupby(["reduction", "kind"], sort=False):
        total = int(grp["count"].sum())
        n = int(sub[(sub["reduction"] == red) & (sub["kind"] == kind)]["replicate"].nunique())
        nets = n * int(sub[sub["reduction"] == red].groupby("replicate")["count"].sum().iloc[0])
        lo, hi = wilson_interval(total, nets)
        rows.append(
            {
                "reduction": red,
                "kind": kind,
                "count": total,
                "nets": nets,
                "fraction": total / nets,
                "low": float(lo),
                "high": float(hi),
                "replicate_min": int(grp["count"].min()),
                "replicate_max": int(grp["count"].max()),
            }
        )
    return pd.DataFrame(rows)


def falls(times: int) -> str:
    """How often something falls, for the prose: "never falls", "falls once", "falls 3 times"."""
    if times < 0:
        raise ValueError(f"times: must be >= 0, got {times}")
    return {0: "never falls", 1: "falls once", 2: "falls twice"}.get(times, f"falls {times} times")


def _split(counts: dict[str, int]) -> str:
    n = sum(counts.values())
    main = f"{counts['divergent']} div · {counts['zero fixpoint']} zero"
    rest = n - counts["divergent"] - counts["zero fixpoint"]
    return f"{main}{f' · {rest} other kinds' if rest else ''} (of {n})"


def _fisher_reading(ours: dict[str, int], log: dict[str, int]) -> tuple[str, float]:
    n1, n2 = sum(ours.values()), sum(log.values())
    k1, k2 = ours["divergent"], log["divergent"]
    p = float(fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)
    verdict = "consistent with sampling noise" if p >= 0.05 else "differs beyond sampling noise"
    rest = sum(ours.values()) - k1 - ours["zero fixpoint"] + sum(log.values()) - k2 - log["zero fixpoint"]
    extra = "" if rest else "; no non-zero, second-order or other nets in either"
    return f"divergent {k1 / n1:.0%} vs {k2 / n2:.0%}, Fisher p = {p:.2g}: {verdict}{extra}", p


def log_sources(cmp: pd.DataFrame, by: str = "experiment") -> pd.DataFrame:
    """The logged files behind a compare_with_logged table: one row per source (branch or commit:path in
    the authors' repository), with the rows (`by`) that use it."""
    if "source" not in cmp or by not in cmp:
        raise ValueError(f"cmp: need columns 'source' and {by!r}")
    grouped = cmp.groupby("source", sort=False)[by].agg(lambda s: ", ".join(dict.fromkeys(map(str, s))))
    return grouped.rename("used for").reset_index()[["used for", "source"]].set_index("used for")


def combined_se_factor(n_ours: int, n_log: int | None) -> float:
    """Factor turning our standard error of a mean into the s.e. of (our mean - the log's mean), when the
    log reports only its mean over n_log copies and its per-copy spread is assumed equal to ours."""
    if n_ours < 1:
        raise ValueError(f"n_ours: need at least one copy, got {n_ours}")
    if not n_log or n_log < 1:
        raise ValueError(f"n_log: need the logged copy count, got {n_log}")
    return float(np.sqrt(1 + n_ours / n_log))


def compare_with_logged(
    cfg: SelfApplicationConfig, traj: pd.DataFrame, out: pd.DataFrame, rnd: pd.DataFrame, rob: pd.DataFrame
) -> pd.DataFrame:
    """Our numbers beside the authors' logged ones (selfrep.published), under the logged run's settings:
    the same population size (Fig 2: replicate 0), the logged ε, the Keras robustness procedure in float32.

    One row per compared quantity: experiment, quantity, ours, log (both as text), reading (a sentence
    computed from the two: Fisher's exact test for outcome splits, the difference with our standard
    error for means), p (Fisher p-value, or NaN), source."""
    rows = []

    def add(experiment, quantity, ours, log, reading, source, p=float("nan")):
        rows.append(
            {
                "experiment": experiment,
                "quantity": quantity,
                "ours": ours,
                "authors' log": log,
                "reading": reading,
                "p": p,
                "source": source,
            }
        )

    for red in cfg.trajectory_reductions:
        grp = traj[traj["reduction"] == red].groupby("net")["outcome"].first()
        ours = {k: int((grp == k).sum()) for k in KIND_LABELS}
        entry = logged(f"fig1_{red}")
        log = {k: int(entry.values[k]) for k in KIND_LABELS}
        reading, p = _fisher_reading(ours, log)
        add(
            "paper Fig 1",
            f"{red}, stopped at divergence or a 1e-14-fixpoint",
            _split(ours),
            _split(log),
            reading,
            entry.source,
            p,
        )
    first = out[(out["replicate"] == 0) & (out["eps"] == cfg.eps_keras)]
    for red in REDUCTIONS:
        sub = first[first["reduction"] == red].set_index("kind")["count"]
        ours = {k: int(sub[k]) for k in KIND_LABELS}
        entry = logged(f"fig2_{red}")
        log = {k: int(entry.values[k]) for k in KIND_LABELS}
        reading, p = _fisher_reading(ours, log)
        add(
            "paper Fig 2",
            f"{red}, after {cfg.outcome_steps} self-applications (ε = 1e-4)",
            _split(ours),
            _split(log),
            reading,
            entry.source,
            p,
        )
    fix_kinds = ["zero fixpoint", "non-zero fixpoint", "second-order fixpoint"]
    for red in ("weightwise", "aggregating"):
        entry = logged(f"density_{red}")
        row = rnd[(rnd["reduction"] == red) & (rnd["eps"] == cfg.eps_keras)].iloc[0]
        ours_fix = int(row[fix_kinds].sum())
        log_fix = int(sum(entry.values[k] for k in fix_kinds))
        add(
            "random nets",
            f"{red}, fixpoints among random nets (ε = 1e-4)",
            f"{ours_fix} of {int(row['n']):,}",
            f"{log_fix} of {entry.n:,}",
            "none in either" if ours_fix == log_fix == 0 else "fixpoints found",
            entry.source,
        )
    keras = rob[(rob["dtype"] == "float32") & (rob["procedure"] == "keras") & (rob["eps"] == cfg.eps_keras)]
    g = keras.groupby("level")
    means, ses = (
        g[["time_to_vergence", "time_as_fixpoint"]].mean(),
        g[["time_to_vergence", "time_as_fixpoint"]].sem(),
    )
    counts = g.size()
    tv, tf = logged("fig3_time_to_vergence"), logged("fig3_time_as_fixpoint")
    for zeta in cfg.noise_levels:
        label = f"{zeta:.0e}"
        mv, mf = means.loc[zeta, "time_to_vergence"], means.loc[zeta, "time_as_fixpoint"]
        # Combined s.e. of (ours - log): the log gives means only, so its per-copy spread is taken to equal
        # ours: se_ours * sqrt(1 + n_ours / n_log).
        inflate = combined_se_factor(int(counts.loc[zeta]), tv.n)
        cv, cf = ses.loc[zeta, "time_to_vergence"] * inflate, ses.loc[zeta, "time_as_fixpoint"] * inflate
        dv, df = mv - tv.values[label], mf - tf.values[label]
        within = abs(dv) <= 2 * cv and abs(df) <= max(2 * cf, 0.02)
        add(
            "paper Fig 3",
            f"ζ = {short_number(zeta)}: mean time to vergence · time as fixpoint",
            f"{mv:.2f} · {mf:.2f}",
            f"{tv.values[label]:.2f} · {tf.values[label]:.2f}",
            f"ours − log: {dv:+.2f} (combined s.e. {cv:.2f}) · {df:+.2f} (combined s.e. {cf:.2f}): "
            + ("within 2 combined s.e." if within else "outside 2 combined s.e."),
            tv.source,
        )
    return pd.DataFrame(rows)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_label(z: float) -> str:
    """1 -> "1", 1e-7 -> "10⁻⁷" (a table header that does not wrap at its hyphen)."""
    return "1" if z == 1 else "10" + str(round(np.log10(z))).translate(_SUPERSCRIPT)


def robustness_table(rob: pd.DataFrame, measure: str = "time_to_vergence") -> pd.DataFrame:
    """Mean `measure` per run ("float32 · text · ε 10⁻⁵") and noise level ζ (columns, most noise first)."""
    means = robustness_means(rob)
    means["run"] = means["dtype"] + " · " + means["procedure"] + " · ε " + means["eps"].map(_power_label)
    means["ζ"] = means["level"].map(_power_label)
    order = [_power_label(z) for z in sorted(means["level"].unique(), reverse=True)]
    table = means.pivot_table(index="run", columns="ζ", values=measure, sort=False)
    return table[order]


def random_nets_table(rnd: pd.DataFrame):
    """One row per reduction: nets checked, fixpoints of any kind at each ε, smallest and median error;
    styled for the chapter (the DataFrame is its `.data`)."""
    fix_kinds = ["zero fixpoint", "non-zero fixpoint", "second-order fixpoint"]
    rows = []
    for red, grp in rnd.groupby("reduction", sort=False):
        row = {"reduction": red, "nets": int(grp["n"].iloc[0])}
        for _, e in grp.iterrows():
            row[f"fixpoints (ε = {short_number(e['eps'])})"] = int(e[fix_kinds].sum())
        row["smallest error"] = float(grp["min_error"].iloc[0])
        row["median error"] = float(grp["median_error"].iloc[0])
        rows.append(row)
    return table(pd.DataFrame(rows).set_index("reduction"), precision=2).format("{:,}", subset=["nets"])


def identity_table(ident: pd.DataFrame):
    """`run_identity`'s rows for the chapter: the fixpoint error as the text writes it (0, 1e-7)."""
    return table(ident, index=False).format(short_number, subset=["max_error"])
