"""Issue 13's service benchmark: `threat-tagger serve` over loopback against in-process predict.

For single-text and 32-text requests at 1, 8 and 64 concurrent clients: requests/s, texts/s and
p50/p99 latency, each as a ratio to `Predictor.predict` called in-process on the same request
sequence in the same run (one call per request, one thread). The server is a real
`threat-tagger serve` subprocess with its default settings; the clients are keep-alive HTTP/1.1
connections driven by asyncio (on uvloop) in this process, each answer parsed and its results
counted (a minimal client: httpx would spend more CPU than the server on this 2-core machine,
and the load generator shares the cores with the server).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from infer.errors import ThreatTaggerError
from infer.serve.settings import Settings
from train.bench import REPO_ROOT, cli_executable
from train.bench.data import Corpora
from train.bench.tagger import config_path, train_cli

log = logging.getLogger("train.bench")
T = TypeVar("T")
SIZES = (1, 32)
CLIENTS = (1, 8, 64)
REQUESTS = {(1, 1): 300, (1, 8): 800, (1, 64): 2000, (32, 1): 60, (32, 8): 160, (32, 64): 320}
IN_PROCESS_CALLS = {1: 400, 32: 60}
ROUNDS = 3  # each row alternates in-process and server runs; medians over the rounds
POOL = 4096  # distinct texts cycled through
GOALS = {"32": ">= 0.8", "1@64": ">= 0.5"}  # texts/s vs in-process
READY_TIMEOUT = 300.0


def _percentiles(seconds: Sequence[float]) -> tuple[float, float]:
    """(p50, p99) in milliseconds."""
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return round(cuts[49] * 1000, 2), round(cuts[98] * 1000, 2)


def request_texts(pool: list[str], size: int, count: int) -> list[list[str]]:
    """The texts of `count` requests of `size` texts, cycling through the pool in order."""
    return [[pool[(k * size + j) % len(pool)] for j in range(size)] for k in range(count)]


class InProcess:
    """Predictor.predict in this process, one call per request, one thread (the baseline)."""

    def __init__(self, model: Path, pool: list[str]) -> None:
        from infer.predictor import Predictor

        self.predictor = Predictor.load(model)
        self.predictor.predict(pool[:64])  # warm up (lazy tables)
        self.pool = pool

    def measure(self, size: int) -> dict[str, float]:
        """Throughput, latency and CPU of the first requests the server gets, in-process."""
        calls = request_texts(self.pool, size, IN_PROCESS_CALLS[size])
        latencies = []
        cpu, start = time.process_time(), time.perf_counter()
        for texts in calls:
            clock = time.perf_counter()
            self.predictor.predict(texts)
            latencies.append(time.perf_counter() - clock)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        p50, p99 = _percentiles(latencies)
        return {
            "calls": len(calls),
            "requests_per_s": round(len(calls) / wall, 1),
            "texts_per_s": round(len(calls) * size / wall, 1),
            "p50_ms": p50,
            "p99_ms": p99,
            "cpu_ms_per_request": round(cpu / len(calls) * 1000, 3),
        }


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each numeric figure over runs."""
    return {
        key: round(statistics.median(run[key] for run in runs), 3)
        for key in runs[0]
        if isinstance(runs[0][key], int | float)
    }


def _round(
    baseline: InProcess, server: ServerProcess, pool: list[str], size: int, clients: int, count: int
) -> dict[str, Any]:
    """One round of a row: the in-process baseline right before and after the server run (the
    machine's load drifts), and the server's figures as ratios to their mean."""
    before = baseline.measure(size)
    row = over_http(server, pool, size, clients, count)
    runs = [before, baseline.measure(size)]
    base = {key: statistics.fmean(run[key] for run in runs) for key in before}
    row["vs_in_process"] = row["texts_per_s"] / base["texts_per_s"]
    row["p50_vs_in_process"] = row["p50_ms"] / base["p50_ms"]
    row["p99_vs_in_process"] = row["p99_ms"] / base["p99_ms"]
    row["cpu_vs_in_process"] = row["server_cpu_ms_per_request"] / base["cpu_ms_per_request"]
    row["in_process_runs"] = runs
    return row


