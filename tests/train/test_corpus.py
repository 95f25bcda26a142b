"""Loading canonical corpora: spec forms, file:line errors, skip_invalid, round trips."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path

import pytest

import train.sources
from train.corpus import (
    Corpus,
    CorpusError,
    hf_offline,
    load_corpora,
    load_corpus,
    write_records,
)
from train.sources.base import Conversion

HEADER = ["id", "text", "incident_types", "region", "country", "source", "split", "date"]


def rec(i: int, **overrides: object) -> dict:
    """A valid canonical record number i, with some fields replaced."""
    base = {
        "id": f"t-{i}",
        "text": f"Report number {i}: gunmen attacked a checkpoint.",
        "incident_types": ["armed_assault"],
        "region": None,
        "country": None,
        "source": "test",
        "split": None,
        "date": None,
    }
    return {**base, **overrides}


def write_jsonl(path: Path, rows: list, blank_after: int | None = None) -> Path:
    """Write rows as JSON lines (strings are written verbatim), optionally a blank line."""
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    if blank_after is not None:
        lines.insert(blank_after, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    """Write a CSV file with a header row."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_unknown_country_error_names_file_and_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [rec(1), rec(2, country="Atlantis")])
    with pytest.raises(CorpusError, match=r"x\.jsonl:2: unknown country 'Atlantis'"):
        load_corpus(str(path))


def test_blank_lines_do_not_shift_jsonl_line_numbers(tmp_path: Path) -> None:
    rows = [rec(1), rec(2), rec(3, region="Narnia")]
    path = write_jsonl(tmp_path / "x.jsonl", rows, blank_after=1)
    with pytest.raises(CorpusError, match=r"x\.jsonl:4: unknown region 'Narnia'"):
        load_corpus(str(path))


def test_csv_error_line_counts_header_and_quoted_newlines(tmp_path: Path) -> None:
    rows = [
        ["a", "first line\nsecond line", "bombing", "", "", "t", "", ""],
        ["b", "fine", "riot", "", "", "t", "", ""],
    ]
    path = write_csv(tmp_path / "x.csv", rows)
    with pytest.raises(CorpusError, match=r"x\.csv:4: unknown incident type 'riot'"):
        load_corpus(str(path))


def test_csv_country_na_is_namibia_not_missing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["a", "text", "", "", "NA", "t", "", ""]])
    record = load_corpus(str(path)).records[0]
    assert (record["country"], record["region"]) == ("NA", "Sub-Saharan Africa")
    assert record["incident_types"] == []


def test_csv_none_string_is_reported_not_taken_as_null(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["a", "text", "", "", "None", "t", "", ""]])
    with pytest.raises(CorpusError, match=r"x\.csv:2: unknown country 'None'"):
        load_corpus(str(path))


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_missing_column_error_names_the_column(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"x{suffix}"
    if suffix == ".csv":
        write_csv(path, [["a", "text", "", "t"]], header=["id", "body", "incident_types", "source"])
    else:
        write_jsonl(path, [{"id": "a", "body": "text", "incident_types": [], "source": "t"}])
    with pytest.raises(CorpusError, match=r"missing column 'text'") as info:
        load_corpus(str(path))
    assert str(path) in str(info.value)


def test_malformed_json_line_is_named_and_skippable(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [rec(1), '{"id": "broken", "text": ', rec(3)])
    with pytest.raises(CorpusError, match=r"x\.jsonl:2: malformed JSON line"):
        load_corpus(str(path))
    corpus = load_corpus(str(path), skip_invalid=True)
    assert [r["id"] for r in corpus.records] == ["t-1", "t-3"]
    assert corpus.dropped == 1


def test_mixed_json_types_fall_back_without_losing_rows(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [rec(1, id=5), rec(2, id="x"), rec(3, country=7)])
    corpus = load_corpus(str(path), skip_invalid=True)
    assert [r["id"] for r in corpus.records] == ["5", "x"]
    assert corpus.errors == [f"{path}:3: 'country' must be a string, got int"]


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        (["b", "text", "", "", "", "t", "", "", "extra"], "too many fields: expected 8, found 9"),
        (["b", "text", ""], "too few fields: expected 8, found 3"),
    ],
)
def test_ragged_csv_row_is_named_and_skippable(tmp_path: Path, cells: list, problem: str) -> None:
    good = ["a", "text", "kidnap", "", "", "t", "", ""]
    path = write_csv(tmp_path / "x.csv", [good, cells, [*good[:1], "c", *good[2:]]])
    with pytest.raises(CorpusError, match=rf"x\.csv:3: malformed CSV row \({problem}\)"):
        load_corpus(str(path))
    corpus = load_corpus(str(path), skip_invalid=True)
    assert [r["text"] for r in corpus.records] == ["text", "c"]


