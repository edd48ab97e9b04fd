"""Named experiment sizes: "ci" (seconds per chapter) and "paper" (the paper's own sizes).

A chapter's parameters cell holds `scale = "ci"`; the next cell calls `preset(chapter, scale)` and gets the
chapter's frozen config. Keyword overrides let a reader change one field in JupyterLab without editing the
library: `preset("02_self_training", "paper", n_nets=500)`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from selfrep.chapters import chapter_module

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
