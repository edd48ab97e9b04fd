"""E5: a network that edits its own architecture (seeds 000/001: "show a network its own code and
let it edit
itself", "without backpropagation"; a CPPN-like net that emits its own structural edits; Fritzke's
growing
networks; dynamically expandable networks).

`EditNet` is one module with two parts:
- the *body*, a ReLU MLP on digits (starts as [16]), trained by Adam between edits;
- the *edit head*, a tiny MLP held as a buffer (never a parameter, so no optimizer ever sees it).
  It reads
  a self-description of the body (per layer: width, dead units, mean |activation|, mean |weight|,
  share of
  the gradient norm; globally: validation accuracy and loss, last loss change, parameter count,
  depth,
  time) and outputs a categorical over 13 edits: no-op; widen layer l (x2, Net2Wider); deepen after
  layer
  l (Net2Deeper identity layer); shrink layer l (/2, keeping the largest-magnitude units). Widths
  stay in
  {16, 32, 64, 128} and depth <= 4, so every architecture the body reaches is in DigitsMLP-Bench.

The head is *evolved*, never trained by backpropagation: an elitist evolution strategy (population
`pop`,
`elite` survivors, Gaussian mutation) on fitness = validation accuracy - alpha * log10(parameters),
each
candidate scored on the same fresh body seeds within a generation.

Baselines on the same edit opportunities and epochs: random edits, never editing, a growth rule
(GNG/DEN-like: while the validation loss is above a threshold (DEN), widen the layer with the
largest
accumulated gradient norm (GNG's largest accumulated error), or deepen after the last layer when
every
layer is full), the "blind" evolved head (it sees only the time and the initial self-description: an
open-loop schedule, which tests whether the head uses what it reads about itself), and "gen0", the
best
random head of the first generation (does evolution add anything to selecting among random heads?).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from selfrep.archsearch.data import Digits, load_digits_split
from selfrep.selfmod.common import batches, generator, init_layers, mlp_forward, n_params
from selfrep.selfmod.net2net import net2deeper, net2wider, shrink

E5_TAG = 5
MAX_DEPTH = 4
WIDTHS: tuple[int, ...] = (16, 32, 64, 128)
LAYER_FEATURES = 6
GLOBAL_FEATURES = 6
DESC_DIM = MAX_DEPTH * LAYER_FEATURES + GLOBAL_FEATURES
ACTIONS: tuple[tuple[str, int], ...] = (
    ("noop", -1),
    *(("widen", l) for l in range(MAX_DEPTH)),
    *(("deepen", l) for l in range(MAX_DEPTH)),
    *(("shrink", l) for l in range(MAX_DEPTH)),
)
N_ACTIONS = len(ACTIONS)
POLICIES: tuple[str, ...] = ("evolved", "blind", "random", "noop", "rule")
# rows of the comparison: "gen0" is the "evolved" policy with the best head of generation 0
LABELS: tuple[str, ...] = ("evolved", "gen0", "blind", "random", "noop", "rule")
Layers = list[tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class EditConfig:
    """EditNet episodes, the evolution of its head, and the evaluation against baselines."""

    start_widths: tuple[int, ...] = (16,)
    warmup_epochs: int = 2
    rounds: int = 6  # edit opportunities; each is followed by `epochs_per_round` epochs of body training
    epochs_per_round: int = 3
    lr: float = 1e-3
    batch_size: int = 64
    alpha: float = 0.01  # fitness = val_acc - alpha * log10(n_params)
    head_hidden: int = 16
    pop: int = 8
    elite: int = 2
    generations: int = 15
    sigma: float = 0.3  # mutation SD, relative to the init scale of each head weight
    episode_seeds: int = 1  # body seeds per fitness evaluation
    evo_runs: int = 2  # independent evolutions of the head
    test_seeds: int = 10  # fresh body seeds on which every policy is compared (paired)
    rule_loss: float = 0.15  # growth rule: grow while the validation loss is above this (DEN's threshold)
    search_repeats: int = 200  # random-search baseline repeats on the bench

    def __post_init__(self) -> None:
        for name in (
            "rounds",
            "epochs_per_round",
            "batch_size",
            "head_hidden",
            "pop",
            "generations",
            "episode_seeds",
            "evo_runs",
            "test_seeds",
            "search_repeats",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if not 1 <= self.elite < self.pop:
            raise ValueError(f"elite: must be in [1, pop), got {self.elite} with pop={self.pop}")
        if any(w not in WIDTHS for w in self.start_widths) or len(self.start_widths) > MAX_DEPTH:
            raise ValueError(f"start_widths: widths in {WIDTHS}, depth <= {MAX_DEPTH}")

    @property
    def total_epochs(self) -> int:
        return self.warmup_epochs + self.rounds * self.epochs_per_round

    @property
    def head_size(self) -> int:
        return DESC_DIM * self.head_hidden + self.head_hidden + self.head_hidden * N_ACTIONS + N_ACTIONS


def init_head(cfg: EditConfig, gen: torch.Generator) -> torch.Tensor:
    """A random flat head genome (weights ~ N(0, 1/fan_in), biases 0)."""
    h = cfg.head_hidden
    w1 = torch.randn(h, DESC_DIM, generator=gen) / DESC_DIM**0.5
    w2 = torch.randn(N_ACTIONS, h, generator=gen) / h**0.5
    return torch.cat([w1.flatten(), torch.zeros(h), w2.flatten(), torch.zeros(N_ACTIONS)])


def mutation_scale(cfg: EditConfig) -> torch.Tensor:
    """Per-gene mutation SD: `sigma` times each weight's init scale (biases: sigma * 0.1)."""
    h = cfg.head_hidden
    return torch.cat(
        [
            torch.full((h * DESC_DIM,), cfg.sigma / DESC_DIM**0.5),
            torch.full((h,), cfg.sigma * 0.1),
            torch.full((N_ACTIONS * h,), cfg.sigma / h**0.5),
            torch.full((N_ACTIONS,), cfg.sigma * 0.1),
        ]
    )


