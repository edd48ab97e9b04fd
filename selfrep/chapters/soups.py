"""Chapter 5 — soups (paper §3.5, Figs 12–14; paper-spec §10).

    run_soup_trajectories  Fig 12: soups of 20 weightwise nets (100 epochs, α = 0.1, A = 30), beside control
                           soups with the same particles and no attacks; PCA trajectories of soup 0
    run_soup_counts        Fig 13: zero / non-zero fixpoints per soup against A, weightwise and aggregating
    run_clone_soups        Fig 14: soups of noisy-cloned children, in the journal's committed setting and in
                           a setting with real interaction, each beside control soups without attacks

Figs 12 and 13 follow the Keras code (paper-spec §10.1): glorot nets, Keras epochs (lr 0.01), each particle
in turn may attack (α per particle and epoch, the target possibly itself) and then self-trains A epochs,
ε = 1e-4. Fig 14 follows the journal code (paper-spec §10.4): parents and children trained with full-batch
steps at lr 0.04, ε = 1e-5, [0, 1] positions in the PyTorch layout and constant targets, as journal@21dd572
trains (chapter 3). Its parents are non-zero fixpoints, chosen as in chapter 3.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA

from selfrep.analysis.soup import SoupConfig, evolve, random_soups
from selfrep.analysis.weightspace import mae, noisy_clones, train_parents
from selfrep.chapters.common import KIND_KEYS, decide_no_second_order
from selfrep.claims import Claim
from selfrep.fixpoints import KIND_LABELS, FixpointKind, classify
from selfrep.optim import TrainConfig
from selfrep.published import SOUP_TRAINS, logged
from selfrep.reductions import make_reduction

CHAPTER = "05_soups"
ZERO, NONZERO = KIND_LABELS[FixpointKind.ZERO], KIND_LABELS[FixpointKind.NONZERO]
SECOND = KIND_LABELS[FixpointKind.SECOND_ORDER]
COMMITTED, INTERACTING = "committed", "interacting"
NEAR_ERROR, FAR_ERROR = 1e-3, 1e-1  # Fig 12c: attackers this close to / this far from being fixpoints


@dataclass(frozen=True)
class SoupsConfig:
    """Sizes of chapter 5 (paper values in comments; paper-spec §10)."""

    # Fig 12 (master:code/setups/soup_trajectorys.py)
    particles: int = 20  # 20 weightwise nets
    epochs: int = 100
    attack_rate: float = 0.1
    train_steps: int = 30  # A = 30 Keras epochs per soup epoch
    soups: int = 20  # beyond the paper: independent soups (soup 0 is the figure), each with a control
    cluster_radius: float = 0.25  # a cluster: particles within this fraction of the initial median distance
    # Fig 13 (master:code/setups/mixed-soup.py)
    count_reductions: tuple[str, ...] = ("weightwise", "aggregating")
    count_trains: tuple[int, ...] = SOUP_TRAINS  # A = 0, 10, ..., 100
    count_soups: int = 10  # 10 soups per (reduction, A)
    count_particles: int = 10
    count_epochs: int = 5
    count_replicates: int = 1  # beyond the paper: more soups per cell (replicate 0 is the paper's)
    eps: float = 1e-4  # the Keras code's ε
    lr: float = 0.01
    init: str = "glorot"
    # Fig 14 (journal@21dd572:journal_soup_basins.py)
    clone_parents: int = 3
    clone_children: int = 5  # per parent
    clone_zetas: tuple[float, ...] = (1e-2, 1e-3, 1e-4)
    clone_candidates: int = 16  # random nets trained per soup to find 3 non-zero fixpoint parents
    clone_parent_steps: int = 1500
    clone_steps: int = 1500  # committed: 1 soup epoch of 1,500 steps after at most one attack
    clone_attack_rate: float = 0.1
    clone_record_every: int = 10
    clone_soups: int = 20  # soups per ζ (soup 0 is the figure), each with a control without attacks
    interacting_epochs: int = 100  # ours: 100 epochs x 15 steps = the same 1,500 steps of training,
    interacting_steps: int = 15  # parents and children together, α = 0.1 per particle and epoch
    clone_eps: float = 1e-5
    clone_lr: float = 0.04

    def __post_init__(self) -> None:
        for name in (
            "particles",
            "epochs",
            "soups",
            "count_soups",
            "count_particles",
            "count_epochs",
            "count_replicates",
            "clone_parents",
            "clone_children",
            "clone_candidates",
            "clone_parent_steps",
            "clone_steps",
            "clone_record_every",
            "clone_soups",
            "interacting_epochs",
            "interacting_steps",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.train_steps < 0 or any(a < 0 for a in self.count_trains) or not self.count_trains:
            raise ValueError("train_steps, count_trains: need non-negative step counts")
        if self.clone_candidates < self.clone_parents:
            raise ValueError(f"clone_candidates: need at least clone_parents ({self.clone_parents})")
        if not self.clone_zetas or any(not z > 0 for z in self.clone_zetas):
            raise ValueError(f"clone_zetas: need positive noise levels, got {self.clone_zetas}")
        bad = [r for r in self.count_reductions if r not in ("weightwise", "aggregating", "recurrent")]
        if bad:
            raise ValueError(f"count_reductions: unknown {bad}")


MEANINGS: dict[str, str] = {
    "particles": "paper Fig 12: networks per soup",
    "epochs": "paper Fig 12: soup epochs",
    "attack_rate": "α: probability that a particle attacks in an epoch (paper Figs 12, 13)",
    "train_steps": "A: Keras self-training epochs per particle and soup epoch (paper Fig 12)",
    "soups": "paper Fig 12: independent soups (soup 0 is the figure), each with a control without attacks",
    "cluster_radius": "a cluster: particles within this fraction of the soup's initial median distance",
    "count_reductions": "paper Fig 13: network types",
    "count_trains": "paper Fig 13: the values of A",
    "count_soups": "paper Fig 13: soups per network type and A (the paper's)",
    "count_particles": "paper Fig 13: networks per soup",
    "count_epochs": "paper Fig 13: soup epochs",
    "count_replicates": "paper Fig 13: repetitions of count_soups (beyond the paper)",
    "eps": "ε of the fixpoint test (Keras code)",
    "lr": "learning rate (Keras code)",
    "init": "initialisation of fresh nets",
    "clone_parents": "paper Fig 14: parents (families) per soup",
    "clone_children": "paper Fig 14: noisy clones per parent",
    "clone_zetas": "paper Fig 14: noise levels ζ",
    "clone_candidates": "paper Fig 14: random nets trained per soup to find the parents",
    "clone_parent_steps": "paper Fig 14: self-training steps that make a parent",
    "clone_steps": "paper Fig 14, committed setting: training steps after the one soup epoch's attack",
    "clone_attack_rate": "paper Fig 14: attack probability (per soup in the committed setting, per particle "
    "and epoch in the interacting one)",
    "clone_record_every": "paper Fig 14: a state is drawn every this many steps",
    "clone_soups": "paper Fig 14: soups per ζ (soup 0 is the figure), each with a control without attacks",
    "interacting_epochs": "paper Fig 14, interacting setting: soup epochs",
    "interacting_steps": "paper Fig 14, interacting setting: training steps per epoch",
    "clone_eps": "paper Fig 14: ε of the fixpoint test (journal code)",
    "clone_lr": "paper Fig 14: learning rate (journal code)",
}

PRESETS = {
    # Beyond the paper: more soups for statistics (soup / replicate 0 has the paper's own size).
    "paper": SoupsConfig(soups=50, count_replicates=5, clone_soups=50),
    "ci": SoupsConfig(soups=20, clone_soups=10),
}


def keras(cfg: SoupsConfig) -> TrainConfig:
    return TrainConfig(step="epoch", lr=cfg.lr, backend="compiled")


def journal(cfg: SoupsConfig) -> TrainConfig:
    return TrainConfig(step="batch", lr=cfg.clone_lr, backend="compiled")


def journal_reduction():
    """The chapter-3 setting: scaled positions, PyTorch layout."""
    return make_reduction("weightwise", positions="scaled", order="output_major")


def _kinds(w: torch.Tensor, red, eps: float) -> list[str]:
    return [KIND_LABELS[int(k)] for k in classify(w.reshape(-1, w.shape[-1]), red, eps)]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation; 0 when either input is constant (no trend to rank)."""
    from scipy.stats import spearmanr

    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(spearmanr(x, y).statistic)


