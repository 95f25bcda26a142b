"""The converters on the real shared corpora (skipped when THREAT_CORPORA is absent)."""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import pytest

from infer.taxonomy import country_code
from train.records import validate_record
from train.sources import Conversion
from train.sources import convert as convert_uncached

pytestmark = pytest.mark.corpora

FILES = {
    "wikipedia": "wikipedia_incidents.csv",
    "satp": "satp.csv",
    "case": "case2021_task2.tsv",
    "rand": "rand_rdwti.csv",
}


@cache
def convert(source: str, path: Path) -> Conversion:
    """Convert a real file once per test session (the RAND file takes seconds)."""
    return convert_uncached(source, path)


def corpus_file(corpora_dir: Path, source: str) -> Path:
    """The real file of a source, skipping the test when it is missing."""
    path = corpora_dir / FILES[source]
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def test_wikipedia_yields_8500_labelled_records_with_country_on_95_percent(corpora_dir):
    result = convert("wikipedia", corpus_file(corpora_dir, "wikipedia"))
    labelled = [record for record in result.records if record["incident_types"]]
    assert len(labelled) == len(result.records) >= 8_500
    assert sum(record["country"] is not None for record in labelled) >= 0.95 * len(labelled)


def test_satp_keeps_every_unlabelled_row_and_accounts_for_every_row(corpora_dir):
    path = corpus_file(corpora_dir, "satp")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    result = convert("satp", path)
    assert len(result.records) + sum(result.dropped.values()) == len(rows)
    assert result.dropped["empty text"] == 2
    assert len(result.records) == 7_443
    unlabelled = sum(
        1
        for row in rows
        if row["text"].strip()
        and not any(row[c] == "1" for c in ("ArmedAssault", "Bombing", "Kidnapping", "Other"))
    )
    negatives = [r for r in result.records if r["source"] == "satp"]
    assert sum(not record["incident_types"] for record in negatives) == unlabelled


def test_rand_descriptions_no_longer_start_with_a_country_dateline(corpora_dir):
    result = convert("rand", corpus_file(corpora_dir, "rand"))
    dateline = re.compile(r"^([A-Z][A-Z /-]+[A-Z])[.:] ")
    leaks = [
        record["text"][:40]
        for record in result.records
        if (match := dateline.match(record["text"])) and country_code(match[1])
    ]
    assert leaks == []
    assert {record["source"] for record in result.records} == {"rand:weak"}


@pytest.mark.parametrize("source", sorted(FILES))
def test_real_conversions_are_valid_canonical_records_with_unique_ids(corpora_dir, source):
    result = convert(source, corpus_file(corpora_dir, source))
    assert result.records
    for index, record in enumerate(result.records):
        assert validate_record(record, f"{source}[{index}]") == record
    assert len({record["id"] for record in result.records}) == len(result.records)
