"""Run the app with uvicorn: one process (the model loads after the port opens, so
/health/live answers at once and /health/ready once the model is in) or N worker processes.

SIGTERM and Ctrl-C stop accepting connections, let the requests in flight finish (up to
`shutdown_timeout` seconds), then exit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

import uvicorn

from infer.serve.metrics import MULTIPROC_VAR
from infer.serve.settings import API_KEY_VAR, SETTINGS_VAR, Settings


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's own messages as plain lines; access logs as bare JSON lines, all on stderr."""
    stream = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "json": {"format": "%(message)s"},
        },
        "handlers": {
            "plain": {**stream, "formatter": "plain"},
            "json": {**stream, "formatter": "json"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["plain"], "level": level.upper(), "propagate": False},
            "threat_tagger.serve": {
                "handlers": ["plain"],
                "level": level.upper(),
                "propagate": False,
            },
            "threat_tagger.access": {
                "handlers": ["json"],
                "level": level.upper(),
                "propagate": False,
            },
        },
    }


def app_from_env() -> Any:
    """The app of a `--workers` child process (uvicorn calls this factory in each worker)."""
    from infer.serve.app import create_app

    return create_app(Settings.from_env())


def run(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: str = "info",
    shutdown_timeout: float = 30.0,
) -> int:
    """Serve until SIGTERM / Ctrl-C; the exit status (1 when the model failed to load)."""
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": False,
        "log_config": log_config(log_level),
        "timeout_graceful_shutdown": shutdown_timeout,
        "lifespan": "on",
        "server_header": False,
    }
    if workers <= 1:
        from infer.serve.app import create_app

        app = create_app(settings)
        server = uvicorn.Server(uvicorn.Config(app, **common))
        service = app.state.service

        def stop() -> None:
            server.should_exit = True

        service.on_load_failure = stop
        server.run()
        return 1 if service.load_error is not None or not server.started else 0
    return _run_workers(settings, workers, common)


def _run_workers(settings: Settings, workers: int, common: dict[str, Any]) -> int:
    """N uvicorn worker processes, each loading the model and batching on its own; their
    metrics meet in a temporary multiprocess folder."""
    metrics_dir = tempfile.mkdtemp(prefix="threat-tagger-metrics-")
    os.environ[MULTIPROC_VAR] = metrics_dir
    os.environ[SETTINGS_VAR] = settings.to_env()
    if settings.api_key is not None:
        os.environ[API_KEY_VAR] = settings.api_key
    try:
        uvicorn.run("infer.serve.server:app_from_env", factory=True, workers=workers, **common)
    except SystemExit as exc:  # uvicorn exits 1 when it cannot bind
        return int(exc.code or 0)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0
