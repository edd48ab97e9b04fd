"""Fused weightwise kernels: one self-training step (or self-application) of a whole population as one
straight-line computation per network, compiled to native code.

The eager operators (selfrep.operators) are the reference: batched tensor ops and autograd, correct on every
device. A weightwise network is tiny (14 weights, ~1 kFLOP per self-training step), so eager time goes to
per-op overhead, not arithmetic. Here the same step is written once in *column form* — every weight of
every network is a column, the forward pass, a hand-written backward pass and the SGD/momentum update are
arithmetic on columns, unrolled over the (static) architecture:

* run on torch tensors (`column_step`, `column_apply`), it is a readable, testable statement of the kernel;
* run on `_Var` placeholders, the very same Python code *emits C*: one statement per operation, inside a
  loop over a block of 16 networks that the C compiler vectorises (each SIMD lane is one network).

The C source is compiled with the system C compiler (`cc -O3 -march=native`, about a second), cached on
disk under a hash of the source, flags and CPU, written atomically, and called through ctypes with the
GIL released, so large populations are split over `torch.get_num_threads()` Python threads. Sample orders
are the Fisher-Yates shuffles of selfrep.shuffle, recomputed in C from the same per-network keys, so both
paths visit samples in the same order and agree to float rounding (tested). No -ffast-math: inf and nan
propagate exactly as in the eager path.

Used through `TrainConfig(backend="compiled")` and `self_apply(..., backend="compiled")`. Where no working
C compiler is found, the kernel cache is not writable, or for tensors that are not on the CPU, `supports()`
is False and the eager path runs: `note_backend` says so once per reason (a RuntimeWarning when the cause
is the machine, not the input), and records which backend ran for the book's results.

Cached kernels are verified before they are loaded: beside each `k<key>.so` lies `k<key>.so.sha256`
holding the key and the sha256 of the library; a missing, truncated or foreign file is rebuilt with a
warning (loading a truncated library would kill the process with SIGBUS). Each kernel also passes a
known-answer self-test against the torch column form on first use in a process.
"""

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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache, lru_cache
from pathlib import Path

import torch

from selfrep.nets import Arch
from selfrep.shuffle import draw_keys, swap_indices

LANES = 16  # networks per vectorised block
_PARALLEL_MIN_P = 8192  # below this, one thread (thread hand-off costs more than it saves)


# ------------------------------------------------------------------------------------------------
# Column form of an MLP: shared by the torch reference and the C generator
# ------------------------------------------------------------------------------------------------
def _layout(arch: Arch) -> list[tuple[int, str, int, int]]:
    """For every flat index: (layer, role, i, j) with role "kernel" (input i -> output j) or "bias" (j)."""
    out = []
    for blk in arch.blocks:
        for r in range(blk.rows):
            for c in range(blk.cols):
                if blk.role == "bias":
                    out.append((blk.layer, "bias", 0, c))
                elif blk.transposed:
                    out.append((blk.layer, "kernel", c, r))
                else:
                    out.append((blk.layer, "kernel", r, c))
    return out


def _unflatten(arch: Arch, cols: list):
    """Columns -> K[layer][i][j] and B[layer][j] (B holds empty lists when there is no bias)."""
    K = [[[None] * b for _ in range(a)] for a, b in zip(arch.sizes[:-1], arch.sizes[1:], strict=True)]
    B = [[None] * b if arch.bias else [] for b in arch.sizes[1:]]
    for col, (layer, role, i, j) in zip(cols, _layout(arch), strict=True):
        if role == "kernel":
            K[layer][i][j] = col
        else:
            B[layer][j] = col
    return K, B


def _flatten(arch: Arch, K, B) -> list:
    return [K[l][i][j] if role == "kernel" else B[l][j] for l, role, i, j in _layout(arch)]


def _act(z, activation: str):
    if activation == "linear":
        return z
    if isinstance(z, _Var):
        return z.activation(activation)
    return {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation](z)


