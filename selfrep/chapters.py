"""Registry of book chapters: notebook stem -> the module that holds its presets and claims.

Each chapter module defines
  PRESETS: dict[str, <frozen config>]  keyed by scale ("ci", "paper"), and
  CLAIMS:  list[selfrep.claims.Claim]  (may be empty).
The notebook lives at book/<stem>.ipynb. Add one line here per chapter.
"""

from __future__ import annotations

import importlib
from types import ModuleType

CHAPTERS: dict[str, str] = {
    "01_self_application": "selfrep.experiments.self_application",
    "02_self_training": "selfrep.experiments.self_training",
    "03_weight_space": "selfrep.experiments.weight_space",
    "04_mixed": "selfrep.experiments.mixed",
    "05_soups": "selfrep.experiments.soups",
    "06_architecture_search": "selfrep.archsearch.chapter06",
    "06b_self_modification": "selfrep.archsearch.chapter06b",
}


def chapter_module(chapter: str) -> ModuleType:
    """Import the module registered for `chapter` (a notebook stem such as "01_self_application")."""
    if chapter not in CHAPTERS:
        known = ", ".join(sorted(CHAPTERS)) or "none"
        raise ValueError(f"chapter: unknown chapter {chapter!r} (known: {known})")
    return importlib.import_module(CHAPTERS[chapter])
