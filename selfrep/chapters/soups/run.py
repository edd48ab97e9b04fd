"""Chapter 5: the experiments (Figs 12, 13, 14), each a pure function of (config, generator) returning
tidy DataFrames."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA

from selfrep.analysis.soup import (
    SoupConfig,
    attacker_gain,
    cluster_census,
    evolve,
    lineages,
    random_soups,
)
from selfrep.analysis.weightspace import mae, noisy_clones, train_parents
from selfrep.chapters.common import KIND_KEYS
from selfrep.chapters.soups.config import (
    COMMITTED,
    INTERACTING,
    NONZERO,
    STAMP_GAIN,
    SoupsConfig,
    journal,
    journal_reduction,
    keras,
)
from selfrep.fixpoints import KIND_LABELS, FixpointKind, classify
from selfrep.reductions import make_reduction
from selfrep.training import learn_steps, self_train


def _kinds(w: torch.Tensor, red, eps: float) -> list[str]:
    return [KIND_LABELS[int(k)] for k in classify(w.reshape(-1, w.shape[-1]), red, eps)]


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
def _median_distance(w: torch.Tensor) -> float:
    """Median Euclidean distance between the finite particles of an (N, W) soup (NaN with fewer than 2)."""
    w = w[torch.isfinite(w).all(dim=1)].to(torch.float64)
    if w.shape[0] < 2:
        return float("nan")
    d = torch.cdist(w, w)
    return float(d[~torch.eye(w.shape[0], dtype=torch.bool)].median())


def run_soup_trajectories(
    cfg: SoupsConfig, generator: torch.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fig 12: `soups` soups of `particles` weightwise nets evolved `epochs` epochs (α = attack_rate,
    A = train_steps Keras epochs, divergent and zero particles replaced, as the authors' run), and as many
    control soups that start from the same particles with α = 0.

    Returns (trajectories, soups, attacks, lineage, dynamics):
      trajectories: soup 0, its control and the soup with the largest final cluster — panel, uid, t
        (epoch), pc1, pc2 (one PCA per panel, not whitened, as the authors'), kind (at the end;
        "replaced" for a particle that was replaced), explained variance, the zero net's coordinates;
      soups: one row per soup — setting, soup, counts of every kind, replacements, attacks, cluster share at
        the start and the end, main-cluster size, its centre's distance to 0 and to the initial centroid,
        the kinds inside the main cluster, initial median distance, and for the cluster's members their
        median value gain |a₀| at the end and the share whose last attack came from an attacker with
        |a₀| ≤ STAMP_GAIN (a "stamper");
      attacks: every attack (soup, epoch, attacker, victim, attacker_error, displacement, the victim's
        distance to its attacker before and after, the attacker's value gain a₀ and kind);
      lineage: the genealogy from the attack log (`selfrep.analysis.soup.lineages`) — t, soup, slot, uid,
        founder — with each particle's kind at the end (column kind, on every row of its uid);
      dynamics: every soup and control at every epoch — setting, soup, epoch, the kinds' shares (div, zero,
        nonzero, second, other), largest (the largest cluster's share) and clusters (clusters holding
        ≥ large_min_share of the soup, `cluster_census`), both with the soup's own radius.
    The soups frame also has each soup's median distance between particles at the end
    (final_median_distance, beside initial_median_distance).
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
    gain = attacker_gain(final.reshape(-1, final.shape[-1]), red).reshape(final.shape[:2])
    lin = lineages(run)
    founders = torch.tensor(lin[lin["t"] == cfg.epochs]["founder"].to_numpy()).reshape(2 * S, N)
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
            "final_median_distance": _median_distance(end),
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
            "cluster_gain_median": float(gain[s][members].abs().median()),
            **_lineage_distances(end, founders[s]),
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
    end_kind = {}
    for s in range(2 * S):
        for u, k in zip(run.final.uid[s].tolist(), _kinds(final[s], red, cfg.eps), strict=True):
            end_kind[u] = k
    lin["kind"] = lin["uid"].map(end_kind).fillna("replaced")
    lin["setting"] = np.where(lin["soup"] < S, "soup", "control (no attacks)")
    return traj, soups, attacks, lin, _dynamics(run, soups["radius"].to_numpy(), S, red, cfg)


def _dynamics(run, radii, S: int, red, cfg: SoupsConfig) -> pd.DataFrame:
    """Per soup (S soups, then their S controls) and epoch: the kinds' shares and the cluster census."""
    rows = []
    for t, e in enumerate(run.times.tolist()):
        w = run.states[t]
        codes = classify(w.reshape(-1, w.shape[-1]), red, cfg.eps).reshape(w.shape[:2])
        for s in range(w.shape[0]):
            largest, clusters = cluster_census(w[s], float(radii[s]), cfg.large_min_share)
            row = {
                "setting": "soup" if s < S else "control (no attacks)",
                "soup": s % S,
                "epoch": int(e),
                "largest": largest,
                "clusters": clusters,
            }
            for kind in FixpointKind:
                row[KIND_KEYS[kind.label]] = float((codes[s] == int(kind)).to(torch.float64).mean())
            rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------