def _act_grad(z, a, activation: str):
    """da/dz, or None for linear (multiplication by 1 is skipped)."""
    if activation == "linear":
        return None
    if activation == "tanh":
        return 1.0 - a * a
    if activation == "sigmoid":
        return a * (1.0 - a)
    return z.positive() if isinstance(z, _Var) else (z > 0).to(z.dtype)


def _forward(arch: Arch, K, B, x: list):
    """Pre-activations zs and activations acts (acts[0] = x) of every layer."""
    acts, zs = [x], []
    a = x
    for l in range(arch.n_layers):
        z = []
        for j in range(arch.sizes[l + 1]):
            s = a[0] * K[l][0][j]
            for i in range(1, len(a)):
                s = s + a[i] * K[l][i][j]
            if arch.bias:
                s = s + B[l][j]
            z.append(s)
        a = [_act(zj, arch.activation) for zj in z]
        zs.append(z)
        acts.append(a)
    return zs, acts


def _backward(arch: Arch, K, zs, acts, d_out: list):
    """Gradients gK[l][i][j], gB[l][j] for the loss whose gradient w.r.t. the outputs is d_out."""
    gK = [None] * arch.n_layers
    gB = [None] * arch.n_layers
    d = d_out
    for l in range(arch.n_layers - 1, -1, -1):
        dz = []
        for j, dj in enumerate(d):
            g = _act_grad(zs[l][j], acts[l + 1][j], arch.activation)
            dz.append(dj if g is None else dj * g)
        a_prev = acts[l]
        gK[l] = [[a_prev[i] * dz[j] for j in range(len(dz))] for i in range(len(a_prev))]
        gB[l] = list(dz)
        if l > 0:
            d = []
            for i in range(len(a_prev)):
                s = K[l][i][0] * dz[0]
                for j in range(1, len(dz)):
                    s = s + K[l][i][j] * dz[j]
                d.append(s)
    return gK, gB


def _sample_grad(arch: Arch, cols: list, x: list, target, scale: float) -> list:
    """Gradient columns of scale * sum_o (y_o - target)^2 for one sample x (inputs as columns)."""
    K, B = _unflatten(arch, cols)
    zs, acts = _forward(arch, K, B, x)
    d_out = [(2.0 * scale) * (acts[-1][o] - target) for o in range(arch.n_out)]
    gK, gB = _backward(arch, K, zs, acts, d_out)
    return _flatten(arch, gK, gB)


def _sgd(cols: list, vcols: list | None, grads: list, lr, mom):
    if vcols is None:
        return [w - lr * g for w, g in zip(cols, grads, strict=True)], None
    vcols = [mom * v + g for v, g in zip(vcols, grads, strict=True)]
    return [w - lr * v for w, v in zip(cols, vcols, strict=True)], vcols


def _batch_step(arch: Arch, cols: list, vcols: list | None, enc: list[list], lr, mom):
    """One full-batch step: every weight s is a sample (value, enc[s]); the mean loss's gradients summed."""
    W, gsum = arch.n_weights, None
    for s in range(W):
        g = _sample_grad(arch, cols, [cols[s], *enc[s]], cols[s], 1.0 / (W * arch.n_out))
        gsum = g if gsum is None else [a + b for a, b in zip(gsum, g, strict=True)]
    return _sgd(cols, vcols, gsum, lr, mom)


def _apply_cols(arch: Arch, attacker: list, victim: list, enc: list[list]) -> list:
    K, B = _unflatten(arch, attacker)
    return [_forward(arch, K, B, [vs, *enc[s]])[1][-1][0] for s, vs in enumerate(victim)]


# ------------------------------------------------------------------------------------------------
# The torch column form: a readable statement of the kernels (tests compare it to autograd and to C)
# ------------------------------------------------------------------------------------------------
def _fisher_yates(keys: torch.Tensor, S: int) -> list[torch.Tensor]:
    """The orders of selfrep.shuffle.orders_from_keys, as S (P,) index columns (where-chains, no scatter)."""
    idx = [torch.full_like(keys, i) for i in range(S)]
    for i, j in zip(range(S - 1, 0, -1), swap_indices(keys, S), strict=True):
        sel = idx[i]
        for cand in range(i):
            hit = j == cand
            old = idx[cand]
            idx[cand] = torch.where(hit, sel, old)
            sel = torch.where(hit, old, sel)
        idx[i] = sel
    return idx


