"""Convert CASE 2021 task 2 snippets (id, EventSnippet, SubType in ACLED's taxonomy)."""

from __future__ import annotations

from pathlib import Path

from train.sources.acled_types import CASE_CODES, SUB_EVENT_TYPES, labels_or_drop
from train.sources.base import Annotation, Conversion, clean_text, make_record, read_rows, types_in

SOURCE = "case"
# The types ACLED's sub-event table gives; protests, arrests and the like are negatives.
ANNOTATIONS = {SOURCE: Annotation(types_in(SUB_EVENT_TYPES.values()), negatives=True)}
COLUMNS = ("id", "EventSnippet", "SubType")


def convert(path: str | Path) -> Conversion:
    """Convert the CASE TSV; ambiguous or unknown sub-types are dropped and counted."""
    result = Conversion()
    for index, row in enumerate(read_rows(path, COLUMNS, delimiter="\t")):
        code = row["SubType"].strip()
        text = clean_text(row["EventSnippet"])
        if not text:
            result.dropped["empty text"] += 1
            continue
        labels = labels_or_drop(result, CASE_CODES.get(code.upper(), code), "SubType", code)
        if labels is None:
            continue
        record_id = f"{SOURCE}-{row['id'].strip() or f'{index:06d}'}"
        result.records.append(make_record(record_id, text, labels, source=SOURCE))
    return result
