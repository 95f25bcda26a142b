"""The CASE 2021 converter and the ACLED sub-event table it shares with the ACLED converter."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from infer.taxonomy import INCIDENT_TYPES
from train.sources import case
from train.sources.acled_types import CASE_CODES, SUB_EVENT_TYPES, sub_event_labels

# ACLED codebook sub_event_type names; the table must cover every one of them.
ACLED_CODEBOOK = (
    "Armed clash",
    "Government regains territory",
    "Non-state actor overtakes territory",
    "Chemical weapon",
    "Air/drone strike",
    "Suicide bomb",
    "Shelling/artillery/missile attack",
    "Remote explosive/landmine/IED",
    "Grenade",
    "Sexual violence",
    "Attack",
    "Abduction/forced disappearance",
    "Peaceful protest",
    "Protest with intervention",
    "Excessive force against protesters",
    "Violent demonstration",
    "Mob violence",
    "Agreement",
    "Arrests",
    "Change to group/activity",
    "Disrupted weapons use",
    "Headquarters or base established",
    "Looting/property destruction",
    "Non-violent transfer of territory",
    "Other",
)


def write_rows(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """Write (id, snippet, sub-type) rows in the CASE 2021 task 2 TSV layout."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(("id", "EventSnippet", "SubType"))
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(("name", "labels"), SUB_EVENT_TYPES.items())
def test_every_sub_event_type_maps_to_taxonomy_labels_or_is_dropped(name, labels):
    assert labels is None or set(labels) <= set(INCIDENT_TYPES)


@pytest.mark.parametrize("name", ACLED_CODEBOOK)
def test_every_acled_codebook_sub_event_type_is_in_the_table(name):
    assert name in SUB_EVENT_TYPES


@pytest.mark.parametrize(("code", "name"), CASE_CODES.items())
def test_every_case_code_names_a_sub_event_type_of_the_table(code, name):
    assert code.isupper()
    assert name in SUB_EVENT_TYPES


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("REM_EXPLOS", ("bombing",)),
        ("SUIC_BOMB", ("bombing",)),
        ("GRENADE", ("bombing",)),
        ("ART_MISS_ATTACK", ("bombing",)),
        ("AIR_STRIKE", ("bombing",)),
        ("ATTACK", ("armed_assault",)),
        ("ARMED_CLASH", ("armed_assault",)),
        ("ABDUCT_DISSAP", ("kidnap",)),
        ("PROPERTY_DISTRUCT", ("facility_attack",)),
        ("PEACE_PROTEST", ()),
        ("ARREST", ()),
        ("AGREEMENT", ()),
        ("DIPLO", ()),
        ("NATURAL_DISASTER", ()),
        ("MAN_MADE_DISASTER", ()),
        ("HQ_ESTABLISHED", ()),
        ("NON_VIOL_TERRIT_TRANSFER", ()),
        ("CHANGE_TO_GROUP_ACT", ()),
        ("DISR_WEAP", ()),
        ("CHEM_WEAP", None),
        ("SEX_VIOL", None),
        ("MOB_VIOL", None),
        ("OTHER", None),
        ("ATTRIB", None),
        ("VIOL_DEMONSTR", None),
        ("GOV_REGAINS_TERIT", None),
    ],
)
def test_case_codes_map_through_the_acled_table(code, expected):
    assert sub_event_labels(CASE_CODES[code]) == expected


def test_convert_keeps_violent_and_non_violent_rows_with_source_ids(tmp_path):
    path = write_rows(
        tmp_path / "c.tsv",
        [
            ("7", "A roadside device exploded under a patrol vehicle.", "REM_EXPLOS"),
            ("8", "Students marched peacefully to the ministry.", "PEACE_PROTEST"),
        ],
    )
    result = case.convert(path)
    assert [
        (r["id"], r["incident_types"], r["region"], r["country"], r["source"])
        for r in result.records
    ] == [
        ("case-7", ["bombing"], None, None, "case"),
        ("case-8", [], None, None, "case"),
    ]
    assert not result.dropped


def test_ambiguous_and_unknown_sub_types_are_dropped_and_counted(tmp_path):
    path = write_rows(
        tmp_path / "c.tsv",
        [
            ("1", "Fighters took control of the town.", "NON_STATE_ACTOR_OVERTAKES_TER"),
            ("2", "Something unusual was reported.", "TELEPORTATION"),
            ("3", "", "ATTACK"),
        ],
    )
    result = case.convert(path)
    assert result.records == []
    assert result.dropped == {
        "ambiguous SubType NON_STATE_ACTOR_OVERTAKES_TER": 1,
        "SubType unmapped": 1,
        "empty text": 1,
    }
    assert result.unmapped == {"SubType: TELEPORTATION": 1}