def test_collected_errors_message_shows_first_five_and_total(tmp_path: Path) -> None:
    rows = [rec(i, country=f"Nowhere{i}") for i in range(7)]
    path = write_jsonl(tmp_path / "x.jsonl", rows)
    with pytest.raises(CorpusError) as info:
        load_corpus(str(path))
    message = str(info.value)
    assert message.startswith(f"7 invalid row(s) in {path}: ")
    assert "Nowhere4" in message and "Nowhere5" not in message
    assert message.endswith("... and 2 more")
    assert "\n" not in message


def test_skip_invalid_returns_valid_rows_and_lists_dropped(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [rec(1), rec(2, text=""), rec(3)])
    corpus = load_corpus(str(path), skip_invalid=True)
    assert [r["id"] for r in corpus.records] == ["t-1", "t-3"]
    assert corpus.dropped == 1
    assert corpus.errors == [f"{path}:2: empty text"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_write_then_load_round_trips_records(tmp_path: Path, suffix: str) -> None:
    records = [
        rec(1, incident_types=["armed_assault", "ambush"], country="CO", region="South America"),
        rec(2, incident_types=[], date="2019-02-11", split="test"),
        rec(
            3,
            text='Quotes "here", commas, and\na newline.',
            country="NA",
            region="Sub-Saharan Africa",
        ),
    ]
    path = tmp_path / f"corpus{suffix}"
    write_records(records, path)
    assert load_corpus(str(path)).records == records


def test_directory_spec_loads_every_corpus_file_sorted(tmp_path: Path) -> None:
    write_records([rec(2)], tmp_path / "b.csv")
    write_records([rec(1)], tmp_path / "a.jsonl")
    (tmp_path / "sub").mkdir()
    write_records([rec(3)], tmp_path / "sub" / "c.parquet")
    (tmp_path / "notes.txt").write_text("not a corpus", encoding="utf-8")
    corpus = load_corpus(str(tmp_path))
    assert [r["id"] for r in corpus.records] == ["t-1", "t-2", "t-3"]


def test_glob_spec_loads_matching_files(tmp_path: Path) -> None:
    write_records([rec(1)], tmp_path / "a.jsonl")
    write_records([rec(2)], tmp_path / "b.jsonl")
    write_records([rec(3)], tmp_path / "c.csv")
    corpus = load_corpus(str(tmp_path / "*.jsonl"))
    assert [r["id"] for r in corpus.records] == ["t-1", "t-2"]


@pytest.mark.parametrize(
    ("make_spec", "message"),
    [
        (lambda p: str(p / "missing.jsonl"), "no such file"),
        (lambda p: str(p), "no .jsonl/.json/.csv/.parquet files"),
        (lambda p: str(p / "*.csv"), "no .jsonl/.json/.csv/.parquet files match"),
    ],
)
def test_unresolvable_spec_error_names_the_spec(tmp_path: Path, make_spec, message: str) -> None:
    spec = make_spec(tmp_path)
    with pytest.raises(CorpusError, match=message) as info:
        load_corpus(spec)
    assert spec in str(info.value)


def test_json_array_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps([rec(1), rec(2, region="Mordor")]), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"x\.json: item 2: unknown region 'Mordor'"):
        load_corpus(str(path))


def test_source_spec_runs_converter_and_validates_its_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tmp_path / "raw.csv"
    raw.write_text("anything", encoding="utf-8")
    conversion = Conversion(
        records=[rec(1, country="IN"), rec(2, country="Atlantis")],
        dropped=Counter({"no text": 4}),
        unmapped=Counter({"Riot": 2}),
    )
    calls = []

    def fake_convert(source: str, path: Path) -> Conversion:
        calls.append((source, Path(path)))
        return conversion

    monkeypatch.setitem(train.sources.SOURCES, "fakesrc", lambda p: conversion)
    monkeypatch.setattr(train.sources, "convert", fake_convert)
    corpus = load_corpus(f"fakesrc:{raw}", skip_invalid=True)
    assert calls == [("fakesrc", raw)]
    assert [r["region"] for r in corpus.records] == ["South Asia"]
    assert corpus.dropped == 1 and "unknown country 'Atlantis'" in corpus.errors[0]
    assert corpus.converter_dropped == Counter({"no text": 4})
    assert corpus.unmapped == Counter({"Riot": 2})


