"""The claims ledger: each claim of the paper (and of our own chapters) decided by a number a chapter glues.

A claim names the glued values it reads, a human-readable rule, and a `decide` function mapping the chapter's
glued values to (measured text, verdict). The verdict we expect is recorded here, per scale, so that
`selfrep claims --check` fails when the science changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

VERDICTS: tuple[str, ...] = ("holds", "partly", "differs")

Decision = tuple[str, str]  # (measured, as text; verdict)


@dataclass(frozen=True)
class Claim:
    """One claim: what is stated, what the paper reports, and how our glued numbers decide it.

    Attributes:
        id: short stable id ("P1" ... "P14" for the paper's claims, "C1.1" ... for chapter 6).
        chapter: the notebook stem whose glued values decide it.
        statement: the claim, in one sentence.
        paper: the paper's own value or wording.
        uses: names of the glued values `decide` reads.
        rule: how the verdict follows from those values, in words.
        decide: values -> (measured text, verdict in VERDICTS).
        expected: the verdict we recorded, per scale ("ci", "paper").
    """

    id: str
    chapter: str
    statement: str
    paper: str
    uses: tuple[str, ...]
    rule: str
    decide: Callable[[Mapping[str, float]], Decision]
    expected: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for scale, verdict in self.expected.items():
            if verdict not in VERDICTS:
                raise ValueError(f"expected[{scale!r}]: {verdict!r} is not one of {VERDICTS}")


def all_claims() -> list[Claim]:
    """Every registered claim, from every chapter module in `selfrep.chapters.CHAPTERS`."""
    from selfrep.chapters import CHAPTERS, chapter_module

    claims: list[Claim] = []
    for chapter in CHAPTERS:
        claims.extend(getattr(chapter_module(chapter), "CLAIMS", []))
    ids = [c.id for c in claims]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"claims: duplicate claim ids {dup}")
    return claims
