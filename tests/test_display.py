"""How chapters show numbers and tables (selfrep.plotting.tables) and the claims table built on it."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from selfrep.claims import at_most, claims_table
from selfrep.plotting.tables import short_number, table


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e-5, "1e-5"),
        (0.0001, "1e-4"),
        (2.5e-7, "2.5e-7"),
        (0.001, "0.001"),
        (0.5, "0.5"),
        (5.0, "5"),
        (1e6, "1e6"),
        (10_000, "10,000"),
        ((1.0, 1e-9), "(1, 1e-9)"),
        ((("float32", 1e-05),), "(('float32', 1e-5),)"),
        ("glorot", "'glorot'"),
        (True, "True"),
    ],
)
def test_short_number(value, text):
    assert short_number(value) == text


def test_cells_are_padded_so_numbers_do_not_run_together():
    html = table(pd.DataFrame({"a": [5.1], "b": [5.9]}), precision=1).to_html()
    assert "padding" in html and "5.1" in html and "5.10" not in html


def test_claims_table_fits_the_page():
    claim = at_most(
        "X1", "01_self_application", "A claim.", paper="none", value="n", holds=0, expected="holds"
    )
    sty = claims_table([claim], {"n": 0}, "ci")
    html = sty.to_html()
    widths = [float(w) for w in re.findall(r"width: (\d+)%;", html)]
    assert sorted(widths)[-1] == 100 and sum(widths) - 100 == pytest.approx(100)  # columns fill the table
    assert "font-size: 0.8em" in html and "overflow-wrap: break-word" in html
    columns = ["id", "claim", "paper", "measured", "verdict", "seeds", "rule", "expected"]
    assert list(sty.data.columns) == columns
