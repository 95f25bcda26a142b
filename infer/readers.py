"""Stream documents to score out of .jsonl, .csv and .txt files, folders, gzip and stdin.

Every input record becomes exactly one `InputRecord`, in input order: either a text to score
(possibly with a warning) or an error. Files are read in binary and decoded line by line, so a
stray non-UTF-8 byte spoils one record's text (replaced, with a warning), never the run; a file
starting with a UTF-16 or UTF-32 byte-order mark is decoded as such. Names, ids and texts that
cannot be written as UTF-8 (non-UTF-8 file names, lone surrogates in JSON) get U+FFFD instead.
A file or folder that cannot be read becomes an error record naming it (`path:0`).
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from infer.jsonl_reader import JsonlLines

MAX_TEXT_BYTES = 1 << 20
KINDS = (".jsonl", ".csv", ".txt", ".parquet")
STDIN = "-"
STDIN_NAME = "<stdin>"
BAD_UTF8 = "input is not valid UTF-8; undecodable bytes were replaced with U+FFFD"
TRUNCATED = f"text is over {MAX_TEXT_BYTES} bytes; only its first {MAX_TEXT_BYTES} were scored"
SURROGATES = "lone surrogate escapes in the JSON were replaced with U+FFFD"
READ_ERRORS = (OSError, EOFError, zlib.error, UnicodeError)
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One input record: a text to score, or the error that keeps it from being scored."""

    id: str
    source: str
    text: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()


# what `iter_units` yields: a record, or raw JSONL lines to parse where they are scored
Unit: TypeAlias = "InputRecord | JsonlLines"


def kind_of(path: Path) -> str | None:
    """'.jsonl', '.csv' or '.txt' for a (possibly gzipped) input file; None if unsupported."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes and suffixes[-1] in KINDS else None


def expand_inputs(inputs: Iterable[str]) -> Iterator[str]:
    """The given inputs with every folder replaced by its supported files (recursive, sorted);
    a folder that cannot be listed stays in place (reading it gives its error record)."""
    for name in inputs:
        if name != STDIN and os.path.isdir(name):
            yield from (path for path, _ in _walk(name))
        else:
            yield name


def _walk(top: str) -> list[tuple[str, str | None]]:
    """(path, None) for each supported file under `top` and (folder, error) for each folder
    that cannot be listed, sorted by path; symlinked folders are not followed."""
    found: list[tuple[str, str | None]] = []

    def unreadable(exc: OSError) -> None:
        found.append((str(exc.filename or top), exc.strerror or str(exc)))

    for folder, _, files in os.walk(top, onerror=unreadable):
        for file in files:
            path = os.path.join(folder, file)
            if kind_of(Path(path)) is not None and os.path.isfile(path):
                found.append((path, None))
    return sorted(found)


def printable(name: str) -> str:
    """`name` with every character UTF-8 cannot hold (a non-UTF-8 byte of a file name, a lone
    surrogate) replaced by U+FFFD."""
    if name.isascii():
        return name
    return _SURROGATE.sub("\ufffd", name)


def iter_records(
    inputs: Sequence[str],
    *,
    text_field: str = "text",
    id_field: str = "id",
    stdin: IO[bytes] | None = None,
) -> Iterator[InputRecord]:
    """Every record of every input (folders expanded, `-` = JSONL on stdin), in order."""
    return as_records(iter_units(inputs, text_field=text_field, id_field=id_field, stdin=stdin))


def iter_units(
    inputs: Sequence[str],
    *,
    text_field: str = "text",
    id_field: str = "id",
    stdin: IO[bytes] | None = None,
    jsonl_lines: int = 0,
) -> Iterator[Unit]:
    """`iter_records`, except that with `jsonl_lines` > 0 JSONL inputs come as `JsonlLines`
    blocks of that many lines (`infer.jsonl_reader`), left unparsed."""
    from infer.jsonl_reader import jsonl_units  # imports this module

    for given in inputs:
        if given == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from jsonl_units(STDIN_NAME, stream, text_field, id_field, jsonl_lines)
            continue
        listed = _walk(given) if os.path.isdir(given) else [(given, None)]
        for name, error in listed:
            if error is not None:
                shown = printable(name)
                yield failed_record(shown, f"{shown}:0", f"cannot read folder: {error}")
            else:
                yield from _file_units(
                    Path(name), printable(name), text_field, id_field, jsonl_lines
                )


def as_records(units: Iterable[Unit]) -> Iterator[InputRecord]:
    """The records of `iter_units`' units, in order (`JsonlLines` parsed)."""
    for unit in units:
        if isinstance(unit, InputRecord):
            yield unit
        else:
            yield from unit.records()


def read_file(
    path: Path, name: str, *, text_field: str = "text", id_field: str = "id"
) -> Iterator[InputRecord]:
    """The records of one file as `iter_records` reads it, their sources naming it `name`; one
    error record (source `name:0`) if it cannot be read."""
    return as_records(_file_units(path, name, text_field, id_field, 0))


