"""What /docs shows (request models) and what /v1/model answers (a summary of meta.json)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MODEL_FILE = "model.npz"


class TagRequest(BaseModel):
    """Texts to tag."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "texts": [
                        "Gunmen ambushed a police convoy near Kandahar and seized two officers."
                    ]
                }
            ]
        },
    )
    texts: list[str] = Field(
        min_length=1,
        description="The texts, one result each, in order (at most `serve --max-texts`).",
    )
    ids: list[str] | None = Field(
        None,
        description="Your ids for the texts (same length); default: their positions, '0', '1', ...",
    )


class ExplainRequest(BaseModel):
    """One text to tag and explain."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "A car bomb exploded outside the ministry in Baghdad.", "top": 5}]
        },
    )
    text: str = Field(min_length=1, description="The text.")
    id: str = Field("0", description="Your id for it.")
    top: int = Field(10, ge=1, le=100, description="N-grams listed per decision.")


class TagResult(BaseModel):
    """One text's result: `score`'s output record (or `id`, `source` and `error`); the fields
    of infer/prediction.schema.json."""

    id: str
    source: str = Field(description="Where the text was in the request: texts[i].")
    incident_types: dict[str, float] | None = Field(
        None,
        description="The labels over their thresholds with their probabilities, highest first.",
    )
    probabilities: dict[str, float] | None = Field(
        None, description="Every label's probability, assigned or not."
    )
    region: str | None = None
    region_probability: float | None = None
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code.")
    country_name: str | None = Field(None, description="The country's English name.")
    country_probability: float | None = None
    warning: str | None = Field(
        None, description="e.g. unpaired surrogates replaced, text over 1 MB cut."
    )
    error: str | None = Field(None, description="Why this text could not be scored.")


class TagResponse(BaseModel):
    """One result per text, in request order."""

    results: list[TagResult]


class ExplainResponse(TagResult):
    """The text's result and, per decision, the n-grams that pushed it."""

    explanation: list[dict[str, Any]]


class ErrorResponse(BaseModel):
    """What is wrong with the request."""

    detail: str


ERRORS = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "malformed JSON, an empty body or invalid UTF-8"),
        (401, "missing or wrong API key (when the service has one)"),
        (413, "body over --max-body-bytes, or more than --max-texts texts"),
        (
            422,
            "wrong shape or types, unknown fields; for /v1/tag also: no text could be scored "
            "(then `results` holds each text's error)",
        ),
        (503, "the model is still loading"),
    )
}


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON request body that the endpoint reads itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


def model_summary(meta: dict[str, Any]) -> dict[str, Any]:
    """Labels, thresholds, version and held-out metrics from a model's meta.json (no paths)."""
    rule = meta.get("consistency_rule", {})
    return {
        "name": meta.get("name"),
        "created_at": meta.get("created_at"),
        "format_version": meta.get("format_version"),
        "fingerprint": (meta.get("files") or {}).get(MODEL_FILE),  # sha256 of model.npz
        "versions": meta.get("versions", {}),
        "incident_types": meta.get("labels", []),
        "thresholds": meta.get("thresholds", {}),
        "regions": meta.get("regions", []),
        "countries": meta.get("countries", []),
        "country_min_probability": rule.get("country_min_probability"),
        "region_min_probability": rule.get("region_min_probability"),
        "metrics": meta.get("metrics", {}),
        "training_records": (meta.get("training") or {}).get("records"),
    }
