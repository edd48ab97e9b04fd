"""The book machine: execute chapters with papermill, record what they glued, build the static site.

    selfrep run [CHAPTER ...] --scale {ci,paper} [--seed N] [--force] [-p NAME=VALUE ...]
    selfrep build --scale {ci,paper} [--seed N] [--force]

Layout (everything under `_build/`, sources are never modified):

    book/<stem>.ipynb                     sources, committed without outputs
    _build/executed/book/<stem>.ipynb     papermill output; jupyter-book renders these
    _build/executed/book/<other files>    copies of book/'s other files (intro.md, references.bib)
    _build/results/<stem>.json            what the chapter glued (schema: selfrep.book.results)
    _build/failed/<stem>.ipynb            the partly executed notebook of a chapter that failed
    _build/html/                          the site

Glued values are read back from the executed notebook: myst-nb's `glue(name, value, display=False)`
writes a display_data output whose metadata holds {"scrapbook": {"name": name, "mime_prefix": ...}}
and whose "<prefix>text/plain" entry is repr(value); ints, floats, bools and strings (and numpy
scalars such as np.float64(0.5)) are parsed back, glued figures are skipped, anything else is an
error.

Cache: a chapter is not re-executed when its results file carries the same `cache_key`, a sha256
over the notebook's bytes, every file of the imported `selfrep` package, the injected
parameters, scale, seed and the tracked package versions (see `chapter_key`), and both outputs
still match the digests stored with them (`outputs`: the executed notebook's sha256 and the
values' sha256); an edited or truncated output is re-executed, with a warning. `--force`
re-executes anyway. The kernel imports the very `selfrep` the key hashed: the runner puts that
package first on the kernel's PYTHONPATH and sets SELFREP_EXPECT_PACKAGE, and `selfrep` refuses to
be imported from anywhere else while it is set.

A run that fails leaves the last good outputs in place: the notebook is executed into a unique
temporary file beside the old one, and the executed notebook and the results file are swapped in
(each with os.replace) only once the chapter has succeeded. Parameters, _toc.yml and the build
folder's writability are checked before any chapter executes.
"""

from __future__ import annotations

import ast
import datetime as _dt
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selfrep.book.results import environment, read_results_file, versions
from selfrep.chapters import SCALES, check_scale
from selfrep.chapters.common import VALUES_MIME
from selfrep.files import fix_mode, write_atomic, write_json_atomic

FORMAT_VERSION = 1  # bump when the results format or the executed-notebook layout changes
REPORT_STEM = "reproducibility"
REPORT_MARKER = "<!-- selfrep:report -->"
DEFAULT_SCALE = "ci"
DEFAULT_SEED = 0
GLUE_PREFIX = "application/papermill.record/"
_NUMPY_SCALAR = re.compile(r"^np\.(?:float|int|uint|bool|complex)\w*\((.*)\)$", re.DOTALL)


class ChapterFailed(RuntimeError):
    """A chapter raised in one of its cells (or its kernel died); names the chapter and the cell."""

    def __init__(self, chapter: str, message: str, failed_notebook: Path | None = None):
        super().__init__(f"chapter {chapter!r} failed: {message}")
        self.chapter = chapter
        self.failed_notebook = failed_notebook


# --------------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------------


def has_parameters_cell(nb_path: Path) -> bool:
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    return any(
        "parameters" in c.get("metadata", {}).get("tags", [])
        for c in nb.get("cells", [])
        if c.get("cell_type") == "code"
    )


def declared_parameters(nb_path: Path) -> dict[str, Any]:
    """{name: default literal} of the notebook's parameters cell ({} when it has none)."""
    import papermill as pm

    return {k: v.get("default") for k, v in pm.inspect_notebook(str(nb_path)).items()}


