"""Column form of a weightwise network: the forward pass, a hand-written backward pass and the SGD/momentum
update as arithmetic on columns (one column = one weight of every network). Run on torch tensors it is the
readable reference of the kernels (`column_step`, `column_apply`); run on `cgen._Var`
placeholders (which say so by `is_placeholder`) the same code emits C (selfrep.kernels.cgen)."""

from __future__ import annotations

import torch

from selfrep.nets import Arch
from selfrep.shuffle import swap_indices

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
    if getattr(z, "is_placeholder", False):
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
    return z.positive() if getattr(z, "is_placeholder", False) else (z > 0).to(z.dtype)


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
    teacher: torch.Tensor | None = None,
):
    """One self-training step in column form on torch tensors: returns (weights, velocity or None).

    With `teacher` ((P, W), epoch steps only) network p learns network p of `teacher`: the samples are made
    of the teacher's weights instead of its own."""
    W = arch.n_weights
    if teacher is not None and step != "epoch":
        raise ValueError("teacher: learning from another network is written for epoch steps only")
    src = w if teacher is None else teacher
    cols, vcols = list(w.unbind(1)), (list(v.unbind(1)) if v is not None else None)
    if step == "batch":
        encs = [[enc[s, c].expand_as(cols[0]) for c in range(enc.shape[1])] for s in range(W)]
        cols, vcols = _batch_step(arch, cols, vcols, encs, lr, mom)
    else:
        for pick in _fisher_yates(keys, W):
            val = torch.gather(src, 1, pick.unsqueeze(1)).squeeze(1)  # frozen at the start of the epoch
            x = [val] + [enc[:, c][pick] for c in range(enc.shape[1])]
            cols, vcols = _sgd(cols, vcols, _sample_grad(arch, cols, x, val, 1.0 / arch.n_out), lr, mom)
    return torch.stack(cols, 1), (torch.stack(vcols, 1) if vcols is not None else None)


def column_apply(arch: Arch, attacker: torch.Tensor, victim: torch.Tensor, enc: torch.Tensor) -> torch.Tensor:
    vcols = list(victim.unbind(1))
    encs = [[enc[s, c].expand_as(vcols[0]) for c in range(enc.shape[1])] for s in range(len(vcols))]
    return torch.stack(_apply_cols(arch, list(attacker.unbind(1)), vcols, encs), 1)
