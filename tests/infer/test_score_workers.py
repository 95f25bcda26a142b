"""`score --jobs N`: worker processes keep order and a bounded window, and fail fast and cleanly."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infer import batch
from infer.place_features import PlaceBlock
from infer.predictor import Predictor
from infer.readers import InputRecord
from infer.writers import make_writer

REPO = Path(__file__).resolve().parents[2]
MARKER = "KILL-THIS-WORKER"
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
# The CLI in a real process, with a scorer that SIGKILLs its worker process on the marker text
# (never the parent: it only does so in a process other than the one that started).
KILLING_CLI = f"""
import os, signal, typer
from infer import batch
from infer.place_features import PlaceBlock
from infer.cli import register
PARENT = os.getpid()
original = batch.Scorer._score
def _score(self, records):
    if os.getpid() != PARENT and any({MARKER!r} in (r.text or "") for r in records):
        os.kill(os.getpid(), signal.SIGKILL)
    return original(self, records)
batch.Scorer._score = _score
app = typer.Typer()
app.callback()(lambda: None)
register(app)
app()
"""


def records(n: int) -> list[InputRecord]:
    """n small in-memory records."""
    return [
        InputRecord(id=f"r{i}", source=f"mem:{i + 1}", text=f"a bomb hit bus {i}") for i in range(n)
    ]


def test_killed_worker_exits_non_zero_naming_the_lost_records_and_writes_no_output(
    model_dir, tmp_path
):
    source = tmp_path / "in.jsonl"
    lines = [
        json.dumps(
            {
                "id": f"d{i}",
                "text": f"a bomb exploded at market {i}" + (f" {MARKER}" if i == 21 else ""),
            }
        )
        for i in range(40)
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    done = subprocess.run(  # the timeout turns a hang into a failure
        [
            sys.executable,
            "-c",
            KILLING_CLI,
            "score",
            str(source),
            "--model",
            str(model_dir),
            "--jobs",
            "2",
            "--batch-size",
            "4",
            "-o",
            str(out_dir / "scores.jsonl"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=ENV,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    message = done.stderr.strip()
    assert message.startswith("error: a scoring worker process was killed by SIGKILL"), message
    assert message.endswith("no output file was written"), message
    lost = re.search(
        r"records from .*in\.jsonl:(\d+) to .*in\.jsonl:(\d+) were not scored", message
    )
    assert lost, message
    assert int(lost.group(1)) <= 22 <= int(lost.group(2))  # line 22 holds the marker
    assert list(out_dir.iterdir()) == []


def test_pool_reads_at_most_a_bounded_window_of_chunks_ahead_of_the_output(model_dir):
    read = 0

    def counted() -> Iterator[InputRecord]:
        nonlocal read
        for record in records(400):
            read += 1
            yield record

    jobs, size = 2, 4
    scorer = batch.BatchScorer(
        Predictor.load(model_dir), model=model_dir, jobs=jobs, batch_size=size
    )
    window = (jobs * batch.CHUNKS_PER_WORKER + 1) * size
    ids = []
    for out in scorer.score(counted()):
        assert read - len(ids) <= window
        ids.append(out["id"])
    assert ids == [f"r{i}" for i in range(400)]


def test_forked_workers_inherit_the_blocks_scoring_structures_built_once_in_the_parent(
    model_dir,
):
    if batch.start_method() != "fork":
        return  # spawned workers load their own model
    predictor = Predictor.load(model_dir)
    blocks = predictor.model.featurizer.blocks
    scorer = batch.BatchScorer(predictor, model=model_dir, jobs=2, batch_size=4)
    outputs = list(scorer.score(records(12)))
    assert [out["id"] for out in outputs] == [f"r{i}" for i in range(12)]
    # the parent scored nothing itself: these were built for the workers to inherit
    places = [block for block in blocks if isinstance(block, PlaceBlock)]
    assert places and all("matcher" in vars(block) for block in places)
    assert len(places) < len(blocks)  # text blocks too: their token passes are built
    assert "token_passes" in vars(predictor.model.featurizer)


def tricky_records() -> list[InputRecord]:
    """Records whose output needs escaping, quoting or counting (errors, warnings)."""
    texts = [
        "A car bomb killed three people in Kabul\u2028on Monday.",
        "Gunmen kidnapped a café owner in São Paulo \ud800; ransom\r\ndemanded.",
        '=HYPERLINK("x") said "police", a bomb, Mosul',
    ]
    out = [
        InputRecord(id=f"=t{i}\u0085", source=f"mem:{i}", text=text)
        for i, text in enumerate(texts * 4)
    ]
    out.insert(3, InputRecord(id="bad", source="mem:bad", error="line 4: not JSON"))
    out.insert(7, InputRecord(id="w", source="mem:w", text="a bomb", warnings=("clipped",)))
    return out


def written(outputs: list[dict], fmt: str, explain: bool) -> str:
    """What the writer of `fmt` writes for the output records."""
    stream = io.StringIO()
    writer = make_writer(stream, fmt, explain=explain)
    for out in outputs:
        writer.write(out)
    return stream.getvalue()


@pytest.mark.parametrize(("fmt", "explain"), [("jsonl", False), ("csv", False), ("csv", True)])
def test_lines_encoded_by_the_workers_are_what_the_writer_writes_of_the_records(
    model_dir, fmt, explain
):
    predictor = Predictor.load(model_dir)
    expected = list(
        batch.BatchScorer(predictor, batch_size=4, explain=explain).score(tricky_records())
    )
    pooled = batch.BatchScorer(
        predictor, model=model_dir, jobs=2, batch_size=4, explain=explain, encode_as=fmt
    )
    chunks = list(pooled.score_encoded(tricky_records()))
    assert [chunk.count for chunk in chunks] == [4, 4, 4, 2]
    stream = io.StringIO()
    writer = make_writer(stream, fmt, explain=explain)
    for chunk in chunks:
        writer.write_encoded(chunk.text)
    assert stream.getvalue() == written(expected, fmt, explain)
    counted = {
        i: {k: out[k] for k in ("id", "source", "error", "warning") if k in out}
        for i, out in enumerate(expected)
        if "error" in out or "warning" in out
    }
    notes = {4 * n + i: note for n, chunk in enumerate(chunks) for i, note in chunk.notes.items()}
    assert notes == counted
    assert [sorted(note) for note in notes.values()] == [
        ["error", "id", "source"],
        ["id", "source", "warning"],
    ]


def test_spawned_workers_encode_the_lines_the_in_process_scorer_encodes(model_dir, monkeypatch):
    predictor = Predictor.load(model_dir)
    here = batch.BatchScorer(predictor, jobs=1, batch_size=4, encode_as="csv")
    expected = list(here.score_encoded(tricky_records()))
    monkeypatch.setattr(batch, "start_method", lambda: "spawn")
    spawned = batch.BatchScorer(predictor, model=model_dir, jobs=2, batch_size=4, encode_as="csv")
    assert list(spawned.score_encoded(tricky_records())) == expected


def test_workers_parse_the_jsonl_lines_and_bad_lines_are_reported_with_file_and_line(
    app, model_dir, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from infer.jsonl_reader import JsonlLines

    if batch.start_method() != "fork":
        return  # the check below needs the patched parser in the workers
    parse, parsers = JsonlLines.records, tmp_path / "parsers"

    def records_in_workers_only(self):
        with parsers.open("a") as log:  # which process parsed each block
            log.write(f"{os.getpid()}\n")
        return parse(self)

    monkeypatch.setattr(JsonlLines, "records", records_in_workers_only)
    lines = [
        json.dumps({"id": f"d{i}", "text": f"a bomb exploded at market {i}"}) for i in range(30)
    ]
    lines[4] = "{oops"
    lines[11] = ""
    lines[12] = '"just a string"'
    lines[25] = json.dumps({"id": "empty", "text": "  "})
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runner = CliRunner()
    args = ["score", str(path), "--model", str(model_dir), "--batch-size", "4"]
    two = runner.invoke(app, [*args, "--jobs", "2"])
    assert two.exit_code == 1, two.output
    assert [json.loads(line)["source"] for line in two.stdout.splitlines()] == [
        f"{path}:{n}" for n in range(1, 31) if n != 12
    ]
    assert "29 records, 3 failures, 0 warnings" in two.stderr
    pids = parsers.read_text().split()
    assert len(pids) == 8 and str(os.getpid()) not in pids  # 8 blocks of 4 lines, in workers
    for line, error in ((5, "malformed JSON"), (13, "not a JSON object"), (26, "is empty")):
        assert f"  {path}:{line}: " in two.stderr and error in two.stderr
    monkeypatch.setattr(JsonlLines, "records", parse)
    one = runner.invoke(app, [*args, "--jobs", "1"])
    assert (one.exit_code, one.stdout) == (1, two.stdout)


# A pool whose manager thread is left reading half a result message, as when a worker is
# killed while sending one; then the pool is stopped and the process exits.
HALF_A_RESULT = """
import struct, time
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
from infer import batch
pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))
pool.submit(abs, -1).result()  # the workers and the manager thread are running
pool._result_queue._writer._send(struct.pack("!i", 1000) + b"half a message")
time.sleep(0.5)  # the manager thread now waits for the rest of the message
batch._stop(pool)
print("stopped")
"""


def test_stopping_a_pool_whose_result_pipe_holds_half_a_message_lets_the_process_exit():
    done = subprocess.run(
        [sys.executable, "-c", HALF_A_RESULT], env=ENV, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stopped"
