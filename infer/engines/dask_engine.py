"""Score on Dask: `tag_dataframe` for a Dask DataFrame, `run_splits` for `score --engine dask`.

The model reaches the workers through `ModelPlugin`, a worker plugin registered once per
client: it loads the predictor into each worker process's cache when the worker starts (and
again in a worker that restarts after a crash). With `ship=True` the plugin carries the model
folder's files and writes them into each worker's local directory, so workers need no shared
storage for the model; with `ship=False` every worker loads the same path (shared storage).
Tasks carry only their split and the job settings, never the model.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import dask
from distributed import Client, LocalCluster, WorkerPlugin, as_completed

from infer.engines.frames import OUTPUT_COLUMNS, check_columns, tag_texts
from infer.engines.splits import Split
from infer.engines.worker import Job, cache_predictor, predictor_for, score_split
from infer.errors import ThreatTaggerError
from infer.predictor import Predictor

PLUGIN_NAME = "threat-tagger-model"


class ModelPlugin(WorkerPlugin):
    """Load a model once in every worker process (optionally shipping its files)."""

    def __init__(self, model: str | Path, *, ship: bool = False) -> None:
        self.model = str(model)
        self.files: dict[str, bytes] = {}
        if ship:
            folder = Path(model)
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            names = ["meta.json", *sorted(meta.get("files", {}))]
            self.files = {name: (folder / name).read_bytes() for name in names}

    def setup(self, worker: Any) -> None:
        """Runs in each worker: put the loaded predictor in the process's cache."""
        path = self.model
        if self.files:
            digest = hashlib.sha256(self.files["meta.json"]).hexdigest()[:16]
            folder = Path(worker.local_directory) / f"threat-tagger-model-{digest}"
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in self.files.items():
                (folder / name).write_bytes(data)
            path = str(folder)
        cache_predictor(self.model, Predictor.load(path))


def local_cluster(workers: int) -> LocalCluster:
    """A LocalCluster of `workers` single-threaded worker processes on 127.0.0.1: quiet, no
    dashboard, its HTTP endpoints on a free port (never a clash with another cluster).

    The workers' statistical profiler is off: it samples the scoring thread's stack every
    10 ms for a dashboard that is not started, and cost 10-20% of a worker's CPU time per
    document (python -m train.bench --only cluster reports CPU ms per document)."""
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            silence_logs=logging.ERROR,
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        )


def run_splits(
    splits: list[Split],
    job: Job,
    *,
    workers: int = 2,
    cluster: str | None = None,
    ship_model: bool = True,
) -> list[dict[str, Any]]:
    """Score every split on a Dask cluster (`cluster` = scheduler address, else a local one)."""
    local = None
    try:
        if cluster:
            client = Client(cluster, timeout="30s")
        else:
            local = local_cluster(workers)
            client = Client(local)
    except (OSError, TimeoutError) as exc:
        raise ThreatTaggerError(f"cannot reach the Dask scheduler {cluster}: {exc}") from None
    try:
        client.register_plugin(ModelPlugin(job.model, ship=ship_model), name=PLUGIN_NAME)
        futures = client.map(
            score_split,
            splits,
            job=job,
            pure=False,
            key=[f"threat-tagger-split-{s.index}" for s in splits],
        )
        summaries = []
        try:
            for future in as_completed(futures):
                summaries.append(future.result())
        except Exception as exc:
            client.cancel(futures)
            raise ThreatTaggerError(f"the Dask job failed: {type(exc).__name__}: {exc}") from None
        return summaries
    finally:
        client.close()
        if local is not None:
            local.close()


def _tag_partition(frame: Any, text_column: str, model: str) -> Any:
    """One partition with the output columns added (the predictor is cached per process)."""
    columns = tag_texts(frame[text_column].tolist(), predictor_for(model), field=text_column)
    out = frame.copy()
    for name in OUTPUT_COLUMNS:
        out[name] = columns[name]
    return out


def tag_dataframe(ddf: Any, text_column: str = "text", model: str | Path | None = None) -> Any:
    """A Dask DataFrame with the output columns (OUTPUT_COLUMNS) added to `ddf`.

    `incident_types` holds {label: probability} dicts; rows that cannot be scored have an
    `error` and null tags. `model` must be readable at the same path on every worker (register
    `ModelPlugin(path, ship=True)` on the client first to ship it instead).
    """
    import pandas as pd

    from infer.engines.job import model_path

    check_columns(list(ddf.columns), text_column)
    meta = ddf._meta.copy()
    types = {
        "incident_types": object,
        "probabilities": object,
        "region": object,
        "region_probability": "float64",
        "country": object,
        "country_name": object,
        "country_probability": "float64",
        "warning": object,
        "error": object,
    }
    for name in OUTPUT_COLUMNS:
        meta[name] = pd.Series([], dtype=types[name])
    return ddf.map_partitions(_tag_partition, text_column, model_path(model), meta=meta)


def _tag_texts_partition(texts: list[Any], model: str) -> list[dict[str, Any]]:
    """One Bag partition of texts as output dicts (OUTPUT_COLUMNS)."""
    texts = list(texts)
    columns = tag_texts(texts, predictor_for(model))
    return [{name: columns[name][i] for name in OUTPUT_COLUMNS} for i in range(len(texts))]


def tag_bag(bag: Any, model: str | Path | None = None) -> Any:
    """A Dask Bag of output dicts (OUTPUT_COLUMNS), one per text of `bag`, in order."""
    from infer.engines.job import model_path

    return bag.map_partitions(_tag_texts_partition, model_path(model))
