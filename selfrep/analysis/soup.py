"""Soups: populations of networks that attack, learn from and self-train themselves (paper §3.5, Figs 12–14;
paper-spec §10).

Many independent soups advance together. Their particles are one (S, N, W) tensor — S soups of N networks
of one architecture — and every operator runs on the rows of all soups at once.

One epoch, in the authors' Keras code (`attack_rule="per_particle"`, master:code/soup.py, paper-spec §10.1),
visits the particles in list order; particle i, in every soup at once:

1. with probability `attack_rate` picks a target j = ⌊U·N⌋ (possibly itself) and rewrites it, j ← i ◁ j;
2. with probability `learn_from_rate` picks j = ⌊U·N⌋ and fits itself `learn_from_steps` steps on j's
   training pairs, read afresh at every step as the Keras code recomputes them (off in the paper's
   figures; the code's `learn_from_severity`, master@0c9b036 code/soup.py);
3. self-trains `train_steps` (the paper's A) steps;
4. is replaced by a fresh random network if `remove_divergent` and it diverged, or `remove_zero` and it
   is the zero net (all |w| ≤ `eps`).

The order matters — a particle attacked earlier in the epoch still trains in its own turn, and a later
attacker reads the already trained weights — so the loop runs over particle positions, never over soups.

The journal's PyTorch code (`attack_rule="one_pair"`, journal@21dd572:journal_soup_basins.py, paper-spec
§10.4) makes, with probability `attack_rate`, one attack between two distinct random particles per epoch
and then self-trains every particle `train_steps` steps.

A third rule, `attack_rule="synchronous"` (ours, for soups of thousands of particles, where a Python turn
per particle is too slow), lets every particle attack with probability `attack_rate` a target j = ⌊U·N⌋,
all from the weights at the start of the epoch (when several attackers hit one victim, the last in list
order wins, as it would in turn order); then every particle self-trains `train_steps` steps in lockstep and
is checked for removal. It differs from the Keras rule only in the order within an epoch.

Every attack is logged with the victim's distance (mean absolute difference of the weights) to its
attacker before and after, the attacker's fixpoint error and kind, and, for a linear bias-free MLP, its
value gain a₀ (the first entry of its end-to-end map): an attack by a linear weightwise net gives
v' = a₀·v + (terms that do not depend on v), so for an exact fixpoint attacker 𝒩 it gives
v' − w_𝒩 = a₀ (v − w_𝒩): the victim ends |a₀| times as far from a copy of the attacker as it was.

Every learning-from is logged too: the learner's distance (MAE) to its teacher before and after, how far
the learner moved, and both value gains a₀ before and after.

`attack_rate`, `train_steps` and `learn_from_steps` may be tuples with one value per soup, so a sweep over
them (Figs 13, Q2) and a control without attacks run in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd
import torch

from selfrep.fixpoints import KIND_LABELS, classify, fixpoint_error, is_divergent, is_zero
from selfrep.nets import INITS, init_population
from selfrep.operators import attack
from selfrep.optim import TrainConfig, train_init
from selfrep.reductions import Reduction
from selfrep.training import learn_steps, train_step

ATTACK_RULES: tuple[str, ...] = ("per_particle", "one_pair", "synchronous")


@dataclass(frozen=True)
class SoupConfig:
    """The interactions of a soup (see the module docstring). Defaults: the Keras code's soup with
    learning-from switched off, as in the paper's figures.

    Attributes:
        attack_rate: α, the chance of an attack (per particle and epoch, or per epoch for "one_pair");
            a tuple gives one value per soup.
        attack_rule: "per_particle" (Keras code) or "one_pair" (journal code).
        train_steps: A, self-training steps per particle and epoch; a tuple gives one value per soup.
        train: how one self-training step is taken (momentum must be 0: no optimizer state is kept).
        learn_from_rate, learn_from_steps: chance and length (training steps, the code's severity) of
            learning from another particle; a tuple of steps gives one value per soup.
        remove_divergent, remove_zero: replace such particles by fresh random networks.
        eps: ε of the zero test used for removal.
        init: initialisation scheme of replacements.
    """

    attack_rate: float | tuple[float, ...] = 0.1
    attack_rule: str = "per_particle"
    train_steps: int | tuple[int, ...] = 0
    train: TrainConfig = field(default_factory=TrainConfig)
    learn_from_rate: float = 0.0
    learn_from_steps: int | tuple[int, ...] = 1
    remove_divergent: bool = False
    remove_zero: bool = False
    eps: float = 1e-4
    init: str = "glorot"

    def __post_init__(self) -> None:
        if self.attack_rule not in ATTACK_RULES:
            raise ValueError(
                f"attack_rule: unknown value {self.attack_rule!r} (expected one of {ATTACK_RULES})"
            )
        for name in ("attack_rate", "train_steps", "learn_from_steps"):
            value = getattr(self, name)
            if isinstance(value, list | tuple):
                object.__setattr__(self, name, tuple(value))
        rates = self.attack_rate if isinstance(self.attack_rate, tuple) else (self.attack_rate,)
        if not all(0.0 <= float(r) <= 1.0 for r in rates):
            raise ValueError(f"attack_rate: must lie in [0, 1], got {self.attack_rate!r}")
        steps = self.train_steps if isinstance(self.train_steps, tuple) else (self.train_steps,)
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in steps):
            raise ValueError(f"train_steps: must be non-negative ints, got {self.train_steps!r}")
        if not 0.0 <= self.learn_from_rate <= 1.0:
            raise ValueError(f"learn_from_rate: must lie in [0, 1], got {self.learn_from_rate!r}")
        lsteps = self.learn_from_steps
        if isinstance(lsteps, tuple):
            if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in lsteps):
                raise ValueError(
                    f"learn_from_steps: per-soup values must be non-negative ints, got {lsteps!r}"
                )
        elif not isinstance(lsteps, int) or isinstance(lsteps, bool) or lsteps < 1:
            raise ValueError(f"learn_from_steps: must be a positive int, got {lsteps!r}")
        if self.train.momentum_on or self.train.per_network:
            raise ValueError("train: soups take plain SGD steps (momentum 0, one lr for all networks)")
        if not self.eps > 0:
            raise ValueError(f"eps: must be > 0, got {self.eps!r}")
        if self.init not in INITS:
            raise ValueError(f"init: unknown value {self.init!r} (expected one of {INITS})")

    def per_soup(self, name: str, S: int) -> torch.Tensor:
        """`attack_rate` (float64), `train_steps` or `learn_from_steps` (int64) as an (S,) tensor."""
        value = getattr(self, name)
        dtype = torch.float64 if name == "attack_rate" else torch.int64
        if isinstance(value, tuple):
            if len(value) != S:
                raise ValueError(f"{name}: {len(value)} per-soup values for {S} soups")
            return torch.tensor(value, dtype=dtype)
        return torch.full((S,), value, dtype=dtype)


class SoupState(NamedTuple):
    """S soups of N particles: weights (S, N, W); uid (S, N) int64 identity of the particle in each slot
    (a replacement gets a new uid); epochs completed; the next free uid."""

    weights: torch.Tensor
    uid: torch.Tensor
    epoch: int
    next_uid: int


def seed_soups(weights: torch.Tensor) -> SoupState:
    """Start soups from an (S, N, W) tensor of particles; uids are 0 … S·N−1, soup-major."""
    if weights.ndim != 3:
        raise ValueError(f"weights: expected an (S, N, W) tensor, got shape {tuple(weights.shape)}")
    S, N, _ = weights.shape
    return SoupState(weights, torch.arange(S * N).reshape(S, N), 0, S * N)


class EpochRecord(NamedTuple):
    """What happened in one epoch: the attacks and replacements (lists of row dicts), for
    `record_every` intermediate states (list of (training step, (S, N, W))), and the learnings-from."""

    attacks: list[dict]
    replacements: list[dict]
    states: list[tuple[int, torch.Tensor]]
    learns: list[dict] = []


def _train_rows(
    flat: torch.Tensor,
    rows: torch.Tensor,
    steps: torch.Tensor,
    reduction: Reduction,
    config: TrainConfig,
    generator: torch.Generator | None,
    record_every: int | None = None,
    on_record=None,
) -> torch.Tensor:
    """Train flat[rows[k]] for steps[k] steps (each row its own count, all rows advancing together)."""
    top = int(steps.max()) if steps.numel() else 0
    for t in range(top):
        active = rows[steps > t]
        if active.numel():
            flat[active] = train_step(train_init(flat[active], config), reduction, config, generator).weights
        if record_every is not None and (t + 1) % record_every == 0 and on_record is not None:
            on_record(t + 1)
    return flat


def soup_epoch(
    state: SoupState,
    reduction: Reduction,
    config: SoupConfig,
    generator: torch.Generator | None = None,
    record_every: int | None = None,
) -> tuple[SoupState, EpochRecord]:
    """One epoch of every soup (see the module docstring). Returns the new state and what happened.

    `record_every` (rule "one_pair" only, where all particles train in lockstep) also returns the states
    after every `record_every` training steps of the epoch.
    """
    w0, uid = state.weights, state.uid.clone()
    S, N, W = w0.shape
    reduction.arch.check(w0.reshape(S * N, W), "state.weights")
    if record_every is not None and (config.attack_rule != "one_pair" or record_every < 1):
        raise ValueError("record_every: needs attack_rule='one_pair' and a positive int")
    flat = w0.reshape(S * N, W).clone()
    rates = config.per_soup("attack_rate", S)
    steps = config.per_soup("train_steps", S)
    soups = torch.arange(S)
    epoch = state.epoch + 1
    next_uid = state.next_uid
    attacks: list[dict] = []
    replacements: list[dict] = []
    records: list[tuple[int, torch.Tensor]] = []
    learns: list[dict] = []

    def do_attacks(
        att_rows: torch.Tensor,
        vic_rows: torch.Tensor,
        hit: torch.Tensor,
        soups_of: torch.Tensor | None = None,
    ) -> None:
        nonlocal flat
        if not bool(hit.any()):
            return
        a, v = att_rows[hit], vic_rows[hit]
        soup_ids = soups[hit] if soups_of is None else soups_of
        before = flat[v].clone()
        attacker = flat[a].clone()
        err, _ = fixpoint_error(attacker, reduction)
        kinds = classify(attacker, reduction, config.eps)
        gain = attacker_gain(attacker, reduction)
        flat = attack(flat, reduction, a, v)
        moved = (flat[v].to(torch.float64) - before.to(torch.float64)).abs().mean(dim=1)
        d_before = (before.to(torch.float64) - attacker.to(torch.float64)).abs().mean(dim=1)
        d_after = (flat[v].to(torch.float64) - attacker.to(torch.float64)).abs().mean(dim=1)
        for k, s in enumerate(soup_ids.tolist()):
            attacks.append(
                {
                    "epoch": epoch,
                    "soup": s,
                    "attacker": int(a[k]) - s * N,
                    "victim": int(v[k]) - s * N,
                    "attacker_uid": int(uid[s, int(a[k]) - s * N]),
                    "victim_uid": int(uid[s, int(v[k]) - s * N]),
                    "attacker_error": float(err[k]),
                    "displacement": float(moved[k]),
                    "distance_before": float(d_before[k]),
                    "distance_after": float(d_after[k]),
                    "attacker_gain": float(gain[k]),
                    "attacker_kind": KIND_LABELS[int(kinds[k])],
                }
            )

    lsteps = config.per_soup("learn_from_steps", S)

    def do_learns(lr_rows: torch.Tensor, teachers: torch.Tensor, soup_ids: torch.Tensor) -> None:
        """Each learner fits itself its soup's learn_from_steps steps on its teacher's pairs, all learners
        at once; the teacher's weights are read afresh at every step (a learner may be its own teacher)."""
        nonlocal flat
        n_steps = lsteps[soup_ids]
        before = flat[lr_rows].clone()
        teacher0 = flat[teachers].clone()
        gain0 = attacker_gain(before, reduction)
        flat[lr_rows] = learn_steps(
            before, teacher0, n_steps, reduction, config.train, generator, own=lr_rows == teachers
        )
        after, teacher1 = flat[lr_rows], flat[teachers]
        f64 = torch.float64
        d_before = (before.to(f64) - teacher0.to(f64)).abs().mean(dim=1)
        d_after = (after.to(f64) - teacher1.to(f64)).abs().mean(dim=1)
        moved = (after.to(f64) - before.to(f64)).abs().mean(dim=1)
        gain1 = attacker_gain(after, reduction)
        tgain = attacker_gain(teacher0, reduction)
        for k, s_ in enumerate(soup_ids.tolist()):
            learns.append(
                {
                    "epoch": epoch,
                    "soup": s_,
                    "learner": int(lr_rows[k]) - s_ * N,
                    "teacher": int(teachers[k]) - s_ * N,
                    "steps": int(n_steps[k]),
                    "distance_before": float(d_before[k]),
                    "distance_after": float(d_after[k]),
                    "moved": float(moved[k]),
                    "learner_gain_before": float(gain0[k]),
                    "learner_gain_after": float(gain1[k]),
                    "teacher_gain": float(tgain[k]),
                }
            )

    def replace(rows: torch.Tensor) -> None:
        nonlocal next_uid
        div = is_divergent(flat[rows])
        zero = is_zero(flat[rows], config.eps) & ~div
        dead = (div & config.remove_divergent) | (zero & config.remove_zero)
        if not bool(dead.any()):
            return
        gone = rows[dead]
        flat[gone] = init_population(
            reduction.arch, gone.numel(), config.init, generator=generator, dtype=flat.dtype
        )
        for k, r in enumerate(gone.tolist()):
            s, i = divmod(r, N)
            replacements.append(
                {
                    "epoch": epoch,
                    "soup": s,
                    "slot": i,
                    "old_uid": int(uid[s, i]),
                    "new_uid": next_uid,
                    "reason": "divergent" if bool(div[dead][k]) else "zero",
                }
            )
            uid[s, i] = next_uid
            next_uid += 1

    if config.attack_rule == "per_particle":
        for i in range(N):
            rows = soups * N + i
            u = torch.rand(S, generator=generator, dtype=torch.float64)
            target = (torch.rand(S, generator=generator, dtype=torch.float64) * N).long().clamp(max=N - 1)
            do_attacks(rows, soups * N + target, u < rates)
            if config.learn_from_rate > 0:
                u = torch.rand(S, generator=generator, dtype=torch.float64)
                other = (torch.rand(S, generator=generator, dtype=torch.float64) * N).long().clamp(max=N - 1)
                learn = u < config.learn_from_rate
                if bool(learn.any()):
                    do_learns(rows[learn], (soups * N + other)[learn], soups[learn])
            flat = _train_rows(flat, rows, steps, reduction, config.train, generator)
            replace(rows)
    elif config.attack_rule == "synchronous":
        u = torch.rand(S, N, generator=generator, dtype=torch.float64)
        target = (torch.rand(S, N, generator=generator, dtype=torch.float64) * N).long().clamp(max=N - 1)
        hit = (u < rates[:, None]).reshape(-1)
        att = torch.arange(S * N)[hit]
        vic = (soups[:, None] * N + target).reshape(-1)[hit]
        # several attackers on one victim: the last in list order wins (as in turn order)
        order = torch.arange(att.numel())
        last = torch.full((S * N,), -1, dtype=torch.int64).scatter_reduce(0, vic, order, "amax")
        keep = last[vic] == order
        do_attacks(
            att[keep], vic[keep], torch.ones(int(keep.sum()), dtype=torch.bool), soups_of=att[keep] // N
        )
        all_rows = torch.arange(S * N)
        flat = _train_rows(flat, all_rows, steps.repeat_interleave(N), reduction, config.train, generator)
        replace(all_rows)
    else:
        u = torch.rand(S, generator=generator, dtype=torch.float64)
        pick = torch.rand(S, N, generator=generator).argsort(dim=1)[:, :2]  # two distinct particles
        do_attacks(soups * N + pick[:, 0], soups * N + pick[:, 1], (u < rates) & (N >= 2))
        all_rows = torch.arange(S * N)

        def on_record(t: int) -> None:
            records.append((t, flat.reshape(S, N, W).clone()))

        flat = _train_rows(
            flat,
            all_rows,
            steps.repeat_interleave(N),
            reduction,
            config.train,
            generator,
            record_every,
            on_record,
        )
        replace(all_rows)
    new = SoupState(flat.reshape(S, N, W), uid, epoch, next_uid)
    return new, EpochRecord(attacks, replacements, records, learns)


class SoupRun(NamedTuple):
    """A recorded run: states (T, S, N, W) and uids (T, S, N) at `times` (T,) — epochs, or cumulative
    training steps with `record_every`; attacks and replacements as tidy frames; the final state; the
    learnings-from as a tidy frame (LEARN_COLUMNS)."""

    states: torch.Tensor
    uids: torch.Tensor
    times: torch.Tensor
    attacks: pd.DataFrame
    replacements: pd.DataFrame
    final: SoupState
    learns: pd.DataFrame | None = None


ATTACK_COLUMNS = (
    "epoch",
    "soup",
    "attacker",
    "victim",
    "attacker_uid",
    "victim_uid",
    "attacker_error",
    "displacement",
    "distance_before",
    "distance_after",
    "attacker_gain",
    "attacker_kind",
)
REPLACEMENT_COLUMNS = ("epoch", "soup", "slot", "old_uid", "new_uid", "reason")
LEARN_COLUMNS = (
    "epoch",
    "soup",
    "learner",
    "teacher",
    "steps",
    "distance_before",
    "distance_after",
    "moved",
    "learner_gain_before",
    "learner_gain_after",
    "teacher_gain",
)


def evolve(
    weights: torch.Tensor | SoupState,
    reduction: Reduction,
    config: SoupConfig,
    epochs: int,
    generator: torch.Generator | None = None,
    *,
    record: bool = True,
    record_every: int | None = None,
) -> SoupRun:
    """Run `epochs` epochs of every soup from (S, N, W) particles (or a state).

    record=False keeps only the first and last states (saves memory for large batches). With
    `record_every` (rule "one_pair") states are also kept within epochs, and `times` counts training
    steps (epoch e ends at e·A for soups with a common A).
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs: must be a non-negative int, got {epochs!r}")
    state = weights if isinstance(weights, SoupState) else seed_soups(weights)
    S = state.weights.shape[0]
    steps = config.per_soup("train_steps", S)
    a_common = int(steps.max()) if steps.numel() else 0
    states, uids, times = [state.weights], [state.uid], [0]
    attacks: list[dict] = []
    replacements: list[dict] = []
    learns: list[dict] = []
    for e in range(epochs):
        state, rec = soup_epoch(state, reduction, config, generator, record_every)
        attacks += rec.attacks
        replacements += rec.replacements
        learns += rec.learns
        if record or e == epochs - 1:
            for t, s in rec.states:
                if t < a_common:  # the epoch's end is appended below
                    states.append(s)
                    uids.append(state.uid)
                    times.append(e * a_common + t)
            states.append(state.weights)
            uids.append(state.uid)
            times.append((e + 1) * a_common if record_every is not None else e + 1)
    attack_frame = pd.DataFrame(attacks, columns=list(ATTACK_COLUMNS)).astype(
        {c: "int64" for c in ATTACK_COLUMNS[:6]}
        | {c: "float64" for c in ATTACK_COLUMNS[6:11]}
        | {"attacker_kind": "object"}
    )
    repl_frame = pd.DataFrame(replacements, columns=list(REPLACEMENT_COLUMNS)).astype(
        {c: "int64" for c in REPLACEMENT_COLUMNS[:5]} | {"reason": "object"}
    )
    learn_frame = pd.DataFrame(learns, columns=list(LEARN_COLUMNS)).astype(
        {c: "int64" for c in LEARN_COLUMNS[:5]} | {c: "float64" for c in LEARN_COLUMNS[5:]}
    )
    return SoupRun(
        torch.stack(states),
        torch.stack(uids),
        torch.tensor(times),
        attack_frame,
        repl_frame,
        state,
        learn_frame,
    )


def attacker_gain(weights: torch.Tensor, reduction: Reduction) -> torch.Tensor:
    """(P,) float64: the value gain a₀ of each network — the first entry of its end-to-end map — for a
    linear bias-free weightwise net (the paper's plotted setting); NaN for any other reduction."""
    arch = reduction.arch
    linear = arch.kind == "mlp" and arch.activation == "linear" and not arch.bias
    if getattr(reduction, "name", None) != "weightwise" or not linear:
        return torch.full((weights.shape[0],), float("nan"), dtype=torch.float64)
    m = None
    for layer in arch.layers(weights.to(torch.float64)):
        m = layer["kernel"] if m is None else m @ layer["kernel"]
    return m[:, 0, 0]


def random_soups(
    reduction: Reduction,
    soups: int,
    particles: int,
    init: str = "glorot",
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """(S, N, W) freshly initialised particles."""
    if soups < 1 or particles < 1:
        raise ValueError(f"soups, particles: must be >= 1, got {soups}, {particles}")
    w = init_population(reduction.arch, soups * particles, init, generator=generator, dtype=dtype)
    return w.reshape(soups, particles, -1)


def lineages(run: SoupRun) -> pd.DataFrame:
    """Genealogy of the soups of a recorded run (record=True, times in epochs), from its attack log.

    Descent by attack: every particle at the start, and every replacement, founds a lineage; an attack
    i ◁ j on another particle makes j a member of i's lineage (j's weights are now i's output). Attacks are
    replayed in the order they happened; replacements only found lineages, so their order does not matter.

    Returns one row per (t, soup, slot): t (epoch), soup, slot, uid, founder (the uid that founded the
    particle's lineage).
    """
    if run.uids.shape[0] != len(run.times) or run.uids.ndim != 3:
        raise ValueError("run: needs a recorded run (record=True)")
    founder = {int(u): int(u) for u in run.uids[0].flatten().tolist()}
    att = run.attacks.groupby("epoch", sort=True)
    rep = run.replacements.groupby("epoch", sort=True)
    att_by = {int(e): g for e, g in att}
    rep_by = {int(e): g for e, g in rep}
    T, S, N = run.uids.shape
    soup = torch.arange(S).repeat_interleave(N).numpy()
    slot = torch.arange(N).repeat(S).numpy()
    frames = []
    for t in range(T):
        e = int(run.times[t])
        if t > 0:
            for u in rep_by.get(e, pd.DataFrame(columns=["new_uid"]))["new_uid"].tolist():
                founder[int(u)] = int(u)
            g = att_by.get(e)
            if g is not None:
                for a, v in zip(g["attacker_uid"].tolist(), g["victim_uid"].tolist(), strict=True):
                    if a != v:
                        founder[v] = founder[a]
        uids = run.uids[t].flatten().tolist()
        frames.append(
            pd.DataFrame(
                {"t": e, "soup": soup, "slot": slot, "uid": uids, "founder": [founder[u] for u in uids]}
            )
        )
    return pd.concat(frames, ignore_index=True)


def cluster_census(
    weights: torch.Tensor,
    radius: float,
    min_share: float = 0.1,
    sample: int | None = None,
    generator: torch.Generator | None = None,
) -> tuple[float, int]:
    """(largest share, number of clusters) of (N, W) particles: the largest share within `radius` of one
    particle (as `cluster_share`), and the clusters found greedily: the particle with the most
    neighbours within `radius` (Euclidean) and its neighbours form a cluster and are removed, until the
    next cluster would hold less than `min_share` of the particles (or fewer than 2). With `sample`, on
    that many particles drawn at random (for soups of thousands).
    Non-finite particles belong to no cluster."""
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share: must lie in (0, 1], got {min_share!r}")
    w = weights.to(torch.float64)
    if sample is not None and w.shape[0] > sample:
        w = w[torch.randperm(w.shape[0], generator=generator)[:sample]]
    n = w.shape[0]
    ok = torch.isfinite(w).all(dim=1)
    d = torch.cdist(
        torch.where(ok[:, None], w, torch.zeros_like(w)), torch.where(ok[:, None], w, torch.zeros_like(w))
    )
    near = (d <= radius) & ok[:, None] & ok[None, :]
    alive = ok.clone()
    largest = float((near.sum(dim=1).max() / n) if n else 0.0)
    count = 0
    while bool(alive.any()):
        cnt = (near & alive[None, :]).sum(dim=1) * alive
        k = int(cnt.argmax())
        if int(cnt[k]) < max(min_share * n, 2):
            break
        count += 1
        alive &= ~near[k]
    return largest, count
