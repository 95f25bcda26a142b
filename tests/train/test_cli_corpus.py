"""`threat-tagger corpus` convert / stats / check, run in-process on files under tmp_path."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

import train.sources
from train.cli_corpus import app
from train.corpus import load_corpus
from train.sources.base import Conversion

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()

ARTICLE = (
    "Militants detonated a roadside bomb under a passing army truck near the border town, "
    "killing two soldiers and wounding five, a military spokesman said on Friday."
)


def rec(i: int, **overrides: object) -> dict:
    """A valid canonical record number i, with some fields replaced."""
    base = {
        "id": f"c-{i}",
        "text": f"Report {i}: gunmen shot at a police post on the highway.",
        "incident_types": ["armed_assault"],
        "region": None,
        "country": "PK",
        "source": "test",
        "split": None,
        "date": None,
    }
    return {**base, **overrides}


def write_jsonl(path: Path, rows: list[dict]) -> str:
    """Write rows as JSON lines and return the path as a spec string."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def table_value(output: str, row: str) -> str:
    """The value cell next to a row label in a rich two-column table."""
    match = re.search(rf"{re.escape(row)}\s*│\s*(\S+)", output)
    assert match, f"{row!r} not in output:\n{output}"
    return match.group(1)


def assert_one_line_error(result, fragment: str) -> None:
    """Exit status 1 and a single `error: ...` line on stderr, no traceback."""
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0]
    assert "Traceback" not in result.output


def test_convert_writes_canonical_file_and_reports_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversion = Conversion(
        records=[rec(1), rec(2, country="Atlantis"), rec(3, incident_types=["ambush"])],
        dropped=Counter({"empty text": 2}),
        unmapped=Counter({"Riot": 3, "Stampede": 1}),
    )
    monkeypatch.setitem(train.sources.SOURCES, "fakesrc", lambda path: conversion)
    raw, out = tmp_path / "raw.csv", tmp_path / "out" / "corpus.csv"
    raw.write_text("whatever", encoding="utf-8")
    result = runner.invoke(app, ["convert", "fakesrc", str(raw), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"2 records written to {out}" in result.stderr
    assert "dropped 2: empty text" in result.stderr
    assert "dropped 1: invalid canonical record" in result.stderr
    assert result.stderr.index("'Riot'") < result.stderr.index("'Stampede'")
    records = load_corpus(str(out)).records
    assert [r["incident_types"] for r in records] == [
        ["armed_assault"],
        ["armed_assault", "ambush"],
    ]


def test_convert_runs_a_real_converter_end_to_end(tmp_path: Path) -> None:
    raw = tmp_path / "satp_like.csv"
    with raw.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "ArmedAssault", "Bombing", "Kidnapping", "Other", "split"])
        writer.writerow(
            ["A bomb went off near a bus stand, injuring four people.", 0, 1, 0, 0, "dev"]
        )
        writer.writerow(["Police arrested two cadres at a checkpoint.", 0, 0, 0, 0, "train"])
    out = tmp_path / "satp.jsonl"
    result = runner.invoke(app, ["convert", "satp", str(raw), "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = load_corpus(str(out)).records
    assert [r["incident_types"] for r in records] == [["bombing"], []]


def test_convert_unknown_source_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["convert", "nosuch", str(tmp_path / "x.csv"), "-o", "y.jsonl"])
    assert_one_line_error(result, "nosuch")


def test_stats_counts_labels_regions_countries_and_duplicates(tmp_path: Path) -> None:
    rows = [
        rec(1, text=ARTICLE, incident_types=["bombing"]),
        rec(2, text=ARTICLE + " " + ARTICLE, incident_types=["bombing"]),
        rec(3, incident_types=[], country="CO"),
        rec(4, incident_types=["ambush"]),
    ]
    spec = write_jsonl(tmp_path / "c.jsonl", rows)
    result = runner.invoke(app, ["stats", spec])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert table_value(out, "records") == "4"
    assert table_value(out, "invalid rows") == "0"
    assert table_value(out, "duplicate groups (>1 member)") == "1"
    assert table_value(out, "records in them") == "2"
    assert table_value(out, "bombing") == "2"
    assert table_value(out, "none") == "1"
    assert table_value(out, "ambush") == "1"
    assert table_value(out, "armed_assault") == "1"
    assert table_value(out, "South Asia") == "3"
    assert table_value(out, "South America") == "1"
    assert table_value(out, "PK") == "3"


def test_stats_on_invalid_corpus_is_a_one_line_error(tmp_path: Path) -> None:
    spec = write_jsonl(tmp_path / "c.jsonl", [rec(1), rec(2, country="Atlantis")])
    result = runner.invoke(app, ["stats", spec])
    assert_one_line_error(result, "c.jsonl:2: unknown country 'Atlantis'")


def test_stats_skip_invalid_reports_invalid_rows(tmp_path: Path) -> None:
    spec = write_jsonl(tmp_path / "c.jsonl", [rec(1), rec(2, text=""), rec(3, region="Europe")])
    result = runner.invoke(app, ["stats", "--skip-invalid", spec])
    assert result.exit_code == 0, result.output
    assert table_value(result.stdout, "records") == "1"
    assert table_value(result.stdout, "invalid rows") == "2"


def test_stats_missing_spec_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["stats", str(tmp_path / "missing.jsonl")])
    assert_one_line_error(result, "no such file")


def test_check_valid_corpora_exit_zero(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [rec(1), rec(2)])
    b = write_jsonl(tmp_path / "b.jsonl", [rec(3)])
    result = runner.invoke(app, ["check", a, b])
    assert result.exit_code == 0, result.output
    assert f"ok {a}: 2 valid records, 0 invalid rows" in result.stdout
    assert f"ok {b}: 1 valid records" in result.stdout
    assert result.stderr == ""


def test_check_lists_every_error_and_exits_one(tmp_path: Path) -> None:
    rows = [rec(i, country=f"Nowhere{i}") for i in range(7)] + [rec(9)]
    spec = write_jsonl(tmp_path / "c.jsonl", rows)
    result = runner.invoke(app, ["check", spec])
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert errors == [f"{spec}:{i + 1}: unknown country 'Nowhere{i}'" for i in range(7)]
    assert f"invalid {spec}: 1 valid records, 7 invalid rows" in result.stdout


def test_check_skip_invalid_warns_but_exits_zero(tmp_path: Path) -> None:
    spec = write_jsonl(tmp_path / "c.jsonl", [rec(1), rec(2, incident_types=["riot"])])
    result = runner.invoke(app, ["check", "--skip-invalid", spec])
    assert result.exit_code == 0
    assert "unknown incident type 'riot'" in result.stderr
    assert f"warn {spec}: 1 valid records, 1 invalid rows" in result.stdout


@pytest.mark.corpora
def test_stats_runs_on_real_satp_through_its_converter(corpora_dir: Path) -> None:
    result = runner.invoke(app, ["stats", f"satp:{corpora_dir / 'satp.csv'}"])
    assert result.exit_code == 0, result.output
    assert int(table_value(result.stdout, "records")) > 5000
    assert "South Asia" in result.stdout


def test_stats_runs_on_the_demo_corpus() -> None:
    demo = REPO / "data" / "demo"
    if not any(demo.glob("*.jsonl")):
        pytest.skip("no demo corpus in data/demo yet")
    result = runner.invoke(app, ["stats", str(demo)])
    assert result.exit_code == 0, result.output
    assert int(table_value(result.stdout, "records")) > 0
