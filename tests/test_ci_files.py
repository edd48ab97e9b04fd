"""The CI entry point and the Pages workflow use the same make targets as local development."""

from __future__ import annotations

import os
import subprocess

import yaml

from tests.book_helpers import REPO


def test_pages_workflow_is_valid_and_uses_make_targets():
    wf = yaml.safe_load((REPO / ".github" / "workflows" / "book.yml").read_text())
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads the key `on` as True
    assert "push" in on and "workflow_dispatch" in on
    build = wf["jobs"]["build"]
    runs = "\n".join(s.get("run", "") for s in build["steps"])
    assert "make test" in runs and "make book SCALE=" in runs and "claims --check" in runs
    upload = [s for s in build["steps"] if str(s.get("uses", "")).startswith("actions/upload-pages-artifact")]
    assert upload and upload[0]["with"]["path"] == "_build/html"
    deploy = wf["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert any(str(s.get("uses", "")).startswith("actions/deploy-pages") for s in deploy["steps"])
    assert wf["permissions"]["pages"] == "write" and wf["permissions"]["id-token"] == "write"
    # readers get the paper-scale book by default; ci stays an option
    assert "|| 'paper'" in wf["env"]["SCALE"]
    assert on["workflow_dispatch"]["inputs"]["scale"]["default"] == "paper"


def test_make_install_registers_the_project_kernel():
    """The notebooks declare the kernel `selfrep`: `make install` registers it for this venv."""
    make = (REPO / "Makefile").read_text()
    install = make[make.index("\ninstall:") :].split("\n\n")[0]
    assert '-m ipykernel install --user --name selfrep --display-name "Python (selfrep)"' in install


def test_ci_run_is_executable_shell_with_the_book_steps():
    ci = REPO / ".ci" / "run"
    assert os.access(ci, os.X_OK)
    assert subprocess.run(["bash", "-n", str(ci)]).returncode == 0
    text = ci.read_text()
    steps = (
        "make test",
        "selfrep sweep --seeds 0-2 --scale ci --workers 2",  # before the build: the site shows it
        "selfrep build --scale ci",
        "selfrep claims --check",
        "selfrep claims --stability --check --scale ci",
    )
    order = [text.index(s) for s in steps]
    assert order == sorted(order)
    assert "PAPER_SCALE_IN_CI" in text
