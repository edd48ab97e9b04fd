"""A chapter rerun the way JupyterLab runs it shows what the site shows.

JupyterLab's "Run All" executes the SOURCE notebook as it is (no papermill, no injected parameters:
the defaults of its parameters cell, scale "ci") in the kernel it names, started with the project's
interpreter. Here: nbclient on book/04_mixed.ipynb with the interpreter of this test run. Every figure
and table the site shows (glued by `selfrep.chapters.show`, placed by {glue:figure}) must also be
displayed in the notebook, and the notebook must end with the chapter's claims table and the listing
of its values (`selfrep.chapters.glue_all`).
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from selfrep.chapters.common import VALUES_MIME
from tests.book_helpers import REPO

pytestmark = pytest.mark.book

CHAPTER = "04_mixed"
GLUE_PREFIX = "application/papermill.record/"


def _kernel_manager():
    """A KernelManager for the kernel `make install` registers, started with this interpreter."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager

    class ThisInterpreter(KernelManager):
        @property
        def kernel_spec(self):
            argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
            return KernelSpec(argv=argv, display_name="Python (selfrep)", language="python")

    return ThisInterpreter


@pytest.fixture(scope="module")
def run_all(tmp_path_factory):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "book" / f"{CHAPTER}.ipynb", as_version=4)
    cwd = tmp_path_factory.mktemp("lab")
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), *([old] if old else [])])
    try:
        NotebookClient(
            nb,
            kernel_name="selfrep",
            kernel_manager_class=_kernel_manager(),
            resources={"metadata": {"path": str(cwd)}},
            timeout=600,
        ).execute()
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
    return nb


def _kinds(out) -> set[str]:
    """'image' and/or 'table' for an output's data (glued or displayed)."""
    keys = [k.removeprefix(GLUE_PREFIX) for k in out.get("data", {})]
    return {"image" for k in keys if k.startswith("image/")} | {"table" for k in keys if k == "text/html"}


def test_the_notebook_declares_the_project_kernel():
    nb = json.loads((REPO / "book" / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "selfrep"


def test_run_all_displays_every_figure_and_table_the_site_shows(run_all):
    glued, missing = [], []
    for cell in run_all.cells:
        if cell.cell_type != "code":
            continue
        shown = set().union(*[_kinds(o) for o in cell.outputs if "scrapbook" not in o.get("metadata", {})])
        for out in cell.outputs:
            meta = out.get("metadata", {}).get("scrapbook")
            kinds = _kinds(out)
            if meta and kinds:
                glued.append(meta["name"])
                if not kinds <= shown:
                    missing.append(meta["name"])
    assert glued, f"{CHAPTER}: no figure glued for the site"
    assert not missing, f"{CHAPTER}: glued for the site but not displayed in the notebook: {missing}"
    outputs = [o for c in run_all.cells if c.cell_type == "code" for o in c.outputs]
    glued_images = [o for o in outputs if "scrapbook" in o.get("metadata", {}) and "image" in _kinds(o)]
    displayed = [o for o in outputs if "scrapbook" not in o.get("metadata", {}) and "image" in _kinds(o)]
    assert len(displayed) >= len(glued_images), "fewer figures displayed than glued"


def test_run_all_ends_with_the_claims_table_and_the_values(run_all):
    outputs = [o for c in run_all.cells if c.cell_type == "code" for o in c.outputs]
    html = [str(o.get("data", {}).get("text/html", "")) for o in outputs]
    claims = [i for i, h in enumerate(html) if 'class="selfrep-seeds"' in h]
    record = [i for i, o in enumerate(outputs) if VALUES_MIME in o.get("data", {})]
    listing = [i for i, h in enumerate(html) if "numbers this chapter" in h]
    assert claims, "no claims table displayed"
    assert record and listing, "no values recorded and listed (glue_all)"
    assert claims[-1] < record[-1] < listing[-1] == len(outputs) - 1, "the notebook does not end with them"
    values = json.loads(outputs[record[-1]]["data"][VALUES_MIME])
    assert values["scale"] == "ci" and values["seed"] == 0  # the notebook's own defaults