def _row(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """A row from its rounds: the median of each figure and of each ratio; errors summed."""
    row = _median(rounds)
    for key in list(row):
        if key.endswith("vs_in_process"):
            row[key] = round(row[key], 2)
    row.update(
        size=rounds[0]["size"],
        clients=rounds[0]["clients"],
        rounds=len(rounds),
        requests=rounds[0]["requests"],
        errors=sum(r["errors"] for r in rounds),
        in_process_runs=[run for r in rounds for run in r["in_process_runs"]],
    )
    return row


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its threads so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _die_with_parent() -> None:
    """In the server child: SIGTERM when the benchmark dies, so no server outlives it."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`threat-tagger serve --model M --port P` as a subprocess, ready when constructed."""

    def __init__(self, model: Path, log_path: Path, args: Sequence[str] = ()) -> None:
        self.port = free_port()
        self._log = log_path.open("wb")
        command = [
            *cli_executable(),
            "serve",
            "--model",
            str(model),
            "--port",
            str(self.port),
            *args,
        ]
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env=dict(os.environ),
            preexec_fn=_die_with_parent,
        )
        self.log_path = log_path
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Poll /health/ready until it answers 200."""
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ThreatTaggerError(
                    f"threat-tagger serve exited {self.process.returncode}: "
                    + self.log_path.read_text(errors="replace")[-500:]
                )
            try:
                status, _ = asyncio.run(_one("127.0.0.1", self.port, "GET", "/health/ready"))
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise ThreatTaggerError(f"threat-tagger serve not ready after {READY_TIMEOUT:.0f} s")

    def stop(self) -> None:
        """SIGTERM and wait."""
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _request(method: str, path: str, body: bytes = b"") -> bytes:
    """One HTTP/1.1 keep-alive request."""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """Send one request on a connection and read its response (status, body)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = next(
        int(line.split(b":", 1)[1])
        for line in lines[1:]
        if line.lower().startswith(b"content-length:")
    )
    return status, await reader.readexactly(length)


async def _one(host: str, port: int, method: str, path: str) -> tuple[int, bytes]:
    """A single request on a fresh connection."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        return await _exchange(reader, writer, _request(method, path))
    finally:
        writer.close()


async def _load(
    port: int, bodies: list[bytes], clients: int, size: int
) -> tuple[list[float], int, float]:
    """Send every body over `clients` keep-alive connections; (latencies, errors, wall)."""
    from pydantic_core import from_json  # parses an answer in ~0.4x json.loads' CPU

    queue = iter(bodies)
    latencies: list[float] = []
    errors = 0

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for body in queue:
                clock = time.perf_counter()
                status, answer = await _exchange(reader, writer, body)
                latencies.append(time.perf_counter() - clock)
                if status != 200 or len(from_json(answer)["results"]) != size:
                    errors += 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, errors, time.perf_counter() - start


def _run(load: Coroutine[Any, Any, T]) -> T:
    """Run the clients on uvloop where it is installed (with uvicorn[standard], not on
    Windows): the load generator shares the cores with the server, so it should spend as little
    CPU as it can (with json.loads replaced too, 32-text requests: ~0.67 -> ~0.38 ms each)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(load)
    return uvloop.run(load)


def over_http(
    server: ServerProcess, pool: list[str], size: int, clients: int, count: int
) -> dict[str, Any]:
    """One row: `count` requests of `size` texts from `clients` concurrent connections."""
    bodies = [
        _request("POST", "/v1/tag", json.dumps({"texts": texts}).encode("utf-8"))
        for texts in request_texts(pool, size, count)
    ]
    warm = bodies[: max(clients, 8)]
    _run(_load(server.port, warm, clients, size))
    server_cpu, client_cpu = cpu_seconds(server.process.pid), time.process_time()
    latencies, errors, wall = _run(_load(server.port, bodies, clients, size))
    server_cpu = cpu_seconds(server.process.pid) - server_cpu
    client_cpu = time.process_time() - client_cpu
    p50, p99 = _percentiles(latencies)
    return {
        "size": size,
        "clients": clients,
        "requests": count,
        "errors": errors,
        "requests_per_s": round(count / wall, 1),
        "texts_per_s": round(count * size / wall, 1),
        "p50_ms": p50,
        "p99_ms": p99,
        "server_cpu_ms_per_request": round(server_cpu / count * 1000, 3),
        "client_cpu_ms_per_request": round(client_cpu / count * 1000, 3),
    }


def train_default(workdir: Path) -> Path:
    """`make train`'s model (default.toml on data/demo), trained into the work dir."""
    folder = workdir / "serve-model"
    train_cli(config_path("default"), folder)
    return folder


