"""The wikipedia converter: type-string mapping table, dates, locations, drops and counts."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from infer.errors import ThreatTaggerError
from infer.taxonomy import INCIDENT_TYPES, normalize_incident_types
from train.sources import wikipedia
from train.sources.wikipedia import (
    TYPE_PATTERNS,
    location_country,
    map_type,
    parse_date,
    type_parts,
)

HEADER = ("date", "type", "dead", "injured", "location", "details", "perpetrator")


def write_rows(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """Write (date, type, location, details) rows in the Wikipedia table layout."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for date, kind, location, details in rows:
            writer.writerow((date, kind, "0", "0", location, details, "Some Front"))
    return path


@pytest.mark.parametrize(("pattern", "labels", "why"), TYPE_PATTERNS)
def test_every_type_pattern_compiles_and_maps_to_taxonomy_labels(pattern, labels, why):
    re.compile(pattern)
    assert set(labels) <= set(INCIDENT_TYPES)
    assert why.strip()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Shooting", ["armed_assault"]),
        ("Bombing", ["bombing"]),
        ("Suicide car bombing", ["bombing"]),
        ("Grenade attack", ["bombing"]),
        ("Mortar fire", ["bombing"]),
        ("Rocket-propelled grenade attack", ["bombing"]),
        ("Airstrike", ["bombing"]),
        ("Land mine", ["bombing"]),
        ("IED", ["bombing"]),
        ("Suicide attack", ["bombing"]),
        ("Suicide bombing (alleged)", ["bombing"]),
        ("Ambush", ["armed_assault", "ambush"]),
        ("Shooting, kidnapping", ["armed_assault", "kidnap"]),
        ("Kidnapping and murder", ["armed_assault", "kidnap"]),
        ("Hostage-taking", ["kidnap"]),
        ("Hostage\xa0crisis", ["kidnap"]),
        ("Siege", ["kidnap"]),
        ("Assassination", ["assassination"]),
        ("Arson", ["facility_attack"]),
        ("Firebombing", ["facility_attack"]),
        ("Petrol bomb", ["facility_attack"]),
        ("Sabotage", ["facility_attack"]),
        ("Firefight", ["armed_assault"]),
        ("Stabbing", ["armed_assault"]),
        ("Melee attack", ["armed_assault"]),
        ("Execution", ["armed_assault"]),
        ("Massacre", ["armed_assault"]),
        ("Clashes", ["armed_assault"]),
        ("Attack", ["armed_assault"]),
        ("Hijacking", ["hijacking"]),
        ("Suicide hijackings", ["hijacking"]),
        ("Piracy", ["hijacking"]),
        ("Bombing \\ Suicide bombing \\ Shooting", ["bombing", "armed_assault"]),
        ("Shooting, arson, looting", ["armed_assault", "facility_attack"]),
        ("Bombing/Shooting; Kidnapping", ["bombing", "armed_assault", "kidnap"]),
        ("Unknown", []),
        ("Vehicular attack", []),
        ("Vehicle bomb", ["bombing"]),
        ("Chemical attack", []),
        ("Unarmed Assault", []),
        ("Shootdown", []),
        ("Bombing plot", []),
        ("Riots", []),
        ("Bombing shooting", ["bombing", "armed_assault"]),
        ("Shooting Hostage-taking", ["armed_assault", "kidnap"]),
        ("Shooting assassination", ["assassination", "armed_assault"]),
        ("Suicide car bomb assassination", ["assassination", "bombing"]),
        ("Burning", ["armed_assault"]),
        ("Arson", ["facility_attack"]),
        ("Kidnapping, followed by torturing and murdering the victim", ["kidnap", "armed_assault"]),
        ("Property takeover; hostage-taking", ["kidnap"]),
    ],
)
def test_type_strings_map_to_incident_types(raw, expected):
    labels, unrecognised, _recognised = map_type(raw)
    assert normalize_incident_types(labels) == normalize_incident_types(expected)
    assert unrecognised == []


