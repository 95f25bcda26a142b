"""Part files of a cluster job's output: JSONL (the lines `score` writes) or Parquet.

A Parquet part has one row per output record with the columns of PARQUET_COLUMNS;
`incident_types` and `probabilities` are maps from label to probability (in JSONL's order), and
`explanation` (with --explain) is the JSON text of the JSONL field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infer.engines.frames import OUTPUT_COLUMNS
from infer.writers import JsonlWriter

FORMATS = ("jsonl", "parquet")
PARQUET_COLUMNS = ("id", "source", *OUTPUT_COLUMNS)
_MAPS = ("incident_types", "probabilities")  # label -> probability


class JsonlPart:
    """A part of JSONL lines, encoded exactly as `score` encodes them."""

    def __init__(self, stream: Any) -> None:
        self._writer = JsonlWriter(stream)

    def write_many(self, records: list[dict[str, Any]]) -> None:
        """Write output records."""
        for record in records:
            self._writer.write(record)


class ParquetPart:
    """A Parquet part; each batch of records becomes one row group."""

    def __init__(self, path: Path, explain: bool) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        self._columns = PARQUET_COLUMNS + (("explanation",) if explain else ())
        self.schema = parquet_schema(explain)
        self._writer = pq.ParquetWriter(path, self.schema)

    def write_many(self, records: list[dict[str, Any]]) -> None:
        """Write output records as one row group."""
        if not records:
            return
        data = {c: [r.get(c) for r in records] for c in self._columns}
        for name in _MAPS:
            data[name] = [None if v is None else list(v.items()) for v in data[name]]
        if "explanation" in data:
            data["explanation"] = [
                None if v is None else json.dumps(v, ensure_ascii=False)
                for v in data["explanation"]
            ]
        self._writer.write_table(self._pa.table(data, schema=self.schema))

    def close(self) -> None:
        """Finish the file (footer)."""
        self._writer.close()


def parquet_schema(explain: bool = False) -> Any:
    """The Arrow schema of Parquet parts."""
    import pyarrow as pa

    fields = [
        ("id", pa.string()),
        ("source", pa.string()),
        ("incident_types", pa.map_(pa.string(), pa.float64())),
        ("probabilities", pa.map_(pa.string(), pa.float64())),
        ("region", pa.string()),
        ("region_probability", pa.float64()),
        ("country", pa.string()),
        ("country_name", pa.string()),
        ("country_probability", pa.float64()),
        ("warning", pa.string()),
        ("error", pa.string()),
    ]
    if explain:
        fields.append(("explanation", pa.string()))
    return pa.schema(fields)


@contextmanager
def open_part(path: Path, fmt: str, *, explain: bool = False) -> Iterator[Any]:
    """A part writer on `path` ('jsonl' or 'parquet'), flushed and closed on exit."""
    if fmt == "parquet":
        part = ParquetPart(path, explain)
        try:
            yield part
        finally:
            part.close()
        return
    with path.open("w", encoding="utf-8", newline="") as stream:
        yield JsonlPart(stream)


def read_parquet_part(path: Path) -> list[dict[str, Any]]:
    """The records of a Parquet part in the JSONL shape (absent fields dropped)."""
    import pyarrow.parquet as pq

    out = []
    for row in pq.read_table(path).to_pylist():
        if row["error"] is not None:
            out.append({k: row[k] for k in ("id", "source", "error")})
            continue
        record = {k: row[k] for k in PARQUET_COLUMNS[:-2]}
        for name in _MAPS:
            record[name] = dict(record[name])
        if row["warning"] is not None:
            record["warning"] = row["warning"]
        if row.get("explanation") is not None:
            record["explanation"] = json.loads(row["explanation"])
        out.append(record)
    return out
