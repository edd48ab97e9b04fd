"""`selfrep compare`: a changed or missing value fails; measured times and added values do not."""

from __future__ import annotations

import math

from selfrep.book.compare import compare, same
from selfrep.cli import main
from selfrep.files import write_json_atomic


def _write(folder, chapter, values, scale="ci", seed=0):
    write_json_atomic(
        folder / f"{chapter}.json",
        {"chapter": chapter, "scale": scale, "seed": seed, "versions": {}, "wall_s": 1.0, "values": values},
    )


def test_same_is_strict_about_type_and_treats_nan_as_equal():
    assert same(math.nan, math.nan) and same(1, 1) and same("a", "a")
    assert not same(1, 1.0) and not same(True, 1) and not same(0.1, 0.1000001)


def test_compare_reports_changes_and_ignores_times(tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old, "ch", {"a": 1, "b": 0.5, "c": "x", "run_wall_s": 3.0, "gone": 2})
    _write(new, "ch", {"a": 1, "b": 0.5, "c": "x", "run_wall_s": 4.0, "new": 7})
    (d,) = compare(old, new)
    assert d.changed == () and d.timings == ("run_wall_s",) and d.missing == ("gone",) and d.added == ("new",)
    assert main(["compare", str(old), str(new)]) == 1  # a value went missing
    _write(new, "ch", {"a": 1, "b": 0.25, "c": "x", "run_wall_s": 4.0, "gone": 2})
    assert main(["compare", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "ch.b: 0.5 -> 0.25" in out and "1 changed, 0 missing" in out
    _write(new, "ch", {"a": 1, "b": 0.5, "c": "x", "run_wall_s": 9.0, "gone": 2})
    assert main(["compare", str(old), str(new)]) == 0


def test_compare_fails_on_another_scale_or_absent_results(tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old, "ch", {"a": 1})
    _write(old, "other", {"a": 1})
    _write(new, "ch", {"a": 1}, scale="paper")
    assert main(["compare", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "scale/seed ci/0 in OLD, paper/0 in NEW" in out and "other: no results in NEW" in out
