"""The RAND converter: weak weapon labels, dateline stripping, drops and counts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from infer.taxonomy import INCIDENT_TYPES
from train.sources import rand
from train.sources.rand import WEAPON_LABELS, strip_dateline

HEADER = (
    "Date",
    "City",
    "Country",
    "Perpetrator",
    "Weapon",
    "Injuries",
    "Fatalities",
    "Description",
)


def write_rows(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """Write (date, country, weapon, description) rows in the RAND layout."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for date, country, weapon, description in rows:
            writer.writerow((date, "Capital", country, "Unknown", weapon, "0", "0", description))
    return path


@pytest.mark.parametrize(("weapon", "labels"), WEAPON_LABELS.items())
def test_every_weapon_maps_to_taxonomy_labels(weapon, labels):
    assert set(labels) <= set(INCIDENT_TYPES)


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("ARGENTINA.  The second floor was hit.", "The second floor was hit."),
        ("UNITED STATES - A group bombed an office.", "A group bombed an office."),
        ("FEDERAL REPUBLIC OF GERMANY.  A car burned.", "A car burned."),
        ("MYANMAR (formerly Burma).  Two students took a plane.", "Two students took a plane."),
        ("CZECH/SLOVAKIA BORDER.  A shed was bombed.", "A shed was bombed."),
        ("SPAIN. A bomb exploded.", "A bomb exploded."),
        ("Gaza Strip.  A man was stabbed.", "A man was stabbed."),
        ("UNITED STATES. California.  A bomb exploded.", "A bomb exploded."),
        ("U.S. Embassy offices were bombed.", "U.S. Embassy offices were bombed."),
        ("A bomb exploded.  No one was hurt.", "A bomb exploded.  No one was hurt."),
        ("ETA. claimed it.", "ETA. claimed it."),
        (
            "Gunmen killed two policemen.  Attacks are frequent.",
            "Gunmen killed two policemen.  Attacks are frequent.",
        ),
    ],
)
def test_country_datelines_are_stripped_from_descriptions(description, expected):
    assert strip_dateline(description) == expected


def test_convert_marks_records_weak_and_maps_weapon_country_and_date(tmp_path):
    path = write_rows(
        tmp_path / "r.csv",
        [
            (
                "1975-06-01",
                "Uruguay",
                "Fire or Firebomb",
                "URUGUAY.  A Molotov cocktail was thrown at an office.",
            ),
        ],
    )
    assert rand.convert(path).records == [
        {
            "id": "rand-000000",
            "text": "A Molotov cocktail was thrown at an office.",
            "incident_types": ["facility_attack"],
            "region": "South America",
            "country": "UY",
            "source": "rand:weak",
            "split": None,
            "date": "1975-06-01",
        }
    ]


@pytest.mark.parametrize(
    ("weapon", "expected"),
    [
        ("Explosives", ["bombing"]),
        ("Remote-detonated explosive", ["bombing"]),
        ("Firearms", ["armed_assault"]),
        ("Knives & sharp objects", ["armed_assault"]),
    ],
)
def test_weapons_imply_incident_types(tmp_path, weapon, expected):
    path = write_rows(tmp_path / "r.csv", [("1990-01-02", "Peru", weapon, "It happened.")])
    assert rand.convert(path).records[0]["incident_types"] == expected


def test_rows_whose_weapon_implies_nothing_safe_are_dropped_and_counted(tmp_path):
    path = write_rows(
        tmp_path / "r.csv",
        [
            ("1990-01-02", "Peru", "Unknown", "Something happened."),
            ("1990-01-03", "Peru", "Chemical Agent", "Something happened."),
            ("1990-01-04", "Peru", "Catapult", "Something happened."),
            ("1990-01-05", "Peru", "Explosives", "PERU.  "),
            ("1990-01-06", "Atlantis", "Explosives", "A bomb exploded."),
        ],
    )
    result = rand.convert(path)
    assert [(r["id"], r["country"]) for r in result.records] == [("rand-000004", None)]
    assert result.dropped == {
        "weapon implies no safe type (Unknown)": 1,
        "weapon implies no safe type (Chemical Agent)": 1,
        "weapon unmapped": 1,
        "empty description": 1,
    }
    assert result.unmapped == {"weapon: Catapult": 1, "country: Atlantis": 1}
