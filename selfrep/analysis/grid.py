"""Many weightwise self-training configurations in one population.

A sweep over encoding (scaled / raw positions), weight layout (input- / output-major), initialisation,
learning rate and momentum does not need one population per cell: every cell shares the 4-2-2-1
architecture, so all cells of one step kind fit in a single (P, W) tensor.

* Layout: an output-major network is the same function as an input-major network whose weights are
  permuted (`layout_permutation`). Every network is held in the input-major layout; the output-major ones
  carry the positional encoding that the output-major code gives to each matrix entry.
* Encoding: `PerNetworkWeightwise` is a weightwise reduction whose (layer, cell, position) table differs
  per network; it implements the reduction interface, so `self_train`, `classify` and `fixpoint_error`
  work on it unchanged (for the whole population at once; it cannot be applied to a subset of rows).
* Learning rate and momentum: `TrainConfig` takes per-network tuples.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd
import torch

from selfrep.nets import Arch, forward, init_population
from selfrep.optim import TrainConfig
from selfrep.reductions import Weightwise


def layout_permutation(source: Arch, target: Arch) -> torch.Tensor:
    """(W,) int64 index `perm` with w_target = w_source[:, perm] for the same network in two flat layouts."""
    if source.n_weights != target.n_weights or source.sizes != target.sizes:
        raise ValueError(f"target: {target} is not a re-layout of {source}")
    idx = torch.arange(source.n_weights, dtype=torch.float64).unsqueeze(0)
    return target.flatten(source.layers(idx))[0].round().long()


def weightwise_encoding(positions: str, order: str, arch: Arch | None = None) -> torch.Tensor:
    """(W, 3) float64 positional table that the `order`-layout code assigns, listed in `arch`'s layout.

    `arch` (default: the paper's weightwise net, input-major) fixes the flat order of the rows; `order`
    decides which (layer, cell, position) each matrix entry receives, as in `selfrep.reductions.Weightwise`.
    """
    arch = arch or Arch.weightwise()
    source = Arch(arch.sizes, arch.activation, arch.bias, arch.kind, order)
    table = Weightwise(source, positions).encoding(torch.float64)
    return table[layout_permutation(source, arch)]


@dataclass(frozen=True, eq=False)
class PerNetworkWeightwise:
    """𝒩 ◁ww 𝓜 with a positional table per network: input i of network p is [v_i, table[p, i]].

    `table` is (P, W, 3); the reduction applies to populations of exactly P networks.
    """

    arch: Arch
    table: torch.Tensor
    name: str = field(default="weightwise", init=False)

    def __post_init__(self) -> None:
        if self.arch.kind != "mlp" or self.arch.n_in != 4 or self.arch.n_out != 1:
            raise ValueError(f"arch: weightwise needs an mlp with 4 inputs and 1 output, got {self.arch}")
        if self.table.ndim != 3 or self.table.shape[1:] != (self.arch.n_weights, 3):
            raise ValueError(f"table: expected (P, {self.arch.n_weights}, 3), got {tuple(self.table.shape)}")

    def inputs(self, victim: torch.Tensor) -> torch.Tensor:
        self.arch.check(victim, "victim")
        if victim.shape[0] != self.table.shape[0]:
            raise ValueError(f"victim: {victim.shape[0]} networks for a table of {self.table.shape[0]}")
        pos = self.table.to(dtype=victim.dtype, device=victim.device)
        return torch.cat([victim.unsqueeze(-1), pos], dim=-1)

    def predict(self, attacker: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return forward(self.arch, attacker, x)

    def apply(self, attacker: torch.Tensor, victim: torch.Tensor) -> torch.Tensor:
        self.arch.check(attacker, "attacker")
        return forward(self.arch, attacker, self.inputs(victim)).squeeze(-1)

    def training_pairs(self, victim: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inputs(victim), victim.unsqueeze(-1)


class Cell(NamedTuple):
    """One configuration of weightwise self-training (the step kind is fixed per population)."""

    positions: str
    order: str
    init: str
    lr: float
    momentum: float


ENCODINGS: dict[str, tuple[str, str]] = {
    "scaled": ("scaled", "input_major"),  # the text's [0, 1] positions, in the Keras code's layout
    # [0, 1] positions in PyTorch's state_dict layout: the journal paper's code (journal@21dd572,
    # network.py::input_weight_matrix and normalize, L89-113)
    "scaled_pytorch": ("scaled", "output_major"),
    # raw integer positions in the PyTorch layout: the authors' 2022 refactor (1b7581e, network.py L116-119)
    "raw": ("raw", "output_major"),
}


def cells(
    encodings=("scaled", "raw"), inits=("glorot", "pytorch"), lrs=(0.01,), momenta=(0.0,)
) -> list[Cell]:
    """The full product of the given axes, in a fixed order. An encoding is a key of ENCODINGS or a
    (positions, order) pair."""
    pairs = [ENCODINGS[e] if isinstance(e, str) else tuple(e) for e in encodings]
    return [Cell(p, o, i, lr, m) for (p, o), i, lr, m in itertools.product(pairs, inits, lrs, momenta)]


class GridPopulation(NamedTuple):
    """A population holding `n` fresh networks per cell, ready for `self_train`.

    weights: (P, W) input-major; reduction: its per-network encoding; config: per-network lr/momentum;
    cell: (P,) int64 index into `cells`.
    """

    weights: torch.Tensor
    reduction: PerNetworkWeightwise
    config: TrainConfig
    cell: torch.Tensor
    cells: tuple[Cell, ...]

    def frame(self) -> pd.DataFrame:
        """One row per cell: its index and settings."""
        return pd.DataFrame([c._asdict() for c in self.cells]).rename_axis("cell").reset_index()


def grid_population(
    grid: list[Cell],
    n: int,
    step: str,
    targets: str = "constant",
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> GridPopulation:
    """`n` networks per cell of `grid`, initialised by each cell's scheme in its own layout and held
    input-major, with each cell's encoding, learning rate and momentum; `step` and `targets` as in
    `TrainConfig`, shared by the whole population."""
    if n < 1:
        raise ValueError(f"n: must be >= 1, got {n}")
    if not grid:
        raise ValueError("grid: no cells")
    arch = Arch.weightwise()
    weights, tables, lrs, moms, index = [], [], [], [], []
    for k, c in enumerate(grid):
        source = Arch.weightwise(order=c.order)
        w = init_population(source, n, c.init, generator=generator, dtype=dtype)
        weights.append(w[:, layout_permutation(source, arch)])
        tables.append(weightwise_encoding(c.positions, c.order, arch).expand(n, -1, -1))
        lrs += [c.lr] * n
        moms += [c.momentum] * n
        index += [k] * n
    reduction = PerNetworkWeightwise(arch, torch.cat(tables).to(dtype))
    config = TrainConfig(step=step, lr=tuple(lrs), momentum=tuple(moms), targets=targets)
    return GridPopulation(torch.cat(weights), reduction, config, torch.tensor(index), tuple(grid))


def end_to_end_map(arch: Arch, weights: torch.Tensor) -> torch.Tensor:
    """(P, n_in, n_out): the product of a linear, bias-free MLP's kernels, i.e. the matrix it computes.

    For the weightwise net this is the 4-vector a with N(v, l, c, p) = a·(v, l, c, p): a = (1, 0, 0, 0)
    makes the net copy each weight's value, so every such net is a fixpoint.
    """
    if arch.kind != "mlp" or arch.activation != "linear" or arch.bias:
        raise ValueError(f"arch: end_to_end_map needs a linear mlp without bias, got {arch}")
    arch.check(weights)
    m = None
    for layer in arch.layers(weights):
        m = layer["kernel"] if m is None else m @ layer["kernel"]
    return m
