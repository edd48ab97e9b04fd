"""Can a network set its own hyperparameters? Live experiments on a fixed MLP (Q&A 003's questions).

1. `hpo_trials` / `hpo_experiment`: Bergstra & Bengio's grid-vs-random comparison on learning rate
   (log-uniform 1e-4 .. 1e-1), weight decay (log-uniform 1e-6 .. 1e-2) and dropout (uniform 0 .. 0.5) of a
   [64, 64] relu MLP. The grid has `levels` values per axis at the centres of equal cells (in log space for lr
   and weight decay), so it tries only `levels` distinct values of each hyperparameter; random search tries
   `levels**3` distinct values of each. `importance` splits the variance of a random forest's response over
   the three axes (main effects, a small functional ANOVA), to show which hyperparameter matters.
2. `l2_run` / `l2_experiment`: the L2 coefficient lam = exp(rho) as a parameter.
   - "trainable": rho is trained with the weights on the *training* loss + lam/2 * ||w||^2. Its gradient
     lam/2 * ||w||^2 is never negative, so lam is driven towards 0: the trivial optimum.
   - "hypergradient": rho follows the gradient of the *validation* loss after one unrolled SGD step
     (w' = w - eta (g + lam w), so dL_val(w')/dlam = -eta <grad L_val(w'), w>): a meta-level that tunes the
     system, not the system tuning itself.
   - "fixed": lam held at its initial value; "none": lam = 0.
   The weights use plain SGD (so the one-step unroll is exact); rho uses Adam in both learned settings.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from selfrep.archsearch.data import load_digits_split
from selfrep.archsearch.space import ArchConfig, BenchTrainConfig, build_mlp, evaluate, train_mlp

HPO_ARCH = ArchConfig((64, 64), "relu", False)
LOG_LR = (-4.0, -1.0)
LOG_WD = (-6.0, -2.0)
DROPOUT = (0.0, 0.5)
HPARAMS: tuple[str, ...] = ("lr", "weight_decay", "dropout")


def _unit_to_hp(u: np.ndarray) -> dict[str, float]:
    return {
        "lr": float(10 ** (LOG_LR[0] + u[0] * (LOG_LR[1] - LOG_LR[0]))),
        "weight_decay": float(10 ** (LOG_WD[0] + u[1] * (LOG_WD[1] - LOG_WD[0]))),
        "dropout": float(DROPOUT[0] + u[2] * (DROPOUT[1] - DROPOUT[0])),
    }


def grid_points(levels: int = 3) -> list[dict[str, float]]:
    """`levels`**3 points at the centres of equal cells of the unit cube, mapped to (lr, wd, dropout)."""
    if levels < 1:
        raise ValueError(f"levels: must be >= 1, got {levels}")
    c = (np.arange(levels) + 0.5) / levels
    return [_unit_to_hp(np.array([a, b, d])) for a in c for b in c for d in c]


def random_points(n: int, rng: np.random.Generator) -> list[dict[str, float]]:
    """`n` points uniform in the unit cube (log-uniform lr and weight decay), mapped to hyperparameters."""
    return [_unit_to_hp(u) for u in rng.random((n, 3))]


def train_population(
    arch: ArchConfig,
    seed: int,
    points: Sequence[dict[str, float]],
    epochs: int = 20,
    batch_size: int = 64,
    data=None,
) -> list[dict[str, float]]:
    """Train one copy of `build_mlp(arch, seed)` per hyperparameter point, all at once as one population.

    The weights of the P members are stacked into (P, fan_in, fan_out) tensors and trained with batched
    matrix products; every member starts from the same initial weights and sees the same minibatches (both
    fixed by `seed`, as in `train_mlp`), with its own learning rate, weight decay (Adam's L2 term, as
    `torch.optim.Adam`) and dropout rate. Each member's loss is its own mean cross-entropy and the population
    loss is their sum, so each member's gradient is the one it would get alone. A member whose epoch loss is
    not finite is marked diverged (chance-level accuracy, as `train_mlp` reports it) and no longer updated.

    Dropout: `train_mlp` seeds each run's dropout generator from `seed` alone, so every point of one seed
    draws the same uniform numbers, and a unit is kept where its number is >= the point's dropout rate.
    The population draws those numbers once per layer and step and compares them with each member's rate,
    so each member gets exactly the masks it would get alone, and follows `train_mlp`'s run up to float
    rounding. Returns one dict per point: validation and test accuracy, validation loss, diverged, and
    cpu_s, the population's CPU time split evenly over its members."""
    if len(points) < 1:
        raise ValueError("points: need at least one hyperparameter point")
    if epochs < 1:
        raise ValueError(f"epochs: must be >= 1, got {epochs}")
    torch.set_num_threads(1)
    t0 = time.process_time()
    data = data or load_digits_split()
    P = len(points)
    lr = torch.tensor([p["lr"] for p in points]).view(P, 1, 1)
    wd = torch.tensor([p["weight_decay"] for p in points]).view(P, 1, 1)
    drop = torch.tensor([p["dropout"] for p in points]).view(P, 1, 1)
    if (lr <= 0).any() or (wd < 0).any() or (drop < 0).any() or (drop >= 1).any():
        raise ValueError("points: need lr > 0, weight_decay >= 0 and dropout in [0, 1)")
    base = build_mlp(arch, seed)
    mask = base.cfg.skip_mask()
    act = base.act
    params: list[torch.Tensor] = []
    for layer in base.layers:  # weight as (P, fan_in, fan_out), bias as (P, 1, fan_out)
        params.append(layer.weight.detach().T.unsqueeze(0).repeat(P, 1, 1).contiguous().requires_grad_())
        params.append(layer.bias.detach().view(1, 1, -1).repeat(P, 1, 1).contiguous().requires_grad_())
    drop_gen = torch.Generator().manual_seed(int(seed) + 2_000_003)
    order_gen = torch.Generator().manual_seed(int(seed) + 1_000_003)

    def forward(x: torch.Tensor, train: bool) -> torch.Tensor:  # (B, n_in) -> (P, B, n_out)
        h = x.unsqueeze(0).expand(P, *x.shape)
        for k, res in enumerate(mask):
            a = act(torch.baddbmm(params[2 * k + 1], h, params[2 * k]))
            h = a + h if res else a
            if train:  # one (B, width) draw shared by all members: the draw each makes alone
                keep = torch.rand(h.shape[1:], generator=drop_gen) >= drop
                h = h * keep / (1.0 - drop)
        return torch.baddbmm(params[-1], h, params[-2])

    def losses(x: torch.Tensor, y: torch.Tensor, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
        logits = forward(x, train)
        ce = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.repeat(P), reduction="none")
        return ce.view(P, -1).mean(1), (logits.argmax(-1) == y).sum(1)

    # Adam as torch.optim.Adam computes it (betas 0.9 / 0.999, eps 1e-8, L2 added to the gradient)
    b1, b2, eps = 0.9, 0.999, 1e-8
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    live = torch.ones(P, 1, 1)
    diverged = torch.zeros(P, dtype=torch.bool)
    X, y = data.X_train, data.y_train
    n, step = X.shape[0], 0
    for _ in range(epochs):
        perm = torch.randperm(n, generator=order_gen)
        total = torch.zeros(P)
        for i in range(0, n, batch_size):
            idx = perm[i : i + batch_size]
            loss, _ = losses(X[idx], y[idx], True)
            grads = torch.autograd.grad(loss.sum(), params)
            step += 1
            c1, c2 = 1 - b1**step, math.sqrt(1 - b2**step)
            with torch.no_grad():
                for p, g, mp, vp in zip(params, grads, m, v, strict=True):
                    g = g + wd * p
                    mp.mul_(b1).add_(g, alpha=1 - b1)
                    vp.mul_(b2).addcmul_(g, g, value=1 - b2)
                    p -= live * (lr / c1) * mp / (vp.sqrt() / c2 + eps)
            total += loss.detach() * idx.numel()
        bad = ~torch.isfinite(total)
        diverged |= bad
        live[bad] = 0.0
        if diverged.all():
            break
    with torch.no_grad():
        val_loss, val_hits = losses(data.X_val, data.y_val, False)
        _, test_hits = losses(data.X_test, data.y_test, False)
    n_val, n_test = int(data.y_val.numel()), int(data.y_test.numel())
    cpu = (time.process_time() - t0) / P
    out = []
    for j in range(P):
        bad = bool(diverged[j])
        out.append(
            {
                "val_acc": 0.1 if bad else int(val_hits[j]) / n_val,
                "test_acc": 0.1 if bad else int(test_hits[j]) / n_test,
                "val_loss": float("nan") if bad else float(val_loss[j]),
                "cpu_s": cpu,
                "diverged": bad,
            }
        )
    return out