def column_step(
    arch: Arch,
    step: str,
    w: torch.Tensor,
    v: torch.Tensor | None,
    keys: torch.Tensor,
    enc: torch.Tensor,
    lr: float,
    mom: float,
):
    """One self-training step in column form on torch tensors: returns (weights, velocity or None)."""
    W = arch.n_weights
    cols, vcols = list(w.unbind(1)), (list(v.unbind(1)) if v is not None else None)
    if step == "batch":
        encs = [[enc[s, c].expand_as(cols[0]) for c in range(enc.shape[1])] for s in range(W)]
        cols, vcols = _batch_step(arch, cols, vcols, encs, lr, mom)
    else:
        for pick in _fisher_yates(keys, W):
            val = torch.gather(w, 1, pick.unsqueeze(1)).squeeze(1)  # frozen at the start of the epoch
            x = [val] + [enc[:, c][pick] for c in range(enc.shape[1])]
            cols, vcols = _sgd(cols, vcols, _sample_grad(arch, cols, x, val, 1.0 / arch.n_out), lr, mom)
    return torch.stack(cols, 1), (torch.stack(vcols, 1) if vcols is not None else None)


def column_apply(arch: Arch, attacker: torch.Tensor, victim: torch.Tensor, enc: torch.Tensor) -> torch.Tensor:
    vcols = list(victim.unbind(1))
    encs = [[enc[s, c].expand_as(vcols[0]) for c in range(enc.shape[1])] for s in range(len(vcols))]
    return torch.stack(_apply_cols(arch, list(attacker.unbind(1)), vcols, encs), 1)


# ------------------------------------------------------------------------------------------------
# C generation: the same column code, run on placeholders that record C statements
# ------------------------------------------------------------------------------------------------
class _Emitter:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.n = 0

    def let(self, expr: str) -> _Var:
        self.n += 1
        name = f"t{self.n}"
        self.lines.append(f"const real {name} = {expr};")
        return _Var(self, name)


class _Var:
    """A C scalar of one network (one SIMD lane). Arithmetic on it emits a C statement."""

    __slots__ = ("em", "ref")

    def __init__(self, em: _Emitter, ref: str) -> None:
        self.em, self.ref = em, ref

    def _c(self, other) -> str:
        return other.ref if isinstance(other, _Var) else f"(real)({float(other)!r})"

    def __add__(self, o):
        return self.em.let(f"{self.ref} + {self._c(o)}")

    def __radd__(self, o):
        return self.em.let(f"{self._c(o)} + {self.ref}")

    def __sub__(self, o):
        return self.em.let(f"{self.ref} - {self._c(o)}")

    def __rsub__(self, o):
        return self.em.let(f"{self._c(o)} - {self.ref}")

    def __mul__(self, o):
        return self.em.let(f"{self.ref} * {self._c(o)}")

    def __rmul__(self, o):
        return self.em.let(f"{self._c(o)} * {self.ref}")

    def activation(self, name: str) -> _Var:
        r = self.ref
        if name == "tanh":
            return self.em.let(f"TANH({r})")
        if name == "sigmoid":
            return self.em.let(f"(real)1 / ((real)1 + EXP(-{r}))")
        return self.em.let(f"({r} <= (real)0 ? (real)0 : {r})")  # relu; nan stays nan, as torch.relu

    def positive(self) -> _Var:
        return self.em.let(f"({self.ref} > (real)0 ? (real)1 : (real)0)")


_PRELUDE = """\
#include <stdint.h>
#include <math.h>
typedef {real} real;
#define L {lanes}
#define W {W}
#define TANH {tanh}
#define EXP {exp}
static inline uint32_t mix32(uint32_t x) {{
    x ^= x >> 16; x *= 0x7FEB352Du; x ^= x >> 15; x *= 0x846CA68Bu; x ^= x >> 16; return x;
}}
"""

