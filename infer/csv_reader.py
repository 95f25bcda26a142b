"""CSV input: one record per row of a file with a header, quotes parsed strictly.

A row whose quote is never closed (or is closed in the middle of a field) becomes an error
record, and the lines it swallowed are read again as rows: one bad quote costs one record.
"""

from __future__ import annotations

import csv
import sys
from collections import deque
from collections.abc import Iterator
from typing import IO

from infer.readers import (
    BAD_UTF8,
    InputRecord,
    decoded_lines,
    document_record,
    failed_record,
    record_id_of,
)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class _RowLines:
    """Decoded lines for csv.reader that remembers the lines of the row being read, so that
    a row broken by a stray quote can give back all but its first line to be read again."""

    def __init__(self, lines: Iterator[tuple[int, str, bool]]) -> None:
        self._lines = lines
        self._again: deque[tuple[int, str, bool]] = deque()
        self.row: list[tuple[int, str, bool]] = []

    def __iter__(self) -> _RowLines:
        return self

    def __next__(self) -> str:
        line = self._again.popleft() if self._again else next(self._lines)
        self.row.append(line)
        return line[1]

    def next_row(self) -> None:
        """Start a new row."""
        self.row = []

    def read_again(self) -> None:
        """Give back the current row's lines after its first one."""
        self._again.extendleft(reversed(self.row[1:]))


def read_csv(name: str, handle: IO[bytes], text_field: str, id_field: str) -> Iterator[InputRecord]:
    """One record per row of a CSV file with a header (quoted fields may span lines).

    Quotes are parsed strictly: a row whose quote is never closed, or closed in the middle of
    a field, is an error record, and the lines it swallowed are read again as rows.
    """
    lines = _RowLines(decoded_lines(handle))
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        lines.read_again()
        header = [f"malformed CSV header on line 1: {exc}"]
        missing = f"malformed CSV header on line 1 ({exc}); no column can be found"
    else:
        if header is None:
            return
        missing = None
    columns = {column.strip(): i for i, column in reversed(list(enumerate(header)))}
    text_col, id_col = columns.get(text_field), columns.get(id_field)
    if missing is None and text_col is None:
        missing = (
            f"no {text_field!r} column (columns: {', '.join(map(repr, header))}); "
            f"pick one with --text-field"
        )
    while True:
        lines.next_row()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            source = f"{name}:{lines.row[0][0]}"
            record_id = _first_line_id(lines.row[0][1], id_col, source)
            if len(lines.row) > 1:
                lines.read_again()
                yield failed_record(
                    record_id,
                    source,
                    f"malformed CSV: a quote opened in this row is not closed where "
                    f"a field ends ({exc}); the lines after it are read again as rows",
                )
            else:
                yield failed_record(record_id, source, f"malformed CSV: {exc}")
            continue
        if not row:
            continue
        source = f"{name}:{lines.row[0][0]}"
        warnings = [BAD_UTF8] if any(bad for _, _, bad in lines.row) else []
        record_id = record_id_of(
            row[id_col] if id_col is not None and id_col < len(row) else None, source
        )
        if missing is not None:
            yield failed_record(record_id, source, missing)
            continue
        assert text_col is not None
        text = row[text_col] if text_col < len(row) else None
        yield document_record(record_id, source, text, text_field, warnings)


def _first_line_id(line: str, id_col: int | None, source: str) -> str:
    """The id of a malformed row, read leniently from its first line (else `file:line`)."""
    try:
        cells = next(csv.reader([line.rstrip("\r\n")]), [])
    except csv.Error:
        cells = []
    return record_id_of(
        cells[id_col] if id_col is not None and id_col < len(cells) else None, source
    )
