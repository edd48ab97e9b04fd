"""The reproducibility page: book/reproducibility.md is a template whose marker is filled from the
results files (claims and their verdicts, seed stability, chapters, environment) when the site is built."""

from __future__ import annotations

import datetime as _dt
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from selfrep.book.layout import REPORT_STEM, Layout, chapter_stems
from selfrep.book.results import backend_summary
from selfrep.files import write_atomic

REPORT_MARKER = "<!-- selfrep:report -->"


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _claim_anchor(claim_id: str) -> str:
    """A MyST target name for a claim id ("A1.4" -> "claim-a1-4")."""
    return "claim-" + "".join(ch if ch.isalnum() else "-" for ch in claim_id.lower())


def _md_table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _when(iso: object) -> str:
    """'2025-01-31T12:00:00+00:00' -> '2025-01-31 12:00 UTC'."""
    if not iso:
        return "—"
    try:
        t = _dt.datetime.fromisoformat(str(iso)).astimezone(_dt.UTC)
    except ValueError:
        return str(iso)
    return t.strftime("%Y-%m-%d %H:%M UTC")


def stability_markdown(sweeps: Mapping[str, Mapping[str, Any]]) -> str:
    """The 'Seed stability' section of the reproducibility page, from `_build/sweeps/<scale>.json`."""
    from selfrep.book import stability as st

    out = ["\n## Seed stability\n"]
    if not sweeps:
        out.append(
            "No seed sweep has been run (`selfrep sweep --seeds 0-2 --scale ci`): every verdict above "
            "comes from one seed, and nothing here says whether another seed would give the same."
        )
        return "\n".join(out)
    for scale, sweep in sweeps.items():
        seeds = sweep["seeds"]
        claims = sweep["claims"]
        varies = [cid for cid, e in claims.items() if not st.unanimous(e)]
        out.append(
            f"A sweep at scale **{scale}** over **{len(seeds)}** seed(s) ({', '.join(map(str, seeds))}), "
            f"written {_when(sweep.get('created_at'))} by `selfrep sweep` on {sweep.get('workers', '?')}: "
            f"{len(claims) - len(varies)} of {len(claims)} claims give the same verdict for every seed"
            + (f"; ⚠ marks the {len(varies)} that do not ({', '.join(varies)})." if varies else ".")
        )
        out.append("")
        out.append(_md_table(st.ROW_HEADER, st.rows(sweep, "⚠ ")))
        out.append("")
    out.append(
        "*over seeds*: how many seeds gave each verdict; *median [min, max]*: the glued values the claim "
        "reads, across the seeds. `selfrep claims --stability --check` fails when a recorded verdict appears "
        "for fewer than two thirds of the seeds and the claim's record does not declare it seed-dependent "
        "(with the split measured, shown in its own column)."
    )
    return "\n".join(out)


