"""Readers and writers of batch scoring: every input kind, bad records, atomic output."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest

from infer.readers import BAD_UTF8, MAX_TEXT_BYTES, TRUNCATED, iter_records
from infer.writers import CSV_COLUMNS, CsvWriter, JsonlWriter, output_stream

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _records(*inputs: str | Path, **kwargs):
    return list(iter_records([str(i) for i in inputs], **kwargs))


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_jsonl_bad_lines_become_error_records_in_place_with_file_and_line(tmp_path):
    path = _write_lines(
        tmp_path / "in.jsonl",
        [
            json.dumps({"id": "a", "text": "first report"}),
            "{not json",
            "[1, 2]",
            json.dumps({"id": "b"}),
            json.dumps({"id": "c", "text": 42}),
            json.dumps({"id": "d", "text": "   "}),
            json.dumps({"id": "e", "text": "last report"}),
        ],
    )
    records = _records(path)
    assert [r.source for r in records] == [f"{path}:{n}" for n in range(1, 8)]
    assert [r.error is None for r in records] == [True, False, False, False, False, False, True]
    assert "malformed JSON" in records[1].error
    assert "not a JSON object" in records[2].error
    assert "missing text field 'text'" in records[3].error
    assert "not a string" in records[4].error
    assert "empty" in records[5].error
    assert [r.id for r in records][3:] == ["b", "c", "d", "e"]


def test_missing_id_falls_back_to_file_and_line_and_blank_lines_are_skipped(tmp_path):
    path = _write_lines(
        tmp_path / "in.jsonl",
        ["", json.dumps({"text": "x"}), "  ", json.dumps({"id": 7, "text": "y"})],
    )
    records = _records(path)
    assert [(r.id, r.source) for r in records] == [(f"{path}:2", f"{path}:2"), ("7", f"{path}:4")]


def test_text_and_id_fields_are_configurable(tmp_path):
    path = _write_lines(tmp_path / "in.jsonl", [json.dumps({"key": "k1", "body": "hello"})])
    [record] = _records(path, text_field="body", id_field="key")
    assert (record.id, record.text) == ("k1", "hello")


def test_csv_rows_keep_multiline_fields_and_name_their_starting_line(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('id,text\n1,"two\nlines"\n\n2,plain\n3\n', encoding="utf-8")
    records = _records(path)
    assert [(r.id, r.source, r.text) for r in records] == [
        ("1", f"{path}:2", "two\nlines"),
        ("2", f"{path}:5", "plain"),
        ("3", f"{path}:6", None),
    ]
    assert "missing text field" in records[2].error


def test_csv_without_the_text_column_gives_one_error_per_row(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,body\n1,a\n2,b\n", encoding="utf-8")
    records = _records(path)
    assert [r.id for r in records] == ["1", "2"]
    assert all("no 'text' column" in r.error and "--text-field" in r.error for r in records)


def test_csv_reads_fields_beyond_the_default_size_limit(tmp_path):
    path = tmp_path / "big.csv"
    big = "word " * 60_000  # 300 kB: over csv's default 128 kB field limit
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "text"], ["big", big]])
    [record] = _records(path)
    assert record.error is None and record.text == big


def test_txt_file_is_one_document_identified_by_its_path(tmp_path):
    path = tmp_path / "note.txt"
    path.write_bytes(b"\xef\xbb\xbfline one\nline two\n")
    [record] = _records(path)
    assert (record.id, record.source, record.text) == (
        str(path),
        f"{path}:1",
        "line one\nline two\n",
    )


def test_folder_is_read_recursively_in_sorted_order_ignoring_other_files(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("zed", encoding="utf-8")
    (tmp_path / "a.txt").write_text("ay", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text(json.dumps({"text": "see"}) + "\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    assert [r.text for r in _records(tmp_path)] == ["ay", "zed", "see"]


def test_gzipped_inputs_read_like_plain_ones(tmp_path):
    plain = [FIXTURES / "reports.jsonl", FIXTURES / "reports.csv", FIXTURES / "report.txt"]
    zipped = []
    for path in plain:
        target = tmp_path / (path.name + ".gz")
        target.write_bytes(gzip.compress(path.read_bytes()))
        zipped.append(target)
    assert [r.text for r in _records(*zipped)] == [r.text for r in _records(*plain)]
    assert len(_records(*zipped)) == 5 + 3 + 1


def test_dash_reads_jsonl_from_stdin():
    stdin = io.BytesIO(b'{"id": "s", "text": "from stdin"}\nbroken\n')
    records = _records("-", stdin=stdin)
    assert [(r.id, r.source, r.error is None) for r in records] == [
        ("s", "<stdin>:1", True),
        ("<stdin>:2", "<stdin>:2", False),
    ]


def test_missing_or_unsupported_input_gives_an_error_record_and_the_run_goes_on(tmp_path):
    good = _write_lines(tmp_path / "ok.jsonl", [json.dumps({"text": "fine"})])
    records = _records(tmp_path / "absent.jsonl", tmp_path / "x.docx", good)
    assert [r.source for r in records] == [
        f"{tmp_path}/absent.jsonl:0",
        f"{tmp_path}/x.docx:0",
        f"{good}:1",
    ]
    assert "cannot read input" in records[0].error
    assert "unsupported input type" in records[1].error
    assert records[2].error is None


def test_truncated_gzip_keeps_the_lines_read_and_adds_an_error_record(tmp_path):
    lines = [json.dumps({"text": f"report number {i} " * 20}) for i in range(200)]
    data = gzip.compress("\n".join(lines).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    records = _records(path)
    assert records[-1].error is not None and "cannot read input" in records[-1].error
    assert all(r.error is None for r in records[:-1]) and len(records) > 1


def test_non_utf8_bytes_are_replaced_and_flagged_with_a_warning(tmp_path):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes(b'{"text": "caf\xe9 bombing"}\n{"text": "clean"}\n')
    csv_path = tmp_path / "in.csv"
    csv_path.write_bytes(b"id,text\n1,caf\xe9\n2,clean\n")
    txt = tmp_path / "in.txt"
    txt.write_bytes(b"caf\xe9")
    records = _records(jsonl, csv_path, txt)
    assert [r.warnings for r in records] == [(BAD_UTF8,), (), (BAD_UTF8,), (), (BAD_UTF8,)]
    assert records[0].text == "caf\ufffd bombing"


def test_text_over_one_megabyte_is_cut_to_its_first_megabyte_with_a_warning(tmp_path):
    long_text = "é" * MAX_TEXT_BYTES  # 2 MB of UTF-8
    jsonl = _write_lines(tmp_path / "in.jsonl", [json.dumps({"text": long_text})])
    txt = tmp_path / "in.txt"
    txt.write_text(long_text, encoding="utf-8")
    for record in _records(jsonl, txt):
        assert record.error is None and record.warnings == (TRUNCATED,)
        assert record.text == "é" * (MAX_TEXT_BYTES // 2)


def test_jsonl_is_streamed_record_by_record(tmp_path):
    class CountingStream(io.BytesIO):
        lines_read = 0

        def __next__(self):
            CountingStream.lines_read += 1
            return super().__next__()

    stream = CountingStream(b"".join(b'{"text": "t"}\n' for _ in range(10_000)))
    records = iter_records(["-"], stdin=stream)
    next(records)
    assert CountingStream.lines_read == 1


def test_csv_writer_has_fixed_columns_and_pipe_joined_labels():
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.write(
        {
            "id": "a",
            "source": "f:1",
            "incident_types": {"bombing": 0.9, "kidnap": 0.61},
            "region": "South Asia",
            "region_probability": 0.8,
            "country": "IN",
            "country_probability": 0.7,
            "warning": "w",
        }
    )
    writer.write({"id": "b", "source": "f:2", "error": "broken"})
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["incident_types"] == "bombing|kidnap"
    assert rows[0]["incident_probabilities"] == "0.9000|0.6100"
    assert (rows[1]["error"], rows[1]["incident_types"], rows[1]["region"]) == ("broken", "", "")


def test_jsonl_writer_writes_one_object_per_line_keeping_unicode():
    buffer = io.StringIO()
    JsonlWriter(buffer).write({"id": "ü", "n": 1})
    assert buffer.getvalue() == '{"id": "ü", "n": 1}\n'


def test_output_file_appears_only_when_writing_succeeds(tmp_path):
    target = tmp_path / "out.jsonl"
    with output_stream(target) as stream:
        stream.write("partial\n")
        assert not target.exists()
    assert target.read_text(encoding="utf-8") == "partial\n"
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_failed_write_removes_the_temp_file_and_keeps_the_old_output(tmp_path, error):
    target = tmp_path / "out.jsonl"
    target.write_text("previous run\n", encoding="utf-8")
    with pytest.raises(error), output_stream(target) as stream:
        stream.write("half")
        raise error()
    assert target.read_text(encoding="utf-8") == "previous run\n"
    assert list(tmp_path.iterdir()) == [target]
