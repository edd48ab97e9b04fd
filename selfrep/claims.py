"""The claims ledger: each claim of the paper (and of our own chapters) decided by a number a chapter glues.

A claim names the glued values it reads, a human-readable rule, and a `decide` function mapping the chapter's
glued values to (measured text, verdict). The verdict we expect is recorded here, per scale, so that
`selfrep claims --check` fails when the science changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

VERDICTS: tuple[str, ...] = ("holds", "partly", "differs")

Decision = tuple[str, str]  # (measured, as text; verdict)


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

    def __post_init__(self) -> None:
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


def all_claims() -> list[Claim]:
    """Every registered claim, from every chapter module in `selfrep.chapters.CHAPTERS`."""
    from selfrep.chapters import CHAPTERS, chapter_module

    claims: list[Claim] = []
    for chapter in CHAPTERS:
        claims.extend(getattr(chapter_module(chapter), "CLAIMS", []))
    ids = [c.id for c in claims]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"claims: duplicate claim ids {dup}")
    return claims


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

        if passes(holds):
            return measured, "holds"
        if partly is not None and passes(partly):
            return measured, "partly"
        return measured, "differs"

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
        }


def claims_frame(claims: Iterable[Claim], values: Mapping[str, object], scale: str | None = None):
    """A chapter's claims decided on its glued `values`, as a DataFrame: index `id`; columns claim,
    paper, measured, verdict, rule (how the verdict follows from the numbers), and `expected` (the
    verdict recorded for `scale`, which `selfrep claims --check` compares against) when a scale is
    given. Claims whose values are not all present are left out."""
    import pandas as pd

    cols = ["id", "claim", "paper", "measured", "verdict", "rule"] + (["expected"] if scale else [])
    rows = []
    for c in claims:
        if not all(u in values for u in c.uses):
            continue
        measured, verdict = c.decide(values)
        row = {
            "id": c.id,
            "claim": c.statement,
            "paper": c.paper,
            "measured": measured,
            "verdict": verdict,
            "rule": c.rule,
        }
        if scale:
            row["expected"] = c.expected.get(scale, "")
        rows.append(row)
    return pd.DataFrame(rows, columns=cols).set_index("id")


def claims_table(claims: Iterable[Claim], values: Mapping[str, object], scale: str | None = None):
    """`claims_frame` styled for a chapter page: full text, wrapped and left-aligned, in a smaller font so
    that the seven columns fit a printed page without breaking words into pieces."""
    from selfrep.display import table

    frame = claims_frame(claims, values, scale)
    # `seeds`: a placeholder per claim that `selfrep build` fills with the verdicts over the seeds of
    # `selfrep sweep` (selfrep.stability.fill_seed_cells), so that it is never older than the sweep.
    frame.insert(frame.columns.get_loc("verdict") + 1, "seeds", [seeds_placeholder(i) for i in frame.index])
    # ids such as "P14.3" and the one-word columns wide enough for their header, also in print
    widths = {"id": "6%", "claim": "20%", "paper": "14%", "measured": "20%", "verdict": "10%", "seeds": "8%"}
    widths["rule"] = "22%"
    if "expected" in frame.columns:
        widths.update(claim="18%", paper="12%", measured="19%", rule="17%", expected="10%")
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


def assess_all(
    results: Mapping[str, Mapping[str, object]],
    claims: list[Claim] | None = None,
    scale: str | None = None,
) -> list[Assessment]:
    """Assess every claim against `results` ({chapter: results dict}).

    With `scale`, every result a claim reads must be at that scale (ValueError naming the chapter).
    """
    claims = all_claims() if claims is None else claims
    if scale is not None:
        from selfrep.scales import check_scale

        check_scale(scale)
        for chapter in sorted({c.chapter for c in claims}):
            r = results.get(chapter)
            if r is not None and r["scale"] != scale:
                raise ValueError(
                    f"scale: results of chapter {chapter!r} are at scale {r['scale']!r}, not "
                    f"{scale!r} (run `selfrep run {chapter} --scale {scale}`)"
                )
    return [assess(c, results.get(c.chapter)) for c in claims]


# --------------------------------------------------------------------------------------------------
# `selfrep claims`
# --------------------------------------------------------------------------------------------------

DEFAULT_RESULTS_DIR = "_build/results"
DEFAULT_SWEEPS_DIR = "_build/sweeps"


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def format_table(rows: list[list[str]], header: list[str], widths: list[int]) -> str:
    """A plain-text table with wrapped cells (`widths` per column)."""

    def render(cells: list[str]) -> list[str]:
        wrapped = [_wrap(c, w) for c, w in zip(cells, widths, strict=True)]
        height = max(len(w) for w in wrapped)
        return [
            "  ".join(
                (w[i] if i < len(w) else "").ljust(width) for w, width in zip(wrapped, widths, strict=True)
            ).rstrip()
            for i in range(height)
        ]

    lines = render(header)
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.extend(render(row))
    return "\n".join(lines)


def check_column(a: Assessment) -> str:
    if a.status == "mismatch":
        return f"MISMATCH (expected {a.expected})"
    if a.status == "no expectation":
        return f"no expected verdict for {a.scale}"
    return a.status.upper() if a.failed else a.status


def _cmd_claims(args) -> int:
    import json
    import sys

    from selfrep.results import load_results

    if args.stability:
        return _cmd_stability(args)
    results = load_results(args.results)
    assessments = assess_all(results, scale=args.scale)
    if args.json:
        print(json.dumps([a.as_dict() for a in assessments], indent=2, ensure_ascii=False))
    elif not assessments:
        print("no claims registered (selfrep.chapters.CHAPTERS modules define CLAIMS)")
    else:
        header = ["id", "chapter", "statement", "paper", "measured", "verdict", "check"]
        rows = [
            [
                a.claim.id,
                a.claim.chapter,
                a.claim.statement,
                a.claim.paper,
                a.measured,
                a.verdict or "—",
                check_column(a),
            ]
            for a in assessments
        ]
        print(format_table(rows, header, [6, 18, 44, 22, 26, 8, 20]))
    if args.check:
        failed = [a for a in assessments if a.failed]
        checked = sum(a.status != "not run" for a in assessments)
        for a in failed:
            print(
                f"claims: {a.claim.id} ({a.claim.chapter}): {check_column(a)}; measured {a.measured}",
                file=sys.stderr,
            )
        print(
            f"claims: {checked} checked, {checked - len(failed)} as recorded, {len(failed)} "
            f"failed, {len(assessments) - checked} not run",
            file=sys.stderr,
        )
        return 1 if failed else 0
    return 0


def _cmd_stability(args) -> int:
    """`selfrep claims --stability [--scale S] [--check]`: the verdicts over the seeds of `selfrep sweep`."""
    import sys

    from selfrep import stability as st

    sweeps = st.load_sweeps(args.sweeps)
    if args.scale is not None:
        from selfrep.scales import check_scale

        check_scale(args.scale)
        sweeps = {k: v for k, v in sweeps.items() if k == args.scale}
    if not sweeps:
        at = f" at scale {args.scale}" if args.scale else ""
        raise FileNotFoundError(
            f"stability: no sweep{at} in {args.sweeps} (run `selfrep sweep --seeds 0-2 --scale "
            f"{args.scale or 'ci'}`)"
        )
    failed: list[str] = []
    for scale, sweep in sweeps.items():
        seeds = sweep["seeds"]
        print(
            f"scale {scale}: {len(seeds)} seed(s) ({', '.join(map(str, seeds))}), sweep of "
            f"{sweep.get('created_at', '?')} on {sweep.get('workers', '?')}"
        )
        print(format_table(st.rows(sweep, "VARIES: "), st.ROW_HEADER, [6, 18, 8, 32, 18, 44]))
        print()
        if args.check:
            failed += [f"claims: stability at {scale}: {line}" for line in st.failures(sweep)]
            for line in st.declared_drift(sweep):
                print(f"claims: note: stability at {scale}: {line}", file=sys.stderr)
    if args.check:
        for line in failed:
            print(line, file=sys.stderr)
        n = sum(len(s["claims"]) for s in sweeps.values())
        print(f"claims: stability: {n} checked, {len(failed)} failed", file=sys.stderr)
        return 1 if failed else 0
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "claims",
        help="the claims ledger: the paper's claims decided by the numbers the chapters glued",
        description="Print every registered claim with the number that decides it, read from the "
        "results files that `selfrep run` writes.",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list of {id, chapter, statement, paper, measured, verdict, ...}",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a verdict differs from the recorded one, or a claim of a chapter "
        "that was run has no measurement",
    )
    p.add_argument(
        "--scale",
        default=None,
        help="require every result a claim reads to be at this scale (ci or paper)",
    )
    p.add_argument(
        "--results",
        default=DEFAULT_RESULTS_DIR,
        metavar="DIR",
        help=f"folder of <chapter>.json results files (default {DEFAULT_RESULTS_DIR})",
    )
    p.add_argument(
        "--stability",
        action="store_true",
        help="print each claim's verdicts over the seeds of `selfrep sweep` (_build/sweeps/<scale>.json); "
        "with --check, exit 1 when a recorded verdict appears for fewer than 2 of 3 seeds and the claim "
        "is not declared seed-dependent",
    )
    p.add_argument(
        "--sweeps",
        default=DEFAULT_SWEEPS_DIR,
        metavar="DIR",
        help=f"folder of <scale>.json sweep files (default {DEFAULT_SWEEPS_DIR})",
    )
    p.set_defaults(func=_cmd_claims)