_LOAD = """\
    const int n = (P - b0) < L ? (int)(P - b0) : L;
    for (int i = 0; i < W; ++i) for (int l = 0; l < L; ++l) {{
        {body}
    }}
"""


def _block_loop(body_lines: list[str]) -> str:
    return (
        "#pragma omp simd\n    for (int l = 0; l < L; ++l) {\n        "
        + "\n        ".join(body_lines)
        + "\n    }\n"
    )


def _step_source(arch: Arch, step: str, momentum_on: bool, real: str) -> str:
    W = arch.n_weights
    em = _Emitter()
    cols = [_Var(em, f"w[{i}][l]") for i in range(W)]
    vcols = [_Var(em, f"v[{i}][l]") for i in range(W)] if momentum_on else None
    lr, mom = _Var(em, "lr"), _Var(em, "mom")
    blocks: list[str] = []

    def store(new_cols, new_vcols):
        em.lines += [f"w[{i}][l] = {c.ref};" for i, c in enumerate(new_cols)]
        if new_vcols is not None:
            em.lines += [f"v[{i}][l] = {c.ref};" for i, c in enumerate(new_vcols)]

    if step == "batch":
        encs = [[_Var(em, f"enc[{s * 3 + c}]") for c in range(3)] for s in range(W)]
        store(*_batch_step(arch, cols, vcols, encs, lr, mom))
        blocks.append(_block_loop(em.lines))
    else:
        for k in range(W):  # one vectorised loop per sample of the epoch; weights live in w[][] between
            em.lines = [f"const int ik = idx[{k}][l];"]
            cols = [_Var(em, f"w[{i}][l]") for i in range(W)]
            vcols = [_Var(em, f"v[{i}][l]") for i in range(W)] if momentum_on else None
            val = em.let("fro[ik * L + l]")
            x = [val] + [em.let(f"enc[ik * 3 + {c}]") for c in range(3)]
            store(*_sgd(cols, vcols, _sample_grad(arch, cols, x, val, 1.0 / arch.n_out), lr, mom))
            blocks.append(_block_loop(em.lines))
    shuffle = ""
    if step == "epoch":  # Fisher-Yates per lane, unrolled into where-chains so that it vectorises
        fy = ["const uint32_t key = (uint32_t)kb[l];"]
        fy += [f"int id{i} = {i};" for i in range(W)]
        for i in range(W - 1, 0, -1):
            fy.append(f"{{ const uint32_t r = mix32(mix32(key + {i}u * 0x9E3779B9u));")
            fy.append(f"  const int j = (int)(((uint64_t)r * {i + 1}u) >> 32); int sel = id{i};")
            for c in range(i):
                swap = f"id{c} = j == {c} ? sel : old; sel = j == {c} ? old : sel;"
                fy.append(f"  {{ const int old = id{c}; {swap} }}")
            fy.append(f"  id{i} = sel; }}")
        fy += [f"idx[{i}][l] = id{i};" for i in range(W)]
        shuffle = (
            "    int64_t kb[L];\n    for (int l = 0; l < L; ++l) kb[l] = l < n ? keys[b0 + l] : 0;\n    "
            + _block_loop(fy)
        )
    v_load = "v[i][l] = l < n ? v_in[(b0 + l) * W + i] : (real)0;" if momentum_on else ""
    v_store = "if (l < n) v_out[(b0 + l) * W + i] = v[i][l];" if momentum_on else ""
    return (
        _prelude(arch, real)
        + "void kernel(const real* restrict w_in, const real* restrict v_in, real* restrict w_out,\n"
        "            real* restrict v_out, const int64_t* restrict keys, const real* restrict enc,\n"
        "            int64_t P, double lr_d, double mom_d) {\n"
        "  const real lr = (real)lr_d, mom = (real)mom_d;\n"
        "  (void)mom; (void)keys; (void)v_in; (void)v_out;\n"
        "  for (int64_t b0 = 0; b0 < P; b0 += L) {\n"
        "    real w[W][L], v[W][L], fro[W * L]; int idx[W][L]; (void)v; (void)fro; (void)idx;\n"
        + _LOAD.format(
            body=f"w[i][l] = l < n ? w_in[(b0 + l) * W + i] : (real)0; fro[i * L + l] = w[i][l]; {v_load}"
        )
        + shuffle
        + "    "
        + "    ".join(blocks)
        + f"    for (int i = 0; i < W; ++i) for (int l = 0; l < L; ++l) {{\n"
        f"        if (l < n) w_out[(b0 + l) * W + i] = w[i][l]; {v_store}\n    }}\n"
        "  }\n}\n"
    )


