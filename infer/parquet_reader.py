"""Read input records out of a Parquet file (pyarrow, imported only when Parquet is read).

A row is one record; its source is `file:row` (rows counted from 1 across the whole file, like
lines of a JSONL file), and its id comes from the id column (default: the source). The text
column may be a string or a binary column; undecodable bytes in a binary one are replaced and
the record gets the same warning as a non-UTF-8 line of a JSONL file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from infer.readers import READ_ERRORS, InputRecord, table_record

BATCH_ROWS = 4096


def row_groups(path: str | Path) -> list[int]:
    """The number of rows of each row group of a Parquet file."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    return [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]


def parquet_records(
    path: str | Path,
    name: str,
    *,
    text_field: str = "text",
    id_field: str = "id",
    groups: Sequence[int] | None = None,
) -> Iterator[InputRecord]:
    """One record per row (of the given row groups, default all); an unreadable file is one
    error record with source `name:0`."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        needs = "reading Parquet needs pyarrow: pip install 'threat-tagger[parquet]'"
        yield table_record(name, f"{name}:0", None, text_field, error=needs)
        return
    try:
        handle = pq.ParquetFile(path)
    except (*READ_ERRORS, pa.ArrowException) as exc:
        yield table_record(
            name, f"{name}:0", None, text_field, error=f"cannot read Parquet input: {exc}"
        )
        return
    columns = handle.schema_arrow.names
    chosen = list(range(handle.num_row_groups)) if groups is None else list(groups)
    sizes = [handle.metadata.row_group(i).num_rows for i in range(handle.num_row_groups)]
    row = sum(sizes[: chosen[0]]) if chosen else 0
    missing = (
        None
        if text_field in columns
        else (
            f"no {text_field!r} column (columns: {', '.join(map(repr, columns))}); "
            f"pick one with --text-field"
        )
    )
    wanted = [c for c in (text_field, id_field) if c in columns] or columns[:1]
    with handle:
        for group in chosen:
            try:
                batches = handle.iter_batches(
                    batch_size=BATCH_ROWS, row_groups=[group], columns=wanted
                )
                for batch in batches:
                    texts = _column(batch, text_field)
                    ids = _column(batch, id_field)
                    for i in range(batch.num_rows):
                        row += 1
                        source = f"{name}:{row}"
                        yield table_record(ids[i], source, texts[i], text_field, error=missing)
            except (*READ_ERRORS, pa.ArrowException) as exc:
                source = f"{name}:{row + 1}"
                yield table_record(
                    source, source, None, text_field, error=f"cannot read Parquet input: {exc}"
                )
                return


def _column(batch: object, field: str) -> list[object]:
    """A column of a record batch as Python values (all None when the column is absent)."""
    names = batch.schema.names  # type: ignore[attr-defined]
    if field not in names:
        return [None] * batch.num_rows  # type: ignore[attr-defined]
    return batch.column(names.index(field)).to_pylist()  # type: ignore[attr-defined]
