"""Writers and `-o` under hostile use (issue 14): special files, inputs, formulas, separators."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infer.writers import CsvWriter, JsonlWriter, output_stream

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCORE = (
    "import typer; from infer.cli import register; app = typer.Typer(); "
    "app.callback()(lambda: None); register(app); app()"
)


def run(app, model_dir: Path, *args: str):
    return CliRunner().invoke(app, ["score", "--model", str(model_dir), *args])


def _read_fifo(path: Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with path.open("rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("via_symlink", [False, True], ids=["fifo", "symlink-to-fifo"])
def test_output_to_a_fifo_is_streamed_into_it_and_the_fifo_stays(
    app, model_dir, tmp_path, via_symlink
):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    target = fifo
    if via_symlink:
        target = tmp_path / "link"
        target.symlink_to(fifo)
    received: list[bytes] = []
    reader = _read_fifo(fifo, received)
    result = run(app, model_dir, str(FIXTURES / "reports.jsonl"), "-o", str(target))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo, follow_symlinks=False).st_mode)
    assert len(received[0].decode().splitlines()) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["link", "pipe"] if via_symlink else ["pipe"]
    )


def test_output_to_a_character_device_writes_into_it_and_keeps_the_device(app, model_dir, tmp_path):
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    except PermissionError:
        pytest.skip("creating a device node needs root")
    result = run(app, model_dir, str(FIXTURES / "reports.jsonl"), "-o", str(device))
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert list(tmp_path.iterdir()) == [device]


def test_symlinked_output_replaces_the_file_it_points_to_and_keeps_the_link(
    app, model_dir, tmp_path
):
    real = tmp_path / "real.jsonl"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    result = run(app, model_dir, str(FIXTURES / "reports.jsonl"), "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and len(real.read_text(encoding="utf-8").splitlines()) == 5


@pytest.mark.parametrize("how", ["same-path", "hard-link", "inside-input-folder"])
def test_output_that_is_also_an_input_is_refused_and_left_untouched(app, model_dir, tmp_path, how):
    data = tmp_path / "in" / "x.jsonl"
    data.parent.mkdir()
    data.write_text('{"text": "a bomb went off"}\n', encoding="utf-8")
    inputs, target = [str(data)], data
    if how == "hard-link":
        target = tmp_path / "alias.jsonl"
        os.link(data, target)
    elif how == "inside-input-folder":
        inputs = [str(data.parent)]
    result = run(app, model_dir, *inputs, "-o", str(target))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "is also an input" in result.stderr and "Traceback" not in result.output
    assert data.read_text(encoding="utf-8") == '{"text": "a bomb went off"}\n'


@pytest.mark.parametrize(
    "where", ["", "{tmp}", "{tmp}/missing/out.jsonl"], ids=["empty", "folder", "missing-folder"]
)
def test_output_that_cannot_be_a_file_is_refused_in_one_line_before_scoring(
    app, model_dir, tmp_path, where
):
    result = run(app, model_dir, str(FIXTURES / "reports.jsonl"), "-o", where.format(tmp=tmp_path))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: -o")
    assert list(tmp_path.iterdir()) == []


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_defused():
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    ids = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+1+1", "-2+3", "\tcmd", "-5", "0.5", "ok"]
    for record_id in ids:
        writer.write({"id": record_id, "source": "=f:1", "error": "=bad"})
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert [row["id"] for row in rows] == ["'" + i for i in ids[:5]] + ["-5", "0.5", "ok"]
    assert {row["source"] for row in rows} == {"'=f:1"}
    assert {row["error"] for row in rows} == {"'=bad"}


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_every_record_is_one_line_even_with_unicode_line_separators(separator):
    record = {"id": f"a{separator}b", "source": f"f{separator}:1", "error": "x"}
    jsonl = io.StringIO()
    JsonlWriter(jsonl).write(record)
    assert len(jsonl.getvalue().splitlines()) == 1
    assert json.loads(jsonl.getvalue()) == record
    table = io.StringIO()
    CsvWriter(table).write(record)
    [row] = list(csv.DictReader(io.StringIO(table.getvalue())))
    assert row["id"] == record["id"]
    assert f'"a{separator}b"' in table.getvalue()  # quoted, so CSV readers keep it one cell


def test_writers_replace_lone_surrogates_instead_of_failing():
    record = {"id": "bad\udcffname", "source": "x\ud800:1", "error": "cannot read \udc80"}
    for writer_class in (JsonlWriter, CsvWriter):
        buffer = io.StringIO()
        writer_class(buffer).write(record)
        buffer.getvalue().encode("utf-8")
        assert "bad\ufffdname" in buffer.getvalue()


def test_killed_run_leaves_a_hidden_part_file_that_the_next_run_removes(model_dir, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "gunmen stormed a hotel"}\n' * 20_000, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    command = [
        sys.executable,
        "-c",
        SCORE,
        "score",
        str(source),
        "--model",
        str(model_dir),
        "--jobs",
        "1",
        "-o",
        str(out / "scores.jsonl"),
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(out.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert [p.name.endswith(".part") for p in out.iterdir()] == [True]
    source.write_text('{"text": "gunmen stormed a hotel"}\n', encoding="utf-8")
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True, timeout=120)
    assert [p.name for p in out.iterdir()] == ["scores.jsonl"]


def test_output_stream_never_replaces_a_part_file_of_a_live_run(tmp_path):
    target = tmp_path / "out.jsonl"
    with output_stream(target) as first:
        first.write("one\n")
        [part] = list(tmp_path.iterdir())
        with output_stream(target) as second:
            second.write("two\n")
        assert part.exists()
    assert target.read_text(encoding="utf-8") == "one\n"
    assert list(tmp_path.iterdir()) == [target]


def test_output_to_dev_stdout_writes_to_the_pipe_it_is(model_dir, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SCORE,
            "score",
            str(FIXTURES / "reports.jsonl"),
            "--model",
            str(model_dir),
            "--jobs",
            "1",
            "-o",
            "/dev/stdout",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 5
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_full_device_is_a_one_line_write_error_not_a_crash(app, model_dir):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    result = run(app, model_dir, str(FIXTURES / "reports.jsonl"), "-o", "/dev/full")
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == "error: cannot write /dev/full: No space left on device"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