def hpo_trials(
    points: Sequence[dict[str, float]],
    seed: int,
    epochs: int = 20,
    arch: ArchConfig = HPO_ARCH,
    batched: bool = True,
) -> pd.DataFrame:
    """Train `arch` once per point (training seed `seed`): one row per trial with the hyperparameters,
    validation and test accuracy, CPU seconds. `batched` trains all points as one population
    (`train_population`); `batched=False` trains them one at a time with `train_mlp` (the reference the
    population trainer is checked against)."""
    if batched:
        res = train_population(arch, seed, points, epochs)
        return pd.DataFrame(
            [
                {"trial": k, **p, **{q: r[q] for q in ("val_acc", "test_acc", "cpu_s", "diverged")}}
                for k, (p, r) in enumerate(zip(points, res, strict=True))
            ]
        )
    rows = []
    for k, p in enumerate(points):
        tc = BenchTrainConfig(
            epochs=epochs, lr=p["lr"], weight_decay=p["weight_decay"], dropout=p["dropout"], record_epochs=()
        )
        r = train_mlp(arch, seed, tc)
        rows.append(
            {
                "trial": k,
                **p,
                "val_acc": r.val_acc,
                "test_acc": r.test_acc,
                "cpu_s": r.cpu_s,
                "diverged": r.diverged,
            }
        )
    return pd.DataFrame(rows)


