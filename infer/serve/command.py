"""The `threat-tagger serve` command (typer only at import; fastapi and uvicorn load inside)."""

from __future__ import annotations

import os
from typing import Annotated, NoReturn

import typer

from infer.serve.settings import API_KEY_VAR, Settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MODEL_HELP = "Model folder (default: $THREAT_TAGGER_MODEL, else models/default)."
SERVE_HELP = "\n\n".join(
    (
        'Serve the model over HTTP: POST /v1/tag {"texts": [...]} answers {"results": [...]}, '
        'one record per text in the shape of `score`\'s JSONL; POST /v1/explain {"text": ...}; '
        "GET /v1/model, /health/live, /health/ready, /metrics and /docs.",
        "Binds 127.0.0.1 unless --host says otherwise. With --api-key (or $THREAT_TAGGER_API_KEY), "
        "/v1/* and /metrics need the header 'Authorization: Bearer KEY'. Concurrent requests are "
        "scored together in micro-batches (--max-batch-size, --max-wait-ms). SIGTERM or Ctrl-C "
        "finishes the requests in flight, then exits.",
    )
)


def _fail(message: str) -> NoReturn:
    """One `error: ...` line on stderr, exit 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def serve(
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to bind (0.0.0.0 exposes the service to the network)."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, help="Server processes, each with its own copy of the model."
        ),
    ] = 1,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            envvar=API_KEY_VAR,
            show_envvar=True,
            help="Require 'Authorization: Bearer KEY'.",
        ),
    ] = None,
    max_batch_size: Annotated[
        int, typer.Option("--max-batch-size", min=1, help="Most texts scored in one predict call.")
    ] = Settings.max_batch_size,
    max_wait_ms: Annotated[
        float,
        typer.Option(
            "--max-wait-ms",
            min=0.0,
            help="How long a "
            "batch waits for requests still being read to join it (a lone "
            "request never waits).",
        ),
    ] = Settings.max_wait_ms,
    max_body_bytes: Annotated[
        int, typer.Option("--max-body-bytes", min=1, help="Larger request bodies get 413.")
    ] = Settings.max_body_bytes,
    max_texts: Annotated[
        int, typer.Option("--max-texts", min=1, help="More texts in one request get 413.")
    ] = Settings.max_texts,
    log_texts: Annotated[
        bool,
        typer.Option("--log-texts", help="Put the texts in the access log (off: counts only)."),
    ] = False,
    log_level: Annotated[
        str, typer.Option("--log-level", help="debug, info, warning or error.")
    ] = "info",
    shutdown_timeout: Annotated[
        float,
        typer.Option(
            "--shutdown-timeout",
            min=0.0,
            help="Seconds to let requests in flight finish after SIGTERM.",
        ),
    ] = 30.0,
) -> None:
    """Serve the model over HTTP (needs the serve extra: pip install 'threat-tagger[serve]')."""
    try:
        from infer.serve.server import run
    except ImportError as exc:
        _fail(
            f"{exc.name or exc} is not installed; install the serve extra: "
            "pip install 'threat-tagger[serve]'"
        )
    if log_level.lower() not in ("debug", "info", "warning", "error"):
        _fail(f"--log-level must be debug, info, warning or error, not {log_level!r}")
    folder = model or os.environ.get("THREAT_TAGGER_MODEL") or "models/default"
    if not os.path.isfile(os.path.join(folder, "meta.json")):
        _fail(
            f"{folder} is not a model folder (no meta.json); train one with `make train` or "
            "pass --model DIR"
        )
    if workers > 1:  # each worker loads it again: check it once here, or they would all fail
        from infer.errors import ThreatTaggerError
        from infer.predictor import Predictor

        try:
            Predictor.load(folder)
        except ThreatTaggerError as exc:
            _fail(str(exc))
    try:
        settings = Settings(
            model=folder,
            max_batch_size=max_batch_size,
            max_wait_ms=max_wait_ms,
            max_body_bytes=max_body_bytes,
            max_texts=max_texts,
            api_key=api_key,
            log_texts=log_texts,
        )
    except ValueError as exc:
        _fail(str(exc))
    if api_key is None and host not in LOOPBACK:
        typer.echo(
            f"warning: serving on {host} without --api-key: anyone who can reach port "
            f"{port} can use the service",
            err=True,
        )
    raise typer.Exit(run(settings, host, port, workers, log_level.lower(), shutdown_timeout))
