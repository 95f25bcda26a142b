"""The satp converter: label columns, negatives kept, Other-only rows marked, empty dropped."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from infer.taxonomy import INCIDENT_TYPES
from train.sources import satp
from train.sources.satp import LABEL_COLUMNS

HEADER = ("text", "ArmedAssault", "Bombing", "Kidnapping", "Other", "split")


def write_rows(path: Path, rows: list[tuple[str, int, int, int, int, str]]) -> Path:
    """Write rows in the SATP benchmark layout."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(("column", "labels"), LABEL_COLUMNS)
def test_every_label_column_maps_to_taxonomy_labels(column, labels):
    assert column in HEADER
    assert set(labels) <= set(INCIDENT_TYPES)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((1, 0, 0, 0), ["armed_assault"]),
        ((0, 1, 0, 0), ["bombing"]),
        ((0, 0, 1, 0), ["kidnap"]),
        ((1, 1, 1, 0), ["bombing", "armed_assault", "kidnap"]),
        ((1, 0, 0, 1), ["armed_assault"]),
        ((0, 0, 0, 0), []),
    ],
)
def test_label_columns_map_to_incident_types(tmp_path, flags, expected):
    path = write_rows(
        tmp_path / "s.csv", [("Militants did something in a district.", *flags, "dev")]
    )
    [record] = satp.convert(path).records
    assert record["incident_types"] == expected


def test_rows_without_labels_are_kept_as_negatives_with_region_and_split(tmp_path):
    path = write_rows(
        tmp_path / "s.csv", [("Police arrested two cadres on Monday.", 0, 0, 0, 0, "train")]
    )
    assert satp.convert(path).records == [
        {
            "id": "satp-000000",
            "text": "Police arrested two cadres on Monday.",
            "incident_types": [],
            "region": "South Asia",
            "country": None,
            "source": "satp",
            "split": "train",
            "date": None,
        }
    ]


def test_other_only_rows_are_kept_without_labels_and_marked_and_empty_texts_dropped(tmp_path):
    path = write_rows(
        tmp_path / "s.csv",
        [
            ("Cadres set two trucks ablaze.", 0, 0, 0, 1, "train"),
            ("", 0, 0, 0, 0, "train"),
            ("nan", 0, 0, 0, 0, "test"),
            ("A bomb went off near a market.", 0, 1, 0, 0, "test"),
        ],
    )
    result = satp.convert(path)
    assert [(r["id"], r["incident_types"], r["source"]) for r in result.records] == [
        ("satp-000000", [], "satp:other"),
        ("satp-000003", ["bombing"], "satp"),
    ]
    assert result.dropped == {"empty text": 2}
