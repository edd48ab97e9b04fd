"""E7: SeRANN-lite -- networks that copy their own architecture genotype (Shvartzman & Ram, PLOS
Comput Biol
2024, "self-replicating artificial neural networks"; ties to the book's self-replication fixpoints).

Genotype: 10 bits that decode to a DigitsMLP-Bench architecture with uniform width, plus a
heritable loss
balance:

    bits 0-1 depth 1..4 | bits 2-3 width {16, 32, 64, 128}
    bits 4-5 activation relu, tanh, sigmoid, *invalid* | bit 6 skip | bits 7-9 lambda = (k + 0.5) /
    8

The fourth activation code is invalid, like SeRANN's unparsable source code: such an offspring is
non-viable.

Phenotype: the bench MLP on [image (64), genotype (10, as +-1)] with two heads, classification (10)
and
replication (10 sigmoid units, SeRANN's g-branch reading the genotype as an input). It is trained
for
`epochs` epochs with Adam on (1 - lambda) * cross-entropy + lambda * BCE(copy of a *random*
genotype given
as input), so it learns to copy genotypes in general, not its own.

Generation step (SeRANN's experiment loop): fertility = validation accuracy ** pressure (0 if
non-viable);
offspring counts are multinomial over relative fertility (population size fixed); each offspring's
genotype is the parent's own copy of its genotype, every bit drawn from the replication head's
output
probability, so mutations are *endogenous* (imperfect self-copying). SeRANN rounds the copy of a
freshly
initialised net; here a genotype's phenotype is trained once per world and cached, and the Bernoulli
read-out stands in for the per-individual variation of SeRANN's copies.

Controls: "exogenous" -- the same loop, offspring = parent with external bit flips at the
endogenous run's
initial measured rate; "exogenous_low" -- the same at the rate the endogenous run ends with (mean
over its second half), so a low mutation rate alone can be told apart from self-copying;
"trivial" -- a replicator whose head outputs one constant genotype whatever
it
reads (the zero-quine lesson: it never makes a copying error after the first generation, yet copies
nothing).

A world (the genotype -> phenotype map) is a pure function of (world seed, genotype); populations
of every
repeat and condition in a run share it, so a phenotype is trained at most once (2**10 genotypes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from selfrep.archsearch.data import Digits, load_digits_split
from selfrep.archsearch.space import ArchConfig
from selfrep.selfmod.common import (
    activation,
    batches,
    derive_seed,
    generator,
    init_layers,
)

E7_TAG = 7
BITS = 10
N_GENOTYPES = 2**BITS
DEPTHS: tuple[int, ...] = (1, 2, 3, 4)
WIDTHS: tuple[int, ...] = (16, 32, 64, 128)
ACT_CODES: tuple[str | None, ...] = ("relu", "tanh", "sigmoid", None)  # None: invalid
CONDITIONS: tuple[str, ...] = ("endogenous", "exogenous", "exogenous_low", "trivial")


@dataclass(frozen=True)
class SerannConfig:
    """Population, phenotype training and controls of SeRANN-lite."""

    pop: int = 32
    generations: int = 30
    repeats: int = 10
    epochs: int = 3
    lr: float = 1e-2
    batch_size: int = 64
    pressure: float = 1.0  # fertility = val_acc ** pressure (SeRANN's selection_pressure, 1)
    probe_genotypes: int = 64  # random genotypes on which general copy fidelity is measured
    trivial_genotype: int = 0  # what the trivial replicator always outputs

    def __post_init__(self) -> None:
        for name in ("pop", "generations", "repeats", "epochs", "batch_size", "probe_genotypes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.pop < 2:
            raise ValueError(f"pop: need at least 2 individuals, got {self.pop}")
        if not 0 <= self.trivial_genotype < N_GENOTYPES:
            raise ValueError(f"trivial_genotype: must be in [0, {N_GENOTYPES}), got {self.trivial_genotype}")
        if decode(self.trivial_genotype)[0] is None:
            raise ValueError(f"trivial_genotype: {self.trivial_genotype} decodes to an invalid architecture")


def to_bits(code: int) -> np.ndarray:
    """(BITS,) 0/1 array of a genotype code (bit 0 first)."""
    return np.array([(code >> i) & 1 for i in range(BITS)], dtype=np.int64)


def from_bits(bits: np.ndarray) -> np.ndarray:
    """Genotype codes of a (..., BITS) 0/1 array."""
    return (np.asarray(bits, dtype=np.int64) << np.arange(BITS)).sum(-1)


def decode(code: int) -> tuple[ArchConfig | None, float]:
    """(architecture or None if non-viable, loss balance lambda) of a genotype code."""
    if not 0 <= code < N_GENOTYPES:
        raise ValueError(f"code: must be in [0, {N_GENOTYPES}), got {code}")
    b = to_bits(code)
    depth = DEPTHS[b[0] + 2 * b[1]]
    width = WIDTHS[b[2] + 2 * b[3]]
    act = ACT_CODES[b[4] + 2 * b[5]]
    lam = (b[7] + 2 * b[8] + 4 * b[9] + 0.5) / 8.0
    if act is None:
        return None, float(lam)
    return ArchConfig((width,) * depth, act, bool(b[6])), float(lam)


@dataclass(frozen=True)
class Phenotype:
    """A trained SeRANN-lite net, reduced to what the population loop needs."""

    code: int
    viable: bool
    val_acc: float  # classification accuracy (validation), with its own genotype as input
    copy_p: np.ndarray  # (BITS,) probability that each bit of its own copy is 1
    self_error: float  # expected bit errors when copying its own genotype
    random_error: float  # expected bit errors when copying random genotypes
    n_params: int


class World:
    """The genotype -> phenotype map of one world seed, trained lazily and cached."""

    def __init__(self, cfg: SerannConfig, world_seed: int, data: Digits | None = None):
        self.cfg, self.world_seed = cfg, world_seed
        self.data = data or load_digits_split()
        self.cache: dict[int, Phenotype] = {}
        self.trained = 0

    def __call__(self, code: int) -> Phenotype:
        code = int(code)
        if code not in self.cache:
            self.cache[code] = train_phenotype(self.cfg, code, self.world_seed, self.data)
            self.trained += int(self.cache[code].viable)
        return self.cache[code]


def train_phenotype(cfg: SerannConfig, code: int, world_seed: int, data: Digits | None = None) -> Phenotype:
    """Train the two-headed net of genotype `code`; a pure function of (cfg, code, world_seed)."""
    torch.set_num_threads(1)  # tiny models: one thread is 8-20x faster on a shared 2-core machine
    arch, lam = decode(code)
    own = torch.tensor(to_bits(code), dtype=torch.float32)
    if arch is None:
        return Phenotype(code, False, 0.0, own.numpy().astype(float), 0.0, 0.0, 0)
    d = data or load_digits_split()
    g = generator(E7_TAG, world_seed, code)
    f = activation(arch.activation)
    sizes = (64 + BITS, *arch.widths)
    body = init_layers(sizes, g)
    w_last = arch.widths[-1]
    head_c = init_layers((w_last, 10), g)[0]
    head_r = init_layers((w_last, BITS), g)[0]
    params = [p.requires_grad_(True) for pair in [*body, head_c, head_r] for p in pair]
    opt = torch.optim.Adam(params, lr=cfg.lr)

    def forward(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = x
        for W, b in body:
            z = f(F.linear(h, W, b))
            h = z + h if arch.skip and z.shape == h.shape else z
        return F.linear(h, *head_c), F.linear(h, *head_r)

    n = d.X_train.shape[0]
    for _ in range(cfg.epochs):
        for idx in batches(n, cfg.batch_size, g):
            gg = torch.randint(0, 2, (len(idx), BITS), generator=g).float()
            lc, lr = forward(torch.cat([d.X_train[idx], 2 * gg - 1], 1))
            loss = (1 - lam) * F.cross_entropy(lc, d.y_train[idx]) + lam * (
                F.binary_cross_entropy_with_logits(lr, gg)
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    with torch.no_grad():
        nv = d.X_val.shape[0]
        lc, lr = forward(torch.cat([d.X_val, (2 * own - 1).expand(nv, BITS)], 1))
        if not torch.isfinite(lc).all():  # divergence: a non-viable phenotype, not a crash
            return Phenotype(code, False, 0.0, own.numpy().astype(float), 0.0, 0.0, 0)
        acc = float((lc.argmax(1) == d.y_val).float().mean())
        p_own = torch.sigmoid(lr).mean(0)  # the copy, averaged over the images it is shown with
        self_err = float((own * (1 - p_own) + (1 - own) * p_own).sum())
        gg = torch.randint(0, 2, (cfg.probe_genotypes, BITS), generator=g).float()
        x = torch.cat([d.X_val[: cfg.probe_genotypes], 2 * gg - 1], 1)
        p = torch.sigmoid(forward(x)[1])
        rnd_err = float((gg * (1 - p) + (1 - gg) * p).sum(1).mean())
    n_par = sum(p.numel() for p in params)
    return Phenotype(code, True, acc, p_own.numpy().astype(float), self_err, rnd_err, n_par)


def _shannon(codes: np.ndarray) -> float:
    _, counts = np.unique(codes, return_counts=True)
    q = counts / counts.sum()
    return float(-(q * np.log(q)).sum())


def _mean_pairwise_hamming(codes: np.ndarray) -> float:
    bits = np.stack([to_bits(int(c)) for c in codes]).astype(np.int64)
    n = len(codes)
    ones = bits.sum(0)
    # sum over pairs of differing bits = sum_j ones_j * (n - ones_j); divide by the number of pairs
    return float((ones * (n - ones)).sum() / (n * (n - 1) / 2))


def initial_population(cfg: SerannConfig, rng: np.random.Generator) -> np.ndarray:
    """`pop` random viable genotype codes."""
    out = []
    while len(out) < cfg.pop:
        c = int(rng.integers(N_GENOTYPES))
        if decode(c)[0] is not None:
            out.append(c)
    return np.array(out, dtype=np.int64)


def run_population(
    cfg: SerannConfig,
    world: World,
    condition: str,
    rng: np.random.Generator,
    init: np.ndarray,
    exo_rate: float = 0.0,
) -> pd.DataFrame:
    """Evolve one population for `generations`; one row of metrics per generation.

    `condition`: "endogenous" (offspring = own Bernoulli copy), "exogenous" / "exogenous_low"
    (offspring = parent
    with each
    bit flipped with probability `exo_rate`), "trivial" (offspring = cfg.trivial_genotype). Metrics
    of
    generation t describe the population at t; `mut_rate` is the mean number of bits in which the
    individuals of generation t differ from their parents (NaN at t = 0). An extinct population (no
    viable
    individual) stops; its remaining rows are NaN.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition: unknown {condition!r} (expected one of {CONDITIONS})")
    if not 0.0 <= exo_rate <= 1.0:
        raise ValueError(f"exo_rate: must be a per-bit probability in [0, 1], got {exo_rate}")
    pop = np.array(init, dtype=np.int64)
    mut = float("nan")
    rows = []
    for t in range(cfg.generations + 1):
        ph = [world(int(c)) for c in pop]
        viable = np.array([p.viable for p in ph])
        fert = np.array([p.val_acc**cfg.pressure if p.viable else 0.0 for p in ph])
        lam = np.array([decode(int(c))[1] for c in pop])
        rows.append(
            {
                "generation": t,
                "fitness": float(fert.mean()),
                "survival": float(viable.mean()),
                "mut_rate": mut,
                "self_error": float(np.mean([p.self_error for p in ph if p.viable]))
                if viable.any()
                else float("nan"),
                "random_error": float(np.mean([p.random_error for p in ph if p.viable]))
                if viable.any()
                else float("nan"),
                "n_unique": float(len(np.unique(pop))),
                "shannon": _shannon(pop),
                "hamming": _mean_pairwise_hamming(pop),
                "loss_balance": float(lam[viable].mean()) if viable.any() else float("nan"),
                "val_acc_viable": float(fert[viable].mean()) if viable.any() else float("nan"),
                "codes": " ".join(str(int(c)) for c in pop),
            }
        )
        if t == cfg.generations:
            break
        if fert.sum() <= 0:
            for t2 in range(t + 1, cfg.generations + 1):
                rows.append(
                    {
                        "generation": t2,
                        **{k: float("nan") for k in rows[-1] if k not in ("generation", "codes")},
                    }
                )
            break
        counts = rng.multinomial(cfg.pop, fert / fert.sum())
        parents = np.repeat(np.arange(cfg.pop), counts)
        parent_bits = np.stack([to_bits(int(pop[i])) for i in parents])
        if condition == "endogenous":
            p = np.stack([ph[i].copy_p for i in parents])
            child_bits = (rng.random(p.shape) < p).astype(np.int64)
        elif condition in ("exogenous", "exogenous_low"):
            flips = (rng.random(parent_bits.shape) < exo_rate).astype(np.int64)
            child_bits = parent_bits ^ flips
        else:
            child_bits = np.tile(to_bits(cfg.trivial_genotype), (cfg.pop, 1))
        mut = float((child_bits != parent_bits).sum(1).mean())
        pop = from_bits(child_bits)
    return pd.DataFrame(rows)


