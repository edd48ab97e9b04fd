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

Used through `TrainConfig(backend="compiled")` and `self_apply(..., backend="compiled")`; `learn_step`
(through
selfrep.training.learn_step) is the epoch step on another network's samples. Where no working
C compiler is found, the kernel cache is not writable, or for tensors that are not on the CPU, `supports()`
is False and the eager path runs: `note_backend` says so once per reason (a RuntimeWarning when the cause
is the machine, not the input), and records which backend ran for the book's results.

Cached kernels are verified before they are loaded: beside each `k<key>.so` lies `k<key>.so.sha256`
holding the key and the sha256 of the library; a missing, truncated or foreign file is rebuilt with a
warning (loading a truncated library would kill the process with SIGBUS). Each kernel also passes a
known-answer self-test against the torch column form on first use in a process.
"""

from selfrep.kernels.build import available, cache_dir, unavailable_reason
from selfrep.kernels.column import LANES, column_apply, column_step
from selfrep.kernels.dispatch import (
    apply,
    fallback_reason,
    learn_step,
    learn_steps,
    note_backend,
    supports,
    train_step,
)

__all__ = [
    "LANES",
    "apply",
    "available",
    "cache_dir",
    "column_apply",
    "column_step",
    "fallback_reason",
    "learn_step",
    "learn_steps",
    "note_backend",
    "supports",
    "train_step",
    "unavailable_reason",
]
