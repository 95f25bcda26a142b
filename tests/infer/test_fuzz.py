"""Property-based fuzzing (hypothesis) of the readers, the writers and Predictor.predict.

Bounded for the suite (FUZZ_EXAMPLES, default 40 examples per target); `make fuzz` runs
10,000 per target. The properties are the guarantees of the README's "Scoring files":
one record out per record in, nothing raised, everything written is valid UTF-8 and one line
per record, and predictions are probabilities that agree with themselves.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infer.predictor import Predictor
from infer.readers import iter_records
from infer.taxonomy import region_of
from infer.writers import CsvWriter, JsonlWriter

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SURROGATES = "\ud800\udc80\udfff"

# Text that leans on what breaks readers and writers: line breaks of every kind, quotes,
# commas, BOMs, NUL, lone surrogates, formula starts.
NASTY = st.sampled_from(
    [
        "\n",
        "\r",
        "\r\n",
        "\x85",
        "\u2028",
        "\u2029",
        '"',
        ",",
        "\ufeff",
        "\x00",
        "=",
        "@",
        "+",
        "-",
        "\t",
        "é",
        "\U0001f4a3",
        *SURROGATES,
    ]
)
TEXTS = st.lists(st.one_of(st.text(max_size=12), NASTY), max_size=12).map("".join)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1"])


def _utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _without_surrogates(text: str) -> str:
    return "".join(c for c in text if not "\ud800" <= c <= "\udfff")


def _check_records(records) -> None:
    for record in records:
        assert (record.text is None) != (record.error is None)
        assert _utf8(record.id) and _utf8(record.source)
        assert record.text is None or _utf8(record.text)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(
    data=st.binary(max_size=600),
    kind=st.sampled_from([".jsonl", ".csv", ".txt"]),
    zipped=st.booleans(),
)
def test_readers_never_raise_on_arbitrary_bytes_and_give_valid_records(work, data, kind, zipped):
    path = work / ("in" + kind + (".gz" if zipped else ""))
    path.write_bytes(gzip.compress(data) if zipped else data)
    records = list(iter_records([str(path)]))
    _check_records(records)
    if kind == ".txt":
        assert len(records) == 1
    if kind == ".jsonl":  # one record per non-blank line (or one error for the whole file)
        assert len(records) <= max(data.count(b"\n") + 1, 1)


@FUZZ
@given(rows=st.lists(st.tuples(TEXTS, TEXTS), max_size=8), encoding=ENCODINGS)
def test_jsonl_gives_one_record_per_line_with_its_text(work, rows, encoding):
    escaped = encoding == "latin-1"  # lone surrogates only as \\u escapes: raw ones are bad bytes
    if not escaped:
        rows = [(i, _without_surrogates(t)) for i, t in rows]
    lines = [json.dumps({"id": i, "text": text}, ensure_ascii=escaped) for i, text in rows]
    path = work / "rows.jsonl"
    path.write_bytes("".join(line + "\n" for line in lines).encode(encoding, "surrogatepass"))
    records = list(iter_records([str(path)]))
    _check_records(records)
    assert len(records) == len(rows)
    for record, line in zip(records, lines, strict=True):
        if record.error is None:  # the text JSON gives, lone surrogates replaced
            assert record.text == _printable(json.loads(line)["text"])


@FUZZ
@given(
    rows=st.lists(st.tuples(TEXTS, TEXTS), max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_csv_written_by_a_csv_writer_reads_back_one_record_per_row(work, rows, encoding):
    clean = [(_without_surrogates(i), _without_surrogates(t)) for i, t in rows]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([("id", "text"), *clean])
    path = work / "rows.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    records = list(iter_records([str(path)]))
    _check_records(records)
    assert len(records) == len(clean)
    for record, (_, text) in zip(records, clean, strict=True):
        assert record.text == (text if text.strip() else None)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lower().lstrip("+-")[:1] not in ("i", "n")


RECORDS = st.fixed_dictionaries(
    {"id": TEXTS, "source": TEXTS},
    optional={
        "error": TEXTS,
        "warning": TEXTS,
        "region": TEXTS,
        "country": TEXTS,
        "region_probability": st.floats(0, 1),
        "country_probability": st.floats(0, 1),
        "incident_types": st.dictionaries(TEXTS, st.floats(0, 1), max_size=3),
    },
)


def _printable(value):
    if isinstance(value, str):
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    return value


@FUZZ
@given(records=st.lists(RECORDS, min_size=1, max_size=5))
def test_writers_write_one_valid_utf8_record_per_record(records):
    jsonl = io.StringIO()
    writer = JsonlWriter(jsonl)
    for record in records:
        writer.write(record)
    text = jsonl.getvalue()
    assert _utf8(text)
    lines = text.splitlines()
    assert len(lines) == len(records)
    assert [json.loads(line) for line in lines] == [_printable(r) for r in records]
    table = io.StringIO()
    writer = CsvWriter(table)
    for record in records:
        writer.write(record)
    assert _utf8(table.getvalue())
    rows = list(csv.DictReader(io.StringIO(table.getvalue())))
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        expected = _printable(record["id"])
        if expected.startswith(("=", "+", "-", "@", "\t", "\r")) and not _number(expected):
            expected = "'" + expected
        assert row["id"] == expected


@pytest.fixture(scope="module")
def predictor(model_dir) -> Predictor:
    return Predictor.load(model_dir)


@FUZZ
@given(texts=st.lists(st.one_of(TEXTS, st.text(max_size=400)), min_size=1, max_size=4))
def test_predict_gives_one_consistent_prediction_per_text(predictor, texts):
    texts = ["".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in t) for t in texts]
    predictions = predictor.predict(texts)
    assert len(predictions) == len(texts)
    assert predictor.predict(texts) == predictions
    for prediction in predictions:
        probabilities = [
            *prediction.incident_types.values(),
            prediction.region_probability,
            prediction.country_probability,
        ]
        assert all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in probabilities)
        if prediction.country is not None:
            assert prediction.region == region_of(prediction.country)
