"""Cut the inputs of `score` into splits that cluster workers read and score on their own.

A split is a whole file, a line range of a big plain .jsonl file (cut at line ends, with its
first line number, so sources match a whole-file read), the row groups of a Parquet file, or
records read on the driver (stdin) that travel inside the split. Part `i` of the output holds
split `i`'s records in input order, so the parts in name order are exactly `score`'s output.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from infer.readers import (
    BOMS,
    STDIN,
    InputRecord,
    expand_inputs,
    iter_records,
    jsonl_slice,
    kind_of,
    printable,
    read_file,
)

SPLIT_BYTES = 32 << 20  # a JSONL slice of ~32 MB: ~10-30 s of scoring for one worker
SPLIT_ROWS = 50_000  # Parquet row groups are merged up to this many rows per split
STDIN_RECORDS = 20_000  # records from stdin per split
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Split:
    """One unit of work: `kind` is 'file', 'lines', 'rowgroups' or 'inline'."""

    index: int
    name: str
    kind: str
    start: int = 0  # byte offset ('lines')
    end: int = 0  # byte offset past the slice ('lines')
    first_line: int = 1  # line number of the slice's first line ('lines')
    groups: tuple[int, ...] = ()  # row groups ('rowgroups')
    records: tuple[InputRecord, ...] = ()  # the records themselves ('inline')
    path: str = ""  # the file's absolute path (workers may run in another folder)

    def describe(self) -> str:
        """Where the split's records come from, for messages."""
        if self.kind == "lines":
            return f"{self.name} from line {self.first_line}"
        if self.kind == "rowgroups":
            return f"{self.name} row groups {self.groups[0]}-{self.groups[-1]}"
        if self.kind == "inline" and self.records:
            return f"{self.records[0].source} to {self.records[-1].source}"
        return self.name


def plan_splits(
    inputs: Sequence[str],
    *,
    split_bytes: int = SPLIT_BYTES,
    split_rows: int = SPLIT_ROWS,
    text_field: str = "text",
    id_field: str = "id",
) -> list[Split]:
    """The splits of all inputs (folders expanded), numbered in input order."""
    splits: list[Split] = []
    for name in expand_inputs(inputs):
        if name == STDIN:
            parts = _stdin_splits(text_field, id_field)
        else:
            parts = _file_splits(name, split_bytes, split_rows)
        for part in parts:
            splits.append(Split(index=len(splits), **part))
    return splits


def _stdin_splits(text_field: str, id_field: str) -> Iterator[dict[str, Any]]:
    """Splits carrying stdin's records (stdin is only readable on the driver)."""
    records = iter_records([STDIN], text_field=text_field, id_field=id_field)
    while chunk := tuple(islice(records, STDIN_RECORDS)):
        yield {"name": STDIN, "kind": "inline", "records": chunk}


def _file_splits(name: str, split_bytes: int, split_rows: int) -> Iterator[dict[str, Any]]:
    """One file's splits: slices of a big plain .jsonl, row groups of a Parquet, else whole."""
    path = Path(name)
    where = {"name": name, "path": os.path.abspath(name)}
    kind = kind_of(path)
    plain = path.suffix.lower() != ".gz"
    try:
        size = path.stat().st_size if path.is_file() else -1
    except OSError:
        size = -1
    if kind == ".jsonl" and plain and size > split_bytes and not _utf16_or_32(path):
        yield from (
            {**where, "kind": "lines", "start": s, "end": e, "first_line": first}
            for s, e, first in line_slices(path, split_bytes)
        )
    elif kind == ".parquet" and size > 0:
        yield from ({**where, **part} for part in _rowgroup_splits(name, split_rows))
    else:
        yield {**where, "kind": "file"}


def _utf16_or_32(path: Path) -> bool:
    """Whether a file starts with a UTF-16/32 byte-order mark (read whole: not sliceable)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    return any(head.startswith(bom) for bom, _ in BOMS)


def line_slices(path: Path, split_bytes: int) -> Iterator[tuple[int, int, int]]:
    """(start, end, first line number) of slices of about `split_bytes`, cut after a newline."""
    start, first, lines, position = 0, 1, 0, 0
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            offset = 0
            while position + len(block) - start >= split_bytes:
                cut = block.find(b"\n", max(start + split_bytes - position - 1, offset))
                if cut < 0:
                    break
                lines += block.count(b"\n", offset, cut + 1)
                offset = cut + 1
                yield start, position + offset, first
                start, first = position + offset, lines + 1
            lines += block.count(b"\n", offset)
            position += len(block)
    if position > start:
        yield start, position, first


def _rowgroup_splits(name: str, split_rows: int) -> Iterator[dict[str, Any]]:
    """Runs of consecutive row groups of up to `split_rows` rows (at least one group each)."""
    from infer.parquet_reader import row_groups

    try:
        sizes = row_groups(name)
    except Exception:  # unreadable: the worker reads it whole and reports the error record
        yield {"kind": "file"}
        return
    run: list[int] = []
    rows = 0
    for group, size in enumerate(sizes):
        if run and rows + size > split_rows:
            yield {"kind": "rowgroups", "groups": tuple(run)}
            run, rows = [], 0
        run.append(group)
        rows += size
    if run:
        yield {"kind": "rowgroups", "groups": tuple(run)}
    elif not sizes:
        yield {"kind": "file"}


def read_split(
    split: Split, *, text_field: str = "text", id_field: str = "id"
) -> Iterator[InputRecord]:
    """The input records of one split, exactly as `score` reads them (sources name the input
    as given; the file is opened at its absolute path)."""
    shown, path = printable(split.name), Path(split.path or split.name)
    if split.kind == "inline":
        yield from split.records
    elif split.kind == "lines":
        with path.open("rb") as handle:
            handle.seek(split.start)
            data = handle.read(split.end - split.start)
        yield from jsonl_slice(
            shown, io.BytesIO(data), split.first_line, text_field=text_field, id_field=id_field
        )
    elif split.kind == "rowgroups":
        from infer.parquet_reader import parquet_records

        yield from parquet_records(
            path, shown, text_field=text_field, id_field=id_field, groups=split.groups
        )
    elif path.is_dir():  # a folder that could not be listed: its error record
        yield from iter_records([split.name], text_field=text_field, id_field=id_field)
    else:
        yield from read_file(path, shown, text_field=text_field, id_field=id_field)
