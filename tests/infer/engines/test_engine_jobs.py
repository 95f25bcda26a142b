"""`score --engine dask|spark` on a real 2-worker local cluster of each engine (and on a cluster
of separate processes given by --cluster): the same records as `score`, a killed worker
retried, failed jobs leave no output."""

from __future__ import annotations

import json
import threading

import pytest
from typer.testing import CliRunner

from infer.engines.job import read_output, run_job
from infer.errors import ThreatTaggerError

BIG_RECORDS = 6000  # the big_jsonl fixture's records, ids b0...


def test_output_equals_score_id_for_id_and_byte_for_byte(
    app, engine, mixed_inputs, local_score, model_dir, tmp_path
):
    out = tmp_path / "scored"
    result = CliRunner().invoke(
        app, engine.score_args(mixed_inputs, out, model_dir, "--split-mb", "0.004")
    )
    assert result.exit_code == 1, result.output  # bad records: exit 1, like score
    parts = sorted(out.glob("part-*.jsonl"))
    assert len(parts) > len(mixed_inputs)  # mixed.jsonl was cut into slices
    assert "".join(p.read_text(encoding="utf-8") for p in parts) == local_score
    expected = [json.loads(line) for line in local_score.splitlines()]
    assert [r["id"] for r in read_output(out)] == [e["id"] for e in expected]
    assert json.loads((out / "_SUCCESS").read_text())["records"] == len(expected)
    assert "failures" in result.stderr and "mixed.jsonl:4: malformed JSON" in result.stderr


def test_a_cluster_given_by_its_address_scores_like_score(
    remote_cluster, mixed_inputs, local_score, model_dir, tmp_path
):
    from cluster_processes import run_score

    out = tmp_path / "scored"
    args = ["--model", str(model_dir), "--engine", remote_cluster.engine, "-o", str(out)]
    done = run_score(
        [*mixed_inputs, *args, "--cluster", remote_cluster.address, "--split-mb", "0.004"],
        cwd=tmp_path,
        env=remote_cluster.env,
    )
    assert done.returncode == 1, done.stderr  # bad records: exit 1, like score
    parts = sorted(out.glob("part-*.jsonl"))
    assert len(parts) > len(mixed_inputs)
    assert "".join(p.read_text(encoding="utf-8") for p in parts) == local_score
    # the driver sent the model to the worker: no shared storage for it
    assert list(remote_cluster.worker_dir.rglob(remote_cluster.shipped_model))
    # stderr is the summary and the failures, not Spark's start-up notices
    assert "log4j" not in done.stderr and "default log level" not in done.stderr
    assert "NativeCodeLoader" not in done.stderr


@pytest.mark.parametrize("ship_model", [True, False], ids=["model-shipped", "model-shared"])
def test_parquet_parts_hold_the_same_records(
    engine, mixed_inputs, local_score, model_dir, tmp_path, ship_model
):
    out = tmp_path / "scored"
    run_job(
        engine.name,
        mixed_inputs,
        str(out),
        model=str(model_dir),
        fmt="parquet",
        cluster=engine.cluster,
        ship_model=ship_model,
    )
    assert read_output(out) == [json.loads(line) for line in local_score.splitlines()]


def test_a_worker_killed_mid_job_is_retried_and_nothing_is_lost_or_duplicated(
    engine, model_dir, big_jsonl, kill_busy_worker, tmp_path
):
    out = tmp_path / "scored"
    finished = threading.Event()
    result: dict[str, object] = {}

    def job() -> None:
        try:
            result["outcome"] = run_job(
                engine.name,
                [str(big_jsonl)],
                str(out),
                model=str(model_dir),
                cluster=engine.cluster,
                split_bytes=60_000,
            )
        finally:
            finished.set()

    runner = threading.Thread(target=job)
    runner.start()
    killed = kill_busy_worker(out, finished)
    runner.join(timeout=300)
    assert killed is not None, "the job finished before a worker could be killed"
    outcome = result["outcome"]
    assert [r["id"] for r in read_output(out)] == [f"b{i}" for i in range(BIG_RECORDS)]
    assert outcome.records == BIG_RECORDS and outcome.failures == 0
    assert not list(out.glob(".*"))  # no leftover temp part


def test_a_bad_model_is_one_error_line_and_leaves_no_output(app, engine, mixed_inputs, tmp_path):
    broken = tmp_path / "not-a-model"
    broken.mkdir()
    (broken / "meta.json").write_text("{}")
    result = CliRunner().invoke(app, engine.score_args(mixed_inputs, tmp_path / "scored", broken))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == [broken]


def test_a_job_failing_on_the_workers_raises_and_leaves_no_output(engine, mixed_inputs, tmp_path):
    broken = tmp_path / "model"
    broken.mkdir()
    (broken / "meta.json").write_text("{}")
    with pytest.raises(ThreatTaggerError, match=r"meta\.json"):
        run_job(
            engine.name,
            mixed_inputs[:1],
            str(tmp_path / "scored"),
            model=str(broken),
            cluster=engine.cluster,
            ship_model=False,  # the workers, not the driver, find the model broken
        )
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