def parse_param(text: str) -> tuple[str, Any]:
    """'name=value' -> (name, value): a Python literal if the value parses as one, else a string."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise ValueError(f"-p: expected NAME=VALUE, got {text!r}")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw
    return name.strip(), value


def chapter_parameters(
    nb_path: Path,
    scale: str,
    seed: int,
    extra: Mapping[str, Any] | None = None,
    explicit: Iterable[str] = (),
) -> dict[str, Any]:
    """Parameters to inject into one notebook.

    `scale` and `seed` go to a notebook that declares them; `extra` (from -p) must be declared.
    A parameter the user gave explicitly (`explicit` names, and all of `extra`) that the notebook
    does not declare is a ValueError naming the notebook and the parameter.
    """
    nb_path = Path(nb_path)
    extra = dict(extra or {})
    for own in ("scale", "seed"):
        if own in extra:
            raise ValueError(
                f"-p: {own} is set only by --{own} (it is recorded with the results and decides the "
                f"claims' verdicts), not by -p {own}=..."
            )
    wanted = set(explicit) | set(extra)
    if not has_parameters_cell(nb_path):
        if wanted:
            raise ValueError(
                f"parameters: {nb_path.name} has no cell tagged 'parameters', so it cannot take "
                f"{', '.join(sorted(wanted))}"
            )
        return {}
    declared = declared_parameters(nb_path)
    undeclared = sorted(wanted - set(declared))
    if undeclared:
        raise ValueError(
            f"parameters: {nb_path.name} does not declare {', '.join(undeclared)} in its "
            f"parameters cell (it declares: {', '.join(declared) or 'nothing'})"
        )
    params: dict[str, Any] = {}
    if "scale" in declared:
        params["scale"] = scale
    if "seed" in declared:
        params["seed"] = seed
    params.update(extra)
    return params


def check_seed(seed: Any) -> int:
    """`seed` if it is an int >= 0 (what torch.Generator.manual_seed and numpy both take), else a
    ValueError naming the parameter."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed: must be an int >= 0, got {seed!r}")
    return seed


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


def _compiled_unavailable() -> str | None:
    from selfrep import kernels

    return kernels.unavailable_reason()


# --------------------------------------------------------------------------------------------------
# Cache key
# --------------------------------------------------------------------------------------------------


