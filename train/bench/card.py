"""The issue-6 accuracy figures from BENCHMARKS.json, as a section of a model card."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from train.bench import REPO_ROOT

BENCHMARKS_JSON = REPO_ROOT / "BENCHMARKS.json"
SYSTEM = "threat-tagger"


def load_benchmarks(path: Path = BENCHMARKS_JSON) -> dict[str, Any]:
    """BENCHMARKS.json as a dict ({} when absent or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _value(metrics: Mapping[str, Any], metric: str) -> str:
    """threat-tagger's figure for one metric, or a dash."""
    value = (metrics.get(metric) or {}).get(SYSTEM)
    return "–" if value is None else f"{value:.3f}"


def accuracy_section(benchmarks: Mapping[str, Any]) -> list[str]:
    """Markdown lines: every issue-6 row with threat-tagger's figure and the goal."""
    rows = (benchmarks.get("accuracy") or {}).get("rows") or {}
    if not rows:
        return []
    lines = [
        "## Accuracy on the shared real corpora (issue 6)",
        "",
        "Measured by `make bench` (`python -m train.bench`), which trains each setting's "
        "model with this project's configs (`full.toml`, `satp.toml`) and scores held-out "
        "test data; see BENCHMARKS.md for the baselines, the machine and the commands.",
        "",
        "| check | metric | threat-tagger | goal | measured |",
        "|---|---|---|---|---|",
    ]
    for row in sorted(rows.values(), key=lambda r: r.get("row", 0)):
        goals = row.get("goals") or {}
        for metric in row.get("metrics") or {}:
            lines.append(
                f"| {row.get('title', '')} | {metric} | "
                f"{_value(row['metrics'], metric)} | {goals.get(metric, '')} | "
                f"{str(row.get('measured', ''))[:10]} |"
            )
    return [*lines, ""]
