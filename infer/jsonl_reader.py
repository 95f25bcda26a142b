"""JSONL input: one record per non-blank line, or the raw lines in blocks to parse elsewhere.

`score --jobs N` reads JSONL inputs as `JsonlLines` blocks: the parent only splits the input
into lines and the worker processes parse them, with the same sources, ids, errors and warnings
as a whole-input read here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from infer.readers import (
    BAD_UTF8,
    READ_ERRORS,
    SURROGATES,
    InputRecord,
    Unit,
    decoded_lines,
    document_record,
    failed_record,
    guarded,
    record_id_of,
)

BLOCK_BYTES = 16 << 20  # a block of raw lines ends once it holds this many bytes
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class JsonlLines:
    """Consecutive raw lines of a JSONL input, left for the process that scores them to parse:
    `records()` gives exactly the records a whole-input read gives for these lines."""

    name: str
    first_line: int  # the line number of lines[0] in `name`
    lines: list[bytes]
    text_field: str = "text"
    id_field: str = "id"

    def records(self) -> list[InputRecord]:
        """One record per non-blank line, its source naming the input and the line."""
        return list(
            jsonl_records(self.name, self.lines, self.text_field, self.id_field, self.first_line)
        )


def jsonl_units(
    name: str, handle: IO[bytes], text_field: str, id_field: str, block_lines: int
) -> Iterator[Unit]:
    """A JSONL stream's records; with `block_lines` > 0, its raw lines in `JsonlLines` blocks of
    that many lines (fewer past BLOCK_BYTES), left unparsed."""
    if block_lines <= 0:
        return guarded(name, jsonl_records(name, handle, text_field, id_field))
    return _line_blocks(name, handle, block_lines, text_field, id_field)


def _line_blocks(
    name: str, handle: IO[bytes], size: int, text_field: str, id_field: str
) -> Iterator[Unit]:
    """The lines of a stream in `JsonlLines` blocks; a read failure mid-stream gives the lines
    read before it, then the error record that `guarded` gives (at the line after the last
    record)."""
    first, last_record, held = 1, 0, 0
    block: list[bytes] = []
    try:
        for raw in handle:
            block.append(raw)
            held += len(raw)
            if len(block) >= size or held >= BLOCK_BYTES:
                last_record = _last_record_line(first, block) or last_record
                yield JsonlLines(name, first, block, text_field, id_field)
                first, block, held = first + len(block), [], 0
    except READ_ERRORS as exc:
        last_record = _last_record_line(first, block) or last_record
        if block:
            yield JsonlLines(name, first, block, text_field, id_field)
        source = f"{name}:{last_record + 1}"
        yield failed_record(source, source, f"cannot read input: {exc}")
        return
    if block:
        yield JsonlLines(name, first, block, text_field, id_field)


def _last_record_line(first: int, block: list[bytes]) -> int:
    """The number of the block's last line that holds a record (is not blank); 0 if none."""
    for offset in range(len(block) - 1, -1, -1):
        ((number, text, _),) = decoded_lines(block[offset : offset + 1], first + offset)
        if text.strip():
            return number
    return 0


def jsonl_records(
    name: str, lines: Iterable[bytes], text_field: str, id_field: str, first_line: int = 1
) -> Iterator[InputRecord]:
    """One record per non-blank line of a JSONL stream (or of a block of its lines)."""
    for number, line, bad in decoded_lines(lines, first_line):
        if not line.strip():
            continue
        source = f"{name}:{number}"
        try:
            obj: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            yield failed_record(source, source, f"malformed JSON: {exc.msg} (column {exc.colno})")
            continue
        except (ValueError, RecursionError) as exc:
            yield failed_record(source, source, f"malformed JSON: {exc}")
            continue
        if not isinstance(obj, dict):
            yield failed_record(source, source, f"not a JSON object (got {type(obj).__name__})")
            continue
        warnings = [BAD_UTF8] if bad else []
        record_id = record_id_of(_valid(obj.get(id_field), warnings), source)
        yield document_record(
            record_id, source, _valid(obj.get(text_field), warnings), text_field, warnings
        )


def _valid(value: object, warnings: list[str]) -> object:
    """A string from JSON with its lone surrogates replaced (noting it once in `warnings`)."""
    if not isinstance(value, str) or value.isascii() or not _SURROGATE.search(value):
        return value
    if SURROGATES not in warnings:
        warnings.append(SURROGATES)
    return _SURROGATE.sub("\ufffd", value)
