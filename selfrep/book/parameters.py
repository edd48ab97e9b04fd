"""A chapter's parameters: what its notebook declares in the cell tagged `parameters`, and what
`selfrep run` injects there (scale, seed, -p NAME=VALUE)."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def has_parameters_cell(nb_path: Path) -> bool:
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    return any(
        "parameters" in c.get("metadata", {}).get("tags", [])
        for c in nb.get("cells", [])
        if c.get("cell_type") == "code"
    )


def declared_parameters(nb_path: Path) -> dict[str, Any]:
    """{name: default literal} of the notebook's parameters cell ({} when it has none)."""
    import papermill as pm

    return {k: v.get("default") for k, v in pm.inspect_notebook(str(nb_path)).items()}


def parse_param(text: str) -> tuple[str, Any]:
    """'name=value' -> (name, value): a Python literal if the value parses as one, else a string."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise ValueError(f"-p: expected NAME=VALUE, got {text!r}")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw
    return name.strip(), value


def chapter_parameters(
    nb_path: Path,
    scale: str,
    seed: int,
    extra: Mapping[str, Any] | None = None,
    explicit: Iterable[str] = (),
) -> dict[str, Any]:
    """Parameters to inject into one notebook.

    `scale` and `seed` go to a notebook that declares them; `extra` (from -p) must be declared.
    A parameter the user gave explicitly (`explicit` names, and all of `extra`) that the notebook
    does not declare is a ValueError naming the notebook and the parameter.
    """
    nb_path = Path(nb_path)
    extra = dict(extra or {})
    for own in ("scale", "seed"):
        if own in extra:
            raise ValueError(
                f"-p: {own} is set only by --{own} (it is recorded with the results and decides the "
                f"claims' verdicts), not by -p {own}=..."
            )
    wanted = set(explicit) | set(extra)
    if not has_parameters_cell(nb_path):
        if wanted:
            raise ValueError(
                f"parameters: {nb_path.name} has no cell tagged 'parameters', so it cannot take "
                f"{', '.join(sorted(wanted))}"
            )
        return {}
    declared = declared_parameters(nb_path)
    undeclared = sorted(wanted - set(declared))
    if undeclared:
        raise ValueError(
            f"parameters: {nb_path.name} does not declare {', '.join(undeclared)} in its "
            f"parameters cell (it declares: {', '.join(declared) or 'nothing'})"
        )
    params: dict[str, Any] = {}
    if "scale" in declared:
        params["scale"] = scale
    if "seed" in declared:
        params["seed"] = seed
    params.update(extra)
    return params


def check_seed(seed: Any) -> int:
    """`seed` if it is an int >= 0 (what torch.Generator.manual_seed and numpy both take), else a
    ValueError naming the parameter."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed: must be an int >= 0, got {seed!r}")
    return seed
