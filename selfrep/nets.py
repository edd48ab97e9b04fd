"""Architectures, initialisation and batched forward passes over a population of networks.

A population of P networks of one architecture is a single `(P, W)` tensor: row p holds every weight of
network p, flattened in a fixed order. `Arch` is the frozen description that maps a row to its layer
matrices, so every operation is one batched tensor computation over all P networks.

Paper setting (Gabor, Illium et al. 2019, §3; paper-spec §1): 2 hidden layers of 2 cells, linear activation
everywhere including the output, no bias, float32.

Flat order of a layer (paper-spec §1.1):
- "input_major": each kernel stored as (n_in, n_out), row-major, as in the Keras code (master branch);
  a bias, if any, follows the kernel.
- "output_major": each weight stored as (n_out, n_in), row-major, as in PyTorch's `nn.Linear` (journal
  branch); a bias follows the weight.
Recurrent layers (Keras `SimpleRNN`) store kernel (n_in, units), recurrent kernel (units, units), then bias.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import torch

ACTIVATIONS: tuple[str, ...] = ("linear", "tanh", "relu", "sigmoid")
KINDS: tuple[str, ...] = ("mlp", "rnn")
ORDERS: tuple[str, ...] = ("input_major", "output_major")
INITS: tuple[str, ...] = ("glorot", "pytorch")


# Population dtypes. float16 and bfloat16 are refused: their resolution (eps 9.8e-4 and 7.8e-3) is far
# coarser than the fixpoint tolerance (1e-5), so every non-zero fixpoint would vanish and nets would
# diverge that do not in float32.
DTYPES: tuple[torch.dtype, ...] = (torch.float32, torch.float64)


def check_dtype(dtype: object, name: str = "dtype") -> torch.dtype:
    """`dtype` if populations may have it (float32, float64), else a ValueError naming `name`."""
    if dtype in (torch.float16, torch.bfloat16):
        eps = torch.finfo(dtype).eps
        raise ValueError(
            f"{name}: {dtype} is not supported: its resolution ({eps:.1e}) is coarser than the fixpoint "
            "tolerance eps = 1e-5, so fixpoints would be lost; use torch.float32 or torch.float64"
        )
    if dtype not in DTYPES:
        raise ValueError(f"{name}: expected torch.float32 or torch.float64, got {dtype!r}")
    return dtype


def check_generator(generator: object, name: str = "generator") -> torch.Generator | None:
    """`generator` if it is a torch.Generator or None, else a ValueError naming `name`."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(
            f"{name}: expected a torch.Generator or None, got {type(generator).__name__} "
            "(seed one with torch.Generator().manual_seed(n))"
        )
    return generator


