"""The FastAPI app: /v1/tag, /v1/explain, /v1/model, health checks, /metrics and /docs.

Bodies are read and checked by infer.serve.payload (not by pydantic) so that every fault gets
the message and status it deserves and a bad text costs only its own result; the pydantic
models below describe the API in /docs. Nothing in a request names a file or a model: the one
model is the one `serve` was started with.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic_core import to_json
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from infer.batch import Scorer, error_output, scored_output
from infer.readers import InputRecord
from infer.serve.accesslog import AccessLog
from infer.serve.batcher import MicroBatcher
from infer.serve.docs import (
    ERRORS,
    ExplainRequest,
    ExplainResponse,
    TagRequest,
    TagResponse,
    body_schema,
    model_summary,
)
from infer.serve.metrics import Metrics
from infer.serve.payload import RequestError, explain_request, parse_json, tag_records
from infer.serve.settings import Settings

log = logging.getLogger("threat_tagger.serve")
WARM_UP = "A bomb exploded near the market in Kabul."
bearer = HTTPBearer(
    auto_error=False,
    description="The key given to `serve --api-key` (or $THREAT_TAGGER_API_KEY), if any.",
)


class Service:
    """What the endpoints share: settings, the predictor once loaded, the batcher, metrics."""

    def __init__(self, settings: Settings, predictor: Any = None) -> None:
        self.settings = settings
        self.predictor = predictor
        self.scorer = None if predictor is None else Scorer(predictor)
        self.metrics = Metrics()
        self.batcher: MicroBatcher | None = None
        self.load_error: str | None = None
        self.on_load_failure: Callable[[], None] | None = None  # set by the server

    async def load(self) -> None:
        """Load the model off the event loop; /health/ready says 200 once it is in."""
        from infer.predictor import Predictor

        def load_and_warm() -> Any:
            predictor = Predictor.load(self.settings.model)
            predictor.predict([WARM_UP])  # builds lazy tables: the first request stays fast
            return predictor

        try:
            predictor = await asyncio.to_thread(load_and_warm)
        except Exception as exc:  # ThreatTaggerError, OSError, ...: the service cannot work
            self.load_error = str(exc) or type(exc).__name__
            log.error("cannot load the model: %s", self.load_error)
            if self.on_load_failure is not None:
                self.on_load_failure()
            return
        self.scorer = Scorer(predictor)
        self.predictor = predictor
        log.info("model %s loaded; ready", predictor.meta.get("name", "?"))

    def score(self, records: list[InputRecord]) -> list[dict[str, Any]]:
        """Score a micro-batch (on the scoring thread)."""
        assert self.scorer is not None
        return self.scorer(records)

    def explain(self, record: InputRecord, top: int) -> dict[str, Any]:
        """The output record of one text with the explanation of its decisions."""
        predictor = self.predictor
        text = record.text or ""
        heads = predictor.explain(text, top).to_dict()["heads"]
        return scored_output(record, predictor.predict([text])[0], heads)

    def ready(self) -> MicroBatcher:
        """The batcher, or 503 while the model is loading (or failed to load)."""
        if self.predictor is None or self.batcher is None:
            raise RequestError(
                503,
                "the model is still loading; retry shortly"
                if self.load_error is None
                else f"the model could not be loaded: {self.load_error}",
            )
        return self.batcher


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to be over `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(
            413,
            f"the request body is {int(declared)} bytes; the limit is "
            f"{limit} bytes (split the texts over several requests)",
        )
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(
                413,
                f"the request body is over the limit of {limit} bytes "
                "(split the texts over several requests)",
            )
        parts.append(chunk)
    return b"".join(parts)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error answer: {"detail": message}."""
    if status == 503:
        headers = {"Retry-After": "1"}
    elif status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _records(content: dict[str, Any], status: int = 200) -> Response:
    """A /v1/tag answer. Encoded by pydantic-core (FastAPI's own serializer, compiled): the
    same JSON as JSONResponse's json.dumps at a seventh of its CPU time, which per 32-text
    request was about a tenth of the server's CPU."""
    return Response(to_json(content), status_code=status, media_type="application/json")


