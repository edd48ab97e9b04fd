"""`selfrep run` on fixture notebooks: parameters, glue read-back, cache, failures, bad input."""

from __future__ import annotations

import json
import os

import pytest

from selfrep.book.cache import chapter_key
from selfrep.book.layout import Layout, chapter_stems, check_toc, resolve_chapters
from selfrep.book.outputs import GLUE_PREFIX, figure_count, glued_values
from selfrep.book.parameters import chapter_parameters
from selfrep.book.results import REQUIRED_KEYS, load_results
from selfrep.book.run import ChapterFailed, run_chapter, run_chapters
from selfrep.cli import main
from tests.book_helpers import REPO, make_fixture_root

# ---------------------------------------------------------------------------- pure functions


def _glue_output(name, plain, prefix=GLUE_PREFIX, extra=None):
    data = {prefix + "text/plain": plain, **(extra or {})}
    return {
        "output_type": "display_data",
        "data": data,
        "metadata": {"scrapbook": {"name": name, "mime_prefix": prefix}},
    }


def _nb(*outputs):
    return {"cells": [{"cell_type": "code", "source": "", "outputs": list(outputs)}]}


def test_glued_values_parses_plain_values_and_numpy_scalars():
    nb = _nb(
        _glue_output("i", "3"),
        _glue_output("f", "0.25"),
        _glue_output("np", "np.float64(0.5)"),
        _glue_output("npint", "np.int64(7)"),
        _glue_output("nan", "nan"),
        _glue_output("s", "'weightwise'"),
        _glue_output("b", "True"),
        _glue_output("shown", "1.5", prefix=""),  # glue(..., display=True)
        _glue_output("fig", "<Figure>", extra={GLUE_PREFIX + "image/png": "iVBOR"}),
        {"output_type": "stream", "name": "stdout", "text": "not a glue"},
    )
    v = glued_values(nb)
    assert v == {
        "i": 3,
        "f": 0.25,
        "np": 0.5,
        "npint": 7,
        "nan": v["nan"],
        "s": "weightwise",
        "b": True,
        "shown": 1.5,
    }
    assert v["nan"] != v["nan"]
    assert figure_count(nb) == 1


def test_figure_count_counts_a_shown_figure_once():
    """`show(name, fig)` glues the figure (the site's copy) and displays it (JupyterLab's copy, in a
    cell tagged remove-output): one figure. A displayed image in a cell the site keeps counts too."""
    png = {"image/png": "iVBOR", "text/plain": "<Figure>"}
    glued = _glue_output("fig_a", "<Figure>", extra={GLUE_PREFIX + "image/png": "iVBOR"})
    shown = {"output_type": "display_data", "data": png, "metadata": {}}
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["remove-output"]}, "outputs": [glued, shown]},
            {"cell_type": "code", "metadata": {}, "outputs": [dict(shown)]},
            {"cell_type": "code", "metadata": {"tags": ["remove-cell"]}, "outputs": [dict(shown)]},
        ]
    }
    assert figure_count(nb) == 2


def test_the_kernel_log_drops_only_the_expected_message():
    import logging

    from selfrep.book.kernel import ExpectedMessages

    def record(level, msg):
        return logging.LogRecord("IPKernelApp", level, __file__, 1, msg, None, None)

    f = ExpectedMessages()
    assert f.filter(record(logging.WARNING, "Kernel is running over TCP without encryption. All ..."))
    assert not f.filter(record(logging.ERROR, "KeyboardInterrupt caught in kernel."))
    assert not f.filter(record(logging.ERROR, "KeyboardInterrupt caught in kernel"))
    assert f.filter(record(logging.ERROR, "Exception in message handler:"))
    assert f.filter(record(logging.WARNING, "some other warning"))


