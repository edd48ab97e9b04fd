"""The book's chapters: one module (or package) per chapter, registered in CHAPTERS by notebook stem.

Every chapter follows one contract (README, "Adding a chapter"):
  PRESETS: dict[str, <frozen config>] keyed by scale ("ci", "paper"); `preset(chapter, scale, **overrides)`
      returns one, with overrides checked against its fields;
  run_* functions (config, generator) -> tidy pandas DataFrames, each experiment with its own
      `generator(seed, stream)`;
  values(...) -> {glue name: number or text}, what the prose, the results file and the claims read;
  CLAIMS: list[selfrep.claims.Claim] (may be empty).
The notebook lives at book/<stem>.ipynb.
"""

from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType
from typing import Any

from selfrep.chapters.common import (
    KIND_KEYS,
    claims_table,
    config_table,
    decide_no_second_order,
    field_meanings,
    generator,
    glue_all,
    show,
)

CHAPTERS: dict[str, str] = {
    "01_self_application": "selfrep.chapters.self_application",
    "02_self_training": "selfrep.chapters.self_training",
    "03_weight_space": "selfrep.chapters.weight_space",
    "04_mixed": "selfrep.chapters.mixed",
    "05_soups": "selfrep.chapters.soups",
    "06_architecture_search": "selfrep.chapters.architecture_search",
    "06b_self_modification": "selfrep.chapters.self_modification",
}


def chapter_module(chapter: str) -> ModuleType:
    """Import the module registered for `chapter` (a notebook stem such as "01_self_application")."""
    if chapter not in CHAPTERS:
        known = ", ".join(sorted(CHAPTERS)) or "none"
        raise ValueError(f"chapter: unknown chapter {chapter!r} (known: {known})")
    return importlib.import_module(CHAPTERS[chapter])


SCALES: tuple[str, ...] = ("ci", "paper")


def check_scale(scale: str) -> str:
    """Return `scale` if it is a known scale, else raise a ValueError naming the parameter."""
    if scale not in SCALES:
        raise ValueError(f"scale: unknown scale {scale!r} (expected one of {', '.join(SCALES)})")
    return scale


def preset(chapter: str, scale: str, **overrides: Any) -> Any:
    """The frozen config of `chapter` at `scale`, with `overrides` replacing fields."""
    check_scale(scale)
    presets = chapter_module(chapter).PRESETS
    cfg = presets[scale]
    if overrides:
        fields = {f.name for f in dataclasses.fields(cfg)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ValueError(
                f"overrides: {', '.join(unknown)} not fields of {type(cfg).__name__} "
                f"(fields: {', '.join(sorted(fields))})"
            )
        cfg = dataclasses.replace(cfg, **overrides)
    return cfg


def all_claims() -> list:
    """Every registered claim, from every chapter module in CHAPTERS (ids are unique)."""
    claims: list = []
    for chapter in CHAPTERS:
        claims.extend(getattr(chapter_module(chapter), "CLAIMS", []))
    ids = [c.id for c in claims]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"claims: duplicate claim ids {dup}")
    return claims


__all__ = [
    "CHAPTERS",
    "KIND_KEYS",
    "SCALES",
    "all_claims",
    "chapter_module",
    "check_scale",
    "claims_table",
    "config_table",
    "decide_no_second_order",
    "field_meanings",
    "generator",
    "glue_all",
    "preset",
    "show",
]
