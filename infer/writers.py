"""Write scored records as JSONL or CSV, to stdout or atomically to a file."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("id", "source", "incident_types", "incident_probabilities", "region",
               "region_probability", "country", "country_probability", "warning", "error")
CSV_HELP = (
    "CSV columns: " + ", ".join(CSV_COLUMNS) + " (+ explanation as JSON with --explain). "
    "incident_types is `label|label` (highest probability first) and incident_probabilities "
    "holds their probabilities in the same order, e.g. `bombing|kidnap` and `0.9312|0.7104`."
)


# json.dumps(record, ensure_ascii=False) builds a new encoder per call; this one is reused.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


class RecordWriter(Protocol):
    """Anything that writes output records one at a time."""

    def write(self, record: dict[str, Any]) -> None:
        """Write one output record."""


class JsonlWriter:
    """One JSON object per line."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, record: dict[str, Any]) -> None:
        """Write one output record."""
        self._stream.write(_ENCODE(record) + "\n")


class CsvWriter:
    """One CSV row per record with a fixed header (see CSV_HELP)."""

    def __init__(self, stream: IO[str], *, explain: bool = False) -> None:
        self._columns = CSV_COLUMNS + (("explanation",) if explain else ())
        self._writer = csv.writer(stream, lineterminator="\n")
        self._writer.writerow(self._columns)

    def write(self, record: dict[str, Any]) -> None:
        """Write one output record."""
        self._writer.writerow([_cell(column, record) for column in self._columns])


def _cell(column: str, record: dict[str, Any]) -> str:
    """The CSV cell of one column."""
    value = record.get(column)
    if column == "incident_types":
        return "|".join(value or {})
    if column == "incident_probabilities":
        return "|".join(f"{p:.4f}" for p in (record.get("incident_types") or {}).values())
    if column == "explanation" and value is not None:
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def make_writer(stream: IO[str], fmt: str, *, explain: bool = False) -> RecordWriter:
    """A writer for `fmt` ('jsonl' or 'csv') on an open text stream."""
    if fmt == "csv":
        return CsvWriter(stream, explain=explain)
    return JsonlWriter(stream)


@contextlib.contextmanager
def output_stream(path: str | Path | None) -> Iterator[IO[str]]:
    """stdout, or a temporary file next to `path` that replaces it only on success.

    On any exception (KeyboardInterrupt included) the temporary file is removed and an
    existing file at `path` is left untouched.
    """
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                dir=target.parent if str(target.parent) else ".")
    try:
        os.chmod(temp, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _umask() -> int:
    """The process umask (mkstemp creates files 0600; the output should get normal modes)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
