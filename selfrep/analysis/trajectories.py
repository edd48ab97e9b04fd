"""Trajectories of populations through weight space, projected by PCA (paper Figs 1, 4, 7, 12, 14).

The paper's trajectory figures (paper-spec §11) fit one PCA on every recorded state of every network,
project each trajectory with it, and draw PC1 and PC2 with time as the third axis. States are (T, P, W)
tensors as returned by `self_apply_trajectory` / `self_train_trajectory`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA

from selfrep.fixpoints import is_divergent, is_fixpoint
from selfrep.reductions import Reduction


def first_stop(states: torch.Tensor, reduction: Reduction, eps: float) -> torch.Tensor:
    """(P,) index of the first state of each trajectory that is divergent or an ε-fixpoint (T - 1 if none).

    This is the early stop of the authors' trajectory runs (Fig 1 stops once a net diverged or is a
    fixpoint at the class default ε = 1e-14).
    """
    if states.ndim != 3:
        raise ValueError(f"states: expected a (T, P, W) tensor, got shape {tuple(states.shape)}")
    T, P, _ = states.shape
    stop = torch.full((P,), T - 1, dtype=torch.int64)
    for t in range(T - 1, -1, -1):  # the last assignment wins: the earliest stopping state
        done = is_divergent(states[t]) | is_fixpoint(states[t], reduction, eps)
        stop[done] = t
    return stop


class Projection(NamedTuple):
    """PCA-projected trajectories: one row per kept state (net, t, pc1 … pcN), the explained variance
    ratio of each component, and where the zero network lands in these coordinates."""

    frame: pd.DataFrame
    explained_variance: np.ndarray
    zero: np.ndarray


def pca_trajectories(
    states: torch.Tensor,
    stop: torch.Tensor | None = None,
    *,
    n_components: int = 2,
    whiten: bool = False,
    max_abs: float | None = None,
    times: np.ndarray | None = None,
) -> Projection:
    """Project trajectories onto the principal components of all their states taken together.

    Args:
        states: (T, P, W) recorded states.
        stop: (P,) last state index to keep per trajectory (default: all).
        n_components: number of components (the paper: 2).
        whiten: scale the components to unit variance (the journal's figures do, the Keras ones do not).
        max_abs: drop states with any |w| above this (a diverging net leaves any useful scale); states with
            inf or nan are always dropped.
        times: (T,) time value of each state (default 0 … T-1).
    Returns:
        A Projection: the frame of kept states, the explained variance ratios, the zero net's coordinates.
    """
    if states.ndim != 3:
        raise ValueError(f"states: expected a (T, P, W) tensor, got shape {tuple(states.shape)}")
    T, P, W = states.shape
    if times is None:
        times = np.arange(T)
    if len(times) != T:
        raise ValueError(f"times: {len(times)} values for {T} states")
    s = states.detach().to("cpu", torch.float64).numpy()
    keep = np.isfinite(s).all(axis=2)  # (T, P)
    if max_abs is not None:
        with np.errstate(invalid="ignore"):
            keep &= np.nan_to_num(np.abs(s), nan=np.inf).max(axis=2) <= max_abs
    if stop is not None:
        keep &= np.arange(T)[:, None] <= stop.cpu().numpy()[None, :]
    # A trajectory is cut at its first dropped state (no gaps).
    keep = np.cumprod(keep, axis=0).astype(bool)
    t_idx, p_idx = np.nonzero(keep)
    points = s[t_idx, p_idx]
    if len(points) <= n_components:
        raise ValueError(f"states: only {len(points)} usable states for {n_components} components")
    pca = PCA(n_components=n_components, whiten=whiten, svd_solver="full")
    proj = pca.fit_transform(points)
    frame = pd.DataFrame({"net": p_idx, "t": np.asarray(times)[t_idx]})
    for k in range(n_components):
        frame[f"pc{k + 1}"] = proj[:, k]
    frame = frame.sort_values(["net", "t"], kind="stable").reset_index(drop=True)
    zero = pca.transform(np.zeros((1, W)))[0]
    return Projection(frame, pca.explained_variance_ratio_, zero)
