"""The cache of executed chapters: a chapter is executed again only when something it depends on changed.

Key: `chapter_key` is a sha256 over
  * the chapter's notebook (its bytes);
  * its sources (`chapter_sources`): every selfrep module the chapter imports, transitively, found
    statically: the `import` and `from ... import` statements (anywhere in a file, imports inside
    functions included) of the notebook's code cells and of the chapter's module registered in
    `selfrep.chapters.CHAPTERS` (which `preset(chapter, ...)` imports by name), followed through every
    `selfrep.*` module they reach, with the `__init__.py` of every package on the way (selfrep's own
    included) and the data files of each reached package (files that are not Python, in the package's
    folder and its non-package subfolders, e.g. selfrep/archsearch/data/*.csv). The compiled kernels
    are generated from selfrep.kernels' sources, so they are covered when a chapter reaches them.
    Imports by computed name (importlib) are not followed, except the registered chapter module: a
    change to chapter 6's code does not re-execute chapter 1;
  * the injected parameters, scale and seed, the tracked package versions (selfrep.book.results),
    and FORMAT_VERSION.
The results file's `cache_key` holds this key.

Hit: a chapter is served from the cache when its results file carries the same `cache_key` and both
outputs still match the digests stored with them (`outputs`: the executed notebook's sha256 and the
values' sha256); an edited or truncated output is re-executed, with a warning.

`source_digest` (every file of the package) is not part of the key: `selfrep sweep` uses it to make
sure that its workers run the very checkout that planned the sweep.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from selfrep.book.results import read_results_file, versions

FORMAT_VERSION = 1  # bump when the results format or the executed-notebook layout changes
PACKAGE = "selfrep"


def _package_dir() -> Path:
    import selfrep

    return Path(selfrep.__file__).resolve().parent


def source_digest() -> str:
    """sha256 over every file of the installed selfrep package (paths and bytes; no caches)."""
    pkg = _package_dir()
    h = hashlib.sha256()
    for p in sorted(pkg.rglob("*")):
        if not p.is_file() or "__pycache__" in p.parts or p.suffix in (".pyc", ".pyo"):
            continue
        h.update(p.relative_to(pkg).as_posix().encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------
# What a chapter depends on
# --------------------------------------------------------------------------------------------------


def notebook_code(nb_path: Path) -> str:
    """The code cells of a notebook as one Python text (IPython magics and shell lines left out)."""
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        cells.append("\n".join(lines))
    return "\n\n".join(cells)


def imported_names(code: str, module: str = "", is_package: bool = False) -> set[str]:
    """Dotted names every import statement of `code` may load, wherever it stands (functions
    included). For `from a.b import c` both `a.b` and `a.b.c` (c may be a submodule); relative
    imports are resolved against `module` (a package when `is_package`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join(parts[: max(keep, 0)] + ([base] if base else []))
            if base:
                names.add(base)
            names.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    return names


def _module_file(name: str, package_dir: Path) -> Path | None:
    """The file of selfrep module `name` under `package_dir` (the folder of `selfrep`), or None."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = package_dir.joinpath(*parts[1:])
    if parts[1:] and base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def _data_files(package: Path) -> list[Path]:
    """Files of a package folder that are not Python, in it and its subfolders that are not packages."""
    found: list[Path] = []
    for p in sorted(package.iterdir()):
        if p.name == "__pycache__" or p.name.startswith("."):
            continue
        if p.is_dir() and not (p / "__init__.py").is_file():
            found += [f for f in sorted(p.rglob("*")) if f.is_file() and "__pycache__" not in f.parts]
        elif p.is_file() and p.suffix not in (".py", ".pyc", ".pyo"):
            found.append(p)
    return found


def chapter_sources(
    nb_path: Path,
    modules: Iterable[str] = (),
    package_dir: Path | None = None,
) -> list[Path]:
    """Every file of selfrep a chapter depends on (see the module docstring), sorted: the modules the
    notebook's code and `modules` import, transitively, their packages' __init__ files, and the data
    files of every reached package. `package_dir` is the folder of the selfrep to read (default: the
    imported one)."""
    package_dir = Path(package_dir) if package_dir is not None else _package_dir()
    files: set[Path] = set()
    packages: set[Path] = set()
    todo = [n for n in imported_names(notebook_code(nb_path)) | set(modules) if n.split(".")[0] == PACKAGE]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        parts = name.split(".")
        # importing a.b.c imports a and a.b first
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in seen:
                continue
            seen.add(prefix)
            path = _module_file(prefix, package_dir)
            if path is None:
                continue  # a name imported from a module, not a module
            files.add(path)
            is_package = path.name == "__init__.py"
            if is_package:
                packages.add(path.parent)
            code = path.read_text(encoding="utf-8")
            todo += [n for n in imported_names(code, prefix, is_package) if n.split(".")[0] == PACKAGE]
    for package in packages:
        files.update(_data_files(package))
    return sorted(files)


def sources_digest(paths: Iterable[Path], package_dir: Path | None = None) -> str:
    """sha256 over the paths (relative to the package's parent) and bytes of `paths`."""
    root = (Path(package_dir) if package_dir is not None else _package_dir()).parent
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


def chapter_key(
    nb_path: Path,
    parameters: Mapping[str, Any],
    scale: str,
    seed: int,
    package_dir: Path | None = None,
) -> str:
    """The cache key of one execution (see the module docstring). The chapter is the notebook's stem;
    its registered module (selfrep.chapters.CHAPTERS) is followed when it has one."""
    from selfrep.chapters import CHAPTERS

    nb_path = Path(nb_path)
    registered = [CHAPTERS[nb_path.stem]] if nb_path.stem in CHAPTERS else []
    sources = chapter_sources(nb_path, registered, package_dir)
    payload = {
        "format": FORMAT_VERSION,
        "notebook": hashlib.sha256(nb_path.read_bytes()).hexdigest(),
        "sources": sources_digest(sources, package_dir),
        "parameters": parameters,
        "scale": scale,
        "seed": seed,
        "versions": versions(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=repr).encode()).hexdigest()


# --------------------------------------------------------------------------------------------------
# Cached results
# --------------------------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def values_digest(values: Mapping[str, Any]) -> str:
    """sha256 of a results file's `values`, as canonical JSON (floats round-trip exactly)."""
    return _sha256(json.dumps(values, sort_keys=True).encode())


def cached_result(executed: Path, results_path: Path, key: str) -> tuple[dict[str, Any] | None, str]:
    """(results, "") when the stored outputs are this key's and intact, else (None, why not).

    Intact: the results file carries `key` and the digests in its `outputs` match the executed
    notebook's bytes and its own `values`. "why not" is "" when there is simply nothing cached for
    this key, and names the file when an output was edited or truncated."""
    if not (executed.is_file() and results_path.is_file()):
        return None, ""
    try:
        old = read_results_file(results_path)
    except ValueError as exc:
        return None, str(exc)
    if old.get("cache_key") != key:
        return None, ""
    digests = old.get("outputs")
    if not isinstance(digests, Mapping):
        return None, f"{results_path} has no output digests (written by an older selfrep)"
    if digests.get("values_sha256") != values_digest(old["values"]):
        return None, f"{results_path}: its values differ from the digest recorded when they were computed"
    if digests.get("notebook_sha256") != _sha256(executed.read_bytes()):
        return None, f"{executed} differs from the digest recorded when it was executed"
    return old, ""
