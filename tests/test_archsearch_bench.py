"""DigitsMLP-Bench: building (resumable, deterministic, atomic), reading, look-ups."""

import numpy as np
import pytest

from selfrep.archsearch.bench import (
    BENCH_PATH,
    Bench,
    build_bench,
    read_csv,
    slice_configs,
    synthetic_bench,
    verify_slice,
)
from selfrep.archsearch.space import ArchConfig, BenchTrainConfig, SearchSpace

TINY = SearchSpace(depths=(1, 2), widths=(16, 64), activations=("relu",))
FAST = BenchTrainConfig(epochs=2, record_epochs=(1,))


@pytest.mark.slow  # spawns a 2-process pool (~10-20 s on a busy 2-core machine)
def test_build_resume_and_worker_count_give_identical_tables(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    # 12 configs in TINY, 10 distinct; stop after 5 rows, then resume
    assert build_bench(a, TINY, seeds=(0, 1), train=FAST, limit=5, progress=False) is None
    assert not a.exists() and (tmp_path / "a.csv.partial").exists()
    with open(tmp_path / "a.csv.partial", "a") as f:
        f.write("16-16|relu|nosk")  # a torn line from a killed run is ignored
    assert build_bench(a, TINY, seeds=(0, 1), train=FAST, progress=False) == a
    assert not (tmp_path / "a.csv.partial").exists()
    build_bench(b, TINY, seeds=(0, 1), train=FAST, workers=2, progress=False)
    (_, ra), (mb, rb) = read_csv(a), read_csv(b)
    cols = [c for c in ra.columns if c != "cpu_s"]
    assert ra[cols].equals(rb[cols])
    assert len(ra) == 2 * len(TINY.unique_configs()) == 20
    assert mb["build"]["n_rows"] == 20 and mb["seeds"] == [0, 1]
    bench = Bench.load(b)
    assert len(bench) == TINY.size == 12
    # the duplicate (skip that applies nowhere) reads its canonical row
    dup = bench.lookup(ArchConfig((16,), "relu", True))
    assert dup.canonical == ArchConfig((16,), "relu", False)
    assert dup.val_acc_seeds == bench.lookup(dup.canonical).val_acc_seeds
    # and a retrained slice reproduces the stored rows
    df = verify_slice(bench, n=2, seeds=(1,))
    assert len(df) == 2 and df["val_absdiff"].max() < 1e-6 and df["test_absdiff"].max() < 1e-6


def test_partial_from_other_setup_is_refused(tmp_path):
    a = tmp_path / "a.csv"
    build_bench(a, TINY, seeds=(0,), train=FAST, limit=1, progress=False)
    with pytest.raises(ValueError, match="different"):
        build_bench(a, TINY, seeds=(0, 1), train=FAST, limit=1, progress=False)
    assert build_bench(a, TINY, seeds=(0, 1), train=FAST, limit=1, progress=False, restart=True) is None


def test_build_validates_workers(tmp_path):
    with pytest.raises(ValueError, match="workers"):
        build_bench(tmp_path / "x.csv", TINY, workers=3, progress=False)


def test_synthetic_bench_lookup_and_frame():
    b = synthetic_bench(TINY, seeds=(0, 1, 2))
    assert b.val.shape == (12, 3) and not np.isnan(b.test).any()
    e = b.lookup(ArchConfig((64, 64), "relu", True))
    assert e.val_acc == pytest.approx(np.mean(e.val_acc_seeds))
    assert e.n_params == ArchConfig((64, 64), "relu").n_params()
    df = b.frame()
    assert len(df) == 12 and df["canonical"].sum() == 10
    with pytest.raises(ValueError, match="cfg"):
        b.index(ArchConfig((32,), "relu"))
    assert len(slice_configs(b, 4)) == 4


@pytest.mark.skipif(not BENCH_PATH.exists(), reason="shipped table not built yet")
def test_shipped_table_is_complete():
    b = Bench.load()
    assert len(b) == 2040 and int(b.is_canonical.sum()) == 1680
    assert len(b.seeds) >= 2
    assert b.meta["train"]["epochs"] == 20
    assert 0.9 < b.val_mean.max() <= 1.0
    assert b.lookup(ArchConfig((64, 64), "relu")).train_s > 0


@pytest.mark.skipif(not BENCH_PATH.exists(), reason="shipped table not built yet")
def test_shipped_table_reproduces_a_retrained_slice():
    # bit-identical on the machine that built it; other CPUs may differ by a sample or two
    df = verify_slice(Bench.load(), n=2, seeds=(0,))
    assert len(df) == 2 and df["val_absdiff"].max() <= 0.02 and df["test_absdiff"].max() <= 0.02


def test_cli_refuses_to_overwrite_without_force(tmp_path, capsys):
    from selfrep.cli import main

    out = tmp_path / "t.csv"
    out.write_text("x")
    assert main(["archsearch", "build-bench", "--out", str(out), "--no-progress"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["archsearch", "build-bench", "--out", str(tmp_path / "u.csv"), "--workers", "5"]) == 2