def create_app(settings: Settings | None = None, predictor: Any = None) -> FastAPI:
    """The ASGI app; it loads `settings.model` at start-up unless given a `predictor`."""
    service = Service(settings or Settings(), predictor)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.batcher = MicroBatcher(
            service.score,
            service.settings.max_batch_size,
            service.settings.max_wait_ms / 1000.0,
            service.metrics.batch,
        )
        service.batcher.start()
        loading = None if service.predictor is not None else asyncio.create_task(service.load())
        try:
            yield
        finally:
            if loading is not None and not loading.done():
                loading.cancel()
            await service.batcher.stop()  # in-flight requests have been answered by now

    app = FastAPI(
        title="threat-tagger",
        lifespan=lifespan,
        summary="Tag threat reports by incident type, region and country.",
    )
    app.state.service = service

    def check_key(credentials: HTTPAuthorizationCredentials | None) -> None:
        """Require `Authorization: Bearer KEY` when the service has a key (constant time)."""
        key = service.settings.api_key
        if key is None:
            return
        given = b"" if credentials is None else credentials.credentials.encode("utf-8")
        if not hmac.compare_digest(given, key.encode("utf-8")):
            service.metrics.errors.labels("auth").inc()
            raise RequestError(
                401, "missing or wrong API key: send the header 'Authorization: Bearer <key>'"
            )

    async def authorised(
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> None:
        check_key(credentials)

    async def authorise(request: Request) -> None:
        """check_key called by the scoring endpoints themselves: FastAPI's dependency solving
        cost ~35 us a request (a tenth of the event loop's work on a one-text request)."""
        if service.settings.api_key is not None:
            check_key(await bearer(request))

    guarded = [Depends(authorised)]
    secured = {"security": [{bearer.scheme_name: []}]}  # in /docs, as `guarded` shows it

    @app.exception_handler(RequestError)
    async def request_error(request: Request, exc: RequestError) -> JSONResponse:
        if exc.status != 401:
            service.metrics.errors.labels(f"http_{exc.status}").inc()
        return _error(exc.status, exc.message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), exc.headers)  # e.g. 405 keeps Allow

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        service.metrics.errors.labels("client_disconnected").inc()
        return _error(400, "the client disconnected before sending the whole body")

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        service.metrics.errors.labels("internal").inc()
        return _error(500, f"internal error: {type(exc).__name__}")

    @app.post(
        "/v1/tag",
        tags=["tagging"],
        openapi_extra={**body_schema(TagRequest), **secured},
        responses={200: {"model": TagResponse}, **ERRORS},
    )
    async def tag(request: Request) -> Response:
        """Tag each text; one result per text, in order, shaped like `threat-tagger score`'s
        output records. A text that cannot be scored gets {"id", "source", "error"} in its
        place; when no text could be scored the answer is 422 (bad texts) or 500."""
        await authorise(request)
        batcher = service.ready()
        batcher.announce()
        try:
            records = tag_records(
                parse_json(await read_body(request, service.settings.max_body_bytes)),
                service.settings.max_texts,
            )
            AccessLog.note(request.scope, [r.text for r in records])
            valid = sum(r.error is None for r in records)
        except BaseException:
            batcher.withdraw()
            raise
        if valid:
            outputs = await batcher.submit(records, announced=True)
        else:
            batcher.withdraw()
            outputs = [error_output(r) for r in records]
        failed = sum("error" in out for out in outputs)
        service.metrics.texts.inc(len(outputs) - failed)
        if failed:
            service.metrics.errors.labels("text").inc(failed)
        if failed == len(outputs):
            status = 422 if not valid else 500
            return _records({"detail": "no text could be scored", "results": outputs}, status)
        return _records({"results": outputs})

    @app.post(
        "/v1/explain",
        tags=["tagging"],
        openapi_extra={**body_schema(ExplainRequest), **secured},
        responses={200: {"model": ExplainResponse}, **ERRORS},
    )
    async def explain(request: Request) -> JSONResponse:
        """Tag one text and explain each decision: the n-grams that pushed it, with weights."""
        await authorise(request)
        batcher = service.ready()
        record, top = explain_request(
            parse_json(await read_body(request, service.settings.max_body_bytes))
        )
        AccessLog.note(request.scope, [record.text])
        return JSONResponse(await batcher.run(service.explain, record, top))

    @app.get("/v1/model", dependencies=guarded, tags=["model"])
    async def model() -> JSONResponse:
        """Labels, thresholds, version and held-out metrics of the loaded model."""
        service.ready()
        return JSONResponse(model_summary(service.predictor.meta))

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        """200 while the process is up (even while the model loads)."""
        return {"status": "alive"}

    @app.get("/health/ready", tags=["health"])
    async def ready() -> JSONResponse:
        """200 once the model is loaded, 503 before (or when it failed to load)."""
        if service.predictor is not None:
            return JSONResponse({"status": "ready"})
        status = "loading" if service.load_error is None else "failed"
        return JSONResponse({"status": status, "detail": service.load_error}, status_code=503)

    @app.get("/metrics", dependencies=guarded, tags=["health"])
    async def metrics() -> Response:
        """Prometheus metrics: requests, latency, batch sizes, errors."""
        return Response(service.metrics.exposition(), media_type=service.metrics.content_type)

    app.add_middleware(AccessLog, metrics=service.metrics, log_texts=service.settings.log_texts)
    return app
