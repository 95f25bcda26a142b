"""Convert ordinary_news.csv (id,source,category,text): real news items that report no attack."""

from __future__ import annotations

from pathlib import Path

from infer.taxonomy import INCIDENT_TYPES
from train.sources.base import Annotation, Conversion, clean_text, make_record, read_rows

SOURCE = "ordinary_news"
ID_PREFIX = "news"
COLUMNS = ("id", "source", "category", "text")

# The file's `source` column -> the record's source, so that a run can weigh each publisher
# (corpora.source_weights) and a benchmark can hold one publisher out. Every row is a negative:
# the file was built from news classes and wire topics that report no attack (its README).
PUBLISHERS: dict[str, str] = {
    "ag_news": f"{SOURCE}:ag_news",
    "reuters21578": f"{SOURCE}:reuters21578",
}
UNKNOWN_CATEGORY = "none"
# Ordinary news reports no attack: every type annotated (absent), every record a negative.
ANNOTATIONS = {SOURCE: Annotation(INCIDENT_TYPES, negatives=True)}


def publisher_source(publisher: str) -> str | None:
    """The record source of a publisher named in the file's `source` column (None: unknown)."""
    return PUBLISHERS.get(publisher.strip().lower())


def category_of(raw: str) -> str:
    """The first of a row's `|`-joined categories (Reuters topics), lower-case; "none" if empty."""
    first = raw.split("|", 1)[0].strip().lower()
    return first or UNKNOWN_CATEGORY


def record_id(raw_id: str, index: int) -> str:
    """The canonical id of a row (its own id, else its row index)."""
    return f"{ID_PREFIX}-{raw_id.strip() or f'{index:06d}'}"


def convert(path: str | Path) -> Conversion:
    """Convert every row to a record with no incident type; empty texts and rows of an unknown
    publisher are dropped and counted."""
    result = Conversion()
    for index, row in enumerate(read_rows(path, COLUMNS)):
        text = clean_text(row["text"])
        if not text:
            result.dropped["empty text"] += 1
            continue
        source = publisher_source(row["source"])
        if source is None:
            result.dropped["unknown publisher"] += 1
            result.unmapped[f"source={row['source'].strip()}"] += 1
            continue
        result.records.append(make_record(record_id(row["id"], index), text, [], source=source))
    return result


def categories(path: str | Path) -> dict[str, str]:
    """Record id -> the row's first category (for false-tag shares per category)."""
    return {
        record_id(row["id"], index): category_of(row["category"])
        for index, row in enumerate(read_rows(path, COLUMNS))
    }
