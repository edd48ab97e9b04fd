"""The kernels as operators: known-answer self-tests on first use, the thread split of large populations,
which backend ran (`note_backend`), and the entry points `train_step` and `apply` that selfrep.training and
selfrep.operators call."""

from __future__ import annotations

import ctypes
import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import torch

from selfrep.kernels.build import _load, _rebuild, available, unavailable_reason
from selfrep.kernels.cgen import _apply_source, _step_source
from selfrep.kernels.column import _PARALLEL_MIN_P, LANES, column_apply, column_step
from selfrep.nets import Arch
from selfrep.shuffle import draw_keys

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
        from selfrep.files import write_json_atomic

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


def _setup_learn(f):
    f.argtypes = [_P, _P, _P, _P, _P, _P, _P, ctypes.c_int64, ctypes.c_double, ctypes.c_double]
    f.restype = None
    return f


@cache
def _learn_kernel(arch: Arch, dtype: torch.dtype) -> Callable:
    """The epoch step on a teacher's samples (no momentum: soups take plain SGD steps)."""
    lr = 0.01

    def self_test(f) -> bool:
        w, _, keys, enc = _self_test_inputs(arch, dtype, False)
        t = (w.flip(0) * 0.7 + 0.1).contiguous()
        new_w = torch.empty_like(w)
        f(w.data_ptr(), None, new_w.data_ptr(), None, keys.data_ptr(), enc.data_ptr(), t.data_ptr(),
          w.shape[0], lr, 0.0)  # fmt: skip
        want_w, _ = column_step(arch, "epoch", w, None, keys, enc, lr, 0.0, teacher=t)
        return _close(new_w, want_w)

    return _checked(
        _step_source(arch, "epoch", False, _REAL[dtype], teacher=True), _setup_learn, self_test, "learn step"
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
    from selfrep.optim import TrainState, check_state

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


def learn_step(state, teachers: torch.Tensor, reduction, config, generator=None):
    """One epoch step of every network of a weightwise population on the training pairs of its teacher
    (row p of `teachers`), with the fused kernel: plain SGD (momentum 0) and `config.step == "epoch"`."""
    from selfrep.optim import TrainState, check_state

    check_state(state, reduction.arch)
    if config.step != "epoch" or config.momentum > 0:
        raise ValueError("config: the compiled learn step takes epoch steps without momentum")
    w = _check_native(state.weights, "state.weights")
    t = _check_native(reduction.arch.check(teachers, "teachers"), "teachers")
    if t.shape != w.shape or t.dtype != w.dtype:
        raise ValueError(f"teachers: shape/dtype {tuple(t.shape)} {t.dtype} differ from the learners'")
    P, W = w.shape
    keys = draw_keys(P, generator, w.device).contiguous()  # the eager path's random stream
    enc = reduction.encoding(w.dtype, w.device).contiguous()
    new_w = torch.empty_like(w)
    kernel = _learn_kernel(reduction.arch, w.dtype)
    isz = w.element_size()

    def call(a: int, b: int) -> None:
        off = a * W * isz
        kernel(w.data_ptr() + off, None, new_w.data_ptr() + off, None, keys.data_ptr() + a * 8,
               enc.data_ptr(), t.data_ptr() + off, b - a, config.learning_rate, 0.0)  # fmt: skip

    _parallel(P, call)
    return TrainState(new_w, None, state.step + 1)


def learn_steps(
    weights: torch.Tensor, teachers: torch.Tensor, steps: torch.Tensor, own: torch.Tensor, reduction, config,
    generator=None,
) -> torch.Tensor:  # fmt: skip
    """Network p takes steps[p] epoch steps on the pairs of teachers[p] (or, where own[p], on its own
    current pairs: self-training), all networks together: rows sorted by steps (descending, stable), so
    that step t runs the kernel on a prefix of two ping-pong buffers, with no gather per step. Step t draws
    the keys of its prefix, as `learn_step` on those rows would. Returns the new (P, W) weights."""
    if config.step != "epoch" or config.momentum > 0:
        raise ValueError("config: the compiled learn step takes epoch steps without momentum")
    w = _check_native(reduction.arch.check(weights, "weights"), "weights")
    t = _check_native(reduction.arch.check(teachers, "teachers"), "teachers").to(w.dtype)
    P, W = w.shape
    if t.shape != w.shape or steps.shape != (P,) or own.shape != (P,):
        raise ValueError(f"teachers, steps, own: need ({P}, {W}), ({P},), ({P},) like the weights")
    order = torch.sort(steps, descending=True, stable=True).indices
    cur, nxt = w[order].contiguous(), torch.empty_like(w)
    tch = t[order].contiguous()
    n_steps, mine = steps[order], own[order]
    mine_idx = mine.nonzero().flatten()
    enc = reduction.encoding(w.dtype, w.device).contiguous()
    kernel = _learn_kernel(reduction.arch, w.dtype)
    lr, prev = config.learning_rate, P
    for s in range(int(n_steps.max()) if P else 0):
        k = int((n_steps > s).sum())
        if mine_idx.numel():
            tch[mine_idx] = cur[mine_idx]
        keys = draw_keys(k, generator, w.device).contiguous()
        kernel(cur.data_ptr(), None, nxt.data_ptr(), None, keys.data_ptr(), enc.data_ptr(), tch.data_ptr(),
               k, lr, 0.0)  # fmt: skip
        nxt[k:prev] = cur[k:prev]  # rows that just finished: both buffers hold them from now on
        cur, nxt, prev = nxt, cur, k
    out = torch.empty_like(w)
    out[order] = cur
    return out


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
