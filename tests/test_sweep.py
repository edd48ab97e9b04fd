"""`selfrep sweep` on Dask and the seed-stability table: seeds parsing, bad input, failures and resume on a
real LocalCluster, the independence of a task from where it ran, `selfrep claims --stability`, and the
seed columns of the reproducibility page and the chapters' claims tables."""

from __future__ import annotations

import json
import os
import shutil

import psutil
import pytest

import selfrep.book.ledger as ledger_mod
import selfrep.chapters as chapters_mod
import selfrep.claims as claims_mod
from selfrep.book import stability as st
from selfrep.book.layout import Layout
from selfrep.book.report import report_markdown
from selfrep.book.results import THREAD_ENV_VARS
from selfrep.book.sweep import parse_seeds, run_sweep
from selfrep.claims import Claim, at_least
from selfrep.cli import main
from selfrep.files import write_json_atomic
from tests.book_helpers import REPO, make_fixture_root

# ---------------------------------------------------------------------------- pure functions


def test_parse_seeds():
    assert parse_seeds("0-19") == list(range(20))
    assert parse_seeds("0,3,5-7") == [0, 3, 5, 6, 7]
    assert parse_seeds("2, 2,1") == [2, 1]
    for bad in ("", "a", "3-1", "-1", "1-"):
        with pytest.raises(ValueError, match="^seeds: "):
            parse_seeds(bad)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"workers": 0}, "^workers: must be an int >= 1, got 0"),
        ({"scheduler": "localhost:8786"}, "^scheduler: expected an address such as tcp://"),
        ({"scale": "huge"}, "^scale: unknown scale 'huge'"),
        ({"seeds": []}, "^seeds: no seed given"),
        ({"chapters": ["nope"]}, "^chapter: unknown chapter 'nope'"),
    ],
)
def test_sweep_bad_input_names_the_parameter_before_any_cluster(tmp_path, kwargs, match):
    layout = Layout.at(make_fixture_root(tmp_path, ["ok"]))
    args = {"chapters": ["ok"], "seeds": [0], **kwargs}
    with pytest.raises(ValueError, match=match):
        run_sweep(layout, args.pop("chapters"), args.pop("seeds"), progress=False, **args)
    assert not (layout.build / "sweeps").exists() or not any((layout.build / "sweeps").rglob("*.json"))


def _claim(id, split=None):
    return at_least(
        id, "ch", "most nets are fixpoints", paper="50/50", value="frac", holds=0.9, partly=0.5,
        expected="holds", seed_dependent=split,
    )  # fmt: skip


def _result(frac, seed, scale="ci"):
    return {
        "chapter": "ch",
        "scale": scale,
        "seed": seed,
        "versions": {},
        "wall_s": 1.0,
        "values": {"frac": frac},
    }


def test_summarize_counts_verdicts_and_spreads_the_numbers():
    by_seed = {s: {"ch": _result(f, s)} for s, f in enumerate((0.95, 0.7, 0.99))}
    out = st.summarize(by_seed, "ci", [_claim("X1"), _claim("X2", {"ci": {"holds": 2, "partly": 1}})])
    x1 = out["X1"]
    assert x1["by_seed"] == {"0": "holds", "1": "partly", "2": "holds"}
    assert x1["counts"] == {"holds": 2, "partly": 1} and x1["recorded"] == "holds"
    assert x1["values"]["frac"] == {"median": 0.95, "min": 0.7, "max": 0.99}
    assert st.label(x1) == "holds 2, partly 1 of 3" and not st.unanimous(x1)
    assert out["X2"]["seed_dependent"] == {"holds": 2, "partly": 1}
    one = st.summarize({0: {"ch": _result(0.95, 0)}}, "ci", [_claim("X1")])["X1"]
    assert st.label(one) == "1/1 holds"
    with pytest.raises(ValueError, match="^scale: results of 'ch' for seed 0"):
        st.summarize({0: {"ch": _result(0.95, 0, "paper")}}, "ci", [_claim("X1")])


def test_stability_check_needs_two_of_three_unless_declared():
    def sweep(fracs, split=None):
        by_seed = {s: {"ch": _result(f, s)} for s, f in enumerate(fracs)}
        return {"seeds": list(by_seed), "claims": st.summarize(by_seed, "ci", [_claim("X1", split)])}

    assert st.failures(sweep((0.95, 0.7, 0.99))) == []  # holds for 2 of 3
    (line,) = st.failures(sweep((0.95, 0.7, 0.6)))  # holds for 1 of 3
    assert line.startswith("X1 (ch): recorded verdict holds for 1 of 3 seeds (needs 2)")
    assert "partly 2" in line
    declared = sweep((0.95, 0.7, 0.6), {"ci": {"holds": 1, "partly": 2}})
    assert st.failures(declared) == [] and st.declared_drift(declared) == []
    drifted = sweep((0.95, 0.7, 0.6), {"ci": {"holds": 2, "partly": 1}})
    assert st.failures(drifted) == [] and st.declared_drift(drifted)[0].startswith("X1: declared")


