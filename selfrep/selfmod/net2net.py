"""Function-preserving growth (Net2Net; Chen, Goodfellow & Shlens, ICLR 2016) and magnitude
shrinking of
MLPs.

An MLP is a list [(W, b), ...] with W shaped (out, in); hidden layer `l` is the output of
`layers[l]`, and
the last pair is the linear output layer (see `selfmod_common.mlp_forward`).

- `net2wider(layers, l, width, gen)`: hidden layer l grows to `width` units by copying randomly
  chosen
  existing units. Net2WiderNet divides each copied unit's outgoing weights by its number of copies;
  here
  the outgoing weights of a unit and its copies are split with random fractions that sum to one,
  which
  preserves the function exactly *and* breaks the symmetry between copies (equal halves would keep
  copies
  identical under SGD, which is why Net2Net adds noise, at the cost of exactness). `noise` adds the
  classic noise on top, if wanted.
- `net2deeper(layers, l)`: an identity layer is inserted after hidden layer l (exact for ReLU,
  which is
  idempotent, on the non-negative outputs of a ReLU layer).
- `shrink(layers, l, width)`: keeps the `width` units with the largest |incoming| x |outgoing|
  weight norm
  product (not function-preserving; the prune edit of E5).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

Layers = list[tuple[torch.Tensor, torch.Tensor]]


def _check_hidden(layers: Sequence[tuple[torch.Tensor, torch.Tensor]], l: int) -> None:
    n_hidden = len(layers) - 1
    if not 0 <= l < n_hidden:
        raise ValueError(f"l: hidden layer index {l} out of range (the net has {n_hidden} hidden layers)")


def net2wider(
    layers: Sequence[tuple[torch.Tensor, torch.Tensor]],
    l: int,
    width: int,
    gen: torch.Generator,
    noise: float = 0.0,
) -> Layers:
    """Widen hidden layer `l` to `width` units, preserving the function exactly when `noise` is
    0."""
    _check_hidden(layers, l)
    W, b = layers[l]
    W_next, b_next = layers[l + 1]
    n = W.shape[0]
    if width < n:
        raise ValueError(f"width: {width} is smaller than the current width {n} of layer {l}")
    extra = torch.randint(0, n, (width - n,), generator=gen)
    g = torch.cat([torch.arange(n), extra])  # new unit j copies old unit g[j]
    # Random positive fractions per copy, normalised within each group of copies of the same old
    # unit.
    frac = torch.rand(width, generator=gen, dtype=W.dtype) * 0.5 + 0.25
    group_sum = torch.zeros(n, dtype=W.dtype).index_add_(0, g, frac)
    frac = frac / group_sum[g]
    W_new = W[g].clone()
    b_new = b[g].clone()
    W_next_new = W_next[:, g] * frac[None, :]
    if noise > 0:
        W_new = W_new + noise * W.std() * torch.randn(W_new.shape, generator=gen, dtype=W.dtype)
    out = list(layers)
    out[l] = (W_new, b_new)
    out[l + 1] = (W_next_new, b_next.clone())
    return out


def net2deeper(
    layers: Sequence[tuple[torch.Tensor, torch.Tensor]],
    l: int,
    gen: torch.Generator | None = None,
    noise: float = 0.0,
) -> Layers:
    """Insert an identity hidden layer after hidden layer `l` (exact for ReLU nets when `noise` is
    0)."""
    _check_hidden(layers, l)
    W = layers[l][0]
    n = W.shape[0]
    eye = torch.eye(n, dtype=W.dtype)
    if noise > 0:
        if gen is None:
            raise ValueError("gen: a generator is needed when noise > 0")
        eye = eye + noise / n**0.5 * torch.randn((n, n), generator=gen, dtype=W.dtype)
    out = list(layers)
    out.insert(l + 1, (eye, torch.zeros(n, dtype=W.dtype)))
    return out


def unit_scores(layers: Sequence[tuple[torch.Tensor, torch.Tensor]], l: int) -> torch.Tensor:
    """|incoming| x |outgoing| weight-norm product of each unit of hidden layer `l` (its
    magnitude)."""
    _check_hidden(layers, l)
    W, _ = layers[l]
    W_next, _ = layers[l + 1]
    return W.norm(dim=1) * W_next.norm(dim=0)


def shrink(layers: Sequence[tuple[torch.Tensor, torch.Tensor]], l: int, width: int) -> Layers:
    """Keep the `width` units of hidden layer `l` with the largest magnitude (ties: lower index
    first)."""
    _check_hidden(layers, l)
    W, b = layers[l]
    n = W.shape[0]
    if not 1 <= width <= n:
        raise ValueError(f"width: {width} must be in [1, {n}] for layer {l}")
    keep = torch.sort(torch.argsort(unit_scores(layers, l), descending=True, stable=True)[:width]).values
    W_next, b_next = layers[l + 1]
    out = list(layers)
    out[l] = (W[keep].clone(), b[keep].clone())
    out[l + 1] = (W_next[:, keep].clone(), b_next.clone())
    return out


def widths(layers: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> tuple[int, ...]:
    """Hidden widths of an MLP layer list."""
    return tuple(int(W.shape[0]) for W, _ in layers[:-1])
