"""Real cluster processes for the engine tests: a `dask scheduler` and a `dask worker`, or a Spark
standalone master and worker, each a process group in its own folder, listening on 127.0.0.1,
waited for within a time bound and stopped (SIGTERM, then SIGKILL) at the end."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
START_SECONDS = 120
Ready = TypeVar("Ready")


def repo_env(**extra: str) -> dict[str, str]:
    """This environment with this checkout first on PYTHONPATH, plus `extra`."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def run_score(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`threat-tagger score ARGS` as its own process (the installed entry point's code)."""
    command = [sys.executable, "-c", "from train.cli import main; main()", "score", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=cwd, env=env)


class Processes:
    """Processes started in folders below `top`, each logging to its folder's log.txt."""

    def __init__(self, top: Path, env: dict[str, str]) -> None:
        self.top, self.env = top, env
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, command: list[str]) -> Path:
        """Start `command` in the folder `top/name`; returns that folder."""
        folder = self.top / name
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "log.txt").open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=folder,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((process, folder))
        return folder

    def wait_for(self, ready: Callable[[], Ready | None], what: str) -> Ready:
        """Poll `ready` until it gives a value; fail (with the last log) if a process exits or
        START_SECONDS pass."""
        deadline = time.monotonic() + START_SECONDS
        while (value := ready()) is None:
            for process, folder in self.started:
                if process.poll() is not None:
                    log = (folder / "log.txt").read_text(errors="replace")[-3000:]
                    raise AssertionError(f"{what}: {folder.name} exited\n{log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not ready in {START_SECONDS} s")
            time.sleep(0.2)
        return value

    def stop(self) -> None:
        """Stop every started process group, last started first."""
        for process, _ in reversed(self.started):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def _log(folder: Path) -> str:
    path = folder / "log.txt"
    return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def dask_scheduler_and_worker(top: Path) -> Iterator[tuple[str, Path]]:
    """A `dask scheduler` and a one-process, one-thread `dask worker`: (address, worker folder)."""
    processes = Processes(top, repo_env())
    address_file = top / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    space = ["--local-directory", str(top / "space")]
    try:
        local = ["--host", "127.0.0.1", "--no-dashboard"]
        processes.start(
            "scheduler",
            [*dask, "scheduler", *local, "--port", "0", "--scheduler-file", str(address_file)],
        )

        def address() -> str | None:
            text = address_file.read_text() if address_file.exists() else ""
            return json.loads(text)["address"] if text.strip() else None

        scheduler = processes.wait_for(address, "dask scheduler")
        worker = processes.start(
            "worker",
            [*dask, "worker", scheduler, *local, "--nworkers", "1", "--nthreads", "1", *space],
        )
        processes.wait_for(lambda: "Registered to" in _log(worker) or None, "dask worker")
        yield scheduler, top / "space"
    finally:
        processes.stop()


def spark_env() -> dict[str, str]:
    """The environment of Spark's launch scripts and of a driver using a standalone master."""
    import pyspark

    return repo_env(
        SPARK_HOME=str(Path(pyspark.__file__).parent),
        SPARK_LOCAL_IP="127.0.0.1",
        PYSPARK_PYTHON=sys.executable,
    )


@contextlib.contextmanager
def spark_master_and_worker(top: Path) -> Iterator[tuple[str, Path]]:
    """A Spark standalone master and a worker of 2 cores: (master URL, worker folder)."""
    env = spark_env()
    processes = Processes(top, env)
    spark_class = str(Path(env["SPARK_HOME"]) / "bin" / "spark-class")
    local = ["--host", "127.0.0.1", "--port", "0", "--webui-port", "0"]
    size = ["--cores", "2", "--memory", "1g", "--work-dir", str(top / "work")]
    try:
        master_dir = processes.start(
            "master", [spark_class, "org.apache.spark.deploy.master.Master", *local]
        )

        def url() -> str | None:
            found = re.search(r"Starting Spark master at (spark://\S+)", _log(master_dir))
            return found.group(1) if found else None

        master = processes.wait_for(url, "Spark master")
        worker = processes.start(
            "worker",
            [spark_class, "org.apache.spark.deploy.worker.Worker", master, *local, *size],
        )
        registered = "Successfully registered with master"
        processes.wait_for(lambda: registered in _log(worker) or None, "Spark worker")
        yield master, top / "work"
    finally:
        processes.stop()


@dataclass(frozen=True)
class Remote:
    """A running cluster of separate processes, and how a driver uses it."""

    engine: str
    address: str  # the --cluster value
    worker_dir: Path  # the worker's folder (the model it was sent lands below it)
    shipped_model: str  # a glob, below worker_dir, of what the driver sends of the model
    env: dict[str, str]  # the driver's environment


@contextlib.contextmanager
def remote_cluster(engine: str, top: Path) -> Iterator[Remote]:
    """`dask_scheduler_and_worker` or `spark_master_and_worker` as a Remote."""
    if engine == "dask":
        with dask_scheduler_and_worker(top) as (address, folder):
            yield Remote(engine, address, folder, "threat-tagger-model-*/meta.json", repo_env())
    else:
        with spark_master_and_worker(top) as (master, folder):
            yield Remote(engine, master, folder, "model-*.zip", spark_env())
