"""`selfrep bench --quick --json` prints the documented object (timings themselves are not asserted)."""

from __future__ import annotations

import json

from selfrep import perf
from selfrep.cli import main


def test_bench_json_schema(monkeypatch, capsys):
    monkeypatch.setattr(perf, "QUICK_SIZES", (1, 1000))
    assert main(["bench", "--quick", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("results", "loop_baseline_us_per_net_step", "speedup_vs_loop_at_P1000", "torch", "threads"):
        assert key in report
    ops = {(r["op"], r["backend"], r["P"]) for r in report["results"]}
    for op in perf.OPS:
        assert (op, "eager", 1000) in ops
    for r in report["results"]:
        assert set(r) >= {"op", "reduction", "P", "us_per_net_step"} and r["us_per_net_step"] > 0
    assert report["loop_baseline_us_per_net_step"] > 0 and report["speedup_vs_loop_at_P1000"] > 1


def test_bench_table_renders(monkeypatch, capsys):
    monkeypatch.setattr(perf, "QUICK_SIZES", (1,))
    assert main(["bench", "--quick", "--backend", "eager"]) == 0
    out = capsys.readouterr().out
    assert "| op | backend | P=1 |" in out and "loop (published style)" in out
