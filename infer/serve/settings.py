"""The service's settings: one dataclass, filled from the `serve` options (or the environment
of a `--workers` child process)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from typing import Any

API_KEY_VAR = "THREAT_TAGGER_API_KEY"
SETTINGS_VAR = "THREAT_TAGGER_SERVE_SETTINGS"  # JSON, hands the settings to worker processes


@dataclass(frozen=True)
class Settings:
    """How one server process loads, batches, limits, authenticates and logs."""

    model: str | None = None  # model folder (None: $THREAT_TAGGER_MODEL, else models/default)
    # texts per predict call, summed over the requests it groups: infer.predictor's BATCH_SIZE,
    # its fastest batch (per text, a 1024-text predict costs ~0.55x a 32-text one; 256: ~0.8x)
    max_batch_size: int = 1024
    max_wait_ms: float = 2.0  # how long a batch waits for more requests once one arrived
    max_body_bytes: int = 8 << 20  # larger request bodies get 413
    max_texts: int = 1000  # more texts in one request get 413
    api_key: str | None = None  # when set, /v1/* and /metrics need `Authorization: Bearer KEY`
    log_texts: bool = False  # access logs hold the texts only when asked

    def __post_init__(self) -> None:
        for name in ("max_batch_size", "max_body_bytes", "max_texts"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must be >= 0, not {self.max_wait_ms}")
        if self.api_key is not None and not self.api_key.strip():
            raise ValueError("the API key is empty")

    def to_env(self) -> str:
        """JSON for SETTINGS_VAR (the API key travels in API_KEY_VAR instead)."""
        return json.dumps({**asdict(self), "api_key": None})

    @classmethod
    def from_env(cls) -> Settings:
        """The settings a parent `serve` process left in the environment."""
        raw: dict[str, Any] = json.loads(os.environ.get(SETTINGS_VAR) or "{}")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        values["api_key"] = os.environ.get(API_KEY_VAR) or None
        return cls(**values)