def _apply_source(arch: Arch, real: str) -> str:
    W = arch.n_weights
    em = _Emitter()
    att = [_Var(em, f"a[{i}][l]") for i in range(W)]
    vic = [_Var(em, f"vc[{i}][l]") for i in range(W)]
    encs = [[_Var(em, f"enc[{s * 3 + c}]") for c in range(3)] for s in range(W)]
    outs = _apply_cols(arch, att, vic, encs)
    em.lines += [f"o[{i}][l] = {c.ref};" for i, c in enumerate(outs)]
    return (
        _prelude(arch, real)
        + "void kernel(const real* restrict a_in, const real* restrict v_in, real* restrict out,\n"
        "            const real* restrict enc, int64_t P) {\n"
        "  for (int64_t b0 = 0; b0 < P; b0 += L) {\n"
        "    real a[W][L], vc[W][L], o[W][L];\n"
        + _LOAD.format(
            body="a[i][l] = l < n ? a_in[(b0 + l) * W + i] : (real)0; "
            "vc[i][l] = l < n ? v_in[(b0 + l) * W + i] : (real)0;"
        )
        + "    "
        + _block_loop(em.lines)
        + "    for (int i = 0; i < W; ++i) for (int l = 0; l < n; ++l) out[(b0 + l) * W + i] = o[i][l];\n"
        "  }\n}\n"
    )


def _prelude(arch: Arch, real: str) -> str:
    f32 = real == "float"
    return _PRELUDE.format(
        real=real,
        lanes=LANES,
        W=arch.n_weights,
        tanh="tanhf" if f32 else "tanh",
        exp="expf" if f32 else "exp",
    )


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


_REAL = {torch.float32: "float", torch.float64: "double"}
_P = ctypes.c_void_p

# ------------------------------------------------------------------------------------------------
# Which backend ran (reported once per reason; recorded for the book's results)
# ------------------------------------------------------------------------------------------------
_NOTED: dict[tuple[str, str, str], None] = {}


def note_backend(requested: str, ran: str, reason: str = "") -> None:
    """Record that an operator asked for `requested` and ran `ran` (and why, when they differ).

    Once per distinct (requested, ran, reason) in a process: a fallback caused by the machine (no
    compiler, unwritable cache) is a RuntimeWarning; every entry is appended to the JSON list in
    $SELFREP_BACKEND_LOG when set (`selfrep run` stores it in the chapter's results)."""
    entry = (requested, ran, reason)
    if entry in _NOTED:
        return
    _NOTED[entry] = None
    if requested != ran and reason == unavailable_reason():
        warnings.warn(
            f"backend: {requested!r} was requested but the {ran} path runs ({reason}); expect it to be "
            "40-100x slower",
            RuntimeWarning,
            stacklevel=3,
        )
    path = os.environ.get("SELFREP_BACKEND_LOG")
    if path:
        from selfrep.results import write_json_atomic

        write_json_atomic(Path(path), [{"requested": r, "ran": g, "reason": why} for r, g, why in _NOTED])


def fallback_reason(reduction, weights: torch.Tensor) -> str | None:
    """None when the fused kernel can run on `weights` of `reduction`, else why not."""
    from selfrep.reductions import Weightwise

    if not isinstance(reduction, Weightwise):
        return f"no compiled kernel for the {type(reduction).__name__.lower()} reduction"
    if weights.device.type != "cpu":
        return f"compiled kernels run on the CPU, the weights are on {weights.device}"
    if weights.dtype not in _REAL:
        return f"compiled kernels take float32 or float64, the weights are {weights.dtype}"
    return unavailable_reason()


