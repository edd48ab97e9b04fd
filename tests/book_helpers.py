"""Helpers shared by the book-machinery tests: fixture books, HTML inspection, headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURE_BOOK = Path(__file__).resolve().parent / "fixtures" / "book"

# Toolchain.md §5: keep Chromium from calling home; a private profile per run.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1280,1600",
    "--virtual-time-budget=5000",
)


def make_fixture_root(root: Path, notebooks: list[str], toc_chapters: list[str] | None = None) -> Path:
    """A project root with the real _config.yml, the real book/ support files (intro, report
    template, references) and the given fixture notebooks; its _toc.yml lists them."""
    book = root / "book"
    book.mkdir(parents=True)
    for p in (REPO / "book").iterdir():
        if p.is_file() and p.suffix != ".ipynb":
            shutil.copy2(p, book / p.name)
    for name in notebooks:
        shutil.copy2(FIXTURE_BOOK / f"{name}.ipynb", book / f"{name}.ipynb")
    shutil.copy2(REPO / "_config.yml", root / "_config.yml")
    chapters = notebooks if toc_chapters is None else toc_chapters
    lines = ["format: jb-book", "root: book/intro", "chapters:"]
    lines += [f"- file: book/{c}" for c in [*chapters, "reproducibility", "references"]]
    (root / "_toc.yml").write_text("\n".join(lines) + "\n")
    return root


class TagCollector(HTMLParser):
    """Collects (tag, attrs) of every start tag."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def tags(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = TagCollector()
    parser.feed(html)
    return parser.tags


def is_external(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://", "//"))


def external_resources(html: str) -> list[str]:
    """Scripts, stylesheets, preloads, icons and images loaded from another host."""
    found = []
    for tag, attrs in tags(html):
        if tag in ("script", "img", "iframe", "source", "video", "audio") and is_external(
            attrs.get("src", "")
        ):
            found.append(f"<{tag} src={attrs['src']}>")
        if tag == "link" and is_external(attrs.get("href", "")):
            found.append(f"<link rel={attrs.get('rel')} href={attrs['href']}>")
    return found


def images(html: str) -> list[str]:
    return [a.get("src", "") for t, a in tags(html) if t == "img"]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _offline_prefix() -> list[str]:
    """`unshare -n` (no network at all) when this machine allows it, else nothing."""
    exe = shutil.which("unshare")
    if exe and subprocess.run([exe, "-n", "true"], capture_output=True).returncode == 0:
        return [exe, "-n"]
    return []


def chromium_run(page: Path, *extra: str) -> subprocess.CompletedProcess:
    exe = chromium()
    assert exe, "chromium not installed"
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            *_offline_prefix(),
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            *extra,
            page.resolve().as_uri(),
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def dump_dom(page: Path) -> str:
    proc = chromium_run(page, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def screenshot(page: Path, png: Path) -> Path:
    proc = chromium_run(page, f"--screenshot={png}")
    assert proc.returncode == 0 and png.is_file(), proc.stderr[-2000:]
    return png
