"""Where the book's sources and its build live, which chapters there are, and the table of contents.

book/<stem>.ipynb                     sources, committed without outputs
_build/executed/book/<stem>.ipynb     papermill output; jupyter-book renders these
_build/executed/book/<other files>    copies of book/'s other files (intro.md, references.bib)
_build/results/<stem>.json            what the chapter glued (schema: selfrep.book.results)
_build/failed/<stem>.ipynb            the partly executed notebook of a chapter that failed
_build/sweeps/<scale>.json            seed sweeps (selfrep.book.sweep)
_build/html/                          the site
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPORT_STEM = "reproducibility"  # book/reproducibility.md: a template, filled by selfrep.book.report


@dataclass(frozen=True)
class Layout:
    """Where the sources and the build live. `root` holds _config.yml, _toc.yml and book/."""

    root: Path
    build: Path

    @classmethod
    def at(cls, root: str | Path = ".", build: str | Path | None = None) -> Layout:
        root = Path(root).resolve()
        return cls(root, Path(build).resolve() if build is not None else root / "_build")

    @property
    def book(self) -> Path:
        return self.root / "book"

    @property
    def executed(self) -> Path:
        return self.build / "executed"

    @property
    def executed_book(self) -> Path:
        return self.executed / "book"

    @property
    def results(self) -> Path:
        return self.build / "results"

    @property
    def failed(self) -> Path:
        return self.build / "failed"

    @property
    def html(self) -> Path:
        return self.build / "html"


def chapter_stems(book_dir: Path) -> list[str]:
    """Stems of the notebooks in `book_dir`, in file-name order (06_x sorts before 06b_y)."""
    return sorted(p.stem for p in Path(book_dir).glob("*.ipynb"))


def resolve_chapters(names: Iterable[str], book_dir: Path) -> list[str]:
    """Map user-given names to notebook stems: stem, file name or unique prefix ("02", "06b")."""
    stems = chapter_stems(book_dir)
    out: list[str] = []
    for name in names:
        key = Path(name).name.removesuffix(".ipynb")
        if key in stems:
            match = [key]
        else:
            match = [s for s in stems if s.startswith(key + "_")] or [s for s in stems if s.startswith(key)]
        if len(match) != 1:
            known = ", ".join(stems) or "none"
            why = "ambiguous" if match else "unknown"
            raise ValueError(f"chapter: {why} chapter {name!r} (chapters in {book_dir}: {known})")
        if match[0] not in out:
            out.append(match[0])
    return out


def check_toc_lists(layout: Layout, stems: Iterable[str]) -> None:
    """When the root has a _toc.yml, it must parse and list every chapter about to run."""
    if not (layout.root / "_toc.yml").is_file():
        return
    try:
        listed = {e.removeprefix("book/") for e in read_toc(layout)}
    except Exception as exc:  # a YAML error or a toc of the wrong shape
        raise ValueError(
            f"toc: {layout.root / '_toc.yml'} cannot be read ({type(exc).__name__}: {exc})"
        ) from None
    missing = [s for s in stems if s not in listed]
    if missing:
        raise ValueError(
            f"toc: {', '.join(f'book/{m}.ipynb' for m in missing)} not listed in {layout.root / '_toc.yml'}"
        )


def copy_support_files(layout: Layout) -> None:
    """Copy book/'s non-notebook files (md, bib, images, data) into the staging folder.

    The report template is not copied: `write_report` writes the filled-in page."""
    src = layout.book
    for p in sorted(src.rglob("*")):
        rel = p.relative_to(src)
        if (
            not p.is_file()
            or p.suffix == ".ipynb"
            or rel.as_posix() == f"{REPORT_STEM}.md"
            or any(part.startswith(".") or part == "__pycache__" for part in rel.parts)
        ):
            continue
        dst = layout.executed_book / rel
        if dst.is_file() and dst.read_bytes() == p.read_bytes():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copy2(p, tmp)
            os.replace(tmp, dst)
        finally:
            Path(tmp).unlink(missing_ok=True)


def check_build_folder(layout: Layout) -> None:
    """Create the build folders and prove they are writable; a ValueError names the folder."""
    for folder in (layout.executed_book, layout.results, layout.failed):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".selfrep-probe.", suffix=".tmp")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise ValueError(f"build-dir: cannot write to {folder} ({exc.strerror or exc})") from None


def toc_files(toc: Mapping[str, Any]) -> list[str]:
    """Every `file:` of a jb-book _toc.yml (root first), in order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if "file" in node:
                found.append(str(node["file"]))
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)

    found.append(str(toc["root"]))
    walk(toc)
    return found


def read_toc(layout: Layout) -> list[str]:
    import yaml

    path = layout.root / "_toc.yml"
    if not path.is_file():
        raise FileNotFoundError(f"toc: no {path}")
    return toc_files(yaml.safe_load(path.read_text(encoding="utf-8")))


def check_toc(layout: Layout) -> list[str]:
    """Every toc entry exists in the staging folder, and every chapter notebook is in the toc."""
    entries = read_toc(layout)
    problems = []
    for entry in entries:
        base = layout.executed / entry
        if not any(base.with_name(base.name + ext).is_file() for ext in (".ipynb", ".md")):
            problems.append(f"{entry} is listed in _toc.yml but was not executed or copied")
    listed = {e.removeprefix("book/") for e in entries}
    for stem in chapter_stems(layout.book):
        if stem not in listed:
            problems.append(f"book/{stem}.ipynb is not listed in _toc.yml")
    if problems:
        raise ValueError("toc: " + "; ".join(problems))
    return entries
