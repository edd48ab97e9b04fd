"""Slow, obviously correct per-network reference implementations, written from the paper-spec tables.

Nothing here is imported from selfrep's computing code: one network at a time, weights read out of the flat
row by explicit index arithmetic, training done with torch.nn modules and torch.optim.SGD the way the
published code does it. The batched library must agree with these (`allclose`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

ACT = {
    "linear": lambda x: x,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
}


def mlp_matrices(sizes, row, order="input_major", bias=False):
    """Per layer: (kernel as (n_in, n_out) tensor, bias (n_out,) or None), read by index arithmetic."""
    out, off = [], 0
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        K = torch.zeros(a, b, dtype=row.dtype)
        for i in range(a):
            for j in range(b):
                k = off + (i * b + j if order == "input_major" else j * a + i)
                K[i, j] = row[k]
        off += a * b
        bb = None
        if bias:
            bb = row[off : off + b].clone()
            off += b
        out.append((K, bb))
    assert off == row.numel()
    return out


def mlp_forward(sizes, row, x, activation="linear", order="input_major", bias=False):
    """One network, one input vector x (n_in,) -> (n_out,)."""
    h = x
    for K, bb in mlp_matrices(sizes, row, order, bias):
        h = h @ K
        if bb is not None:
            h = h + bb
        h = ACT[activation](h)
    return h


def ww_positions(sizes, order="input_major", bias=False, positions="scaled"):
    """(layer, cell, position) of every flat index, enumerated as in paper-spec §1.1 tables."""
    rows = []
    nl = len(sizes) - 1
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        ai = a + int(bias)  # bias = one more input row
        if order == "input_major":
            # memory: kernel (a, b) row-major, then bias (b)
            entries = [(i, j) for i in range(a) for j in range(b)] + (
                [(a, j) for j in range(b)] if bias else []
            )
            n_rows, n_cols = ai, b
            cells = [(i, j) for i, j in entries]  # cell = input, position = output
        else:
            # memory: weight (b, a) row-major (row = output j, col = input i), then bias (b)
            entries = [(i, j) for j in range(b) for i in range(a)] + (
                [(a, j) for j in range(b)] if bias else []
            )
            n_rows, n_cols = b, ai
            cells = [(j, i) for i, j in entries]  # cell = output, position = input
        for c, p in cells:
            if positions == "scaled":
                rows.append((l / max(nl - 1, 1), c / max(n_rows - 1, 1), p / max(n_cols - 1, 1)))
            else:
                rows.append((float(l), float(c), float(p)))
    return rows


def ww_apply(
    sizes,
    attacker,
    victim,
    activation="linear",
    order="input_major",
    bias=False,
    positions="scaled",
):
    pos = ww_positions(sizes, order, bias, positions)
    out = torch.empty_like(victim)
    for i in range(victim.numel()):
        x = torch.tensor([float(victim[i]), *pos[i]], dtype=victim.dtype)
        out[i] = mlp_forward(sizes, attacker, x, activation, order, bias)[0]
    return out


def agg_blocks(W, b):
    size = W // b
    blocks = [list(range(k * size, (k + 1) * size)) for k in range(b)]
    blocks[-1].extend(range(b * size, W))
    return blocks


def agg_apply(sizes, attacker, victim, activation="linear", order="input_major", bias=False):
    b = sizes[0]
    blocks = agg_blocks(victim.numel(), b)
    x = torch.stack([victim[blk].mean() for blk in blocks])
    y = mlp_forward(sizes, attacker, x, activation, order, bias)
    out = torch.empty_like(victim)
    for k, blk in enumerate(blocks):
        for i in blk:
            out[i] = y[k]
    return out


def rnn_layers(units, row, bias=False):
    """Keras order per layer: kernel (n_in, u), recurrent (u, u), [bias (u)]."""
    sizes = (1, *units)
    out, off = [], 0
    for a, u in zip(sizes[:-1], sizes[1:], strict=True):
        K = row[off : off + a * u].reshape(a, u)
        off += a * u
        U = row[off : off + u * u].reshape(u, u)
        off += u * u
        bb = None
        if bias:
            bb = row[off : off + u]
            off += u
        out.append((K, U, bb))
    assert off == row.numel()
    return out


def rnn_forward(units, row, seq, activation="linear", bias=False):
    """seq (T,) scalars -> (T,) outputs of the last layer (units[-1] == 1)."""
    xs = [seq[t].reshape(1) for t in range(seq.numel())]
    for K, U, bb in rnn_layers(units, row, bias):
        h = torch.zeros(U.shape[0], dtype=row.dtype)
        ys = []
        for x in xs:
            z = x @ K + h @ U
            if bb is not None:
                z = z + bb
            h = ACT[activation](z)
            ys.append(h)
        xs = ys
    return torch.stack([y[0] for y in xs])


# ------------------------------------------------------------------------------------------------
# Training the way the published code does it: one nn.Module per network, torch.optim.SGD
# ------------------------------------------------------------------------------------------------
class RefMLP(torch.nn.Module):
    def __init__(self, sizes, row, activation="linear", order="input_major", bias=False):
        super().__init__()
        self.sizes, self.activation, self.order, self.bias = sizes, activation, order, bias
        self.params = torch.nn.ParameterList()
        for K, bb in mlp_matrices(sizes, row.detach(), order, bias):
            self.params.append(torch.nn.Parameter(K.clone()))
            if bias:
                self.params.append(torch.nn.Parameter(bb.clone()))

    def forward(self, x):
        h, it = x, iter(self.params)
        for _ in range(len(self.sizes) - 1):
            h = h @ next(it)
            if self.bias:
                h = h + next(it)
            h = ACT[self.activation](h)
        return h

    def flat(self):
        parts, it = [], iter(self.params)
        for _ in range(len(self.sizes) - 1):
            K = next(it).detach()
            parts.append((K if self.order == "input_major" else K.T).reshape(-1))
            if self.bias:
                parts.append(next(it).detach().reshape(-1))
        return torch.cat(parts)


def ww_train_reference(
    sizes,
    row,
    steps,
    step_kind,
    lr,
    momentum,
    orders=None,
    activation="linear",
    order="input_major",
    bias=False,
    positions="scaled",
):
    """Self-train one weightwise net. orders[t] is the sample order of epoch t (step_kind 'epoch').
    One optimizer for the whole run, so momentum is carried across steps."""
    net = RefMLP(sizes, row, activation, order, bias)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    pos = torch.tensor(ww_positions(sizes, order, bias, positions), dtype=row.dtype)
    for t in range(steps):
        w = net.flat()
        X = torch.cat([w.unsqueeze(1), pos], dim=1)  # frozen for the step
        Y = w.unsqueeze(1)
        if step_kind == "batch":
            opt.zero_grad()
            F.mse_loss(net(X), Y).backward()
            opt.step()
        else:
            for k in orders[t]:
                opt.zero_grad()
                F.mse_loss(net(X[k : k + 1]), Y[k : k + 1]).backward()
                opt.step()
    return net.flat()


def glorot_bound(a, b):
    return math.sqrt(6.0 / (a + b))
