"""Chapter 3: the experiments, each a pure function of (config, generator) returning tidy DataFrames."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import torch

from selfrep.analysis import family as fam
from selfrep.analysis.weightspace import (
    MOVEMENT_LABELS,
    l1_error,
    line_children,
    mae,
    mim,
    minmax_per_group,
    movement,
    noisy_clones,
)
from selfrep.analysis.weightspace import train_parents as ws_train_parents
from selfrep.chapters.weight_space.config import DTYPES, WeightSpaceConfig, reduction, train_config
from selfrep.fixpoints import KIND_LABELS, FixpointKind, classify
from selfrep.nets import init_population
from selfrep.training import self_train, self_train_trajectory


def _weights_frame(w: torch.Tensor) -> pd.DataFrame:
    return pd.DataFrame(w.to(torch.float64).numpy(), columns=[f"w{i}" for i in range(w.shape[1])])


def train_parents(
    cfg: WeightSpaceConfig,
    groups: int,
    parents: int,
    candidates: int,
    steps: int,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, pd.DataFrame]:
    """`selfrep.analysis.weightspace.train_parents` with this chapter's settings.

    Returns (parents (groups·parents, W) in `dtype`, candidates frame: group, candidate, kind, kept).
    """
    res = ws_train_parents(
        reduction(cfg),
        groups,
        parents,
        candidates,
        steps,
        train_config(cfg),
        init=cfg.init,
        eps=cfg.eps,
        generator=generator,
        dtype=dtype,
    )
    frame = pd.DataFrame(
        {
            "group": np.repeat(np.arange(groups), candidates),
            "candidate": np.tile(np.arange(candidates), groups),
            "kind": [KIND_LABELS[int(k)] for k in res.kinds],
            "kept": res.kept.numpy(),
        }
    )
    return res.weights, frame


# ------------------------------------------------------------------------------------------------
# Fig 7
# ------------------------------------------------------------------------------------------------
def run_trajectories(cfg: WeightSpaceConfig, generator: torch.Generator) -> pd.DataFrame:
    """Fig 7: one non-zero fixpoint parent (trained `parent_steps`), `trajectory_clones` clones at
    `trajectory_zeta`, then parent and clones trained `child_steps` more, states every `record_every`
    steps. One whitened 2-component PCA over the drawn states: the parent from `trajectory_from`, each
    clone from the cloning step (the journal fitted it on every state, the clones' copies of the parent's
    history included, which gives the early training almost all the variance).

    One row per drawn state: net (0 = parent), role, t, pc1, pc2, kind (at the end), MAE to the parent
    at cloning before (pre) and after (post) retraining, explained variance.
    """
    from sklearn.decomposition import PCA

    red, tc = reduction(cfg), train_config(cfg)
    w = init_population(red.arch, cfg.candidates, cfg.init, generator=generator)
    state, hist = self_train_trajectory(w, red, cfg.parent_steps, tc, generator, every=cfg.record_every)
    good = (classify(state.weights, red, cfg.eps) == int(FixpointKind.NONZERO)).nonzero().flatten()
    if not good.numel():
        raise ValueError(f"candidates: none of {cfg.candidates} trained nets is a non-zero fixpoint")
    k = int(good[0])
    parent = state.weights[k : k + 1]
    clones = noisy_clones(
        parent, cfg.trajectory_zeta, cfg.trajectory_clones, generator=generator, scheme=cfg.noise
    )
    family = torch.cat([parent, clones.weights])  # row 0: the parent itself, retrained as well
    end, fut = self_train_trajectory(family, red, cfg.child_steps, tc, generator, every=cfg.record_every)
    t_hist = np.arange(hist.shape[0]) * cfg.record_every
    t_fut = cfg.parent_steps + np.arange(fut.shape[0]) * cfg.record_every
    t_fut[-1] = cfg.parent_steps + cfg.child_steps
    rows = []  # (net, t, weights)
    before = t_hist >= cfg.trajectory_from
    for t, w_t in zip(t_hist[before], hist[before, k], strict=True):
        rows.append((0, int(t), w_t))
    for j, t in enumerate(t_fut):
        for net in range(family.shape[0]):
            if net == 0 and j == 0:
                continue  # the parent's state at cloning is already in its history
            rows.append((net, int(t), fut[j, net]))
    points = torch.stack([r[2] for r in rows]).to(torch.float64).numpy()
    pca = PCA(n_components=2, whiten=True, svd_solver="full")
    proj = pca.fit_transform(points)
    frame = pd.DataFrame(
        {"net": [r[0] for r in rows], "t": [r[1] for r in rows], "pc1": proj[:, 0], "pc2": proj[:, 1]}
    )
    frame = frame.sort_values(["net", "t"], kind="stable").reset_index(drop=True)
    end_kinds = classify(end.weights, red, cfg.eps)
    nets = frame["net"].to_numpy()
    frame["role"] = np.where(nets == 0, "parent", "child")
    frame["kind"] = [KIND_LABELS[int(end_kinds[n])] for n in nets]
    ref = parent.expand_as(family)
    frame["pre"] = mae(family, ref).numpy()[nets]
    frame["post"] = mae(end.weights, ref).numpy()[nets]
    frame["pc1_var"], frame["pc2_var"] = pca.explained_variance_ratio_
    frame["cloned_at"] = cfg.parent_steps
    return frame


# ------------------------------------------------------------------------------------------------
# Figs 8, 9
# ------------------------------------------------------------------------------------------------
def run_cloning(
    cfg: WeightSpaceConfig, generator: torch.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Figs 8 and 9: for every noise level, `parents` fresh non-zero fixpoints (`parent_steps` steps),
    `clones` noisy clones each, every clone retrained `child_steps` steps; the parents are retrained as
    long, to see where a parent itself would have gone. Repeated for every dtype of `cfg.dtypes` from
    the same generator state: the same initial weights (drawn in float32), the same noise draws.

    Returns (children, parents, candidates):
      children: one row per clone — dtype, level, parent, clone, pre / post (MAE to the parent at cloning,
        before and after retraining), pre_mim / post_mim, movement, kind (after), l1 (L1 fixpoint error
        after, in the net's dtype), l1_f64 (the same weights evaluated in float64), to_parent_after (MAE
        to the retrained parent), noise_kept (fraction of weights the rounding left perturbed),
        parent_drift (how far the child's parent moves when it is retrained itself, MAE);
      parents: one row per parent — dtype, level, parent, l1, l1_f64, drift (MAE between the parent and
        its own retrained self), kind_after;
      candidates: every trained candidate — dtype, level, candidate, kind, kept.
    """
    red, tc = reduction(cfg), train_config(cfg)
    start = generator.get_state()
    L, n_par, n_cl = len(cfg.levels), cfg.parents, cfg.clones
    children, parents, candidates = [], [], []
    for name in cfg.dtypes:
        dtype = DTYPES[name]
        generator.set_state(start)
        par, cand = train_parents(cfg, L, n_par, cfg.candidates, cfg.parent_steps, generator, dtype)
        cand.insert(0, "dtype", name)
        cand["level"] = np.asarray(cfg.levels)[cand["group"].to_numpy()]
        candidates.append(cand.drop(columns="group"))
        zeta = torch.tensor(cfg.levels, dtype=torch.float64).repeat_interleave(n_par)
        cl = noisy_clones(par, zeta, n_cl, generator=generator, scheme=cfg.noise)
        post = self_train(cl.weights, red, cfg.child_steps, tc, generator).weights
        par_after = self_train(par, red, cfg.child_steps, tc, generator).weights
        ref = par[cl.parent]
        kinds = classify(post, red, cfg.eps)
        pre_d, post_d = mae(cl.weights, ref), mae(post, ref)
        # the family's geometry at every parent (float64): rank of the fixpoint condition's Jacobian and
        # the first-order prediction of retraining, the noise's part along the family (tangent space)
        jac = fam.jacobian(par, red)
        rk = fam.numerical_rank(jac, cfg.rank_rtol)
        delta = cl.weights.to(torch.float64) - ref.to(torch.float64)
        kept = fam.tangent_projection(jac[cl.parent], delta, rk.rank[cl.parent])
        diff_post = post.to(torch.float64) - ref.to(torch.float64)
        children.append(
            pd.DataFrame(
                {
                    "dtype": name,
                    "level": cl.zeta.numpy(),
                    "parent": cl.parent.numpy(),
                    "clone": np.tile(np.arange(n_cl), L * n_par),
                    "pre": pre_d.numpy(),
                    "post": post_d.numpy(),
                    "pre_mim": mim(cl.weights, ref).numpy(),
                    "post_mim": mim(post, ref).numpy(),
                    "movement": [MOVEMENT_LABELS[int(m)] for m in movement(pre_d, post_d)],
                    "kind": [KIND_LABELS[int(k)] for k in kinds],
                    "l1": l1_error(post, red).numpy(),
                    "l1_f64": l1_error(post, red, torch.float64).numpy(),
                    "to_parent_after": mae(post, par_after[cl.parent]).numpy(),
                    "noise_kept": (cl.weights != ref).to(torch.float64).mean(dim=1).numpy(),
                    "parent_drift": mae(par_after, par).numpy()[cl.parent.numpy()],
                    "pre_l2": delta.norm(dim=1).numpy(),
                    "post_l2": diff_post.norm(dim=1).numpy(),
                    "pred_l2": kept.norm(dim=1).numpy(),
                    "pred": kept.abs().mean(dim=1).numpy(),
                }
            )
        )
        parents.append(
            pd.DataFrame(
                {
                    "dtype": name,
                    "level": zeta.numpy(),
                    "parent": np.arange(L * n_par),
                    "l1": l1_error(par, red).numpy(),
                    "l1_f64": l1_error(par, red, torch.float64).numpy(),
                    "drift": mae(par_after, par).numpy(),
                    "kind_after": [KIND_LABELS[int(k)] for k in classify(par_after, red, cfg.eps)],
                    "rank": rk.rank.numpy(),
                    "sigma_rank": rk.singular.gather(1, (rk.rank - 1).clamp(min=0)[:, None])[:, 0].numpy(),
                    "sigma_next": rk.singular.gather(1, rk.rank.clamp(max=jac.shape[2] - 1)[:, None])[
                        :, 0
                    ].numpy(),
                    "drift_l2": (par_after.to(torch.float64) - par.to(torch.float64)).norm(dim=1).numpy(),
                }
            )
        )
    return (
        pd.concat(children, ignore_index=True),
        pd.concat(parents, ignore_index=True),
        pd.concat(candidates, ignore_index=True),
    )