def _file_units(
    path: Path, name: str, text_field: str, id_field: str, jsonl_lines: int
) -> Iterator[Unit]:
    """`read_file`'s records, JSONL lines left unparsed as in `iter_units`."""
    from infer.jsonl_reader import jsonl_units  # imports this module

    kind = kind_of(path)
    if kind is None:
        yield failed_record(
            name,
            f"{name}:0",
            f"unsupported input type (expected {', '.join(KINDS)}, optionally .gz, a folder or -)",
        )
        return
    if kind == ".parquet":  # pyarrow is imported only when a Parquet file is read
        from infer.parquet_reader import parquet_records

        yield from parquet_records(path, name, text_field=text_field, id_field=id_field)
        return
    try:
        handle = _open(path)
    except READ_ERRORS as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        yield failed_record(name, f"{name}:0", f"cannot read input: {reason}")
        return
    with handle:
        if kind == ".jsonl":
            yield from jsonl_units(name, handle, text_field, id_field, jsonl_lines)
        elif kind == ".csv":
            from infer.csv_reader import read_csv  # imports this module

            yield from guarded(name, read_csv(name, handle, text_field, id_field))
        else:
            yield from guarded(name, _txt(name, handle))


def _open(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed on the fly when it ends in .gz, as UTF-8 when it starts
    with a UTF-16 or UTF-32 byte-order mark."""
    gzipped = path.suffix.lower() == ".gz"
    handle: IO[bytes] = gzip.open(path, "rb") if gzipped else path.open("rb")  # noqa: SIM115
    try:
        head = handle.peek(4)[:4]  # type: ignore[attr-defined]
        encoding = next((enc for bom, enc in BOMS if head.startswith(bom)), None)
    except BaseException:
        handle.close()
        raise
    return handle if encoding is None else _Utf8Lines(handle, encoding)


class _Utf8Lines(io.RawIOBase):
    """A UTF-16/32 stream (with its byte-order mark) re-encoded as UTF-8 lines."""

    def __init__(self, handle: IO[bytes], encoding: str) -> None:
        super().__init__()
        self._text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="\n")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def __next__(self) -> bytes:
        line = self._text.readline()
        if not line:
            raise StopIteration
        return line.encode("utf-8")

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            data, self._pending = self._pending + self._text.read().encode("utf-8"), b""
            return data
        while len(self._pending) < size:  # n characters are at least n bytes of UTF-8
            chunk = self._text.read(size - len(self._pending))
            if not chunk:
                break
            self._pending += chunk.encode("utf-8")
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def close(self) -> None:
        self._text.close()
        super().close()


def guarded(name: str, records: Iterator[InputRecord]) -> Iterator[InputRecord]:
    """Pass records through; a read failure mid-file (e.g. corrupt gzip) becomes an error record
    at the line after the last record."""
    last: InputRecord | None = None
    try:
        for record in records:
            last = record
            yield record
    except READ_ERRORS as exc:
        line = 0 if last is None else int(last.source.rsplit(":", 1)[1])
        source = f"{name}:{line + 1}"
        yield failed_record(source, source, f"cannot read input: {exc}")


def table_record(
    id_value: object, source: str, text: object, field: str, *, error: str | None = None
) -> InputRecord:
    """The record of one row of a table (a Parquet file, a data frame column), scored by the same
    rules as a JSONL line: the id from `id_value` (default: `source`); a `text` that is missing,
    not a string or empty is an error record; bytes are decoded (bad bytes replaced, with a
    warning). `error` (e.g. the table has no text column) makes it that error record."""
    record_id = record_id_of(id_value, source)
    if error is not None:
        return failed_record(record_id, source, error)
    warnings = []
    if isinstance(text, bytes):
        text, bad = decode(text)
        if bad:
            warnings.append(BAD_UTF8)
    return document_record(record_id, source, text, field, warnings)


def failed_record(record_id: str, source: str, error: str) -> InputRecord:
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


def decoded_lines(handle: Iterable[bytes], first: int = 1) -> Iterator[tuple[int, str, bool]]:
    """(line number, decoded line, had bad bytes) for each line; a leading BOM is dropped."""
    for number, raw in enumerate(handle, start=first):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        text, bad = decode(raw)
        yield number, text, bad


def document_record(
    record_id: str, source: str, text: object, field: str | None, warnings: list[str]
) -> InputRecord:
    """A record to score from a text field's value, or the error explaining why it cannot be."""
    what = "document" if field is None else f"text field {field!r}"
    if text is None:
        return failed_record(record_id, source, f"missing {what}")
    if not isinstance(text, str):
        return failed_record(
            record_id, source, f"{what} is not a string (got {type(text).__name__})"
        )
    if not text.strip():
        return failed_record(record_id, source, f"{what} is empty")
    text, cut = clip(text)
    if cut:
        warnings.append(TRUNCATED)
    return InputRecord(id=record_id, source=source, text=text, warnings=tuple(warnings))


def record_id_of(value: object, source: str) -> str:
    """The record's id as a string; `file:line` when it has none."""
    if value is None or value == "":
        return source
    return value if isinstance(value, str) else json.dumps(value)


def jsonl_slice(
    name: str, handle: IO[bytes], first_line: int, *, text_field: str = "text", id_field: str = "id"
) -> Iterator[InputRecord]:
    """The records of a slice of a JSONL file whose first line is line `first_line` of `name`
    (cluster engines read big files in slices; sources and ids match a whole-file read)."""
    from infer.jsonl_reader import jsonl_records  # imports this module

    return guarded(name, jsonl_records(name, handle, text_field, id_field, first_line))


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
            text = raw[: exc.start].decode("utf-8")  # the cut split a character
        else:
            text, _ = decode(raw)
            warnings.append(BAD_UTF8)
    if cut:
        warnings.append(TRUNCATED)
    yield document_record(name, f"{name}:1", text, None, warnings)
