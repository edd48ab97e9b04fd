"""Seed stability of the claims' verdicts: what `selfrep sweep` measured over many seeds.

`_build/sweeps/<scale>.json` (written by `selfrep sweep`, read by `selfrep claims --stability`, the
reproducibility page and the chapters' claims tables):

    format       1
    scale        "ci" or "paper"
    seeds        [0, 1, 2, ...]: the seeds of the sweep (every task of every chapter succeeded)
    chapters     the notebook stems swept
    created_at   UTC time the file was written (ISO 8601)
    wall_s       wall time of the sweep that wrote it (tasks already cached took no time)
    workers      "LocalCluster of N processes" or the scheduler's address
    tasks        {chapter: {seed: {status, wall_s, cache_key}}}; status executed | cached | reused
    claims       {id: {chapter, recorded, seed_dependent, by_seed: {seed: verdict | null},
                       counts: {verdict: n}, values: {glued name: {median, min, max}}}}

A verdict of null is a seed whose results could not decide the claim (a missing value, a failing
rule): it counts under "no verdict". This module is light on purpose (no dask, no papermill).
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from selfrep.chapters import all_claims
from selfrep.claims import VERDICTS, Claim, assess

FORMAT = 1
NO_VERDICT = "no verdict"
MIN_SHARE = 2 / 3  # the recorded verdict must appear for at least this share of the seeds


def sweep_path(sweeps_dir: str | Path, scale: str) -> Path:
    return Path(sweeps_dir) / f"{scale}.json"


def _spread(xs: Sequence[float]) -> dict[str, float]:
    finite = [x for x in xs if not math.isnan(x)]
    if not finite:
        return {"median": math.nan, "min": math.nan, "max": math.nan}
    return {"median": statistics.median(finite), "min": min(finite), "max": max(finite)}


def summarize(
    results_by_seed: Mapping[int, Mapping[str, Mapping[str, Any]]],
    scale: str,
    claims: Sequence[Claim] | None = None,
) -> dict[str, dict[str, Any]]:
    """{claim id: entry} (see the module docstring) from {seed: {chapter: results dict}}.

    Only claims whose chapter has results for every seed are summarized."""
    claims = all_claims() if claims is None else list(claims)
    seeds = sorted(results_by_seed)
    out: dict[str, dict[str, Any]] = {}
    for c in claims:
        if not seeds or any(c.chapter not in results_by_seed[s] for s in seeds):
            continue
        by_seed: dict[str, str | None] = {}
        numbers: dict[str, list[float]] = {u: [] for u in c.uses}
        for s in seeds:
            r = results_by_seed[s][c.chapter]
            if r["scale"] != scale:
                raise ValueError(
                    f"scale: results of {c.chapter!r} for seed {s} are at scale {r['scale']!r}, not {scale!r}"
                )
            by_seed[str(s)] = assess(c, r).verdict
            for u in c.uses:
                x = r["values"].get(u)
                if isinstance(x, int | float) and not isinstance(x, bool):
                    numbers[u].append(float(x))
        counts: dict[str, int] = {}
        for v in by_seed.values():
            counts[v or NO_VERDICT] = counts.get(v or NO_VERDICT, 0) + 1
        out[c.id] = {
            "chapter": c.chapter,
            "recorded": c.expected.get(scale),
            "seed_dependent": dict(c.seed_dependent.get(scale) or {}) or None,
            "by_seed": by_seed,
            "counts": {k: counts[k] for k in (*VERDICTS, NO_VERDICT) if k in counts},
            "values": {u: _spread(xs) for u, xs in numbers.items() if xs},
        }
    return out


def read_sweep(path: str | Path) -> dict[str, Any]:
    """Read and validate one sweep file; a ValueError names the file and the problem."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"sweep: {path} is not valid JSON ({exc})") from None
    keys = ("format", "scale", "seeds", "claims")
    missing = [k for k in keys if not isinstance(data, dict) or k not in data]
    if missing:
        raise ValueError(f"sweep: {path} lacks {', '.join(missing)}")
    if data["format"] != FORMAT:
        raise ValueError(f"sweep: {path} has format {data['format']!r}, expected {FORMAT} (rerun the sweep)")
    return data


def load_sweeps(sweeps_dir: str | Path) -> dict[str, dict[str, Any]]:
    """{scale: sweep} for every `<scale>.json` in `sweeps_dir` ({} when there is none)."""
    d = Path(sweeps_dir)
    return {p.stem: read_sweep(p) for p in sorted(d.glob("*.json"))} if d.is_dir() else {}