def test_existing_file_with_colon_in_name_is_read_as_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = next(iter(train.sources.SOURCES))
    write_records([rec(1)], tmp_path / f"{source}:x.jsonl")
    assert [r["id"] for r in load_corpus(f"{source}:x.jsonl").records] == ["t-1"]


def test_uncached_hub_name_fails_offline_with_clear_error() -> None:
    before = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")}
    with pytest.raises(CorpusError, match=r"no-such-threat-corpus-xyz: .*offline"):
        load_corpus("no-such-threat-corpus-xyz")
    assert {k: os.environ.get(k) for k in before} == before


def hf_switches() -> dict[str, object]:
    """The offline switches: environment variables and the values the libraries cached."""
    import datasets.config
    import huggingface_hub.constants as hub_constants

    return {
        "env": {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")},
        "datasets": (datasets.config.HF_HUB_OFFLINE, datasets.config.HF_DATASETS_OFFLINE),
        "hub": hub_constants.HF_HUB_OFFLINE,
    }


@pytest.mark.parametrize("hub_env", [None, "0"])
def test_hf_offline_switches_env_and_cached_flags_and_restores_them(
    monkeypatch: pytest.MonkeyPatch, hub_env: str | None
) -> None:
    import datasets.config
    import huggingface_hub.constants as hub_constants

    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    if hub_env is None:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    else:
        monkeypatch.setenv("HF_HUB_OFFLINE", hub_env)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", False)
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    before = hf_switches()
    with hf_offline():
        assert hf_switches() == {
            "env": {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"},
            "datasets": (True, True),
            "hub": True,
        }
        assert hub_constants.is_offline_mode()
    assert hf_switches() == before
    assert "HF_DATASETS_OFFLINE" not in os.environ


def test_hf_offline_restores_the_switches_when_the_body_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import datasets.config

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    before = hf_switches()
    with pytest.raises(KeyboardInterrupt), hf_offline():
        raise KeyboardInterrupt
    assert hf_switches() == before


def test_loading_leaves_no_cache_files_beside_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_records([rec(1)], tmp_path / "a.jsonl")
    load_corpus("a.jsonl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]


def test_load_corpora_keeps_spec_order(tmp_path: Path) -> None:
    write_records([rec(1)], tmp_path / "a.jsonl")
    write_records([rec(2)], tmp_path / "b.csv")
    corpora = load_corpora([str(tmp_path / "b.csv"), str(tmp_path / "a.jsonl")])
    assert all(isinstance(c, Corpus) for c in corpora)
    assert [c.records[0]["id"] for c in corpora] == ["t-2", "t-1"]


def test_non_utf8_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(json.dumps(rec(1, text="café"), ensure_ascii=False).encode("latin-1") + b"\n")
    with pytest.raises(CorpusError, match=r"x\.jsonl: not UTF-8 text"):
        load_corpus(str(path))


def test_directory_spec_skips_hidden_files_and_folders(tmp_path: Path) -> None:
    write_records([rec(1)], tmp_path / "a.jsonl")
    write_records([rec(2)], tmp_path / ".partial.jsonl")
    (tmp_path / ".cache").mkdir()
    write_records([rec(3)], tmp_path / ".cache" / "b.jsonl")
    assert [r["id"] for r in load_corpus(str(tmp_path)).records] == ["t-1"]


def test_ctrl_c_inside_the_datasets_loader_is_not_swallowed(tmp_path, monkeypatch):
    import datasets

    from train.corpus import load_corpus

    path = tmp_path / "c.jsonl"
    path.write_text(
        '{"id": "1", "text": "A bomb went off.", "incident_types": ["bombing"], "source": "t"}\n',
        encoding="utf-8",
    )

    def interrupted(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:  # datasets wraps it in its own error type
            raise datasets.exceptions.DatasetGenerationError("generation failed") from interrupt

    monkeypatch.setattr(datasets, "load_dataset", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_corpus(str(path))
