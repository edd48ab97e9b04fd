"""E4: a mini graph-hypernetwork (GHN) that predicts all weights of MLPs it has never seen (seed
004; GHN-2,
Knyazev et al., NeurIPS 2021, reduced to chains of dense layers).

- An architecture is a chain of dense layers, with skip connections where a hidden layer's fan-in
  equals its fan-out; each layer becomes a node with a token (fan-in, fan-out, position, first/last
  flags, depth, activation one-hot, skip flag), embedded by a per-layer MLP. The graph's edges are the
  chain l -> l+1 and the skips l-1 -> l+1 (`arch_edges`). GHN-2's gated graph network runs over them
  (`encoder="gru"`, the "graph GHN"): a GRU cell per node reads the summed messages of its
  predecessors in one topological sweep, then of its successors in a reverse sweep, and its state is
  added to the per-layer path. ppuda's "MLP" baseline, which embeds each node without message passing,
  is the same model without it (`encoder="mlp"`). Architectures whose skip flag adds nothing (no
  equal fan-in and fan-out) are the same network as their skip-free twin and are left out of the
  space, so no twin sits on both sides of a split.
- The decoder maps each layer's embedding to a maximum-shape (128 x 128) weight tensor in low-rank
  form A
  B^T (rank 16) plus a bias, and slices it to the layer's real shape, then divides by sqrt(fan-in).
- Training (as in ppuda's train_ghn.py): meta-batches of m architectures on one image batch; the
  cross-entropy of the predicted networks is backpropagated *through the predicted weights* into
  the GHN
  (Adam).

Evaluation splits mirror DeepNets-1M: in-distribution (held-out architectures of the training
space),
deeper, wider, and an activation never seen in training. Baselines: random init trained with Adam
for k steps, and fine-tuning from the predicted weights for as many steps (both stacked per
architecture, `adam_stack_curves`; `adam_curve` trains one net alone).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from selfrep.archsearch.data import Digits, load_digits_split
from selfrep.archsearch.space import N_IN, N_OUT, SPACE_ACTIVATIONS, ArchConfig
from selfrep.selfmod.common import (
    adam_stack_curves,
    batches,
    derive_seed,
    generator,
    init_layers,
    mlp_forward,
    stack_layers,
)

E4_TAG = 4
ACTS: tuple[str, ...] = SPACE_ACTIVATIONS
MAX_WIDTH = 128
TOKEN_DIM = 10

Layers = list[tuple[torch.Tensor, torch.Tensor]]


def arch_sizes(arch: ArchConfig) -> tuple[int, ...]:
    """Layer sizes [64, h1, ..., 10] of an architecture."""
    return (N_IN, *arch.widths, N_OUT)


def arch_tokens(arch: ArchConfig) -> torch.Tensor:
    """(depth + 1, TOKEN_DIM) layer tokens of `arch` (the output layer is the last token)."""
    if max(arch.widths) > MAX_WIDTH:
        raise ValueError(f"arch: widths {arch.widths} exceed the decoder's maximum width {MAX_WIDTH}")
    sizes = arch_sizes(arch)
    L = len(sizes) - 1
    rows = []
    for l in range(L):
        fan_in, fan_out = sizes[l], sizes[l + 1]
        is_out = l == L - 1
        act = [0.0, 0.0, 0.0] if is_out else [float(arch.activation == a) for a in ACTS]
        has_skip = float(arch.skip and not is_out and fan_in == fan_out)
        rows.append(
            [
                fan_in / MAX_WIDTH,
                fan_out / MAX_WIDTH,
                l / max(L - 1, 1),
                float(l == 0),
                float(is_out),
                arch.depth / 4.0,
                *act,
                has_skip,
            ]
        )
    return torch.tensor(rows, dtype=torch.float32)


def arch_space(
    depths: Sequence[int],
    widths: Sequence[int],
    acts: Sequence[str],
    skips: Sequence[bool] = (False, True),
) -> list[ArchConfig]:
    """Every architecture with the given depths, per-layer widths, activations and skip settings.

    An architecture whose skip flag has no effect (no hidden layer with fan-in == fan-out, so no skip is
    ever added) is the same network as its skip-free twin, with identical tokens: it is left out, so
    that no twin can sit on both sides of a train/test split."""
    out = []
    for d in depths:
        for ws in itertools.product(widths, repeat=d):
            for a in acts:
                for s in skips:
                    arch = ArchConfig(tuple(ws), a, s)
                    if s and not has_skip_edge(arch):
                        continue
                    out.append(arch)
    return out


def has_skip_edge(arch: ArchConfig) -> bool:
    """True if `arch` adds any skip: some hidden layer's fan-in equals its fan-out (`mlp_forward`'s rule,
    the input -> first layer included)."""
    sizes = arch_sizes(arch)
    return arch.skip and any(sizes[l] == sizes[l + 1] for l in range(len(sizes) - 2))


def arch_edges(arch: ArchConfig) -> list[tuple[int, int]]:
    """Directed edges (u, v) between the layer nodes of `arch`'s computational graph: the chain l -> l+1,
    and l-1 -> l+1 wherever hidden layer l adds its input (the skip connection carries node l-1's
    output past layer l). The input -> first-layer skip has no node to start from; its token says it."""
    sizes = arch_sizes(arch)
    L = len(sizes) - 1
    edges = [(l, l + 1) for l in range(L - 1)]
    if arch.skip:
        edges += [(l - 1, l + 1) for l in range(1, L - 1) if sizes[l] == sizes[l + 1]]
    return edges


@dataclass(frozen=True)
class GHNConfig:
    """Mini-GHN size, training, evaluation splits and baselines."""

    hidden: int = 64
    rank: int = 16
    steps: int = 1500
    meta_batch: int = 4
    image_batch: int = 128
    lr: float = 1e-3
    train_widths: tuple[int, ...] = (16, 32, 64)
    train_depths: tuple[int, ...] = (1, 2, 3)
    train_acts: tuple[str, ...] = ("relu", "tanh")
    id_holdout: float = 0.2  # fraction of the training space held out as the in-distribution test split
    n_test: int = 10  # architectures per evaluation split
    ghn_seeds: int = 2  # independently trained GHNs per encoder
    # Adam steps at which random init and the fine-tuned GHN init are both measured (the last: "trained")
    curve_steps: tuple[int, ...] = (0, 10, 25, 50, 100, 200, 400, 800)
    adam_lr: float = 1e-3
    adam_batch: int = 64

    def __post_init__(self) -> None:
        for name in ("hidden", "rank", "steps", "meta_batch", "image_batch", "n_test", "ghn_seeds"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if not 0.0 < self.id_holdout < 1.0:
            raise ValueError(f"id_holdout: must be in (0, 1), got {self.id_holdout}")
        if self.curve_steps[0] != 0 or list(self.curve_steps) != sorted(self.curve_steps):
            raise ValueError(f"curve_steps: must be increasing and start at 0, got {self.curve_steps}")


class MiniGHN(nn.Module):
    """Layer-token encoder (BiGRU chain or per-token MLP) + low-rank max-shape decoder sliced per
    layer."""

    def __init__(
        self,
        encoder: str = "gru",
        hidden: int = 64,
        rank: int = 16,
        gen: torch.Generator | None = None,
    ):
        super().__init__()
        if encoder not in ("gru", "mlp"):
            raise ValueError(f"encoder: expected 'gru' or 'mlp', got {encoder!r}")
        self.encoder, self.hidden, self.rank = encoder, hidden, rank
        self.embed = nn.Linear(TOKEN_DIM, hidden)
        self.mlp = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        if encoder == "gru":  # gated message passing over the graph's edges, added to the per-layer path
            self.msg_fwd = nn.Linear(hidden, hidden)
            self.msg_bwd = nn.Linear(hidden, hidden)
            self.cell_fwd = nn.GRUCell(hidden, hidden)
            self.cell_bwd = nn.GRUCell(hidden, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.dec_out = nn.Linear(hidden, MAX_WIDTH * rank)  # row factors (output units)
        self.dec_in = nn.Linear(hidden, MAX_WIDTH * rank)  # column factors (input units / pixels)
        self.dec_bias = nn.Linear(hidden, MAX_WIDTH)
        if gen is not None:  # deterministic init from the caller's generator
            with torch.no_grad():
                for p in self.parameters():
                    if p.dim() >= 2:
                        bound = 1.0 / np.sqrt(p.shape[1])
                    else:
                        bound = 1.0 / np.sqrt(hidden)
                    p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) * bound)
                self.norm.weight.fill_(1.0)
                self.norm.bias.zero_()

    def embed_tokens(
        self, tokens: Sequence[torch.Tensor], edges: Sequence[Sequence[tuple[int, int]]] | None = None
    ) -> list[torch.Tensor]:
        """Per-layer embeddings (T_i, hidden) for a list of token sequences with the edges of each graph
        (`arch_edges`; default: the chain)."""
        lengths = [int(t.shape[0]) for t in tokens]
        padded = nn.utils.rnn.pad_sequence(list(tokens), batch_first=True)  # (B, T, D)
        e = torch.relu(self.embed(padded))
        h = self.mlp(e)
        if self.encoder == "gru":
            B, T = padded.shape[:2]
            if edges is None:
                edges = [[(l, l + 1) for l in range(n - 1)] for n in lengths]
            A = torch.zeros(B, T, T)  # A[b, v, u] = 1 for an edge u -> v
            for i, es in enumerate(edges):
                for u, v in es:
                    if not 0 <= u < v < lengths[i]:
                        raise ValueError(
                            f"edges: ({u}, {v}) is not a forward edge of a {lengths[i]}-node graph"
                        )
                    A[i, v, u] = 1.0
            h = h + self._propagate(e, A)
        h = self.norm(h)
        return [h[i, :n] for i, n in enumerate(lengths)]

    def _propagate(self, e: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        """GHN-2's gated graph network: one sweep in topological order (each node's GRU cell reads the
        sum of messages from its predecessors, already updated), then one in reverse order (from its
        successors). Returns the node states, (B, T, hidden)."""
        T = e.shape[1]
        state = list(e.unbind(1))
        sent: list[torch.Tensor] = []
        for v in range(T):  # forward: predecessors u < v
            if v:
                msg = (A[:, v, :v].unsqueeze(-1) * torch.stack(sent, 1)).sum(1)
            else:
                msg = torch.zeros_like(state[0])
            state[v] = self.cell_fwd(msg, state[v])
            sent.append(self.msg_fwd(state[v]))
        back: dict[int, torch.Tensor] = {}
        for v in reversed(range(T)):  # backward: successors w > v
            if v < T - 1:
                later = torch.stack([back[w] for w in range(v + 1, T)], 1)
                msg = (A[:, v + 1 :, v].unsqueeze(-1) * later).sum(1)
            else:
                msg = torch.zeros_like(state[v])
            state[v] = self.cell_bwd(msg, state[v])
            back[v] = self.msg_bwd(state[v])
        return torch.stack(state, 1)

    def predict(
        self,
        archs: Sequence[ArchConfig],
        tokens: Sequence[torch.Tensor] | None = None,
        edges: Sequence[Sequence[tuple[int, int]]] | None = None,
    ) -> list[Layers]:
        """Predicted [(W, b), ...] for each architecture; `tokens` and `edges` override the descriptions
        (ablations; edges default to each architecture's own graph, `arch_edges`)."""
        toks = list(tokens) if tokens is not None else [arch_tokens(a) for a in archs]
        for a, t in zip(archs, toks, strict=True):
            if t.shape[0] != a.depth + 1:
                raise ValueError(f"tokens: {t.shape[0]} tokens for an architecture with {a.depth + 1} layers")
        graph = list(edges) if edges is not None else [arch_edges(a) for a in archs]
        embs = self.embed_tokens(toks, graph)
        out = []
        for a, h in zip(archs, embs, strict=True):
            A = self.dec_out(h).view(-1, MAX_WIDTH, self.rank)
            B = self.dec_in(h).view(-1, MAX_WIDTH, self.rank)
            bias = self.dec_bias(h)
            layers = []
            for l, (fi, fo) in enumerate(zip(arch_sizes(a)[:-1], arch_sizes(a)[1:], strict=True)):
                W = A[l, :fo] @ B[l, :fi].T / np.sqrt(fi * self.rank)
                layers.append((W, 0.1 * bias[l, :fo]))
            out.append(layers)
        return out


def split_archs(cfg: GHNConfig, seed: int) -> dict[str, list[ArchConfig]]:
    """Training architectures and the four evaluation splits (`n_test` each); a pure function of
    seed."""
    rng = np.random.default_rng(derive_seed(E4_TAG, seed, 0))
    space = arch_space(cfg.train_depths, cfg.train_widths, cfg.train_acts)
    perm = rng.permutation(len(space))
    n_hold = max(cfg.n_test, int(round(cfg.id_holdout * len(space))))
    held = [space[i] for i in perm[:n_hold]]
    train = [space[i] for i in perm[n_hold:]]
    deep = arch_space([max(cfg.train_depths) + 1], cfg.train_widths, cfg.train_acts)
    wide_w = tuple(sorted(set(cfg.train_widths) | {MAX_WIDTH}))
    wide = [a for a in arch_space(cfg.train_depths, wide_w, cfg.train_acts) if MAX_WIDTH in a.widths]
    other = [a for a in ACTS if a not in cfg.train_acts]
    if not other:
        raise ValueError("train_acts: leave at least one activation out for the 'other activation' split")
    unseen = arch_space(cfg.train_depths, cfg.train_widths, other)

    def pick(pool: list[ArchConfig]) -> list[ArchConfig]:
        idx = rng.choice(len(pool), size=min(cfg.n_test, len(pool)), replace=False)
        return [pool[i] for i in sorted(idx)]

    return {
        "train": train,
        "in-distribution": held[: cfg.n_test],
        "deeper": pick(deep),
        "wider": pick(wide),
        "other activation": pick(unseen),
    }


def train_ghn(
    cfg: GHNConfig,
    train_archs: Sequence[ArchConfig],
    encoder: str,
    seed: int,
    data: Digits | None = None,
) -> tuple[MiniGHN, np.ndarray]:
    """Train a mini-GHN on `train_archs`; returns the model and its per-step meta-batch loss."""
    torch.set_num_threads(1)  # tiny models: one thread is 8-20x faster on a shared 2-core machine
    d = data or load_digits_split()
    g = generator(E4_TAG, seed, 1, 0 if encoder == "gru" else 1)
    ghn = MiniGHN(encoder, cfg.hidden, cfg.rank, gen=g)
    opt = torch.optim.Adam(ghn.parameters(), lr=cfg.lr)
    n = d.X_train.shape[0]
    losses = np.zeros(cfg.steps)
    for s in range(cfg.steps):
        arch_idx = torch.randint(0, len(train_archs), (cfg.meta_batch,), generator=g)
        archs = [train_archs[int(i)] for i in arch_idx]
        img = torch.randint(0, n, (cfg.image_batch,), generator=g)
        x, y = d.X_train[img], d.y_train[img]
        loss = 0.0
        for a, layers in zip(archs, ghn.predict(archs), strict=True):
            loss = loss + F.cross_entropy(mlp_forward(layers, x, a.activation, a.skip), y)
        loss = loss / cfg.meta_batch
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses[s] = loss.item()
    ghn.eval()
    return ghn, losses


@torch.no_grad()
def eval_accuracy(layers: Layers, arch: ArchConfig, data: Digits | None = None) -> float:
    d = data or load_digits_split()
    return float(
        (mlp_forward(layers, d.X_test, arch.activation, arch.skip).argmax(1) == d.y_test).float().mean()
    )


def adam_curve(
    arch: ArchConfig,
    steps: Sequence[int],
    gen: torch.Generator,
    init: Layers | None = None,
    lr: float = 1e-3,
    batch_size: int = 64,
    data: Digits | None = None,
) -> np.ndarray:
    """Test accuracy after each of `steps` Adam steps, from `init` (default: PyTorch-default random
    init)."""
    torch.set_num_threads(1)  # tiny models: one thread is 8-20x faster on a shared 2-core machine
    d = data or load_digits_split()
    start = init if init is not None else init_layers(arch_sizes(arch), gen)
    params = [
        (W.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)) for W, b in start
    ]
    opt = torch.optim.Adam([p for pair in params for p in pair], lr=lr)
    out = np.zeros(len(steps))
    n, done, k = d.X_train.shape[0], 0, 0
    target = list(steps)
    while k < len(target):
        for idx in batches(n, batch_size, gen):
            while k < len(target) and target[k] == done:
                out[k] = eval_accuracy([(W.detach(), b.detach()) for W, b in params], arch, d)
                k += 1
            if k >= len(target):
                break
            loss = F.cross_entropy(
                mlp_forward(params, d.X_train[idx], arch.activation, arch.skip), d.y_train[idx]
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            done += 1
    return out


def steps_to_match(acc: float, steps: Sequence[int], curve: np.ndarray) -> float:
    """Adam steps from random init needed to reach `acc`, interpolated linearly in log(1+steps).

    `inf` when the curve never reaches it (reported as "> max steps").
    """
    best = np.maximum.accumulate(curve)
    if acc <= best[0]:
        return 0.0
    above = np.nonzero(best >= acc)[0]
    if above.size == 0:
        return float("inf")
    i = int(above[0])
    x0, x1 = np.log1p(steps[i - 1]), np.log1p(steps[i])
    y0, y1 = best[i - 1], best[i]
    t = (acc - y0) / (y1 - y0) if y1 > y0 else 1.0
    return float(np.expm1(x0 + t * (x1 - x0)))


def _shuffled_archs(
    archs: Sequence[ArchConfig], widths: Sequence[int], rng: np.random.Generator
) -> list[ArchConfig]:
    """For each arch, another random architecture of the same depth (any activation), whose tokens and
    graph stand in for the real ones."""
    out = []
    for a in archs:
        same = [b for b in arch_space([a.depth], widths, ACTS) if b != a]
        out.append(same[int(rng.integers(len(same)))])
    return out


def run_hypernet(cfg: GHNConfig, seed: int = 0, data: Digits | None = None) -> dict[str, pd.DataFrame]:
    """E4: train `ghn_seeds` graph GHNs and MLP hypernets; evaluate on four splits with baselines.

    Returns tidy frames:
      "zero_shot": ghn_seed, encoder, tokens ("true", "shuffled", "constant"), split, arch, acc;
      "curves": split, arch, init ("random" or "ghn"), ghn_seed, step, acc  (Adam steps from each
      init, both to the last of `curve_steps`: the fine-tuned GHN init runs as long as the "trained"
      reference);
      "train_loss": ghn_seed, encoder, step, loss;
      "archs": split, arch, depth, activation (the training architectures and every evaluation
      split).
    A pure function of (cfg, seed). The random init and every GHN seed's prediction of every architecture
    of one split with the same depth and activation are trained together as one zero-padded stack
    (`adam_stack_curves`: the same updates as alone), each on its own batch order.
    """
    torch.set_num_threads(1)  # tiny models: one thread is 8-20x faster on a shared 2-core machine
    d = data or load_digits_split()
    splits = split_archs(cfg, seed)
    eval_splits = [k for k in splits if k != "train"]
    wide_w = tuple(sorted(set(cfg.train_widths) | {MAX_WIDTH}))
    zero, curves, tl = [], [], []
    preds: dict[tuple[int, str], list[Layers]] = {}  # (GHN seed, split) -> the graph GHN's weights
    for r in range(cfg.ghn_seeds):
        gseed = seed * 1000 + r
        for encoder in ("gru", "mlp"):
            ghn, losses = train_ghn(cfg, splits["train"], encoder, gseed, d)
            tl.append(
                pd.DataFrame(
                    {"ghn_seed": r, "encoder": encoder, "step": np.arange(cfg.steps), "loss": losses}
                )
            )
            rng = np.random.default_rng(derive_seed(E4_TAG, gseed, 3))
            with torch.no_grad():
                for split in eval_splits:
                    archs = splits[split]
                    other = _shuffled_archs(archs, wide_w, rng)
                    variants = {
                        "true": (None, None),
                        # another architecture's description: its tokens and its graph
                        "shuffled": ([arch_tokens(b) for b in other], [arch_edges(b) for b in other]),
                        # no description: constant tokens on a plain chain
                        "constant": (
                            [torch.full_like(arch_tokens(a), 0.5) for a in archs],
                            [[(l, l + 1) for l in range(a.depth)] for a in archs],
                        ),
                    }
                    for tok_name, (toks, edges) in variants.items():
                        layers_all = ghn.predict(archs, toks, edges)
                        if encoder == "gru" and tok_name == "true":
                            preds[(r, split)] = [[(W.detach(), b.detach()) for W, b in n] for n in layers_all]
                        for i, (a, layers) in enumerate(zip(archs, layers_all, strict=True)):
                            zero.append(
                                {
                                    "ghn_seed": r,
                                    "encoder": encoder,
                                    "tokens": tok_name,
                                    "split": split,
                                    "arch": a.key,
                                    "arch_i": i,
                                    "acc": eval_accuracy(layers, a, d),
                                }
                            )
    # Adam from random init and fine-tuning from each graph GHN's prediction, to the same step count:
    # every net of one split with the same depth and activation in one stack (zero-padded to the widest)
    inits = [("random", -1)] + [("ghn", r) for r in range(cfg.ghn_seeds)]
    for split in eval_splits:
        groups: dict[tuple[int, str], list[int]] = {}
        for i, a in enumerate(splits[split]):
            groups.setdefault((a.depth, a.activation), []).append(i)
        for (_, act), idx in groups.items():
            nets, gens, skips, tags = [], [], [], []
            for i in idx:
                a = splits[split][i]
                g0 = generator(E4_TAG, seed, 2, hash_arch(a))
                nets += [init_layers(arch_sizes(a), g0)] + [
                    preds[(r, split)][i] for r in range(cfg.ghn_seeds)
                ]
                gens += [g0] + [
                    generator(E4_TAG, seed * 1000 + r, 4, hash_arch(a)) for r in range(cfg.ghn_seeds)
                ]
                skips += [a.skip] * len(inits)
                tags += [(i, init, r) for init, r in inits]
            acc = adam_stack_curves(
                stack_layers(nets, act, skips),
                gens,
                cfg.curve_steps,
                d.X_train,
                d.y_train,
                d.X_test,
                d.y_test,
                cfg.adam_lr,
                cfg.adam_batch,
            )
            for (i, init, r), row in zip(tags, acc, strict=True):
                for st, x in zip(cfg.curve_steps, row, strict=True):
                    curves.append(
                        {
                            "split": split,
                            "arch": splits[split][i].key,
                            "arch_i": i,
                            "init": init,
                            "ghn_seed": r,
                            "step": st,
                            "acc": float(x),
                        }
                    )
    curves_df = pd.DataFrame(curves).sort_values(["split", "arch_i", "ghn_seed", "step"], kind="stable")
    archs = pd.DataFrame(
        [
            {"split": k, "arch": a.key, "depth": a.depth, "activation": a.activation}
            for k, lst in splits.items()
            for a in lst
        ]
    )
    return {
        "zero_shot": pd.DataFrame(zero),
        "curves": curves_df.reset_index(drop=True),
        "train_loss": pd.concat(tl, ignore_index=True),
        "archs": archs,
    }


def hash_arch(a: ArchConfig) -> int:
    """A stable non-negative int identifying an architecture (for deriving per-architecture
    seeds)."""
    code = 0
    for w in a.widths:
        code = code * 131 + w
    return code * 8 + ACTS.index(a.activation) * 2 + int(a.skip)


def hypernet_table(res: dict[str, pd.DataFrame], cfg: GHNConfig) -> pd.DataFrame:
    """Split x model -> 0-step accuracy (mean, SD over architectures x GHN seeds), ratio to
    trained, matched
    Adam steps (median over architectures), and fine-tuned accuracy from GHN vs random init."""
    z, c = res["zero_shot"], res["curves"]
    rnd = c[c["init"] == "random"]
    trained = rnd[rnd["step"] == max(cfg.curve_steps)].groupby("split")["acc"].mean()
    rows = []
    for split in z["split"].unique():
        for (enc, tok), g in z[z["split"] == split].groupby(["encoder", "tokens"]):
            name = {"gru": "graph GHN", "mlp": "MLP hypernet"}[enc] + (
                "" if tok == "true" else f", {tok} tokens"
            )
            matched = []
            for _, row in g.iterrows():
                curve = rnd[(rnd["split"] == split) & (rnd["arch_i"] == row["arch_i"])].sort_values("step")
                matched.append(steps_to_match(row["acc"], list(curve["step"]), curve["acc"].to_numpy()))
            rows.append(
                {
                    "split": split,
                    "model": name,
                    "encoder": enc,
                    "tokens": tok,
                    "acc0_mean": g["acc"].mean(),
                    "acc0_sd": g["acc"].std(ddof=1),
                    "ratio_trained": g["acc"].mean() / trained[split],
                    "matched_steps_median": float(np.median(matched)),
                }
            )
    t = pd.DataFrame(rows)
    ft = c[c["init"] == "ghn"]
    for k in (100, max(cfg.curve_steps)):
        a = ft[ft["step"] == k].groupby("split")["acc"].mean()
        b = rnd[rnd["step"] == k].groupby("split")["acc"].mean()
        sel = (t["encoder"] == "gru") & (t["tokens"] == "true")
        t.loc[sel, f"ghn_ft@{k}"] = t.loc[sel, "split"].map(a)
        t.loc[sel, f"random@{k}"] = t.loc[sel, "split"].map(b)
    t["trained"] = t["split"].map(trained)
    return t