# ------------------------------------------------------------------------------------------------
# Kernels, each checked once against the torch column form (a known-answer self-test)
# ------------------------------------------------------------------------------------------------
def _self_test_inputs(arch: Arch, dtype: torch.dtype, momentum_on: bool):
    g = torch.Generator().manual_seed(1234)
    P = LANES + 3  # one full block and a partial one
    w = (0.5 * torch.randn(P, arch.n_weights, generator=g, dtype=torch.float64)).to(dtype)
    v = (
        (0.1 * torch.randn(P, arch.n_weights, generator=g, dtype=torch.float64)).to(dtype)
        if momentum_on
        else None
    )
    enc = torch.randn(arch.n_weights, 3, generator=g, dtype=torch.float64).to(dtype)
    return w, v, draw_keys(P, g), enc


def _close(got: torch.Tensor, want: torch.Tensor) -> bool:
    tol = 1e-4 if got.dtype == torch.float32 else 1e-9
    return bool(torch.allclose(got, want, rtol=tol, atol=tol))


def _checked(source: str, setup: Callable, self_test: Callable[[Callable], bool], what: str) -> Callable:
    f = setup(_load(source).kernel)
    if self_test(f):
        return f
    warnings.warn(
        f"kernel cache: the {what} kernel failed its known-answer self-test; rebuilding it",
        RuntimeWarning,
        stacklevel=3,
    )
    f = setup(_rebuild(source).kernel)
    if self_test(f):
        return f
    raise RuntimeError(f"compiled backend: the freshly built {what} kernel fails its known-answer self-test")


def _setup_step(f):
    f.argtypes = [_P, _P, _P, _P, _P, _P, ctypes.c_int64, ctypes.c_double, ctypes.c_double]
    f.restype = None
    return f


def _setup_apply(f):
    f.argtypes = [_P, _P, _P, _P, ctypes.c_int64]
    f.restype = None
    return f


@cache
def _step_kernel(arch: Arch, step: str, momentum_on: bool, dtype: torch.dtype) -> Callable:
    lr, mom = 0.01, (0.9 if momentum_on else 0.0)

    def self_test(f) -> bool:
        w, v, keys, enc = _self_test_inputs(arch, dtype, momentum_on)
        new_w, new_v = torch.empty_like(w), (torch.empty_like(w) if momentum_on else None)
        f(
            w.data_ptr(),
            v.data_ptr() if momentum_on else None,
            new_w.data_ptr(),
            new_v.data_ptr() if momentum_on else None,
            keys.data_ptr(),
            enc.data_ptr(),
            w.shape[0],
            lr,
            mom,
        )
        want_w, want_v = column_step(arch, step, w, v, keys, enc, lr, mom)
        return _close(new_w, want_w) and (not momentum_on or _close(new_v, want_v))

    return _checked(
        _step_source(arch, step, momentum_on, _REAL[dtype]), _setup_step, self_test, f"{step} step"
    )


@cache
def _apply_kernel(arch: Arch, dtype: torch.dtype) -> Callable:
    def self_test(f) -> bool:
        a, vc, _, enc = _self_test_inputs(arch, dtype, True)
        out = torch.empty_like(a)
        f(a.data_ptr(), vc.data_ptr(), out.data_ptr(), enc.data_ptr(), a.shape[0])
        return _close(out, column_apply(arch, a, vc, enc))

    return _checked(_apply_source(arch, _REAL[dtype]), _setup_apply, self_test, "self-application")


_POOL: ThreadPoolExecutor | None = None