def check_count(value: object, name: str, minimum: int = 0) -> int:
    """`value` if it is an int (not a bool) >= minimum, else a ValueError naming `name`."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name}: must be an int >= {minimum}, got {value!r}")
    return value


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}: unknown value {value!r} (expected one of {', '.join(allowed)})")
    return value


class Block(NamedTuple):
    """One contiguous block of a flat weight row: a matrix or a bias vector.

    `rows, cols` is the block's shape as stored in memory (row-major). `role` is "kernel", "recurrent"
    or "bias". `layer` is the layer index. For kernels, `transposed` tells whether memory holds
    (n_out, n_in) (output-major) instead of (n_in, n_out).
    """

    layer: int
    role: str
    offset: int
    rows: int
    cols: int
    transposed: bool

    @property
    def size(self) -> int:
        return self.rows * self.cols


@dataclass(frozen=True)
class Arch:
    """A network architecture: layer sizes, activation, bias, kind and flat order.

    Attributes:
        sizes: (n_in, h_1, ..., n_out). For kind="rnn": (input_dim, units_1, ..., units_L).
        activation: one of ACTIVATIONS, applied after every layer (output included), as in the paper's code.
        bias: whether each layer has a bias vector.
        kind: "mlp" (dense layers) or "rnn" (stacked simple RNN layers returning sequences).
        order: flat layout of kernels, "input_major" (Keras) or "output_major" (PyTorch).
    """

    sizes: tuple[int, ...]
    activation: str = "linear"
    bias: bool = False
    kind: str = "mlp"
    order: str = "input_major"

    def __post_init__(self) -> None:
        object.__setattr__(self, "sizes", tuple(int(s) for s in self.sizes))
        if len(self.sizes) < 2 or any(s < 1 for s in self.sizes):
            raise ValueError(f"sizes: need at least two positive layer sizes, got {self.sizes}")
        _one_of("activation", self.activation, ACTIVATIONS)
        _one_of("kind", self.kind, KINDS)
        _one_of("order", self.order, ORDERS)

    # ----------------------------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def n_in(self) -> int:
        return self.sizes[0]

    @property
    def n_out(self) -> int:
        return self.sizes[-1]

    @cached_property
    def blocks(self) -> tuple[Block, ...]:
        """Every block of the flat row, in memory order."""
        out: list[Block] = []
        off = 0
        t = self.order == "output_major"
        for layer, (a, b) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            shapes = [("kernel", (b, a) if t else (a, b), t)]
            if self.kind == "rnn":
                shapes.append(("recurrent", (b, b), t))
            if self.bias:
                shapes.append(("bias", (1, b), False))
            for role, (r, c), tr in shapes:
                out.append(Block(layer, role, off, r, c, tr))
                off += r * c
        return tuple(out)

    @cached_property
    def n_weights(self) -> int:
        """W, the number of scalars per network (weights and biases)."""
        last = self.blocks[-1]
        return last.offset + last.size

    def check(self, weights: torch.Tensor, name: str = "weights") -> torch.Tensor:
        """Raise a ValueError naming `name` unless `weights` is a floating (P, W) tensor of this arch."""
        if not isinstance(weights, torch.Tensor):
            raise ValueError(f"{name}: expected a torch.Tensor, got {type(weights).__name__}")
        if weights.ndim != 2 or weights.shape[1] != self.n_weights:
            raise ValueError(
                f"{name}: expected shape (P, {self.n_weights}) for {self}, got {tuple(weights.shape)}"
            )
        if not weights.is_floating_point():
            raise ValueError(f"{name}: expected a floating-point tensor, got {weights.dtype}")
        check_dtype(weights.dtype, name)
        return weights

    # ----------------------------------------------------------------------------------------------
    def layers(self, weights: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        """Per-layer views of a (P, W) population.

        Returns one dict per layer with "kernel" (P, n_in, n_out), "recurrent" (P, units, units) for rnn,
        and "bias" (P, n_out) when bias=True. Kernels are always returned input-major (x @ kernel).
        """
        P = weights.shape[0]
        out: list[dict[str, torch.Tensor]] = [{} for _ in range(self.n_layers)]
        for blk in self.blocks:
            flat = weights[:, blk.offset : blk.offset + blk.size]
            if blk.role == "bias":
                out[blk.layer]["bias"] = flat
            else:
                m = flat.reshape(P, blk.rows, blk.cols)
                out[blk.layer][blk.role] = m.transpose(1, 2) if blk.transposed else m
        return out

    def flatten(self, layers: list[dict[str, torch.Tensor]]) -> torch.Tensor:
        """Inverse of `layers`: per-layer tensors (input-major kernels) back to one (P, W) row each."""
        parts = []
        for blk in self.blocks:
            t = layers[blk.layer][blk.role]
            if blk.role != "bias" and blk.transposed:
                t = t.transpose(1, 2)
            parts.append(t.reshape(t.shape[0], blk.size))  # explicit: -1 is ambiguous when P = 0
        return torch.cat(parts, dim=1)

    # ----------------------------------------------------------------------------------------------
    @staticmethod
    def weightwise(
        activation: str = "linear",
        bias: bool = False,
        order: str = "input_major",
        hidden: tuple[int, ...] = (2, 2),
    ) -> Arch:
        """The paper's weightwise net: 4 inputs (value, layer, cell, position) -> 1 output."""
        return Arch((4, *hidden, 1), activation, bias, "mlp", order)

    @staticmethod
    def aggregating(
        blocks: int = 4,
        activation: str = "linear",
        bias: bool = False,
        order: str = "input_major",
        hidden: tuple[int, ...] = (2, 2),
    ) -> Arch:
        """The paper's aggregating net: b aggregates -> b outputs (b = 4)."""
        return Arch((blocks, *hidden, blocks), activation, bias, "mlp", order)

    @staticmethod
    def recurrent(units: tuple[int, ...] = (2, 2, 1), activation: str = "linear", bias: bool = False) -> Arch:
        """The paper's recurrent net: stacked simple RNN layers (2, 2, 1) over a scalar sequence."""
        return Arch((1, *units), activation, bias, "rnn", "input_major")


