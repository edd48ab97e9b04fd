"""Issue 14: never a wrong number without an error, in the library (native kernels, their cache,
backend fallbacks, precision, bad input). The book runner's part is in test_book_runner.py."""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pytest
import torch

import selfrep as sr
from selfrep import kernels as fused
from selfrep import perf
from selfrep.kernels import build, cgen, dispatch

needs_cc = pytest.mark.skipif(not fused.available(), reason="no working C compiler on this machine")


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _clear_kernel_caches():
    for f in (build._load, dispatch._step_kernel, dispatch._apply_kernel, fused.unavailable_reason):
        f.cache_clear()
    dispatch._NOTED.clear()


@pytest.fixture
def kernel_cache(tmp_path, monkeypatch):
    """A private, empty kernel cache (and no kernels loaded from the shared one)."""
    monkeypatch.setenv("SELFREP_KERNEL_CACHE", str(tmp_path / "kernels"))
    _clear_kernel_caches()
    yield tmp_path / "kernels"
    _clear_kernel_caches()


# ------------------------------------------------------------------ 3. native code trusts nothing
@pytest.mark.parametrize("backend", ["eager", "compiled"])
@pytest.mark.parametrize(
    "velocity",
    [
        torch.zeros(40, 13),
        torch.zeros(39, 14),
        torch.zeros(40, 14, dtype=torch.float64),
        torch.zeros(40, 14, dtype=torch.int64),
        [[0.0] * 14] * 40,
    ],
    ids=["width", "rows", "dtype", "int", "list"],
)
def test_a_bad_momentum_buffer_is_the_same_clear_error_on_both_backends(backend, velocity):
    ww = sr.make_reduction("weightwise")
    w = sr.init_population(ww.arch, 40, generator=gen())
    state = sr.TrainState(w, velocity, 0)
    cfg = sr.TrainConfig(momentum=0.9, backend=backend)
    with pytest.raises(ValueError, match=r"^state\.velocity: expected"):
        sr.train_step(state, ww, cfg, gen(1))


@needs_cc
def test_non_contiguous_inputs_reach_the_kernel_as_contiguous_copies():
    ww = sr.make_reduction("weightwise")
    w = sr.init_population(ww.arch, 40, generator=gen()).T.contiguous().T  # same values, column-major
    assert not w.is_contiguous()
    got = sr.self_train(w, ww, 2, sr.TrainConfig(backend="compiled", momentum=0.5), gen(1)).weights
    want = sr.self_train(w.contiguous(), ww, 2, sr.TrainConfig(momentum=0.5), gen(1)).weights
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "weights", [[[0.0] * 14], np.zeros((3, 14), dtype=np.float32)], ids=["list", "numpy"]
)
def test_compiled_self_training_of_a_list_or_array_is_a_clear_error(weights):
    ww = sr.make_reduction("weightwise")
    with pytest.raises(ValueError, match="^weights: expected a torch.Tensor"):
        sr.self_train(weights, ww, 1, sr.TrainConfig(backend="compiled"), gen())
    with pytest.raises(ValueError, match="^weights: expected a torch.Tensor"):
        sr.self_apply(weights, ww, 1, backend="compiled")


