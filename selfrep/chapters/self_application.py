"""Chapter 1 — self-application (paper §3.1, Figs 1–3; paper-spec §3–§5).

Experiments, each a pure function of (config, generator) returning a tidy DataFrame:

    run_trajectories   Fig 1: networks self-applied until they diverge or become fixpoints, PCA-projected
    run_outcomes       Fig 2: outcome of 100 self-applications per reduction, in `outcome_replicates`
                       independent populations of `outcome_nets` (replicate 0 is the paper's population)
    run_random_nets    the in-text check: are random networks ever fixpoints?
    run_identity       the hand-built identity fixpoint: its fixpoint error
    run_robustness     Fig 3: noisy copies of the identity fixpoint, self-applied until they verge

`values(...)` turns the frames into the numbers the chapter glues; `compare_with_logged(...)` sets ours
beside the authors' logged numbers (selfrep.published).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy.stats import fisher_exact

from selfrep.analysis.robustness import Verged, noisy_copies, robustness
from selfrep.analysis.stats import wilson_interval
from selfrep.analysis.trajectories import first_stop, pca_trajectories
from selfrep.chapters.common import KIND_KEYS
from selfrep.claims import Claim
from selfrep.fixpoints import KIND_LABELS, FixpointKind, classify, fixpoint_error
from selfrep.nets import identity_fixpoint, init_population
from selfrep.operators import self_apply, self_apply_trajectory
from selfrep.plotting.tables import short_number, table
from selfrep.published import NOISE_LEVELS, logged
from selfrep.reductions import make_reduction

CHAPTER = "01_self_application"
REDUCTIONS: tuple[str, ...] = ("weightwise", "aggregating", "recurrent")
DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "float64": torch.float64}
# The dtype label of the diagnostic run: float64 everywhere except the three weights that are 1 in the
# identity net, which get their float32-rounded noisy value (isolates float32 rounding of 1 + ζu).
MIXED = "float64, float32-rounded ones"


@dataclass(frozen=True)
class SelfApplicationConfig:
    """Sizes of chapter 1's experiments (paper values in comments; paper-spec §3–§5).

    robustness_runs lists (dtype, procedure, ε) combinations; the first one is Fig 3.
    """

    trajectory_reductions: tuple[str, ...] = ("aggregating", "weightwise")
    trajectory_nets: int = 10  # Fig 1: 10 aggregating nets (20 weightwise in the log)
    trajectory_steps: int = 100
    trajectory_eps: float = 1e-14  # the early stop of the authors' trajectory runs
    trajectory_max_abs: float = 5.0  # states beyond this are not drawn (diverging nets)
    outcome_nets: int = 50  # Fig 2: 50 per reduction
    outcome_steps: int = 100
    outcome_replicates: int = 10  # beyond the paper: 10x the population for confidence intervals
    random_nets: int = 100_000  # in-text: 100,000 per reduction
    noise_levels: tuple[float, ...] = NOISE_LEVELS  # Fig 3: 1 ... 1e-9
    noise_copies: int = 100  # Fig 3: 100 per level
    robustness_steps: int = 100  # the Keras cap
    journal_steps: int = 1000  # stands in for the journal's uncapped loop
    robustness_runs: tuple[tuple[str, str, float], ...] = (
        ("float32", "text", 1e-5),
        ("float32", "text", 1e-4),
        ("float32", "keras", 1e-4),
        ("float32", "keras", 1e-5),
        ("float32", "journal", 1e-5),
        ("float64", "text", 1e-5),
        ("float64", "keras", 1e-4),
        (MIXED, "keras", 1e-4),
    )
    eps: float = 1e-5  # the paper's ε
    eps_keras: float = 1e-4  # the ε of the logged Keras runs
    init: str = "glorot"

    def __post_init__(self) -> None:
        for name in (
            "trajectory_nets",
            "outcome_nets",
            "outcome_replicates",
            "random_nets",
            "noise_copies",
            "robustness_steps",
            "journal_steps",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        for dtype, procedure, eps in self.robustness_runs:
            if dtype not in (*DTYPES, MIXED):
                raise ValueError(f"robustness_runs: unknown dtype {dtype!r}")
            if procedure not in ("text", "keras", "journal") or not eps > 0:
                raise ValueError(f"robustness_runs: bad entry {(dtype, procedure, eps)!r}")


# One line per config field, shown beside the chapter's config table.
CONFIG_MEANINGS = {
    "trajectory_reductions": "reductions drawn in Figure 1.1",
    "trajectory_nets": "nets per reduction in Figure 1.1",
    "trajectory_steps": "most self-applications per trajectory",
    "trajectory_eps": "ε of the trajectory runs' early stop (the authors' class default)",
    "trajectory_max_abs": "states with a weight beyond ± this are not drawn",
    "outcome_nets": "nets per reduction and population in Figure 1.2",
    "outcome_steps": "self-applications before classifying (Figure 1.2)",
    "outcome_replicates": "populations of Figure 1.2's size (the first is Figure 1.2)",
    "random_nets": "random nets per reduction checked for fixpoints",
    "noise_levels": "noise levels ζ of Figure 1.4",
    "noise_copies": "noisy identity copies per level",
    "robustness_steps": "most self-applications per copy (text and Keras counting)",
    "journal_steps": "most self-applications per copy (journal counting)",
    "robustness_runs": "(precision, counting procedure, ε) of each robustness run",
    "eps": "the paper's ε",
    "eps_keras": "ε of the authors' Keras logs",
    "init": "weight initialisation",
}

PRESETS = {
    "paper": SelfApplicationConfig(),
    "ci": SelfApplicationConfig(outcome_replicates=3, random_nets=10_000, noise_copies=30),
}


# ------------------------------------------------------------------------------------------------
# Experiments
# ------------------------------------------------------------------------------------------------
def run_trajectories(cfg: SelfApplicationConfig, generator: torch.Generator) -> pd.DataFrame:
    """Fig 1: `trajectory_nets` nets per reduction, self-applied up to `trajectory_steps` times and
    stopped at the first divergent or `trajectory_eps`-fixpoint state; PCA fitted per reduction on
    kept states (states with a weight beyond `trajectory_max_abs` are dropped: a diverging net would
    otherwise set the scale). One row per state: reduction, net, t, pc1, pc2, outcome (of the net's last
    state), stop (its last state's index), explained variance of pc1/pc2, and the zero net's coordinates."""
    frames = []
    for name in cfg.trajectory_reductions:
        red = make_reduction(name)
        w = init_population(red.arch, cfg.trajectory_nets, cfg.init, generator=generator)
        states = self_apply_trajectory(w, red, cfg.trajectory_steps)
        stop = first_stop(states, red, cfg.trajectory_eps)
        last = states[stop, torch.arange(cfg.trajectory_nets)]
        kinds = classify(last, red, cfg.trajectory_eps)
        frame, var, zero = pca_trajectories(states, stop, max_abs=cfg.trajectory_max_abs)
        frame.insert(0, "reduction", name)
        frame["zero_pc1"], frame["zero_pc2"] = zero[0], zero[1]
        frame["outcome"] = [KIND_LABELS[int(kinds[p])] for p in frame["net"]]
        frame["stop"] = stop.numpy()[frame["net"]]
        frame["pc1_var"], frame["pc2_var"] = var[0], var[1]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def run_outcomes(cfg: SelfApplicationConfig, generator: torch.Generator) -> pd.DataFrame:
    """Fig 2 (+ replicates): for every reduction, `outcome_replicates` x `outcome_nets` fresh nets
    self-applied exactly `outcome_steps` times and classified at ε = eps and eps_keras.
    One row per (reduction, replicate, eps, kind) with the count."""
    rows = []
    n, reps = cfg.outcome_nets, cfg.outcome_replicates
    for name in REDUCTIONS:
        red = make_reduction(name)
        w = init_population(red.arch, n * reps, cfg.init, generator=generator)
        w = self_apply(w, red, cfg.outcome_steps)
        for eps in (cfg.eps, cfg.eps_keras):
            codes = classify(w, red, eps).reshape(reps, n)
            for r in range(reps):
                counts = torch.bincount(codes[r], minlength=len(FixpointKind))
                for k in FixpointKind:
                    rows.append((name, r, eps, k.label, int(counts[k])))
    return pd.DataFrame(rows, columns=["reduction", "replicate", "eps", "kind", "count"])


def run_random_nets(cfg: SelfApplicationConfig, generator: torch.Generator) -> pd.DataFrame:
    """In-text check: `random_nets` freshly initialised nets per reduction, classified once (no
    self-application). One row per (reduction, eps) with the count per kind and the smallest and the
    median fixpoint error max_i |N◁N − N|_i."""
    rows = []
    for name in REDUCTIONS:
        red = make_reduction(name)
        w = init_population(red.arch, cfg.random_nets, cfg.init, generator=generator)
        err, _ = fixpoint_error(w, red)
        for eps in (cfg.eps, cfg.eps_keras):
            counts = torch.bincount(classify(w, red, eps), minlength=len(FixpointKind))
            row = {"reduction": name, "eps": eps, "n": cfg.random_nets}
            row.update({k.label: int(counts[k]) for k in FixpointKind})
            row["min_error"] = float(err.min())
            row["median_error"] = float(err.median())
            rows.append(row)
    return pd.DataFrame(rows)


def run_identity(cfg: SelfApplicationConfig) -> pd.DataFrame:
    """The hand-built identity net in both flat layouts and both precisions: its fixpoint error and kind."""
    rows = []
    for order in ("input_major", "output_major"):
        red = make_reduction("weightwise", order=order)
        for dname, dtype in DTYPES.items():
            w = identity_fixpoint(red.arch, 1, dtype=dtype)
            err, _ = fixpoint_error(w, red)
            kind = KIND_LABELS[int(classify(w, red, cfg.eps)[0])]
            rows.append(
                {
                    "order": order,
                    "dtype": dname,
                    "max_error": float(err[0]),
                    "kind": kind,
                    "weights": " ".join(f"{x:g}" for x in w[0].tolist()),
                }
            )
    return pd.DataFrame(rows)


def run_robustness(cfg: SelfApplicationConfig, generator: torch.Generator) -> pd.DataFrame:
    """Fig 3: `noise_copies` noisy copies of the identity net per noise level (the same copies for every
    run), self-applied until they verge, for every (dtype, procedure, ε) of `robustness_runs`.

    One row per (run, copy): dtype, procedure, eps, level (ζ), copy, time_to_vergence, time_as_fixpoint,
    outcome, and ones_rounded_away (True when float32 rounding removed the noise on all three
    weights that are 1)."""
    red = make_reduction("weightwise")
    ident = identity_fixpoint(red.arch, 1, dtype=torch.float64)
    copies = noisy_copies(ident, cfg.noise_levels, cfg.noise_copies, generator=generator, dtype=torch.float64)
    w64 = copies.weights
    w32 = w64.to(torch.float32)
    ones = ident[0] == 1.0
    rounded_away = (w32[:, ones] == 1.0).all(dim=1).numpy()
    start = {"float32": w32, "float64": w64, MIXED: torch.where(ones, w32.to(torch.float64), w64)}
    zeta = np.asarray(cfg.noise_levels)[copies.level.numpy()]
    copy_idx = np.tile(np.arange(cfg.noise_copies), len(cfg.noise_levels))
    frames = []
    for dtype, procedure, eps in cfg.robustness_runs:
        steps = cfg.journal_steps if procedure == "journal" else cfg.robustness_steps
        res = robustness(start[dtype], red, eps, procedure=procedure, max_steps=steps)
        frames.append(
            pd.DataFrame(
                {
                    "dtype": dtype,
                    "procedure": procedure,
                    "eps": eps,
                    "level": zeta,
                    "copy": copy_idx,
                    "time_to_vergence": res.time_to_vergence.numpy(),
                    "time_as_fixpoint": res.time_as_fixpoint.numpy(),
                    "outcome": [Verged(int(o)).label for o in res.outcome],
                    "ones_rounded_away": rounded_away,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------------------------
# Summaries
# ------------------------------------------------------------------------------------------------
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


def values(
    cfg: SelfApplicationConfig,
    traj: pd.DataFrame,
    out: pd.DataFrame,
    rnd: pd.DataFrame,
    ident: pd.DataFrame,
    rob: pd.DataFrame,
) -> dict[str, float | int | str]:
    """The numbers chapter 1 glues (and its claims read), as plain Python scalars."""
    v: dict[str, float | int | str] = {}
    # Fig 1
    for red, grp in traj.groupby("reduction", sort=False):
        per_net = grp.groupby("net").agg(outcome=("outcome", "first"), stop=("stop", "first"))
        for label, key in KIND_KEYS.items():
            v[f"fig1_{red}_{key}"] = int((per_net["outcome"] == label).sum())
        v[f"fig1_{red}_nets"] = len(per_net)
        v[f"fig1_{red}_stop_median"] = float(per_net["stop"].median())
        v[f"fig1_{red}_stop_max"] = int(per_net["stop"].max())
        v[f"fig1_{red}_pc_var"] = float(grp["pc1_var"].iloc[0] + grp["pc2_var"].iloc[0])
    # Fig 2 (replicate 0) at both ε, and pooled fractions
    for eps, tag in ((cfg.eps, "fig2"), (cfg.eps_keras, "fig2k")):
        first = out[(out["replicate"] == 0) & (out["eps"] == eps)]
        for row in first.itertuples():
            v[f"{tag}_{row.reduction}_{KIND_KEYS[row.kind]}"] = int(row.count)
    pooled = pooled_fractions(out, cfg.eps)
    for row in pooled.itertuples():
        key = f"pool_{row.reduction}_{KIND_KEYS[row.kind]}"
        v[f"{key}_frac"], v[f"{key}_lo"], v[f"{key}_hi"] = row.fraction, row.low, row.high
    v["pool_nets"] = int(pooled["nets"].iloc[0])
    div = out[(out["eps"] == cfg.eps) & (out["kind"] == "divergent")].pivot_table(
        index="replicate", columns="reduction", values="count"
    )
    ordered = (div["recurrent"] > div["weightwise"]) & (div["weightwise"] > div["aggregating"])
    v["pool_order_replicates"] = int(ordered.sum())
    v["pool_replicates"] = cfg.outcome_replicates
    for label, key in KIND_KEYS.items():
        v[f"sa_{key}_total"] = int(out[out["kind"] == label]["count"].sum())
    v["sa_nets_total"] = int(out[out["eps"] == cfg.eps]["count"].sum())
    # Random nets
    fix_kinds = ["zero fixpoint", "non-zero fixpoint", "second-order fixpoint"]
    v["rand_n"] = int(cfg.random_nets)
    v["rand_fixpoints_total"] = int(rnd[fix_kinds].to_numpy().sum())
    for red, grp in rnd.groupby("reduction", sort=False):
        v[f"rand_{red}_fixpoints"] = int(grp[fix_kinds].to_numpy().sum())
        v[f"rand_{red}_min_error"] = float(grp["min_error"].iloc[0])
        v[f"rand_{red}_median_error"] = float(grp["median_error"].iloc[0])
    # Identity
    v["identity_error_max"] = float(ident["max_error"].max())
    v["identity_nonzero"] = int((ident["kind"] == "non-zero fixpoint").all())
    # Robustness
    means = robustness_means(rob)
    tags = {
        ("float32", "text", cfg.eps): "rob",
        ("float32", "text", cfg.eps_keras): "robt4",
        ("float32", "keras", cfg.eps_keras): "robk32",
        ("float32", "keras", cfg.eps): "robk32e5",
        ("float32", "journal", cfg.eps): "robj32",
        ("float64", "text", cfg.eps): "rob64",
        ("float64", "keras", cfg.eps_keras): "robk64",
        (MIXED, "keras", cfg.eps_keras): "robkmix",
    }
    for row in means.itertuples():
        tag = tags.get((row.dtype, row.procedure, row.eps))
        if tag is None:
            continue
        lv = level_key(row.level)
        v[f"{tag}_tverge_{lv}"] = float(row.time_to_vergence)
        v[f"{tag}_tfix_{lv}"] = float(row.time_as_fixpoint)
        v[f"{tag}_zero_{lv}"] = float(row.zero)
        se = row.time_to_vergence_se
        v[f"{tag}_tverge_se_{lv}"] = float(se) if np.isfinite(se) else 0.0
    main = rob[(rob["dtype"] == "float32") & (rob["procedure"] == "text") & (rob["eps"] == cfg.eps)]
    main_means = means[
        (means["dtype"] == "float32") & (means["procedure"] == "text") & (means["eps"] == cfg.eps)
    ]
    v["rob_copies"] = int(cfg.noise_copies)
    v["rob_cap"] = int(cfg.robustness_steps)
    v["rob_verged_frac"] = float((main["outcome"] != "not verged").mean())
    v["rob_zero_frac"] = float((main["outcome"] == "zero").mean())
    v["rob_div_frac"] = float((main["outcome"] == "divergent").mean())
    smallest = main[main["level"] == main["level"].min()]
    v["rob_verged_frac_smallest"] = float((smallest["outcome"] != "not verged").mean())
    v["rob_tverge_max"] = int(main["time_to_vergence"].max())
    if v["rob_verged_frac"] == 1:
        v["rob_verged_text"] = (
            f"Every copy, at every noise level, verges within {cfg.robustness_steps} self-applications "
            f"(the slowest after {v['rob_tverge_max']})"
        )
    else:
        v["rob_verged_text"] = (
            f"{v['rob_verged_frac']:.0%} of the copies verge within {cfg.robustness_steps} self-applications "
            f"({v['rob_verged_frac_smallest']:.0%} of those at the smallest noise level)"
        )
    by_noise = main_means.sort_values("level", ascending=False)  # from the most noise to the least
    for col, key in (("time_to_vergence", "tverge"), ("time_as_fixpoint", "tfix")):
        steps = np.diff(by_noise[col].to_numpy())
        v[f"rob_{key}_decreases"] = int((steps < 0).sum())  # levels where less noise gave a shorter time
        v[f"rob_{key}_falls"] = falls(v[f"rob_{key}_decreases"])
        v[f"rob_{key}_rise"] = float(by_noise[col].iloc[-1] - by_noise[col].iloc[0])
    ones = means[(means["dtype"] == "float32") & (means["procedure"] == "keras")]
    for row in ones.drop_duplicates("level").itertuples():
        v[f"ones_rounded_{level_key(row.level)}"] = float(row.ones_rounded_away)
    # float32 vs float64 at ζ = 1, split by how the copies ended (divergence takes longer in float64)
    for dtype, tag in (("float32", "robk32"), ("float64", "robk64")):
        sub = rob[(rob["dtype"] == dtype) & (rob["procedure"] == "keras") & (rob["eps"] == cfg.eps_keras)]
        sub = sub[sub["level"] == max(cfg.noise_levels)]
        for outcome, key in (("zero", "zero"), ("divergent", "div")):
            part = sub[sub["outcome"] == outcome]["time_to_vergence"]
            if len(part):
                v[f"{tag}_tverge_{key}_0"] = float(part.mean())
    # ε = 1e-5 vs 1e-4 on Fig 2
    a = out[(out["eps"] == cfg.eps)].set_index(["reduction", "replicate", "kind"])["count"]
    b = out[(out["eps"] == cfg.eps_keras)].set_index(["reduction", "replicate", "kind"])["count"]
    changed = int((a - b.reindex(a.index)).abs().sum() // 2)
    v["fig2_eps_changed"] = changed
    # Beside the log
    cmp = compare_with_logged(cfg, traj, out, rnd, rob)
    for row in cmp[cmp["experiment"].isin(["paper Fig 1", "paper Fig 2"])].itertuples():
        red = row.quantity.split(",")[0]
        v[f"cmp_fig{row.experiment[-1]}_{red}_p"] = float(row.p)
    fig3 = cmp[cmp["experiment"] == "paper Fig 3"]
    v["cmp_fig3_within"] = int(fig3["reading"].str.endswith("within 2 combined s.e.").sum())
    v["cmp_fig3_rows"] = len(fig3)
    for red in REDUCTIONS:
        entry = logged(f"fig2_{red}")
        k_log = int(entry.values["divergent"])
        pooled_div = out[(out["eps"] == cfg.eps) & (out["reduction"] == red) & (out["kind"] == "divergent")]
        k, n = int(pooled_div["count"].sum()), cfg.outcome_nets * cfg.outcome_replicates
        v[f"cmp_pool_{red}_p"] = float(fisher_exact([[k, n - k], [k_log, entry.n - k_log]]).pvalue)
    # The authors' logged numbers, for the prose
    for red in cfg.trajectory_reductions:
        entry = logged(f"fig1_{red}")
        v[f"log_fig1_{red}_nets"] = int(entry.n)
        for label, key in KIND_KEYS.items():
            v[f"log_fig1_{red}_{key}"] = int(entry.values[label])
    for red in REDUCTIONS:
        entry = logged(f"fig2_{red}")
        for label, key in KIND_KEYS.items():
            v[f"log_fig2_{red}_{key}"] = int(entry.values[label])
        v[f"log_fig2_{red}_div_frac"] = entry.values["divergent"] / entry.n
    v["log_density_n"] = int(logged("density_weightwise").n)
    v["log_fig2_nets"] = int(logged("fig2_weightwise").n)
    for zeta in cfg.noise_levels:
        lv, label = level_key(zeta), f"{zeta:.0e}"
        v[f"log_fig3_tverge_{lv}"] = float(logged("fig3_time_to_vergence").values[label])
        v[f"log_fig3_tfix_{lv}"] = float(logged("fig3_time_as_fixpoint").values[label])
    # The configuration, for the prose
    v["eps_text"], v["eps_keras_text"] = short_number(cfg.eps), short_number(cfg.eps_keras)
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            v[f"cfg_{f.name}"] = value
    return v


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


# ------------------------------------------------------------------------------------------------
# Claims (paper-spec §13, claims 1–3)
# ------------------------------------------------------------------------------------------------
def _decide_p1(v):
    nonzero, second, other = v["sa_nonzero_total"], v["sa_second_total"], v["sa_other_total"]
    div = {r: v[f"pool_{r}_div_frac"] for r in REDUCTIONS}
    rnn_most = div["recurrent"] > max(div["weightwise"], div["aggregating"])
    text = (
        f"{nonzero} non-zero and {second} second-order fixpoints, {other} 'other' among the "
        f"{v['sa_nets_total']} self-applied nets (each classified at both ε); divergent fraction "
        f"ww {div['weightwise']:.2f}, "
        f"agg {div['aggregating']:.2f}, rnn {div['recurrent']:.2f}"
    )
    if nonzero == 0 and second == 0 and other == 0 and rnn_most:
        return text, "holds"
    if nonzero == 0 and second == 0:
        return text, "partly"
    return text, "differs"


def _decide_p2(v):
    total = v["rand_fixpoints_total"]
    text = (
        f"{total} fixpoints (zero, non-zero or second-order) among {v['rand_n']:,} random nets per reduction"
    )
    return text, "holds" if total == 0 else "differs"


def _decide_p3(v):
    err, verged = v["identity_error_max"], v["rob_verged_frac"]
    d_v, d_f = v["rob_tverge_decreases"], v["rob_tfix_decreases"]
    rise_v, rise_f = v["rob_tverge_rise"], v["rob_tfix_rise"]
    text = (
        f"identity error {err:g}; {verged:.0%} of noisy copies verged within {v['rob_cap']} steps "
        f"(smallest noise: {v['rob_verged_frac_smallest']:.0%}); from ζ = 1 to 1e-9 the mean time to "
        f"vergence rises by {rise_v:.1f} and as fixpoint by {rise_f:.1f} steps; between adjacent levels "
        f"the mean time to vergence {falls(d_v)} and the mean time as fixpoint {falls(d_f)}"
    )
    if err == 0 and verged == 1.0 and d_v == 0 and d_f == 0 and rise_v > 0 and rise_f > 0:
        return text, "holds"
    if err == 0 and verged >= 0.95:
        return text, "partly"
    return text, "differs"


CLAIMS: list[Claim] = [
    Claim(
        "P1",
        CHAPTER,
        "Repeated self-application drives random nets to the zero net or to divergence; no non-zero "
        "fixpoint appears for any reduction, and recurrent nets diverge most (paper Figs 1, 2).",
        "paper Fig 2 log (50 nets, 100 applications): ww 23 div / 27 zero, agg 4 / 46, rnn 46 / 4; "
        "no other kind",
        (
            "sa_nonzero_total",
            "sa_second_total",
            "sa_other_total",
            "sa_nets_total",
            "pool_weightwise_div_frac",
            "pool_aggregating_div_frac",
            "pool_recurrent_div_frac",
        ),
        "holds if every net (all replicates, both ε) is zero or divergent and rnn has the largest "
        "divergent fraction; partly if no non-zero/second-order fixpoint but some other outcome or "
        "another ordering; differs if a non-zero or second-order fixpoint appears",
        _decide_p1,
        {"ci": "holds", "paper": "holds"},
    ),
    Claim(
        "P2",
        CHAPTER,
        "Among 100,000 random nets per reduction none is a fixpoint, so the attraction to 0 comes from "
        "self-application.",
        "none of 100,000 per type (only 100-net trial logs were committed: all 'other')",
        ("rand_fixpoints_total", "rand_n"),
        "holds if no random net is a zero, non-zero or second-order fixpoint at ε = 1e-5 or 1e-4",
        _decide_p2,
        {"ci": "holds", "paper": "holds"},
    ),
    Claim(
        "P3",
        CHAPTER,
        "The hand-built identity net is a non-zero fixpoint of ◁ww but no attractor: noise down to 1e-9 "
        "eventually makes every copy verge, and less noise means a longer time as fixpoint and later "
        "vergence (paper Fig 3).",
        "paper Fig 3 log: mean time to vergence 3.63 (ζ = 1) … 26.45 (ζ = 1e-9); time as fixpoint 0 … 16.47",
        (
            "identity_error_max",
            "rob_verged_frac",
            "rob_verged_frac_smallest",
            "rob_cap",
            "rob_tverge_decreases",
            "rob_tfix_decreases",
            "rob_tverge_rise",
            "rob_tfix_rise",
        ),
        "holds if the identity's error is 0, every copy verges within the cap and both mean times never "
        "fall from one noise level to the next smaller one and rise overall; partly if ≥ 95 % verge",
        _decide_p3,
        {"ci": "holds", "paper": "holds"},
    ),
]
