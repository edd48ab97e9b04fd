"""How a network reads another network's weights: the three reductions of the paper (§2.2, paper-spec §1).

A reduction turns the weights of a *victim* population into inputs for an *attacker* population and maps
the attacker's outputs back to new victim weights. Self-application is the special case attacker = victim.
All reductions share one interface:

    reduction.arch                           the architecture of both attacker and victim
    reduction.apply(attacker, victim)        (P, W), (P, W) -> (P, W): attacker p rewrites victim p
    reduction.training_pairs(victim)         -> x (P, S, ...), y (P, S, ...): S samples per network
    reduction.predict(attacker, x)           attacker p's outputs for its samples x, shaped like y

Self-training fits a network to its own training pairs (targets are its own weights); learning from
another network fits it to the other network's pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import torch

from selfrep.nets import Arch, forward

POSITIONS: tuple[str, ...] = ("scaled", "raw")


class Reduction(Protocol):
    name: str
    arch: Arch

    def apply(self, attacker: torch.Tensor, victim: torch.Tensor) -> torch.Tensor: ...

    def training_pairs(self, victim: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...

    def predict(self, attacker: torch.Tensor, x: torch.Tensor) -> torch.Tensor: ...


def _check_pair(arch: Arch, attacker: torch.Tensor, victim: torch.Tensor) -> None:
    arch.check(attacker, "attacker")
    arch.check(victim, "victim")
    if attacker.shape[0] != victim.shape[0]:
        raise ValueError(
            f"attacker: population size {attacker.shape[0]} differs from victim's {victim.shape[0]}"
        )


# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Weightwise:
    """𝒩 ◁ww 𝓜: the attacker sees each victim weight with its position, o_i = 𝒩(v_i, l_i, c_i, p_i).

    Positions (paper-spec §1.1): l = layer index, c = row ("cell"), p = column ("position in cell") of
    the weight in its layer matrix as laid out by `arch.order` (input-major: c = input neuron, p = output
    neuron, as in the Keras code; output-major: c = output neuron, p = input neuron, as in the PyTorch code).
    A bias is encoded as one more row (input-major) or column (output-major) of its layer's matrix.

    positions="scaled" divides each index by its maximum (0 when the maximum is 0), giving values in [0, 1]
    as the paper's text and both of its codes (Keras; journal@21dd572) do; positions="raw" feeds the integer
    indices, as the authors' 2022 refactor (1b7581e) does.
    """

    arch: Arch = field(default_factory=Arch.weightwise)
    positions: str = "scaled"
    name: str = field(default="weightwise", init=False)

    def __post_init__(self) -> None:
        if self.arch.kind != "mlp" or self.arch.n_in != 4 or self.arch.n_out != 1:
            raise ValueError(f"arch: weightwise needs an mlp with 4 inputs and 1 output, got {self.arch}")
        if self.positions not in POSITIONS:
            raise ValueError(f"positions: unknown value {self.positions!r} (expected one of {POSITIONS})")

    @cached_property
    def _encoding(self) -> torch.Tensor:
        """(W, 3) float64 table of (layer, cell, position) for every flat index of the victim."""
        arch = self.arch
        rows: list[tuple[float, float, float]] = []
        nl = arch.n_layers
        for blk in arch.blocks:
            a, b = arch.sizes[blk.layer], arch.sizes[blk.layer + 1]
            # Augmented matrix of the layer (bias as one more input): (a + bias) x b, input-major.
            n_in_aug = a + int(arch.bias)
            if arch.order == "input_major":
                n_rows, n_cols = n_in_aug, b
            else:
                n_rows, n_cols = b, n_in_aug
            for r in range(blk.rows):
                for c in range(blk.cols):
                    if blk.role == "bias":  # stored as (1, b); entry c belongs to output neuron c
                        i, j = a, c
                    elif blk.transposed:  # memory (b, a): entry (r, c) is input c -> output r
                        i, j = c, r
                    else:
                        i, j = r, c
                    cell, pos = (i, j) if arch.order == "input_major" else (j, i)
                    if self.positions == "scaled":
                        rows.append(
                            (
                                blk.layer / max(nl - 1, 1),
                                cell / max(n_rows - 1, 1),
                                pos / max(n_cols - 1, 1),
                            )
                        )
                    else:
                        rows.append((float(blk.layer), float(cell), float(pos)))
        return torch.tensor(rows, dtype=torch.float64)

    def encoding(
        self, dtype: torch.dtype = torch.float32, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """(W, 3) positional features (layer, cell, position) of every weight (a cached, shared tensor)."""
        key = (dtype, torch.device(device) if device is not None else torch.device("cpu"))
        cache = self.__dict__.setdefault("_encoding_cache", {})
        if key not in cache:
            cache[key] = self._encoding.to(dtype=dtype, device=key[1]).contiguous()
        return cache[key]

    def inputs(self, victim: torch.Tensor) -> torch.Tensor:
        """(P, W, 4) attacker inputs [value, layer, cell, position] for every victim weight."""
        P, W = victim.shape
        pos = self.encoding(victim.dtype, victim.device).expand(P, W, 3)
        return torch.cat([victim.unsqueeze(-1), pos], dim=-1)

    def predict(self, attacker: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return forward(self.arch, attacker, x)

    def apply(self, attacker: torch.Tensor, victim: torch.Tensor) -> torch.Tensor:
        _check_pair(self.arch, attacker, victim)
        return forward(self.arch, attacker, self.inputs(victim)).squeeze(-1)

    def training_pairs(self, victim: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (P, W, 4) = inputs(victim), y (P, W, 1) = victim's own weights: W samples per network."""
        self.arch.check(victim, "victim")
        return self.inputs(victim), victim.unsqueeze(-1)


# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Aggregating:
    """𝒩 ◁agg 𝓜 = α′(𝒩(α(𝓜))): b consecutive blocks of the victim's flat weights are averaged (α),
    the attacker maps the b means to b outputs, and output k is copied into every weight of block k (α′).

    Blocks have ⌊W/b⌋ weights; the remainder (W mod b) joins the last block (paper-spec §1.2).
    """

    arch: Arch = field(default_factory=Arch.aggregating)
    name: str = field(default="aggregating", init=False)

    def __post_init__(self) -> None:
        if self.arch.kind != "mlp" or self.arch.n_in != self.arch.n_out:
            raise ValueError(f"arch: aggregating needs an mlp with n_in == n_out, got {self.arch}")
        if self.arch.n_weights < self.arch.n_in:
            raise ValueError(f"arch: fewer weights ({self.arch.n_weights}) than blocks ({self.arch.n_in})")

    @property
    def blocks(self) -> int:
        return self.arch.n_in

    @cached_property
    def block_of(self) -> torch.Tensor:
        """(W,) int64: the block each flat weight belongs to."""
        W, b = self.arch.n_weights, self.blocks
        size = W // b
        return torch.clamp(torch.arange(W) // size, max=b - 1)

    def aggregate(self, victim: torch.Tensor) -> torch.Tensor:
        """α: (P, W) -> (P, b) block means."""
        onehot = torch.nn.functional.one_hot(self.block_of.to(victim.device), self.blocks)
        onehot = onehot.to(victim.dtype)
        return (victim @ onehot) / onehot.sum(0)

    def deaggregate(self, out: torch.Tensor) -> torch.Tensor:
        """α′: (P, b) -> (P, W), output k copied into every weight of block k."""
        return out[:, self.block_of.to(out.device)]

    def predict(self, attacker: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return forward(self.arch, attacker, x)

    def apply(self, attacker: torch.Tensor, victim: torch.Tensor) -> torch.Tensor:
        _check_pair(self.arch, attacker, victim)
        x = self.aggregate(victim).unsqueeze(1)  # (P, 1, b)
        return self.deaggregate(forward(self.arch, attacker, x).squeeze(1))

    def training_pairs(self, victim: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One sample per network: x = y = α(victim), shaped (P, 1, b)."""
        self.arch.check(victim, "victim")
        a = self.aggregate(victim).unsqueeze(1)
        return a, a


# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recurrent:
    """𝒩 ◁rnn 𝓜: the victim's flat weights are fed as a length-W sequence of scalars; the attacker's output
    sequence (one value per step) becomes the new weights, in the same order (paper-spec §1.3)."""

    arch: Arch = field(default_factory=Arch.recurrent)
    name: str = field(default="recurrent", init=False)

    def __post_init__(self) -> None:
        if self.arch.kind != "rnn" or self.arch.n_in != 1 or self.arch.n_out != 1:
            raise ValueError(f"arch: recurrent needs an rnn with input 1 and last units 1, got {self.arch}")

    def predict(self, attacker: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        # x: (P, S, T, 1) -> (P, S, T, 1); S sequences per network, run as one batch of P*S.
        P, S, T, _ = x.shape
        rep = attacker.repeat_interleave(S, dim=0) if S != 1 else attacker
        return forward(self.arch, rep, x.reshape(P * S, T, 1)).reshape(P, S, T, 1)

    def apply(self, attacker: torch.Tensor, victim: torch.Tensor) -> torch.Tensor:
        _check_pair(self.arch, attacker, victim)
        return forward(self.arch, attacker, victim.unsqueeze(-1)).squeeze(-1)

    def training_pairs(self, victim: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One sample per network: the whole weight sequence, x = y shaped (P, 1, W, 1)."""
        self.arch.check(victim, "victim")
        s = victim.unsqueeze(1).unsqueeze(-1)
        return s, s


# ------------------------------------------------------------------------------------------------
REDUCTIONS: dict[str, type] = {
    "weightwise": Weightwise,
    "aggregating": Aggregating,
    "recurrent": Recurrent,
}


def default_arch(
    name: str, activation: str = "linear", bias: bool = False, order: str = "input_major"
) -> Arch:
    """The paper's architecture for reduction `name`, with another activation/bias/order if asked."""
    if name == "weightwise":
        return Arch.weightwise(activation, bias, order)
    if name == "aggregating":
        return Arch.aggregating(4, activation, bias, order)
    if name == "recurrent":
        return Arch.recurrent((2, 2, 1), activation, bias)
    raise ValueError(f"reduction: unknown reduction {name!r} (expected one of {', '.join(REDUCTIONS)})")


def make_reduction(
    name: str,
    *,
    activation: str = "linear",
    bias: bool = False,
    order: str = "input_major",
    arch: Arch | None = None,
    **options,
) -> Reduction:
    """Build a reduction by name with the paper's architecture (or `arch`), e.g.
    `make_reduction("weightwise", positions="raw", order="output_major")`."""
    if not isinstance(name, str) or name not in REDUCTIONS:
        raise ValueError(f"reduction: unknown reduction {name!r} (expected one of {', '.join(REDUCTIONS)})")
    arch = arch if arch is not None else default_arch(name, activation, bias, order)
    try:
        return REDUCTIONS[name](arch=arch, **options)
    except TypeError as exc:
        raise ValueError(f"options: {exc}") from None