def test_chapters_run_with_this_interpreter_whatever_kernels_are_installed(tmp_path, monkeypatch):
    import sys

    from selfrep.book.kernel import KERNEL_NAME, kernel_manager_class

    # a kernel named like the project's, installed for another interpreter, is not used
    spec = tmp_path / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    argv = ["/elsewhere/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "x", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    km = kernel_manager_class()(kernel_name=KERNEL_NAME)
    assert km.kernel_spec.argv[:3] == [sys.executable, "-m", "selfrep.book.kernel"]


def test_kernels_started_at_once_talk_over_sockets_of_their_own(tmp_path):
    """Two kernels started together (the workers of a sweep) cannot be handed the same address: each
    listens on Unix-domain sockets under its own folder, which goes when the kernel is shut down."""
    from selfrep.book.kernel import kernel_environment, kernel_manager_class

    cls = kernel_manager_class()
    managers = [cls() for _ in range(3)]
    with kernel_environment(tmp_path / "backend.log"):
        for km in managers:
            km.start_kernel()
    try:
        infos = [km.get_connection_info() for km in managers]
        assert {info["transport"] for info in infos} == {"ipc"}
        folders = {os.path.dirname(info["ip"]) for info in infos}
        assert len(folders) == 3 and all(os.path.isdir(f) for f in folders)
        for km in managers:
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            reply = kc.execute_interactive("x = 6 * 7", timeout=60)
            assert reply["content"]["status"] == "ok"
            kc.stop_channels()
    finally:
        for km in managers:
            km.shutdown_kernel(now=True)
    assert not any(os.path.exists(f) for f in folders)


@pytest.mark.parametrize("plain", ["[1, 2]", "tensor(0.5)", "<object at 0x1>", "{'a': 1}"])
def test_glued_values_rejects_non_scalars_naming_the_glue(plain):
    with pytest.raises(ValueError, match="glue: 'x'"):
        glued_values(_nb(_glue_output("x", plain)))


def test_resolve_chapters_accepts_stems_prefixes_and_file_names(tmp_path):
    for stem in ("01_a", "06_arch", "06b_self"):
        (tmp_path / f"{stem}.ipynb").write_text("{}")
    assert resolve_chapters(["01", "06", "06b", "book/06_arch.ipynb"], tmp_path) == [
        "01_a",
        "06_arch",
        "06b_self",
    ]
    with pytest.raises(ValueError, match="chapter: unknown chapter 'zz'"):
        resolve_chapters(["zz"], tmp_path)
    with pytest.raises(ValueError, match="chapter: ambiguous chapter '0'"):
        resolve_chapters(["0"], tmp_path)


def test_chapter_parameters_only_for_declared_names(tmp_path):
    layout = Layout.at(make_fixture_root(tmp_path, ["ok", "noparams"]))
    ok, noparams = layout.book / "ok.ipynb", layout.book / "noparams.ipynb"
    assert chapter_parameters(ok, "paper", 3) == {"scale": "paper", "seed": 3}
    assert chapter_parameters(noparams, "paper", 3) == {}  # defaults are not forced on it
    with pytest.raises(
        ValueError,
        match="parameters: noparams.ipynb has no cell tagged 'parameters', so it cannot take seed",
    ):
        chapter_parameters(noparams, "ci", 3, explicit=["seed"])
    with pytest.raises(ValueError, match="parameters: ok.ipynb does not declare n_nets"):
        chapter_parameters(ok, "ci", 0, extra={"n_nets": 5})


def test_cache_key_changes_with_every_input(tmp_path):
    layout = Layout.at(make_fixture_root(tmp_path, ["ok"]))
    nb = layout.book / "ok.ipynb"
    base = chapter_key(nb, {"scale": "ci", "seed": 0}, "ci", 0)
    assert base == chapter_key(nb, {"seed": 0, "scale": "ci"}, "ci", 0)  # order-free
    assert base != chapter_key(nb, {"scale": "ci", "seed": 1}, "ci", 1)
    assert base != chapter_key(nb, {"scale": "paper", "seed": 0}, "paper", 0)
    nb.write_text(nb.read_text().replace("Fixture chapter", "Fixture chapter!"))
    assert base != chapter_key(nb, {"scale": "ci", "seed": 0}, "ci", 0)


def test_check_toc_names_unlisted_and_unbuilt_pages(tmp_path):
    layout = Layout.at(make_fixture_root(tmp_path, ["ok", "noparams"], toc_chapters=["ok"]))
    with pytest.raises(ValueError) as err:
        check_toc(layout)
    msg = str(err.value)
    assert "book/noparams.ipynb is not listed in _toc.yml" in msg
    assert "book/ok is listed in _toc.yml but was not executed" in msg


# ---------------------------------------------------------------------------- executing fixtures


@pytest.mark.book
def test_run_writes_executed_notebooks_and_results(fixture_book):
    layout, runs = fixture_book
    assert [r.chapter for r in runs] == ["noparams", "ok"]
    res = load_results(layout.results)
    for r in runs:
        assert set(REQUIRED_KEYS) <= set(res[r.chapter])
        assert (layout.executed_book / f"{r.chapter}.ipynb").is_file()
        assert res[r.chapter]["wall_s"] > 0
    ok = res["ok"]
    assert ok["scale"] == "ci" and ok["seed"] == 0 and ok["parameters"] == {"scale": "ci", "seed": 0}
    assert ok["values"]["n"] == 8 and ok["values"]["label"] == "ci"
    assert isinstance(ok["values"]["np_max"], float)  # np.float64 glued, read back as a float
    assert ok["figures"] >= 1 and "fig_sorted" not in ok["values"]
    assert res["noparams"]["values"] == {"answer": 42} and res["noparams"]["parameters"] == {}
    # support files are staged next to the executed notebooks; sources stay without outputs
    assert (layout.executed_book / "intro.md").is_file()
    assert (layout.executed_book / "references.bib").is_file()
    src = json.loads((layout.book / "ok.ipynb").read_text())
    assert all(not c.get("outputs") for c in src["cells"] if c["cell_type"] == "code")
    # the injected parameters cell is present, below the parameters cell
    executed = json.loads((layout.executed_book / "ok.ipynb").read_text())
    tags = [c["metadata"].get("tags", []) for c in executed["cells"]]
    assert tags.index(["injected-parameters"]) == tags.index(["parameters", "remove-cell"]) + 1
    # no temp files left behind
    leftovers = [p.name for p in layout.build.rglob("*") if p.name.endswith((".tmp", ".partial.ipynb"))]
    assert leftovers == []


@pytest.mark.book
def test_unchanged_chapter_is_cached_and_force_reexecutes(fixture_book):
    layout, _ = fixture_book
    executed = layout.executed_book / "noparams.ipynb"
    results = layout.results / "noparams.json"
    before = (executed.stat().st_mtime_ns, results.read_text())
    again = run_chapter(layout, "noparams")
    assert again.status == "cached"
    assert (executed.stat().st_mtime_ns, results.read_text()) == before
    forced = run_chapter(layout, "noparams", force=True)
    assert forced.status == "executed"
    assert json.loads(results.read_text())["executed_at"] >= json.loads(before[1])["executed_at"]


@pytest.fixture(scope="module")
def bad_book(tmp_path_factory):
    return Layout.at(make_fixture_root(tmp_path_factory.mktemp("bad"), ["fail", "badglue", "ok"]))


@pytest.mark.book
def test_failing_chapter_fails_loudly_naming_chapter_and_cell(bad_book, capsys):
    # a stale result must not survive a failed run
    bad_book.results.mkdir(parents=True, exist_ok=True)
    (bad_book.results / "fail.json").write_text("{}")
    rc = main(["run", "--root", str(bad_book.root), "fail", "ok"])
    err = capsys.readouterr().err
    assert rc == 1
    line = [ln for ln in err.splitlines() if ln.startswith("selfrep run: error:")]
    assert len(line) == 1
    assert "chapter 'fail' failed" in line[0]
    assert 'cell 4 (raise RuntimeError("boom"))' in line[0]
    assert "RuntimeError: boom" in line[0]
    # a failed run leaves what was there before (and never a new executed notebook) in place
    assert (bad_book.results / "fail.json").read_text() == "{}"
    assert "the previous results are kept" in line[0]
    assert not (bad_book.executed_book / "fail.ipynb").exists()
    assert (bad_book.failed / "fail.ipynb").is_file()
    assert not (bad_book.results / "ok.json").exists()  # stopped at the first failure


@pytest.mark.book
def test_parallel_run_gives_the_same_results_and_fails_loudly(tmp_path, capsys):
    root = make_fixture_root(tmp_path, ["ok", "noparams"])
    runs = run_chapters(Layout.at(root), None, scale="ci", seed=0, progress=False, jobs=2, log=lambda s: None)
    assert [r.chapter for r in runs] == ["noparams", "ok"] and all(r.status == "executed" for r in runs)
    assert runs[1].result["values"]["n"] == 8  # the ci parameter reached the worker's kernel
    bad = make_fixture_root(tmp_path / "bad", ["fail", "ok"])
    rc = main(["run", "--root", str(bad), "--jobs", "2"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("selfrep run: error:")]
    assert rc == 1 and len(err) == 1
    assert "chapter 'fail' failed" in err[0] and "RuntimeError: boom" in err[0]
    assert not (bad / "_build" / "results" / "fail.json").exists()


@pytest.mark.book
def test_non_scalar_glue_fails_the_chapter(bad_book):
    with pytest.raises(ChapterFailed, match="glue: 'pair'"):
        run_chapter(bad_book, "badglue")


# ---------------------------------------------------------------------------- bad input (CLI)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "nosuchchapter"], "selfrep run: error: chapter: unknown chapter 'nosuchchapter'"),
        (["run", "--scale", "huge"], "selfrep run: error: scale: unknown scale 'huge'"),
        (
            ["run", "--seed", "3", "noparams"],
            "selfrep run: error: parameters: noparams.ipynb has no cell tagged 'parameters'",
        ),
        (["run", "-p", "n_nets", "ok"], "selfrep run: error: -p: expected NAME=VALUE"),
        (
            ["run", "-p", "n_nets=5", "ok"],
            "selfrep run: error: parameters: ok.ipynb does not declare n_nets",
        ),
        (["build", "--scale", "huge"], "selfrep build: error: scale: unknown scale 'huge'"),
        (["run", "--jobs", "0", "ok"], "selfrep run: error: jobs: must be an int >= 1"),
        (
            ["run", "--scale", "paper", "-p", "scale=ci", "ok"],
            "selfrep run: error: -p: scale is set only by --scale",
        ),
        (["run", "--seed", "5", "-p", "seed=0", "ok"], "selfrep run: error: -p: seed is set only by --seed"),
        (["run", "--seed", "-1", "ok"], "selfrep run: error: seed: must be an int >= 0, got -1"),
    ],
)
def test_bad_input_is_one_line_naming_the_problem(tmp_path, capsys, argv, expected):
    root = make_fixture_root(tmp_path, ["ok", "noparams"])
    rc = main([argv[0], "--root", str(root), *argv[1:]])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith(expected), err
    assert not (root / "_build" / "results").exists()  # nothing ran


