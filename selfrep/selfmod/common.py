"""Small shared pieces of the self-modification experiments (chapter 6, part 2): seeds, MLP forward,
training.

Every stochastic function of E4-E7 takes a seed or a `torch.Generator`; `derive_seed` turns a tuple
of
ints (run seed, experiment tag, repeat, ...) into an independent 63-bit seed, so that two runs with
the
same config and seed draw exactly the same numbers, and changing one repeat never shifts another's
random
stream.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

ACTIVATION_FNS: dict[str, object] = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


def derive_seed(*keys: int) -> int:
    """A 63-bit seed derived from a tuple of non-negative ints (numpy SeedSequence,
    order-sensitive)."""
    if any(int(k) < 0 for k in keys):
        raise ValueError(f"keys: seeds must be non-negative, got {keys}")
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(2, np.uint64)[0] >> 1)


def generator(*keys: int) -> torch.Generator:
    """A CPU `torch.Generator` seeded with `derive_seed(*keys)`."""
    g = torch.Generator()
    g.manual_seed(derive_seed(*keys))
    return g


def activation(name: str):
    """The activation function called `name` ("relu", "tanh" or "sigmoid")."""
    if name not in ACTIVATION_FNS:
        raise ValueError(f"activation: unknown {name!r} (expected one of {', '.join(ACTIVATION_FNS)})")
    return ACTIVATION_FNS[name]


def mlp_forward(
    layers: Sequence[tuple[torch.Tensor, torch.Tensor]],
    x: torch.Tensor,
    act: str = "relu",
    skip: bool = False,
) -> torch.Tensor:
    """Logits of an MLP given as [(W, b), ...] with W shaped (out, in); the last pair is the linear
    output
    layer.

    Hidden layers apply `act`; with `skip`, a hidden layer adds its input where the shapes match
    (the
    DigitsMLP-Bench convention, including input -> first layer when the width is 64).
    """
    f = activation(act)
    h = x
    for W, b in layers[:-1]:
        z = f(F.linear(h, W, b))
        h = z + h if skip and z.shape == h.shape else z
    W, b = layers[-1]
    return F.linear(h, W, b)


def init_layers(
    sizes: Sequence[int], gen: torch.Generator, dtype: torch.dtype = torch.float32
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """PyTorch-default (Kaiming-uniform, a=sqrt(5)) init for Linear layers of `sizes` = [in, h1,
    ..., out]."""
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1.0 / np.sqrt(fan_in)
        W = (torch.rand(fan_out, fan_in, generator=gen, dtype=dtype) * 2 - 1) * bound
        b = (torch.rand(fan_out, generator=gen, dtype=dtype) * 2 - 1) * bound
        layers.append((W, b))
    return layers


def n_params(sizes: Sequence[int]) -> int:
    """Number of weights and biases of an MLP with layer sizes [in, h1, ..., out]."""
    return int(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True)))


def batches(n: int, batch_size: int, gen: torch.Generator) -> Iterator[torch.Tensor]:
    """Index tensors of one shuffled epoch (the last batch may be smaller)."""
    perm = torch.randperm(n, generator=gen)
    for i in range(0, n, batch_size):
        yield perm[i : i + batch_size]


@torch.no_grad()
def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows whose argmax equals the label."""
    return float((logits.argmax(1) == y).float().mean())


@dataclass
class Timer:
    """Wall and CPU seconds of a block (`with timed() as t: ...; t.wall, t.cpu`)."""

    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def timed() -> Iterator[Timer]:
    t = Timer()
    w0, c0 = time.perf_counter(), time.process_time()
    try:
        yield t
    finally:
        t.wall = time.perf_counter() - w0
        t.cpu = time.process_time() - c0


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample SD (ddof=1; 0.0 for a single value)."""
    a = np.asarray(values, dtype=float)
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0
