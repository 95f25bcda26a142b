"""Readiness: 503 until the model is loaded (in-process app, a load held back by the test)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from starlette.testclient import TestClient

from infer.predictor import Predictor
from infer.serve.app import create_app
from infer.serve.settings import Settings


def test_ready_and_tag_answer_503_until_the_model_is_loaded(model_dir: Path, monkeypatch) -> None:
    release = threading.Event()
    real_load = Predictor.load

    def held_load(path: str | None = None) -> Predictor:
        assert release.wait(timeout=60), "the test never released the load"
        return real_load(path)

    monkeypatch.setattr(Predictor, "load", staticmethod(held_load))
    with TestClient(create_app(Settings(model=str(model_dir)))) as client:
        assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["status"] == "loading"
        tag = client.post("/v1/tag", json={"texts": ["A bomb exploded in Kabul."]})
        assert tag.status_code == 503 and tag.headers["retry-after"] == "1"
        assert "still loading" in tag.json()["detail"]
        release.set()
        deadline = time.monotonic() + 60
        while client.get("/health/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/health/ready").json() == {"status": "ready"}
        tag = client.post("/v1/tag", json={"texts": ["A bomb exploded in Kabul."]})
        assert tag.status_code == 200 and len(tag.json()["results"]) == 1
