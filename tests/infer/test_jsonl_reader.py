"""JSONL inputs read as blocks of raw lines (`iter_units(..., jsonl_lines=N)`), which the
`score --jobs` workers parse: the same records, sources and errors as a whole-file read."""

from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infer.jsonl_reader import JsonlLines
from infer.readers import BAD_UTF8, SURROGATES, as_records, iter_records, iter_units

# Lines that a JSONL reader must skip, fail or warn about, and ordinary ones.
LINES = st.sampled_from(
    [
        json.dumps({"id": "a", "text": "a bomb exploded in Kabul"}).encode(),
        json.dumps({"text": "gunmen kidnapped two engineers"}).encode(),
        json.dumps({"id": 7, "text": "café owner shot"}, ensure_ascii=False).encode(),
        b'{"id": "s", "text": "car bomb \\ud800 in Mosul"}',
        b'{"id": "latin", "text": "bomba en el caf\xe9"}',
        b'{"id": "e", "text": "  "}',
        b'{"id": "n"}',
        b"[1, 2]",
        b'{"id": "broken", "text": ',
        b"",
        b"   \t ",
        "\u3000".encode(),  # blank to str.strip, not to bytes.strip
        b"\xef\xbb\xbf" + json.dumps({"text": "a BOM that is not at the start"}).encode(),
        b"\xff\xfe",
    ]
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _write(path: Path, lines: list[bytes], *, bom: bool = False, end: bytes = b"\n") -> Path:
    data = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + (end if lines else b"")
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def _blocks(path: Path, size: int) -> list:
    return list(iter_units([str(path)], jsonl_lines=size))


@SETTINGS
@given(
    lines=st.lists(LINES, max_size=25),
    size=st.integers(1, 6),
    bom=st.booleans(),
    end=st.sampled_from([b"\n", b"\r\n", b""]),
    zipped=st.booleans(),
)
def test_blocks_of_lines_parsed_anywhere_give_the_records_of_a_whole_file_read(
    tmp_path, lines, size, bom, end, zipped
):
    path = _write(tmp_path / ("in.jsonl" + (".gz" if zipped else "")), lines, bom=bom, end=end)
    whole = list(iter_records([str(path)]))
    units = _blocks(path, size)
    assert all(isinstance(unit, JsonlLines) and 1 <= len(unit.lines) <= size for unit in units)
    assert [unit.first_line for unit in units] == [
        1 + sum(len(unit.lines) for unit in units[:k]) for k in range(len(units))
    ]
    # a worker gets each block pickled, and parses it there
    shipped = [pickle.loads(pickle.dumps(unit)) for unit in units]
    assert list(as_records(shipped)) == whole


def test_a_block_names_each_bad_line_by_file_and_line_however_the_file_is_cut(tmp_path):
    lines = [
        json.dumps({"id": "g1", "text": "a bomb exploded"}).encode(),
        b"",
        b'{"id": "broken", "text": ',
        b"17",
        b'{"id": "latin", "text": "bomba en el caf\xe9"}',
        b"   ",
        json.dumps({"id": "g2", "text": "shots fired at a checkpoint"}).encode(),
        b'{"text": "car bomb \\udc80 in Mosul"}',
    ]
    path = _write(tmp_path / "in.jsonl", lines, bom=True)
    for size in (1, 2, 3, 8, 500):
        records = list(as_records(_blocks(path, size)))
        assert [r.source for r in records] == [f"{path}:{n}" for n in (1, 3, 4, 5, 7, 8)]
        assert [r.id for r in records] == [
            "g1",
            f"{path}:3",
            f"{path}:4",
            "latin",
            "g2",
            f"{path}:8",
        ]
        assert records[1].error.startswith("malformed JSON: Expecting value")
        assert records[2].error == "not a JSON object (got int)"
        assert records[3].warnings == (BAD_UTF8,) and records[3].text == "bomba en el caf\ufffd"
        assert records[5].warnings == (SURROGATES,) and "\ufffd" in records[5].text
        assert records[0].text == "a bomb exploded"  # the BOM is dropped from line 1 only


@pytest.mark.parametrize("size", [1, 7, 64, 10_000])
def test_truncated_gzip_gives_the_lines_read_then_the_error_after_the_last_record(tmp_path, size):
    lines = []
    for i in range(300):
        lines.append(json.dumps({"id": f"r{i}", "text": f"report number {i} " * 20}).encode())
        lines += [b""] * (i % 3)  # blank lines between records, and maybe before the cut
    data = gzip.compress(b"\n".join(lines) + b"\n")
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    whole = list(iter_records([str(path)]))
    assert whole[-1].error is not None and "cannot read input" in whole[-1].error
    assert len(whole) > 10 and all(r.error is None for r in whole[:-1])
    assert list(as_records(_blocks(path, size))) == whole


def test_other_inputs_stay_records_between_the_blocks(tmp_path):
    jsonl = _write(tmp_path / "a.jsonl", [json.dumps({"text": f"t{i}"}).encode() for i in range(5)])
    csv_path = tmp_path / "b.csv"
    csv_path.write_text("id,text\n1,one\n2,two\n", encoding="utf-8")
    units = list(
        iter_units([str(jsonl), str(csv_path), str(tmp_path / "gone.jsonl")], jsonl_lines=2)
    )
    kinds = [type(unit).__name__ for unit in units]
    assert kinds == ["JsonlLines"] * 3 + ["InputRecord"] * 3
    assert [unit.first_line for unit in units[:3]] == [1, 3, 5]
    assert units[-1].error is not None and units[-1].source == f"{tmp_path / 'gone.jsonl'}:0"


def test_a_block_ends_early_once_it_holds_block_bytes(tmp_path, monkeypatch):
    from infer import jsonl_reader

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 100)
    line = json.dumps({"text": "x" * 40}).encode()  # 53 bytes with its newline
    path = _write(tmp_path / "in.jsonl", [line] * 7)
    assert [len(unit.lines) for unit in _blocks(path, 500)] == [2, 2, 2, 1]
    assert list(as_records(_blocks(path, 500))) == list(iter_records([str(path)]))


class _FailingStream:
    """Lines, then a read error (a disk or a pipe failing mid-file)."""

    def __init__(self, lines: list[bytes]) -> None:
        self._lines = iter(lines)

    def __iter__(self) -> _FailingStream:
        return self

    def __next__(self) -> bytes:
        line = next(self._lines, None)
        if line is None:
            raise OSError("input/output error")
        return line


@pytest.mark.parametrize("size", [1, 2, 3, 4, 10])
def test_a_read_error_after_blank_lines_is_reported_at_the_line_after_the_last_record(size):
    lines = [b'{"text": "one"}\n', b"\n", b'{"text": "two"}\n', b"\n", b" \n"]
    whole = list(iter_records(["-"], stdin=_FailingStream(lines)))
    blocks = list(iter_units(["-"], stdin=_FailingStream(lines), jsonl_lines=size))
    assert [r.source for r in whole] == ["<stdin>:1", "<stdin>:3", "<stdin>:4"]
    assert whole[-1].error == "cannot read input: input/output error"
    assert list(as_records(blocks)) == whole