def source_digest() -> str:
    """sha256 over every file of the installed selfrep package (paths and bytes; no caches)."""
    import selfrep

    pkg = Path(selfrep.__file__).parent
    h = hashlib.sha256()
    for p in sorted(pkg.rglob("*")):
        if not p.is_file() or "__pycache__" in p.parts or p.suffix in (".pyc", ".pyo"):
            continue
        h.update(p.relative_to(pkg).as_posix().encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


def chapter_key(nb_path: Path, parameters: Mapping[str, Any], scale: str, seed: int) -> str:
    """The cache key of one execution (see the module docstring)."""
    payload = {
        "format": FORMAT_VERSION,
        "notebook": hashlib.sha256(Path(nb_path).read_bytes()).hexdigest(),
        "selfrep": source_digest(),
        "parameters": parameters,
        "scale": scale,
        "seed": seed,
        "versions": versions(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=repr).encode()).hexdigest()


# --------------------------------------------------------------------------------------------------
# Glue extraction
# --------------------------------------------------------------------------------------------------


def _parse_plain(text: str) -> Any:
    text = text.strip()
    m = _NUMPY_SCALAR.match(text)
    if m:
        text = m.group(1).strip()
    if text in ("nan", "inf", "-inf"):
        return float(text)
    value = ast.literal_eval(text)
    if isinstance(value, bool | int | float | str):
        return value
    raise ValueError(type(value).__name__)


def glued_values(nb: Mapping[str, Any]) -> dict[str, Any]:
    """{name: value} of every non-figure `myst_nb.glue` output in an executed notebook (dict form).

    A chapter's values come from the plain JSON record that `selfrep.chapters.glue_all` writes (no
    printed text parsed back); a value glued on its own, outside that record, is read from its printed
    text. Raises ValueError naming the glue when a value is neither a number, a bool nor a string.
    """
    values: dict[str, Any] = {}
    record: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            if VALUES_MIME in out.get("data", {}):
                text = out["data"][VALUES_MIME]
                record.update(json.loads("".join(text) if isinstance(text, list) else text))
                continue
            meta = out.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            name = meta["name"]
            prefix = meta.get("mime_prefix", "")
            data = {
                k[len(prefix) :] if k.startswith(prefix) else k: v for k, v in out.get("data", {}).items()
            }
            if any(k.startswith("image/") for k in data) or "text/html" in data:
                continue  # a glued figure or table: rendered by myst-nb, not a value
            plain = data.get("text/plain")
            if isinstance(plain, list):
                plain = "".join(plain)
            try:
                values[name] = _parse_plain(plain or "")
            except (ValueError, SyntaxError):
                raise ValueError(
                    f"glue: {name!r} = {plain!r} is not a plain int, float, bool or str "
                    f"(glue float(x) or x.item())"
                ) from None
    for name, value in record.items():
        if not isinstance(value, bool | int | float | str):
            raise ValueError(f"glue: {name!r} = {value!r} in the values record is not a plain value")
        values[name] = value
    return values


def figure_count(nb: Mapping[str, Any]) -> int:
    """Number of outputs carrying an image (displayed or glued figures) in an executed notebook."""
    n = 0
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            keys = out.get("data", {}).keys()
            if any(k.removeprefix(GLUE_PREFIX).startswith("image/") for k in keys):
                n += 1
    return n


# --------------------------------------------------------------------------------------------------
# Running chapters
# --------------------------------------------------------------------------------------------------


@dataclass
class ChapterRun:
    chapter: str
    status: str  # "executed" | "cached"
    wall_s: float
    results_path: Path
    result: dict[str, Any] = field(repr=False, default_factory=dict)


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


def _cell_label(nb_path: Path, executed_nb: Mapping[str, Any] | None) -> str:
    """'cell N (first line)' of the cell that raised, N counted in the source notebook (1-based,
    markdown cells included); found by its error output in the partly executed notebook."""
    cells = (executed_nb or {}).get("cells", [])
    failing = next(
        (c for c in cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))),
        None,
    )
    if failing is None:
        return "a cell"
    label = "a cell"
    try:
        src_ids = [c.get("id") for c in json.loads(Path(nb_path).read_text("utf-8"))["cells"]]
        if failing.get("id") in src_ids:
            label = f"cell {src_ids.index(failing['id']) + 1}"
    except (OSError, ValueError, KeyError):
        pass
    source = failing.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
    if first:
        label += f" ({first[:60]}{'…' if len(first) > 60 else ''})"
    return label


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def values_digest(values: Mapping[str, Any]) -> str:
    """sha256 of a results file's `values`, as canonical JSON (floats round-trip exactly)."""
    return _sha256(json.dumps(values, sort_keys=True).encode())


def _say(line: str) -> None:
    print(line, file=sys.stderr)


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


@contextmanager
def kernel_environment(backend_log: Path) -> Iterator[None]:
    """Environment of the chapter's kernel (inherited from this process while it starts):

    * this process's `selfrep` first on PYTHONPATH, and SELFREP_EXPECT_PACKAGE naming it, so that the
      kernel runs the code the cache key hashed (selfrep refuses to import from elsewhere);
    * SELFREP_BACKEND_LOG: where selfrep.kernels records which operator backend ran, and why."""
    import selfrep

    pkg = Path(selfrep.__file__).resolve().parent
    names = ("PYTHONPATH", "SELFREP_EXPECT_PACKAGE", "SELFREP_BACKEND_LOG")
    old = {n: os.environ.get(n) for n in names}
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(pkg.parent), *([old["PYTHONPATH"]] if old["PYTHONPATH"] else [])]
    )
    os.environ["SELFREP_EXPECT_PACKAGE"] = str(pkg)
    os.environ["SELFREP_BACKEND_LOG"] = str(backend_log)
    try:
        yield
    finally:
        for n, v in old.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def _read_backends(path: Path) -> list[dict[str, str]]:
    try:
        got = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return got if isinstance(got, list) else []


