"""Convert an ACLED export CSV (event_id_cnty, event_date, sub_event_type, country, notes)."""

from __future__ import annotations

import datetime
from pathlib import Path

from train.sources.acled_types import SUB_EVENT_TYPES, labels_or_drop
from train.sources.base import (
    Annotation,
    Conversion,
    clean_text,
    lookup_country,
    make_record,
    read_rows,
    types_in,
)

SOURCE = "acled"
# The types ACLED's sub-event table gives; protests, arrests and the like are negatives.
ANNOTATIONS = {SOURCE: Annotation(types_in(SUB_EVENT_TYPES.values()), negatives=True)}
COLUMNS = (
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "region",
    "country",
    "notes",
)
# ACLED has written event_date as "25 January 2021", "2021-01-25" and "25-January-2021".
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d/%m/%Y")


def parse_date(raw: str) -> str | None:
    """Parse an ACLED event_date to ISO, else None."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(raw.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    return None


def convert(path: str | Path) -> Conversion:
    """Convert ACLED events; ambiguous or unknown sub-event types are dropped and counted."""
    result = Conversion()
    for index, row in enumerate(read_rows(path, COLUMNS)):
        text = clean_text(row["notes"])
        if not text:
            result.dropped["empty notes"] += 1
            continue
        sub_type = row["sub_event_type"].strip()
        labels = labels_or_drop(result, sub_type, "sub_event_type", sub_type)
        if labels is None:
            continue
        # ACLED's region names differ from the GTD's: the region comes from the country.
        raw_country = row["country"].strip()
        country = lookup_country(raw_country)
        if country is None and raw_country:
            result.unmapped[f"country: {raw_country}"] += 1
        event_id = row["event_id_cnty"].strip() or f"{index:06d}"
        result.records.append(
            make_record(
                f"{SOURCE}-{event_id}",
                text,
                labels,
                source=SOURCE,
                country=country,
                date=parse_date(row["event_date"]),
            )
        )
    return result
