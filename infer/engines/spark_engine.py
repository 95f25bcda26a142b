"""Score on Spark: `tag_dataframe` for a Spark DataFrame, `run_splits` for `score --engine spark`.

Both use `mapInArrow` (measured against `mapInPandas` in `python -m train.bench --only
cluster`): each Python worker loads the model once (a per-process cache; Spark reuses its
Python workers between tasks) and scores whole Arrow batches. The model reaches the executors
either as a path on shared storage that every executor can read (`ship=False`), or through
`SparkContext.addArchive` as a zip (`ship=True`, what `score --engine spark` does;
`spark-submit --archives model.zip` is the same mechanism), in which case the executors find
the unpacked folder with `SparkFiles.get`.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infer.engines.frames import OUTPUT_COLUMNS, check_columns, tag_texts
from infer.engines.splits import Split
from infer.engines.worker import Job, cache_predictor, predictor_for, score_split
from infer.errors import ThreatTaggerError
from infer.predictor import Predictor

JAVA_MISSING = (
    "the Spark engine needs Java 17 or newer, and no `java` was found: install one "
    "(e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME"
)
LOG_CONFIG = Path(__file__).with_name("spark-log4j2.properties")  # errors only, on stderr
LOCAL_RETRIES = 4  # local[N] alone never retries a failed task; local[N,4] does, like a cluster
SUMMARY_SCHEMA = "index int, records long, failures long, warnings long, first array<string>"
OUTPUT_SCHEMA = (
    "incident_types map<string,double>, probabilities map<string,double>, "
    "region string, region_probability double, country string, "
    "country_name string, country_probability double, warning string, "
    "error string"
)


def check_java() -> None:
    """Raise the one-line ThreatTaggerError JAVA_MISSING when no Java can be found."""
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").is_file():
        return
    if shutil.which("java") is None:
        raise ThreatTaggerError(JAVA_MISSING)


@contextmanager
def _quiet() -> Iterator[None]:
    """Hide pyspark's notice that it does not fully support pandas 3 (mapInArrow uses none)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*pandas >= 3", category=FutureWarning)
        yield


def spark_session(master: str | None = None, workers: int = 2) -> Any:
    """A SparkSession on `master`, else on local[workers] with task retries (quiet, no UI)."""
    check_java()
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.appName("threat-tagger")
        .master(master or f"local[{workers},{LOCAL_RETRIES}]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "2000")
        .config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}"
        )
    )
    if master is None:  # local workers run this interpreter (its packages, this project)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # a local job stays on loopback
        builder = builder.config("spark.driver.host", "127.0.0.1")
    with _quiet():
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def add_model_file(spark: Any, model: str) -> str:
    """Send a model folder to every executor as a zip (addArchive: Spark refuses a local folder
    outside local mode); returns the name whose SparkFiles.get is the unpacked folder."""
    archive = model_archive(Path(model))
    spark.sparkContext.addArchive(str(archive))
    return archive.name


def model_archive(folder: Path) -> Path:
    """A zip of a model folder's files, named after (and cached by) its meta.json digest, so
    that shipping the same model again in a session adds the same path."""
    meta = (folder / "meta.json").read_bytes()
    names = ["meta.json", *sorted(json.loads(meta).get("files", {}))]
    archive = (
        Path(tempfile.gettempdir())
        / "threat-tagger-spark"
        / f"model-{hashlib.sha256(meta).hexdigest()[:16]}.zip"
    )
    if not archive.is_file():
        archive.parent.mkdir(parents=True, exist_ok=True)
        temp = archive.with_suffix(f".{os.getpid()}.tmp")
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_STORED) as bundle:
            for name in names:
                bundle.write(folder / name, name)
        os.replace(temp, archive)
    return archive


def _predictor(model: str, shipped: str | None) -> Predictor:
    """The process's predictor for `model` (from SparkFiles when it was shipped)."""
    if shipped is not None:
        from infer.engines.worker import _PREDICTORS

        if model not in _PREDICTORS:
            from pyspark import SparkFiles

            cache_predictor(model, Predictor.load(SparkFiles.get(shipped)))
    return predictor_for(model)


