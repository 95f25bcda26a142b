"""Prometheus metrics of one app: requests, latency, batch sizes, errors.

Each app gets its own registry (several apps can live in one process, e.g. in tests). With
`--workers N`, every worker process writes its metrics to PROMETHEUS_MULTIPROC_DIR and /metrics
adds up all of them (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

MULTIPROC_VAR = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)


class Metrics:
    """The service's metrics, registered in a registry of their own."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = Counter(
            "threat_tagger_http_requests",
            "HTTP requests answered",
            ["method", "path", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "threat_tagger_http_request_duration_seconds",
            "Time from request to response",
            ["method", "path"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_progress = Gauge(
            "threat_tagger_http_requests_in_progress",
            "Requests being served now",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.errors = Counter(
            "threat_tagger_errors",
            "Failures: whole requests refused (by reason) and texts that "
            "could not be scored (reason 'text')",
            ["reason"],
            registry=registry,
        )
        self.texts = Counter("threat_tagger_texts", "Texts tagged", registry=registry)
        self.batch_texts = Histogram(
            "threat_tagger_batch_texts",
            "Texts per predict call (micro-batch size)",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.batch_requests = Histogram(
            "threat_tagger_batch_requests",
            "Requests grouped into one predict call",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "threat_tagger_batch_duration_seconds",
            "Time to score one micro-batch",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def batch(self, texts: int, requests: int, seconds: float) -> None:
        """Record one scored micro-batch."""
        self.batch_texts.observe(texts)
        self.batch_requests.observe(requests)
        self.batch_seconds.observe(seconds)

    def exposition(self) -> bytes:
        """The text exposition format (every worker's metrics in multiprocess mode)."""
        if os.environ.get(MULTIPROC_VAR):
            from prometheus_client import multiprocess

            combined = CollectorRegistry()
            multiprocess.MultiProcessCollector(combined)
            return generate_latest(combined)
        return generate_latest(self.registry)