def test_unrecognised_type_parts_are_reported_and_recognised_ones_still_map():
    labels, unrecognised, recognised = map_type("Shooting, Zorblatting")
    assert labels == ["armed_assault"]
    assert unrecognised == ["zorblatting"]
    assert recognised


def test_type_cell_splits_on_separators_and_drops_parenthetical_remarks():
    assert type_parts("Shooting, Bombing/Arson and Kidnapping (alleged); Siege & Raid") == [
        "shooting",
        "bombing",
        "arson",
        "kidnapping",
        "siege",
        "raid",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("January 13 1970", "1970-01-13"),
        ("13 January 1970", "1970-01-13"),
        ("February 19–28 1972", "1972-02-19"),
        ("September 5-6 1972", "1972-09-05"),
        ("*23 January 1975", "1975-01-23"),
        ("April 1970", None),
        (" 1971", None),
        ("February 30 1990", None),
        ("February Unknown 1990", None),
    ],
)
def test_dates_parse_to_iso_or_none(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("Belfast, Northern Ireland", "GB"),
        ("Munich, West Germany", "DE"),
        ("Kabul, Afghanistan", "AF"),
        ("Baghdad Iraq", "IQ"),
        ("Kibirizi Democratic Republic of Congo", "CD"),
        ("Switzerland", "CH"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_location_country_is_the_last_part_resolved_by_the_taxonomy(location, expected):
    assert location_country(location) == expected


def test_convert_labels_rows_and_fills_country_region_date(tmp_path):
    path = write_rows(
        tmp_path / "w.csv",
        [
            (
                "March 3 1999",
                "Car bombing, shooting",
                "Ankara, Turkey",
                "A car bomb exploded near a ministry.[4][5] Gunmen then opened fire.[6]",
            ),
        ],
    )
    result = wikipedia.convert(path)
    assert result.records == [
        {
            "id": "wikipedia-000000",
            "text": "A car bomb exploded near a ministry. Gunmen then opened fire.",
            "incident_types": ["bombing", "armed_assault"],
            "region": "Middle East & North Africa",
            "country": "TR",
            "source": "wikipedia",
            "split": None,
            "date": "1999-03-03",
        }
    ]


def test_unknown_and_unmapped_types_are_dropped_and_counted_not_labelled_none(tmp_path):
    path = write_rows(
        tmp_path / "w.csv",
        [
            ("May 1 2001", "Unknown", "Lima, Peru", "Something happened."),
            ("May 2 2001", "Zorblatting", "Lima, Peru", "Something else happened."),
            ("May 3 2001", "Vehicular attack", "Lima, Peru", "A van hit people."),
            ("May 4 2001", "Shooting", "Lima, Peru", "[12]"),
            ("May 5 2001", "Kidnapping", "Lima, Peru", "Two engineers were abducted."),
        ],
    )
    result = wikipedia.convert(path)
    assert [record["id"] for record in result.records] == ["wikipedia-000004"]
    assert result.dropped == {
        "type implies no incident type": 2,
        "type unmapped": 1,
        "empty details": 1,
    }
    assert result.unmapped == {"type: zorblatting": 1}


def test_unresolved_locations_are_counted_and_leave_country_null(tmp_path):
    path = write_rows(
        tmp_path / "w.csv",
        [
            ("May 1 2001", "Bombing", "Somewhere, Atlantis", "A bomb went off."),
        ],
    )
    result = wikipedia.convert(path)
    assert result.records[0]["country"] is None
    assert result.records[0]["region"] is None
    assert result.unmapped == {"location: Atlantis": 1}


def test_missing_column_error_names_the_file_and_column(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("date,type,location\nMay 1 2001,Bombing,Lima\n", encoding="utf-8")
    with pytest.raises(ThreatTaggerError, match=r"w\.csv:1: missing column\(s\) 'details'"):
        wikipedia.convert(path)