def test_report_lists_claims_in_a_narrow_table_with_each_claim_in_full():
    from selfrep.book.report import report_markdown

    result = {"chapter": "01_self_application", "scale": "ci", "seed": 0, "versions": {}, "wall_s": 1.0}
    md = report_markdown({"01_self_application": {**result, "values": {}}}, ["01_self_application"])
    assert "| id | chapter | verdict | recorded | check |" in md  # fits the page column
    assert "{ref}`P1 <claim-p1>`" in md and "(claim-p1)=\n**P1** (01_self_application)" in md
    assert "- *rule*: " in md and "- *measured*: missing " in md  # no values: says what is missing


def test_report_counts_what_holm_would_change_and_shows_scale_dependent_records(monkeypatch):
    import selfrep.book.ledger as ledger_mod
    import selfrep.chapters as chapters_mod
    from selfrep.book.report import report_markdown
    from selfrep.claims import Claim

    def rule(v):
        return f"z = {v['a_z']}", "holds"

    claims = [
        Claim("T1", "ch", "s", "p", ("a_z",), "r", rule, {"ci": "holds", "paper": "differs"}, tests=("a_z",)),
        Claim("T2", "ch", "s", "p", ("b_z",), "r", rule, "holds", tests=("b_z",)),
    ]
    monkeypatch.setattr(ledger_mod, "all_claims", lambda: claims)
    monkeypatch.setattr(chapters_mod, "all_claims", lambda: claims)
    result = {"chapter": "ch", "scale": "ci", "seed": 0, "versions": {}, "wall_s": 1.0}
    md = report_markdown({"ch": {**result, "values": {"a_z": 2.1, "b_z": 2.2}}}, ["ch"])
    assert "### Multiplicity" in md
    # two tests: z = 2.2 must beat alpha/2 (z > 2.28) and does not, so both lose significance
    assert "2 are significant on their own" in md and "keeps 0: 2 decisions change, in claims T1, T2" in md
    assert "| T1 | `a_z` | +2.10 |" in md
    assert "(recorded: holds (paper: differs); ok)" in md


