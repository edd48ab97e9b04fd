"""Chapter 2's sentences whose wording the run decides, and the counts and tests behind them."""

from __future__ import annotations

import pandas as pd

from selfrep.chapters.common import KIND_KEYS
from selfrep.chapters.self_training.config import TINY_GAIN, SelfTrainingConfig
from selfrep.published import PUBLISHED_CONFIGS

# Glued sentences whose wording the run decides; the chapter pastes them as plain prose ({glue:md}).
SENTENCES: tuple[str, ...] = (
    "jpar_reading",
    "fig5_second_population",
    "gd_tiny_gain_reading",
    "act_reading",
    "act_conclusion",
    "gk_div_text",
)


class Prose:
    """A sentence to glue for `{glue:md}`: rendered as ordinary (not bold) text. It carries text/html
    too, so the results reader treats it as a rendered output, not a value (the plain str is glued
    under its own name for that)."""

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise ValueError(f"text: expected a str, got {type(text).__name__}")
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None):
        import html

        return {"text/markdown": self.text, "text/html": html.escape(self.text), "text/plain": self.text}


def md_sentences(values: dict[str, object]) -> dict[str, Prose]:
    """Each sentence of SENTENCES as `{name}_md` (a Prose, for `{glue:md}`), for `glue_all(..., prose=)`;
    the plain text stays a value of its own."""
    return {f"{name}_md": Prose(values[name]) for name in SENTENCES}


def share_text(k: int, n: int) -> str:
    """A share for prose: "k/n" for small n (≤ 10, where a percentage overstates precision), else "x %"."""
    if n < 1:
        raise ValueError(f"n: need at least one net, got {n}")
    return f"{k}/{n}" if n <= 10 else f"{k / n:.0%}"


def _count(frac: float, n: int) -> int:
    return int(round(frac * n))


def _bias_difference_text(v: dict, n: int) -> str:
    """For the linear column of Fig 9: how the aggregating and recurrent nets differ without and with
    bias (per reduction, the kind whose counts differ most, with Fisher's exact test), as a clause
    starting "; " ("" if the counts are equal)."""
    from scipy.stats import fisher_exact

    verbs = {
        "div": "diverge",
        "zero": "end at the zero net",
        "nonzero": "end as non-zero fixpoints",
        "second": "end as second-order fixpoints",
        "other": "end as other",
    }
    parts = []
    for red in ("aggregating", "recurrent"):
        counts = {
            key: tuple(v.get(f"act_linear_{tag}_{red}_{key}") for tag in ("nobias", "bias"))
            for key in KIND_KEYS.values()
        }
        counts = {key: ab for key, ab in counts.items() if None not in ab and ab[0] != ab[1]}
        if not counts:
            continue
        key, (a, b) = max(counts.items(), key=lambda kv: abs(kv[1][0] - kv[1][1]))
        p = float(fisher_exact([[a, n - a], [b, n - b]]).pvalue)
        noise = "beyond sampling noise" if p < 0.05 else "within sampling noise"
        parts.append(
            f"{a} of {n} {red} nets {verbs[key]} without bias and {b} with bias (Fisher p = {p:.2g}, {noise})"
        )
    return "; among the other linear nets, " + "; ".join(parts) if parts else ""


