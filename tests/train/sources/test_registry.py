"""The converter registry and the helpers every converter shares."""

from __future__ import annotations

import pytest

from infer.errors import ThreatTaggerError
from train.sources import SOURCES, base, convert
from train.sources.base import clean_text, iso_date, read_rows


def test_registry_names_every_source():
    assert set(SOURCES) == {"wikipedia", "satp", "case", "rand", "gtd", "acled", "ordinary_news"}


def test_unknown_source_error_lists_the_known_sources(tmp_path):
    with pytest.raises(ThreatTaggerError, match=r"unknown source 'reuters'.*acled, case, gtd"):
        convert("reuters", tmp_path / "x.csv")


def test_convert_dispatches_to_the_named_converter(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "text,ArmedAssault,Bombing,Kidnapping,Other,split\nA bomb exploded.,0,1,0,0,test\n",
        encoding="utf-8",
    )
    [record] = convert("satp", str(path)).records
    assert (record["source"], record["incident_types"]) == ("satp", ["bombing"])


def test_missing_input_file_error_names_the_path(tmp_path):
    with pytest.raises(ThreatTaggerError, match=r"nothere\.csv: no such file"):
        convert("rand", tmp_path / "nothere.csv")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A bomb exploded.[12][13] Two died.[a]", "A bomb exploded. Two died."),
        ("Gunmen fired [citation needed] on a bus.", "Gunmen fired on a bus."),
        ("  spaced\n\tout  ", "spaced out"),
        ("Keeps [brackets like this] text.", "Keeps [brackets like this] text."),
        (None, ""),
    ],
)
def test_clean_text_strips_citation_marks_and_collapses_whitespace(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((1999, 3, 4), "1999-03-04"),
        (("1999", "3", "0"), "1999-03"),
        (("1999", "0", "0"), "1999"),
        (("1999", "2", "30"), "1999-02"),
        (("0", "0", "0"), None),
        (("", "", ""), None),
    ],
)
def test_iso_date_treats_zero_month_and_day_as_unknown(parts, expected):
    assert iso_date(*parts) == expected


def test_read_rows_copes_with_ragged_rows(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5,6\n7\n", encoding="utf-8")
    rows = read_rows(path, ["a", "b"])
    assert [row["a"] for row in rows] == ["1", "3", "7"]


def test_read_rows_keeps_na_like_cells_as_text(tmp_path):
    path = tmp_path / "na.csv"
    path.write_text("a,b\nNA,None\n", encoding="utf-8")
    assert read_rows(path, ["a", "b"]) == [{"a": "NA", "b": "None"}]


def test_well_formed_files_are_read_through_hf_datasets(tmp_path, monkeypatch):
    def no_csv_fallback(*_args):
        raise AssertionError("fell back to the csv module")

    monkeypatch.setattr(base, "_read_with_csv", no_csv_fallback)
    path = tmp_path / "ok.tsv"
    path.write_text("id\ttext\n007\tA bomb exploded.\n", encoding="utf-8")
    assert read_rows(path, ["id", "text"], delimiter="\t") == [
        {"id": "007", "text": "A bomb exploded."}
    ]
