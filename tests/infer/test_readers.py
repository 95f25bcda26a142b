"""Readers under hostile input (issue 14): bad bytes, bad quotes, bad names, locked folders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infer.readers import iter_records

REPO = Path(__file__).resolve().parents[2]


def _records(*inputs: str | Path, **kwargs):
    return list(iter_records([str(i) for i in inputs], **kwargs))


def test_csv_header_with_a_bare_cr_fails_its_rows_and_the_other_files_are_read(tmp_path):
    bad = tmp_path / "a.csv"
    bad.write_bytes(b"id,te\rxt\n1,Bomb in Kabul\n2,Shots in Mosul\n")
    good = tmp_path / "b.jsonl"
    good.write_text(json.dumps({"id": "g", "text": "a bomb exploded"}) + "\n", encoding="utf-8")
    records = _records(tmp_path)
    assert [r.id for r in records] == [f"{bad}:2", f"{bad}:3", "g"]
    assert all("header" in r.error and "line 1" in r.error for r in records[:2])
    assert records[2].error is None


def test_csv_stray_quote_fails_only_its_own_row_and_the_rows_after_it_are_read(tmp_path):
    path = tmp_path / "in.csv"
    rows = ["id,text"] + [
        f"{i},report {i}" if i != 500 else '500,"Stray quote' for i in range(1, 1001)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    records = _records(path)
    assert len(records) == 1000
    assert [r.id for r in records] == [str(i) for i in range(1, 1001)]
    assert records[499].error is not None and "quote" in records[499].error
    assert records[499].source == f"{path}:501"
    assert all(r.error is None for i, r in enumerate(records) if i != 499)
    assert records[500].text == "report 501" and records[-1].source == f"{path}:1001"


def test_csv_stray_quote_closed_by_a_later_quote_fails_only_its_row(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('id,text\n1,"open\n2,two\n3,"three" and more\n4,four\n', encoding="utf-8")
    records = _records(path)
    assert [r.id for r in records] == ["1", "2", "3", "4"]
    assert [r.error is None for r in records] == [False, True, False, True]
    assert records[1].text == "two" and records[3].text == "four"


def test_csv_quoted_fields_spanning_lines_still_read_as_one_text(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('id,text\n1,"a ""quoted"" word\nover, two lines"\n2,b\n', encoding="utf-8")
    records = _records(path)
    assert [(r.id, r.text) for r in records] == [
        ("1", 'a "quoted" word\nover, two lines'),
        ("2", "b"),
    ]


def test_lone_surrogate_in_a_jsonl_id_or_text_is_replaced_with_a_warning(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id":"\\udc80x","text":"Bomb \\ud800 here"}\n', encoding="utf-8")
    [record] = _records(path)
    assert record.id == "\ufffdx" and record.text == "Bomb \ufffd here"
    assert any("surrogate" in w for w in record.warnings)
    record.id.encode("utf-8")


@pytest.mark.skipif(sys.platform != "linux", reason="non-UTF-8 file names need a POSIX file system")
def test_file_name_that_is_not_utf8_is_read_and_shown_with_replacement_characters(tmp_path):
    folder = os.fsencode(tmp_path)
    for suffix in (b".jsonl", b".csv", b".txt"):
        name = os.path.join(folder, b"bad\xff" + suffix)
        with open(name, "wb") as handle:
            handle.write(
                b'{"text": "a bomb"}\n'
                if suffix == b".jsonl"
                else b"id,text\n1,a bomb\n"
                if suffix == b".csv"
                else b"a bomb"
            )
    records = _records(tmp_path)
    assert len(records) == 3 and all(r.error is None for r in records)
    for record in records:
        assert "bad\ufffd." in record.source
        record.source.encode("utf-8")
        record.id.encode("utf-8")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_with_a_bom_read_like_utf8(tmp_path, encoding):
    bom = {"utf-16": "", "utf-16-be": "\ufeff", "utf-32": ""}[encoding]
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes(
        (bom + '{"id":"a","text":"Bombe à Kaboul"}\n{"id":"b","text":"x"}\n').encode(encoding)
    )
    csv_path = tmp_path / "in.csv"
    csv_path.write_bytes((bom + 'id,text\r\n1,"Bombe\r\nà Kaboul"\r\n').encode(encoding))
    txt = tmp_path / "in.txt"
    txt.write_bytes((bom + "Bombe à Kaboul\n").encode(encoding))
    records = _records(jsonl, csv_path, txt)
    assert [(r.id, r.text, r.warnings) for r in records] == [
        ("a", "Bombe à Kaboul", ()),
        ("b", "x", ()),
        ("1", "Bombe\r\nà Kaboul", ()),
        (str(txt), "Bombe à Kaboul\n", ()),
    ]
    assert [r.source for r in records] == [f"{jsonl}:1", f"{jsonl}:2", f"{csv_path}:2", f"{txt}:1"]


def _without_dac_override() -> list[str]:
    """A command prefix that runs a process without root's file-permission bypass."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root and setpriv is not installed to drop CAP_DAC_OVERRIDE")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"]


def _read_all(*inputs: Path) -> list[dict]:
    """iter_records in a process that file permissions apply to, as JSON lines."""
    code = (
        "import json, sys; from infer.readers import iter_records\n"
        "for r in iter_records(sys.argv[1:]):\n"
        "    print(json.dumps({'id': r.id, 'source': r.source, 'error': r.error}))"
    )
    done = subprocess.run(
        [*_without_dac_override(), sys.executable, "-c", code, *map(str, inputs)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def locked(tmp_path):
    """tmp/top/{a.jsonl, locked/ (mode 0), z.jsonl} and tmp/shut/ (mode 0) holding in.jsonl."""
    top = tmp_path / "top"
    (top / "locked").mkdir(parents=True)
    for name in ("a.jsonl", "locked/x.jsonl", "z.jsonl"):
        (top / name).write_text('{"text": "a bomb"}\n', encoding="utf-8")
    shut = tmp_path / "shut"
    shut.mkdir()
    (shut / "in.jsonl").write_text('{"text": "a bomb"}\n', encoding="utf-8")
    for folder in (top / "locked", shut):
        folder.chmod(0)
    yield top, shut
    for folder in (top / "locked", shut):
        folder.chmod(0o755)


def test_unreadable_folder_or_parent_folder_is_an_error_record_naming_the_input(locked):
    top, shut = locked
    records = _read_all(top, shut, shut / "in.jsonl")
    assert [r["source"] for r in records] == [
        f"{top}/a.jsonl:1",
        f"{top}/locked:0",
        f"{top}/z.jsonl:1",
        f"{shut}:0",
        f"{shut}/in.jsonl:0",
    ]
    errors = [r["error"] for r in records]
    assert errors[0] is None and errors[2] is None
    assert all("Permission denied" in e for e in (errors[1], errors[3], errors[4]))
    assert "cannot read folder" in errors[1] and "cannot read input" in errors[4]


def test_gzip_too_short_to_hold_a_header_is_an_error_record(tmp_path):
    path = tmp_path / "tiny.jsonl.gz"
    path.write_bytes(b"\x1f\x8b\x08")
    [record] = _records(path)
    assert record.source == f"{path}:0" and "cannot read input" in record.error
