"""Splits: slices of big JSONL files and Parquet row groups read exactly like whole files."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from infer.engines.splits import line_slices, plan_splits, read_split
from infer.readers import iter_records

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("split_bytes", [1, 7, 64, 100, 333, 10_000])
def test_jsonl_slices_give_the_records_of_a_whole_file_read(tmp_path, split_bytes):
    path = tmp_path / "in.jsonl"
    lines = [json.dumps({"text": f"report {i} " * (i % 7)}) for i in range(40)]
    lines[5], lines[9] = "", "{broken"
    path.write_bytes(("\n".join(lines)).encode() + b"\n\xff\n" + b'{"text": "no newline"}')
    splits = plan_splits([str(path)], split_bytes=split_bytes)
    assert len(splits) > 1 or split_bytes == 10_000
    records = [r for s in splits for r in read_split(s)]
    assert records == list(iter_records([str(path)]))


def test_slices_cover_the_file_exactly_and_end_on_a_newline(tmp_path):
    path = tmp_path / "in.jsonl"
    data = b"".join(b'{"text": "%d"}\n' % i for i in range(1000))
    path.write_bytes(data)
    slices = list(line_slices(path, 1000))
    assert slices[0][0] == 0 and slices[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in pairwise(slices))
    assert all(data[end - 1 : end] == b"\n" for _, end, _ in slices)
    assert [first for _, _, first in slices] == [data[:s].count(b"\n") + 1 for s, _, _ in slices]


def test_parquet_row_groups_are_splits_with_whole_file_row_numbers(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "in.parquet"
    texts = [f"gunmen attacked village {i}" if i % 4 else "" for i in range(23)]
    pq.write_table(pa.table({"text": texts, "id": list(range(23))}), path, row_group_size=4)
    splits = plan_splits([str(path)], split_rows=8)
    assert [s.groups for s in splits] == [(0, 1), (2, 3), (4, 5)]
    records = [r for s in splits for r in read_split(s)]
    assert records == list(iter_records([str(path)]))
    assert [r.source for r in records] == [f"{path}:{n}" for n in range(1, 24)]
    assert records[4].error == "text field 'text' is empty" and records[4].id == "4"


def test_parquet_binary_text_with_bad_bytes_is_scored_with_a_warning(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "bytes.parquet"
    pq.write_table(pa.table({"text": pa.array([b"bomb in Bogot\xe1", None], pa.binary())}), path)
    first, second = iter_records([str(path)])
    assert first.text == "bomb in Bogot\ufffd" and first.warnings
    assert second.error == "missing text field 'text'" and second.id == f"{path}:2"


def test_plain_scoring_imports_no_cluster_library():
    code = (
        "import sys, infer.cli, infer.batch, infer.readers; "
        "print([m for m in ('dask', 'distributed', 'pyspark', 'pyarrow') if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert done.stdout.strip() == "[]"


def test_missing_java_is_one_line_saying_what_to_install(monkeypatch, tmp_path):
    from infer.engines.spark_engine import JAVA_MISSING, check_java
    from infer.errors import ThreatTaggerError

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ThreatTaggerError) as caught:
        check_java()
    assert str(caught.value) == JAVA_MISSING and "\n" not in JAVA_MISSING
    assert "openjdk-17" in JAVA_MISSING


def test_a_utf16_jsonl_file_is_one_split_read_like_score_reads_it(tmp_path):
    path = tmp_path / "wide.jsonl"
    lines = "".join(
        json.dumps({"id": f"w{i}", "text": f"Bogotá report {i}"}) + "\n" for i in range(50)
    )
    path.write_bytes(lines.encode("utf-16"))
    splits = plan_splits([str(path)], split_bytes=100)
    assert [s.kind for s in splits] == ["file"]
    records = list(read_split(splits[0]))
    assert records == list(iter_records([str(path)])) and records[49].id == "w49"


@pytest.mark.parametrize(
    "text",
    ["a bomb exploded", "   ", None, 7, b"caf\xc3\xa9 bombed", b"Bogot\xe1 market bombed"],
    ids=["text", "blank", "missing", "number", "utf8-bytes", "bad-bytes"],
)
def test_a_table_row_is_read_like_the_same_jsonl_line(tmp_path, text):
    from infer.readers import table_record

    path = tmp_path / "one.jsonl"
    raw = text if isinstance(text, bytes) else json.dumps(text).encode()
    value = b'"' + raw + b'"' if isinstance(text, bytes) else raw
    path.write_bytes(
        b'{"id": "r1", "text": ' + value + b"}\n" if text is not None else b'{"id": "r1"}\n'
    )
    (expected,) = iter_records([str(path)])
    assert table_record("r1", f"{path}:1", text, "text") == expected