def divergence_text(end: pd.DataFrame) -> str:
    """Where the nets of one panel of the grid (one training, last checkpoint) diverge, for prose:
    "x % diverge (in k of m cells, all with μ 0.9: raw / glorot at lr 0.04 (98 %), ...)", settings that
    every divergent cell shares named once; "none diverge" if no net does."""
    n = int(end["n"].sum())
    k = _count(float((end["div"] * end["n"]).sum()), 1)
    if k == 0:
        return "none diverge"
    cells = end[end["div"] > 0].sort_values("div", ascending=False, kind="stable")
    shared, rest = [], []
    for col, fmt in (("lr", "lr {:g}"), ("momentum", "μ {:g}")):
        values = set(cells[col])
        if len(cells) > 1 and len(values) == 1 and len(set(end[col])) > 1:
            shared.append(fmt.format(cells[col].iloc[0]))
        else:
            rest.append((col, fmt))
    parts = []
    for row in cells.itertuples():
        layout = {"input_major": ", Keras layout", "output_major": ", PyTorch layout"}
        where = f"{row.positions}{layout.get(getattr(row, 'order', ''), '')} / {row.init}"
        if rest:
            where += " at " + ", ".join(fmt.format(getattr(row, col)) for col, fmt in rest)
        parts.append(f"{where} ({share_text(_count(row.div, row.n), row.n)})")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    common = f", all with {' and '.join(shared)}" if shared else ""
    total = share_text(k, n) if k >= 0.01 * n else f"{k} of {n:,} nets"
    return f"{total} diverge (in {len(cells)} of {len(end)} cells{common}: {listed})"


