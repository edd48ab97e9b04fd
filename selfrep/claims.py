"""The claims ledger: each claim of the paper (and of our own chapters) decided by a number a chapter glues.

A claim names the glued values it reads, a human-readable rule, and a `decide` function mapping the chapter's
glued values to (measured text, verdict). The verdict we expect is recorded here, per scale, so that
`selfrep claims --check` fails when the science changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

VERDICTS: tuple[str, ...] = ("holds", "partly", "differs")

Decision = tuple[str, str]  # (measured, as text; verdict)


def verdict(holds: bool, partly: bool = False) -> str:
    """The one ladder every rule ends in: "holds" when `holds`, else "partly" when `partly`, else
    "differs". A rule computes its conditions from the measured numbers and returns
    `(measured text, verdict(cond_holds, cond_partly))`."""
    if holds:
        return "holds"
    return "partly" if partly else "differs"


@dataclass(frozen=True)
class Claim:
    """One claim: what is stated, what the paper reports, and how our glued numbers decide it.

    Attributes:
        id: short stable id ("P1" ... "P14" for the paper's claims, "A1.1" ... "A7.x" for chapter 6).
        chapter: the notebook stem whose glued values decide it.
        statement: the claim, in one sentence.
        paper: the paper's own value or wording.
        uses: names of the glued values `decide` reads.
        rule: how the verdict follows from those values, in words.
        decide: values -> (measured text, verdict in VERDICTS).
        expected: the verdict we recorded, per scale ("ci", "paper"); a string means every scale.
        seed_dependent: per scale, the split of verdicts over seeds that `selfrep sweep` measured
            ({"ci": {"holds": 1, "partly": 2}}), declared for a claim whose verdict is not the
            recorded one for most seeds; `selfrep claims --stability --check` then does not fail it.
        tests: for a rule that is a significance test, the names of the glued z statistics it turns on
            (effect / SE, signed so that z > 2 is the rule's "detectable at 2 SE"). The ledger pools them
            over the book and reports which decisions a Holm correction would change (`multiplicity`).
    """

    id: str
    chapter: str
    statement: str
    paper: str
    uses: tuple[str, ...]
    rule: str
    decide: Callable[[Mapping[str, float]], Decision]
    expected: Mapping[str, str] | str = field(default_factory=dict)
    seed_dependent: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    tests: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tests", tuple(self.tests))
        stray = [t for t in self.tests if t not in self.uses]
        if stray:
            raise ValueError(f"tests: {stray} are not among the glued values the claim uses ({self.uses})")
        if isinstance(self.expected, str):  # one verdict for every scale
            object.__setattr__(self, "expected", {"ci": self.expected, "paper": self.expected})
        for scale, verdict in self.expected.items():
            if verdict not in VERDICTS:
                raise ValueError(f"expected[{scale!r}]: {verdict!r} is not one of {VERDICTS}")
        for scale, split in self.seed_dependent.items():
            ok = isinstance(split, Mapping) and len(split) > 1
            ok = ok and all(v in VERDICTS and isinstance(n, int) and n > 0 for v, n in split.items())
            if not ok:
                raise ValueError(
                    f"seed_dependent[{scale!r}]: expected the measured split of at least two verdicts "
                    f"as {{verdict: seeds}}, e.g. {{'holds': 1, 'partly': 2}}; got {split!r}"
                )


# --------------------------------------------------------------------------------------------------
# Significance at 2 SE, and Holm's correction for many such tests.
# --------------------------------------------------------------------------------------------------


def one_sided_p(z: float) -> float:
    """P(Z > z) for a standard normal Z: the one-sided p-value of a z statistic."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


ALPHA_2SE: float = one_sided_p(2.0)  # 0.0228: the one-sided level of the rules' "> 2 SE"


def holm(zs: Sequence[float], alpha: float = ALPHA_2SE) -> list[bool]:
    """Holm's step-down procedure on one-sided z statistics: which of the tests stay significant at
    family-wise level `alpha` (by default the level of a single "> 2 SE" test). A NaN z is never
    significant and still counts in the family."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha: expected a level in (0, 1), got {alpha!r}")
    m = len(zs)
    ps = [1.0 if z != z else one_sided_p(float(z)) for z in zs]
    keep = [False] * m
    for rank, i in enumerate(sorted(range(m), key=lambda j: ps[j])):
        if ps[i] > alpha / (m - rank):
            break  # step-down: this and every larger p are not significant
        keep[i] = True
    return keep


@dataclass(frozen=True)
class Significance:
    """One significance test a claim's rule turns on: its glued z, one-sided p, and whether it is
    significant at 2 SE on its own (`single`) and after Holm's correction over the whole family (`holm`)."""

    claim: str
    name: str
    z: float
    p: float
    single: bool
    holm: bool

    @property
    def changed(self) -> bool:
        return self.single != self.holm


def multiplicity(
    claims: Iterable[Claim], values_by_chapter: Mapping[str, Mapping[str, object]], alpha: float = ALPHA_2SE
) -> list[Significance]:
    """Every test of every claim in `claims` whose chapter has values, as one Holm family at `alpha`.
    A test whose value is missing or not a number is left out (its claim is then "no measurement")."""
    found: list[tuple[str, str, float]] = []
    for c in claims:
        values = values_by_chapter.get(c.chapter)
        if values is None:
            continue
        for name in c.tests:
            z = values.get(name)
            if isinstance(z, int | float) and not isinstance(z, bool):
                found.append((c.id, name, float(z)))
    keep = holm([z for _, _, z in found], alpha)
    return [
        Significance(cid, name, z, one_sided_p(z) if z == z else 1.0, z == z and one_sided_p(z) <= alpha, k)
        for (cid, name, z), k in zip(found, keep, strict=True)
    ]


def multiplicity_text(rows: Sequence[Significance], family: str = "the family") -> str:
    """One paragraph: how many significance decisions a Holm correction over `family` would change."""
    if not rows:
        return f"No claim of {family} rests on a significance test."
    claims = sorted({r.claim for r in rows}, key=_rows_order(rows))
    single = sum(r.single for r in rows)
    after = sum(r.holm for r in rows)
    changed = [r for r in rows if r.changed]
    decide = "decides" if len(rows) == 1 else "decide"
    own = "is significant on its own" if single == 1 else "are significant on their own"
    text = (
        f"{_count(len(rows), 'significance test')} at 2 SE {decide} {_count(len(claims), 'claim')} of "
        f"{family}; {single} {own}. Holm's correction over all {len(rows)} (family-wise level "
        f"{ALPHA_2SE:.3f}, one-sided) keeps {after}"
    )
    if not changed:
        return text + ", so no decision changes."
    hit = sorted({r.claim for r in changed}, key=_rows_order(rows))
    verb = "changes" if len(changed) == 1 else "change"
    return (
        text + f": {_count(len(changed), 'decision')} {verb}, in {_count(len(hit), 'claim', number=False)} "
        f"{', '.join(hit)} ("
        + "; ".join(f"{r.name}: z = {r.z:+.2f}" for r in changed)
        + "). Verdicts are decided by each claim's own rule; these are the decisions that would not survive "
        "a correction over the whole family."
    )


def _count(n: int, noun: str, number: bool = True) -> str:
    word = noun if n == 1 else noun + "s"
    return f"{n} {word}" if number else word


def _rows_order(rows: Sequence[Significance]):
    """Sort key: claims in the order their tests appear."""
    first = {}
    for i, r in enumerate(rows):
        first.setdefault(r.claim, i)
    return first.__getitem__


# --------------------------------------------------------------------------------------------------
# One-line constructors for the usual rules.
#
#   at_least("P4", "02_self_training", "Weightwise self-training yields non-zero fixpoints.",
#            paper="50/50 nets", value="ww_fixpoint_frac", holds=0.95, partly=0.5, expected="holds")
#   at_most("P14", "05_soups", "No second-order fixpoint is ever found.", paper="none",
#           value="n_second_order", holds=0, expected="holds")
#   near("P8", "03_weight_space", "...", paper="1e-7", value="log10_border", target=-7,
#        holds=0.5, partly=1.0, expected={"ci": "partly", "paper": "holds"})
#
# `value` is the name of one glued number, or a function of the chapter's glued values
# (then `uses` lists the names it reads and `label` names the derived quantity), e.g.
#   at_most("C1.1", ..., value=lambda v: abs(v["re_acc"] - v["rs_acc"]) / v["seed_sd"],
#           uses=("re_acc", "rs_acc", "seed_sd"), label="|RE-RS|/SD", holds=1, partly=2, ...)
# A NaN value is reported and decides "differs".
# --------------------------------------------------------------------------------------------------

ValueSpec = str | Callable[[Mapping[str, float]], float]


def _getter(value: ValueSpec, uses: tuple[str, ...], label: str | None):
    if isinstance(value, str):
        return (
            (lambda v: float(v[value])),
            (value, *[u for u in uses if u != value]),
            label or value,
        )
    if not callable(value):
        raise ValueError(f"value: expected a glued name or a function of the values, got {value!r}")
    if not uses:
        raise ValueError("uses: a derived value needs the names of the glued values it reads")
    return (lambda v: float(value(v))), tuple(uses), label or "value"


def _number(x: float, fmt: str) -> str:
    return format(x, fmt)


def _threshold(
    kind: str,
    id: str,
    chapter: str,
    statement: str,
    paper: str,
    value: ValueSpec,
    *,
    holds: float,
    partly: float | None,
    expected: Mapping[str, str] | str,
    uses: tuple[str, ...],
    label: str | None,
    fmt: str,
    target: float | None = None,
    seed_dependent: Mapping[str, Mapping[str, int]] | None = None,
) -> Claim:
    get, uses_t, label_t = _getter(value, tuple(uses), label)
    if kind == "near":
        if target is None:
            raise ValueError("target: near() needs the target value")
        quantity = f"|{label_t} - {_number(target, fmt)}|"
    else:
        quantity = label_t
    op = "≥" if kind == "at_least" else "≤"
    if partly is not None:
        bad = partly > holds if kind == "at_least" else partly < holds
        if bad:
            raise ValueError(f"partly: {partly} is stricter than holds={holds} for {kind}()")
    rule = f"holds if {quantity} {op} {_number(holds, fmt)}"
    if partly is not None:
        rule += f"; partly if {op} {_number(partly, fmt)}"
    rule += "; otherwise differs"

    def decide(values: Mapping[str, float]) -> Decision:
        x = get(values)
        q = abs(x - target) if kind == "near" else x
        measured = f"{label_t} = {_number(x, fmt)}"
        if kind == "near":
            measured += f" (|Δ| = {_number(q, fmt)})"
        if q != q:  # NaN
            return measured, "differs"

        def passes(limit: float) -> bool:
            return q >= limit if kind == "at_least" else q <= limit

        return measured, verdict(passes(holds), partly is not None and passes(partly))

    return Claim(
        id=id,
        chapter=chapter,
        statement=statement,
        paper=paper,
        uses=uses_t,
        rule=rule,
        decide=decide,
        expected=expected,
        seed_dependent=seed_dependent or {},
    )


def at_least(
    id: str,
    chapter: str,
    statement: str,
    paper: str,
    value: ValueSpec,
    *,
    holds: float,
    partly: float | None = None,
    expected: Mapping[str, str] | str,
    uses: tuple[str, ...] = (),
    label: str | None = None,
    fmt: str = ".3g",
    seed_dependent: Mapping[str, Mapping[str, int]] | None = None,
) -> Claim:
    """Holds when the value is ≥ `holds`, is partly true when ≥ `partly`, else differs."""
    return _threshold(
        "at_least",
        id,
        chapter,
        statement,
        paper,
        value,
        holds=holds,
        partly=partly,
        expected=expected,
        uses=uses,
        label=label,
        fmt=fmt,
        seed_dependent=seed_dependent,
    )


def at_most(
    id: str,
    chapter: str,
    statement: str,
    paper: str,
    value: ValueSpec,
    *,
    holds: float,
    partly: float | None = None,
    expected: Mapping[str, str] | str,
    uses: tuple[str, ...] = (),
    label: str | None = None,
    fmt: str = ".3g",
    seed_dependent: Mapping[str, Mapping[str, int]] | None = None,
) -> Claim:
    """Holds when the value is ≤ `holds`, is partly true when ≤ `partly`, else differs."""
    return _threshold(
        "at_most",
        id,
        chapter,
        statement,
        paper,
        value,
        holds=holds,
        partly=partly,
        expected=expected,
        uses=uses,
        label=label,
        fmt=fmt,
        seed_dependent=seed_dependent,
    )


def near(
    id: str,
    chapter: str,
    statement: str,
    paper: str,
    value: ValueSpec,
    *,
    target: float,
    holds: float,
    partly: float | None = None,
    expected: Mapping[str, str] | str,
    uses: tuple[str, ...] = (),
    label: str | None = None,
    fmt: str = ".3g",
    seed_dependent: Mapping[str, Mapping[str, int]] | None = None,
) -> Claim:
    """Holds when |value - target| ≤ `holds`, is partly true when ≤ `partly`, else differs."""
    return _threshold(
        "near",
        id,
        chapter,
        statement,
        paper,
        value,
        holds=holds,
        partly=partly,
        expected=expected,
        uses=uses,
        label=label,
        fmt=fmt,
        target=target,
        seed_dependent=seed_dependent,
    )


# --------------------------------------------------------------------------------------------------
# Deciding the claims from results files.
# --------------------------------------------------------------------------------------------------

STATUSES: tuple[str, ...] = (
    "ok",
    "mismatch",
    "not run",
    "no measurement",
    "no expectation",
    "error",
)


@dataclass(frozen=True)
class Assessment:
    """A claim decided (or not) by the results of its chapter.

    status: "ok" (verdict == expected), "mismatch", "not run" (no results for its chapter),
    "no measurement" (a value it uses was not glued, or is not a number), "no expectation"
    (nothing recorded for this scale), "error" (decide raised or returned a bad verdict).
    """

    claim: Claim
    scale: str | None
    measured: str
    verdict: str | None
    expected: str | None
    status: str

    @property
    def failed(self) -> bool:
        """True when `selfrep claims --check` must fail because of this claim."""
        return self.status not in ("ok", "not run")

    def as_dict(self) -> dict[str, object]:
        c = self.claim
        return {
            "id": c.id,
            "chapter": c.chapter,
            "statement": c.statement,
            "paper": c.paper,
            "measured": self.measured,
            "verdict": self.verdict,
            "expected": self.expected,
            "scale": self.scale,
            "status": self.status,
            "rule": c.rule,
            "expected_by_scale": dict(c.expected),
            "seed_dependent": {k: dict(v) for k, v in c.seed_dependent.items()},
        }


def claims_frame(claims: Iterable[Claim], values: Mapping[str, object], scale: str | None = None):
    """A chapter's claims decided on its glued `values`, as a DataFrame: index `id`; columns claim,
    paper, measured, verdict, rule (how the verdict follows from the numbers), and `expected` (the
    verdict recorded for `scale`, which `selfrep claims --check` compares against) when a scale is
    given. Claims whose values are not all present are left out. Each claim is decided by `assess`, the
    one function behind this table, `selfrep claims` and the reproducibility page."""
    import pandas as pd

    cols = ["id", "claim", "paper", "measured", "verdict", "rule"] + (["expected"] if scale else [])
    rows = []
    for c in claims:
        if not all(u in values for u in c.uses):
            continue
        a = assess(c, {"scale": scale or "", "values": values})
        row = {
            "id": c.id,
            "claim": c.statement,
            "paper": c.paper,
            "measured": a.measured,
            "verdict": a.verdict or "—",
            "rule": c.rule,
        }
        if scale:
            row["expected"] = expected_text(c, scale)
        rows.append(row)
    return pd.DataFrame(rows, columns=cols).set_index("id")


def expected_text(claim: Claim, scale: str) -> str:
    """The verdict recorded for `scale`, and beside it every other scale's where it differs ("partly
    (paper: holds)"), so that a page built at one scale shows a scale-dependent claim as such."""
    own = claim.expected.get(scale, "")
    others = [f"{s}: {v}" for s, v in claim.expected.items() if s != scale and v != own]
    return own + (f" ({'; '.join(others)})" if others else "")


def claims_table(claims: Iterable[Claim], values: Mapping[str, object], scale: str | None = None):
    """`claims_frame` styled for a chapter page: full text, wrapped and left-aligned, in a smaller font so
    that the seven columns fit a printed page without breaking words into pieces."""
    from selfrep.plotting.tables import table

    frame = claims_frame(claims, values, scale)
    # `seeds`: a placeholder per claim that `selfrep build` fills with the verdicts over the seeds of
    # `selfrep sweep` (selfrep.book.stability.fill_seed_cells), so that it is never older than the sweep.
    frame.insert(frame.columns.get_loc("verdict") + 1, "seeds", [seeds_placeholder(i) for i in frame.index])
    # ids such as "P14.3" and the one-word columns wide enough for their header, also in print
    # (at 0.8em a 7 % column holds "P14.3" and 8 % "seeds" on one line; 12 % holds "expected" and a
    # two-scale record such as "partly (paper: holds)" on two)
    widths = {"id": "7%", "claim": "19%", "paper": "13%", "measured": "20%", "verdict": "9%", "seeds": "8%"}
    widths["rule"] = "24%"
    if "expected" in frame.columns:
        widths.update(claim="16%", paper="12%", measured="18%", rule="18%", expected="12%")
    return table(frame.reset_index(), index=False, widths=widths, font_size="0.8em")


SEEDS_CELL = '<span class="selfrep-seeds" data-claim="{id}">{text}</span>'


def seeds_placeholder(claim_id: str) -> str:
    """The `seeds` cell of a chapter's claims table before the site is built: '—' (not swept)."""
    return SEEDS_CELL.format(id=claim_id, text="—")


def _is_number(x: object) -> bool:
    return isinstance(x, int | float)


def assess(claim: Claim, result: Mapping[str, object] | None) -> Assessment:
    """Decide one claim from its chapter's results (None when the chapter was not run)."""
    if result is None:
        return Assessment(claim, None, "—", None, None, "not run")
    scale = str(result["scale"])
    values = result["values"]
    assert isinstance(values, Mapping)
    expected = claim.expected.get(scale)
    missing = [u for u in claim.uses if u not in values]
    not_numbers = [u for u in claim.uses if u in values and not _is_number(values[u])]
    if missing or not_numbers:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if not_numbers:
            parts.append("not a number: " + ", ".join(not_numbers))
        return Assessment(claim, scale, "; ".join(parts), None, expected, "no measurement")
    try:
        measured, verdict = claim.decide(values)  # type: ignore[arg-type]
    except Exception as exc:  # a broken rule is reported, not a crash of the whole ledger
        return Assessment(
            claim, scale, f"decide failed: {type(exc).__name__}: {exc}", None, expected, "error"
        )
    if verdict not in VERDICTS:
        return Assessment(claim, scale, f"{measured} (bad verdict {verdict!r})", None, expected, "error")
    if expected is None:
        status = "no expectation"
    else:
        status = "ok" if verdict == expected else "mismatch"
    return Assessment(claim, scale, str(measured), verdict, expected, status)