# ---------------------------------------------------------------------------- issue 14: trust


@pytest.fixture
def ok_run(tmp_path):
    """A fixture book with `ok` executed once."""
    layout = Layout.at(make_fixture_root(tmp_path, ["ok", "noparams"]))
    first = run_chapter(layout, "ok")
    assert first.status == "executed"
    return layout


def _snapshot(layout, chapter="ok"):
    return (
        (layout.results / f"{chapter}.json").read_bytes(),
        (layout.executed_book / f"{chapter}.ipynb").read_bytes(),
    )


@pytest.mark.book
def test_the_kernel_runs_the_selfrep_the_cache_key_describes(tmp_path, monkeypatch):
    import selfrep

    # another checkout's selfrep, first on the path the kernel would search
    decoy = tmp_path / "other_checkout" / "selfrep"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise ImportError('the other checkout was imported')\n")
    monkeypatch.setenv("PYTHONPATH", str(decoy.parent))
    layout = Layout.at(make_fixture_root(tmp_path / "root", ["whichselfrep"]))
    run = run_chapter(layout, "whichselfrep")
    assert run.result["values"]["selfrep_file"] == selfrep.__file__
    # which backend ran is recorded (compiled where a compiler works, else eager and why)
    from selfrep import kernels

    want = (
        {"requested": "compiled", "ran": "compiled", "reason": ""}
        if kernels.available()
        else {
            "requested": "compiled",
            "ran": "eager",
            "reason": kernels.unavailable_reason(),
        }
    )
    assert run.result["backends"] == [want]
    assert os.environ["PYTHONPATH"] == str(decoy.parent)  # the runner's own environment is restored


