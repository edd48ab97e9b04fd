"""Results files: what one executed chapter measured, as `_build/results/<chapter>.json`.

Schema (one JSON object per chapter):

    chapter      notebook stem, e.g. "02_self_training"
    scale        "ci" or "paper"
    seed         the seed passed to the notebook (int)
    versions     {package: version} of the interpreter and the pinned stack
    wall_s       wall-clock seconds of the notebook's execution
    values       {glue name: int | float | bool | str}, every value the chapter glued
    cpu_s        CPU seconds of the kernel process (user + system)
    environment  {python, platform, machine, cpu_count, torch_threads, OMP_NUM_THREADS, ...}
    parameters   the parameters injected into the notebook ({} when it declares none)
    figures      number of figures the site shows (glued ones, and displayed ones the site keeps)
    backends     [{requested, ran, reason}]: which operator backend ran in the kernel, and why
                 (selfrep.kernels.note_backend; [] when the chapter used no population operator)
    cache_key    sha256 of the notebook, the selfrep sources it depends on, parameters, scale,
                 seed and versions (selfrep.book.cache)
    outputs      {notebook_sha256, values_sha256}: digests of the executed notebook and of `values`;
                 a cached entry whose outputs no longer match is re-executed
    executed_at  UTC time the execution finished (ISO 8601)

Only the first six keys are the stable interface (design.md); the rest are informative.
This module is light on purpose: `selfrep claims` reads results without importing papermill.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

REQUIRED_KEYS: tuple[str, ...] = ("chapter", "scale", "seed", "versions", "wall_s", "values")

# Distributions whose versions are recorded with every result (and enter the cache key).
TRACKED_PACKAGES: tuple[str, ...] = (
    "selfrep",
    "torch",
    "numpy",
    "pandas",
    "scipy",
    "matplotlib",
    "seaborn",
    "scikit-learn",
    "papermill",
    "ipykernel",
    "myst-nb",
    "jupyter-book",
)

THREAD_ENV_VARS: tuple[str, ...] = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@cache
def versions() -> dict[str, str]:
    """{name: version} for python and TRACKED_PACKAGES ("absent" for a package not installed)."""
    out = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def environment() -> dict[str, Any]:
    """Interpreter, platform and thread settings (torch's intra-op thread count, env vars)."""
    env: dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import torch

        env["torch_threads"] = torch.get_num_threads()
    except ImportError:  # pragma: no cover - torch is a hard dependency
        env["torch_threads"] = None
    for var in THREAD_ENV_VARS:
        env[var] = os.environ.get(var)
    return env


def read_results_file(path: Path) -> dict[str, Any]:
    """Read and validate one results file; a ValueError names the file and the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"results: {path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"results: {path} does not hold a JSON object")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise ValueError(f"results: {path} lacks {', '.join(missing)}")
    if not isinstance(data["values"], Mapping):
        raise ValueError(f"results: {path}: 'values' is not an object")
    return data


def load_results(results_dir: Path, chapters: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """{chapter: results} for every `<chapter>.json` in `results_dir` (or only `chapters`).

    Raises FileNotFoundError (one line, naming the folder or file) when there is nothing to read.
    """
    results_dir = Path(results_dir)
    if chapters is not None:
        out = {}
        for ch in chapters:
            path = results_dir / f"{ch}.json"
            if not path.is_file():
                raise FileNotFoundError(
                    f"results: no results file {path} for chapter {ch!r} (run `selfrep run {ch}`)"
                )
            out[ch] = read_results_file(path)
        return out
    files = sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []
    if not files:
        raise FileNotFoundError(
            f"results: no results files in {results_dir} (run `selfrep run` or `selfrep build`)"
        )
    return {p.stem: read_results_file(p) for p in files}


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
