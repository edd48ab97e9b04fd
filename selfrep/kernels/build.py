"""Compiling and loading the generated C: the system compiler, a disk cache keyed by source, flags and CPU,
atomic writes, and a digest check before a cached library is loaded."""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import threading
import warnings
from functools import cache, lru_cache
from pathlib import Path

# ------------------------------------------------------------------------------------------------
# Compiling and loading
# ------------------------------------------------------------------------------------------------
_CFLAGS = ("-O3", "-march=native", "-fopenmp-simd", "-fPIC", "-shared", "-std=c99")


@lru_cache(maxsize=1)
def _compiler() -> tuple[str, str] | None:
    """(path, version) of a C compiler, or None."""
    for name in (os.environ.get("CC", ""), "cc", "gcc", "clang"):
        path = shutil.which(name) if name else None
        if path:
            try:
                out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
            except (OSError, subprocess.SubprocessError):
                continue
            if out.returncode == 0:
                return path, out.stdout.splitlines()[0] if out.stdout else ""
    return None


def _cpu_signature() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((ln for ln in f if ln.startswith("flags")), "")
    except OSError:
        flags = ""
    return platform.machine() + hashlib.sha256(flags.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    """Where compiled kernels are kept: $SELFREP_KERNEL_CACHE, else ~/.cache/selfrep/kernels."""
    env = os.environ.get("SELFREP_KERNEL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "selfrep" / "kernels"


_LOAD_LOCK = threading.Lock()


def _digest_file(lib: Path) -> Path:
    return lib.with_name(lib.name + ".sha256")


def _verify(lib: Path, key: str) -> str | None:
    """None when `lib` is the kernel of `key` as it was written, else what is wrong with it."""
    try:
        recorded = _digest_file(lib).read_text().split()
    except OSError:
        return "has no digest file"
    if len(recorded) != 2 or recorded[0] != key:
        return "is recorded under another key"
    if hashlib.sha256(lib.read_bytes()).hexdigest() != recorded[1]:
        return "does not match its recorded digest (truncated or overwritten)"
    return None


def _compile(source: str, cc: tuple[str, str], lib: Path, key: str) -> ctypes.CDLL:
    """Compile `source` in a temporary folder beside `lib`, load it from there (a fresh path: never an
    older library of the same name that this process already loaded), then move library and digest
    into place, each atomically."""
    lib.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=lib.parent) as tmp:
        src = Path(tmp) / "kernel.c"
        src.write_text(source)
        out = Path(tmp) / "kernel.so"
        res = subprocess.run(
            [cc[0], *_CFLAGS, "-o", str(out), str(src), "-lm"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if res.returncode != 0:
            raise RuntimeError(f"C compiler failed: {res.stderr[-2000:]}")
        loaded = ctypes.CDLL(str(out))
        digest = Path(tmp) / "kernel.so.sha256"
        digest.write_text(f"{key} {hashlib.sha256(out.read_bytes()).hexdigest()}\n")
        os.replace(out, lib)  # atomic: a half-written kernel is never loaded
        os.replace(digest, _digest_file(lib))
    return loaded


def _kernel_path(source: str) -> tuple[tuple[str, str], Path, str]:
    cc = _compiler()
    if cc is None:
        raise RuntimeError("no C compiler found (tried $CC, cc, gcc, clang)")
    key = hashlib.sha256("\0".join([source, *_CFLAGS, cc[1], _cpu_signature()]).encode()).hexdigest()
    return cc, cache_dir() / f"k{key[:24]}.so", key


@cache
def _load(source: str) -> ctypes.CDLL:
    cc, lib, key = _kernel_path(source)
    with _LOAD_LOCK:
        if lib.exists():
            problem = _verify(lib, key)
            if problem is None:
                return ctypes.CDLL(str(lib))
            if _digest_file(lib).exists():  # no digest at all: written by an older selfrep, rebuilt quietly
                warnings.warn(f"kernel cache: {lib} {problem}; rebuilding it", RuntimeWarning, stacklevel=2)
        return _compile(source, cc, lib, key)


def _rebuild(source: str) -> ctypes.CDLL:
    """Compile `source` afresh, replacing its cache entry (after a failed self-test)."""
    cc, lib, key = _kernel_path(source)
    with _LOAD_LOCK:
        return _compile(source, cc, lib, key)


@lru_cache(maxsize=1)
def unavailable_reason() -> str | None:
    """None if compiled kernels can be built and loaded here, else why not (checked once, by building a
    one-line kernel): no C compiler, a kernel cache that cannot be written, a compiler that fails."""
    try:
        _load("double selfrep_probe(double x) { return 2.0 * x; }\n")
        return None
    except OSError as exc:
        return f"kernel cache {cache_dir()} not usable: {exc.strerror or exc}"
    except (RuntimeError, subprocess.SubprocessError) as exc:
        return str(exc).splitlines()[0]


def available() -> bool:
    """True if a C compiler works here and the kernel cache is writable (see `unavailable_reason`)."""
    return unavailable_reason() is None
