"""The issue-6 figures that models/full's model card copies from BENCHMARKS.json."""

from __future__ import annotations

import json
from pathlib import Path

from train.bench.card import accuracy_section, load_benchmarks

BENCH = {
    "accuracy": {
        "rows": {
            "case": {
                "row": 4,
                "title": "Full model on CASE 2021 snippets",
                "measured": "2026-01-02T03:04",
                "metrics": {
                    "micro_f1": {"naive": 0.5, "threat-tagger": 0.8123},
                    "false_tag_share": {"naive": 0.3},
                },
                "goals": {"micro_f1": ">= 0.80", "false_tag_share": "<= 0.10"},
            },
            "satp": {
                "row": 1,
                "title": "SATP relevant",
                "metrics": {"samples_f1": {"threat-tagger": 0.9}},
                "goals": {"samples_f1": ">= 0.92"},
            },
        }
    }
}


def test_card_section_lists_threat_tagger_figures_with_goals_in_row_order() -> None:
    lines = accuracy_section(BENCH)
    rows = [line for line in lines if line.startswith("| ") and "---" not in line][1:]
    assert rows[0].startswith("| SATP relevant | samples_f1 | 0.900 | >= 0.92 |")
    assert rows[1] == (
        "| Full model on CASE 2021 snippets | micro_f1 | 0.812 | >= 0.80 | 2026-01-02 |"
    )
    assert rows[2].startswith("| Full model on CASE 2021 snippets | false_tag_share | – |")


def test_no_benchmarks_file_means_no_section(tmp_path: Path) -> None:
    assert load_benchmarks(tmp_path / "missing.json") == {}
    (tmp_path / "bad.json").write_text("not json", encoding="utf-8")
    assert load_benchmarks(tmp_path / "bad.json") == {}
    assert accuracy_section({}) == []


def test_load_benchmarks_reads_the_json(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.json"
    path.write_text(json.dumps(BENCH), encoding="utf-8")
    assert load_benchmarks(path) == BENCH
