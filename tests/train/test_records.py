"""Canonical record validation, CSV cell encoding, fingerprint and writers."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from infer.errors import ThreatTaggerError
from train.records import (
    FIELDS,
    RecordError,
    fingerprint,
    missing_columns,
    parse_labels,
    to_csv_row,
    validate_record,
    write_records,
)

WHERE = "data/x.jsonl:12"


def raw(**overrides: object) -> dict:
    """A valid raw record with some fields replaced."""
    base = {
        "id": "r1",
        "text": "Gunmen opened fire on a bus.",
        "incident_types": ["armed_assault"],
        "region": None,
        "country": None,
        "source": "test",
        "split": None,
        "date": None,
    }
    return {**base, **overrides}


def test_valid_record_keeps_canonical_fields_only() -> None:
    record = validate_record({**raw(), "extra": 1}, WHERE)
    assert tuple(record) == FIELDS
    assert record["text"] == "Gunmen opened fire on a bus."


def test_ambush_adds_armed_assault_in_canonical_order() -> None:
    record = validate_record(raw(incident_types=["ambush", "bombing", "ambush"]), WHERE)
    assert record["incident_types"] == ["bombing", "armed_assault", "ambush"]


def test_country_alone_fills_region_from_taxonomy() -> None:
    record = validate_record(raw(country="CO"), WHERE)
    assert record["region"] == "South America"


def test_country_name_is_normalised_to_iso_code() -> None:
    assert validate_record(raw(country="Colombia"), WHERE)["country"] == "CO"


def test_region_is_matched_case_insensitively() -> None:
    assert validate_record(raw(region="south asia"), WHERE)["region"] == "South Asia"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"incident_types": ["bombing", "riot"]}, "unknown incident type 'riot'"),
        ({"region": "Europe"}, "unknown region 'Europe'"),
        ({"country": "Atlantis"}, "unknown country 'Atlantis'"),
        (
            {"region": "South Asia", "country": "CO"},
            "region 'South Asia' disagrees with country 'CO' (South America)",
        ),
        ({"text": ""}, "empty text"),
        ({"text": "   "}, "empty text"),
        ({"text": None}, "empty text"),
        ({"text": math.nan}, "empty text"),
        ({"id": None}, "missing value for 'id'"),
        ({"source": ""}, "missing value for 'source'"),
        ({"incident_types": None}, "missing value for 'incident_types'"),
        ({"incident_types": 3}, "'incident_types' must be a list"),
        ({"text": 42}, "'text' must be a string"),
    ],
)
def test_invalid_record_error_names_where_and_problem(overrides: dict, message: str) -> None:
    with pytest.raises(RecordError) as info:
        validate_record(raw(**overrides), WHERE)
    assert str(info.value).startswith(f"{WHERE}: {message}")
    assert isinstance(info.value, ThreatTaggerError)


def test_csv_cell_labels_split_on_pipe_and_empty_cell_is_no_label() -> None:
    assert parse_labels("kidnap|bombing", WHERE) == ["bombing", "kidnap"]
    assert parse_labels("", WHERE) == []


def test_blank_optional_fields_read_as_null() -> None:
    record = validate_record(raw(region="", country=" ", split="", date=""), WHERE)
    assert (record["region"], record["country"], record["split"], record["date"]) == (None,) * 4


def test_integer_id_and_inferred_timestamp_become_strings() -> None:
    record = validate_record(raw(id=7, date=dt.datetime(2019, 2, 11)), WHERE)
    assert record["id"] == "7"
    assert record["date"] == "2019-02-11"


def test_missing_columns_lists_required_ones_only() -> None:
    assert missing_columns(["id", "text"]) == ["incident_types", "source"]
    assert missing_columns(["id", "text", "incident_types", "source"]) == []


def test_csv_row_joins_labels_and_blanks_nulls() -> None:
    row = to_csv_row(validate_record(raw(incident_types=["ambush"]), WHERE))
    assert row["incident_types"] == "armed_assault|ambush"
    assert row["region"] == ""


def test_fingerprint_ignores_key_order_but_not_content() -> None:
    a = validate_record(raw(), WHERE)
    reordered = dict(reversed(list(a.items())))
    assert fingerprint([a]) == fingerprint([reordered])
    assert fingerprint([a]) != fingerprint([{**a, "text": a["text"] + "!"}])
    assert len(fingerprint([])) == 64


def test_write_records_rejects_unknown_extension(tmp_path) -> None:
    with pytest.raises(ThreatTaggerError, match=r"\.txt"):
        write_records([raw()], tmp_path / "out.txt")


def test_write_records_failure_leaves_existing_file_and_no_temp_file(tmp_path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(TypeError):
        write_records([raw(), raw(text=object())], target)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_written_file_is_readable_by_others_like_a_normal_file(tmp_path) -> None:
    target = tmp_path / "out.jsonl"
    write_records([validate_record(raw(), WHERE)], target)
    assert target.stat().st_mode & 0o777 == 0o644
