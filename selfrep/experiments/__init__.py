"""One module per book chapter: frozen presets ("ci", "paper"), pure `run_*` functions
(config, generator) -> tidy pandas DataFrames, and the chapter's claims."""

from __future__ import annotations

import hashlib

import pandas as pd
import torch

from selfrep.fixpoints import KIND_LABELS

# Short keys for the five outcome kinds, used in glued value names ("fig2_weightwise_zero").
KIND_KEYS: dict[str, str] = dict(zip(KIND_LABELS, ("div", "zero", "nonzero", "second", "other"), strict=True))


def generator(seed: int, stream: str = "") -> torch.Generator:
    """A torch.Generator for one experiment of a chapter, seeded from (seed, stream).

    Each experiment gets its own stream, so a cell can be re-run alone (or an experiment dropped)
    without changing the numbers of the others.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed: expected an int, got {seed!r}")
    digest = hashlib.sha256(f"{seed}:{stream}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & ((1 << 63) - 1))


def decide_no_second_order(v) -> tuple[str, str]:
    """Claim 14 ("no higher-order fixpoints"), for any chapter that glues `census_nets` (networks
    classified) and `census_second_order` (second-order fixpoints among them)."""
    n, k = v["census_nets"], v["census_second_order"]
    return f"{k} second-order fixpoints among {n:,} classified networks", "holds" if k == 0 else "differs"


def claims_table(claims, values, scale: str | None = None):
    """The chapter's claims decided on its values, with their rules (selfrep.claims.claims_table)."""
    from selfrep.claims import claims_table as table

    return table(claims, values, scale)


def config_table(cfg, meanings: dict[str, str] | None = None):
    """A frozen config as a table (parameter, value[, meaning]) for display in a chapter; values in full,
    numbers written as the text writes them (1e-5, 10,000; `selfrep.display.short_number`)."""
    import dataclasses

    from selfrep.display import short_number, table

    rows = [(f.name, short_number(getattr(cfg, f.name))) for f in dataclasses.fields(cfg)]
    df = pd.DataFrame(rows, columns=["parameter", "value"]).set_index("parameter")
    if meanings:
        df["meaning"] = [meanings.get(name, "") for name in df.index]
    return table(df)
