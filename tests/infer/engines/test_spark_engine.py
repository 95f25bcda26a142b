"""`score --engine spark` on a real local[2] Spark: same records as `score`, faults."""

from __future__ import annotations

import json
import threading

import pytest
import typer
from typer.testing import CliRunner

from infer.engines.job import read_output, run_job

pytest.importorskip("pyspark")


def cli() -> typer.Typer:
    from infer.cli import register

    app = typer.Typer(add_completion=False)
    app.callback()(lambda: None)
    register(app)
    return app


def test_spark_output_equals_score_id_for_id_and_byte_for_byte(
    spark, mixed_inputs, local_score, model_dir, tmp_path
):
    out = tmp_path / "scored"
    result = CliRunner().invoke(
        cli(),
        [
            "score",
            *mixed_inputs,
            "--model",
            str(model_dir),
            "--engine",
            "spark",
            "-o",
            str(out),
            "--split-mb",
            "0.004",
        ],
    )
    assert result.exit_code == 1, result.output  # bad records: exit 1, like score
    parts = sorted(out.glob("part-*.jsonl"))
    assert len(parts) > len(mixed_inputs)  # mixed.jsonl was cut into slices
    assert "".join(p.read_text(encoding="utf-8") for p in parts) == local_score
    expected = [json.loads(line) for line in local_score.splitlines()]
    assert [r["id"] for r in read_output(out)] == [e["id"] for e in expected]
    assert "mixed.jsonl:4: malformed JSON" in result.stderr


def test_spark_parquet_parts_hold_the_same_records(
    spark, mixed_inputs, local_score, model_dir, tmp_path
):
    out = tmp_path / "scored"
    run_job("spark", mixed_inputs, str(out), model=str(model_dir), fmt="parquet", ship_model=False)
    assert read_output(out) == [json.loads(line) for line in local_score.splitlines()]
    assert spark.read.parquet(str(out)).count() == len(local_score.splitlines())


def test_a_python_worker_killed_mid_job_is_retried_and_nothing_is_lost_or_duplicated(
    spark, model_dir, big_jsonl, kill_busy_worker, tmp_path
):
    out = tmp_path / "scored"
    finished = threading.Event()
    result: dict[str, object] = {}

    def job() -> None:
        try:
            result["outcome"] = run_job(
                "spark", [str(big_jsonl)], str(out), model=str(model_dir), split_bytes=60_000
            )
        finally:
            finished.set()

    runner = threading.Thread(target=job)
    runner.start()
    killed = kill_busy_worker(out, finished)
    runner.join(timeout=300)
    assert killed is not None, "the job finished before a worker could be killed"
    records = read_output(out)
    assert [r["id"] for r in records] == [f"b{i}" for i in range(len(records))]
    assert len(records) == 6000 and result["outcome"].failures == 0
    assert not list(out.glob(".*"))  # no leftover temp part


def test_spark_tag_dataframe_adds_the_output_columns(spark, model_dir):
    from infer.engines.spark_engine import tag_dataframe
    from infer.predictor import Predictor

    texts = [
        "a car bomb exploded outside the police station",
        "   ",
        "gunmen kidnapped two engineers from the site",
        None,
    ]
    frame = spark.createDataFrame(list(enumerate(texts)), "doc long, text string")
    rows = sorted(
        tag_dataframe(frame, "text", model=model_dir, ship=True).collect(), key=lambda row: row.doc
    )
    predictions = Predictor.load(model_dir).predict([texts[0], texts[2]])
    assert [row.doc for row in rows] == [0, 1, 2, 3]
    assert rows[1].error == "text field 'text' is empty" and rows[1].country is None
    assert rows[3].error == "missing text field 'text'"
    for row, prediction in zip((rows[0], rows[2]), predictions, strict=True):
        assert row.country == prediction.country and row.error is None
        assert set(row.incident_types) == set(prediction.incident_types)


def test_a_bad_model_is_one_error_line_and_leaves_no_output(spark, mixed_inputs, tmp_path):
    broken = tmp_path / "model"
    broken.mkdir()
    (broken / "meta.json").write_text("{}")
    result = CliRunner().invoke(
        cli(),
        [
            "score",
            *mixed_inputs,
            "--model",
            str(broken),
            "--engine",
            "spark",
            "-o",
            str(tmp_path / "scored"),
        ],
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_a_job_failing_on_the_workers_raises_and_leaves_no_output(spark, mixed_inputs, tmp_path):
    from infer.errors import ThreatTaggerError

    broken = tmp_path / "model"
    broken.mkdir()
    (broken / "meta.json").write_text("{}")
    with pytest.raises(ThreatTaggerError, match=r"the Spark job failed: .*meta\.json"):
        run_job(
            "spark", mixed_inputs[:1], str(tmp_path / "scored"), model=str(broken), ship_model=False
        )
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
