"""The claims ledger as a command: `selfrep claims` decides every registered claim (chapters.all_claims) on
the results files that `selfrep run` writes, prints them, and with --check fails when a verdict is not the
recorded one; --stability reads the seed sweeps of `selfrep sweep`."""

from __future__ import annotations

from collections.abc import Mapping

from selfrep.chapters import all_claims, check_scale
from selfrep.claims import Assessment, Claim, Significance, assess, multiplicity


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
        check_scale(scale)
        for chapter in sorted({c.chapter for c in claims}):
            r = results.get(chapter)
            if r is not None and r["scale"] != scale:
                raise ValueError(
                    f"scale: results of chapter {chapter!r} are at scale {r['scale']!r}, not "
                    f"{scale!r} (run `selfrep run {chapter} --scale {scale}`)"
                )
    return [assess(c, results.get(c.chapter)) for c in claims]


def book_multiplicity(results: Mapping[str, Mapping[str, object]], claims: list[Claim] | None = None):
    """The significance tests of every claim whose chapter has results, as one Holm family."""
    claims = all_claims() if claims is None else claims
    return multiplicity(claims, {ch: r["values"] for ch, r in results.items()})  # type: ignore[misc]


def _tests_json(rows: list[Significance], claim_id: str) -> list[dict[str, object]]:
    return [
        {"name": r.name, "z": r.z, "p": r.p, "significant_2se": r.single, "significant_holm": r.holm}
        for r in rows
        if r.claim == claim_id
    ]


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

    from selfrep.book.results import load_results

    if args.stability:
        return _cmd_stability(args)
    from selfrep.claims import multiplicity_text

    results = load_results(args.results)
    assessments = assess_all(results, scale=args.scale)
    tests = book_multiplicity(results)
    if args.json:
        rows = [{**a.as_dict(), "tests": _tests_json(tests, a.claim.id)} for a in assessments]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
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
        print()
        print(multiplicity_text(tests, "the chapters run"))
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

    from selfrep.book import stability as st

    sweeps = st.load_sweeps(args.sweeps)
    if args.scale is not None:
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
