"""SeRANN-lite: genotype code, the generation step (endogenous mutation, fertility, controls),
purity."""

import numpy as np
import pandas as pd
import pytest

from selfrep.selfmod.serann import (
    BITS,
    N_GENOTYPES,
    Phenotype,
    SerannConfig,
    decode,
    from_bits,
    run_population,
    run_serann,
    slopes,
    to_bits,
    train_phenotype,
)


class FakeWorld:
    """A phenotype table without training: accuracy and copy probabilities chosen by the test."""

    def __init__(self, copy_noise: float, acc=lambda code: 0.5 + (code % 7) / 20):
        self.copy_noise, self.acc = copy_noise, acc

    def __call__(self, code: int) -> Phenotype:
        arch, _ = decode(int(code))
        own = to_bits(int(code)).astype(float)
        p = own * (1 - self.copy_noise) + (1 - own) * self.copy_noise
        return Phenotype(
            int(code),
            arch is not None,
            self.acc(code) if arch else 0.0,
            p,
            self.copy_noise * BITS,
            0.5 * BITS,
            100,
        )


CFG = SerannConfig(pop=40, generations=3, repeats=1, trivial_genotype=0)


def test_genotype_code():
    assert all(np.array_equal(to_bits(c), to_bits(int(from_bits(to_bits(c))))) for c in range(N_GENOTYPES))
    viable = [c for c in range(N_GENOTYPES) if decode(c)[0] is not None]
    assert len(viable) == N_GENOTYPES * 3 // 4
    arch, lam = decode(0)
    assert arch.widths == (16,) and arch.activation == "relu" and not arch.skip and lam == 1 / 16
    arch, lam = decode(int(from_bits(np.array([1, 1, 1, 1, 1, 0, 1, 1, 1, 1]))))
    assert arch.widths == (128,) * 4 and arch.activation == "tanh" and arch.skip and lam == 15 / 16
    assert decode(int(from_bits(np.array([0, 0, 0, 0, 1, 1, 0, 0, 0, 0]))))[0] is None  # invalid code
    with pytest.raises(ValueError, match="code"):
        decode(N_GENOTYPES)


def _init(rng):
    return np.array([c for c in rng.permutation(N_GENOTYPES) if decode(int(c))[0]][: CFG.pop])


def test_perfect_self_copies_make_no_mutations():
    rng = np.random.default_rng(0)
    df = run_population(CFG, FakeWorld(0.0), "endogenous", rng, _init(rng))
    assert (df["mut_rate"].iloc[1:] == 0).all()
    assert (df["survival"] == 1).all()


def test_endogenous_mutation_rate_is_the_copy_error():
    rng = np.random.default_rng(1)
    df = run_population(CFG, FakeWorld(0.1), "endogenous", rng, _init(rng))
    assert abs(df["mut_rate"].iloc[1:].mean() - 0.1 * BITS) < 0.35


def test_fertility_is_accuracy_and_the_non_viable_never_reproduce():
    # only one viable genotype among the parents: every child descends from it
    rng = np.random.default_rng(2)
    bad = int(from_bits(np.array([0, 0, 0, 0, 1, 1, 0, 0, 0, 0])))
    init = np.array([5] + [bad] * (CFG.pop - 1))
    df = run_population(CFG, FakeWorld(0.0), "endogenous", rng, init)
    assert df["survival"].iloc[0] == pytest.approx(1 / CFG.pop)
    assert df["n_unique"].iloc[1] == 1 and df["survival"].iloc[1] == 1