def backend_summary(backends: Iterable[Mapping[str, str]]) -> str:
    """'compiled', 'eager', 'compiled, eager (compiled requested: no C compiler)', or '—' (none used)."""
    parts: list[str] = []
    for b in backends:
        ran = str(b.get("ran", "?"))
        if b.get("requested") != ran:
            ran += f" ({b.get('requested')} requested: {b.get('reason', '')})"
        if ran not in parts:
            parts.append(ran)
    return ", ".join(parts) or "—"


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


def run_chapter(
    layout: Layout,
    chapter: str,
    *,
    scale: str = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    parameters: Mapping[str, Any] | None = None,
    force: bool = False,
    timeout: float | None = None,
) -> ChapterRun:
    """Execute one chapter (unless cached) and write its executed notebook and results file.

    `parameters` are the ones to inject (see `chapter_parameters`); None computes the defaults.
    Raises ChapterFailed naming the chapter and the cell when a cell raises; the previous executed
    notebook and results file (if any) are then left as they were.
    """
    import nbformat
    import papermill as pm

    check_scale(scale)
    seed = check_seed(seed)
    nb_path = layout.book / f"{chapter}.ipynb"
    if not nb_path.is_file():
        raise ValueError(f"chapter: no notebook {nb_path}")
    if parameters is None:
        parameters = chapter_parameters(nb_path, scale, seed)
    parameters = dict(parameters)
    executed = layout.executed_book / f"{chapter}.ipynb"
    results_path = layout.results / f"{chapter}.json"
    key = chapter_key(nb_path, parameters, scale, seed)

    if not force:
        old, why = cached_result(executed, results_path, key)
        if old is not None:
            return ChapterRun(chapter, "cached", float(old["wall_s"]), results_path, old)
        if why:
            _say(f"selfrep run: warning: {why}; re-executing {chapter}")

    check_build_folder(layout)
    copy_support_files(layout)
    failed_copy = layout.failed / f"{chapter}.ipynb"
    # Unique names: two runs in one build folder never share a temporary notebook.
    fd, partial_name = tempfile.mkstemp(
        dir=layout.executed_book, prefix=f".{chapter}.", suffix=".partial.ipynb"
    )
    os.close(fd)
    partial = Path(partial_name)
    backend_log = partial.with_name(partial.name.removesuffix(".partial.ipynb") + ".backends.json")

    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        try:
            with kernel_environment(backend_log):
                pm.execute_notebook(
                    str(nb_path),
                    str(partial),
                    parameters=parameters or None,
                    cwd=str(layout.executed_book),
                    kernel_name="python3",
                    progress_bar=False,
                    log_output=False,
                    execution_timeout=timeout,
                    # the kernel's own log (its "running over TCP" warning) would interleave with ours
                    extra_arguments=["--IPKernelApp.log_level=ERROR"],
                )
        except BaseException as exc:
            wall = time.perf_counter() - t0
            nb_dict = None
            if partial.is_file() and partial.stat().st_size:
                os.replace(partial, failed_copy)
                try:
                    nb_dict = json.loads(failed_copy.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    nb_dict = None
            if isinstance(exc, KeyboardInterrupt):
                raise
            if isinstance(exc, pm.PapermillExecutionError):
                where = _cell_label(nb_path, nb_dict)
                what = f"{exc.ename}: {exc.evalue}".strip()
            else:
                where = "execution"
                what = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
            more = f"; partly executed notebook: {failed_copy}" if failed_copy.is_file() else ""
            kept = "; the previous results are kept" if results_path.is_file() else ""
            raise ChapterFailed(
                chapter,
                f"{where} raised {what} after {wall:.1f} s{more}{kept}",
                failed_copy if failed_copy.is_file() else None,
            ) from exc
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)

        nb = nbformat.read(str(partial), as_version=4)
        try:
            values = glued_values(nb)
        except ValueError as exc:
            os.replace(partial, failed_copy)
            raise ChapterFailed(chapter, str(exc), failed_copy) from None
        backends = _read_backends(backend_log)
        result = {
            "chapter": chapter,
            "scale": scale,
            "seed": seed,
            "versions": versions(),
            "wall_s": round(wall, 3),
            "values": values,
            "cpu_s": round(cpu, 3),
            "environment": environment(),
            "parameters": parameters,
            "figures": figure_count(nb),
            "backends": backends,
            "cache_key": key,
            "outputs": {
                "notebook_sha256": _sha256(partial.read_bytes()),
                "values_sha256": values_digest(values),
            },
            "executed_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        }
        # Swap in only now that the chapter succeeded. Should the process die between the two
        # replaces, the notebook's digest no longer matches the results file and the chapter is
        # re-executed: the pair is never taken for a consistent cache entry.
        fix_mode(partial)
        os.replace(partial, executed)
        write_json_atomic(results_path, result)
        failed_copy.unlink(missing_ok=True)
        return ChapterRun(chapter, "executed", wall, results_path, result)
    finally:
        partial.unlink(missing_ok=True)
        backend_log.unlink(missing_ok=True)


def _run_one(layout: Layout, stem: str, kwargs: dict[str, Any]) -> ChapterRun | tuple[str, str, str | None]:
    """Worker for parallel runs: a ChapterRun, or (chapter, message, failed notebook) on failure
    (exceptions with custom constructors do not cross process boundaries cleanly)."""
    try:
        return run_chapter(layout, stem, **kwargs)
    except ChapterFailed as exc:
        return (exc.chapter, str(exc), str(exc.failed_notebook) if exc.failed_notebook else None)


def run_chapters(
    layout: Layout,
    chapters: Iterable[str] | None = None,
    *,
    scale: str = DEFAULT_SCALE,
    seed: int | None = None,
    extra: Mapping[str, Any] | None = None,
    explicit: Iterable[str] = (),
    force: bool = False,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    jobs: int = 1,
) -> list[ChapterRun]:
    """Run `chapters` (names as accepted by resolve_chapters; None = every notebook in book/).

    Parameters are validated for every chapter before any is executed. Stops at the first failure
    (ChapterFailed). `log` receives one line per chapter (default: through tqdm to stderr).
    `jobs` > 1 executes that many chapters at once in worker processes (chapters pin torch to one
    thread, so on 2 cores `jobs=2` halves the wall time); after a failure no further chapter starts,
    the running ones finish, and the first failure is raised.
    """
    from tqdm import tqdm

    check_scale(scale)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs: must be an int >= 1, got {jobs!r}")
    seed = check_seed(DEFAULT_SEED if seed is None else seed)
    if not layout.book.is_dir():
        raise ValueError(f"book: no folder {layout.book}")
    stems = chapter_stems(layout.book) if chapters is None else resolve_chapters(chapters, layout.book)
    # Everything that can be checked is checked before anything executes.
    params = {s: chapter_parameters(layout.book / f"{s}.ipynb", scale, seed, extra, explicit) for s in stems}
    check_toc_lists(layout, stems)
    check_build_folder(layout)
    copy_support_files(layout)
    # A bar only on a terminal: redrawn into a log file or a pipe it would repeat on every update.
    bar = tqdm(
        stems,
        unit="chapter",
        file=sys.stderr,
        disable=not progress or not stems or not sys.stderr.isatty(),
        dynamic_ncols=True,
    )
    say = log or (lambda line: tqdm.write(line, file=sys.stderr))
    compiled_why = _compiled_unavailable()
    if compiled_why and stems:
        say(
            f"selfrep run: note: the compiled backend cannot run here ({compiled_why}); chapters that "
            "ask for it run the eager path (40-100x slower), as their results record"
        )

    def report(run: ChapterRun) -> None:
        if run.status == "cached":
            say(f"  {run.chapter:<28} cached (ran in {run.wall_s:7.1f} s)")
        else:
            say(
                f"  {run.chapter:<28} {run.wall_s:7.1f} s wall, {run.result['cpu_s']:7.1f} s cpu, "
                f"{len(run.result['values'])} values, "
                f"backend {backend_summary(run.result.get('backends', []))}"
            )

    def kwargs(stem: str) -> dict[str, Any]:
        return {"scale": scale, "seed": seed, "parameters": params[stem], "force": force}

    runs: dict[str, ChapterRun] = {}
    if jobs == 1 or len(stems) <= 1:
        for stem in bar:
            bar.set_postfix_str(stem)
            runs[stem] = run_chapter(layout, stem, **kwargs(stem))
            report(runs[stem])
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        failure: ChapterFailed | None = None
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(stems)), mp_context=ctx) as pool:
            futures = {pool.submit(_run_one, layout, stem, kwargs(stem)): stem for stem in stems}
            for fut in as_completed(futures):
                got = fut.result()
                bar.update(1)
                if isinstance(got, ChapterRun):
                    runs[got.chapter] = got
                    report(got)
                elif failure is None:
                    chapter, message, nb = got
                    failure = ChapterFailed(chapter, message.split(": ", 1)[-1], Path(nb) if nb else None)
                    for other in futures:
                        other.cancel()  # chapters not yet started do not start
        if failure is not None:
            bar.close()
            raise failure
    bar.close()
    return [runs[s] for s in stems]