# ------------------------------------------------------------------ 4. a corrupt kernel cache
@needs_cc
def test_a_truncated_cached_kernel_is_rebuilt_with_a_warning(kernel_cache):
    ww = sr.make_reduction("weightwise")
    w = sr.init_population(ww.arch, 40, generator=gen())
    want = sr.self_apply(w, ww, 3, backend="compiled")
    libs = [p for p in kernel_cache.glob("k*.so") if p.stat().st_size > 0]
    assert libs and all((p.parent / (p.name + ".sha256")).is_file() for p in libs)
    for p in libs:  # loading these as they are would kill the process with SIGBUS
        _replace(p, p.read_bytes()[: p.stat().st_size // 3])
    _clear_kernel_caches()
    with pytest.warns(RuntimeWarning, match="does not match its recorded digest"):
        got = sr.self_apply(w, ww, 3, backend="compiled")
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    torch.testing.assert_close(got, sr.self_apply(w, ww, 3), rtol=1e-5, atol=1e-6)


def _replace(path, data: bytes):
    """New bytes under `path` as a new file: the old one stays mapped, intact, in this process (writing
    into a loaded library in place would crash the test run itself)."""
    tmp = path.with_name(path.name + ".new")
    tmp.write_bytes(data)
    tmp.replace(path)


def _step_lib(arch, step):
    _, lib, key = build._kernel_path(cgen._step_source(arch, step, False, "float"))
    return lib, key


@needs_cc
def test_a_valid_kernel_under_another_keys_name_is_caught(kernel_cache):
    ww = sr.make_reduction("weightwise")
    w = sr.init_population(ww.arch, 40, generator=gen())
    epoch, batch = (
        sr.TrainConfig(step="epoch", backend="compiled"),
        sr.TrainConfig(step="batch", backend="compiled"),
    )
    want = sr.train_step(sr.train_init(w), ww, epoch, gen(1)).weights
    sr.train_step(sr.train_init(w), ww, batch, gen(1))  # both kernels built and cached
    (e_lib, e_key), (b_lib, _) = _step_lib(ww.arch, "epoch"), _step_lib(ww.arch, "batch")
    # the batch kernel with its digest file, under the epoch kernel's names: the recorded key differs
    _replace(e_lib, b_lib.read_bytes())
    _replace(e_lib.parent / (e_lib.name + ".sha256"), (b_lib.parent / (b_lib.name + ".sha256")).read_bytes())
    _clear_kernel_caches()
    with pytest.warns(RuntimeWarning, match="recorded under another key"):
        got = sr.train_step(sr.train_init(w), ww, epoch, gen(1)).weights
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    # ... and with a digest file forged for the epoch key: only the known-answer self-test can tell
    _replace(e_lib, b_lib.read_bytes())
    import hashlib

    digest = hashlib.sha256(e_lib.read_bytes()).hexdigest()
    (e_lib.parent / (e_lib.name + ".sha256")).write_text(f"{e_key} {digest}\n")
    _clear_kernel_caches()
    with pytest.warns(RuntimeWarning, match="known-answer self-test"):
        got = sr.train_step(sr.train_init(w), ww, epoch, gen(1)).weights
    torch.testing.assert_close(got, want, rtol=0, atol=0)


# ------------------------------------------------------------------ 6. no silent fallback
@pytest.fixture
def no_kernel_cache(tmp_path, monkeypatch):
    """A kernel cache that cannot be created (a file stands where its folder should be)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("SELFREP_KERNEL_CACHE", str(blocker / "kernels"))
    _clear_kernel_caches()
    yield
    _clear_kernel_caches()


def test_an_unusable_kernel_cache_says_once_that_the_eager_path_runs(no_kernel_cache, monkeypatch, tmp_path):
    assert not fused.available() and "kernel cache" in fused.unavailable_reason()
    log = tmp_path / "backends.json"
    monkeypatch.setenv("SELFREP_BACKEND_LOG", str(log))
    ww = sr.make_reduction("weightwise")
    w = sr.init_population(ww.arch, 20, generator=gen())
    cfg = sr.TrainConfig(backend="compiled")
    with pytest.warns(RuntimeWarning, match="'compiled' was requested but the eager path runs") as got:
        out = sr.self_train(w, ww, 3, cfg, gen(1)).weights
    assert len([x for x in got if "was requested" in str(x.message)]) == 1  # once, not once per step
    torch.testing.assert_close(out, sr.self_train(w, ww, 3, sr.TrainConfig(), gen(1)).weights)
    import json

    entries = json.loads(log.read_text())
    assert {"requested": "compiled", "ran": "eager", "reason": fused.unavailable_reason()} in entries


def test_bench_fails_when_asked_for_a_backend_it_cannot_run(no_kernel_cache, capsys):
    args = argparse.Namespace(quick=True, json=True, backend="compiled")
    assert perf.main(args) == 1
    err = capsys.readouterr().err
    assert "error: backend: the compiled backend cannot run here" in err


def test_bench_records_a_skipped_backend():
    report = perf.run_bench((1,), ("eager",), 0.001, loop_P=1, progress=False)
    assert report["skipped_backends"] == {} and {r["backend"] for r in report["results"]} == {"eager"}


# ------------------------------------------------------------------ 7. precision
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_populations_are_refused(dtype):
    ww = sr.make_reduction("weightwise")
    with pytest.raises(ValueError, match=r"^dtype: torch\.(b)?float16 is not supported: its resolution"):
        sr.init_population(ww.arch, 3, dtype=dtype)
    w = torch.zeros(3, 14, dtype=dtype)
    with pytest.raises(ValueError, match=r"^weights: torch\.(b)?float16 is not supported"):
        sr.classify(w, ww)
    with pytest.raises(ValueError, match=r"^state\.weights: torch\.(b)?float16 is not supported"):
        sr.self_train(w, ww, 1, sr.TrainConfig(backend="compiled"))


# ------------------------------------------------------------------ 9. smaller
def test_an_empty_population_is_a_population():
    for name in ("weightwise", "aggregating", "recurrent"):
        red = sr.make_reduction(name)
        w = sr.init_population(red.arch, 0, generator=gen())
        assert w.shape == (0, red.arch.n_weights)
        assert sr.classify(w, red).shape == (0,)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ww: sr.init_population(ww.arch, 2.5), "^P: must be an int >= 0, got 2.5"),
        (lambda ww: sr.init_population(ww.arch, True), "^P: must be an int >= 0"),
        (lambda ww: sr.init_population(ww.arch, 3, generator=0), "^generator: expected a torch.Generator"),
        (
            lambda ww: sr.self_train(sr.init_population(ww.arch, 3), ww, 1, generator=0),
            "^generator: expected",
        ),
        (lambda ww: sr.add_noise(sr.init_population(ww.arch, 3), 0.1, generator=0), "^generator: expected"),
        (lambda ww: sr.TrainConfig(lr="0.1"), "^lr: expected a number"),
        (lambda ww: sr.TrainConfig(lr=float("inf")), "^lr: must be finite and > 0"),
        (lambda ww: sr.TrainConfig(momentum="0.5"), "^momentum: expected a number"),
        (lambda ww: sr.make_reduction(["weightwise"]), "^reduction: unknown reduction"),
        (
            lambda ww: sr.self_train_trajectory(sr.init_population(ww.arch, 3), ww, 4, every=1.5),
            "^every: must be an int >= 1, got 1.5",
        ),
        (
            lambda ww: sr.classify(sr.init_population(ww.arch, 3), ww, eps=True),
            "^eps: must be a finite number",
        ),
        (
            lambda ww: sr.classify(sr.init_population(ww.arch, 3), ww, eps=float("inf")),
            "^eps: must be a finite",
        ),
        (
            lambda ww: sr.self_train(sr.init_population(ww.arch, 3), ww, 1, config="epoch"),
            "^config: expected",
        ),
    ],
)
def test_bad_input_is_a_clear_error_naming_the_parameter(call, message):
    ww = sr.make_reduction("weightwise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=message):
            call(ww)
