"""The canonical record: fields, validation against the taxonomy, fingerprint and writers."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from infer import taxonomy
from infer.errors import ThreatTaggerError

FIELDS: tuple[str, ...] = (
    "id",
    "text",
    "incident_types",
    "region",
    "country",
    "source",
    "split",
    "date",
)
REQUIRED: tuple[str, ...] = ("id", "text", "incident_types", "source")
"""Columns a file must have; the nullable rest may be left out and then read as null."""
LABEL_SEPARATOR = "|"


class RecordError(ThreatTaggerError):
    """One invalid record; the message starts with where it is (file:line)."""


def missing_columns(columns: Iterable[str]) -> list[str]:
    """Required columns absent from a file's column list, in canonical order."""
    present = set(columns)
    return [c for c in REQUIRED if c not in present]


def _is_missing(value: Any) -> bool:
    """None, NaN or a blank string."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text_field(raw: Mapping[str, Any], name: str, where: str) -> str:
    """A required string field (ids may come as integers from JSON type inference)."""
    value = raw.get(name)
    if _is_missing(value):
        problem = "empty text" if name == "text" else f"missing value for '{name}'"
        raise RecordError(f"{where}: {problem}")
    if isinstance(value, int) and not isinstance(value, bool) and name == "id":
        return str(value)
    if not isinstance(value, str):
        raise RecordError(f"{where}: '{name}' must be a string, got {type(value).__name__}")
    return value


def _optional_str(raw: Mapping[str, Any], name: str, where: str) -> str | None:
    """A nullable string field; blank means null, dates and datetimes become ISO strings."""
    value = raw.get(name)
    if _is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise RecordError(f"{where}: '{name}' must be a string, got {type(value).__name__}")
    return value.strip()


def parse_labels(value: Any, where: str) -> list[str]:
    """Incident types from a list, or from a '|'-joined CSV cell (empty cell = none)."""
    if value is None:
        raise RecordError(f"{where}: missing value for 'incident_types'")
    if isinstance(value, str):
        value = value.split(LABEL_SEPARATOR) if value.strip() else []
    if not isinstance(value, list | tuple):
        raise RecordError(f"{where}: 'incident_types' must be a list, got {type(value).__name__}")
    labels = [str(v).strip().lower() for v in value if not _is_missing(v)]
    unknown = [lab for lab in labels if lab not in taxonomy.INCIDENT_TYPES]
    if unknown:
        known = ", ".join(taxonomy.INCIDENT_TYPES)
        raise RecordError(f"{where}: unknown incident type '{unknown[0]}' (known: {known})")
    return taxonomy.normalize_incident_types(labels)


def _region(value: str | None, where: str) -> str | None:
    """The canonical GTD region name for value (case-insensitive)."""
    if value is None:
        return None
    by_fold = {r.casefold(): r for r in taxonomy.REGIONS}
    region = by_fold.get(value.casefold())
    if region is None:
        raise RecordError(f"{where}: unknown region '{value}'")
    return region


def _country(value: str | None, where: str) -> str | None:
    """The ISO alpha-2 code for value (a code or a name the taxonomy knows)."""
    if value is None:
        return None
    code = taxonomy.country_code(value)
    if code is None:
        raise RecordError(f"{where}: unknown country '{value}'")
    return code


def validate_record(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A canonical record from raw values, or RecordError naming `where` and the problem."""
    record_id = _text_field(raw, "id", where)
    text = _text_field(raw, "text", where)
    labels = parse_labels(raw.get("incident_types"), where)
    region = _region(_optional_str(raw, "region", where), where)
    country = _country(_optional_str(raw, "country", where), where)
    if country is not None:
        expected = taxonomy.region_of(country)
        if region is not None and region != expected:
            raise RecordError(
                f"{where}: region '{region}' disagrees with country '{country}' ({expected})"
            )
        region = expected
    return {
        "id": record_id,
        "text": text,
        "incident_types": labels,
        "region": region,
        "country": country,
        "source": _text_field(raw, "source", where),
        "split": _optional_str(raw, "split", where),
        "date": _optional_str(raw, "date", where),
    }


def to_csv_row(record: Mapping[str, Any]) -> dict[str, str]:
    """CSV cells for a canonical record: labels joined by '|', null as an empty cell."""
    row = {f: "" if record.get(f) is None else record[f] for f in FIELDS}
    row["incident_types"] = LABEL_SEPARATOR.join(record.get("incident_types") or [])
    return row


def fingerprint(records: Iterable[Mapping[str, Any]]) -> str:
    """sha256 of the canonical records (sorted keys, one JSON line each, in the given order)."""
    digest = hashlib.sha256()
    for record in records:
        canonical = {f: record.get(f) for f in FIELDS}
        line = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def write_records(records: Iterable[Mapping[str, Any]], path: str | Path) -> None:
    """Write canonical records as .jsonl/.csv/.parquet (by extension), atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    writers = {".jsonl": _write_jsonl, ".csv": _write_csv, ".parquet": _write_parquet}
    if suffix not in writers:
        raise ThreatTaggerError(
            f"{path}: cannot write '{suffix}' files; use .jsonl, .csv or .parquet"
        )
    rows = [{f: r.get(f) for f in FIELDS} for r in records]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        writers[suffix](rows, Path(tmp))
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)  # not mkstemp's 600
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_jsonl(rows: list[dict[str, Any]], path: Path) -> None:
    """One JSON object per line, UTF-8."""
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """Header plus one row per record; labels joined by '|'."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(to_csv_row(r) for r in rows)


def _write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    """Arrow table with an explicit schema (so all-null columns stay strings)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {f: pa.string() for f in FIELDS} | {"incident_types": pa.list_(pa.string())}
    schema = pa.schema([(f, types[f]) for f in FIELDS])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