def test_selfrep_refuses_to_be_imported_from_another_checkout_under_a_run(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "SELFREP_EXPECT_PACKAGE": str(tmp_path / "selfrep")}
    proc = subprocess.run([sys.executable, "-c", "import selfrep"], env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "this run's cache key describes the selfrep in" in proc.stderr


@pytest.mark.book
def test_an_edited_result_or_truncated_notebook_is_not_served_as_cached(ok_run, capsys):
    layout = ok_run
    res = layout.results / "ok.json"
    data = json.loads(res.read_text())
    good = data["values"]["n"]
    data["values"]["n"] = good + 1  # hand-edited
    res.write_text(json.dumps(data))
    again = run_chapter(layout, "ok")
    assert again.status == "executed" and again.result["values"]["n"] == good
    assert f"{res}: its values differ from the digest" in capsys.readouterr().err
    executed = layout.executed_book / "ok.ipynb"
    executed.write_bytes(executed.read_bytes()[:200])  # truncated
    again = run_chapter(layout, "ok")
    assert again.status == "executed" and json.loads(executed.read_text())["cells"]
    assert f"{executed} differs from the digest" in capsys.readouterr().err
    assert run_chapter(layout, "ok").status == "cached"  # intact outputs are still cached


@pytest.mark.book
def test_a_failed_run_leaves_the_last_good_results_in_place(ok_run):
    layout = ok_run
    before = _snapshot(layout)
    src = layout.book / "ok.ipynb"
    nb = json.loads(src.read_text())
    nb["cells"][2]["source"] = ["raise RuntimeError('broken edit')"]
    src.write_text(json.dumps(nb))
    with pytest.raises(ChapterFailed, match="broken edit"):
        run_chapter(layout, "ok")
    assert _snapshot(layout) == before
    assert (layout.failed / "ok.ipynb").is_file()
    leftovers = [p.name for p in layout.build.rglob("*") if p.name.endswith((".tmp", ".partial.ipynb"))]
    assert leftovers == []


def test_everything_is_checked_before_anything_executes(tmp_path, monkeypatch):
    import papermill

    def must_not_run(*a, **k):
        raise AssertionError("a chapter was executed")

    monkeypatch.setattr(papermill, "execute_notebook", must_not_run)
    root = make_fixture_root(tmp_path, ["ok", "noparams"], toc_chapters=["ok"])
    layout = Layout.at(root)
    with pytest.raises(ValueError, match=r"^toc: book/noparams.ipynb not listed"):
        run_chapters(layout, None, progress=False)
    (root / "_toc.yml").write_text("root: [unclosed\n")
    with pytest.raises(ValueError, match="^toc: .* cannot be read"):
        run_chapters(layout, ["ok"], progress=False)
    (root / "_toc.yml").unlink()
    blocked = Layout.at(root, tmp_path / "build")
    blocked.build.mkdir()
    (blocked.build / "results").write_text("a file where the results folder should be")
    with pytest.raises(ValueError, match="^build-dir: cannot write to"):
        run_chapters(blocked, ["ok"], progress=False)


def test_concurrent_runs_never_share_a_temporary_notebook(tmp_path, monkeypatch):
    import papermill

    outputs = []

    def record(nb, out, **kwargs):
        outputs.append(out)
        raise RuntimeError("stopped")

    monkeypatch.setattr(papermill, "execute_notebook", record)
    layout = Layout.at(make_fixture_root(tmp_path, ["ok"]))
    for _ in range(2):
        with pytest.raises(ChapterFailed):
            run_chapter(layout, "ok")
    assert len(set(outputs)) == 2 and not any(os.path.exists(o) for o in outputs)


@pytest.mark.book
def test_results_files_are_readable_like_any_other_file(ok_run):
    mask = os.umask(0o022)
    os.umask(mask)
    for path in (ok_run.results / "ok.json", ok_run.executed_book / "ok.ipynb"):
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path


def test_report_names_the_backend_of_each_chapter():
    from selfrep.book.report import report_markdown

    result = {"chapter": "ok", "scale": "ci", "seed": 0, "versions": {}, "wall_s": 1.0, "values": {}}
    why = {"requested": "compiled", "ran": "eager", "reason": "no C compiler found"}
    md = report_markdown({"ok": {**result, "backends": [why]}}, ["ok"])
    assert "| backend |" in md and "eager (compiled requested: no C compiler found)" in md


@pytest.mark.book
def test_no_progress_bar_when_stderr_is_not_a_terminal(ok_run, capsys):
    runs = run_chapters(ok_run, ["ok"], progress=True)
    err = capsys.readouterr().err
    assert runs[0].status == "cached" and "ok" in err
    assert "%|" not in err and "chapter/s" not in err  # tqdm's bar, redrawn into a pipe, repeats


@pytest.mark.book
def test_ctrl_c_keeps_the_last_good_results_and_says_so_in_one_line(ok_run, monkeypatch, capsys):
    import papermill

    before = _snapshot(ok_run)

    def interrupted(nb, out, **kwargs):
        with open(out, "w") as fh:
            fh.write('{"cells": [')  # half-written when Ctrl-C arrives
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    capsys.readouterr()
    assert main(["run", "--root", str(ok_run.root), "--force", "ok"]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["selfrep: interrupted; results from earlier runs are left as they were"]
    assert _snapshot(ok_run) == before


def test_workers_start_the_longest_chapters_first(tmp_path):
    from selfrep.book.run import longest_first

    layout = Layout.at(tmp_path)
    layout.results.mkdir(parents=True)
    for stem, wall in [("a", 5.0), ("b", 50.0), ("c", 5.0)]:
        (layout.results / f"{stem}.json").write_text(json.dumps({"wall_s": wall}))
    (layout.results / "e.json").write_text("{not json")
    # no record (d) or an unreadable one (e) first, then by the last wall time; ties keep the book's order
    assert longest_first(layout, ["a", "b", "c", "d", "e"]) == ["d", "e", "b", "a", "c"]


def test_a_fresh_build_starts_the_real_books_longest_chapters_first(tmp_path):
    """With no record at all (a fresh checkout, as in CI), the real book's chapters are ordered by the
    committed hint: 06b, the longest, must not start last and leave a worker idle."""
    from selfrep.book.run import FRESH_BUILD_WALL_S, longest_first

    stems = chapter_stems(Layout.at(REPO).book)
    assert set(FRESH_BUILD_WALL_S) == set(stems)  # a chapter added or renamed needs its hint
    order = longest_first(Layout.at(tmp_path), stems)
    assert order[:2] == ["06b_self_modification", "06_architecture_search"]


def test_banner_names_chapters_executed_from_an_earlier_commit():
    from selfrep.book.site import build_banner

    r = {"scale": "paper", "seed": 0}
    results = {
        "01_a": {**r, "commit": "abc123"},
        "02_b": {**r, "commit": "def456"},
        "03_c": {**r, "commit": "def456"},
        "04_d": r,  # ran before commits were recorded: nothing to say
    }
    banner = build_banner(results, "`abc123`")
    assert banner.startswith("Built at scale paper, seed 0, from commit abc123.")
    assert banner.endswith("Chapters executed from earlier sources: 02, 03 at def456.")
    assert "earlier" not in build_banner({"01_a": {**r, "commit": "abc123"}}, "`abc123`")