def _texts(
    cfg: SelfTrainingConfig, v: dict, grid: pd.DataFrame, grid_nets: pd.DataFrame
) -> dict[str, object]:
    """Sentences whose wording depends on what this run measured (so the prose cannot outrun the numbers),
    and the counts and tests behind them."""
    from scipy.stats import fisher_exact

    t: dict[str, object] = {}
    # Published grid cells as counts ("2/4" for small n).
    for key in (f"pub_{p.key}" for p in PUBLISHED_CONFIGS):
        if f"{key}_n" not in v:
            continue
        n = v[f"{key}_n"]
        for kind in ("zero", "nonzero", "other"):
            k = _count(v[f"{key}_{kind}"], n)
            t[f"{key}_{kind}_count"] = k
            t[f"{key}_{kind}_text"] = share_text(k, n)
        t[f"{key}_nonzero_first_text"] = share_text(_count(v[f"{key}_nonzero_first"], n), n)
    # What paper Fig 6 measured: decided by parents trained as journal_robustness.py trains them.
    jn, jz, jnz = v["jpar_n"], v["jpar_zero"], v["jpar_nonzero"]
    if jn and jnz / jn >= 0.9:
        t["jpar_reading"] = (
            "almost all of them are non-zero fixpoints, so paper Fig 6 measured noisy copies of non-zero "
            "fixpoints, as the paper says"
        )
    elif jn and jz / jn >= 0.5:
        t["jpar_reading"] = (
            "most of them are zero nets, so paper Fig 6 most likely measured noisy copies of the zero net"
        )
    else:
        t["jpar_reading"] = "too few of them are fixpoints to say what paper Fig 6 measured"
    # Where the Keras epochs' nets diverge (Fig 7, top panel).
    end = grid[grid.groupby("training")["t"].transform("max") == grid["t"]]
    t["gk_div_text"] = divergence_text(end[end["training"] == "Keras epochs"])
    # Fig 5's recurrent nets beside Figure 2.8's linear, bias-free panel (1c).
    same = cfg.activation_nets == cfg.outcome_nets and cfg.activation_epochs == cfg.outcome_epochs
    div = v.get("act_linear_nobias_recurrent_div")
    if div is None:
        t["fig5_second_population"] = ""
    elif same:
        t["fig5_second_population"] = (
            f"A second, independent population with the same settings (the linear, bias-free panel of "
            f"Figure 2.8) has {div} divergent nets of {cfg.activation_nets}."
        )
    else:  # a population trained otherwise has no bearing on this comparison
        t["fig5_second_population"] = ""
    # Fig 8 (1e): nets with a tiny initial gain, PyTorch against glorot initialisation.
    diff = grid_nets[grid_nets["training"] == "full batch, differentiated targets"]
    tiny = diff["a_value_init"].abs() <= TINY_GAIN
    table = []
    for init in ("pytorch", "glorot"):
        sel = diff[tiny & (diff["init"] == init)]
        k = int((sel["kind"] == "zero fixpoint").sum())
        t[f"gd_{init}_tiny_gain_n"], t[f"gd_{init}_tiny_gain_zero_count"] = len(sel), k
        table.append([k, len(sel) - k])
    t["tiny_gain"] = TINY_GAIN
    if all(sum(r) for r in table):
        p = float(fisher_exact(table).pvalue)
        t["gd_tiny_gain_init_p"] = p
        (kp, np_), (kg, ng) = (table[0][0], sum(table[0])), (table[1][0], sum(table[1]))
        counts = f"{kp} of {np_} PyTorch-initialised against {kg} of {ng} glorot-initialised nets end at zero"
        if p < 0.05 and kp / np_ > kg / ng:
            t["gd_tiny_gain_reading"] = (
                f"{counts} (Fisher p = {p:.2g}), so the smaller weights themselves matter too"
            )
        else:
            t["gd_tiny_gain_reading"] = (
                f"{counts}; the difference is within sampling noise at this size (Fisher p = {p:.2g}), so "
                "whether the smaller weights matter beyond the gain stays open"
            )
    else:
        t["gd_tiny_gain_reading"] = "too few nets of one initialisation start with so small a gain to compare"
    # Activations (1b): counts decide only once the linear control reaches fixpoints; else the error medians.
    n_act = cfg.activation_nets
    lin = {b: v.get(f"act_linear_{b}_weightwise_nonzero") for b in ("nobias", "bias")}
    med = {a: v.get(f"act_{a}_nobias_weightwise_error_median") for a in ("linear", "tanh", "relu", "sigmoid")}
    med_bias = v.get("act_linear_bias_weightwise_error_median")
    nonlinear = {a: m for a, m in med.items() if a != "linear" and m is not None}
    errs = ", ".join(f"{m:.2g} ({a})" for a, m in nonlinear.items())
    bias_other = _bias_difference_text(v, n_act)
    if None in lin.values() or med["linear"] is None or not nonlinear:
        t["act_reading"] = "The activation experiment did not run every activation; no reading."
    elif min(lin.values()) >= 0.9 * n_act:
        same = "makes no difference" if lin["nobias"] == lin["bias"] else "makes little difference"
        t["act_reading"] = (
            f"Bias {same} for linear weightwise nets ({lin['nobias']} of {n_act} without and {lin['bias']} "
            f"with bias end as non-zero fixpoints){bias_other}. The activation does: among the "
            f"{v['act_nonlinear_nets']:,} nonlinear nets we find {v['act_nonlinear_fixpoints']} fixpoints of "
            f"any kind. The median fixpoint error of weightwise nets is {med['linear']:.1e} (linear) against "
            f"{errs}."
        )
        t["act_conclusion"] = (
            "With the activation on the output layer, as the published code would have applied it, the "
            'paper\'s "no qualitative difference" does not hold'
        )
    else:
        ratio = min(nonlinear.values()) / max(med["linear"], med_bias or 0.0, 1e-12)
        far = (
            f"every nonlinear median is at least {ratio:.0f} times the linear one"
            if ratio >= 2
            else "the nonlinear medians are not clearly above the linear one"
        )
        t["act_reading"] = (
            f"After {cfg.activation_epochs:,} epochs even the linear control has not reached its fixpoints "
            f"({lin['nobias']} of {n_act} weightwise nets without bias, {lin['bias']} with bias, are "
            f"non-zero fixpoints), so at this scale counting fixpoints cannot separate the activations "
            f"(nor bias from no bias){bias_other}. The median fixpoint error of the weightwise nets can: "
            f"{med['linear']:.1e} (linear, {med_bias:.1e} with bias) against {errs}; {far}."
        )
        verdict = "contradict" if ratio >= 10 else "do not clearly contradict"
        t["act_conclusion"] = (
            f'These errors and the range argument {verdict} the paper\'s "no qualitative difference", '
            "although at this scale the fixpoint counts alone cannot decide it"
        )
    return t
