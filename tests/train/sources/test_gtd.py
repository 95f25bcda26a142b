"""The GTD converter on small invented files in the GTD codebook's column layout."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from infer.taxonomy import INCIDENT_TYPES
from train.sources import gtd
from train.sources.gtd import ATTACK_TYPES

# A subset of the GTD codebook's columns, in its order; the converter must ignore the extra ones.
HEADER = (
    "eventid",
    "iyear",
    "imonth",
    "iday",
    "extended",
    "country",
    "country_txt",
    "region",
    "region_txt",
    "city",
    "summary",
    "attacktype1",
    "attacktype1_txt",
    "attacktype2",
    "attacktype2_txt",
    "attacktype3",
    "attacktype3_txt",
    "nkill",
)
# Invented events; none is a real GTD row.
ROWS = (
    (
        "201001010001",
        "2010",
        "1",
        "1",
        "0",
        "95",
        "Iraq",
        "10",
        "Middle East & North Africa",
        "Mosul",
        "A car bomb exploded near a checkpoint; gunmen then fired on the crowd.",
        "3",
        "Bombing/Explosion",
        "2",
        "Armed Assault",
        "",
        "",
        "4",
    ),
    (
        "198503000002",
        "1985",
        "3",
        "0",
        "0",
        "92",
        "India",
        "6",
        "South Asia",
        "Amritsar",
        "Militants abducted a bank manager.",
        "6",
        "Hostage Taking (Kidnapping)",
        "",
        "",
        "",
        "",
        "0",
    ),
    (
        "197000000003",
        "1970",
        "0",
        "0",
        "0",
        "217",
        "United States",
        "1",
        "North America",
        "Madison",
        "",
        "7",
        "Facility/Infrastructure Attack",
        "",
        "",
        "",
        "",
        "0",
    ),
    (
        "201506060004",
        "2015",
        "6",
        "6",
        "0",
        "603",
        "United Kingdom",
        "8",
        "Western Europe",
        "London",
        "An assailant attacked people of unknown means.",
        "9",
        "Unknown",
        "",
        "",
        "",
        "",
        "0",
    ),
    (
        "201707070005",
        "2017",
        "7",
        "7",
        "0",
        "603",
        "United Kingdom",
        "8",
        "Western Europe",
        "London",
        "A van was driven into pedestrians.",
        "8",
        "Unarmed Assault",
        "",
        "",
        "",
        "",
        "1",
    ),
    (
        "199901010006",
        "1999",
        "1",
        "1",
        "0",
        "1001",
        "International",
        "12",
        "Australasia & Oceania",
        "",
        "A ship was seized at sea by armed men.",
        "4",
        "Hijacking",
        "",
        "",
        "",
        "",
        "0",
    ),
    (
        "200002020007",
        "2000",
        "2",
        "2",
        "0",
        "182",
        "Somalia",
        "11",
        "Eastern Europe",
        "Mogadishu",
        "Gunmen killed a minister; a hotel was set on fire.",
        "1",
        "Assassination",
        "7",
        "Facility/Infrastructure Attack",
        "5",
        "Hostage Taking (Barricade Incident)",
        "2",
    ),
)


def write_csv(path: Path, rows=ROWS, encoding: str = "utf-8") -> Path:
    """Write the invented rows as a GTD CSV export."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(("attack_type", "labels"), ATTACK_TYPES.items())
def test_every_gtd_attack_type_maps_to_taxonomy_labels(attack_type, labels):
    assert set(labels) <= set(INCIDENT_TYPES)


def test_all_three_attack_types_count_and_dates_honour_unknown_month_and_day(tmp_path):
    result = gtd.convert(write_csv(tmp_path / "gtd.csv"))
    by_id = {record["id"]: record for record in result.records}
    assert list(by_id) == [
        "gtd-201001010001",
        "gtd-198503000002",
        "gtd-199901010006",
        "gtd-200002020007",
    ]
    assert by_id["gtd-201001010001"]["incident_types"] == ["bombing", "armed_assault"]
    assert by_id["gtd-201001010001"]["date"] == "2010-01-01"
    assert by_id["gtd-198503000002"]["incident_types"] == ["kidnap"]
    assert by_id["gtd-198503000002"]["date"] == "1985-03"
    assert by_id["gtd-200002020007"]["incident_types"] == [
        "kidnap",
        "assassination",
        "facility_attack",
    ]


def test_empty_summaries_and_types_of_no_mapping_are_dropped_and_counted(tmp_path):
    result = gtd.convert(write_csv(tmp_path / "gtd.csv"))
    assert result.dropped == {"empty summary": 1, "no mappable attack type": 2}


def test_region_comes_from_our_country_table_and_mismatches_are_counted(tmp_path):
    result = gtd.convert(write_csv(tmp_path / "gtd.csv"))
    by_id = {record["id"]: record for record in result.records}
    assert (by_id["gtd-201001010001"]["country"], by_id["gtd-201001010001"]["region"]) == (
        "IQ",
        "Middle East & North Africa",
    )
    assert by_id["gtd-200002020007"]["region"] == "Sub-Saharan Africa"
    assert (
        result.unmapped[
            "region_txt mismatch: Somalia is 'Sub-Saharan Africa', not 'Eastern Europe'"
        ]
        == 1
    )


def test_international_events_keep_the_gtd_region_without_a_country(tmp_path):
    result = gtd.convert(write_csv(tmp_path / "gtd.csv"))
    [record] = [r for r in result.records if r["id"] == "gtd-199901010006"]
    assert (record["country"], record["region"], record["incident_types"]) == (
        None,
        "Australasia & Oceania",
        ["hijacking"],
    )
    assert result.unmapped["country: International"] == 1


def test_unknown_attack_type_strings_are_reported(tmp_path):
    row = (
        "201001010009",
        "2010",
        "1",
        "1",
        "0",
        "95",
        "Iraq",
        "10",
        "Middle East & North Africa",
        "Mosul",
        "Something odd happened.",
        "10",
        "Teleportation",
        "",
        "",
        "",
        "",
        "0",
    )
    result = gtd.convert(write_csv(tmp_path / "gtd.csv", rows=(row,)))
    assert result.records == []
    assert result.unmapped == {"attack type: Teleportation": 1}


def test_windows_1252_exports_are_read(tmp_path):
    row = (
        "201001010010",
        "2010",
        "1",
        "1",
        "0",
        "45",
        "Colombia",
        "3",
        "South America",
        "Bogotá",
        "Rebels attacked a café in Bogotá.",
        "2",
        "Armed Assault",
        "",
        "",
        "",
        "",
        "0",
    )
    result = gtd.convert(write_csv(tmp_path / "gtd.csv", rows=(row,), encoding="cp1252"))
    assert result.records[0]["text"] == "Rebels attacked a café in Bogotá."


def test_xlsx_exports_convert_like_csv(tmp_path):
    pandas = pytest.importorskip("pandas")
    pytest.importorskip("openpyxl")
    path = tmp_path / "gtd.xlsx"
    pandas.DataFrame(list(ROWS), columns=list(HEADER)).to_excel(path, index=False)
    assert gtd.convert(path).records == gtd.convert(write_csv(tmp_path / "gtd.csv")).records