# ------------------------------------------------------------------------------------------------
# Activations
# ------------------------------------------------------------------------------------------------
def activate(x: torch.Tensor, activation: str) -> torch.Tensor:
    """Apply a named activation elementwise."""
    if activation == "linear":
        return x
    if activation == "tanh":
        return torch.tanh(x)
    if activation == "relu":
        return torch.relu(x)
    if activation == "sigmoid":
        return torch.sigmoid(x)
    raise ValueError(f"activation: unknown value {activation!r} (expected one of {ACTIVATIONS})")


# ------------------------------------------------------------------------------------------------
# Initialisation
# ------------------------------------------------------------------------------------------------
def _uniform(
    shape: tuple[int, ...],
    bound: float,
    generator: torch.Generator | None,
    dtype: torch.dtype,
    device: torch.device | str | None,
) -> torch.Tensor:
    u = torch.rand(shape, generator=generator, dtype=dtype, device=device)
    return (2.0 * u - 1.0) * bound


def _orthogonal(
    P: int,
    n: int,
    generator: torch.Generator | None,
    dtype: torch.dtype,
    device: torch.device | str | None,
) -> torch.Tensor:
    """P independent (n, n) orthogonal matrices, as Keras' Orthogonal initialiser (QR of a normal matrix,
    columns signed by diag(R))."""
    a = torch.randn((P, n, n), generator=generator, dtype=torch.float64, device=device)
    q, r = torch.linalg.qr(a)
    d = torch.diagonal(r, dim1=-2, dim2=-1).sign()
    d = torch.where(d == 0, torch.ones_like(d), d)
    return (q * d.unsqueeze(-2)).to(dtype)