def report_markdown(
    results: Mapping[str, Mapping[str, Any]],
    chapters: list[str],
    sweeps: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """The generated part of the reproducibility page, from results files (and sweep files) only."""
    from selfrep.book.ledger import assess_all, check_column
    from selfrep.chapters import all_claims

    present = [c for c in chapters if c in results]
    if not present:
        return "No chapter has been executed yet (`selfrep run`), so there is nothing to report.\n"
    out: list[str] = []
    scales = sorted({str(results[c]["scale"]) for c in present})
    seeds = sorted({int(results[c]["seed"]) for c in present})
    when = max((str(results[c].get("executed_at", "")) for c in present), default="")
    out.append(
        f"This page was generated from {len(present)} results file(s) in `_build/results/`, "
        f"scale **{', '.join(scales) or '—'}**, seed(s) **{', '.join(map(str, seeds)) or '—'}**"
        + (f", last chapter executed {_when(when)}." if when else ".")
    )
    if len(scales) > 1:
        out.append("\n```{warning}\nThe chapters were executed at different scales.\n```")
    missing = [c for c in chapters if c not in results]
    if missing:
        out.append(f"\nNo results for: {', '.join(missing)}.")

    out.append("\n## Claims\n")
    assessments = assess_all({c: results[c] for c in present}, all_claims())
    if assessments:
        # A narrow summary (fits the page column), then each claim in full as a list item: an
        # 8-column table of long texts is wider than the page and hides its verdicts off-screen.
        out.append(
            _md_table(
                ["id", "chapter", "verdict", "recorded", "check"],
                [
                    [f"{{ref}}`{a.claim.id} <{_claim_anchor(a.claim.id)}>`", a.claim.chapter]
                    + [a.verdict or "—", a.expected or "—", check_column(a)]
                    for a in assessments
                ],
            )
        )
        out.append(
            "\nEach verdict is computed from the glued values by the rule recorded with the "
            "claim in `selfrep` (`selfrep claims` prints the same table; `--check` fails "
            "when a verdict differs from the recorded one). *recorded* is the verdict recorded for "
            "this scale when the claim was last measured: a regression record, not a prediction."
        )
        from selfrep.book.ledger import book_multiplicity
        from selfrep.claims import expected_text, multiplicity_text

        tests = book_multiplicity({c: results[c] for c in present})
        out.append("\n### Multiplicity\n")
        out.append(
            "Many verdicts rest on a test at 2 SE (one-sided level 0.023), each on its own. "
            + multiplicity_text(tests, "the book")
        )
        if tests:
            out.append("")
            out.append(
                _md_table(
                    ["claim", "test", "z", "p (one-sided)", "at 2 SE", "after Holm"],
                    [
                        [r.claim, f"`{r.name}`", f"{r.z:+.2f}", f"{r.p:.2g}"]
                        + ["significant" if x else "—" for x in (r.single, r.holm)]
                        for r in tests
                    ],
                )
            )
        out.append("\n### Each claim\n")
        for a in assessments:
            c = a.claim
            out.append(
                f"({_claim_anchor(c.id)})=\n**{c.id}** ({c.chapter}): {_md_cell(c.statement)}\n"
                f"- *paper*: {_md_cell(c.paper)}\n"
                f"- *measured*: {_md_cell(a.measured)}\n"
                f"- *verdict*: **{a.verdict or '—'}** (recorded: "
                f"{expected_text(c, a.scale) if a.scale else '—'}; {check_column(a)})\n"
                f"- *rule*: {_md_cell(c.rule)}\n"
            )
    else:
        out.append("No claims are registered yet.")
    out.append(stability_markdown(sweeps or {}))

    out.append("\n## Chapters\n")
    out.append(
        _md_table(
            [
                "chapter",
                "scale",
                "seed",
                "wall time (s)",
                "kernel CPU (s)",
                "glued values",
                "figures",
                "backend",
                "executed",
                "commit",
            ],
            [
                [
                    c,
                    results[c]["scale"],
                    results[c]["seed"],
                    f"{float(results[c]['wall_s']):.1f}",
                    (f"{float(results[c]['cpu_s']):.1f}" if "cpu_s" in results[c] else "—"),
                    len(results[c]["values"]),
                    results[c].get("figures", "—"),
                    backend_summary(results[c].get("backends", [])),
                    _when(results[c].get("executed_at")),
                    results[c].get("commit") or "—",
                ]
                for c in present
            ],
        )
    )
    total = sum(float(results[c]["wall_s"]) for c in present)
    out.append(f"\nTotal execution wall time: {total:.1f} s.")
    out.append(
        "\n*backend*: which operator backend the chapter's population operators ran on: `compiled` "
        "(the fused native kernels of `selfrep.kernels`) or `eager` (batched torch operations), and, "
        "where a chapter asked for one backend and got the other, why; — where it used none."
    )

    out.append("\n## Environment\n")
    pkgs: dict[str, set[str]] = {}
    for c in present:
        for k, v in results[c]["versions"].items():
            pkgs.setdefault(k, set()).add(str(v))
    out.append(_md_table(["package", "version"], [[k, " / ".join(sorted(v))] for k, v in pkgs.items()]))
    envs: dict[str, set[str]] = {}
    for c in present:
        for k, v in (results[c].get("environment") or {}).items():
            envs.setdefault(k, set()).add("unset" if v is None else str(v))
    if envs:
        out.append("")
        out.append(_md_table(["setting", "value"], [[k, " / ".join(sorted(v))] for k, v in envs.items()]))
    return "\n".join(out) + "\n"


def source_commit(root: Path) -> str | None:
    """Short git commit of `root` (noting uncommitted changes to tracked files), or None."""
    git = shutil.which("git")
    if git is None:
        return None
    head = subprocess.run([git, "rev-parse", "--short=12", "HEAD"], cwd=root, text=True, capture_output=True)
    if head.returncode != 0:
        return None
    dirty = subprocess.run(
        [git, "status", "--porcelain", "--untracked-files=no"],
        cwd=root,
        text=True,
        capture_output=True,
    ).stdout.strip()
    return f"`{head.stdout.strip()}`" + (" (with uncommitted changes)" if dirty else "")


def write_report(layout: Layout) -> Path | None:
    """Fill the marker of book/reproducibility.md from the results files, into the staging dir."""
    from selfrep.book.results import load_results

    src = layout.book / f"{REPORT_STEM}.md"
    if not src.is_file():
        return None
    template = src.read_text(encoding="utf-8")
    if REPORT_MARKER not in template:
        raise ValueError(f"report: {src} lacks the marker {REPORT_MARKER}")
    chapters = chapter_stems(layout.book)
    try:
        results = load_results(layout.results)
    except FileNotFoundError:
        results = {}
    from selfrep.book.stability import load_sweeps

    sweeps = load_sweeps(layout.build / "sweeps")
    text = template.replace(REPORT_MARKER, report_markdown(results, chapters, sweeps))
    commit = source_commit(layout.root)
    if commit:
        text += f"\nThe site was built from commit {commit} of the repository.\n"
    dst = layout.executed_book / src.name
    write_atomic(dst, text)
    return dst
