"""Tag a column of texts (a Dask partition, an Arrow batch) with the same rules as `score`.

Each text becomes the output columns of OUTPUT_COLUMNS: a text that cannot be scored (missing,
not a string, empty) gets an `error` and null tags; bytes are decoded like a file's lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from infer.batch import Scorer
from infer.predictor import Predictor
from infer.readers import InputRecord, table_record

OUTPUT_COLUMNS = (
    "incident_types",
    "probabilities",
    "region",
    "region_probability",
    "country",
    "country_name",
    "country_probability",
    "warning",
    "error",
)


def text_record(text: object, field: str, position: int) -> InputRecord:
    """The input record of one cell of the text column."""
    if (isinstance(text, float) and math.isnan(text)) or type(text).__name__ == "NAType":
        text = None  # pandas' missing values
    return table_record(None, str(position), text, field)


def tag_texts(
    texts: Sequence[object], predictor: Predictor, *, field: str = "text", batch_size: int = 1024
) -> dict[str, list[Any]]:
    """The output columns (OUTPUT_COLUMNS) for a column of texts, row for row."""
    scorer = Scorer(predictor)
    outputs: list[dict[str, Any]] = []
    for start in range(0, len(texts), batch_size):
        chunk = [
            text_record(t, field, start + i)
            for i, t in enumerate(texts[start : start + batch_size])
        ]
        outputs.extend(scorer(chunk))
    return {column: [out.get(column) for out in outputs] for column in OUTPUT_COLUMNS}


def check_columns(existing: Sequence[str], text_column: str) -> None:
    """Refuse a frame without the text column or that already has an output column."""
    if text_column not in existing:
        raise ValueError(f"no {text_column!r} column (columns: {', '.join(existing)})")
    clash = [c for c in OUTPUT_COLUMNS if c in existing]
    if clash:
        raise ValueError(
            f"the frame already has output column(s) {', '.join(clash)}; rename or drop them first"
        )