def _parallel(P: int, call: Callable[[int, int], None]) -> None:
    """call(start, stop) over [0, P), split in lane-aligned chunks over torch.get_num_threads() threads."""
    global _POOL
    threads = max(1, torch.get_num_threads())
    if threads == 1 or P < _PARALLEL_MIN_P:
        call(0, P)
        return
    if _POOL is None or _POOL._max_workers < threads:
        _POOL = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="selfrep-fused")
    chunk = -(-P // threads // LANES) * LANES
    futures = [_POOL.submit(call, s, min(s + chunk, P)) for s in range(0, P, chunk)]
    for f in futures:
        f.result()


# ------------------------------------------------------------------------------------------------
# Dispatch (called by selfrep.operators)
# ------------------------------------------------------------------------------------------------
def supports(reduction, weights: torch.Tensor | None = None) -> bool:
    """Whether the fused kernel can run: a weightwise reduction, CPU float32/float64 data, a C compiler."""
    from selfrep.reductions import Weightwise

    if not isinstance(reduction, Weightwise):
        return False
    if weights is not None and (weights.device.type != "cpu" or weights.dtype not in _REAL):
        return False
    return available()


def _check_native(t: torch.Tensor, name: str) -> torch.Tensor:
    """A tensor about to be handed to native code: CPU, float32/float64, and contiguous (copied if not)."""
    if t.device.type != "cpu":
        raise ValueError(f"{name}: compiled kernels take CPU tensors, got one on {t.device}")
    if t.dtype not in _REAL:
        raise ValueError(f"{name}: compiled kernels take float32 or float64, got {t.dtype}")
    return t.contiguous()


def train_step(state, reduction, config, generator=None):
    """One self-training step of a weightwise population with the fused kernel (see TrainConfig)."""
    from selfrep.operators import TrainState, check_state

    check_state(state, reduction.arch)
    w = _check_native(state.weights, "state.weights")
    momentum_on = config.momentum > 0
    P, W = w.shape
    # Same random stream as the eager path: one key per network for an epoch step, none for a batch step.
    keys = draw_keys(P, generator, w.device) if config.step == "epoch" else torch.zeros(P, dtype=torch.int64)
    keys = keys.contiguous()
    v = state.velocity
    if momentum_on:
        v = _check_native(torch.zeros_like(w) if v is None else v, "state.velocity")
    enc = reduction.encoding(w.dtype, w.device).contiguous()
    if keys.shape != (P,) or keys.dtype != torch.int64 or enc.shape != (W, 3) or enc.dtype != w.dtype:
        raise RuntimeError(
            f"compiled backend: internal inputs of the wrong form: keys {keys.shape}, encoding {enc.shape}"
        )
    new_w = torch.empty_like(w)
    new_v = torch.empty_like(w) if momentum_on else None
    kernel = _step_kernel(reduction.arch, config.step, momentum_on, w.dtype)
    isz = w.element_size()

    def call(a: int, b: int) -> None:
        kernel(
            w.data_ptr() + a * W * isz,
            (v.data_ptr() + a * W * isz) if momentum_on else None,
            new_w.data_ptr() + a * W * isz,
            (new_v.data_ptr() + a * W * isz) if momentum_on else None,
            keys.data_ptr() + a * 8,
            enc.data_ptr(),
            b - a,
            config.learning_rate,
            config.momentum,
        )

    _parallel(P, call)
    return TrainState(new_w, new_v, state.step + 1)


def apply(attacker: torch.Tensor, victim: torch.Tensor, reduction) -> torch.Tensor:
    """reduction.apply(attacker, victim) for a weightwise reduction, with the fused kernel."""
    a = _check_native(reduction.arch.check(attacker, "attacker"), "attacker")
    vc = _check_native(reduction.arch.check(victim, "victim"), "victim")
    if a.shape != vc.shape or a.dtype != vc.dtype:
        raise ValueError(
            f"victim: shape/dtype {tuple(vc.shape)} {vc.dtype} differ from attacker's "
            f"{tuple(a.shape)} {a.dtype}"
        )
    P, W = a.shape
    enc = reduction.encoding(a.dtype, a.device).contiguous()
    out = torch.empty_like(a)
    kernel = _apply_kernel(reduction.arch, a.dtype)
    isz = a.element_size()

    def call(s: int, e: int) -> None:
        off = s * W * isz
        kernel(a.data_ptr() + off, vc.data_ptr() + off, out.data_ptr() + off, enc.data_ptr(), e - s)

    _parallel(P, call)
    return out