def run_serann(cfg: SerannConfig, seed: int = 0, data: Digits | None = None) -> dict[str, pd.DataFrame]:
    """E7: `repeats` populations per condition in one world (world seed = `seed`).

    The exogenous control of repeat r flips bits at the rate its endogenous twin measured at
    generation 1 (the exogenous_low control: at the twin's mean rate over its second half)
    (bits per replication / BITS), from the same initial population. Returns "generations" (one row
    per
    condition x repeat x generation) and "world" (every phenotype trained: code, architecture,
    lambda,
    accuracy, self/random copy error). A pure function of (cfg, seed).
    """
    torch.set_num_threads(1)  # tiny models: one thread is 8-20x faster on a shared 2-core machine
    world = World(cfg, seed, data)
    frames = []
    for r in range(cfg.repeats):
        init = initial_population(cfg, np.random.default_rng(derive_seed(E7_TAG, seed, r, 0)))
        endo = run_population(
            cfg, world, "endogenous", np.random.default_rng(derive_seed(E7_TAG, seed, r, 1)), init
        )
        rate0 = float(endo["mut_rate"].iloc[1]) / BITS if len(endo) > 1 else 0.0
        exo = run_population(
            cfg,
            world,
            "exogenous",
            np.random.default_rng(derive_seed(E7_TAG, seed, r, 2)),
            init,
            exo_rate=min(max(rate0, 0.0), 1.0),
        )
        triv = run_population(
            cfg, world, "trivial", np.random.default_rng(derive_seed(E7_TAG, seed, r, 3)), init
        )
        half = endo[endo["generation"] >= max(1, cfg.generations // 2)]["mut_rate"].dropna()
        rate_end = float(half.mean()) / BITS if len(half) else 0.0
        low = run_population(
            cfg,
            world,
            "exogenous_low",
            np.random.default_rng(derive_seed(E7_TAG, seed, r, 4)),
            init,
            exo_rate=min(max(rate_end, 0.0), 1.0),
        )
        rates = {"exogenous": rate0, "exogenous_low": rate_end}
        for name, df in (("endogenous", endo), ("exogenous", exo), ("exogenous_low", low), ("trivial", triv)):
            frames.append(df.assign(condition=name, repeat=r, exo_rate=rates.get(name, 0.0)))
    wrows = []
    for code, p in sorted(world.cache.items()):
        arch, lam = decode(code)
        wrows.append(
            {
                "code": code,
                "arch": arch.key if arch else "invalid",
                "loss_balance": lam,
                "viable": p.viable,
                "val_acc": p.val_acc,
                "self_error": p.self_error,
                "random_error": p.random_error,
                "n_params": p.n_params,
            }
        )
    world_df = pd.DataFrame(wrows)
    gens = pd.concat(frames, ignore_index=True)
    gens = add_arch_split(gens, world_df)
    return {"generations": gens, "world": world_df}


def arch_effects(world: pd.DataFrame) -> tuple[dict[str, float], float]:
    """Least squares on every viable phenotype of the world: self_error = a[architecture] + b * lambda.
    Returns the architecture effects a (one per architecture) and the loss-balance slope b: how much
    of a genotype's self-copy error its architecture explains, with the heritable lambda held fixed."""
    w = world[world["viable"]]
    archs = sorted(w["arch"].unique())
    if not archs:
        return {}, float("nan")
    col = {a: i for i, a in enumerate(archs)}
    X = np.zeros((len(w), len(archs) + 1))
    X[np.arange(len(w)), [col[a] for a in w["arch"]]] = 1.0
    X[:, -1] = w["loss_balance"].to_numpy() - 0.5  # centred, so a[arch] is the error at lambda 0.5
    coef, *_ = np.linalg.lstsq(X, w["self_error"].to_numpy(), rcond=None)
    return {a: float(coef[col[a]]) for a in archs}, float(coef[-1])


def add_arch_split(gens: pd.DataFrame, world: pd.DataFrame) -> pd.DataFrame:
    """Split each generation's mean self-copy error into the part its architectures explain
    (`self_error_arch`: the mean architecture effect of `arch_effects` over viable individuals) and the
    rest (`self_error_within` = self_error - self_error_arch: lambda and what the architecture does not
    fix). A fall of `self_error_within` is a fall of copy error at fixed architecture."""
    eff, _ = arch_effects(world)
    info = world.set_index("code")
    arch_err = []
    for codes in gens["codes"]:
        vals = []
        if isinstance(codes, str):
            for c in map(int, codes.split()):
                if c in info.index and bool(info.at[c, "viable"]):
                    vals.append(eff[info.at[c, "arch"]])
        arch_err.append(float(np.mean(vals)) if vals else float("nan"))
    out = gens.assign(self_error_arch=arch_err)
    return out.assign(self_error_within=out["self_error"] - out["self_error_arch"])


def slopes(gens: pd.DataFrame, metric: str, start: int = 1) -> pd.DataFrame:
    """Least-squares slope of `metric` over generations >= start, per (condition, repeat)."""
    out = []
    for (cond, rep), g in gens.groupby(["condition", "repeat"]):
        g = g[(g["generation"] >= start) & g[metric].notna()]
        slope = float(np.polyfit(g["generation"], g[metric], 1)[0]) if len(g) >= 2 else float("nan")
        out.append({"condition": cond, "repeat": rep, "metric": metric, "slope": slope})
    return pd.DataFrame(out)


def serann_table(gens: pd.DataFrame, checkpoints: tuple[int, ...]) -> pd.DataFrame:
    """Generation checkpoints x condition -> mean and SD over repeats of every metric."""
    g = gens[gens["generation"].isin(checkpoints)]
    metrics = [
        "fitness",
        "survival",
        "mut_rate",
        "self_error",
        "n_unique",
        "shannon",
        "hamming",
        "loss_balance",
    ]
    agg = g.groupby(["condition", "generation"])[metrics].agg(["mean", "std"])
    return agg