# --------------------------------------------------------------------------------------------------
# The reproducibility page
# --------------------------------------------------------------------------------------------------


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
        out.append("\n### Each claim\n")
        for a in assessments:
            c = a.claim
            out.append(
                f"({_claim_anchor(c.id)})=\n**{c.id}** ({c.chapter}): {_md_cell(c.statement)}\n"
                f"- *paper*: {_md_cell(c.paper)}\n"
                f"- *measured*: {_md_cell(a.measured)}\n"
                f"- *verdict*: **{a.verdict or '—'}** (recorded: {a.expected or '—'}; {check_column(a)})\n"
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


# --------------------------------------------------------------------------------------------------
# Building the site
# --------------------------------------------------------------------------------------------------


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


def jupyter_book_command(layout: Layout) -> list[str]:
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe)] if exe.exists() else [shutil.which("jupyter-book") or "jupyter-book"]
    return cmd + [
        "build",
        str(layout.executed),
        "--config",
        str(layout.root / "_config.yml"),
        "--toc",
        str((layout.root / "_toc.yml").resolve()),  # absolute: relative is taken from src
        "--path-output",
        str(layout.build.parent),
        "--all",
        "-W",
        "--keep-going",
    ]


def build_site(layout: Layout, quiet: bool = False) -> Path:
    """Stage book/'s support files and the reproducibility page, then jupyter-book build the staging
    folder into `<build>/html`, warnings as errors.

    Raises RuntimeError when jupyter-book fails or a toc page has no HTML page.
    """
    if layout.build.name != "_build":
        raise ValueError(f"build: jupyter-book writes to <parent>/_build; got {layout.build}")
    copy_support_files(layout)
    write_report(layout)
    entries = check_toc(layout)
    proc = subprocess.run(jupyter_book_command(layout), cwd=layout.root, text=True, capture_output=quiet)
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
    from selfrep.book.results import load_results
    from selfrep.book.stability import fill_seed_cells, load_sweeps

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


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


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
    try:
        html = build_site(layout)
    except RuntimeError as exc:
        print(f"selfrep build: error: {exc}", file=sys.stderr)
        return 1
    print(f"selfrep build: site in {html} (open {html / 'index.html'})", file=sys.stderr)
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
