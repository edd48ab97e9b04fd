"""`selfrep compare OLD NEW`: did any number change? Compares the values of two folders of results files.

Every glued value of every chapter in OLD is looked up in NEW: equal (same type and value, NaN equal to
NaN), changed, or missing; values only in NEW are listed as added. Measured times (names ending in
wall_s, cpu_s, overhead_s or _ms) differ from run to run: they are counted apart and never fail. A
refactoring that is meant to change no number (a move, a split, a rename) shows "0 changed, 0 missing"
for every chapter; the exit status is 1 when any value changed or went missing, or when a chapter of OLD
has no results in NEW (or one at another scale or seed).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selfrep.book.results import load_results

TIMING = re.compile(r"(wall_s|cpu_s|overhead_s|_ms)$")


@dataclass(frozen=True)
class ChapterDiff:
    chapter: str
    n_values: int
    changed: tuple[tuple[str, Any, Any], ...]
    timings: tuple[str, ...]
    missing: tuple[str, ...]
    added: tuple[str, ...]
    problem: str = ""  # results absent in NEW, or at another scale or seed

    @property
    def failed(self) -> bool:
        return bool(self.problem or self.changed or self.missing)

    def line(self) -> str:
        if self.problem:
            return f"{self.chapter}: {self.problem}"
        return (
            f"{self.chapter}: {self.n_values} values, {len(self.changed)} changed, "
            f"{len(self.missing)} missing, {len(self.added)} added "
            f"({len(self.timings)} measured times differ)"
        )


def same(a: Any, b: Any) -> bool:
    """Equal in type and value; NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def diff_chapter(chapter: str, old: Mapping[str, Any], new: Mapping[str, Any] | None) -> ChapterDiff:
    ov = old["values"]
    if new is None:
        return ChapterDiff(chapter, len(ov), (), (), (), (), "no results in NEW")
    if (old["scale"], old["seed"]) != (new["scale"], new["seed"]):
        return ChapterDiff(
            chapter,
            len(ov),
            (),
            (),
            (),
            (),
            f"scale/seed {old['scale']}/{old['seed']} in OLD, {new['scale']}/{new['seed']} in NEW",
        )
    nv = new["values"]
    differ = [k for k in ov if k in nv and not same(ov[k], nv[k])]
    return ChapterDiff(
        chapter,
        len(ov),
        tuple((k, ov[k], nv[k]) for k in differ if not TIMING.search(k)),
        tuple(k for k in differ if TIMING.search(k)),
        tuple(k for k in ov if k not in nv),
        tuple(k for k in nv if k not in ov),
    )


def compare(old_dir: Path, new_dir: Path, chapters: list[str] | None = None) -> list[ChapterDiff]:
    old = load_results(Path(old_dir), chapters)
    new_path = Path(new_dir)
    out = []
    for chapter, result in old.items():
        f = new_path / f"{chapter}.json"
        new = load_results(new_path, [chapter])[chapter] if f.is_file() else None
        out.append(diff_chapter(chapter, result, new))
    return out


def _cmd_compare(args) -> int:
    diffs = compare(args.old, args.new, args.chapters or None)
    for d in diffs:
        for name, a, b in d.changed[: args.show]:
            print(f"  {d.chapter}.{name}: {a!r} -> {b!r}")
        print(d.line())
    return 1 if any(d.failed for d in diffs) else 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare",
        help="compare the values of two results folders (did any number change?)",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("old", type=Path, help="folder of <chapter>.json results files: the reference")
    p.add_argument("new", type=Path, help="folder of results files to compare with it")
    p.add_argument("chapters", nargs="*", help="only these chapters (default: every chapter in OLD)")
    p.add_argument("--show", type=int, default=20, help="changed values printed per chapter (default 20)")
    p.set_defaults(func=_cmd_compare)
