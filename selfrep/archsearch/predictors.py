"""Meta-models that predict an architecture's accuracy from its description, against zero-cost proxies.

Protocol (`learning_curve`): draw N distinct architectures (canonical configs only), fit a predictor on their
seed-0 validation accuracy (what one training run would tell you), and score it on every other architecture
against the mean validation accuracy of the *other* seeds (so the label noise of seed 0 is not in the target):
Kendall tau overall and within the true top 20 %, Spearman rho, MAE, fit seconds.

Predictors (`MODELS`): "ridge" (standardised features), "rf" (random forest, 100 trees), "mlp" (standardised
inputs and targets: `MLPEnsembleRegressor`, 5 small tanh MLPs with weight decay), "mlp_untuned" (sklearn's
`MLPRegressor()` with its defaults on the raw, unscaled description: widths and parameter count in units), and
"mlp_default" (the same defaults, but the same raw description standardised first). The last three are the
same model family; the gaps between them are the "meta-meta" hyperparameter problem, and "mlp_default"
separates the part that input scaling alone explains from the rest of the settings.

Zero-cost proxies (`proxy_scores`): parameter count, epoch-2 validation accuracy (a low-fidelity run: 2/20 of
a training), and a NASWOT-like score (Mellor et al. 2021): log|det K| of the Hamming-similarity kernel of the
binary activation codes of one minibatch at initialisation. The noise ceiling is seed 0's own final accuracy.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from scipy import stats

from selfrep.archsearch.bench import Bench
from selfrep.archsearch.data import load_digits_split
from selfrep.archsearch.space import DEPTHS, SPACE_ACTIVATIONS, ArchConfig, build_mlp, encode

MODELS: tuple[str, ...] = ("ridge", "rf", "mlp", "mlp_default", "mlp_untuned")
RAW_FEATURES: tuple[str, ...] = ("mlp_untuned", "mlp_default")


class MLPEnsembleRegressor:
    """`n_models` one-hidden-layer tanh MLPs trained together (one batched (M, n, d) computation), full-batch
    Adam with weight decay, on standardised inputs and targets, each from its own init drawn from a
    `torch.Generator` seeded with `seed`. `predict` is the ensemble mean; `predict_dist` adds the ensemble SD
    (for Thompson sampling)."""

    def __init__(
        self,
        n_models: int = 5,
        hidden: int = 32,
        steps: int = 200,
        lr: float = 1e-2,
        weight_decay: float = 1e-3,
        seed: int = 0,
    ):
        if n_models < 1 or hidden < 1 or steps < 1:
            raise ValueError("n_models, hidden, steps: must be >= 1")
        self.n_models, self.hidden, self.steps = n_models, hidden, steps
        self.lr, self.weight_decay, self.seed = lr, weight_decay, seed

    def _f(self, A: torch.Tensor) -> torch.Tensor:  # (n, d) -> (M, n)
        W1, b1, W2, b2 = self.params_
        return (torch.tanh(A.unsqueeze(0) @ W1 + b1) @ W2 + b2).squeeze(-1)

    def fit(self, X: np.ndarray, y: np.ndarray) -> MLPEnsembleRegressor:
        torch.set_num_threads(1)
        X, y = np.asarray(X, float), np.asarray(y, float)
        g = torch.Generator().manual_seed(int(self.seed))
        self.mu_, self.sd_ = X.mean(0), X.std(0) + 1e-9
        self.ym_, self.ys_ = y.mean(), y.std() + 1e-9
        Xt = torch.as_tensor((X - self.mu_) / self.sd_, dtype=torch.float32)
        yt = torch.as_tensor((y - self.ym_) / self.ys_, dtype=torch.float32)
        M, d, h = self.n_models, Xt.shape[1], self.hidden
        self.params_ = [
            (torch.randn(M, d, h, generator=g) / np.sqrt(d)).requires_grad_(),
            torch.zeros(M, 1, h, requires_grad=True),
            (torch.randn(M, h, 1, generator=g) / np.sqrt(h)).requires_grad_(),
            torch.zeros(M, 1, 1, requires_grad=True),
        ]
        opt = torch.optim.Adam(self.params_, lr=self.lr, weight_decay=self.weight_decay)
        for _ in range(self.steps):
            loss = ((self._f(Xt) - yt) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return self

    @torch.no_grad()
    def predict_dist(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Xt = torch.as_tensor((np.asarray(X, float) - self.mu_) / self.sd_, dtype=torch.float32)
        P = self._f(Xt).numpy().astype(np.float64) * self.ys_ + self.ym_
        return P.mean(0), P.std(0)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.predict_dist(X)[0]


def fit_ensembles(
    Xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], seeds: Sequence[int], **options
) -> list[MLPEnsembleRegressor]:
    """`MLPEnsembleRegressor(seed=s, **options).fit(X, y)` for every (X, y, s), trained together: datasets of
    one size form one batched (R * M, n, d) computation, so R fits cost about one in Python overhead. Each
    fit draws its init from its own seed, standardises its own data, and gets the gradient it would get
    alone (the loss is the sum of the fits' own losses; Adam is elementwise), so each equals the fit made
    alone up to float rounding."""
    if not len(Xs) == len(ys) == len(seeds):
        raise ValueError("Xs, ys, seeds: need one seed per dataset")
    out: list[MLPEnsembleRegressor | None] = [None] * len(Xs)
    by_shape: dict[tuple[int, ...], list[int]] = {}
    for k, X in enumerate(Xs):
        by_shape.setdefault(np.shape(X), []).append(k)
    for ks in by_shape.values():
        for k, e in zip(
            ks,
            _fit_group([Xs[k] for k in ks], [ys[k] for k in ks], [seeds[k] for k in ks], options),
            strict=True,
        ):
            out[k] = e
    return out  # type: ignore[return-value]


def _fit_group(Xs, ys, seeds, options) -> list[MLPEnsembleRegressor]:
    torch.set_num_threads(1)
    ens = [MLPEnsembleRegressor(seed=s, **options) for s in seeds]
    R, M, h = len(ens), ens[0].n_models, ens[0].hidden
    At, yt, inits = [], [], []
    for e, X, y in zip(ens, Xs, ys, strict=True):
        X, y = np.asarray(X, float), np.asarray(y, float)
        e.mu_, e.sd_ = X.mean(0), X.std(0) + 1e-9
        e.ym_, e.ys_ = y.mean(), y.std() + 1e-9
        At.append(torch.as_tensor((X - e.mu_) / e.sd_, dtype=torch.float32))
        yt.append(torch.as_tensor((y - e.ym_) / e.ys_, dtype=torch.float32))
        g = torch.Generator().manual_seed(int(e.seed))
        d = At[-1].shape[1]
        inits.append(
            (torch.randn(M, d, h, generator=g) / np.sqrt(d), torch.randn(M, h, 1, generator=g) / np.sqrt(h))
        )
    A = torch.stack(At)  # (R, n, d)
    Y = torch.stack(yt).unsqueeze(1)  # (R, 1, n)
    n, d = A.shape[1], A.shape[2]
    W1 = torch.cat([w for w, _ in inits]).requires_grad_()  # (R * M, d, h)
    b1 = torch.zeros(R * M, 1, h, requires_grad=True)
    W2 = torch.cat([w for _, w in inits]).requires_grad_()  # (R * M, h, 1)
    b2 = torch.zeros(R * M, 1, 1, requires_grad=True)
    Ab = A.unsqueeze(1).expand(R, M, n, d).reshape(R * M, n, d)
    opt = torch.optim.Adam([W1, b1, W2, b2], lr=ens[0].lr, weight_decay=ens[0].weight_decay)
    for _ in range(ens[0].steps):
        out = (torch.bmm(torch.tanh(torch.bmm(Ab, W1) + b1), W2) + b2).view(R, M, n)
        loss = ((out - Y) ** 2).mean(dim=(1, 2)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for r, e in enumerate(ens):
        sl = slice(r * M, (r + 1) * M)
        e.params_ = [W1[sl].detach(), b1[sl].detach(), W2[sl].detach(), b2[sl].detach()]
    return ens


def encode_raw(configs: Sequence[ArchConfig], max_depth: int = max(DEPTHS)) -> np.ndarray:
    """An unscaled description: depth, widths in units (0 where absent), one-hot activation, skip, number of
    residual connections, parameter count in units."""
    rows = []
    for c in configs:
        ws = list(c.widths) + [0] * (max_depth - c.depth)
        act = [1.0 if c.activation == a else 0.0 for a in SPACE_ACTIVATIONS]
        rows.append([c.depth, *ws, *act, float(c.skip), c.n_skips, c.n_params()])
    return np.asarray(rows, dtype=np.float64)


def make_model(name: str, seed: int):
    """A fresh sklearn regressor for predictor `name` (see the module docstring)."""
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import Ridge
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "ridge":
        return make_pipeline(StandardScaler(), Ridge(alpha=1.0))
    if name == "rf":
        return RandomForestRegressor(n_estimators=100, random_state=seed, n_jobs=1)
    if name == "mlp":
        return MLPEnsembleRegressor(seed=seed)
    if name == "mlp_untuned":
        return MLPRegressor(random_state=seed)
    if name == "mlp_default":
        return make_pipeline(StandardScaler(), MLPRegressor(random_state=seed))
    raise ValueError(f"name: unknown predictor {name!r} (known: {MODELS})")


def features(name: str, configs: Sequence[ArchConfig]) -> np.ndarray:
    return encode_raw(configs) if name in RAW_FEATURES else encode(configs)


def fit_predict(
    name: str, train: Sequence[ArchConfig], y: np.ndarray, test: Sequence[ArchConfig], seed: int
) -> tuple[np.ndarray, float]:
    """(predictions for `test`, fit seconds) of predictor `name` fitted on (`train`, y)."""
    model = make_model(name, seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the default MLPs is part of the point
        model.fit(features(name, train), np.asarray(y, dtype=float))
    fit_s = time.perf_counter() - t0
    return np.asarray(model.predict(features(name, test)), dtype=float), fit_s


def rank_scores(pred: np.ndarray, true: np.ndarray, top_frac: float = 0.2) -> dict[str, float]:
    """Kendall tau (all; within the true top `top_frac`), Spearman rho, MAE of `pred` against `true`."""
    pred, true = np.asarray(pred, float), np.asarray(true, float)
    top = true >= np.quantile(true, 1 - top_frac)
    return {
        "tau": float(stats.kendalltau(pred, true).statistic),
        "tau_top20": float(stats.kendalltau(pred[top], true[top]).statistic),
        "spearman": float(stats.spearmanr(pred, true).statistic),
        "mae": float(np.mean(np.abs(pred - true))),
    }


def targets(bench: Bench) -> tuple[np.ndarray, np.ndarray, list[ArchConfig], np.ndarray]:
    """(canonical ids, seed-0 validation accuracy, configs, mean validation accuracy over the other seeds)."""
    if len(bench.seeds) < 2:
        raise ValueError("bench: need at least two seeds (one to train on, the others as the target)")
    ids = np.flatnonzero(bench.is_canonical)
    return ids, bench.val[ids, 0], [bench.configs[i] for i in ids], bench.val[ids, 1:].mean(1)


def learning_curve(
    bench: Bench,
    models: Sequence[str] = MODELS,
    ns: Sequence[int] = (10, 25, 50, 100, 200),
    repeats: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (model, N, repeat): tau, tau_top20, spearman, mae, fit_s on the held-out architectures.
    Repeat r uses the same N architectures for every model (drawn with `default_rng(seed + r)`)."""
    ids, y0, configs, target = targets(bench)
    bad = [n for n in ns if not 2 <= n < len(ids)]
    if bad:
        raise ValueError(f"ns: {bad} outside 2..{len(ids) - 1}")
    rows = []
    for r in range(repeats):
        perm = np.random.default_rng(seed + r).permutation(len(ids))
        for n in ns:
            tr, te = perm[:n], perm[n:]
            for m in models:
                pred, fit_s = fit_predict(
                    m, [configs[k] for k in tr], y0[tr], [configs[k] for k in te], seed + r
                )
                rows.append(
                    {"model": m, "n": n, "repeat": r, **rank_scores(pred, target[te]), "fit_s": fit_s}
                )
    return pd.DataFrame(rows)


@torch.no_grad()
def naswot_score(cfg: ArchConfig, X: torch.Tensor, seed: int = 0) -> float:
    """log|det K| with K[i, j] = number of hidden units on which inputs i and j have the same binary code
    (pre-activation > 0) at initialisation (`build_mlp(cfg, seed)`); -inf when K is singular."""
    net = build_mlp(cfg, seed)
    codes = []
    h = X
    for layer, res in zip(net.layers[:-1], net.mask, strict=True):
        z = layer(h)
        codes.append(z > 0)
        a = net.act(z)
        h = a + h if res else a
    C = torch.cat(codes, 1).double()
    K = C @ C.T + (1 - C) @ (1 - C).T
    sign, logdet = torch.linalg.slogdet(K)
    return float(logdet) if sign > 0 else float("-inf")


def proxy_scores(bench: Bench, batch: int = 64, seed: int = 0, limit: int | None = None) -> pd.DataFrame:
    """Per canonical architecture: the zero-cost proxies, seed 0's final validation accuracy (the noise
    ceiling) and the target (mean validation accuracy over the other seeds). NASWOT uses the first `batch`
    training images. `limit` keeps an evenly spaced subset of architectures (for fast runs). Column `k` is the
    architecture's position in `targets(bench)` (the order `learning_curve` draws its training sets from)."""
    torch.set_num_threads(1)
    ids, y0, configs, target = targets(bench)
    keep = np.arange(len(ids))
    if limit is not None and limit < len(ids):
        keep = np.linspace(0, len(ids) - 1, limit).round().astype(int)
    X = load_digits_split().X_train[:batch]
    rows = []
    for k in keep:
        i = ids[k]
        t0 = time.perf_counter()
        nw = naswot_score(configs[k], X, seed)
        rows.append(
            {
                "arch": configs[k].key,
                "k": int(k),
                "n_params": float(bench.n_params[i]),
                "val_acc_e2": float(bench.val_at[2][i, 0]),
                "naswot": nw,
                "naswot_s": time.perf_counter() - t0,
                "seed0_val": float(y0[k]),
                "target": float(target[k]),
            }
        )
    return pd.DataFrame(rows)


PROXIES: tuple[str, ...] = ("n_params", "val_acc_e2", "naswot", "seed0_val")


def proxy_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Kendall tau (all, top 20 %) and Spearman of each proxy against the target; -inf NASWOT scores rank
    last."""
    rows = []
    for p in PROXIES:
        x = scores[p].to_numpy(dtype=float)
        x = np.where(np.isfinite(x), x, np.nanmin(x[np.isfinite(x)]) - 1.0)
        s = rank_scores(x, scores["target"].to_numpy())
        s.pop("mae")
        rows.append({"proxy": p, **s})
    return pd.DataFrame(rows)


def proxy_curve(
    bench: Bench,
    scores: pd.DataFrame,
    ns: Sequence[int] = (10, 25, 50, 100, 200),
    repeats: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """The proxies of `scores` (`proxy_scores`) scored like the predictors of `learning_curve(bench, ...,
    ns, repeats, seed)`: for each (N, repeat), on exactly the architectures that repeat holds out (those
    `scores` has), so that a proxy and a predictor are compared on the same set. One row per (proxy, N,
    repeat): tau, tau_top20, spearman, n_scored."""
    ids, _, _, _ = targets(bench)
    bad = [n for n in ns if not 2 <= n < len(ids)]
    if bad:
        raise ValueError(f"ns: {bad} outside 2..{len(ids) - 1}")
    if "k" not in scores:
        raise ValueError("scores: need the column 'k' that proxy_scores writes")
    pos = np.full(len(ids), -1)
    pos[scores["k"].to_numpy(int)] = np.arange(len(scores))
    target = scores["target"].to_numpy(float)
    cols = {}
    for p in PROXIES:
        x = scores[p].to_numpy(dtype=float)
        cols[p] = np.where(np.isfinite(x), x, np.nanmin(x[np.isfinite(x)]) - 1.0)
    rows = []
    for r in range(repeats):
        perm = np.random.default_rng(seed + r).permutation(len(ids))
        for n in ns:
            te = pos[perm[n:]]
            te = te[te >= 0]
            for p in PROXIES:
                s = rank_scores(cols[p][te], target[te])
                s.pop("mae")
                rows.append({"proxy": p, "n": n, "repeat": r, **s, "n_scored": len(te)})
    return pd.DataFrame(rows)


def extrapolation(
    bench: Bench,
    models: Sequence[str] = ("rf", "ridge"),
    repeats: int = 10,
    max_train_depth: int = 2,
    test_depth: int = 4,
    seed: int = 0,
) -> pd.DataFrame:
    """Shallow-to-deep extrapolation against a same-size interpolation control.

    Repeat r holds out a random half of the depth-`test_depth` architectures as the test set. "extrapolate"
    trains on every architecture of depth <= `max_train_depth`; "interpolate" trains on as many architectures
    drawn from all depths (test set excluded). One row per (model, setting, repeat): tau, tau_top20, spearman,
    mae, n_train.
    """
    ids, y0, configs, target = targets(bench)
    depth = np.array([c.depth for c in configs])
    shallow = np.flatnonzero(depth <= max_train_depth)
    deep = np.flatnonzero(depth == test_depth)
    if len(shallow) < 5 or len(deep) < 10:
        raise ValueError("max_train_depth, test_depth: too few architectures on one side")
    rows = []
    for r in range(repeats):
        rng = np.random.default_rng(seed + r)
        test = rng.permutation(deep)[: len(deep) // 2]
        pool = np.setdiff1d(np.arange(len(ids)), test)
        interp = rng.choice(pool, size=len(shallow), replace=False)
        for setting, tr in (("extrapolate", shallow), ("interpolate", interp)):
            for m in models:
                pred, _ = fit_predict(
                    m, [configs[k] for k in tr], y0[tr], [configs[k] for k in test], seed + r
                )
                rows.append(
                    {
                        "model": m,
                        "setting": setting,
                        "repeat": r,
                        "n_train": len(tr),
                        **rank_scores(pred, target[test]),
                    }
                )
    return pd.DataFrame(rows)