def cluster_share(w: torch.Tensor, radius: float) -> float:
    """The largest fraction of the (N, W) particles that lie within `radius` (Euclidean) of one particle."""
    d = torch.cdist(w.to(torch.float64), w.to(torch.float64))
    d = torch.where(torch.isfinite(d), d, torch.full_like(d, float("inf")))
    return float((d <= radius).to(torch.float64).mean(dim=1).max())


def main_cluster(w: torch.Tensor, radius: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(members (N,) bool, centre (W,)) of the largest group of particles within `radius` of one particle."""
    d = torch.cdist(w.to(torch.float64), w.to(torch.float64))
    near = d <= radius
    k = int(near.sum(dim=1).argmax())
    return near[k], w[near[k]].to(torch.float64).mean(dim=0)


# ------------------------------------------------------------------------------------------------
# Fig 12
# ------------------------------------------------------------------------------------------------
def run_soup_trajectories(
    cfg: SoupsConfig, generator: torch.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fig 12: `soups` soups of `particles` weightwise nets evolved `epochs` epochs (α = attack_rate,
    A = train_steps Keras epochs, divergent and zero particles replaced, as the authors' run), and as many
    control soups that start from the same particles with α = 0.

    Returns (trajectories, soups, attacks):
      trajectories: soup 0, its control and the soup with the largest final cluster — panel, uid, t
        (epoch), pc1, pc2 (one PCA per panel, not whitened, as the authors'), kind (at the end;
        "replaced" for a particle that was replaced), explained variance, the zero net's coordinates;
      soups: one row per soup — setting, soup, counts of every kind, replacements, attacks, cluster share at
        the start and the end, main-cluster size, its centre's distance to 0 and to the initial centroid,
        the kinds inside the main cluster, initial median distance;
      attacks: every attack (soup, epoch, attacker, victim, attacker_error, displacement).
    """
    red = make_reduction("weightwise")
    S, N = cfg.soups, cfg.particles
    w0 = random_soups(red, S, N, cfg.init, generator=generator)
    sc = SoupConfig(
        attack_rate=(cfg.attack_rate,) * S + (0.0,) * S,
        train_steps=cfg.train_steps,
        train=keras(cfg),
        remove_divergent=True,
        remove_zero=True,
        eps=cfg.eps,
        init=cfg.init,
    )
    run = evolve(torch.cat([w0, w0]), red, sc, cfg.epochs, generator)
    final = run.final.weights
    rows = []
    for s in range(2 * S):
        setting = "soup" if s < S else "control (no attacks)"
        start, end = w0[s % S], final[s]
        d0 = torch.cdist(start.to(torch.float64), start.to(torch.float64))
        med0 = float(d0[~torch.eye(N, dtype=torch.bool)].median())
        radius = cfg.cluster_radius * med0
        kinds = _kinds(end, red, cfg.eps)
        members, centre = main_cluster(end, radius)
        inside = [k for k, m in zip(kinds, members.tolist(), strict=True) if m]
        row = {
            "setting": setting,
            "soup": s % S,
            "initial_median_distance": med0,
            "radius": radius,
            "share_start": cluster_share(start, radius),
            "share_end": cluster_share(end, radius),
            "share_end_half_radius": cluster_share(end, radius / 2),
            "share_end_double_radius": cluster_share(end, radius * 2),
            "cluster_size": int(members.sum()),
            "cluster_to_zero": float(centre.norm()),
            "cluster_to_start_centroid": float((centre - start.to(torch.float64).mean(dim=0)).norm()),
            "cluster_nonzero": sum(k == NONZERO for k in inside),
            "replacements": int((run.replacements["soup"] == s).sum()),
            "attacks": int((run.attacks["soup"] == s).sum()),
            **_last_attackers(run.attacks[run.attacks["soup"] == s], members),
        }
        for label, key in KIND_KEYS.items():
            row[key] = sum(k == label for k in kinds)
        rows.append(row)
    soups = pd.DataFrame(rows)
    # Trajectories: soup 0, its control, and the soup whose largest cluster is biggest (one PCA each).
    top = int(soups[soups["setting"] == "soup"]["share_end"].to_numpy().argmax())
    panels = [("soup 0", 0), ("control of soup 0 (no attacks)", S), (f"soup {top} (largest cluster)", top)]
    if top == 0:
        panels = panels[:2]
    traj = pd.concat(
        [_soup_projection(run, k, label, red, cfg.eps) for label, k in panels], ignore_index=True
    )
    attacks = run.attacks.copy()
    return traj, soups, attacks


def _last_attackers(attacks: pd.DataFrame, members: torch.Tensor) -> dict[str, float]:
    """For one soup's main cluster: the share of its members whose last attack came from one and the same
    particle (the most frequent last attacker), and the median fixpoint error of that particle's attacks
    on them (0 and NaN-free defaults when no member was attacked)."""
    idx = set(members.nonzero().flatten().tolist())
    last = attacks.groupby("victim", sort=False).tail(1)  # attacks are in the order they happened
    last = last[last["victim"].isin(idx)]
    if not len(last) or not idx:
        return {"cluster_top_attacker_share": 0.0, "cluster_top_attacker_error": 0.0}
    top = last["attacker"].value_counts().idxmax()
    by_top = last[last["attacker"] == top]
    return {
        "cluster_top_attacker_share": len(by_top) / len(idx),
        "cluster_top_attacker_error": float(by_top["attacker_error"].median()),
    }


def _soup_projection(run, k: int, label: str, red, eps: float) -> pd.DataFrame:
    """PCA trajectories (2 components, not whitened) of every particle of soup `k` of a recorded run."""
    states, uids = run.states[:, k], run.uids[:, k]  # (T, N, W), (T, N)
    T, N, W = states.shape
    pts = states.reshape(-1, W).to(torch.float64).numpy()
    ok = np.isfinite(pts).all(axis=1)
    pca = PCA(n_components=2, svd_solver="full").fit(pts[ok])
    proj = np.full((pts.shape[0], 2), np.nan)
    proj[ok] = pca.transform(pts[ok])
    proj = proj.reshape(T, N, 2)
    last = dict(zip(uids[-1].tolist(), _kinds(run.final.weights[k], red, eps), strict=True))
    recs = [
        (label, int(uids[t, i]), t, proj[t, i, 0], proj[t, i, 1])
        for i in range(N)
        for t in range(T)
        if np.isfinite(proj[t, i]).all()
    ]
    frame = pd.DataFrame(recs, columns=["panel", "uid", "t", "pc1", "pc2"])
    frame["kind"] = [last.get(u, "replaced") for u in frame["uid"]]
    frame["pc1_var"], frame["pc2_var"] = pca.explained_variance_ratio_
    zero = pca.transform(np.zeros((1, W)))[0]
    frame["zero_pc1"], frame["zero_pc2"] = zero[0], zero[1]
    return frame


# ------------------------------------------------------------------------------------------------
# Fig 13
# ------------------------------------------------------------------------------------------------
def run_soup_counts(cfg: SoupsConfig, generator: torch.Generator) -> pd.DataFrame:
    """Fig 13: for every reduction, `count_replicates` × `count_soups` soups of `count_particles` nets per A
    of `count_trains`, `count_epochs` epochs, α = attack_rate, no replacement; all soups of a reduction in
    one batch, beside as many control soups with the same particles and no attacks (beyond the paper).
    One row per soup: reduction, attacking (False for a control), trains (A), replicate, soup, counts of
    every kind at ε = eps, attacks."""
    frames = []
    n_per_a = cfg.count_soups * cfg.count_replicates
    for name in cfg.count_reductions:
        red = make_reduction(name)
        A = [a for a in cfg.count_trains for _ in range(n_per_a)]
        S = len(A)
        w = random_soups(red, S, cfg.count_particles, cfg.init, generator=generator)
        sc = SoupConfig(
            attack_rate=(cfg.attack_rate,) * S + (0.0,) * S,
            train_steps=tuple(A) * 2,
            train=keras(cfg),
            eps=cfg.eps,
            init=cfg.init,
        )
        run = evolve(torch.cat([w, w]), red, sc, cfg.count_epochs, generator, record=False)
        codes = classify(run.final.weights.reshape(-1, red.arch.n_weights), red, cfg.eps)
        codes = codes.reshape(2 * S, cfg.count_particles)
        frame = pd.DataFrame(
            {
                "reduction": name,
                "attacking": np.repeat([True, False], S),
                "trains": A * 2,
                "replicate": np.tile(
                    np.repeat(np.arange(cfg.count_replicates), cfg.count_soups), 2 * len(cfg.count_trains)
                ),
                "soup": np.tile(np.arange(cfg.count_soups), 2 * S // cfg.count_soups),
            }
        )
        for kind in FixpointKind:
            frame[KIND_KEYS[kind.label]] = (codes == int(kind)).sum(dim=1).numpy()
        frame["attacks"] = run.attacks.groupby("soup").size().reindex(range(2 * S), fill_value=0).to_numpy()
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def count_means(counts: pd.DataFrame, replicate: int | None = None, attacking: bool = True) -> pd.DataFrame:
    """Mean count per soup of zero and non-zero fixpoints (and their standard errors) per reduction and A,
    for the soups with attacks (or, `attacking=False`, their controls)."""
    sub = counts[counts["attacking"] == attacking]
    sub = sub if replicate is None else sub[sub["replicate"] == replicate]
    g = sub.groupby(["reduction", "trains"], sort=False)
    out = g.agg(
        soups=("zero", "size"),
        zero=("zero", "mean"),
        nonzero=("nonzero", "mean"),
        zero_se=("zero", "sem"),
        nonzero_se=("nonzero", "sem"),
        div=("div", "mean"),
        second=("second", "sum"),
    ).reset_index()
    return out.fillna({"zero_se": 0.0, "nonzero_se": 0.0})


def logged_counts() -> pd.DataFrame:
    """The authors' logged Fig 13 means: reduction, trains, zero, nonzero."""
    rows = []
    for red in ("weightwise", "aggregating"):
        z, nz = logged(f"fig13_{red}_zero").values, logged(f"fig13_{red}_nonzero").values
        rows += [
            {"reduction": red, "trains": int(a), "zero": float(z[a]), "nonzero": float(nz[a])} for a in z
        ]
    return pd.DataFrame(rows)


def compare_with_logged(counts: pd.DataFrame) -> pd.DataFrame:
    """Per reduction and A: our mean zero / non-zero count per soup (replicate 0, the paper's 10 soups)
    beside the authors' log."""
    ours = count_means(counts, 0).set_index(["reduction", "trains"])
    log = logged_counts().set_index(["reduction", "trains"])
    rows = []
    for key in ours.index:
        has = key in log.index
        rows.append(
            {
                "reduction": key[0],
                "A": key[1],
                "non-zero (ours)": float(ours.loc[key, "nonzero"]),
                "non-zero (authors)": float(log.loc[key, "nonzero"]) if has else float("nan"),
                "zero (ours)": float(ours.loc[key, "zero"]),
                "zero (authors)": float(log.loc[key, "zero"]) if has else float("nan"),
            }
        )
    return pd.DataFrame(rows).set_index(["reduction", "A"])


# ------------------------------------------------------------------------------------------------
# Fig 14
# ------------------------------------------------------------------------------------------------
def run_clone_soups(
    cfg: SoupsConfig, generator: torch.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fig 14: for every ζ, `clone_soups` soups, each from 3 fresh non-zero fixpoint parents
    (`clone_parent_steps` full-batch steps) and 5 noisy clones of each. Two settings, each beside control
    soups with the same particles and no attacks:

    committed   (journal_soup_basins.py) only the 15 children form the soup; one epoch: with probability
                `clone_attack_rate` one attack between two distinct children, then `clone_steps` steps of
                self-training; the parents train as long, apart from the soup;
    interacting (ours) parents and children form one soup of 18; `interacting_epochs` epochs of the Keras
                code's rule (each particle attacks with probability `clone_attack_rate`, then trains
                `interacting_steps` steps), i.e. as much training with about 100x as many attacks.

    Returns (children, soups, attacks, trajectories):
      children: setting, zeta, soup, child, family, pre (MAE to its parent at cloning), post (after, to its
        own parent at the end), nearest_family (the parent it is closest to at the end), influence (MAE
        between the child in the soup and in its control), kind;
      soups: setting, zeta, soup, attacks, cross-family attacks, largest displacement by an attack, kinds;
      attacks: every attack with setting, zeta and whether it crossed families;
      trajectories: soup 0 at the first ζ of both settings — setting, net, family, role, t (training step),
        pc1, pc2 (one whitened PCA per setting, as the journal's figure, and one over family 0 alone).
    """
    red, tc = journal_reduction(), journal(cfg)
    P, C, Z, S = cfg.clone_parents, cfg.clone_children, len(cfg.clone_zetas), cfg.clone_soups
    groups = Z * S
    par = train_parents(
        red,
        groups,
        P,
        cfg.clone_candidates,
        cfg.clone_parent_steps,
        tc,
        init="pytorch",
        eps=cfg.clone_eps,
        generator=generator,
    ).weights
    zeta = torch.tensor(cfg.clone_zetas, dtype=torch.float64).repeat_interleave(S * P)
    cl = noisy_clones(par, zeta, C, generator=generator)
    W = par.shape[1]
    parents = par.reshape(groups, P, W)
    kids = cl.weights.reshape(groups, P * C, W)
    family = torch.arange(P).repeat_interleave(C)  # (15,)
    zeta_of = np.repeat(np.asarray(cfg.clone_zetas), S)
    soup_of = np.tile(np.arange(S), Z)

    # committed: the children alone, 1 epoch, at most one attack; parents trained apart.
    sc = SoupConfig(
        attack_rate=(cfg.clone_attack_rate,) * groups + (0.0,) * groups,
        attack_rule="one_pair",
        train_steps=cfg.clone_steps,
        train=tc,
        eps=cfg.clone_eps,
    )
    committed = evolve(torch.cat([kids, kids]), red, sc, 1, generator, record_every=cfg.clone_record_every)
    par_tr, par_hist = _train_with_history(
        parents.reshape(-1, W), red, cfg.clone_steps, tc, generator, cfg.clone_record_every
    )
    par_end_c = par_tr.reshape(groups, P, W)
    # interacting: parents + children in one soup, many epochs of the Keras rule.
    both = torch.cat([parents, kids], dim=1)  # slots 0..P-1 parents, then children
    si = SoupConfig(
        attack_rate=(cfg.clone_attack_rate,) * groups + (0.0,) * groups,
        train_steps=cfg.interacting_steps,
        train=tc,
        eps=cfg.clone_eps,
    )
    inter = evolve(torch.cat([both, both]), red, si, cfg.interacting_epochs, generator)

    child_rows, soup_rows, attack_frames = [], [], []
    slot_family_c = family.numpy()
    slot_family_i = np.concatenate([np.arange(P), family.numpy()])
    for setting, run, fam_of_slot, child_slots in (
        (COMMITTED, committed, slot_family_c, np.arange(P * C)),
        (INTERACTING, inter, slot_family_i, P + np.arange(P * C)),
    ):
        fin = run.final.weights
        soup_w, ctrl_w = fin[:groups], fin[groups:]
        if setting == COMMITTED:
            par_end = par_end_c
        else:
            par_end = soup_w[:, :P]
        kids_end = soup_w[:, child_slots]
        ctrl_end = ctrl_w[:, child_slots]
        kinds = np.asarray(_kinds(soup_w, red, cfg.clone_eps)).reshape(groups, -1)
        a = run.attacks.copy()
        a = a[a["soup"] < groups]
        a["cross"] = fam_of_slot[a["attacker"].to_numpy()] != fam_of_slot[a["victim"].to_numpy()]
        a["setting"], a["zeta"] = setting, zeta_of[a["soup"].to_numpy()]
        attack_frames.append(a)
        for g in range(groups):
            d = torch.cdist(kids_end[g].to(torch.float64), par_end[g].to(torch.float64))
            own = par_end[g][family]
            pp = torch.cdist(parents[g].to(torch.float64), parents[g].to(torch.float64), p=1) / W
            ag = a[a["soup"] == g]
            soup_rows.append(
                {
                    "setting": setting,
                    "zeta": zeta_of[g],
                    "soup": soup_of[g],
                    "attacks": len(ag),
                    "cross_attacks": int(ag["cross"].sum()),
                    "max_displacement": float(ag["displacement"].max()) if len(ag) else 0.0,
                    "parent_distance_min": float(pp[~torch.eye(P, dtype=torch.bool)].min()),
                    **{KIND_KEYS[k]: int((kinds[g] == k).sum()) for k in KIND_LABELS},
                }
            )
            child_rows.append(
                pd.DataFrame(
                    {
                        "setting": setting,
                        "zeta": zeta_of[g],
                        "soup": soup_of[g],
                        "child": np.arange(P * C),
                        "family": family.numpy(),
                        "pre": mae(kids[g], parents[g][family]).numpy(),
                        "post": mae(kids_end[g], own).numpy(),
                        "nearest_family": d.argmin(dim=1).numpy(),
                        "influence": mae(kids_end[g], ctrl_end[g]).numpy(),
                        "kind": kinds[g][child_slots],
                    }
                )
            )
    children = pd.concat(child_rows, ignore_index=True)
    soups = pd.DataFrame(soup_rows)
    attacks = pd.concat(attack_frames, ignore_index=True)
    # Trajectories of soup 0 at the first ζ.
    traj = []
    k0 = 0
    c_states = committed.states[:, k0]  # (T, 15, W)
    c_times = committed.times.numpy()
    p_hist = par_hist[:, k0 * P : (k0 + 1) * P]  # (T, 3, W), same times
    start_parent = max(cfg.clone_steps - 150, 0)  # the journal drew parents from step 1,350 of 1,500
    i_states = inter.states[:, k0]
    i_times = inter.times.numpy() * cfg.interacting_steps
    fam = family.numpy()
    for zoom in (False, True):
        traj.append(_project(c_states, p_hist, c_times, fam, COMMITTED, start_parent, zoom))
        traj.append(_project(i_states[:, P:], i_states[:, :P], i_times, fam, INTERACTING, 0, zoom))
    return children, soups, attacks, pd.concat(traj, ignore_index=True)


def _train_with_history(w, red, steps, config, generator, every):
    from selfrep.training import self_train_trajectory

    state, hist = self_train_trajectory(w, red, steps, config, generator, every=every)
    return state.weights, hist


def _project(
    kids: torch.Tensor,
    parents: torch.Tensor,
    times: np.ndarray,
    family: np.ndarray,
    setting: str,
    parent_from: int,
    zoom: bool = False,
) -> pd.DataFrame:
    """One whitened PCA over the children's states and the parents' states from `parent_from` on; with
    `zoom`, over family 0 alone (its parent and children), to see the children move."""
    if zoom:
        kids, parents, family = kids[:, family == 0], parents[:, :1], family[family == 0]
        setting = f"{setting}: family 0 only"
    T, K, W = kids.shape
    P = parents.shape[1]
    keep_p = times >= parent_from
    pts = np.concatenate(
        [
            kids.reshape(-1, W).to(torch.float64).numpy(),
            parents[keep_p].reshape(-1, W).to(torch.float64).numpy(),
        ]
    )
    pca = PCA(n_components=2, whiten=True, svd_solver="full").fit(pts)
    kp = pca.transform(kids.reshape(-1, W).to(torch.float64).numpy()).reshape(T, K, 2)
    pp = pca.transform(parents[keep_p].reshape(-1, W).to(torch.float64).numpy()).reshape(
        int(keep_p.sum()), P, 2
    )
    rows = []
    for k in range(K):
        rows += [
            (setting, k, int(family[k]), "child", int(times[t]), kp[t, k, 0], kp[t, k, 1]) for t in range(T)
        ]
    tp = times[keep_p]
    for p in range(P):
        rows += [(setting, K + p, p, "parent", int(tp[t]), pp[t, p, 0], pp[t, p, 1]) for t in range(len(tp))]
    return pd.DataFrame(rows, columns=["setting", "net", "family", "role", "t", "pc1", "pc2"])


# ------------------------------------------------------------------------------------------------
# Values and claims
# ------------------------------------------------------------------------------------------------
def values(
    cfg: SoupsConfig,
    traj12: pd.DataFrame,
    soups12: pd.DataFrame,
    attacks12: pd.DataFrame,
    counts: pd.DataFrame,
    children14: pd.DataFrame,
    soups14: pd.DataFrame,
    attacks14: pd.DataFrame,
) -> dict[str, float | int | str]:
    """The numbers chapter 5 glues (and its claims read), as plain Python scalars."""
    v: dict[str, float | int | str] = {}
    # Fig 12
    soup = soups12[soups12["setting"] == "soup"]
    ctrl = soups12[soups12["setting"] != "soup"]
    s0 = soup[soup["soup"] == 0].iloc[0]
    for key in (
        "nonzero",
        "zero",
        "other",
        "div",
        "second",
        "replacements",
        "attacks",
        "cluster_size",
        "cluster_nonzero",
    ):
        v[f"fig12_s0_{key}"] = int(s0[key])
    v["fig12_s0_share_end"] = float(s0["share_end"])
    v["fig12_s0_cluster_to_zero"] = float(s0["cluster_to_zero"])
    v["fig12_s0_cluster_to_start"] = float(s0["cluster_to_start_centroid"])
    v["fig12_radius"] = float(soup["radius"].mean())
    v["fig12_initial_distance"] = float(soup["initial_median_distance"].mean())
    v["fig12_soups"] = len(soup)
    clustered = soup[soup["share_end"] >= 0.5]
    v["fig12_clustered"] = len(clustered)
    v["fig12_clustered_frac"] = len(clustered) / max(len(soup), 1)
    v["fig12_ctrl_clustered"] = int((ctrl["share_end"] >= 0.5).sum())
    # sensitivity to the cluster radius (half and twice cluster_radius)
    for key, col in (("half", "share_end_half_radius"), ("double", "share_end_double_radius")):
        v[f"fig12_clustered_{key}_radius"] = int((soup[col] >= 0.5).sum())
        v[f"fig12_ctrl_clustered_{key}_radius"] = int((ctrl[col] >= 0.5).sum())
    v["fig12_radius_half"] = cfg.cluster_radius / 2
    v["fig12_radius_double"] = cfg.cluster_radius * 2
    v["fig12_clustered_replaced"] = int((clustered["replacements"] > 0).sum())
    v["fig12_clustered_replacements"] = int(clustered["replacements"].sum())
    v["fig12_share_end_median"] = float(soup["share_end"].median())
    v["fig12_ctrl_share_end_median"] = float(ctrl["share_end"].median())
    v["fig12_share_start_max"] = float(soups12["share_start"].max())
    top = soup.iloc[int(soup["share_end"].to_numpy().argmax())]
    v["fig12_top_soup"] = int(top["soup"])
    v["fig12_top_share"] = float(top["share_end"])
    v["fig12_top_nonzero"] = int(top["nonzero"])
    v["fig12_top_other"] = int(top["other"])
    v["fig12_top_cluster_nonzero"] = int(top["cluster_nonzero"])
    v["fig12_top_cluster_size"] = int(top["cluster_size"])
    v["fig12_all_nonzero_soups"] = int((soup["nonzero"] == cfg.particles).sum())
    v["fig12_mostly_other_soups"] = int((soup["other"] > cfg.particles / 2).sum())
    n_all = len(soup) * cfg.particles
    v["fig12_nonzero_frac"] = float(soup["nonzero"].sum() / n_all)
    v["fig12_ctrl_nonzero_frac"] = float(ctrl["nonzero"].sum() / n_all)
    v["fig12_other_frac"] = float(soup["other"].sum() / n_all)
    v["fig12_replacements"] = int(soup["replacements"].sum())
    v["fig12_ctrl_replacements"] = int(ctrl["replacements"].sum())
    v["fig12_replaced_soups"] = int((soup["replacements"] > 0).sum())
    if len(clustered):
        v["fig12_cluster_nonzero_frac"] = float(
            clustered["cluster_nonzero"].sum() / clustered["cluster_size"].sum()
        )
        v["fig12_cluster_to_zero_min"] = float(clustered["cluster_to_zero"].min())
        v["fig12_cluster_to_start_min"] = float(clustered["cluster_to_start_centroid"].min())
        v["fig12_cluster_size_median"] = float(clustered["cluster_size"].median())
        v["fig12_cluster_top_attacker_share"] = float(clustered["cluster_top_attacker_share"].median())
        v["fig12_cluster_top_attacker_error"] = float(clustered["cluster_top_attacker_error"].median())
    else:
        v["fig12_cluster_nonzero_frac"] = 0.0
        v["fig12_cluster_to_zero_min"] = 0.0
        v["fig12_cluster_to_start_min"] = 0.0
        v["fig12_cluster_size_median"] = 0.0
        v["fig12_cluster_top_attacker_share"] = 0.0
        v["fig12_cluster_top_attacker_error"] = 0.0
    rest = soup[soup["share_end"] < 0.5]
    v["fig12_other_top_attacker_error"] = (
        float(rest["cluster_top_attacker_error"].median()) if len(rest) else 0.0
    )
    a = attacks12[attacks12["soup"] < cfg.soups]
    near = a[a["attacker_error"] <= NEAR_ERROR]
    far = a[a["attacker_error"] > FAR_ERROR]
    v["fig12_attacks"] = len(a)
    v["fig12_disp_near_median"] = float(near["displacement"].median()) if len(near) else 0.0
    v["fig12_disp_far_median"] = float(far["displacement"].median()) if len(far) else 0.0
    v["fig12_attacks_near_frac"] = len(near) / max(len(a), 1)
    late = a[a["epoch"] > cfg.epochs // 2]
    v["fig12_late_near_frac"] = float((late["attacker_error"] <= NEAR_ERROR).mean()) if len(late) else 0.0
    log12 = logged("fig12_soup")
    v["log_fig12_nonzero"] = int(log12.values[NONZERO])
    v["log_fig12_other"] = int(log12.values[KIND_LABELS[FixpointKind.OTHER]])
    # Fig 13
    means = count_means(counts).set_index(["reduction", "trains"])
    first = count_means(counts, 0).set_index(["reduction", "trains"])
    for red in cfg.count_reductions:
        tag = red[:3]
        sub = means.loc[red]
        for a_ in cfg.count_trains:
            v[f"fig13_{tag}_nonzero_{a_}"] = float(sub.loc[a_, "nonzero"])
            v[f"fig13_{tag}_zero_{a_}"] = float(sub.loc[a_, "zero"])
        v[f"fig13_{tag}_nonzero_max"] = float(sub["nonzero"].max())
        v[f"fig13_{tag}_nonzero_top"] = float(sub.loc[max(cfg.count_trains), "nonzero"])
        v[f"fig13_{tag}_nonzero_bottom"] = float(sub.loc[min(cfg.count_trains), "nonzero"])
        v[f"fig13_{tag}_zero_mean"] = float(sub["zero"].mean())
        v[f"fig13_{tag}_zero_frac"] = float(sub["zero"].mean() / cfg.count_particles)
        v[f"fig13_{tag}_trend"] = spearman(np.asarray(sub.index, dtype=float), sub["nonzero"].to_numpy())
        v[f"fig13_{tag}_r0_nonzero_top"] = float(first.loc[red].loc[max(cfg.count_trains), "nonzero"])
        r0 = first.loc[red]
        v[f"fig13_{tag}_r0_trend"] = spearman(np.asarray(r0.index, dtype=float), r0["nonzero"].to_numpy())
        ctrl = count_means(counts, attacking=False).set_index(["reduction", "trains"]).loc[red]
        for a_ in cfg.count_trains:
            v[f"fig13_{tag}_ctrl_nonzero_{a_}"] = float(ctrl.loc[a_, "nonzero"])
            v[f"fig13_{tag}_ctrl_zero_{a_}"] = float(ctrl.loc[a_, "zero"])
        v[f"fig13_{tag}_attack_cost_max"] = float((ctrl["nonzero"] - sub["nonzero"]).max())
        a_cost = (ctrl["nonzero"] - sub["nonzero"]).idxmax()
        v[f"fig13_{tag}_attack_cost_at"] = int(a_cost)
        v[f"fig13_{tag}_ctrl_at_cost"] = float(ctrl.loc[a_cost, "nonzero"])
        v[f"fig13_{tag}_soup_at_cost"] = float(sub.loc[a_cost, "nonzero"])
        v[f"fig13_{tag}_ctrl_zero_mean"] = float(ctrl["zero"].mean())
        kinds = counts[(counts["reduction"] == red) & counts["attacking"]]
        v[f"fig13_{tag}_other_frac"] = float(kinds["other"].sum() / (len(kinds) * cfg.count_particles))
        v[f"fig13_{tag}_attacks_per_soup"] = float(kinds["attacks"].mean())
    lg = logged_counts().set_index(["reduction", "trains"])
    for red in ("weightwise", "aggregating"):
        tag = red[:3]
        v[f"log_fig13_{tag}_nonzero_top"] = float(lg.loc[(red, 100), "nonzero"])
        v[f"log_fig13_{tag}_zero_mean"] = float(lg.loc[red]["zero"].mean())
        v[f"log_fig13_{tag}_zero_frac"] = float(lg.loc[red]["zero"].mean() / 10)
    v["fig13_soups_per_cell"] = cfg.count_soups * cfg.count_replicates
    # The figure and the prose pool every repetition; Table 1 (compare_with_logged) shows repetition 0.
    reps, n_soups = cfg.count_replicates, cfg.count_soups
    if reps == 1:
        v["fig13_pooled_text"] = (
            f"means over the {n_soups} soups per A of our single repetition, the same soups as in the "
            "table below"
        )
        v["fig13_table_text"] = (
            f"the paper's {n_soups} soups per A (our single repetition, the same soups as in the figure "
            "and the text)"
        )
    else:
        v["fig13_pooled_text"] = (
            f"means over all {reps} repetitions, {reps * n_soups} soups per A. The table below shows "
            f"repetition 0 alone, the paper's {n_soups} soups per A, so its numbers differ a little"
        )
        if "fig13_wei_r0_trend" in v:
            v["fig13_pooled_text"] += (
                f": there weightwise soups end with {v['fig13_wei_r0_nonzero_top']:.1f} non-zero "
                f"fixpoints at A = {max(cfg.count_trains)} (Spearman correlation with A "
                f"{v['fig13_wei_r0_trend']:.2f})"
            )
        v["fig13_table_text"] = (
            f"the paper's {n_soups} soups per A: repetition 0 of our {reps}, not the mean over all "
            f"{reps} repetitions ({reps * n_soups} soups per A) that the figure and the text report"
        )
    v["log_fig13_soup_size"] = int(logged("fig13_weightwise_nonzero").n)
    # Fig 14
    for setting in (COMMITTED, INTERACTING):
        tag = "c14" if setting == COMMITTED else "i14"
        ch = children14[children14["setting"] == setting]
        so = soups14[soups14["setting"] == setting]
        at = attacks14[attacks14["setting"] == setting]
        v[f"{tag}_soups"] = len(so)
        v[f"{tag}_attacks_per_soup"] = float(so["attacks"].mean())
        v[f"{tag}_soups_without_attack"] = int((so["attacks"] == 0).sum())
        v[f"{tag}_cross_attacks"] = int(so["cross_attacks"].sum())
        v[f"{tag}_attacks"] = int(so["attacks"].sum())
        v[f"{tag}_disp_max"] = float(at["displacement"].max()) if len(at) else 0.0
        v[f"{tag}_disp_median"] = float(at["displacement"].median()) if len(at) else 0.0
        v[f"{tag}_nearest_own"] = float((ch["nearest_family"] == ch["family"]).mean())
        v[f"{tag}_influence_max"] = float(ch["influence"].max())
        v[f"{tag}_influence_rel_max"] = float((ch["influence"] / ch["pre"]).max())
        v[f"{tag}_influenced_frac"] = float((ch["influence"] > 0.1 * ch["pre"]).mean())
        v[f"{tag}_nonzero_frac"] = float((ch["kind"] == NONZERO).mean())
        v[f"{tag}_parent_distance_min"] = float(so["parent_distance_min"].min())
        v[f"{tag}_influence_vs_parents"] = float(ch["influence"].max() / so["parent_distance_min"].min())
        v[f"{tag}_zero"] = int((ch["kind"] == ZERO).sum())
        v[f"{tag}_children"] = len(ch)
        for z in cfg.clone_zetas:
            e = str(round(-np.log10(z)))
            cz = ch[ch["zeta"] == z]
            v[f"{tag}_influence_rel_max_{e}"] = float((cz["influence"] / cz["pre"]).max())
            v[f"{tag}_pre_median_{e}"] = float(cz["pre"].median())
    v["c14_expected_attacks"] = cfg.clone_attack_rate
    v["c14_soups_per_zeta"] = cfg.clone_soups
    # how many more attacks the interacting setting makes than the committed one (measured, and expected)
    c_rate = max(v["c14_attacks_per_soup"], 1.0 / max(v["c14_soups"], 1))  # at least one attack in all soups
    v["attack_ratio_measured"] = v["i14_attacks_per_soup"] / c_rate
    v["attack_ratio_measured_is_bound"] = int(v["c14_attacks_per_soup"] == 0)
    n14 = cfg.clone_parents * (1 + cfg.clone_children)
    expected_interacting = n14 * cfg.clone_attack_rate * cfg.interacting_epochs
    v["attack_ratio_expected"] = expected_interacting / cfg.clone_attack_rate
    v["fig12_near_error"] = NEAR_ERROR
    v["fig12_far_error"] = FAR_ERROR
    v["fig12_near_error_text"] = _sci(NEAR_ERROR)
    v["fig12_far_error_text"] = _sci(FAR_ERROR)
    v["eps_text"] = _sci(cfg.eps)
    v["clone_zeta_first_exp"] = int(round(-np.log10(cfg.clone_zetas[0])))
    v["clone_zeta_first_text"] = _sci(cfg.clone_zetas[0])
    # Claim 14 census over every classified network of this chapter
    census = [
        soups12[list(KIND_KEYS.values())].to_numpy().sum(),
        counts[list(KIND_KEYS.values())].to_numpy().sum(),
        soups14[list(KIND_KEYS.values())].to_numpy().sum(),
    ]
    second = int(soups12["second"].sum() + counts["second"].sum() + soups14["second"].sum())
    v["census_nets"] = int(sum(census))
    v["census_second_order"] = second
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            v[f"cfg_{f.name}"] = value
    v["cfg_count_trains_max"] = max(cfg.count_trains)
    v["cfg_clone_total_steps"] = cfg.interacting_epochs * cfg.interacting_steps
    v["cfg_particles_14"] = cfg.clone_parents * (1 + cfg.clone_children)
    return v


def _sci(x: float) -> str:
    """1e-4, not 1e-04 (for powers of ten); otherwise the shortest general form."""
    e = math.log10(x)
    return f"1e{round(e)}" if abs(e - round(e)) < 1e-9 else f"{x:g}"


def _decide_p11a(v):
    frac, ctrl = v["fig12_clustered_frac"], v["fig12_ctrl_clustered"]
    text = (
        f"{v['fig12_clustered']} of {v['fig12_soups']} soups end with ≥ half their particles in one "
        f"cluster (controls without attacks: {ctrl}); cluster centre ≥ {v['fig12_cluster_to_zero_min']:.2f} "
        f"from 0 and ≥ {v['fig12_cluster_to_start_min']:.2f} from the initial centroid (radius "
        f"{v['fig12_radius']:.2f})"
    )
    away = (
        v["fig12_cluster_to_zero_min"] > v["fig12_radius"]
        and v["fig12_cluster_to_start_min"] > v["fig12_radius"]
    )
    if frac >= 0.5 and ctrl == 0 and away:
        return text, "holds"
    if v["fig12_clustered"] >= 1 and ctrl == 0 and away:
        return text, "partly"
    return text, "differs"


def _decide_p11b(v):
    share = v["fig12_cluster_nonzero_frac"]
    text = (
        f"{share:.0%} of the particles in the {v['fig12_clustered']} clusters are non-zero fixpoints "
        f"(all particles of all soups: {v['fig12_nonzero_frac']:.0%})"
    )
    return text, "holds" if v["fig12_clustered"] >= 1 and share >= 0.5 else "differs"


def _decide_p12(v):
    trend, top, bottom = v["fig13_wei_trend"], v["fig13_wei_nonzero_top"], v["fig13_wei_nonzero_bottom"]
    agg_nz, agg_zero = v["fig13_agg_nonzero_max"], v["fig13_agg_zero_frac"]
    text = (
        f"ww non-zero fixpoints per soup rise from {bottom:.1f} to {top:.1f} (Spearman {trend:.2f}); agg: "
        f"{agg_zero:.0%} of particles zero fixpoints, max {agg_nz:.1f} non-zero per soup "
        f"(log: {v['log_fig13_agg_zero_frac']:.0%} zero)"
    )
    ww_ok = trend >= 0.8 and top >= 0.7 * v["cfg_count_particles"]
    if ww_ok and agg_nz == 0 and agg_zero >= 0.5:
        return text, "holds"
    if ww_ok and agg_nz == 0:
        return text, "partly"
    return text, "differs"


def _decide_p13(v):
    own_c, own_i = v["c14_nearest_own"], v["i14_nearest_own"]
    text = (
        f"committed setting: {v['c14_attacks_per_soup']:.2f} attacks per soup, children nearest their own "
        f"parent {own_c:.0%}; interacting setting: {v['i14_attacks_per_soup']:.0f} attacks per soup "
        f"({v['i14_cross_attacks']:,} across families), nearest own parent {own_i:.0%}, largest change "
        f"against the control {v['i14_influence_rel_max']:.2f} of the child's cloning distance"
    )
    if own_c == 1.0 and own_i == 1.0 and v["i14_attacks_per_soup"] >= 10:
        return text, "holds"
    if own_c >= 0.9 and own_i >= 0.9:
        return text, "partly"
    return text, "differs"


CLAIMS: list[Claim] = [
    Claim(
        "P11a",
        CHAPTER,
        "In a soup of self-training, attacking weightwise nets, the nets form a main cluster away from the "
        "initial centre of mass and from 0 (paper Fig 12).",
        "paper Fig 12 (one soup): a cluster 'neither at the center of mass … nor anywhere near 0'",
        (
            "fig12_clustered_frac",
            "fig12_clustered",
            "fig12_soups",
            "fig12_ctrl_clustered",
            "fig12_cluster_to_zero_min",
            "fig12_cluster_to_start_min",
            "fig12_radius",
        ),
        "'a main cluster' read as ≥ half of a soup's particles within a quarter of the initial median "
        "distance of one particle, its centre farther than that radius from 0 and from the initial centroid; "
        "the paper shows one soup, so: holds if ≥ half of our soups form one and no control soup does; "
        "partly if at least one soup (and no control) does; else differs",
        _decide_p11a,
        {"ci": "partly", "paper": "partly"},
    ),
    Claim(
        "P11b",
        CHAPTER,
        "That cluster is made of fixpoints: emergent replication (paper Fig 12).",
        "'a cluster of fixpoints'; log: 13 non-zero fixpoints, 7 other of 20",
        ("fig12_cluster_nonzero_frac", "fig12_clustered", "fig12_nonzero_frac"),
        "'a cluster of fixpoints' read as ≥ half of the particles inside the clusters of P11a non-zero "
        "fixpoints; holds if so, else differs (also when no soup forms a cluster)",
        _decide_p11b,
        {"ci": "differs", "paper": "differs"},
    ),
    Claim(
        "P12",
        CHAPTER,
        "More self-training per soup epoch (A) gives more non-zero weightwise fixpoints; aggregating nets "
        "still converge to 0 to a strong degree (paper Fig 13).",
        "paper Fig 13 log: ww 0 → 8.8 non-zero per soup of 10 (A = 0 → 100); agg 0.2–0.8 zero, 0 non-zero",
        (
            "fig13_wei_trend",
            "fig13_wei_nonzero_top",
            "fig13_wei_nonzero_bottom",
            "fig13_agg_nonzero_max",
            "fig13_agg_zero_frac",
            "log_fig13_agg_zero_frac",
            "cfg_count_particles",
        ),
        "holds if the ww non-zero count rises with A (Spearman ≥ 0.8) to ≥ 70 % of the soup at the "
        "largest A, agg nets are never non-zero fixpoints and ≥ 50 % of them are zero fixpoints; partly if "
        "all but the last hold",
        _decide_p12,
        {"ci": "partly", "paper": "partly"},
    ),
    Claim(
        "P13",
        CHAPTER,
        "A soup of noisy clones keeps the children clustered around their own parent, with no real influence "
        "between the clusters (paper Fig 14).",
        "paper Fig 14 (qualitative): 'all children tend to stick together … no real influence'",
        (
            "c14_nearest_own",
            "i14_nearest_own",
            "c14_attacks_per_soup",
            "i14_attacks_per_soup",
            "i14_cross_attacks",
            "i14_influence_rel_max",
        ),
        "holds if every child ends nearest its own parent in both settings and the interacting setting "
        "makes ≥ 10 attacks per soup; partly if ≥ 90 % do",
        _decide_p13,
        {"ci": "holds", "paper": "holds"},
    ),
    Claim(
        "P14",
        CHAPTER,
        "No second-order fixpoint (𝒩 ◁ (𝒩 ◁ 𝒩) = 𝒩 without 𝒩 ◁ 𝒩 = 𝒩) is ever found in the soups.",
        "'we did not observe higher-order fixpoints'",
        ("census_nets", "census_second_order"),
        "holds if none of the networks classified at the end of any soup of this chapter is a second-order "
        "fixpoint (chapters 3 and 4 check their own experiments: P14.3, P14.4)",
        decide_no_second_order,
        "holds",
    ),
]


def interaction_display(soups14: pd.DataFrame, children14: pd.DataFrame):
    """`interaction_table` styled for the page: display.table, ζ labels kept on one line, spaced columns."""
    from selfrep.plotting.tables import table

    sty = table(interaction_table(soups14, children14))
    return sty.set_table_styles(
        [
            {"selector": "th, td", "props": [("padding", "2px 6px")]},
            {"selector": "th.row_heading", "props": [("white-space", "nowrap")]},
        ],
        overwrite=False,
    )


def interaction_table(soups14: pd.DataFrame, children14: pd.DataFrame) -> pd.DataFrame:
    """For display: Fig 14's two settings per ζ — attacks per soup with the attacks across families (all
    soups) in brackets, the largest change one attack made (MAE), the closest two parents (MAE), the
    median distance of a child to its parent after the noise, the largest difference between a child and
    its twin in the control soup, and the share of children ending nearest their own parent. Numbers as
    short strings."""
    g = ["setting", "zeta"]
    so = soups14.groupby(g, sort=False)
    ch = children14.assign(own=children14["nearest_family"] == children14["family"]).groupby(g, sort=False)
    out = pd.DataFrame(
        {
            "attacks / soup (all soups: across families)": [
                f"{m:.2f} ({c})" for m, c in zip(so["attacks"].mean(), so["cross_attacks"].sum(), strict=True)
            ],
            "max change by an attack": so["max_displacement"].max().map(lambda x: f"{x:.1e}"),
            "closest parents": so["parent_distance_min"].min().map(lambda x: f"{x:.2f}"),
            "child to parent after noise": ch["pre"].median().map(lambda x: f"{x:.1e}"),
            "max child to control": ch["influence"].max().map(lambda x: f"{x:.1e}"),
            "nearest own parent": ch["own"].mean().map(lambda x: f"{x:.0%}"),
        }
    )
    out.index = out.index.set_levels(
        [out.index.levels[0], [f"1e{round(np.log10(z))}" for z in out.index.levels[1]]]
    )
    out.index.names = ["setting", "ζ"]
    return out
