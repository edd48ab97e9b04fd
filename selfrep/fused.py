"""Fused weightwise kernels: one self-training step (or self-application) of a whole population as one
elementwise computation, compiled with torch.compile.

The eager operators (selfrep.operators) are the reference: batched matmuls and autograd, correct on every
device. A weightwise network is tiny (14 weights, ~1 kFLOP per step), so eager time goes to per-op overhead.
Here every weight of every network is a column: the population's k-th weight is one (P,) vector, and the
forward pass, the hand-written backward pass, the Fisher-Yates sample order and the SGD/momentum update are
written as arithmetic on those vectors, unrolled over the (static) architecture. torch.compile fuses it all
into one loop over P. The sample orders come from the same keys and hash as selfrep.shuffle, so the fused
and eager paths visit samples in the same order and agree to float rounding (tested).

Used through `TrainConfig(backend="compiled")` and `self_apply(..., backend="compiled")`. If no compiler
works on this machine, `available()` is False and callers fall back to the eager path.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache, lru_cache

import torch

from selfrep.nets import Arch
from selfrep.shuffle import draw_keys, swap_indices

Col = torch.Tensor  # a (P,) column: one scalar of every network


# ------------------------------------------------------------------------------------------------
# Column views of an MLP
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


def _unflatten(arch: Arch, cols: list[Col]) -> tuple[list[list[list[Col]]], list[list[Col]]]:
    """Columns -> K[layer][i][j] and B[layer][j] (B empty lists when there is no bias)."""
    K = [[[None] * b for _ in range(a)] for a, b in zip(arch.sizes[:-1], arch.sizes[1:], strict=True)]
    B = [[None] * b if arch.bias else [] for b in arch.sizes[1:]]
    for col, (layer, role, i, j) in zip(cols, _layout(arch), strict=True):
        if role == "kernel":
            K[layer][i][j] = col
        else:
            B[layer][j] = col
    return K, B


def _flatten(arch: Arch, K, B) -> list[Col]:
    return [K[l][i][j] if role == "kernel" else B[l][j] for l, role, i, j in _layout(arch)]


def _act(z: Col, activation: str) -> Col:
    if activation == "linear":
        return z
    if activation == "tanh":
        return torch.tanh(z)
    if activation == "relu":
        return torch.relu(z)
    return torch.sigmoid(z)


def _act_grad(z: Col, a: Col, activation: str) -> Col | None:
    """da/dz, or None for linear (multiplication by 1 is skipped)."""
    if activation == "linear":
        return None
    if activation == "tanh":
        return 1.0 - a * a
    if activation == "relu":
        return (z > 0).to(z.dtype)
    return a * (1.0 - a)


def _forward(arch: Arch, K, B, x: list[Col]) -> tuple[list[list[Col]], list[list[Col]]]:
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


def _backward(arch: Arch, K, zs, acts, d_out: list[Col]):
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


def _fisher_yates(keys: Col, S: int) -> list[Col]:
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


# ------------------------------------------------------------------------------------------------
# Kernels (pure functions of tensors; built per architecture and step kind, then compiled)
# ------------------------------------------------------------------------------------------------
def _make_step(arch: Arch, step: str, momentum_on: bool) -> Callable:
    W = arch.n_weights
    n_out = arch.n_out

    def update(cols, vcols, gcols, lr, mom):
        if vcols is None:
            return [w - lr * g for w, g in zip(cols, gcols, strict=True)], None
        vcols = [mom * v + g for v, g in zip(vcols, gcols, strict=True)]
        return [w - lr * v for w, v in zip(cols, vcols, strict=True)], vcols

    def step_fn(
        w: torch.Tensor,
        v: torch.Tensor | None,
        keys: torch.Tensor,
        enc: torch.Tensor,
        lr: torch.Tensor,
        mom: torch.Tensor,
    ):
        cols = list(w.unbind(1))
        vcols = list(v.unbind(1)) if momentum_on else None
        encs = [enc[:, c] for c in range(enc.shape[1])]
        if step == "batch":
            K, B = _unflatten(arch, cols)
            gsum = None
            for s in range(W):  # every weight is one sample; gradients of the mean loss are summed
                x = [cols[s]] + [e[s].expand_as(cols[s]) for e in encs]
                zs, acts = _forward(arch, K, B, x)
                d_out = [(2.0 / (W * n_out)) * (acts[-1][o] - cols[s]) for o in range(n_out)]
                gK, gB = _backward(arch, K, zs, acts, d_out)
                g = _flatten(arch, gK, gB)
                gsum = g if gsum is None else [a + b for a, b in zip(gsum, g, strict=True)]
            cols, vcols = update(cols, vcols, gsum, lr, mom)
        else:
            order = _fisher_yates(keys, W)
            frozen = w  # targets and inputs are frozen at the start of the epoch
            for k in range(W):
                pick = order[k]
                val = torch.gather(frozen, 1, pick.unsqueeze(1)).squeeze(1)
                x = [val] + [e[pick] for e in encs]
                K, B = _unflatten(arch, cols)
                zs, acts = _forward(arch, K, B, x)
                d_out = [(2.0 / n_out) * (acts[-1][o] - val) for o in range(n_out)]
                gK, gB = _backward(arch, K, zs, acts, d_out)
                cols, vcols = update(cols, vcols, _flatten(arch, gK, gB), lr, mom)
        new_w = torch.stack(cols, dim=1)
        new_v = torch.stack(vcols, dim=1) if momentum_on else None
        return new_w, new_v

    return step_fn


def _make_apply(arch: Arch) -> Callable:
    def apply_fn(attacker: torch.Tensor, victim: torch.Tensor, enc: torch.Tensor) -> torch.Tensor:
        K, B = _unflatten(arch, list(attacker.unbind(1)))
        vcols = list(victim.unbind(1))
        out = []
        for s, vs in enumerate(vcols):
            x = [vs] + [enc[s, c].expand_as(vs) for c in range(enc.shape[1])]
            _, acts = _forward(arch, K, B, x)
            out.append(acts[-1][0])
        return torch.stack(out, dim=1)

    return apply_fn


# ------------------------------------------------------------------------------------------------
# Compilation and dispatch
# ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def available() -> bool:
    """True if torch.compile can build a CPU kernel here (a C++ compiler is present and works)."""
    try:
        f = torch.compile(lambda x: x * 2.0 + 1.0, dynamic=False)
        return bool(torch.equal(f(torch.ones(3)), torch.full((3,), 3.0)))
    except Exception as exc:  # any failure means: use the eager path
        warnings.warn(f"torch.compile unavailable ({type(exc).__name__}); using the eager path", stacklevel=2)
        return False


@cache
def compiled_step(arch: Arch, step: str, momentum_on: bool) -> Callable:
    return torch.compile(_make_step(arch, step, momentum_on), dynamic=True)


@cache
def compiled_apply(arch: Arch) -> Callable:
    return torch.compile(_make_apply(arch), dynamic=True)


def eager_step(arch: Arch, step: str, momentum_on: bool) -> Callable:
    """The same fused computation, uncompiled (used by the tests to check the compiled kernel)."""
    return _make_step(arch, step, momentum_on)


def supports(reduction, config=None) -> bool:
    """Whether a fused kernel exists for this reduction (weightwise MLPs) and a compiler works."""
    from selfrep.reductions import Weightwise

    return isinstance(reduction, Weightwise) and available()


def _scalar(x: float, like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(x, dtype=like.dtype, device=like.device)


def train_step(state, reduction, config, generator=None, *, compiled: bool = True):
    """One self-training step of a weightwise population with the fused kernel (see TrainConfig)."""
    from selfrep.operators import TrainState

    w = reduction.arch.check(state.weights, "state.weights")
    momentum_on = config.momentum > 0
    v = state.velocity
    if momentum_on and v is None:
        v = torch.zeros_like(w)
    P = w.shape[0]
    # The eager path draws one key per network for an epoch step (none for a batch step): same stream.
    if config.step == "epoch":
        keys = draw_keys(P, generator, w.device)
    else:
        keys = torch.zeros(P, dtype=torch.int64, device=w.device)
    enc = reduction.encoding(w.dtype, w.device)
    build = compiled_step if compiled else eager_step
    fn = build(reduction.arch, config.step, momentum_on)
    new_w, new_v = fn(
        w.contiguous(),
        v.contiguous() if momentum_on else None,
        keys,
        enc,
        _scalar(config.learning_rate, w),
        _scalar(config.momentum, w),
    )
    return TrainState(new_w, new_v, state.step + 1)


def apply(attacker: torch.Tensor, victim: torch.Tensor, reduction, *, compiled: bool = True) -> torch.Tensor:
    """reduction.apply(attacker, victim) for a weightwise reduction, with the fused kernel."""
    reduction.arch.check(attacker, "attacker")
    reduction.arch.check(victim, "victim")
    enc = reduction.encoding(victim.dtype, victim.device)
    fn = compiled_apply(reduction.arch) if compiled else _make_apply(reduction.arch)
    return fn(attacker.contiguous(), victim.contiguous(), enc)