def hpo_experiment(
    repeats: int, levels: int = 3, epochs: int = 20, seed: int = 0, batched: bool = True
) -> pd.DataFrame:
    """Grid (`levels`**3 points) vs random (as many points) over `repeats` repeats. Repeat r trains with
    seed `seed + r`; random draws its points from `default_rng(seed + r)`. All trials, tagged by method.
    `batched`: the grid's and random search's trials of one repeat train as one population."""
    if repeats < 1:
        raise ValueError(f"repeats: must be >= 1, got {repeats}")
    frames = []
    grid = grid_points(levels)
    for r in range(repeats):
        rnd = random_points(len(grid), np.random.default_rng(seed + r))
        if batched:
            both = hpo_trials([*grid, *rnd], seed + r, epochs, batched=True)
            parts = (("grid", both.iloc[: len(grid)]), ("random", both.iloc[len(grid) :]))
        else:
            parts = (
                ("grid", hpo_trials(grid, seed + r, epochs, batched=False)),
                ("random", hpo_trials(rnd, seed + r, epochs, batched=False)),
            )
        for method, df in parts:
            df = df.copy()
            df["trial"] = np.arange(len(df))
            df.insert(0, "repeat", r)
            df.insert(0, "method", method)
            frames.append(df)
    return pd.concat(frames, ignore_index=True)


def hpo_incumbents(trials: pd.DataFrame) -> pd.DataFrame:
    """Per (method, repeat): the trial with the best validation accuracy (first on ties) and its test
    accuracy, plus the number of distinct values of each hyperparameter tried."""
    rows = []
    for (m, r), g in trials.groupby(["method", "repeat"], sort=False):
        best = g.loc[g["val_acc"].idxmax()]
        rows.append(
            {
                "method": m,
                "repeat": r,
                "best_val": best["val_acc"],
                "test_acc": best["test_acc"],
                **{f"best_{h}": best[h] for h in HPARAMS},
                **{f"distinct_{h}": g[h].nunique() for h in HPARAMS},
            }
        )
    return pd.DataFrame(rows)


def importance(trials: pd.DataFrame, seed: int = 0, points: int = 20) -> pd.Series:
    """Share of the response's variance explained by each hyperparameter's main effect.

    A random forest is fitted on (log10 lr, log10 wd, dropout) -> validation accuracy. The main effect of a
    hyperparameter is its partial dependence (forest prediction averaged over the trials' other coordinates),
    evaluated at `points` quantiles of that hyperparameter's own trial values; its share is the variance of
    the main effect over the variance of the forest's predictions at the trials. Fit it on random trials (a
    grid has only a few levels per axis). Shares need not sum to 1 (interactions)."""
    from sklearn.ensemble import RandomForestRegressor

    X = np.column_stack([np.log10(trials["lr"]), np.log10(trials["weight_decay"]), trials["dropout"]])
    y = trials["val_acc"].to_numpy(float)
    rf = RandomForestRegressor(n_estimators=200, min_samples_leaf=2, random_state=seed, n_jobs=1).fit(X, y)
    total = rf.predict(X).var()
    out = {}
    for j, h in enumerate(HPARAMS):
        effect = []
        for v in np.quantile(X[:, j], (np.arange(points) + 0.5) / points):
            Xv = X.copy()
            Xv[:, j] = v
            effect.append(rf.predict(Xv).mean())
        out[h] = float(np.var(effect) / total) if total > 0 else 0.0
    return pd.Series(out, name="variance_share")


# --- trainable L2 vs hypergradient ------------------------------------------------------------------
@dataclass(frozen=True)
class L2Config:
    """The L2 experiment: an MLP trained with minibatch SGD on digits, lam = exp(rho) on (1/2)||w||^2."""

    widths: tuple[int, ...] = (128, 128)
    epochs: int = 100
    lr: float = 0.5
    batch_size: int = 64
    lam0: float = 1e-3
    hyper_lr: float = 0.05
    record_every: int = 1

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs: must be >= 1, got {self.epochs}")
        if not self.lam0 > 0:
            raise ValueError(f"lam0: must be > 0, got {self.lam0}")


L2_MODES: tuple[str, ...] = ("none", "fixed", "trainable", "hypergradient")


