"""Stream documents to score out of .jsonl, .csv and .txt files, folders, gzip and stdin.

Every input record becomes exactly one `InputRecord`, in input order: either a text to score
(possibly with a warning) or an error. Files are read in binary and decoded line by line, so a
stray non-UTF-8 byte spoils one record's text (replaced, with a warning), never the run.
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

MAX_TEXT_BYTES = 1 << 20
KINDS = (".jsonl", ".csv", ".txt")
STDIN = "-"
STDIN_NAME = "<stdin>"
BAD_UTF8 = "input is not valid UTF-8; undecodable bytes were replaced with U+FFFD"
TRUNCATED = f"text is over {MAX_TEXT_BYTES} bytes; only its first {MAX_TEXT_BYTES} were scored"
READ_ERRORS = (OSError, EOFError, zlib.error)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One input record: a text to score, or the error that keeps it from being scored."""

    id: str
    source: str
    text: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()


def kind_of(path: Path) -> str | None:
    """'.jsonl', '.csv' or '.txt' for a (possibly gzipped) input file; None if unsupported."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes and suffixes[-1] in KINDS else None


def expand_inputs(inputs: Iterable[str]) -> Iterator[str]:
    """The given inputs with every folder replaced by its supported files (recursive, sorted)."""
    for name in inputs:
        path = Path(name)
        if name != STDIN and path.is_dir():
            found = (p for p in path.rglob("*") if p.is_file() and kind_of(p) is not None)
            yield from sorted(str(p) for p in found)
        else:
            yield name


def iter_records(inputs: Sequence[str], *, text_field: str = "text", id_field: str = "id",
                 stdin: IO[bytes] | None = None) -> Iterator[InputRecord]:
    """Every record of every input (folders expanded, `-` = JSONL on stdin), in order."""
    for name in expand_inputs(inputs):
        if name == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _guarded(STDIN_NAME, _jsonl(STDIN_NAME, stream, text_field, id_field))
            continue
        yield from _read_file(Path(name), name, text_field, id_field)


def _read_file(path: Path, name: str, text_field: str, id_field: str) -> Iterator[InputRecord]:
    """The records of one file, or one error record (source `path:0`) if it cannot be read."""
    kind = kind_of(path)
    if kind is None:
        yield _failed(name, f"{name}:0", f"unsupported input type (expected {', '.join(KINDS)}, "
                                         f"optionally .gz, a folder or -)")
        return
    try:
        handle = _open(path)
    except OSError as exc:
        yield _failed(name, f"{name}:0", f"cannot read input: {exc.strerror or exc}")
        return
    with handle:
        if kind == ".jsonl":
            yield from _guarded(name, _jsonl(name, handle, text_field, id_field))
        elif kind == ".csv":
            yield from _guarded(name, _csv(name, handle, text_field, id_field))
        else:
            yield from _guarded(name, _txt(name, handle))


def _open(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed on the fly when it ends in .gz."""
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _guarded(name: str, records: Iterator[InputRecord]) -> Iterator[InputRecord]:
    """Pass records through; a read failure mid-file (e.g. corrupt gzip) becomes an error record."""
    last: InputRecord | None = None
    try:
        for record in records:
            last = record
            yield record
    except READ_ERRORS as exc:
        line = 0 if last is None else int(last.source.rsplit(":", 1)[1])
        source = f"{name}:{line + 1}"
        yield _failed(source, source, f"cannot read input: {exc}")


def _failed(record_id: str, source: str, error: str) -> InputRecord:
    """An error record."""
    return InputRecord(id=record_id, source=source, error=error)


def decode(raw: bytes) -> tuple[str, bool]:
    """UTF-8 text of `raw` and whether undecodable bytes had to be replaced."""
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), True


def clip(text: str) -> tuple[str, bool]:
    """`text` cut to its first MAX_TEXT_BYTES of UTF-8, and whether it was cut."""
    if len(text) <= MAX_TEXT_BYTES // 4:
        return text, False
    data = text.encode("utf-8", errors="surrogatepass")
    if len(data) <= MAX_TEXT_BYTES:
        return text, False
    return data[:MAX_TEXT_BYTES].decode("utf-8", errors="ignore"), True


