"""ASGI middleware: one JSON access-log line and the request metrics for every request.

The texts of a request are logged only with `serve --log-texts`; otherwise a line says how
many texts there were and how long they took, never what they said.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infer.serve.metrics import Metrics

log = logging.getLogger("threat_tagger.access")
NOTE = "threat_tagger.texts"  # scope key where an endpoint leaves its request's texts
KNOWN_PATHS = frozenset(
    (
        "/v1/tag",
        "/v1/explain",
        "/v1/model",
        "/health/live",
        "/health/ready",
        "/metrics",
        "/docs",
        "/openapi.json",
        "/redoc",
        "/docs/oauth2-redirect",
    )
)


class AccessLog:
    """Times each HTTP request, counts it in the metrics and logs one JSON line."""

    def __init__(self, app: ASGIApp, metrics: Metrics, log_texts: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.log_texts = log_texts

    @staticmethod
    def note(scope: MutableMapping[str, Any], texts: list[str | None]) -> None:
        """Leave a request's texts for its access-log line."""
        scope[NOTE] = texts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.in_progress.inc()
        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.in_progress.dec()
            self._done(scope, status, time.perf_counter() - start)

    def _done(self, scope: Scope, status: int, seconds: float) -> None:
        """Metrics and the access-log line of a finished request."""
        path = scope["path"] if scope["path"] in KNOWN_PATHS else "other"
        method = scope["method"]
        self.metrics.requests.labels(method, path, str(status)).inc()
        self.metrics.latency.labels(method, path).observe(seconds)
        if not log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        line: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "client": f"{client[0]}:{client[1]}" if client else None,
            "method": method,
            "path": scope["path"],
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        }
        texts = scope.get(NOTE)
        if texts is not None:
            line["texts"] = len(texts)
            if self.log_texts:
                line["text"] = texts
        log.info(json.dumps(line, ensure_ascii=False))
