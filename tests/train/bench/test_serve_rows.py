"""Plumbing of the serve benchmark: a real server, a few requests per row (nothing is timed)."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the serve benchmark needs the serve extra")


def test_serve_bench_reports_every_row_against_in_process(model_dir, tmp_path, monkeypatch) -> None:
    from train.bench import serve

    monkeypatch.setattr(serve, "REQUESTS", dict.fromkeys(serve.REQUESTS, 64))
    monkeypatch.setattr(serve, "IN_PROCESS_CALLS", {1: 4, 32: 2})
    monkeypatch.setattr(serve, "ROUNDS", 2)
    out = serve.run_serve(None, tmp_path, quick=True, model=model_dir)
    rows = {(row["size"], row["clients"]): row for row in out["rows"]}
    assert sorted(rows) == [(1, 1), (1, 8), (1, 64), (32, 1), (32, 8), (32, 64)]
    for row in rows.values():
        assert row["errors"] == 0
        assert row["requests"] == 16 and row["rounds"] == 2
        assert row["vs_in_process"] > 0 and row["p50_ms"] > 0
    assert rows[32, 1]["goal"] == ">= 0.8" and rows[1, 64]["goal"] == ">= 0.5"
    assert "goal" not in rows[1, 8]
    section = "\n".join(serve.serve_section({**out, "command": "x", "measured": "now"}))
    assert section.count("`threat-tagger serve` (HTTP, loopback)") == 6
