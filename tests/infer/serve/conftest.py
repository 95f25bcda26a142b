"""A real `threat-tagger serve` process on a free loopback port, for the service tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx", reason="the serve tests need the serve extra (httpx)")
pytest.importorskip("fastapi", reason="the serve tests need the serve extra (fastapi)")

REPO_ROOT = Path(__file__).resolve().parents[3]
READY_TIMEOUT = 120.0  # a loaded CI machine can take a while to import and load


def die_with_parent() -> None:
    """In the child: get SIGTERM when pytest dies, so that no server outlives a killed run."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`threat-tagger serve --model MODEL ARGS` in a subprocess; stderr goes to a file."""

    def __init__(
        self, model: Path, args: list[str], log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [
            sys.executable,
            "-m",
            "train.cli",
            "serve",
            "--model",
            str(model),
            "--port",
            str(self.port),
            *args,
        ]
        environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        environment.pop("THREAT_TAGGER_API_KEY", None)  # only the tests that mean to set it
        environment.update(env or {})
        self._stderr = log.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            preexec_fn=die_with_parent,
        )

    def wait_ready(self) -> None:
        """Poll /health/ready until 200; fail with the server's log if it exits or hangs."""
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited {self.process.returncode}:\n{self.stderr()}")
            try:
                if httpx.get(self.url + "/health/ready", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"serve was not ready after {READY_TIMEOUT} s:\n{self.stderr()}")

    def stderr(self) -> str:
        """Everything the server wrote to stderr so far."""
        self._stderr.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """SIGTERM, then wait (SIGKILL after 30 s); the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()
        return self.process.returncode


@pytest.fixture(scope="session")
def start_server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A factory: start_server(*args, env=...) -> a ready Server (stopped at session end)."""
    servers: list[Server] = []

    def start(*args: str, env: dict[str, str] | None = None, ready: bool = True) -> Server:
        log = tmp_path_factory.mktemp("serve") / "stderr.log"
        server = Server(model_dir, list(args), log, env)
        servers.append(server)
        if ready:
            server.wait_ready()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def server(start_server) -> Server:
    """The shared server: small limits so that the limit tests stay cheap."""
    return start_server("--max-body-bytes", "200000", "--max-texts", "64")
