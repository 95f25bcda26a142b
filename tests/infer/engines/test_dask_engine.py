"""`score --engine dask` on a real 2-worker LocalCluster: same records as `score`, faults."""

from __future__ import annotations

import json
import threading

import pytest
import typer
from typer.testing import CliRunner

pytest.importorskip("distributed")

from infer.engines.job import read_output, run_job


def cli() -> typer.Typer:
    from infer.cli import register

    app = typer.Typer(add_completion=False)
    app.callback()(lambda: None)
    register(app)
    return app


def test_dask_output_equals_score_id_for_id_and_byte_for_byte(
    dask_address, mixed_inputs, local_score, model_dir, tmp_path
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
            "dask",
            "--cluster",
            dask_address,
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
    records = read_output(out)
    expected = [json.loads(line) for line in local_score.splitlines()]
    assert [r["id"] for r in records] == [e["id"] for e in expected]
    assert any("error" in r for r in records) and any("warning" in r for r in records)
    assert json.loads((out / "_SUCCESS").read_text())["records"] == len(expected)
    assert "failures" in result.stderr and "mixed.jsonl:4: malformed JSON" in result.stderr


def test_dask_parquet_parts_hold_the_same_records(
    dask_address, mixed_inputs, local_score, model_dir, tmp_path
):
    out = tmp_path / "scored"
    run_job(
        "dask", mixed_inputs, str(out), model=str(model_dir), fmt="parquet", cluster=dask_address
    )
    assert read_output(out) == [json.loads(line) for line in local_score.splitlines()]


def test_a_bad_model_is_one_error_line_and_leaves_no_output(dask_address, mixed_inputs, tmp_path):
    out = tmp_path / "scored"
    broken = tmp_path / "not-a-model"
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
            "dask",
            "--cluster",
            dask_address,
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == [broken]


def test_a_job_failing_on_the_workers_raises_and_leaves_no_output(
    dask_address, mixed_inputs, tmp_path
):
    from infer.errors import ThreatTaggerError

    broken = tmp_path / "model"
    broken.mkdir()
    (broken / "meta.json").write_text("{}")
    with pytest.raises(ThreatTaggerError, match=r"meta\.json"):
        run_job(
            "dask",
            mixed_inputs[:1],
            str(tmp_path / "scored"),
            model=str(broken),
            cluster=dask_address,
            ship_model=False,
        )
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_existing_output_folder_is_never_overwritten(
    dask_address, mixed_inputs, model_dir, tmp_path
):
    out = tmp_path / "scored"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = CliRunner().invoke(
        cli(),
        [
            "score",
            *mixed_inputs,
            "--model",
            str(model_dir),
            "--engine",
            "dask",
            "--cluster",
            dask_address,
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_dask_tag_dataframe_adds_the_output_columns(dask_address, model_dir):
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client

    from infer.engines.dask_engine import tag_dataframe
    from infer.predictor import Predictor

    texts = [
        "a car bomb exploded outside the police station",
        "   ",
        "gunmen kidnapped two engineers from the site",
        None,
    ]
    frame = dd.from_pandas(pd.DataFrame({"doc": range(4), "text": texts}), npartitions=2)
    with Client(dask_address):
        tagged = tag_dataframe(frame, "text", model=model_dir).compute()
    predictions = Predictor.load(model_dir).predict([texts[0], texts[2]])
    assert list(tagged["doc"]) == [0, 1, 2, 3]
    assert tagged["error"].tolist()[1] == "text field 'text' is empty"
    assert tagged["error"].tolist()[3] == "missing text field 'text'"
    for row, prediction in zip((0, 2), predictions, strict=True):
        assert tagged["country"].iloc[row] == prediction.country
        assert set(tagged["incident_types"].iloc[row]) == set(prediction.incident_types)


def test_dask_tag_bag_gives_one_output_per_text_in_order(dask_address, model_dir):
    import dask.bag as db
    from distributed import Client

    from infer.engines.dask_engine import tag_bag

    texts = ["a car bomb exploded outside the police station", "", "rebels seized a tanker"]
    with Client(dask_address):
        tagged = tag_bag(db.from_sequence(texts, npartitions=2), model=model_dir).compute()
    assert [t["error"] for t in tagged] == [None, "text field 'text' is empty", None]
    assert "bombing" in tagged[0]["incident_types"]


def test_stdin_is_read_on_the_driver_and_scored_like_score(dask_address, model_dir, tmp_path):
    lines = (
        "".join(
            json.dumps({"id": f"s{i}", "text": f"gunmen attacked village {i}"}) + "\n"
            for i in range(30)
        )
        + "{bad\n"
    )
    local = CliRunner().invoke(cli(), ["score", "-", "--model", str(model_dir)], input=lines)
    out = tmp_path / "scored"
    result = CliRunner().invoke(
        cli(),
        [
            "score",
            "-",
            "--model",
            str(model_dir),
            "--engine",
            "dask",
            "--cluster",
            dask_address,
            "-o",
            str(out),
        ],
        input=lines,
    )
    assert result.exit_code == local.exit_code == 1, result.output
    assert (out / "part-00000.jsonl").read_text(encoding="utf-8") == local.stdout


def test_a_worker_killed_mid_job_is_retried_and_nothing_is_lost_or_duplicated(
    dask_address, model_dir, big_jsonl, kill_busy_worker, tmp_path
):
    out = tmp_path / "scored"
    finished = threading.Event()
    result: dict[str, object] = {}

    def job() -> None:
        try:
            result["outcome"] = run_job(
                "dask",
                [str(big_jsonl)],
                str(out),
                model=str(model_dir),
                cluster=dask_address,
                split_bytes=60_000,
            )
        finally:
            finished.set()

    worker = threading.Thread(target=job)
    worker.start()
    killed = kill_busy_worker(out, finished)
    worker.join(timeout=300)
    assert killed is not None, "the job finished before a worker could be killed"
    outcome = result["outcome"]
    records = read_output(out)
    assert [r["id"] for r in records] == [f"b{i}" for i in range(6000)]
    assert outcome.records == 6000 and outcome.failures == 0
    assert not list(out.glob(".*"))  # no leftover temp part
