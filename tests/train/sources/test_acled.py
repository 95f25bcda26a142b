"""The ACLED converter on small invented files in the ACLED export's column layout."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from train.sources import acled
from train.sources.acled import parse_date

# A subset of ACLED's export columns in its order; the converter must ignore the extra ones.
HEADER = (
    "event_id_cnty",
    "event_date",
    "year",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "region",
    "country",
    "admin1",
    "location",
    "notes",
    "fatalities",
)


def write_rows(path: Path, rows: list[tuple[str, str, str, str, str, str]]) -> Path:
    """Write (id, date, sub-event type, ACLED region, country, notes) rows; events invented."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for event_id, date, sub_type, region, country, notes in rows:
            writer.writerow(
                (
                    event_id,
                    date,
                    "2020",
                    "Political violence",
                    "Some event type",
                    sub_type,
                    "Unidentified Armed Group",
                    region,
                    country,
                    "Province",
                    "Town",
                    notes,
                    "0",
                )
            )
    return path


def test_convert_maps_sub_event_type_and_takes_region_from_the_country(tmp_path):
    path = write_rows(
        tmp_path / "a.csv",
        [
            (
                "NIG1234",
                "14 March 2020",
                "Attack",
                "Western Africa",
                "Nigeria",
                "On 14 March 2020, gunmen attacked a village and killed three farmers.",
            ),
        ],
    )
    assert acled.convert(path).records == [
        {
            "id": "acled-NIG1234",
            "text": "On 14 March 2020, gunmen attacked a village and killed three farmers.",
            "incident_types": ["armed_assault"],
            "region": "Sub-Saharan Africa",
            "country": "NG",
            "source": "acled",
            "split": None,
            "date": "2020-03-14",
        }
    ]


@pytest.mark.parametrize(
    ("sub_type", "expected"),
    [
        ("Remote explosive/landmine/IED", ["bombing"]),
        ("Air/drone strike", ["bombing"]),
        ("Armed clash", ["armed_assault"]),
        ("Abduction/forced disappearance", ["kidnap"]),
        ("Looting/property destruction", ["facility_attack"]),
        ("Peaceful protest", []),
        ("arrests", []),
    ],
)
def test_sub_event_types_map_to_incident_types(tmp_path, sub_type, expected):
    path = write_rows(
        tmp_path / "a.csv",
        [
            ("IRQ1", "2020-05-01", sub_type, "Middle East", "Iraq", "Something was reported."),
        ],
    )
    [record] = acled.convert(path).records
    assert record["incident_types"] == expected
    assert record["region"] == "Middle East & North Africa"


def test_ambiguous_unknown_and_empty_rows_are_dropped_and_counted(tmp_path):
    path = write_rows(
        tmp_path / "a.csv",
        [
            ("SYR1", "2020-05-01", "Chemical weapon", "Middle East", "Syria", "Gas was used."),
            ("SYR2", "2020-05-02", "Teleportation", "Middle East", "Syria", "Odd event."),
            ("SYR3", "2020-05-03", "Attack", "Middle East", "Syria", ""),
            ("XXX4", "2020-05-04", "Grenade", "Nowhere", "Atlantis", "A grenade was thrown."),
        ],
    )
    result = acled.convert(path)
    assert [(r["id"], r["country"], r["region"]) for r in result.records] == [
        ("acled-XXX4", None, None)
    ]
    assert result.dropped == {
        "ambiguous sub_event_type Chemical weapon": 1,
        "sub_event_type unmapped": 1,
        "empty notes": 1,
    }
    assert result.unmapped == {"sub_event_type: Teleportation": 1, "country: Atlantis": 1}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-01-25", "2021-01-25"),
        ("25 January 2021", "2021-01-25"),
        ("25-January-2021", "2021-01-25"),
        ("sometime", None),
    ],
)
def test_acled_event_dates_parse_to_iso(raw, expected):
    assert parse_date(raw) == expected
