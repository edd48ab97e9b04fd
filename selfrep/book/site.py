"""The site: stage the executed chapters and support files, jupyter-book build them into `_build/html`.

    selfrep build --scale {ci,paper} [--seed N] [--force]

Every page carries a banner naming the build (`build_banner`: "Built at scale paper, seed 0, from
commit ..."): `selfrep build` writes `_build/_config.yml`, the project's _config.yml with the banner
as `html.announcement`, and builds with it. jupyter-book's own output is kept back and shown only
when the build fails.
"""

from __future__ import annotations

import html as _html
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from selfrep.book.layout import Layout, check_toc, copy_support_files
from selfrep.book.report import source_commit, write_report
from selfrep.book.results import load_results
from selfrep.book.stability import fill_seed_cells, load_sweeps
from selfrep.files import write_atomic


def build_banner(results: Mapping[str, Mapping[str, Any]], commit: str | None) -> str:
    """'Built at scale paper, seed 0, from commit abc (with uncommitted changes).' from the results."""
    scales = sorted({str(r["scale"]) for r in results.values()})
    seeds = sorted({int(r["seed"]) for r in results.values()})
    text = (
        f"Built at scale {', '.join(scales) or 'none (no chapter executed)'}"
        + (f", seed {', '.join(map(str, seeds))}" if seeds else "")
        + (f", from commit {commit.replace('`', '')}" if commit else "")
        + "."
    )
    if len(scales) > 1:
        text += " The chapters were executed at different scales."
    plain = commit.replace("`", "") if commit else None
    ran = {}  # chapters executed from another commit than the build's (cached from an earlier one)
    for chapter, r in sorted(results.items()):
        at = r.get("commit")
        if at and at != plain:
            ran.setdefault(str(at), []).append(chapter.split("_", 1)[0])
    if ran:
        text += (
            " Chapters executed from earlier sources: "
            + "; ".join(f"{', '.join(chs)} at {at}" for at, chs in ran.items())
            + "."
        )
    return text


def site_config(layout: Layout, banner: str) -> Path:
    """Write `<build>/_config.yml`: the project's _config.yml with `banner` on every page."""
    import yaml

    cfg = yaml.safe_load((layout.root / "_config.yml").read_text(encoding="utf-8")) or {}
    html = dict(cfg.get("html") or {})
    html["announcement"] = _html.escape(banner)  # text, never a URL (the theme would fetch one)
    cfg["html"] = html
    path = layout.build / "_config.yml"
    write_atomic(path, yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    return path


def jupyter_book_command(layout: Layout, config: Path | None = None) -> list[str]:
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe)] if exe.exists() else [shutil.which("jupyter-book") or "jupyter-book"]
    return cmd + [
        "build",
        str(layout.executed),
        "--config",
        str(config or layout.root / "_config.yml"),
        "--toc",
        str((layout.root / "_toc.yml").resolve()),  # absolute: relative is taken from src
        "--path-output",
        str(layout.build.parent),
        "--all",
        "-W",
        "--keep-going",
    ]


def build_site(layout: Layout, quiet: bool = True) -> Path:
    """Stage book/'s support files and the reproducibility page, then jupyter-book build the staging
    folder into `<build>/html`, warnings as errors, with the build's banner on every page.
    `quiet`: jupyter-book's output is shown only when it fails (its last 30 lines).

    Raises RuntimeError when jupyter-book fails or a toc page has no HTML page.
    """
    if layout.build.name != "_build":
        raise ValueError(f"build: jupyter-book writes to <parent>/_build; got {layout.build}")
    copy_support_files(layout)
    write_report(layout)
    entries = check_toc(layout)
    try:
        results = load_results(layout.results)
    except FileNotFoundError:
        results = {}
    config = site_config(layout, build_banner(results, source_commit(layout.root)))
    proc = subprocess.run(
        jupyter_book_command(layout, config), cwd=layout.root, text=True, capture_output=quiet
    )
    if proc.returncode != 0:
        tail = "\n".join(((proc.stdout or "") + (proc.stderr or "")).splitlines()[-30:])
        raise RuntimeError(
            f"jupyter-book build failed (exit {proc.returncode})" + (f":\n{tail}" if quiet else "")
        )
    missing = [e for e in entries if not (layout.html / f"{e}.html").is_file()]
    if missing:
        raise RuntimeError(f"build: no HTML page for {', '.join(missing)}")
    fill_seed_columns(layout)
    return layout.html


def fill_seed_columns(layout: Layout) -> None:
    """Fill the `seeds` column of each chapter's claims table in the built HTML from the sweep of the
    chapter's scale (selfrep.book.stability.fill_seed_cells): done on the site, not in the executed notebook,
    so that a sweep run after the chapter is shown without executing the chapter again."""
    sweeps = load_sweeps(layout.build / "sweeps")
    try:
        results = load_results(layout.results)
    except FileNotFoundError:
        return
    for stem, r in results.items():
        page = layout.html / "book" / f"{stem}.html"
        if page.is_file():
            html = page.read_text(encoding="utf-8")
            filled = fill_seed_cells(html, sweeps.get(str(r["scale"])))
            if filled != html:
                write_atomic(page, filled)
