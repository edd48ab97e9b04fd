"""What every chapter module shares: one seeding scheme (`generator(seed, stream)`), the short keys of the
outcome kinds, the tables a chapter shows (its config, its claims), a wall clock (`Stopwatch`), and the two
notebook helpers that make JupyterLab and the site show the same: `show(name, obj)` for figures and
`glue_all(values, ...)`, the chapter's one glue step."""

from __future__ import annotations

import hashlib
import json
import time

import pandas as pd
import torch

from selfrep.claims import verdict
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
    return f"{k} second-order fixpoints among {n:,} classified networks", verdict(k == 0)


def claims_table(claims, values, scale: str | None = None):
    """The chapter's claims decided on its values, with their rules (selfrep.claims.claims_table)."""
    from selfrep.claims import claims_table as table

    return table(claims, values, scale)


def field_meanings(cfg) -> dict[str, str]:
    """{field: meaning} of a chapter config, from each field's dataclass metadata ("meaning")."""
    import dataclasses

    return {f.name: f.metadata["meaning"] for f in dataclasses.fields(cfg) if "meaning" in f.metadata}


def config_table(cfg, meanings: dict[str, str] | None = None):
    """A frozen config as a table (parameter, value[, meaning]) for display in a chapter; values in full,
    numbers written as the text writes them (1e-5, 10,000; `selfrep.plotting.tables.short_number`).
    The meanings are the fields' metadata ("meaning") unless given."""
    import dataclasses

    from selfrep.plotting.tables import short_number, table

    rows = [(f.name, short_number(getattr(cfg, f.name))) for f in dataclasses.fields(cfg)]
    df = pd.DataFrame(rows, columns=["parameter", "value"]).set_index("parameter")
    meanings = field_meanings(cfg) if meanings is None else meanings
    if meanings:
        df["meaning"] = [meanings.get(name, "") for name in df.index]
    return table(df)


class Stopwatch:
    """Wall seconds since it was made: the chapter's `chapter_wall_s` (a timing, different every run)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def wall_s(self) -> float:
        return time.perf_counter() - self.started


# --------------------------------------------------------------------------------------------------
# What a chapter notebook shows and records: the same in JupyterLab as on the site
# --------------------------------------------------------------------------------------------------
VALUES_MIME = "application/vnd.selfrep.values+json"  # the one record of a chapter's values


def show(name: str, obj: object) -> None:
    """Show a figure or table in the notebook and glue it under `name` for the site.

    In JupyterLab the cell displays `obj`; the book places the glued copy where its text says
    (```{glue:figure} name```). Figure cells carry the tag `remove-output`, so the site shows that
    glued copy only and nothing twice. Returns None, so that a cell ending in `show(...)` does not
    display the figure a second time as its value."""
    from IPython.display import display
    from myst_nb import glue

    glue(name, obj, display=False)
    display(obj)


def plain_value(name: str, value: object) -> int | float | bool | str:
    """`value` as a plain JSON number, bool or text, else a ValueError naming the value.

    NumPy scalars become Python ones; a float32 (or float16) is recorded as the shortest decimal that
    identifies it in its own precision (what it prints as), not as its float64 expansion."""
    import numpy as np

    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value) if value.dtype == np.float64 else float(str(value))
    raise ValueError(f"{name}: {value!r} is not a plain int, float, bool or str (glue float(x) or x.item())")


def glue_all(values: dict[str, object], *, prose: dict[str, object] | None = None, **context: object) -> None:
    """The chapter's one glue step: every value (and `context`, e.g. scale and seed) glued for the
    prose ({glue:text}`name`), recorded once as plain JSON for the results file (the book machine
    reads this record, not the printed text), and listed at the end of the notebook in JupyterLab.
    `prose` ({name: object}) holds rich text glued for {glue:md}`name`, which is not a value: glued
    after the values, not recorded. The cell carries the tag `remove-cell`: the site shows the values
    where its text cites them."""
    from IPython.display import HTML, display
    from myst_nb import glue

    record = {**context, **values}
    plain = {name: plain_value(name, v) for name, v in record.items()}
    for name, value in record.items():
        glue(name, value, display=False)
    # a JSON text, not an object: NaN and inf are normal outcomes, and Jupyter's message packer
    # refuses them in objects
    text = json.dumps(plain)
    display({VALUES_MIME: text, "text/plain": f"{len(plain)} values recorded"}, raw=True)
    for name, obj in (prose or {}).items():
        glue(name, obj, display=False)
    frame = pd.DataFrame({"value": [plain[k] for k in plain]}, index=pd.Index(list(plain), name="name"))
    display(
        HTML(
            f"<details><summary>The {len(plain):,} numbers this chapter's text and claims cite "
            f"(glue names)</summary>{frame.to_html()}</details>"
        )
    )
