"""Cluster-engine fixtures: a mixed input set and its `score` output, one cluster per session."""

from __future__ import annotations

import gzip
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.helpers import demo_texts


def write_mixed_inputs(folder: Path) -> list[str]:
    """Inputs of every kind mixing good and bad records; returns the input names to score."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = demo_texts()
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": f"j{i}", "text": t}).encode() for i, t in enumerate(texts[:60])]
    lines[3] = b'{"id": "broken", "text": "unterminated'
    lines[7] = json.dumps({"id": "empty", "text": "   "}).encode()
    lines[11] = b'{"id": "latin1", "text": "bomb attack in Bogot\xe1 market"}'
    lines[15] = b"[1, 2, 3]"
    lines[19] = json.dumps({"id": "no-text"}).encode()
    lines[23] = b""  # a blank line: skipped, no record
    (folder / "mixed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    with gzip.open(folder / "more.jsonl.gz", "wt", encoding="utf-8") as handle:
        for text in texts[60:80]:
            handle.write(json.dumps({"text": text}) + "\n")
    csv_rows = [
        "id,text",
        *(f'c{i},"{t.replace(chr(34), "")}"' for i, t in enumerate(texts[80:90])),
        'c-bad,"never closed',
    ]
    (folder / "rows.csv").write_text("\n".join(csv_rows) + "\n", encoding="utf-8")
    (folder / "story.txt").write_text(texts[90], encoding="utf-8")
    table = pa.table(
        {
            "id": [f"p{i}" for i in range(12)],
            "text": [texts[100 + i] if i % 5 else None for i in range(12)],
        }
    )
    pq.write_table(table, folder / "table.parquet", row_group_size=5)
    return [
        str(folder / "mixed.jsonl"),
        str(folder / "more.jsonl.gz"),
        str(folder / "rows.csv"),
        str(folder / "story.txt"),
        str(folder / "table.parquet"),
        str(folder / "missing.jsonl"),
    ]


@pytest.fixture(scope="session")
def mixed_inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The mixed input set (written once per session)."""
    return write_mixed_inputs(tmp_path_factory.mktemp("mixed"))


def scoring_app() -> typer.Typer:
    """The CLI app with the scoring commands (session fixtures cannot use the `app` fixture)."""
    from infer.cli import register

    application = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    application.callback()(lambda: None)
    register(application)
    return application


@pytest.fixture(scope="session")
def local_score(mixed_inputs: list[str], model_dir: Path) -> str:
    """`threat-tagger score` (the local engine) on the mixed inputs: its JSONL output."""
    result = CliRunner().invoke(
        scoring_app(), ["score", *mixed_inputs, "--model", str(model_dir), "--jobs", "1"]
    )
    assert result.exit_code == 1, result.output  # the set has failures on purpose
    return result.stdout


@pytest.fixture(scope="session")
def dask_address() -> str:
    """The scheduler address of a 2-worker LocalCluster shared by the session's tests."""
    pytest.importorskip("distributed")
    from distributed import Client

    from infer.engines.dask_engine import local_cluster

    cluster = local_cluster(2)
    with Client(cluster) as client:
        client.wait_for_workers(2)
    yield cluster.scheduler_address
    cluster.close()


@pytest.fixture(scope="session")
def spark() -> object:
    """A local[2] Spark session (with task retries) shared by the session's tests."""
    pytest.importorskip("pyspark")
    from infer.engines.spark_engine import spark_session

    session = spark_session(None, 2)
    yield session
    session.stop()


@pytest.fixture(params=["dask", "spark"])
def remote_cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """Each engine's real separate cluster processes on 127.0.0.1 (a `dask scheduler` and a
    `dask worker`; a Spark standalone master and worker), as a cluster_processes.Remote."""
    pytest.importorskip("distributed" if request.param == "dask" else "pyspark")
    from cluster_processes import remote_cluster

    with remote_cluster(request.param, tmp_path / request.param) as remote:
        yield remote


@dataclass(frozen=True)
class EngineUnderTest:
    """An engine with its running local cluster: what to pass to `score` and to `run_job`."""

    name: str
    cluster: str | None = None  # Dask: the LocalCluster's address; Spark: the running session
    options: list[str] = field(default_factory=list)  # `score` options naming the engine

    def score_args(self, inputs: list[str], output: Path, model: Path, *more: str) -> list[str]:
        """The `score` command line that scores `inputs` into `output` on this engine."""
        return ["score", *inputs, "--model", str(model), *self.options, "-o", str(output), *more]


@pytest.fixture(scope="session", params=["dask", "spark"])
def engine(request: pytest.FixtureRequest) -> EngineUnderTest:
    """Each cluster engine in turn, on its session's 2-worker local cluster."""
    if request.param == "dask":
        address = request.getfixturevalue("dask_address")
        return EngineUnderTest("dask", address, ["--engine", "dask", "--cluster", address])
    request.getfixturevalue("spark")  # score --engine spark reuses the running session
    return EngineUnderTest("spark", None, ["--engine", "spark"])


BIG_RECORDS = 6000


@pytest.fixture(scope="session")
def big_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JSONL file of BIG_RECORDS demo texts (ids b0...): enough work to kill a worker."""
    texts = demo_texts()
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(BIG_RECORDS):
            handle.write(json.dumps({"id": f"b{i}", "text": texts[i % len(texts)]}) + "\n")
    return path


def _kill_busy_worker(output: Path, finished: threading.Event) -> int | None:
    """SIGKILL a worker process while it writes a part (its pid is in the temp part's name)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not finished.is_set():
        for temp in output.parent.glob(f".{output.name}.*.staging/.part-*.tmp"):
            pid = int(temp.name.split(".")[-2])
            if pid != os.getpid():
                os.kill(pid, signal.SIGKILL)
                return pid
        time.sleep(0.005)
    return None


@pytest.fixture
def kill_busy_worker() -> Callable[[Path, threading.Event], int | None]:
    """kill(output, finished): kill the first worker seen writing a part of `output`."""
    return _kill_busy_worker
