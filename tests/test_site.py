"""The built site: pages, figures, nothing loaded from another host, and a headless-Chromium render.

Two sites are built once each: the fixture book (machinery; always has a figure and math) and the
real book at ci scale (reusing the chapters `book_run` executed for test_chapters.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from selfrep.book.layout import Layout, read_toc
from selfrep.book.outputs import figure_count
from selfrep.book.site import build_site
from tests.book_helpers import (
    REPO,
    chromium,
    dump_dom,
    external_resources,
    images,
)

pytestmark = pytest.mark.book

needs_chromium = pytest.mark.skipif(
    chromium() is None and not os.environ.get("SELFREP_REQUIRE_CHROMIUM"),
    reason="headless Chromium not installed (apt-get install chromium; .ci/run installs it)",
)


def _build(layout: Layout) -> Path:
    return build_site(layout, quiet=True)


@pytest.fixture(scope="module")
def fixture_site(fixture_book) -> Layout:
    layout, _ = fixture_book
    _build(layout)
    return layout


@pytest.fixture(scope="module")
def real_site(book_run) -> Layout:
    book_run.all()
    _build(book_run.layout)
    return book_run.layout


def check_site(layout: Layout) -> None:
    html = layout.html
    assert (html / "index.html").is_file()
    for entry in read_toc(layout):
        page = html / f"{entry}.html"
        assert page.is_file(), f"no page for toc entry {entry}"
        executed = layout.executed / f"{entry}.ipynb"
        n_figures = figure_count(json.loads(executed.read_text())) if executed.is_file() else 0
        if n_figures > 0:
            srcs = images(page.read_text())
            assert srcs, f"{entry}: the notebook has figures but the page has no <img>"
            figures = [s for s in srcs if "_images/" in s]
            assert len(figures) >= n_figures, f"{entry}: {n_figures} figures, {len(figures)} on the page"
            for src in srcs:
                assert (page.parent / src).resolve().is_file(), f"{entry}: missing image {src}"
    offenders = {}
    for page in html.rglob("*.html"):
        ext = external_resources(page.read_text())
        if ext:
            offenders[str(page.relative_to(html))] = ext
    assert not offenders, f"pages load resources from other hosts: {offenders}"
    for css in html.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css.read_text(errors="ignore")), css
    # every page names the build (scale, seed, commit); no repository link while none is configured
    cfg = yaml.safe_load((REPO / "_config.yml").read_text())
    scales = {json.loads(p.read_text())["scale"] for p in layout.results.glob("*.json")}
    for page in html.rglob("*.html"):
        text = page.read_text()
        if "_static" not in page.relative_to(html).parts and 'http-equiv="refresh"' not in text.lower():
            assert any(f"Built at scale {s}" in text for s in scales), f"{page.name}: no build banner"
        if not (cfg.get("repository") or {}).get("url"):
            assert "repository-button" not in text, page.name
    # math is served locally, no launch buttons
    assert (html / "_static" / "mathjax" / "tex-chtml.js").is_file()
    for page in html.rglob("*.html"):
        text = page.read_text()
        assert "mybinder.org" not in text
        assert "colab.research.google.com" not in text
        assert "thebe-launch-button" not in text


def test_fixture_site_pages_figures_offline(fixture_site):
    check_site(fixture_site)
    ok = (fixture_site.html / "book" / "ok.html").read_text()
    mean = json.loads((fixture_site.results / "ok.json").read_text())["values"]["mean"]
    assert f"{mean:.3f}" in ok  # the glued value, cited in the prose through {glue:text}
    report = (fixture_site.html / "book" / "reproducibility.html").read_text()
    assert "selfrep:report" not in report
    assert "torch" in report and ">ok<" in report and ">noparams<" in report
    url = (yaml.safe_load((REPO / "_config.yml").read_text()).get("repository") or {}).get("url")
    if url:
        assert url in ok  # the project's own repository link, once it is configured


def test_real_site_pages_figures_offline(real_site):
    check_site(real_site)


@needs_chromium
def test_fixture_site_renders_in_chromium(fixture_site):
    dom = dump_dom(fixture_site.html / "index.html")  # a redirect to book/intro.html
    assert "How to read the figures" in dom
    dom = dump_dom(fixture_site.html / "book" / "ok.html")
    assert len(re.findall(r"<img[^>]+src=\"[^\"]*_images/", dom)) >= 2
    assert "mjx-container" in dom, "MathJax did not render (offline copy missing?)"


@needs_chromium
def test_real_site_renders_in_chromium(real_site):
    html = real_site.html
    dom = dump_dom(html / "index.html")
    assert "How to read the figures" in dom
    for entry in read_toc(real_site)[1:]:
        assert f"{Path(entry).name}.html" in dom, f"index does not link {entry}"
    with_figures = [
        e
        for e in read_toc(real_site)
        if (real_site.executed / f"{e}.ipynb").is_file()
        and figure_count(json.loads((real_site.executed / f"{e}.ipynb").read_text())) > 0
    ]
    if not with_figures:
        pytest.skip("no chapter with figures in the book yet (the fixture site covers this)")
    dom = dump_dom(html / f"{with_figures[0]}.html")
    assert re.search(r"<img[^>]+src=\"[^\"]*_images/", dom), f"{with_figures[0]}: no figure"


def test_a_sphinx_warning_fails_the_build(tmp_path):
    """-W is in force: an unknown citation (a warning) makes build_site fail, not pass silently."""
    root = tmp_path / "root"
    (root / "book").mkdir(parents=True)
    (root / "book" / "intro.md").write_text("# Intro\n\nSee {cite:p}`no_such_key`.\n")
    shutil.copy2(REPO / "book" / "references.bib", root / "book" / "references.bib")
    shutil.copy2(REPO / "_config.yml", root / "_config.yml")
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\n")
    with pytest.raises(RuntimeError, match="jupyter-book build failed"):
        build_site(Layout.at(root), quiet=True)