def test_exogenous_rate_and_trivial_replicator():
    rng = np.random.default_rng(3)
    init = _init(rng)
    exo0 = run_population(CFG, FakeWorld(0.3), "exogenous", np.random.default_rng(4), init, exo_rate=0.0)
    assert (exo0["mut_rate"].iloc[1:] == 0).all()  # the head's (bad) copies are not used
    exo = run_population(CFG, FakeWorld(0.0), "exogenous", np.random.default_rng(4), init, exo_rate=0.2)
    assert abs(exo["mut_rate"].iloc[1:].mean() - 0.2 * BITS) < 0.5
    triv = run_population(CFG, FakeWorld(0.3), "trivial", np.random.default_rng(5), init)
    assert (triv["n_unique"].iloc[1:] == 1).all() and (triv["mut_rate"].iloc[2:] == 0).all()
    with pytest.raises(ValueError, match="condition"):
        run_population(CFG, FakeWorld(0.0), "lamarck", rng, init)
    with pytest.raises(ValueError, match="exo_rate"):
        run_population(CFG, FakeWorld(0.0), "exogenous", rng, init, exo_rate=2.0)


def test_extinction_is_an_outcome_not_a_crash():
    bad = int(from_bits(np.array([0, 0, 0, 0, 1, 1, 0, 0, 0, 0])))
    df = run_population(
        CFG, FakeWorld(0.0), "endogenous", np.random.default_rng(6), np.array([bad] * CFG.pop)
    )
    assert df["fitness"].iloc[0] == 0 and df["fitness"].iloc[1:].isna().all()
    assert len(df) == CFG.generations + 1


def test_phenotype_and_run_are_pure_functions():
    cfg = SerannConfig(pop=4, generations=2, repeats=1, epochs=1)
    a, b = train_phenotype(cfg, 37, 0), train_phenotype(cfg, 37, 0)
    assert a.viable and a.val_acc == b.val_acc and np.array_equal(a.copy_p, b.copy_p)
    assert a.copy_p.shape == (BITS,) and 0 <= a.self_error <= BITS
    r1, r2 = run_serann(cfg, 0), run_serann(cfg, 0)
    for k in r1:
        pd.testing.assert_frame_equal(r1[k], r2[k])
    g = r1["generations"]
    assert set(g["condition"]) == {"endogenous", "exogenous", "exogenous_low", "trivial"}
    # the low-rate control flips at the endogenous twin's second-half rate (bits / BITS)
    endo = g[(g["condition"] == "endogenous") & (g["generation"] >= 1)]["mut_rate"].mean()
    low = g[g["condition"] == "exogenous_low"]["exo_rate"].iloc[0]
    assert low == pytest.approx(endo / BITS)
    s = slopes(g, "fitness")
    assert len(s) == 4


def test_config_validation():
    with pytest.raises(ValueError, match="trivial_genotype"):
        SerannConfig(trivial_genotype=int(from_bits(np.array([0, 0, 0, 0, 1, 1, 0, 0, 0, 0]))))
    with pytest.raises(ValueError, match="pop"):
        SerannConfig(pop=1)


def test_architecture_effects_split_the_copy_error():
    from selfrep.selfmod.serann import add_arch_split, arch_effects

    # two architectures, copy error = 1 (arch A) or 3 (arch B) + 2 * (lambda - 0.5)
    world = pd.DataFrame(
        [
            dict(code=c, arch=a, loss_balance=lam, viable=True, self_error=base + 2 * (lam - 0.5))
            for c, (a, base, lam) in enumerate(
                [("A", 1.0, 0.25), ("A", 1.0, 0.75), ("B", 3.0, 0.25), ("B", 3.0, 0.5)]
            )
        ]
        + [dict(code=9, arch="invalid", loss_balance=0.5, viable=False, self_error=0.0)]
    )
    eff, b = arch_effects(world)
    assert eff == pytest.approx({"A": 1.0, "B": 3.0}) and b == pytest.approx(2.0)
    gens = pd.DataFrame({"codes": ["0 2 9", "1 1", np.nan], "self_error": [1.5, 1.5, np.nan]})
    out = add_arch_split(gens, world)
    assert out["self_error_arch"].iloc[0] == pytest.approx(2.0)  # viable individuals only
    assert out["self_error_within"].iloc[1] == pytest.approx(0.5)
    assert np.isnan(out["self_error_arch"].iloc[2])
