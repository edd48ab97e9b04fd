"""E6: a network that prunes itself -- lottery tickets on digits (Frankle & Carbin, ICLR 2019).

Iterative magnitude pruning (IMP) with rewinding on a 64-300-100-10 ReLU net, the LeNet-300-100
analogue:
train, remove the `prune_rate` smallest-|w| surviving weights of every hidden layer
(`prune_rate_out` of
the output layer), rewind the survivors to their initial values theta_0, repeat. Biases are never
pruned.

Controls at every sparsity, as in the paper:
- "reinit": the ticket's mask with a fresh random initialisation;
- "random_mask": a random mask with the same per-layer sparsity, on theta_0.

Each training run records validation loss/accuracy and test accuracy after every epoch. The
early-stop
epoch is the epoch of minimum validation loss (the paper's criterion), and "test at stop" is the
test
accuracy there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from selfrep.archsearch.data import Digits, load_digits_split
from selfrep.selfmod.common import epoch_batches, generator, init_layers, stack_layers, stack_losses

E6_TAG = 6  # experiment tag mixed into every derived seed

Layers = list[tuple[torch.Tensor, torch.Tensor]]
CONDITIONS: tuple[str, ...] = ("ticket", "reinit", "random_mask")


@dataclass(frozen=True)
class LotteryConfig:
    """Iterative magnitude pruning with rewinding, and its controls."""

    sizes: tuple[int, ...] = (64, 300, 100, 10)
    prune_rate: float = 0.2  # fraction of surviving hidden-layer weights removed per round
    prune_rate_out: float = 0.1  # the same for the output layer (half the rate, as in the paper)
    rounds: int = 10  # pruning rounds after the dense run
    epochs: int = 40  # training epochs per round (the dense net reaches its minimum val loss at ~40)
    batch_size: int = 64
    lr: float = 1.2e-3  # Adam, the paper's LeNet setting
    seeds: int = 3

    def __post_init__(self) -> None:
        for name in ("prune_rate", "prune_rate_out"):
            v = getattr(self, name)
            if not 0.0 < v < 1.0:
                raise ValueError(f"{name}: must be in (0, 1), got {v}")
        for name in ("rounds", "epochs", "batch_size", "seeds"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if len(self.sizes) < 2 or self.sizes[0] != 64 or self.sizes[-1] != 10:
            raise ValueError(f"sizes: must start with 64 and end with 10, got {self.sizes}")


def dense_masks(layers: Layers) -> list[torch.Tensor]:
    """All-ones masks, one per weight matrix."""
    return [torch.ones_like(W) for W, _ in layers]


def remaining_fraction(masks: list[torch.Tensor]) -> float:
    """Fraction of weights (biases excluded) still present."""
    return float(sum(m.sum() for m in masks) / sum(m.numel() for m in masks))


def magnitude_prune(layers: Layers, masks: list[torch.Tensor], rates: list[float]) -> list[torch.Tensor]:
    """New masks: in each layer remove round(rate * surviving) of the surviving weights with
    smallest |w|."""
    if len(rates) != len(masks):
        raise ValueError(f"rates: need one rate per layer ({len(masks)}), got {len(rates)}")
    out = []
    for (W, _), m, rate in zip(layers, masks, rates, strict=True):
        alive = m.flatten().nonzero().squeeze(1)
        k = int(round(rate * alive.numel()))
        new = m.clone().flatten()
        if k > 0:
            mags = W.detach().abs().flatten()[alive]
            order = torch.argsort(mags, stable=True)  # smallest first; ties broken by position
            new[alive[order[:k]]] = 0.0
        out.append(new.view_as(m))
    return out


def random_masks_like(masks: list[torch.Tensor], gen: torch.Generator) -> list[torch.Tensor]:
    """Random masks with exactly the same number of surviving weights per layer."""
    out = []
    for m in masks:
        k = int(m.sum())
        new = torch.zeros(m.numel(), dtype=m.dtype)
        new[torch.randperm(m.numel(), generator=gen)[:k]] = 1.0
        out.append(new.view_as(m))
    return out


def train_masked(
    init: Layers,
    masks: list[torch.Tensor],
    cfg: LotteryConfig,
    gen: torch.Generator,
    data: Digits | None = None,
) -> tuple[Layers, dict[str, np.ndarray]]:
    """Adam-train the masked net from `init`; return trained (masked) layers and per-epoch
    curves (`train_masked_stack` with one net)."""
    return train_masked_stack([init], [masks], cfg, [gen], data)[0]


def train_masked_stack(
    inits: list[Layers],
    masks: list[list[torch.Tensor]],
    cfg: LotteryConfig,
    gens: list[torch.Generator],
    data: Digits | None = None,
) -> list[tuple[Layers, dict[str, np.ndarray]]]:
    """Adam-train P masked nets of `cfg.sizes` at once (one stacked tensor per layer), net p from
    `inits[p]` under `masks[p]` on the batch order of `gens[p]`: the same updates as training each
    alone. Returns, per net, its trained (masked) layers and per-epoch curves (val_loss, val_acc,
    test_acc, train_loss; test_at_init: the mask applied to the initial weights)."""
    torch.set_num_threads(1)  # tiny models: one thread is 8-20x faster on a shared 2-core machine
    d = data or load_digits_split()
    if not len(inits) == len(masks) == len(gens):
        raise ValueError(
            f"inits, masks, gens: need one of each per net, got {len(inits)}, {len(masks)}, {len(gens)}"
        )
    st = stack_layers(inits, "relu", False, masks)
    P = st.P
    opt = torch.optim.Adam(st.params(), lr=cfg.lr)
    curves = {k: np.zeros((P, cfg.epochs)) for k in ("val_loss", "val_acc", "test_acc", "train_loss")}
    with torch.no_grad():  # before any training: what the mask alone does to theta_0 (a "supermask")
        at_init = (st.forward(d.X_test).argmax(-1) == d.y_test).float().mean(1).numpy()
    n = d.X_train.shape[0]
    yv = d.y_val.unsqueeze(0).expand(P, -1)
    for e in range(cfg.epochs):
        tot = torch.zeros(P)
        for idx in epoch_batches(n, cfg.batch_size, gens):
            per = stack_losses(st, d.X_train[idx], d.y_train[idx])
            opt.zero_grad(set_to_none=True)
            per.sum().backward()
            opt.step()
            tot += per.detach() * idx.shape[1]
        with torch.no_grad():
            lv = st.forward(d.X_val)
            curves["train_loss"][:, e] = (tot / n).numpy()
            curves["val_loss"][:, e] = (
                F.cross_entropy(lv.transpose(1, 2), yv, reduction="none").mean(1).numpy()
            )
            curves["val_acc"][:, e] = (lv.argmax(-1) == d.y_val).float().mean(1).numpy()
            curves["test_acc"][:, e] = (st.forward(d.X_test).argmax(-1) == d.y_test).float().mean(1).numpy()
    out = []
    for p in range(P):
        c = {k: v[p].copy() for k, v in curves.items()}
        c["test_at_init"] = np.array([at_init[p]])
        out.append((st.unstack(p), c))
    return out


SPEED_ACC = 0.95  # "learning speed": the first epoch whose validation accuracy reaches this


def _row(seed: int, rnd: int, cond: str, masks: list[torch.Tensor], curves: dict[str, np.ndarray]) -> dict:
    stop = int(np.argmin(curves["val_loss"]))
    reached = np.nonzero(curves["val_acc"] >= SPEED_ACC)[0]
    return {
        "seed": seed,
        "round": rnd,
        "remaining": remaining_fraction(masks),
        "condition": cond,
        "stop_epoch": stop + 1,
        # epochs + 1 when never reached (a censored value, reported as such)
        "epochs_to_95": int(reached[0]) + 1 if reached.size else len(curves["val_acc"]) + 1,
        "test_at_init": float(curves["test_at_init"][0]),
        "test_at_stop": float(curves["test_acc"][stop]),
        "val_at_stop": float(curves["val_acc"][stop]),
        "test_final": float(curves["test_acc"][-1]),
        "val_final": float(curves["val_acc"][-1]),
    }


def run_lottery_seed(cfg: LotteryConfig, seed: int, data: Digits | None = None) -> pd.DataFrame:
    """IMP with rewinding plus both controls for one seed: one row per (round, condition).

    Round 0 is the dense net; it is reported once per condition (they coincide there). A pure
    function of (cfg, seed): the rows `run_lottery` gives for this seed.
    """
    return _run_lottery_seeds(cfg, [seed], data)


def _run_lottery_seeds(cfg: LotteryConfig, seeds: list[int], data: Digits | None = None) -> pd.DataFrame:
    """IMP with rewinding and both controls for every seed, each round's trainings (every seed's
    ticket, re-initialised ticket and random mask) run as one stack."""
    torch.set_num_threads(1)  # tiny models: one thread is 8-20x faster on a shared 2-core machine
    d = data or load_digits_split()
    theta0 = {s: init_layers(cfg.sizes, generator(E6_TAG, s, 0)) for s in seeds}
    masks = {s: dense_masks(theta0[s]) for s in seeds}
    rates = [cfg.prune_rate] * (len(cfg.sizes) - 2) + [cfg.prune_rate_out]
    rows = []
    dense = train_masked_stack(
        [theta0[s] for s in seeds],
        [masks[s] for s in seeds],
        cfg,
        [generator(E6_TAG, s, 1, 0) for s in seeds],
        d,
    )
    trained = {}
    for s, (layers, curves) in zip(seeds, dense, strict=True):
        trained[s] = layers
        for cond in CONDITIONS:
            rows.append(_row(s, 0, cond, masks[s], curves))
    for rnd in range(1, cfg.rounds + 1):
        inits, ms, gens, tags = [], [], [], []
        for s in seeds:
            masks[s] = magnitude_prune(trained[s], masks[s], rates)
            rmask = random_masks_like(masks[s], generator(E6_TAG, s, 4, rnd))
            reinit = init_layers(cfg.sizes, generator(E6_TAG, s, 2, rnd))
            # the ticket (survivors rewound to theta_0); control 1: the same mask on a fresh
            # initialisation; control 2: a random mask of the same per-layer sparsity on theta_0
            for cond, init, m, g in (
                ("ticket", theta0[s], masks[s], generator(E6_TAG, s, 1, rnd)),
                ("reinit", reinit, masks[s], generator(E6_TAG, s, 3, rnd)),
                ("random_mask", theta0[s], rmask, generator(E6_TAG, s, 5, rnd)),
            ):
                inits.append(init)
                ms.append(m)
                gens.append(g)
                tags.append((s, cond))
        done = train_masked_stack(inits, ms, cfg, gens, d)
        for (s, cond), m, (layers, curves) in zip(tags, ms, done, strict=True):
            if cond == "ticket":
                trained[s] = layers
            rows.append(_row(s, rnd, cond, m, curves))
    return pd.DataFrame(rows).sort_values(["seed", "round"], kind="stable").reset_index(drop=True)


def run_lottery(cfg: LotteryConfig, seed: int = 0) -> pd.DataFrame:
    """IMP with both controls for seeds seed, seed+1, ..., seed+cfg.seeds-1: one row per (seed, round,
    condition), every round's trainings of all seeds stacked."""
    return _run_lottery_seeds(cfg, [seed + r for r in range(cfg.seeds)])


