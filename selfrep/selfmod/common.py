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


# --------------------------------------------------------------------------------------------------
# Many small MLPs trained at once: one stacked tensor per layer, (P, out, in), zero-padded to the
# widest net of the stack and masked, so that P independent Adam runs cost one batched step.
# --------------------------------------------------------------------------------------------------
@dataclass
class Stack:
    """P MLPs of one depth and activation as stacked, padded tensors.

    `W[l]` (P, out_l, in_l) and `b[l]` (P, out_l) are leaf tensors (Adam's parameters); `Wm[l]`, `bm[l]`
    are 0/1 masks (the padding, or a pruning mask) applied in every forward pass, so masked entries
    get no gradient and Adam never moves them; `skip[l]` (P, 1, 1) is 1 where hidden layer l of net p
    adds its input (`mlp_forward`'s rule: real fan-in == real fan-out)."""

    W: list[torch.Tensor]
    b: list[torch.Tensor]
    Wm: list[torch.Tensor]
    bm: list[torch.Tensor]
    skip: list[torch.Tensor]
    act: str

    @property
    def P(self) -> int:
        return self.W[0].shape[0]

    def params(self) -> list[torch.Tensor]:
        return [*self.W, *self.b]

    def effective(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The masked (W, b) per layer, stacked."""
        return [(W * m, b * bm) for W, m, b, bm in zip(self.W, self.Wm, self.b, self.bm, strict=True)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (P, B, out) for inputs x of shape (P, B, in) or (B, in) (the same rows for every net)."""
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.P, -1, -1)
        f = activation(self.act)
        layers = self.effective()
        h = x
        for l, (W, b) in enumerate(layers[:-1]):
            z = f(torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2)))
            if self.skip[l].any():
                hh = (
                    h[..., : z.shape[-1]]
                    if h.shape[-1] >= z.shape[-1]
                    else F.pad(h, (0, z.shape[-1] - h.shape[-1]))
                )
                z = z + self.skip[l] * hh
            h = z
        W, b = layers[-1]
        return torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2))

    def unstack(self, p: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Net p's masked layers, padding included (a pure copy)."""
        return [(W[p].detach().clone(), b[p].detach().clone()) for W, b in self.effective()]


def stack_layers(
    nets: Sequence[Sequence[tuple[torch.Tensor, torch.Tensor]]],
    act: str,
    skip: Sequence[bool] | bool = False,
    masks: Sequence[Sequence[torch.Tensor]] | None = None,
) -> Stack:
    """Stack P MLPs of the same depth ([(W (out, in), b (out)), ...] each) into one `Stack`, zero-padding
    every layer to the widest of the P nets; `masks` (optional, shaped like each W) multiply the
    weights as pruning masks. A net with `skip` adds a hidden layer's input where its real fan-in equals
    its real fan-out."""
    P = len(nets)
    if P == 0:
        raise ValueError("nets: need at least one network")
    depth = len(nets[0])
    if any(len(n) != depth for n in nets):
        raise ValueError("nets: every stacked network must have the same number of layers")
    skips = [bool(skip)] * P if isinstance(skip, bool) else [bool(s) for s in skip]
    if len(skips) != P:
        raise ValueError(f"skip: need one flag per network ({P}), got {len(skips)}")
    Ws, bs, Wms, bms, sks = [], [], [], [], []
    for l in range(depth):
        fo = max(int(n[l][0].shape[0]) for n in nets)
        fi = max(int(n[l][0].shape[1]) for n in nets)
        W = torch.zeros(P, fo, fi)
        b = torch.zeros(P, fo)
        Wm = torch.zeros(P, fo, fi)
        bm = torch.zeros(P, fo)
        sk = torch.zeros(P, 1, 1)
        for p, n in enumerate(nets):
            w0, b0 = n[l]
            o, i = w0.shape
            W[p, :o, :i] = w0.detach()
            b[p, :o] = b0.detach()
            Wm[p, :o, :i] = 1.0 if masks is None else masks[p][l]
            bm[p, :o] = 1.0
            sk[p] = float(skips[p] and l < depth - 1 and o == i)
        Ws.append(W.requires_grad_(True))
        bs.append(b.requires_grad_(True))
        Wms.append(Wm)
        bms.append(bm)
        sks.append(sk)
    return Stack(Ws, bs, Wms, bms, sks, act)


def stack_losses(stack: Stack, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-net mean cross-entropy (P,) for inputs x (P, B, in) and labels y (P, B)."""
    logits = stack.forward(x)
    return F.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1)


def epoch_batches(n: int, batch_size: int, gens: Sequence[torch.Generator]) -> Iterator[torch.Tensor]:
    """Index tensors (P, B) of one shuffled epoch, one permutation per net from its own generator (row p
    is exactly what `batches(n, batch_size, gens[p])` yields)."""
    perm = torch.stack([torch.randperm(n, generator=g) for g in gens])
    for i in range(0, n, batch_size):
        yield perm[:, i : i + batch_size]


def adam_stack_curves(
    stack: Stack,
    gens: Sequence[torch.Generator],
    steps: Sequence[int],
    X: torch.Tensor,
    y: torch.Tensor,
    X_test: torch.Tensor,
    y_test: torch.Tensor,
    lr: float = 1e-3,
    batch_size: int = 64,
) -> np.ndarray:
    """Adam-train every net of `stack` (net p on the batch order of `gens[p]`, epoch after epoch) and
    return its test accuracy after each number of steps in `steps` (increasing), as (P, len(steps)).
    Each net's updates are those of training it alone (Adam is elementwise; the summed loss gives every
    net the gradient of its own mean loss)."""
    torch.set_num_threads(1)  # tiny models: one thread is 8-20x faster on a shared 2-core machine
    target = list(steps)
    if target != sorted(target) or (target and target[0] < 0):
        raise ValueError(f"steps: must be non-negative and increasing, got {steps}")
    opt = torch.optim.Adam(stack.params(), lr=lr)
    out = np.zeros((stack.P, len(target)))
    n, done, k = X.shape[0], 0, 0

    def evaluate() -> np.ndarray:
        with torch.no_grad():
            return (stack.forward(X_test).argmax(-1) == y_test).float().mean(1).numpy()

    while k < len(target):
        for idx in epoch_batches(n, batch_size, gens):
            while k < len(target) and target[k] == done:
                out[:, k] = evaluate()
                k += 1
            if k >= len(target):
                break
            loss = stack_losses(stack, X[idx], y[idx]).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            done += 1
    return out