def unanimous(entry: Mapping[str, Any]) -> bool:
    return len(entry["counts"]) == 1


def split_text(counts: Mapping[str, int]) -> str:
    """{'holds': 2, 'partly': 1} -> 'holds 2, partly 1'."""
    return ", ".join(f"{k} {n}" for k, n in counts.items())


def label(entry: Mapping[str, Any]) -> str:
    """What a claims table shows: '3/3 holds' when every seed agrees, else 'holds 2, partly 1 of 3'."""
    n = sum(entry["counts"].values())
    if unanimous(entry):
        return f"{n}/{n} {next(iter(entry['counts']))}"
    return f"{split_text(entry['counts'])} of {n}"


def value_text(entry: Mapping[str, Any], fmt: str = ".3g") -> str:
    """'name median [min, max]' of each glued value behind the claim, '; '-separated."""
    parts = []
    for name, s in entry["values"].items():
        parts.append(f"{name} {format(s['median'], fmt)} [{format(s['min'], fmt)}, {format(s['max'], fmt)}]")
    return "; ".join(parts) or "—"


ROW_HEADER = ["id", "chapter", "recorded", "over seeds", "declared seed-dependent", "median [min, max]"]


def rows(sweep: Mapping[str, Any], varies: str) -> list[list[str]]:
    """One row per claim (columns ROW_HEADER); `varies` prefixes a verdict count that is not unanimous."""
    return [
        [
            cid,
            e["chapter"],
            e["recorded"] or "—",
            ("" if unanimous(e) else varies) + label(e),
            split_text(e["seed_dependent"]) if e.get("seed_dependent") else "—",
            value_text(e),
        ]
        for cid, e in sweep["claims"].items()
    ]


def failures(sweep: Mapping[str, Any], min_share: float = MIN_SHARE) -> list[str]:
    """One line per claim whose recorded verdict appears for fewer than `min_share` of the seeds and
    whose record does not declare it seed-dependent at this scale."""
    out = []
    for cid, e in sweep["claims"].items():
        n = sum(e["counts"].values())
        need = math.ceil(min_share * n - 1e-9)
        got = e["counts"].get(e["recorded"], 0) if e["recorded"] else 0
        if got >= need or e.get("seed_dependent"):
            continue
        out.append(
            f"{cid} ({e['chapter']}): recorded verdict {e['recorded'] or '—'} for {got} of {n} seeds "
            f"(needs {need}); measured {split_text(e['counts'])} over seeds "
            f"{', '.join(map(str, sweep['seeds']))}; declare it seed-dependent with this split or "
            "re-decide it"
        )
    return out


def declared_drift(sweep: Mapping[str, Any]) -> list[str]:
    """Seed-dependent claims whose declared split is not the measured one (a note, not a failure)."""
    out = []
    for cid, e in sweep["claims"].items():
        d = e.get("seed_dependent")
        if d and dict(d) != dict(e["counts"]):
            measured = split_text(e["counts"])
            out.append(f"{cid}: declared seed-dependent as {split_text(d)}, measured {measured}")
    return out


_SEEDS_SPAN = re.compile(r'<span class="selfrep-seeds" data-claim="([^"]+)">(.*?)</span>')


def fill_seed_cells(html: str, sweep: Mapping[str, Any] | None) -> str:
    """Fill the `seeds` placeholders of a chapter's claims table (selfrep.claims.seeds_placeholder) with
    each claim's verdicts over the sweep's seeds: 'n/n verdict', or the split marked as varying; '—'
    (titled why) for a claim the sweep does not cover."""
    from html import escape

    def fill(m: re.Match[str]) -> str:
        cid = m.group(1)
        e = (sweep or {}).get("claims", {}).get(cid)
        if e is None:
            why = "no seed sweep at this scale" if sweep is None else "not in the seed sweep"
            return f'<span class="selfrep-seeds" data-claim="{cid}" title="{why}">—</span>'
        seeds = ", ".join(map(str, sweep["seeds"]))  # type: ignore[index]
        mark = "" if unanimous(e) else "⚠ "
        cls = "selfrep-seeds" + ("" if unanimous(e) else " selfrep-seeds-varies")
        title = escape(f"verdicts over seeds {seeds} (selfrep sweep --scale {sweep['scale']})")  # type: ignore[index]
        return f'<span class="{cls}" data-claim="{cid}" title="{title}">{mark}{escape(label(e))}</span>'

    return _SEEDS_SPAN.sub(fill, html)