class EditNet(nn.Module):
    """A ReLU MLP body (parameters) plus an evolved edit head (a buffer) that reads the body and
    edits it."""

    def __init__(self, widths: Sequence[int], head: torch.Tensor, head_hidden: int, gen: torch.Generator):
        super().__init__()
        self.head_hidden = head_hidden
        self.register_buffer("head", head.detach().clone())
        self.set_layers(init_layers((64, *widths, 10), gen))

    # --- the body ---------------------------------------------------------------------------------
    def set_layers(self, layers: Layers) -> None:
        self.body = nn.ParameterList()
        for W, b in layers:
            self.body.append(nn.Parameter(W.detach().clone()))
            self.body.append(nn.Parameter(b.detach().clone()))

    def layers(self) -> Layers:
        return [(self.body[2 * i], self.body[2 * i + 1]) for i in range(len(self.body) // 2)]

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(int(W.shape[0]) for W, _ in self.layers()[:-1])

    @property
    def n_params(self) -> int:
        return n_params((64, *self.widths, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return mlp_forward(self.layers(), x, "relu")

    # --- reading itself -----------------------------------------------------------------------
    @torch.no_grad()
    def describe(
        self, probe: torch.Tensor, stats: dict[str, float], grad_share: Sequence[float]
    ) -> torch.Tensor:
        """The (DESC_DIM,) self-description: per-layer features (zero-padded to MAX_DEPTH) +
        globals."""
        feats = torch.zeros(MAX_DEPTH, LAYER_FEATURES)
        h = probe
        for l, (W, b) in enumerate(self.layers()[:-1]):
            h = torch.relu(F.linear(h, W, b))
            feats[l] = torch.tensor(
                [
                    1.0,
                    W.shape[0] / 128.0,
                    float((h.max(0).values <= 0).float().mean()),  # dead units on the probe batch
                    float(torch.tanh(h.mean())),
                    float(W.abs().mean() * W.shape[1] ** 0.5),
                    float(grad_share[l]) if l < len(grad_share) else 0.0,
                ]
            )
        glob = torch.tensor(
            [
                stats["val_acc"],
                min(stats["val_loss"], 3.0) / 3.0,
                float(np.clip(stats["loss_change"], -1.0, 1.0)),
                np.log10(self.n_params) / 5.0,
                len(self.widths) / MAX_DEPTH,
                stats["round"] / max(stats["rounds"], 1),
            ],
            dtype=torch.float32,
        )
        return torch.cat([feats.flatten(), glob])

    def valid_actions(self) -> torch.Tensor:
        """(N_ACTIONS,) bool mask of the edits that keep the body inside the space."""
        ws = self.widths
        ok = torch.zeros(N_ACTIONS, dtype=torch.bool)
        for i, (kind, l) in enumerate(ACTIONS):
            if kind == "noop":
                ok[i] = True
            elif l < len(ws):
                if kind == "widen":
                    ok[i] = ws[l] < WIDTHS[-1]
                elif kind == "deepen":
                    ok[i] = len(ws) < MAX_DEPTH
                else:
                    ok[i] = ws[l] > WIDTHS[0]
        return ok

    @torch.no_grad()
    def propose(self, desc: torch.Tensor) -> int:
        """The head's edit: argmax of its logits over the valid edits (deterministic)."""
        h, D = self.head_hidden, DESC_DIM
        p = self.head
        w1 = p[: h * D].view(h, D)
        b1 = p[h * D : h * D + h]
        off = h * D + h
        w2 = p[off : off + N_ACTIONS * h].view(N_ACTIONS, h)
        b2 = p[off + N_ACTIONS * h :]
        logits = w2 @ torch.tanh(w1 @ desc + b1) + b2
        logits = logits.masked_fill(~self.valid_actions(), float("-inf"))
        return int(torch.argmax(logits))

    # --- editing itself -------------------------------------------------------------------------
    def apply(self, action: int, gen: torch.Generator) -> bool:
        """Apply edit `action` to the body; True if the architecture changed."""
        kind, l = ACTIONS[action]
        if kind == "noop":
            return False
        if not bool(self.valid_actions()[action]):
            raise ValueError(f"action: {ACTIONS[action]} is not valid for widths {self.widths}")
        layers = [(W.detach(), b.detach()) for W, b in self.layers()]
        if kind == "widen":
            layers = net2wider(layers, l, 2 * self.widths[l], gen)
        elif kind == "deepen":
            layers = net2deeper(layers, l)
        else:
            layers = shrink(layers, l, self.widths[l] // 2)
        self.set_layers(layers)
        return True


def _epoch(
    net: EditNet,
    opt: torch.optim.Optimizer,
    d: Digits,
    cfg: EditConfig,
    gen: torch.Generator,
    gnorm: np.ndarray,
) -> float:
    n = d.X_train.shape[0]
    tot = 0.0
    for idx in batches(n, cfg.batch_size, gen):
        loss = F.cross_entropy(net(d.X_train[idx]), d.y_train[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        for l in range(len(net.widths)):
            gnorm[l] += float(net.body[2 * l].grad.norm())
        opt.step()
        tot += loss.item() * len(idx)
    return tot / n


@torch.no_grad()
def _eval(net: EditNet, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    logits = net(X)
    return float((logits.argmax(1) == y).float().mean()), float(F.cross_entropy(logits, y))


def run_episode(
    cfg: EditConfig,
    policy: str,
    body_seed: int,
    head: torch.Tensor | None = None,
    data: Digits | None = None,
) -> dict:
    """One EditNet life: warm-up, then `rounds` x (edit decided by `policy`, `epochs_per_round`
    epochs).

    `policy`: "evolved" (the net's own head decides), "blind" (its head sees only the time and the
    initial
    description), "random" (uniform over valid edits), "noop", or "rule" (growth rule). Returns a
    dict
    with the final val/test accuracy, parameters, fitness, charged param-epochs, the edits and the
    trajectory. A pure function of (cfg, policy, body_seed, head).
    """
    torch.set_num_threads(1)  # tiny models: one thread is 8-20x faster on a shared 2-core machine
    if policy not in POLICIES:
        raise ValueError(f"policy: unknown {policy!r} (expected one of {POLICIES})")
    d = data or load_digits_split()
    if head is None:
        if policy in ("evolved", "blind"):
            raise ValueError(f"head: policy {policy!r} needs an evolved head")
        head = torch.zeros(cfg.head_size)
    g_init = generator(E5_TAG, 1, body_seed)
    g_data = generator(E5_TAG, 2, body_seed)
    g_edit = generator(E5_TAG, 3, body_seed)
    g_policy = generator(E5_TAG, 4, body_seed)
    net = EditNet(cfg.start_widths, head, cfg.head_hidden, g_init)
    probe = d.X_train[:256]
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    charged = 0.0
    gnorm = np.zeros(MAX_DEPTH)
    loss_prev = None
    for _ in range(cfg.warmup_epochs):
        tl = _epoch(net, opt, d, cfg, g_data, gnorm)
        charged += net.n_params
    va, vl = _eval(net, d.X_val, d.y_val)
    traj = [{"round": 0, "widths": net.widths, "action": "start", "val_acc": va, "params": net.n_params}]
    edits: list[str] = []
    desc0 = None
    for r in range(1, cfg.rounds + 1):
        share = gnorm[: len(net.widths)] / max(gnorm.sum(), 1e-12)
        stats = {
            "val_acc": va,
            "val_loss": vl,
            "round": r - 1,
            "rounds": cfg.rounds,
            "loss_change": 0.0 if loss_prev is None else (tl - loss_prev) / max(loss_prev, 1e-6),
        }
        desc = net.describe(probe, stats, share)
        if desc0 is None:
            desc0 = desc.clone()
        if policy == "evolved":
            action = net.propose(desc)
        elif policy == "blind":
            blind = desc0.clone()
            blind[-1] = desc[-1]  # only the time passes
            action = net.propose(blind)
        elif policy == "random":
            valid = net.valid_actions().nonzero().squeeze(1)
            action = int(valid[torch.randint(0, len(valid), (1,), generator=g_policy)])
        elif policy == "noop":
            action = 0
        else:  # growth rule
            action = 0
            if vl > cfg.rule_loss:
                valid = net.valid_actions()
                order = np.argsort(-share, kind="stable")
                for l in order:
                    if valid[1 + int(l)]:
                        action = 1 + int(l)
                        break
                else:
                    last = len(net.widths) - 1
                    if valid[1 + MAX_DEPTH + last]:
                        action = 1 + MAX_DEPTH + last
        changed = net.apply(action, g_edit)
        edits.append(ACTIONS[action][0])
        if changed:  # new parameters: a fresh optimizer
            opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        gnorm = np.zeros(MAX_DEPTH)
        loss_prev = tl
        for _ in range(cfg.epochs_per_round):
            tl = _epoch(net, opt, d, cfg, g_data, gnorm)
            charged += net.n_params
        va, vl = _eval(net, d.X_val, d.y_val)
        traj.append(
            {
                "round": r,
                "widths": net.widths,
                "action": ACTIONS[action][0],
                "val_acc": va,
                "params": net.n_params,
            }
        )
    ta, _ = _eval(net, d.X_test, d.y_test)
    return {
        "policy": policy,
        "body_seed": body_seed,
        "widths": net.widths,
        "val_acc": va,
        "test_acc": ta,
        "params": net.n_params,
        "fitness": va - cfg.alpha * np.log10(net.n_params),
        "param_epochs": charged,
        "edits": edits,
        "trajectory": traj,
    }


def evolve_head(
    cfg: EditConfig, run: int, data: Digits | None = None
) -> tuple[torch.Tensor, pd.DataFrame, torch.Tensor]:
    """Evolve the edit head (no gradients). Returns the best head of the last generation, a log
    frame
    (generation, candidate, fitness, mean val accuracy, params, edits), and the best head of
    generation 0
    (selection among random heads without any evolution: a control). A pure function of (cfg,
    run)."""
    torch.set_num_threads(1)  # tiny models: one thread is 8-20x faster on a shared 2-core machine
    d = data or load_digits_split()
    g = generator(E5_TAG, 10, run)
    scale = mutation_scale(cfg)
    pop = [init_head(cfg, g) for _ in range(cfg.pop)]
    log = []
    best = first = pop[0]
    for gen_i in range(cfg.generations):
        seeds = [int(derive_body_seed(run, gen_i, k)) for k in range(cfg.episode_seeds)]
        fit = []
        for c, head in enumerate(pop):
            eps = [run_episode(cfg, "evolved", s, head, d) for s in seeds]
            f = float(np.mean([e["fitness"] for e in eps]))
            fit.append(f)
            log.append(
                {
                    "run": run,
                    "generation": gen_i,
                    "candidate": c,
                    "fitness": f,
                    "val_acc": float(np.mean([e["val_acc"] for e in eps])),
                    "params": float(np.mean([e["params"] for e in eps])),
                    "n_edits": float(np.mean([sum(x != "noop" for x in e["edits"]) for e in eps])),
                }
            )
        order = np.argsort(-np.asarray(fit), kind="stable")
        elites = [pop[int(i)] for i in order[: cfg.elite]]
        best = elites[0]
        if gen_i == 0:
            first = elites[0]
        if gen_i == cfg.generations - 1:
            break
        children = []
        for k in range(cfg.pop - cfg.elite):
            parent = elites[k % cfg.elite]
            children.append(parent + scale * torch.randn(parent.shape, generator=g))
        pop = elites + children
    return best.clone(), pd.DataFrame(log), first.clone()


def derive_body_seed(run: int, generation: int, k: int) -> int:
    """Body seeds used during evolution (disjoint from the test seeds, which are 10**6 + i)."""
    return (run * 1000 + generation) * 10 + k


def test_seed(i: int) -> int:
    return 10**6 + i


def run_editnet(cfg: EditConfig, seed: int = 0, data: Digits | None = None) -> dict[str, pd.DataFrame]:
    """E5: evolve `evo_runs` heads, then compare all policies on `test_seeds` fresh body seeds
    (paired).

    Returns frames "evolution" (the evolution log), "episodes" (one row per policy x run x test
    seed, with
    the final architecture, accuracies, parameters, fitness, charged param-epochs and edit counts)
    and
    "trajectories" (round-by-round widths). A pure function of (cfg, seed).
    """
    torch.set_num_threads(1)  # tiny models: one thread is 8-20x faster on a shared 2-core machine
    d = data or load_digits_split()
    evo_logs, rows, trajs = [], [], []
    heads, heads0 = {}, {}
    for r in range(cfg.evo_runs):
        run = seed * 100 + r
        heads[r], log, heads0[r] = evolve_head(cfg, run, d)
        evo_logs.append(log.assign(evo_run=r))

    def record(ep: dict, evo_run: int, ts: int) -> None:
        row = {k: ep[k] for k in ("policy", "val_acc", "test_acc", "params", "fitness", "param_epochs")}
        row.update(
            {
                "evo_run": evo_run,
                "test_seed": ts,
                "widths": "-".join(map(str, ep["widths"])),
                "depth": len(ep["widths"]),
            }
        )
        for kind in ("noop", "widen", "deepen", "shrink"):
            row[f"n_{kind}"] = sum(e == kind for e in ep["edits"])
        rows.append(row)
        for t in ep["trajectory"]:
            trajs.append(
                {
                    "policy": ep["policy"],
                    "evo_run": evo_run,
                    "test_seed": ts,
                    "round": t["round"],
                    "action": t["action"],
                    "val_acc": t["val_acc"],
                    "params": t["params"],
                    "depth": len(t["widths"]),
                    **{
                        f"w{l + 1}": (t["widths"][l] if l < len(t["widths"]) else 0) for l in range(MAX_DEPTH)
                    },
                }
            )

    for i in range(cfg.test_seeds):
        ts = test_seed(seed * 1000 + i)
        for r in range(cfg.evo_runs):
            record(run_episode(cfg, "evolved", ts, heads[r], d), r, i)
            record(run_episode(cfg, "blind", ts, heads[r], d), r, i)
            record({**run_episode(cfg, "evolved", ts, heads0[r], d), "policy": "gen0"}, r, i)
        for pol in ("random", "noop", "rule"):
            record(run_episode(cfg, pol, ts, None, d), -1, i)
    return {
        "evolution": pd.concat(evo_logs, ignore_index=True),
        "episodes": pd.DataFrame(rows),
        "trajectories": pd.DataFrame(trajs),
    }


def policy_table(episodes: pd.DataFrame, best_static_test: float) -> pd.DataFrame:
    """Policy -> final val/test accuracy (mean, SD over episodes), parameters, charged
    param-epochs, edits by
    type, and P(test accuracy >= the best static architecture's)."""
    g = episodes.groupby("policy")
    t = g.agg(
        val=("val_acc", "mean"),
        test=("test_acc", "mean"),
        test_sd=("test_acc", "std"),
        fitness=("fitness", "mean"),
        params=("params", "mean"),
        param_epochs=("param_epochs", "mean"),
        widen=("n_widen", "mean"),
        deepen=("n_deepen", "mean"),
        shrink=("n_shrink", "mean"),
        episodes=("test_acc", "size"),
    )
    t["P(>= best static)"] = g["test_acc"].apply(lambda x: float((x >= best_static_test).mean()))
    order = [p for p in LABELS if p in t.index]
    return t.loc[order]