def lottery_table(df: pd.DataFrame) -> pd.DataFrame:
    """Remaining % x condition -> test accuracy at early stop (mean, SD over seeds) and early-stop
    epoch."""
    g = df.groupby(["round", "condition"])
    t = g.agg(
        remaining=("remaining", "mean"),
        test_mean=("test_at_stop", "mean"),
        test_sd=("test_at_stop", "std"),
        stop_epoch=("stop_epoch", "mean"),
        epochs_to_95=("epochs_to_95", "mean"),
        n=("seed", "nunique"),
    ).reset_index()
    return t


def lottery_summary(df: pd.DataFrame, small: float = 0.2, resolution: float = 0.0) -> dict[str, float]:
    """Numbers deciding A6.1-A6.3.

    `resolution` is the smallest step of one seed's test accuracy (1 / test-set size): every
    seed SD of an accuracy is floored at it, and every seed SD of an epoch count at 1 epoch, so a
    few seeds that happen to agree exactly cannot produce a near-zero standard error.

    - dense_test, dense_sd: dense accuracy at early stop (mean, SD over seeds);
    - ticket_min_remaining: the smallest remaining fraction whose ticket mean is >= dense mean -
      dense SD (floored at `resolution`) (the smallest "winning" ticket; 1.0 if none);
      ticket_run_remaining: the smallest remaining fraction down to which *every* pruning round
      passes that test (a contiguous run from the dense net; 1.0 if the first round fails);
    - ticket_at_small / reinit_at_small / random_at_small: mean test accuracy at the first
      pruning round whose remaining fraction is <= `small` (default 20 %; the sparsest round if
      none reaches it), and that fraction, `small_remaining`;
    - reinit_gap_small (+ _sd, floored at `resolution`): ticket - reinit at that round, paired
      by seed; random_gap_small:
      ticket -
      random mask;
    - stop_dense, stop_ticket_small, stop_ticket_min: mean early-stop epochs (dense, at `small`, at
      the
      smallest winning ticket); stop_gap_small (+ _se): dense - ticket early-stop epoch, paired by
      seed;
    - speed_dense, speed_ticket_small, speed_gap_small (+ _se): the same for the first epoch
      reaching
      SPEED_ACC validation accuracy (a second measure of "learns faster");
    - init_dense, init_ticket_small, init_reinit_small, init_random_small: test accuracy before any
      training
      (the mask applied to the initial weights: Zhou et al.'s "supermask" effect).
    """
    t = lottery_table(df)
    dense = df[(df["round"] == 0) & (df["condition"] == "ticket")]
    dense_mean = float(dense["test_at_stop"].mean())
    dense_sd = float(dense["test_at_stop"].std(ddof=1)) if len(dense) > 1 else 0.0
    tk = t[t["condition"] == "ticket"].sort_values("remaining")
    passes = tk["test_mean"] >= dense_mean - max(dense_sd, resolution)
    win = tk[passes]
    min_round = int(win.iloc[0]["round"]) if len(win) else 0
    min_rem = float(win.iloc[0]["remaining"]) if len(win) else 1.0
    pruned = tk[tk["round"] > 0].sort_values("round")
    ok = (pruned["test_mean"] >= dense_mean - max(dense_sd, resolution)).to_numpy()
    n_run = int(np.argmin(ok)) if not ok.all() else len(ok)  # leading rounds that pass
    run_rem = float(pruned["remaining"].iloc[n_run - 1]) if n_run else 1.0
    at_most = pruned[pruned["remaining"] <= small]  # pruning rounds at or below `small`
    rnd_small = int(at_most.iloc[0]["round"]) if len(at_most) else int(pruned.iloc[-1]["round"])

    def at(cond: str, rnd: int) -> pd.Series:
        return df[(df["condition"] == cond) & (df["round"] == rnd)].set_index("seed")["test_at_stop"]

    def at_col(cond: str, rnd: int, col: str) -> pd.Series:
        return df[(df["condition"] == cond) & (df["round"] == rnd)].set_index("seed")[col]

    gap = at("ticket", rnd_small) - at("reinit", rnd_small)
    gap_r = at("ticket", rnd_small) - at("random_mask", rnd_small)
    stop = df[df["condition"] == "ticket"].groupby("round")["stop_epoch"].mean()

    def paired(col: str) -> tuple[float, float]:
        a = df[(df["condition"] == "ticket") & (df["round"] == 0)].set_index("seed")[col]
        b = df[(df["condition"] == "ticket") & (df["round"] == rnd_small)].set_index("seed")[col]
        d = (a - b).to_numpy(dtype=float)  # dense - ticket: > 0 means the ticket is faster
        se = float(max(d.std(ddof=1), 1.0) / np.sqrt(len(d))) if len(d) > 1 else float("nan")
        return float(d.mean()), se

    stop_gap, stop_gap_se = paired("stop_epoch")
    speed_gap, speed_gap_se = paired("epochs_to_95")
    speed = df[df["condition"] == "ticket"].groupby("round")["epochs_to_95"].mean()
    return {
        "dense_test": dense_mean,
        "dense_sd": dense_sd,
        "ticket_min_remaining": min_rem,
        "ticket_run_remaining": run_rem,
        "resolution": float(resolution),
        "small_remaining": float(tk[tk["round"] == rnd_small]["remaining"].iloc[0]),
        "ticket_at_small": float(at("ticket", rnd_small).mean()),
        "reinit_at_small": float(at("reinit", rnd_small).mean()),
        "random_at_small": float(at("random_mask", rnd_small).mean()),
        "reinit_gap_small": float(gap.mean()),
        "reinit_gap_small_sd": max(float(gap.std(ddof=1)) if len(gap) > 1 else 0.0, resolution),
        "random_gap_small": float(gap_r.mean()),
        "stop_dense": float(stop.loc[0]),
        "stop_ticket_small": float(stop.loc[rnd_small]),
        "stop_ticket_min": float(stop.loc[min_round]),
        "stop_gap_small": stop_gap,
        "stop_gap_small_se": stop_gap_se,
        "speed_dense": float(speed.loc[0]),
        "speed_ticket_small": float(speed.loc[rnd_small]),
        "speed_gap_small": speed_gap,
        "speed_gap_small_se": speed_gap_se,
        "init_dense": float(at_col("ticket", 0, "test_at_init").mean()),
        "init_ticket_small": float(at_col("ticket", rnd_small, "test_at_init").mean()),
        "init_reinit_small": float(at_col("reinit", rnd_small, "test_at_init").mean()),
        "init_random_small": float(at_col("random_mask", rnd_small, "test_at_init").mean()),
        "n_seeds": float(df["seed"].nunique()),
    }
