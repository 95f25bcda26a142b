"""Dask only: tag_dataframe, tag_bag, stdin read on the driver (real 2-worker LocalCluster).

What both engines share is tested in test_engine_jobs.py."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

pytest.importorskip("distributed")


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


def test_stdin_is_read_on_the_driver_and_scored_like_score(app, dask_address, model_dir, tmp_path):
    lines = (
        "".join(
            json.dumps({"id": f"s{i}", "text": f"gunmen attacked village {i}"}) + "\n"
            for i in range(30)
        )
        + "{bad\n"
    )
    local = CliRunner().invoke(app, ["score", "-", "--model", str(model_dir)], input=lines)
    out = tmp_path / "scored"
    result = CliRunner().invoke(
        app,
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


def test_local_cluster_workers_run_single_threaded_without_the_profiler(dask_address):
    import dask
    from distributed import Client

    with Client(dask_address) as client:
        settings = client.run(
            lambda dask_worker: (
                dask.config.get("distributed.worker.profile.enabled"),
                dask_worker.state.nthreads,
            )
        )
    assert list(settings.values()) == [(False, 1), (False, 1)]


def _count_model_loads() -> None:
    """In a worker: record every Predictor.load from now on (undone by _stop_counting)."""
    import infer.predictor as module

    original = module.Predictor.load
    module.counted_loads = []

    def counting(path, *args, **kwargs):
        module.counted_loads.append(str(path))
        return original(path, *args, **kwargs)

    module.Predictor.load = counting
    module.original_load = original


def _stop_counting() -> int:
    """In a worker: restore Predictor.load; how many loads were counted."""
    import infer.predictor as module

    module.Predictor.load = classmethod(module.original_load.__func__)
    return len(module.counted_loads)


def test_each_worker_loads_the_model_once_however_many_splits_it_scores(
    dask_address, model_dir, big_jsonl, tmp_path
):
    from distributed import Client

    from infer.engines.job import read_output, run_job

    with Client(dask_address) as client:
        client.run(_count_model_loads)
        try:
            outcome = run_job(
                "dask",
                [str(big_jsonl)],
                str(tmp_path / "scored"),
                model=str(model_dir),
                cluster=dask_address,
                split_bytes=30_000,
            )
        finally:
            loads = client.run(_stop_counting)
    assert outcome.parts >= 10 and len(read_output(tmp_path / "scored")) == outcome.records
    assert list(loads.values()) == [1, 1]  # the plugin's load when the job starts, no other
