"""`selfrep run` and `selfrep build`: their arguments and what each prints (one line per chapter,
then one summary line; warnings and errors only when something is wrong)."""

from __future__ import annotations

import sys
import time

from selfrep.book.layout import REPORT_STEM, Layout, read_toc
from selfrep.book.parameters import parse_param
from selfrep.book.report import REPORT_MARKER
from selfrep.book.run import DEFAULT_SCALE, DEFAULT_SEED, ChapterFailed, ChapterRun, run_chapters
from selfrep.book.site import build_site
from selfrep.chapters import SCALES, check_scale


def _add_common(p) -> None:
    p.add_argument(
        "--scale",
        default=None,
        metavar="{" + ",".join(SCALES) + "}",
        help=f"experiment size passed to every chapter (default {DEFAULT_SCALE})",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help=f"seed passed to every chapter (default {DEFAULT_SEED})",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="re-execute chapters even when their cache key is unchanged",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=1,
        help="chapters executed at once, each in its own process (default 1; 2 suits a 2-core machine)",
    )
    p.add_argument("--root", default=".", help="folder holding _config.yml, _toc.yml and book/")
    p.add_argument("--build-dir", default=None, help="build folder (default ROOT/_build)")


def _explicit(args) -> list[str]:
    return [n for n in ("scale", "seed") if getattr(args, n) is not None]


def _run(args, chapters) -> list[ChapterRun]:
    layout = Layout.at(args.root, args.build_dir)
    scale = check_scale(args.scale or DEFAULT_SCALE)
    extra = dict(parse_param(p) for p in getattr(args, "param", None) or [])
    t0 = time.perf_counter()
    runs = run_chapters(
        layout,
        chapters,
        scale=scale,
        seed=args.seed,
        extra=extra,
        explicit=_explicit(args),
        force=args.force,
        jobs=args.jobs,
    )
    n_exec = sum(r.status == "executed" for r in runs)
    print(
        f"selfrep run: {len(runs)} chapter(s) at scale {scale} ({n_exec} executed, "
        f"{len(runs) - n_exec} cached) in {time.perf_counter() - t0:.1f} s; results in "
        f"{layout.results}",
        file=sys.stderr,
    )
    return runs


def _cmd_run(args) -> int:
    try:
        _run(args, args.chapters or None)
    except ChapterFailed as exc:
        print(f"selfrep run: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _cmd_build(args) -> int:
    layout = Layout.at(args.root, args.build_dir)
    read_toc(layout)  # a build needs a table of contents: checked before any chapter executes
    template = layout.book / f"{REPORT_STEM}.md"
    if template.is_file() and REPORT_MARKER not in template.read_text(encoding="utf-8"):
        raise ValueError(f"report: {template} lacks the marker {REPORT_MARKER}")
    try:
        _run(args, None)
    except ChapterFailed as exc:
        print(f"selfrep build: error: {exc}", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    try:
        html = build_site(layout)
    except RuntimeError as exc:
        print(f"selfrep build: error: {exc}", file=sys.stderr)
        return 1
    print(
        f"selfrep build: site built in {time.perf_counter() - t0:.1f} s: {html / 'index.html'}",
        file=sys.stderr,
    )
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "run",
        help="execute chapters with papermill into _build/executed and write _build/results",
        description="Execute book chapters with papermill. Chapters are notebook stems "
        "(01_self_application), file names or unique prefixes (01, 06b); none = all.",
    )
    p.add_argument("chapters", nargs="*", metavar="CHAPTER")
    _add_common(p)
    p.add_argument(
        "-p",
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="set a parameter the notebooks declare (a Python literal, else a string); repeatable",
    )
    p.set_defaults(func=_cmd_run)

    b = subparsers.add_parser(
        "build",
        help="run every chapter, then build the static site in _build/html (warnings are errors)",
    )
    _add_common(b)
    b.set_defaults(func=_cmd_build)
