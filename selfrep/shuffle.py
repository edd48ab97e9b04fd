"""Per-network random sample orders, reproducible from a torch.Generator, identical in eager and fused code.

Keras' `fit(shuffle=True)` visits the training samples of each epoch in a fresh uniformly random order. For
P networks we draw ONE 32-bit key per network from the caller's generator and expand it, with a counter-based
integer hash, into the S - 1 swap indices of a Fisher-Yates shuffle. Drawing one number per network instead
of S keeps the generator off the hot path (the Mersenne twister costs ~3 ns per draw); the hash and the
swaps are plain integer arithmetic, so the fused kernel (selfrep.kernels) reproduces exactly the orders that
the eager code computes here.
"""

from __future__ import annotations

import torch

M32 = (1 << 32) - 1
_GOLDEN = 0x9E3779B9


def mix32(x: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer hash (the 'lowbias32' mixer) on int64 tensors holding values in [0, 2^32)."""
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & M32
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & M32
    return x ^ (x >> 16)


def draw_keys(
    P: int, generator: torch.Generator | None, device: torch.device | str | None = None
) -> torch.Tensor:
    """(P,) int64 keys in [0, 2^32), one per network, from `generator`."""
    if generator is not None:
        device = generator.device
    return torch.randint(0, 1 << 32, (P,), generator=generator, dtype=torch.int64, device=device)


def swap_indices(keys: torch.Tensor, S: int) -> list[torch.Tensor]:
    """Fisher-Yates swap targets: entry for i = S-1 ... 1 is j_i uniform in [0, i] (multiply-shift, no
    division). Returned in that order, each (P,) int64."""
    out = []
    for i in range(S - 1, 0, -1):
        r = mix32(mix32((keys + i * _GOLDEN) & M32))
        out.append((r * (i + 1)) >> 32)
    return out


def orders_from_keys(keys: torch.Tensor, S: int) -> torch.Tensor:
    """(P, S) int64: a uniformly random permutation of range(S) per network, determined by its key."""
    P = keys.shape[0]
    idx = torch.arange(S, device=keys.device).expand(P, S).clone()
    for i, j in zip(range(S - 1, 0, -1), swap_indices(keys, S), strict=True):
        j = j.unsqueeze(1)
        a = idx[:, i].clone()
        idx[:, i] = idx.gather(1, j).squeeze(1)
        idx.scatter_(1, j, a.unsqueeze(1))
    return idx


def sample_orders(
    P: int, S: int, generator: torch.Generator | None, device: torch.device | str | None = None
) -> torch.Tensor:
    """(P, S) int64 random visiting orders, one permutation of range(S) per network."""
    return orders_from_keys(draw_keys(P, generator, device), S)