def _score_splits(job: Job, shipped: str | None) -> Any:
    """The mapInArrow function of `run_splits`: rows of pickled splits -> summary rows."""

    def score(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        _predictor(job.model, shipped)
        for batch in batches:
            summaries = [
                score_split(pickle.loads(raw), job) for raw in batch.column("split").to_pylist()
            ]
            yield pa.RecordBatch.from_pylist(
                summaries,
                schema=pa.schema(
                    [
                        ("index", pa.int32()),
                        ("records", pa.int64()),
                        ("failures", pa.int64()),
                        ("warnings", pa.int64()),
                        ("first", pa.list_(pa.string())),
                    ]
                ),
            )

    return score


def run_splits(
    splits: list[Split],
    job: Job,
    *,
    workers: int = 2,
    cluster: str | None = None,
    ship_model: bool = True,
) -> list[dict[str, Any]]:
    """Score every split on Spark: on the active SparkSession if there is one, else on a new
    one (master `cluster`, else local[workers]) that is stopped afterwards."""
    from pyspark import SparkContext

    running = SparkContext._active_spark_context is not None  # any thread's session counts
    spark = spark_session(cluster, workers)  # getOrCreate: the running one if there is one
    try:
        shipped = add_model_file(spark, job.model) if ship_model else None
        rows = [(s.index, pickle.dumps(s)) for s in splits]
        frame = spark.sparkContext.parallelize(rows, len(rows)).toDF("index int, split binary")
        with _quiet():
            scored = frame.mapInArrow(_score_splits(job, shipped), SUMMARY_SCHEMA)
        result = scored.collect()
    except Exception as exc:
        raise ThreatTaggerError(f"the Spark job failed: {_cause(exc)}") from None
    finally:
        if not running:
            spark.stop()
    return [row.asDict() for row in result]


def _cause(exc: Exception) -> str:
    """The Python error behind a Spark job failure (its last `SomeError: ...` line)."""
    lines = [line.strip() for line in str(exc).splitlines()]
    found = [
        line
        for line in lines
        if re.match(r"^[\w.]+(Error|Exception): ", line)
        and not line.startswith(("org.apache", "py4j"))
    ]
    return found[-1] if found else (lines[0] if lines and lines[0] else type(exc).__name__)


def tag_dataframe(
    frame: Any, text_column: str = "text", model: str | Path | None = None, *, ship: bool = False
) -> Any:
    """A Spark DataFrame with the output columns (OUTPUT_COLUMNS) added to `frame`.

    `incident_types` is a map of label to probability; rows that cannot be scored have an
    `error` and null tags. `model` is read by every executor at that path (shared storage),
    or shipped with addArchive when `ship=True`.
    """
    from infer.engines.job import model_path

    check_columns(frame.columns, text_column)
    path = model_path(model)
    shipped = add_model_file(frame.sparkSession, path) if ship else None
    schema = (
        f"{frame.schema.simpleString()[7:-1]}, {OUTPUT_SCHEMA}" if frame.columns else OUTPUT_SCHEMA
    )

    def tag(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        predictor = _predictor(path, shipped)
        types = _arrow_types()
        for batch in batches:
            columns = tag_texts(batch.column(text_column).to_pylist(), predictor, field=text_column)
            arrays = list(batch.columns)
            names = list(batch.schema.names)
            for name in OUTPUT_COLUMNS:
                values = columns[name]
                if name in ("incident_types", "probabilities"):
                    values = [None if v is None else list(v.items()) for v in values]
                arrays.append(pa.array(values, type=types[name]))
                names.append(name)
            yield pa.RecordBatch.from_arrays(arrays, names=names)

    with _quiet():
        return frame.mapInArrow(tag, schema)


def _arrow_types() -> dict[str, Any]:
    """Arrow types of the output columns (pyarrow imported lazily)."""
    import pyarrow as pa

    return {
        "incident_types": pa.map_(pa.string(), pa.float64()),
        "probabilities": pa.map_(pa.string(), pa.float64()),
        "region": pa.string(),
        "region_probability": pa.float64(),
        "country": pa.string(),
        "country_name": pa.string(),
        "country_probability": pa.float64(),
        "warning": pa.string(),
        "error": pa.string(),
    }
