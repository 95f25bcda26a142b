"""The service's answers follow the one prediction schema (infer/prediction.schema.json)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

jsonschema = pytest.importorskip("jsonschema", reason="the schema tests need the dev extra")

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "infer" / "prediction.schema.json").read_text(
        encoding="utf-8"
    )
)


def check(instance: dict, form: str) -> None:
    """Validate against one of the schema's forms (and the whole schema)."""
    jsonschema.validate(instance, {**SCHEMA, "oneOf": [{"$ref": f"#/$defs/{form}"}]})
    jsonschema.validate(instance, SCHEMA)


def test_tag_results_follow_the_scored_record_schema(server) -> None:
    texts = [
        "A car bomb exploded outside the ministry in Baghdad, killing four.",
        "The council approved the city budget.",
        "\ud800",
    ]
    response = httpx.post(
        server.url + "/v1/tag",
        timeout=60,
        content=json.dumps({"texts": texts}).encode(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    for result in results:
        check(result, "error_record" if "error" in result else "scored_record")
    assert "probabilities" in results[0]


def test_explain_answer_follows_the_scored_record_schema(server) -> None:
    text = "Gunmen ambushed a police patrol near Makhmour and took two officers hostage."
    response = httpx.post(server.url + "/v1/explain", json={"text": text, "top": 3})
    assert response.status_code == 200, response.text
    out = response.json()
    check(out, "scored_record")
    assert out["explanation"]
