"""What /docs shows (request models) and what /v1/model answers (a summary of meta.json)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MODEL_FILE = "model.npz"


class TagRequest(BaseModel):
    """Texts to tag."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"texts": ["Gunmen ambushed a police convoy near Kandahar and seized two "
                                "officers."]}]})
    texts: list[str] = Field(min_length=1, description="The texts, one result each, in order "
                                                       "(at most `serve --max-texts`).")
    ids: list[str] | None = Field(None, description="Your ids for the texts (same length); "
                                                    "default: their positions, '0', '1', ...")


class ExplainRequest(BaseModel):
    """One text to tag and explain."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"text": "A car bomb exploded outside the ministry in Baghdad.", "top": 5}]})
    text: str = Field(min_length=1, description="The text.")
    id: str = Field("0", description="Your id for it.")
    top: int = Field(10, ge=1, le=100, description="N-grams listed per decision.")


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON request body that the endpoint reads itself."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": model.model_json_schema()}}}}


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