def run_noise_variant(
    cfg: WeightSpaceConfig, generator: torch.Generator, scheme: str = "sign"
) -> pd.DataFrame:
    """Figs 8's experiment again in float32 with another noise scheme (default "sign": every weight moved
    by exactly ±ζ); the children frame of `run_cloning`, with a `noise` column."""
    alt = dataclasses.replace(cfg, noise=scheme, dtypes=("float32",))
    children, _, _ = run_cloning(alt, generator)
    children.insert(1, "noise", scheme)
    return children


# ------------------------------------------------------------------------------------------------
# Fig 10
# ------------------------------------------------------------------------------------------------
def run_line(cfg: WeightSpaceConfig, generator: torch.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 10: `line_parents` non-zero fixpoints (`line_steps` steps); for every pair (i < j) the
    `line_children` children w_i + (k/n)(w_j − w_i), k = 0 … n−1, each trained `line_steps` steps.

    Returns (children, candidates). children: one row per child — pair, first, second, position,
    parent_distance (MAE between the two parents), pre / post (MAE to the first parent), pre_norm /
    post_norm (min-max normalised per pair over pre and post together, divergent children left out, as
    in the journal code), movement (relative to the first parent), kind (after).
    """
    red, tc = reduction(cfg), train_config(cfg)
    par, cand = train_parents(cfg, 1, cfg.line_parents, cfg.line_candidates, cfg.line_steps, generator)
    i, j = torch.triu_indices(cfg.line_parents, cfg.line_parents, offset=1)
    lc = line_children(par, i, j, cfg.line_children)
    post = self_train(lc.weights, red, cfg.line_steps, tc, generator).weights
    kinds = classify(post, red, cfg.eps)
    p1 = par[lc.first]
    pre_d, post_d = mae(lc.weights, p1), mae(post, p1)
    finite = torch.isfinite(post).all(dim=1)
    pre_n = torch.full_like(pre_d, float("nan"))
    post_n = torch.full_like(post_d, float("nan"))
    a, b = minmax_per_group(pre_d[finite], post_d[finite], lc.pair[finite])
    pre_n[finite], post_n[finite] = a, b
    frame = pd.DataFrame(
        {
            "pair": lc.pair.numpy(),
            "first": lc.first.numpy(),
            "second": lc.second.numpy(),
            "position": lc.position.numpy(),
            "parent_distance": mae(p1, par[lc.second]).numpy(),
            "pre": pre_d.numpy(),
            "post": post_d.numpy(),
            "pre_norm": pre_n.numpy(),
            "post_norm": post_n.numpy(),
            "movement": [MOVEMENT_LABELS[int(m)] for m in movement(pre_d, post_d)],
            "kind": [KIND_LABELS[int(k)] for k in kinds],
        }
    )
    return frame, cand


# ------------------------------------------------------------------------------------------------
# Beyond the paper: the fixpoint family, the border sweep (Q1), second-order fixpoints (Q6)
# ------------------------------------------------------------------------------------------------
def run_border_sweep(cfg: WeightSpaceConfig, generator: torch.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Q1: Fig 8's experiment for every parent training length of `cfg.sweep_steps`, in every dtype
    (`sweep_parents` parents per level of `sweep_levels`, `clones` children each, `child_steps` of
    retraining). Returns (children, parents) of `run_cloning` with a `steps` column (one generator state
    per length, so the lengths share their initial weights)."""
    start = generator.get_state()
    children, parents = [], []
    for steps in cfg.sweep_steps:
        generator.set_state(start)
        sub = dataclasses.replace(
            cfg,
            parent_steps=steps,
            trajectory_from=min(cfg.trajectory_from, steps),
            levels=cfg.sweep_levels,
            parents=cfg.sweep_parents,
            candidates=cfg.sweep_candidates,
        )
        ch, pa, _ = run_cloning(sub, generator)
        ch.insert(0, "steps", steps)
        pa.insert(0, "steps", steps)
        children.append(ch)
        parents.append(pa)
    return pd.concat(children, ignore_index=True), pd.concat(parents, ignore_index=True)


def run_search(cfg: WeightSpaceConfig, generator: torch.Generator) -> pd.DataFrame:
    """§1 and Q6: Levenberg–Marquardt least squares (float64) from `search_starts` random starts N(0, 1),
    once on the first-order condition 𝒩 ◁ 𝒩 = 𝒩 and once on the second-order one 𝒩 ◁ (𝒩 ◁ 𝒩) = 𝒩.

    One row per start and order: order, start, label (`selfrep.analysis.family.SOLUTION_LABELS`), kind
    (`classify` at cfg.eps), error (max |residual|), a0…a3 (the end point's map), rank (of the
    Jacobian of its own condition there), dimension (weights − rank)."""
    red = reduction(cfg)
    rows = []
    starts = torch.randn(cfg.search_starts, red.arch.n_weights, generator=generator, dtype=torch.float64)
    for order in (1, 2):
        res = fam.least_squares_search(starts, red, order, cfg.search_iters, cfg.eps)
        jac = fam.jacobian(torch.nan_to_num(res.weights), red, order)
        rk = fam.numerical_rank(torch.nan_to_num(jac), cfg.rank_rtol)
        frame = pd.DataFrame(
            {
                "order": order,
                "start": np.arange(cfg.search_starts),
                "label": fam.solution_class(res),
                "kind": [KIND_LABELS[int(k)] for k in res.kinds],
                "error": res.error.numpy(),
                **{f"a{i}": res.maps[:, i].numpy() for i in range(res.maps.shape[1])},
                "rank": rk.rank.numpy(),
            }
        )
        frame["dimension"] = red.arch.n_weights - frame["rank"]
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def run_constructed(cfg: WeightSpaceConfig, generator: torch.Generator) -> pd.DataFrame:
    """Q6: second-order fixpoints by construction, classified by the library: the negated identity
    (a = −e₁) and `constructed` trained non-zero fixpoints (`parent_steps` steps) with their last layer
    negated, in float32 and float64. One row per net: dtype, net, origin, a0…a3, kind, kind of the
    unmodified net (for the negated trained ones), max |𝒩 ◁ (𝒩 ◁ 𝒩) − 𝒩|."""
    red = reduction(cfg)
    start = generator.get_state()
    frames = []
    for name in cfg.dtypes:
        dtype = DTYPES[name]
        generator.set_state(start)  # the same initial weights in every dtype
        trained, _ = train_parents(
            cfg, 1, cfg.constructed, cfg.constructed + cfg.candidates, cfg.parent_steps, generator, dtype
        )
        base = torch.cat([fam.negated_identity(red, dtype), trained])
        nets = torch.cat([fam.negated_identity(red, dtype), fam.negate_last_layer(trained, red)])
        maps = fam.end_to_end_map(nets, red)
        frames.append(
            pd.DataFrame(
                {
                    "dtype": name,
                    "net": np.arange(nets.shape[0]),
                    "origin": ["negated identity"]
                    + ["trained fixpoint, last layer negated"] * trained.shape[0],
                    **{f"a{i}": maps[:, i].numpy() for i in range(maps.shape[1])},
                    "kind": [KIND_LABELS[int(k)] for k in classify(nets, red, cfg.eps)],
                    "kind_before": ["–"] + [KIND_LABELS[int(k)] for k in classify(base[1:], red, cfg.eps)],
                    "error1_before": np.r_[np.nan, fam.residual(base[1:], red).abs().amax(dim=1).numpy()],
                    "error2": fam.residual(nets, red, 2).abs().amax(dim=1).numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