# Q2: learning from other networks
# ------------------------------------------------------------------------------------------------
def run_learn_soups(
    cfg: SoupsConfig, generator: torch.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Q2 (not in the paper; the authors' master@0c9b036 code/setups/learn_from_soup.py): soups of
    `learn_particles` weightwise nets, `learn_epochs` epochs, no attacks, no self-training; in its turn
    every particle learns with probability `learn_rate` from a random particle (possibly itself):
    `severity` Keras epochs on that particle's training pairs. `learn_trials` soups per severity, all in
    one batch (Keras turn order, `selfrep.analysis.soup`, with the batched learn step).

    Returns (soups, learns, twins):
      soups: severity, trial, counts of every kind at the end, the median Euclidean distance between the
        particles at the start and the end, and the median |a − e₁| of the particles' end-to-end maps at
        the start and the end (a = e₁ is the identity family);
      learns: every learning-from with ≥ 1 step (`LEARN_COLUMNS`) and its severity;
      twins: the mechanism's test, outside the soups: every initial particle learns max(severities) epochs
        from a random other particle of its soup (teacher A), the same start from another (teacher B), and
        self-trains as many epochs. Per net: moved (MAE from start to the end after learning from A),
        to_teacher_before, to_teacher_after (to A), vs_self (learning from A against self-training),
        vs_other_teacher (learning from A against learning from B), map_off (|a − e₁| after learning from A).
    """
    red = make_reduction("weightwise")
    sev, T, N = cfg.learn_severities, cfg.learn_trials, cfg.learn_particles
    steps = tuple(k for k in sev for _ in range(T))
    w0 = random_soups(red, len(steps), N, cfg.init, generator=generator)
    sc = SoupConfig(
        attack_rate=0.0,
        train_steps=0,
        train=keras(cfg),
        learn_from_rate=cfg.learn_rate,
        learn_from_steps=steps,
        eps=cfg.eps,
        init=cfg.init,
    )
    run = evolve(w0, red, sc, cfg.learn_epochs, generator, record=False)
    final = run.final.weights
    rows = []
    for s, k in enumerate(steps):
        kinds = _kinds(final[s], red, cfg.eps)
        row = {
            "severity": k,
            "trial": s % T,
            "spread_start": _median_distance(w0[s]),
            "spread_end": _median_distance(final[s]),
            "map_off_start": float(_map_offset(w0[s], red).median()),
            "map_off_end": float(_map_offset(final[s], red).median()),
        }
        for label, key in KIND_KEYS.items():
            row[key] = sum(x == label for x in kinds)
        rows.append(row)
    learns = run.learns[run.learns["steps"] > 0].copy()
    learns["severity"] = learns["steps"]
    return pd.DataFrame(rows), learns.reset_index(drop=True), _learn_twins(w0, red, cfg, generator)


def _learn_twins(w0: torch.Tensor, red, cfg: SoupsConfig, generator: torch.Generator) -> pd.DataFrame:
    """See `run_learn_soups`: learning from teacher A, from teacher B, and self-training, from one start."""
    S, N, W = w0.shape
    flat = w0.reshape(S * N, W)
    soup = torch.arange(S).repeat_interleave(N)
    slot = torch.arange(N).repeat(S)
    shift_a = 1 + (torch.rand(S * N, generator=generator) * (N - 1)).long().clamp(max=N - 2)
    r = (torch.rand(S * N, generator=generator) * (N - 2)).long().clamp(max=N - 3)
    shift_b = 1 + (shift_a + r) % (N - 1)  # never shift_a: another teacher
    ta, tb = flat[soup * N + (slot + shift_a) % N], flat[soup * N + (slot + shift_b) % N]
    steps = torch.full((S * N,), max(cfg.learn_severities), dtype=torch.int64)
    from_a = learn_steps(flat, ta, steps, red, keras(cfg), generator)
    from_b = learn_steps(flat, tb, steps, red, keras(cfg), generator)
    alone = self_train(flat, red, int(steps[0]), keras(cfg), generator).weights
    return pd.DataFrame(
        {
            "moved": mae(from_a, flat).numpy(),
            "to_teacher_before": mae(flat, ta).numpy(),
            "to_teacher_after": mae(from_a, ta).numpy(),
            "vs_self": mae(from_a, alone).numpy(),
            "vs_other_teacher": mae(from_a, from_b).numpy(),
            "map_off": _map_offset(from_a, red).numpy(),
        }
    )


def _map_offset(w: torch.Tensor, red) -> torch.Tensor:
    """(N,) float64: |a − e₁| (Euclidean) of each linear weightwise net's end-to-end map a = W₃W₂W₁."""
    m = None
    for layer in red.arch.layers(w.to(torch.float64)):
        m = layer["kernel"] if m is None else m @ layer["kernel"]
    a = m[:, :, 0]
    e1 = torch.zeros_like(a)
    e1[:, 0] = 1.0
    return (a - e1).norm(dim=1)


def _lineage_distances(w: torch.Tensor, founders: torch.Tensor) -> dict[str, float]:
    """Median MAE between the particles of one soup at the end that share a lineage, and between those
    that do not (NaN where there is no such pair)."""
    d = torch.cdist(w.to(torch.float64), w.to(torch.float64), p=1) / w.shape[1]
    same = founders[:, None] == founders[None, :]
    off = ~torch.eye(len(founders), dtype=torch.bool)
    within, between = d[same & off], d[~same]
    return {
        "lineage_within": float(within.median()) if within.numel() else float("nan"),
        "lineage_between": float(between.median()) if between.numel() else float("nan"),
    }


def _last_attackers(attacks: pd.DataFrame, members: torch.Tensor) -> dict[str, float]:
    """For one soup's main cluster: the share of its members whose last attack came from one and the same
    particle (the most frequent last attacker), and the median fixpoint error of that particle's attacks
    on them (0 and NaN-free defaults when no member was attacked)."""
    idx = set(members.nonzero().flatten().tolist())
    last = attacks.groupby("victim", sort=False).tail(1)  # attacks are in the order they happened
    last = last[last["victim"].isin(idx)]
    if not len(last) or not idx:
        return {
            "cluster_top_attacker_share": 0.0,
            "cluster_top_attacker_error": 0.0,
            "cluster_stamped": 0.0,
        }
    top = last["attacker"].value_counts().idxmax()
    by_top = last[last["attacker"] == top]
    return {
        "cluster_top_attacker_share": len(by_top) / len(idx),
        "cluster_top_attacker_error": float(by_top["attacker_error"].median()),
        "cluster_stamped": float((last["attacker_gain"].abs() <= STAMP_GAIN).sum() / len(idx)),
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
# Q4: large soups
# ------------------------------------------------------------------------------------------------
def run_large_soups(cfg: SoupsConfig, generator: torch.Generator) -> pd.DataFrame:
    """Q4 (beyond the paper): soups of every size in `large_sizes` (`large_soups` soups each), Fig 12's
    settings (α = attack_rate, A = train_steps, replacement, `epochs` epochs) under the synchronous rule
    (`selfrep.analysis.soup`: every particle may attack, all from the epoch's start, then all train in
    lockstep; a Python turn per particle is too slow for 10,000). Every `large_every` epochs: the share of
    each kind, the largest cluster's share and the number of clusters (each ≥ `large_min_share` of the
    soup; radius cluster_radius × the soup's initial median distance, both measured on `large_sample`
    particles drawn at random), and the mean value gain |a₀|.

    One row per (size, soup, epoch): size, soup, epoch, the kinds' shares (div, zero, nonzero, second,
    other), stampers (share with |a₀| ≤ STAMP_GAIN), largest, clusters, wall_s (the size's wall time,
    evolution and measurement, on every row of that size).
    """
    red = make_reduction("weightwise")
    rows = []
    for N, S in zip(cfg.large_sizes, cfg.large_soups, strict=True):
        t0 = time.perf_counter()
        w0 = random_soups(red, S, N, cfg.init, generator=generator)
        sc = SoupConfig(
            attack_rate=cfg.attack_rate,
            attack_rule="synchronous",
            train_steps=cfg.train_steps,
            train=keras(cfg),
            remove_divergent=True,
            remove_zero=True,
            eps=cfg.eps,
            init=cfg.init,
        )
        run = evolve(w0, red, sc, cfg.epochs, generator)
        size_rows = []
        radii = []
        for s in range(S):
            pick = w0[s][torch.randperm(N, generator=generator)[: cfg.large_sample]].to(torch.float64)
            d0 = torch.cdist(pick, pick)
            radii.append(cfg.cluster_radius * float(d0[~torch.eye(len(pick), dtype=torch.bool)].median()))
        for t, e in enumerate(run.times.tolist()):
            if e % cfg.large_every and e != cfg.epochs:
                continue
            w = run.states[t]
            codes = classify(w.reshape(-1, w.shape[-1]), red, cfg.eps).reshape(S, N)
            gain = attacker_gain(w.reshape(-1, w.shape[-1]), red).reshape(S, N).abs()
            for s in range(S):
                largest, clusters = cluster_census(
                    w[s], radii[s], cfg.large_min_share, cfg.large_sample, generator
                )
                row = {"size": N, "soup": s, "epoch": int(e), "largest": largest, "clusters": clusters}
                for kind in FixpointKind:
                    row[KIND_KEYS[kind.label]] = float((codes[s] == int(kind)).to(torch.float64).mean())
                row["stampers"] = float((gain[s] <= STAMP_GAIN).to(torch.float64).mean())
                size_rows.append(row)
        wall = time.perf_counter() - t0
        for row in size_rows:
            row["wall_s"] = wall
        rows += size_rows
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------
# Fig 13
# ------------------------------------------------------------------------------------------------
def run_soup_counts(cfg: SoupsConfig, generator: torch.Generator) -> pd.DataFrame:
    """Fig 13: for every reduction, `count_replicates` × `count_soups` soups of `count_particles` nets per A
    of `count_trains`, `count_epochs` epochs, α = attack_rate, no replacement; all soups of a reduction in
    one batch, beside as many control soups with the same particles and no attacks (beyond the paper).
    One row per soup: reduction, attacking (False for a control), trains (A), replicate, soup, counts of
    every kind at ε = eps, attacks, and the median over its particles of the mean |w| at the start and the
    end (size_start, size_end), and how many particles end below a tenth of size_start (shrunk)."""
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
        # P12: how far the weights shrank, whatever the ε-test says (median over a soup's particles of
        # their mean |w|, at the start and the end; divergent particles count as infinitely large)
        for col, state in (("size_start", torch.cat([w, w])), ("size_end", run.final.weights)):
            size = state.to(torch.float64).abs().mean(dim=2)
            size = torch.where(torch.isfinite(size), size, torch.full_like(size, float("inf")))
            frame[col] = size.median(dim=1).values.numpy()
            if col == "size_end":  # particles shrunk below a tenth of their soup's starting median size
                frame["shrunk"] = (size <= 0.1 * torch.tensor(frame["size_start"].to_numpy())[:, None]).sum(1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


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
        own parent at the end), other_parent (MAE to the nearest other parent at the end), nearest_family
        (the parent it is closest to at the end), influence (MAE
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
            d1 = torch.cdist(kids_end[g].to(torch.float64), par_end[g].to(torch.float64), p=1) / W
            d1[torch.arange(P * C), family] = float("inf")  # the nearest *other* parent
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
                        "other_parent": d1.min(dim=1).values.numpy(),
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