def _lines(handle: IO[bytes]) -> Iterator[tuple[int, str, bool]]:
    """(line number, decoded line, had bad bytes) for each line; a leading BOM is dropped."""
    for number, raw in enumerate(handle, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        text, bad = decode(raw)
        yield number, text, bad


def _document(record_id: str, source: str, text: object, field: str | None,
              warnings: list[str]) -> InputRecord:
    """A record to score from a text field's value, or the error explaining why it cannot be."""
    what = "document" if field is None else f"text field {field!r}"
    if text is None:
        return _failed(record_id, source, f"missing {what}")
    if not isinstance(text, str):
        return _failed(record_id, source, f"{what} is not a string (got {type(text).__name__})")
    if not text.strip():
        return _failed(record_id, source, f"{what} is empty")
    text, cut = clip(text)
    if cut:
        warnings.append(TRUNCATED)
    return InputRecord(id=record_id, source=source, text=text, warnings=tuple(warnings))


def _record_id(value: object, source: str) -> str:
    """The record's id as a string; `file:line` when it has none."""
    if value is None or value == "":
        return source
    return value if isinstance(value, str) else json.dumps(value)


def _jsonl(name: str, handle: IO[bytes], text_field: str,
           id_field: str) -> Iterator[InputRecord]:
    """One record per non-blank line of a JSONL stream."""
    for number, line, bad in _lines(handle):
        if not line.strip():
            continue
        source = f"{name}:{number}"
        try:
            obj: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _failed(source, source, f"malformed JSON: {exc.msg} (column {exc.colno})")
            continue
        except (ValueError, RecursionError) as exc:
            yield _failed(source, source, f"malformed JSON: {exc}")
            continue
        if not isinstance(obj, dict):
            yield _failed(source, source, f"not a JSON object (got {type(obj).__name__})")
            continue
        record_id = _record_id(obj.get(id_field), source)
        yield _document(record_id, source, obj.get(text_field), text_field,
                        [BAD_UTF8] if bad else [])


class _Decoded:
    """Decoded lines of a binary stream for csv.reader, remembering undecodable bytes."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._lines = _lines(handle)
        self.bad = False

    def __iter__(self) -> _Decoded:
        return self

    def __next__(self) -> str:
        _, text, bad = next(self._lines)
        self.bad = self.bad or bad
        return text


def _csv(name: str, handle: IO[bytes], text_field: str, id_field: str) -> Iterator[InputRecord]:
    """One record per row of a CSV file with a header (fields may span lines)."""
    lines = _Decoded(handle)
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return
    columns = {column.strip(): i for i, column in reversed(list(enumerate(header)))}
    text_col, id_col = columns.get(text_field), columns.get(id_field)
    missing = None if text_col is not None else (
        f"no {text_field!r} column (columns: {', '.join(map(repr, header))}); "
        f"pick one with --text-field")
    start = reader.line_num + 1
    lines.bad = False
    while True:
        source = f"{name}:{start}"
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            start, lines.bad = reader.line_num + 1, False
            yield _failed(source, source, f"malformed CSV: {exc}")
            continue
        warnings = [BAD_UTF8] if lines.bad else []
        start, lines.bad = reader.line_num + 1, False
        if not row:
            continue
        record_id = _record_id(row[id_col] if id_col is not None and id_col < len(row)
                               else None, source)
        if missing is not None:
            yield _failed(record_id, source, missing)
            continue
        assert text_col is not None
        text = row[text_col] if text_col < len(row) else None
        yield _document(record_id, source, text, text_field, warnings)


def _txt(name: str, handle: IO[bytes]) -> Iterator[InputRecord]:
    """A whole .txt file as one document (id = its path), reading at most MAX_TEXT_BYTES."""
    raw = handle.read(MAX_TEXT_BYTES)
    cut = bool(handle.read(1))
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    warnings = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if cut and exc.start >= len(raw) - 3 and exc.reason == "unexpected end of data":
            text = raw[:exc.start].decode("utf-8")  # the cut split a character
        else:
            text, _ = decode(raw)
            warnings.append(BAD_UTF8)
    if cut:
        warnings.append(TRUNCATED)
    yield _document(name, f"{name}:1", text, None, warnings)
