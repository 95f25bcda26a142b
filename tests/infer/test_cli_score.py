"""`threat-tagger score`: one output per input record, in order, errors in place, atomic -o."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from infer import writers
from infer.predictor import Predictor
from infer.writers import CSV_COLUMNS

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DEMO = REPO / "data" / "demo"


def run(app: typer.Typer, model_dir: Path, *args: str, stdin: str | None = None):
    """Invoke `score` in-process with the test model."""
    return CliRunner().invoke(app, ["score", "--model", str(model_dir), *args], input=stdin)


def outputs(text: str) -> list[dict]:
    """Parse JSONL output."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_every_input_record_gives_one_output_with_errors_in_place(app, model_dir, tmp_path):
    path = tmp_path / "mixed.jsonl"
    good = [
        json.dumps({"id": f"g{i}", "text": f"gunmen attacked a convoy, report {i}"})
        for i in range(6)
    ]
    bad = ["{oops", "17", json.dumps({"id": "nt"}), json.dumps({"id": "e", "text": " "})]
    lines = [good[0], bad[0], good[1], bad[1], good[2], bad[2], good[3], bad[3], good[4], good[5]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(app, model_dir, str(path), "--jobs", "1")
    assert result.exit_code == 1
    out = outputs(result.stdout)
    assert len(out) == len(lines)
    assert [o["source"] for o in out] == [f"{path}:{n}" for n in range(1, 11)]
    failed = [i for i, o in enumerate(out) if "error" in o]
    assert failed == [1, 3, 5, 7]
    assert set(out[5]) == {"id", "source", "error"} and out[5]["id"] == "nt"
    assert [o["id"] for i, o in enumerate(out) if i not in failed] == [f"g{i}" for i in range(6)]
    assert "4 failures" in result.stderr
    assert f"{path}:2: malformed JSON" in result.stderr


def test_scores_equal_the_predictor_and_exit_status_is_zero(app, model_dir):
    result = run(app, model_dir, str(FIXTURES / "reports.jsonl"))
    assert result.exit_code == 0, result.output
    out = outputs(result.stdout)
    texts = [
        json.loads(line)["text"]
        for line in (FIXTURES / "reports.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    expected = Predictor.load(model_dir).predict(texts)
    assert [o["id"] for o in out] == ["r1", "r2", "r3", "r4", "r5"]
    for record, prediction in zip(out, expected, strict=True):
        assert record["incident_types"] == pytest.approx(prediction.incident_types, abs=1e-4)
        assert list(record["incident_types"]) == list(prediction.incident_types)
        assert (record["region"], record["country"]) == (prediction.region, prediction.country)
        assert record["country_probability"] == pytest.approx(
            prediction.country_probability, abs=1e-4
        )
    assert "5 records, 0 failures, 0 warnings" in result.stderr
    assert "docs/s" in result.stderr


def test_all_input_kinds_in_one_run(app, model_dir, tmp_path):
    gz = tmp_path / "reports.csv.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "reports.csv").read_bytes()))
    stdin = json.dumps({"id": "in1", "text": "a grenade was thrown into a crowded bar"}) + "\n"
    result = run(
        app,
        model_dir,
        str(FIXTURES / "report.txt"),
        str(FIXTURES / "inbox"),
        str(FIXTURES / "reports.jsonl"),
        str(gz),
        "-",
        stdin=stdin,
    )
    assert result.exit_code == 0, result.output
    out = outputs(result.stdout)
    assert [o["id"] for o in out] == [
        str(FIXTURES / "report.txt"),
        "e1",
        "e2",
        str(FIXTURES / "inbox" / "morning.txt"),
        "r1",
        "r2",
        "r3",
        "r4",
        "r5",
        "c1",
        "c2",
        "c3",
        "in1",
    ]
    assert out[-1]["source"] == "<stdin>:1"
    assert out[-4]["source"] == f"{gz}:2"


def test_missing_input_is_an_error_record_and_other_inputs_are_scored(app, model_dir, tmp_path):
    result = run(app, model_dir, str(tmp_path / "gone.jsonl"), str(FIXTURES / "report.txt"))
    assert result.exit_code == 1
    out = outputs(result.stdout)
    assert out[0]["source"] == f"{tmp_path / 'gone.jsonl'}:0" and "error" in out[0]
    assert "error" not in out[1]


def test_jobs_two_gives_the_same_output_in_the_same_order_as_jobs_one(app, model_dir, tmp_path):
    texts = [
        json.loads(line)["text"]
        for path in sorted(DEMO.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    path = tmp_path / "many.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(300):
            handle.write(json.dumps({"id": f"n{i}", "text": texts[(i * 7) % len(texts)]}) + "\n")
            if i % 50 == 0:
                handle.write("not json\n")
    one = run(app, model_dir, str(path), "--jobs", "1", "--batch-size", "16")
    two = run(app, model_dir, str(path), "--jobs", "2", "--batch-size", "16")
    assert one.exit_code == two.exit_code == 1
    assert len(outputs(two.stdout)) == 306
    assert two.stdout == one.stdout


def test_output_file_is_written_whole_or_not_at_all(app, model_dir, tmp_path, monkeypatch):
    target = tmp_path / "out.jsonl"
    calls = {"n": 0}
    original = writers.JsonlWriter.write_encoded  # what score calls per chunk of records

    def failing_write(self, text):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        original(self, text)

    monkeypatch.setattr(writers.JsonlWriter, "write_encoded", failing_write)
    one_a_chunk = ("--batch-size", "1")  # 5 records, 5 writes: the third one fails
    result = run(app, model_dir, str(FIXTURES / "reports.jsonl"), *one_a_chunk, "-o", str(target))
    assert calls["n"] == 3
    assert result.exit_code == 130
    assert "error: interrupted" in result.stderr
    assert list(tmp_path.iterdir()) == []

    target.write_text("old\n", encoding="utf-8")
    calls["n"] = 0
    run(app, model_dir, str(FIXTURES / "reports.jsonl"), *one_a_chunk, "-o", str(target))
    assert calls["n"] == 3
    assert target.read_text(encoding="utf-8") == "old\n"
    assert list(tmp_path.iterdir()) == [target]

    monkeypatch.setattr(writers.JsonlWriter, "write_encoded", original)
    result = run(app, model_dir, str(FIXTURES / "reports.jsonl"), "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert len(outputs(target.read_text(encoding="utf-8"))) == 5


def test_csv_output_has_the_documented_columns(app, model_dir, tmp_path):
    target = tmp_path / "out.csv"
    result = run(app, model_dir, str(FIXTURES / "reports.csv"), "-o", str(target))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [row["id"] for row in rows] == ["c1", "c2", "c3"]
    assert tuple(rows[0]) == CSV_COLUMNS
    for row in rows:
        labels = [x for x in row["incident_types"].split("|") if x]
        assert len(labels) == len([x for x in row["incident_probabilities"].split("|") if x])
    stdout = run(app, model_dir, str(FIXTURES / "reports.csv"), "--format", "csv").stdout
    assert stdout == target.read_text(encoding="utf-8")
    help_text = CliRunner().invoke(app, ["score", "--help"], terminal_width=200).stdout
    assert all(column in help_text for column in CSV_COLUMNS)


def test_non_utf8_and_oversized_documents_are_scored_with_a_warning(app, model_dir, tmp_path):
    path = tmp_path / "odd.jsonl"
    big = "armed men attacked the village " * 40_000  # 1.2 MB
    path.write_bytes(
        b'{"id": "latin1", "text": "bomba en el caf\xe9"}\n'
        + json.dumps({"id": "big", "text": big}).encode()
        + b"\n"
    )
    result = run(app, model_dir, str(path))
    assert result.exit_code == 0, result.output
    latin1, large = outputs(result.stdout)
    assert "UTF-8" in latin1["warning"] and "incident_types" in latin1
    assert "1048576 bytes" in large["warning"] and "incident_types" in large
    assert "2 warnings" in result.stderr


def test_explain_adds_the_driving_ngrams_per_decision(app, model_dir):
    result = run(app, model_dir, str(FIXTURES / "reports.jsonl"), "--explain")
    assert result.exit_code == 0, result.output
    for record in outputs(result.stdout):
        decisions = {(h["head"], h["label"]) for h in record["explanation"]}
        assert {("incident", label) for label in record["incident_types"]} <= decisions
        if record["country"] is not None:
            assert ("country", record["country"]) in decisions


def test_missing_model_is_one_error_line_without_traceback(app, tmp_path):
    result = run(app, tmp_path / "no-model", str(FIXTURES / "reports.jsonl"))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


def test_scoring_module_imports_nothing_heavy_at_import_time():
    code = (
        "import sys, infer.cli; heavy = {'numpy', 'scipy', 'rich', 'infer.predictor'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert done.stdout.strip() == "[]"


def test_stdin_and_worker_processes_work_from_a_real_process(model_dir):
    lines = "".join(
        json.dumps({"id": f"p{i}", "text": f"a bomb exploded at market {i}"}) + "\n"
        for i in range(40)
    )
    code = (
        "import typer, sys; from infer.cli import register; app = typer.Typer(); "
        "app.callback()(lambda: None); register(app); app()"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "score",
            "-",
            "--model",
            str(model_dir),
            "--jobs",
            "2",
            "--batch-size",
            "8",
        ],
        input=lines,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["id"] for x in io.StringIO(done.stdout)] == [f"p{i}" for i in range(40)]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "options",
    [["--jobs", "1"], ["--jobs", "2", "--batch-size", "50"]],
    ids=["in-process", "worker-pool"],
)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_terminated_run_leaves_no_output_and_no_temp_file(model_dir, tmp_path, options, sig):
    source = tmp_path / "in" / "big.jsonl"
    source.parent.mkdir()
    line = json.dumps({"text": "gunmen attacked a police station and set it on fire " * 5})
    source.write_text((line + "\n") * 100_000, encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = (
        "import typer; from infer.cli import register; app = typer.Typer(); "
        "app.callback()(lambda: None); register(app); app()"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "score",
            str(source),
            "--model",
            str(model_dir),
            *options,
            "-o",
            str(out_dir / "scores.jsonl"),
        ],
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        # a shell's background job (CI under nohup, say) starts with Ctrl-C ignored: undo that,
        # as a terminal's foreground job has it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not any(out_dir.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(out_dir.iterdir()), "the run never started writing"
    time.sleep(0.5)  # let the workers (if any) get busy
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.strip() == "error: interrupted; no output file was written"
    assert list(out_dir.iterdir()) == []


def test_spawned_workers_load_the_model_themselves(model_dir, monkeypatch):
    from infer import batch
    from infer.readers import InputRecord

    records = [
        InputRecord(id=f"s{i}", source=f"mem:{i}", text=f"a bomb hit bus {i}") for i in range(12)
    ]
    predictor = Predictor.load(model_dir)
    expected = list(batch.BatchScorer(predictor, jobs=1, batch_size=4).score(records))
    monkeypatch.setattr(batch, "start_method", lambda: "spawn")
    spawned = batch.BatchScorer(predictor, model=model_dir, jobs=2, batch_size=4)
    assert list(spawned.score(records)) == expected


def test_the_default_chunk_is_one_predictor_batch():
    import inspect

    from infer import batch, cli
    from infer.engines.job import run_job
    from infer.engines.worker import Job
    from infer.predictor import BATCH_SIZE

    default = inspect.signature(cli.score).parameters["batch_size"].default
    assert default == batch.DEFAULT_BATCH_SIZE == BATCH_SIZE
    assert inspect.signature(run_job).parameters["batch_size"].default == BATCH_SIZE
    assert Job.__dataclass_fields__["batch_size"].default == BATCH_SIZE


def test_score_keeps_the_loaded_model_out_of_the_cyclic_collector_while_it_scores(
    app, model_dir, tmp_path, monkeypatch
):
    import gc

    from infer import batch

    frozen_while_scoring = []
    original = batch.Scorer.encoded

    def encoded(self, chunk):
        frozen_while_scoring.append(gc.get_freeze_count())
        return original(self, chunk)

    monkeypatch.setattr(batch.Scorer, "encoded", encoded)
    before = gc.get_freeze_count()
    result = run(app, model_dir, str(FIXTURES / "reports.jsonl"), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert len(outputs(result.stdout)) == 5
    # everything alive once the model was loaded (its objects among them) was frozen
    assert frozen_while_scoring and min(frozen_while_scoring) > before + 10_000
    assert gc.get_freeze_count() == before  # and the collector has them back afterwards