def test_seed_dependent_declaration_is_validated():
    for bad in ({"ci": {"holds": 3}}, {"ci": {"maybe": 1, "holds": 2}}, {"ci": {"holds": 0, "partly": 3}}):
        with pytest.raises(ValueError, match=r"^seed_dependent\['ci'\]"):
            _claim("X1", bad)
    assert isinstance(_claim("X1", {"ci": {"holds": 1, "differs": 2}}), Claim)


def _sweep_file(tmp_path, fracs, split=None, monkeypatch=None):
    by_seed = {s: {"ch": _result(f, s)} for s, f in enumerate(fracs)}
    data = {
        "format": st.FORMAT,
        "scale": "ci",
        "seeds": list(by_seed),
        "chapters": ["ch"],
        "created_at": "2026-12-07T12:00:00+00:00",
        "workers": "a LocalCluster of 2 worker process(es)",
        "tasks": {},
        "claims": st.summarize(by_seed, "ci", [_claim("X1", split)]),
    }
    write_json_atomic(tmp_path / "sweeps" / "ci.json", data)
    return data


def test_claims_stability_prints_and_checks(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(ledger_mod, "all_claims", lambda: [_claim("X1")])
    rc = main(["claims", "--stability", "--sweeps", str(tmp_path / "sweeps")])
    err = capsys.readouterr().err
    assert rc == 2 and "stability: no sweep in" in err and "selfrep sweep" in err
    _sweep_file(tmp_path, (0.95, 0.7, 0.6))
    rc = main(["claims", "--stability", "--sweeps", str(tmp_path / "sweeps")])
    out = capsys.readouterr().out
    assert rc == 0 and "scale ci: 3 seed(s) (0, 1, 2)" in out
    assert "VARIES: holds 1, partly 2 of 3" in out and "frac 0.7 [0.6, 0.95]" in out
    rc = main(["claims", "--stability", "--check", "--sweeps", str(tmp_path / "sweeps")])
    err = capsys.readouterr().err
    assert rc == 1 and "claims: stability at ci: X1 (ch): recorded verdict holds for 1 of 3" in err
    _sweep_file(tmp_path, (0.95, 0.7, 0.6), {"ci": {"holds": 1, "partly": 2}})
    assert main(["claims", "--stability", "--check", "--sweeps", str(tmp_path / "sweeps")]) == 0
    rc = main(["claims", "--stability", "--scale", "paper", "--sweeps", str(tmp_path / "sweeps")])
    assert rc == 2 and "no sweep at scale paper" in capsys.readouterr().err


def test_report_and_claims_tables_show_the_stability(tmp_path):
    sweep = _sweep_file(tmp_path, (0.95, 0.7, 0.99))
    result = _result(0.95, 0)
    page = report_markdown({"ch": result}, ["ch"], {"ci": sweep})
    assert "## Seed stability" in page and "scale **ci** over **3** seed(s) (0, 1, 2)" in page
    assert "⚠ holds 2, partly 1 of 3" in page and "⚠ marks the 1 that do not (X1)" in page
    assert "No seed sweep has been run" in report_markdown({"ch": result}, ["ch"], {})
    html = claims_mod.claims_table([_claim("X1")], {"frac": 0.95}, "ci").to_html()
    filled = st.fill_seed_cells(html, sweep)
    assert "⚠ holds 2, partly 1 of 3" in filled and "selfrep-seeds-varies" in filled
    assert 'title="no seed sweep at this scale">—<' in st.fill_seed_cells(html, None)


# ---------------------------------------------------------------------------- on a real LocalCluster


def _dask_processes() -> list[psutil.Process]:
    """Our children that a sweep starts: Dask worker processes (spawned) and Jupyter kernels."""
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(p.cmdline())
        except psutil.Error:
            continue
        if "spawn_main" in cmd or "ipykernel" in cmd:
            out.append(p)
    return out


@pytest.mark.slow
def test_sweep_keeps_going_past_a_failure_and_resumes(tmp_path):
    layout = Layout.at(make_fixture_root(tmp_path, ["ok", "fail"]))
    lines: list[str] = []
    sweep = run_sweep(layout, ["ok", "fail"], [0, 1], workers=2, progress=False, log=lines.append)
    assert sorted((o.chapter, o.seed, o.status) for o in sweep.outcomes) == [
        ("fail", 0, "failed"), ("fail", 1, "failed"), ("ok", 0, "executed"), ("ok", 1, "executed"),
    ]  # fmt: skip
    assert sweep.path is None and not (layout.build / "sweeps" / "ci.json").exists()
    for seed in (0, 1):
        task = layout.build / "sweeps" / "ci" / f"seed-{seed}"
        assert (task / "failed" / "fail.ipynb").is_file()  # the partly executed notebook is kept
        assert json.loads((task / "results" / "ok.json").read_text())["seed"] == seed
        assert any(ln.startswith(f"  FAILED fail seed {seed}: chapter 'fail' failed: cell") for ln in lines)
    assert not _dask_processes()  # the cluster is closed, no worker or kernel left behind
    again = run_sweep(layout, ["ok"], [0, 1], workers=2, progress=False, log=lambda line: None)
    assert [o.status for o in again.outcomes] == ["cached", "cached"]  # not executed again
    assert again.path == layout.build / "sweeps" / "ci.json"
    assert json.loads(again.path.read_text())["seeds"] == [0, 1]


@pytest.mark.book
def test_sweep_chapter_04_on_two_workers_equals_the_chapter_run_alone(book_run, tmp_path, capsys):
    """The issue's "done when": `selfrep sweep 04 --seeds 0-1 --scale ci --workers 2` on a real
    LocalCluster; a (chapter, seed) gives the same numbers inside the sweep as run alone."""
    alone = book_run.chapter("04_mixed").result  # `selfrep run 04 --scale ci` (seed 0), its own process
    build = tmp_path / "_build"
    before = {var: os.environ.get(var) for var in THREAD_ENV_VARS}
    rc = main(
        ["sweep", "04", "--seeds", "0-1", "--scale", "ci", "--workers", "2", "--no-reuse"]
        + ["--root", str(REPO), "--build-dir", str(build)]
    )
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "2 task(s) on a LocalCluster of 2 worker process(es)" in err
    assert not _dask_processes()
    swept = {
        s: json.loads((build / "sweeps" / "ci" / f"seed-{s}" / "results" / "04_mixed.json").read_text())
        for s in (0, 1)
    }
    assert swept[0]["values"] == alone["values"]  # bit for bit: same runner, same (chapter, seed)
    assert swept[0]["cache_key"] == alone["cache_key"]
    assert swept[1]["values"] != swept[0]["values"]  # and the seed does reach the chapter
    for var in THREAD_ENV_VARS:  # the kernel got this shell's thread settings, not Dask's
        assert swept[1]["environment"][var] == before[var] == os.environ.get(var)
    data = json.loads((build / "sweeps" / "ci.json").read_text())
    assert data["seeds"] == [0, 1] and data["chapters"] == ["04_mixed"]
    ids = [c.id for c in chapters_mod.all_claims() if c.chapter == "04_mixed"]
    assert ids and sorted(data["claims"]) == sorted(ids)
    assert all(sum(e["counts"].values()) == 2 for e in data["claims"].values())
    assert main(["claims", "--stability", "--sweeps", str(build / "sweeps")]) == 0
    assert ids[0] in capsys.readouterr().out


def test_sweep_reuses_the_main_builds_results_under_the_same_key(fixture_book):
    """Seed 0 of `selfrep run` (the fixture book, executed once per session) is copied into the sweep,
    not executed again: no cluster is started when nothing is left to execute."""
    layout, runs = fixture_book
    ok = next(r for r in runs if r.chapter == "ok")
    try:
        lines: list[str] = []
        sweep = run_sweep(layout, ["ok"], [0], workers=1, progress=False, log=lines.append)
        (o,) = sweep.outcomes
        assert (o.status, o.result["values"], o.result["cache_key"]) == (
            "reused", ok.result["values"], ok.result["cache_key"],
        )  # fmt: skip
        assert sweep.workers == "nothing to execute" and sweep.path is not None
        task = layout.build / "sweeps" / "ci" / "seed-0"
        assert (task / "executed" / "book" / "ok.ipynb").read_bytes() == (
            layout.executed_book / "ok.ipynb"
        ).read_bytes()
        again = run_sweep(layout, ["ok"], [0], workers=1, progress=False, log=lines.append)
        assert [o.status for o in again.outcomes] == ["cached"]
    finally:  # the session's fixture book is shared: leave no sweep behind
        shutil.rmtree(layout.build / "sweeps", ignore_errors=True)