def run_serve(
    corpora: Corpora | None, workdir: Path, quick: bool = False, model: Path | None = None
) -> dict[str, Any]:
    """The whole serve section as plain data (every figure from this run)."""
    started = time.perf_counter()
    described = str(model)
    if model is None:
        log.info("serve: training the default model (train/configs/default.toml)")
        model = train_default(workdir)
        described = "train/configs/default.toml on data/demo (what `make train` builds)"
    pool = _texts(corpora)[:POOL]
    log.info("serve: in-process predict on %d distinct texts", len(pool))
    baseline = InProcess(model, pool)
    server = ServerProcess(model, workdir / "serve.log")
    rows, bases = [], {str(size): [] for size in SIZES}
    try:
        for size in SIZES:
            for clients in CLIENTS:
                count = REQUESTS[size, clients] // (4 if quick else 1)
                log.info(
                    "serve: %d x %d requests of %d text(s) from %d clients",
                    ROUNDS,
                    count,
                    size,
                    clients,
                )
                row = _row(
                    [_round(baseline, server, pool, size, clients, count) for _ in range(ROUNDS)]
                )
                bases[str(size)].append(row.pop("in_process_runs"))
                goal = GOALS.get(str(size)) or GOALS.get(f"{size}@{clients}")
                if goal is not None:
                    row["goal"] = goal
                rows.append(row)
    finally:
        server.stop()
    in_process = {
        size: _median([run for runs in row_runs for run in runs])
        for size, row_runs in bases.items()
    }
    return {
        "model": described,
        "texts": len(pool),
        "quick": quick,
        "in_process": in_process,
        "rows": rows,
        "goals": GOALS,
        "load_average": os.getloadavg(),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _texts(corpora: Corpora | None) -> list[str]:
    """RAND incident descriptions (news-like prose), else the demo corpus' texts."""
    if corpora is not None:
        try:
            return corpora.rand_descriptions()
        except ThreatTaggerError as exc:
            log.info("serve: %s; using the demo texts", exc)
    lines = (
        line
        for path in sorted((REPO_ROOT / "data" / "demo").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    )
    return [json.loads(line)["text"] for line in lines]


def serve_section(serve: dict[str, Any]) -> list[str]:
    """BENCHMARKS.md's service section."""
    from train.bench.accuracy import goal_met
    from train.bench.markdown import table

    base = serve["in_process"]
    rows = [
        [
            "in-process `Predictor.predict` (median of the baselines)",
            size,
            1,
            base[size]["requests_per_s"],
            base[size]["texts_per_s"],
            1.0,
            base[size]["p50_ms"],
            base[size]["p99_ms"],
            base[size]["cpu_ms_per_request"],
            "",
            "",
        ]
        for size in ("1", "32")
    ]
    for row in serve["rows"]:
        goal = row.get("goal")
        verdict = (
            ""
            if goal is None
            else f"{goal} {'met' if goal_met(row['vs_in_process'], goal) else '**missed**'}"
        )
        rows.append(
            [
                "`threat-tagger serve` (HTTP, loopback)",
                row["size"],
                row["clients"],
                row["requests_per_s"],
                row["texts_per_s"],
                row["vs_in_process"],
                f"{row['p50_ms']} ({row['p50_vs_in_process']}x)",
                f"{row['p99_ms']} ({row['p99_vs_in_process']}x)",
                f"{row['server_cpu_ms_per_request']} ({row['cpu_vs_in_process']}x)",
                row["errors"],
                verdict,
            ]
        )
    header = [
        "system",
        "texts/request",
        "clients",
        "requests/s",
        "texts/s",
        "texts/s vs in-process",
        "p50 ms (vs in-process)",
        "p99 ms (vs in-process)",
        "server CPU ms/request (vs in-process)",
        "errors",
        "goal",
    ]
    load = serve["load_average"]
    return [
        "## Serving over HTTP (issue 13)",
        "",
        *table(header, rows),
        "",
        f"Model: {serve['model']}. Requests cycle through {serve['texts']:,} distinct texts "
        "(RAND descriptions); in-process makes one `predict` call per request on the same "
        "request sequence, one thread, right before and right after each server run, and a "
        "run's ratios use the mean of those two; each row is the median of "
        f"{serve['rows'][0].get('rounds', 1)} such rounds. The server is `threat-tagger serve` "
        f"with its defaults (one process, micro-batches of up to {Settings.max_batch_size:,} "
        f"texts, {Settings.max_wait_ms:g} ms wait); the "
        "clients share the machine's cores with it. When the load average is well above "
        "the core count, wall-clock ratios mislead both ways (the scheduler favours the "
        "server, which sleeps between requests, over the busy in-process loop, while "
        "every hand-off between client, event loop and scoring thread waits for a core): "
        "server CPU per request is then the steadier comparison. Load average at the end "
        f"{load[0]:.1f}; section took {serve['seconds']:.0f} s"
        + (f" (run: `{serve['command']}`, {serve['measured']})." if "command" in serve else "."),
        "",
    ]