def sgd_l2_step(model, grads, lam: float, lr: float, val=None) -> float | None:
    """One SGD step in place, w' = w - lr (g + lam w) for weight matrices and b' = b - lr g for biases, where
    `grads` are the data-loss gradients of `model.parameters()` (in order).

    With `val = (X_val, y_val)`, also return the one-step hypergradient d L_val(w') / d lam
    = -lr <grad L_val(w'), w> (w the pre-step weights); else None."""
    params = list(model.parameters())
    weights = [layer.weight for layer in model.layers]
    is_weight = [any(p is w for w in weights) for p in params]
    old = [w.detach().clone() for w in weights] if val is not None else None
    with torch.no_grad():
        for p, gp, wt in zip(params, grads, is_weight, strict=True):
            p -= lr * (gp + lam * p) if wt else lr * gp
    if val is None:
        return None
    gv = torch.autograd.grad(nn.functional.cross_entropy(model(val[0]), val[1]), weights)
    return -lr * sum(float((a * b).sum()) for a, b in zip(gv, old, strict=True))


def l2_run(
    mode: str,
    seed: int,
    cfg: L2Config = L2Config(),  # noqa: B008 (frozen, immutable default)
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Train one net under `mode` (see the module docstring). Returns (per-epoch history: epoch, lam,
    train/val loss, val accuracy; final summary: lam, val/test accuracy and loss, CPU s)."""
    if mode not in L2_MODES:
        raise ValueError(f"mode: must be one of {L2_MODES}, got {mode!r}")
    torch.set_num_threads(1)
    t0 = time.process_time()
    data = load_digits_split()
    model = build_mlp(ArchConfig(cfg.widths, "relu"), seed)
    weights = [layer.weight for layer in model.layers]  # L2 on weight matrices, not biases
    params = list(model.parameters())
    learn = mode in ("trainable", "hypergradient")
    rho = torch.tensor(math.log(cfg.lam0), requires_grad=learn)
    hopt = torch.optim.Adam([rho], lr=cfg.hyper_lr) if learn else None
    order = torch.Generator().manual_seed(seed + 1_000_003)
    X, y, Xv, yv = data.X_train, data.y_train, data.X_val, data.y_val
    n = X.shape[0]
    hist = []
    ce = nn.functional.cross_entropy
    for epoch in range(1, cfg.epochs + 1):
        perm = torch.randperm(n, generator=order)
        tot = 0.0
        for i in range(0, n, cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            data_loss = ce(model(X[idx]), y[idx])
            g_rho = None
            if mode == "trainable":
                lam = rho.exp()
                sq = sum((w * w).sum() for w in weights)
                grads = torch.autograd.grad(data_loss + 0.5 * lam * sq, [*params, rho])
                g, g_rho = grads[:-1], grads[-1]
                decay = 0.0  # already inside g
            else:
                g = torch.autograd.grad(data_loss, params)
                decay = float(rho.detach().exp()) if mode != "none" else 0.0
            dlam = sgd_l2_step(model, g, decay, cfg.lr, (Xv, yv) if mode == "hypergradient" else None)
            if mode == "hypergradient":
                g_rho = torch.tensor(dlam * decay)  # d lam / d rho = lam
            if hopt is not None:
                hopt.zero_grad()
                rho.grad = g_rho.detach().reshape(()).clone()
                hopt.step()
            tot += data_loss.item() * idx.numel()
        if epoch % cfg.record_every == 0 or epoch == cfg.epochs:
            va, vl = evaluate(model, Xv, yv)
            hist.append(
                {
                    "epoch": epoch,
                    "lam": float(rho.detach().exp()) if mode != "none" else 0.0,
                    "train_loss": tot / n,
                    "val_loss": vl,
                    "val_acc": va,
                }
            )
    va, vl = evaluate(model, Xv, yv)
    ta, tl = evaluate(model, data.X_test, data.y_test)
    final = {
        "mode": mode,
        "seed": seed,
        "lam": hist[-1]["lam"],
        "val_acc": va,
        "val_loss": vl,
        "test_acc": ta,
        "test_loss": tl,
        "cpu_s": time.process_time() - t0,
    }
    h = pd.DataFrame(hist)
    h.insert(0, "seed", seed)
    h.insert(0, "mode", mode)
    return h, final


def l2_experiment(
    seeds: Sequence[int],
    cfg: L2Config = L2Config(),  # noqa: B008
    modes: Sequence[str] = L2_MODES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`l2_run` for every mode and seed: (histories, finals)."""
    hs, fs = [], []
    for s in seeds:
        for m in modes:
            h, f = l2_run(m, s, cfg)
            hs.append(h)
            fs.append(f)
    return pd.concat(hs, ignore_index=True), pd.DataFrame(fs)