def init_population(
    arch: Arch,
    P: int,
    scheme: str = "glorot",
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """P freshly initialised networks of `arch`, as one (P, W) tensor.

    Schemes:
        "glorot": Keras defaults, as in the paper's Keras code. Kernels U(±sqrt(6 / (fan_in + fan_out))),
            recurrent kernels orthogonal, biases zero.
        "pytorch": PyTorch defaults, as in the journal code. `nn.Linear`: weight and bias U(±1/sqrt(fan_in));
            `nn.RNN`: every parameter U(±1/sqrt(units)).
    """
    check_count(P, "P")
    _one_of("scheme", scheme, INITS)
    check_dtype(dtype)
    check_generator(generator)
    if generator is not None and device is None:
        device = generator.device
    layers: list[dict[str, torch.Tensor]] = []
    for a, b in zip(arch.sizes[:-1], arch.sizes[1:], strict=True):
        layer: dict[str, torch.Tensor] = {}
        if scheme == "glorot":
            layer["kernel"] = _uniform((P, a, b), math.sqrt(6.0 / (a + b)), generator, dtype, device)
            if arch.kind == "rnn":
                layer["recurrent"] = _orthogonal(P, b, generator, dtype, device)
            if arch.bias:
                layer["bias"] = torch.zeros((P, b), dtype=dtype, device=device)
        else:
            bound = 1.0 / math.sqrt(b if arch.kind == "rnn" else a)
            # PyTorch draws (out, in); drawing in that shape keeps the stream identical to nn.Linear's
            # order of draws, transposed to our input-major view.
            layer["kernel"] = _uniform((P, b, a), bound, generator, dtype, device).transpose(1, 2)
            if arch.kind == "rnn":
                layer["recurrent"] = _uniform((P, b, b), bound, generator, dtype, device).transpose(1, 2)
            if arch.bias:
                layer["bias"] = _uniform((P, b), bound, generator, dtype, device)
        layers.append(layer)
    return arch.flatten(layers).contiguous()


def identity_fixpoint(
    arch: Arch,
    P: int = 1,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The hand-built fixpoint (paper §3.1, paper-spec §1.4): the top-left weight of every kernel is 1, all
    else 0, so the network outputs its first input. For the linear weightwise net that input is the weight's
    own value, hence N ◁ N = N exactly. Returned as (P, W) copies."""
    layers = []
    for a, b in zip(arch.sizes[:-1], arch.sizes[1:], strict=True):
        k = torch.zeros((P, a, b), dtype=dtype, device=device)
        k[:, 0, 0] = 1.0
        layer = {"kernel": k}
        if arch.kind == "rnn":
            layer["recurrent"] = torch.zeros((P, b, b), dtype=dtype, device=device)
        if arch.bias:
            layer["bias"] = torch.zeros((P, b), dtype=dtype, device=device)
        layers.append(layer)
    return arch.flatten(layers).contiguous()


# ------------------------------------------------------------------------------------------------
# Forward passes
# ------------------------------------------------------------------------------------------------
def _matmul(h: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Batched h @ k for h (P, ..., a), k (P, a, b).

    For the paper's tiny layers a broadcast multiply-and-sum is used: torch's CPU bmm over thousands of
    2x2 matrices is pathologically slow (~10 ms for P = 1,000), the elementwise form is not.
    """
    a, b = k.shape[-2], k.shape[-1]
    if a * b > 256:
        if h.ndim == 2:
            return torch.bmm(h.unsqueeze(1), k).squeeze(1)
        return torch.matmul(h, k)
    kk = k.reshape(k.shape[0], *([1] * (h.ndim - 2)), a, b)
    return (h.unsqueeze(-1) * kk).sum(-2)


def forward(arch: Arch, weights: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Batched forward pass: network p of `weights` applied to its own batch of inputs.

    Args:
        weights: (P, W).
        x: mlp: (P, S, n_in), S samples per network. rnn: (P, T, input_dim), one sequence of length T per
           network.
    Returns:
        mlp: (P, S, n_out); rnn: (P, T, units_L) (every time step, as `return_sequences=True`).
    """
    if arch.kind == "mlp":
        h = x
        for layer in arch.layers(weights):
            h = _matmul(h, layer["kernel"])  # (P, S, a) @ (P, a, b) -> (P, S, b)
            if "bias" in layer:
                h = h + layer["bias"].unsqueeze(1)
            h = activate(h, arch.activation)
        return h
    # Stacked simple RNNs: h_t = act(x_t K + h_{t-1} U + b), h_0 = 0, each layer returning its sequence.
    seq = x
    for layer in arch.layers(weights):
        xk = _matmul(seq, layer["kernel"])  # (P, T, units): input contribution at every step
        if "bias" in layer:
            xk = xk + layer["bias"].unsqueeze(1)
        U = layer["recurrent"]
        h = torch.zeros_like(xk[:, 0])
        outs = []
        for t in range(xk.shape[1]):
            h = activate(xk[:, t] + _matmul(h, U), arch.activation)
            outs.append(h)
        seq = torch.stack(outs, dim=1)
    return seq
