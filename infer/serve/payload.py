"""Request bodies -> input records, with a clear message and HTTP status for each way a request
can be wrong. Plain Python (no web framework), so the rules are easy to read and test.

A fault of the whole request (not JSON, not UTF-8, wrong shape, too big) raises RequestError;
a fault of one text (not a string, empty) becomes an error record in that text's place, as one
bad line does in `threat-tagger score`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from infer.readers import MAX_TEXT_BYTES, TRUNCATED, InputRecord, clip

SURROGATES = re.compile("[\ud800-\udfff]")
LONE_SURROGATE = (
    "text held unpaired UTF-16 surrogates (\\ud800-\\udfff escapes that are not "
    "characters); they were replaced with U+FFFD"
)
TAG_FIELDS = ("texts", "ids")
EXPLAIN_FIELDS = ("text", "id", "top")
MAX_TOP = 100


class RequestError(Exception):
    """A request that cannot be served at all: `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_json(body: bytes) -> Any:
    """The JSON value of a request body (UTF-8, an optional BOM allowed)."""
    if not body.strip():
        raise RequestError(400, "the request body is empty; send a JSON object")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError(
            400,
            f"the request body is not valid UTF-8 (byte {exc.start}: "
            f"{body[exc.start : exc.start + 1]!r})",
        ) from None
    try:
        return json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        raise RequestError(
            400, f"malformed JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise RequestError(400, "malformed JSON: nested too deeply") from None


def _kind(value: object) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _object(payload: object, allowed: tuple[str, ...], example: str) -> dict[str, Any]:
    """The payload as an object with no unknown fields."""
    if not isinstance(payload, dict):
        raise RequestError(
            422, f"the body must be a JSON object like {example}, not {_kind(payload)}"
        )
    unknown = sorted(set(payload) - set(allowed))
    if unknown:
        raise RequestError(422, f"unknown field {unknown[0]!r} (allowed: {', '.join(allowed)})")
    return payload


def _check_id(record_id: str, where: str) -> None:
    """Refuse an id that cannot be answered: it is echoed back in UTF-8, which has no lone
    surrogates (a text's surrogates are replaced instead; an id must come back as sent)."""
    if not record_id.isascii() and SURROGATES.search(record_id):
        raise RequestError(
            422, f"{where} holds an unpaired UTF-16 surrogate (\\ud800-\\udfff), not a character"
        )


def text_record(value: object, record_id: str, source: str) -> InputRecord:
    """A record to score from one request text, or an error record saying what is wrong."""
    if not isinstance(value, str):
        return InputRecord(record_id, source, error=f"{source} is {_kind(value)}, not a string")
    if not value.strip():
        return InputRecord(record_id, source, error=f"{source} is empty")
    warnings = []
    if not value.isascii() and SURROGATES.search(value):  # isascii() is O(1): skips the scan
        value = SURROGATES.sub("\ufffd", value)
        warnings.append(LONE_SURROGATE)
    value, cut = clip(value)
    if cut:
        warnings.append(TRUNCATED)
    return InputRecord(record_id, source, text=value, warnings=tuple(warnings))


def tag_records(payload: object, max_texts: int) -> list[InputRecord]:
    """The records of a /v1/tag body: {"texts": [...], "ids": [...] (optional)}."""
    body = _object(payload, TAG_FIELDS, '{"texts": ["..."]}')
    if "texts" not in body:
        raise RequestError(422, 'missing field "texts" (a list of strings)')
    texts = body["texts"]
    if not isinstance(texts, list):
        raise RequestError(422, f'"texts" must be a list of strings, not {_kind(texts)}')
    if not texts:
        raise RequestError(422, '"texts" is empty; send at least one text')
    if len(texts) > max_texts:
        raise RequestError(
            413,
            f"too many texts: {len(texts)} (at most {max_texts} per "
            "request; split them over several requests)",
        )
    ids = body.get("ids")
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise RequestError(422, '"ids" must be a list of strings')
        for i, record_id in enumerate(ids):
            _check_id(record_id, f'"ids"[{i}]')
        if len(ids) != len(texts):
            raise RequestError(422, f'"ids" has {len(ids)} items but "texts" has {len(texts)}')
    return [
        text_record(text, ids[i] if ids is not None else str(i), f"texts[{i}]")
        for i, text in enumerate(texts)
    ]


def explain_request(payload: object) -> tuple[InputRecord, int]:
    """The record and `top` of a /v1/explain body: {"text": "...", "id": "..", "top": 10}."""
    body = _object(payload, EXPLAIN_FIELDS, '{"text": "..."}')
    if "text" not in body:
        raise RequestError(422, 'missing field "text" (a string)')
    record_id = body.get("id", "0")
    if not isinstance(record_id, str):
        raise RequestError(422, f'"id" must be a string, not {_kind(record_id)}')
    _check_id(record_id, '"id"')
    top = body.get("top", 10)
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= MAX_TOP:
        raise RequestError(422, f'"top" must be an integer from 1 to {MAX_TOP}')
    record = text_record(body["text"], record_id, "text")
    if record.error is not None:
        raise RequestError(422, record.error)
    return record, top


__all__ = ["MAX_TEXT_BYTES", "RequestError", "explain_request", "parse_json", "tag_records"]
