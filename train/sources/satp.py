"""Convert the SATP benchmark CSV (text,ArmedAssault,Bombing,Kidnapping,Other,split)."""

from __future__ import annotations

from pathlib import Path

from train.sources.base import (
    Annotation,
    Conversion,
    clean_text,
    make_record,
    read_rows,
    types_in,
)

SOURCE = "satp"
OTHER_SOURCE = "satp:other"
REGION = "South Asia"

# Label column -> incident types it implies.
LABEL_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ArmedAssault", ("armed_assault",)),
    ("Bombing", ("bombing",)),
    ("Kidnapping", ("kidnap",)),
    # why: "Other" lumps arson, targeted killings, ambushes and encounters together; no single
    # type of ours fits, so it adds no label (as ConfliBERT's "relevant" setting expects: an
    # Other-only story should get none of our three types). Such a row IS an attack report of an
    # unnamed type, so it is kept but marked with source OTHER_SOURCE: a run that wants clean
    # negatives can leave it out, and benchmarks can find SATP's "any label" stories.
    ("Other", ()),
)
COLUMNS = ("text", *(column for column, _labels in LABEL_COLUMNS), "split")
# SATP names 3 of our types; an unflagged story is not an attack, an Other-only one is.
ANNOTATIONS = {
    SOURCE: Annotation(types_in(labels for _, labels in LABEL_COLUMNS), negatives=True),
    OTHER_SOURCE: Annotation(types_in(labels for _, labels in LABEL_COLUMNS), negatives=False),
}
_TRUE = {"1", "1.0", "true", "yes"}


def convert(path: str | Path) -> Conversion:
    """Convert SATP rows: unlabelled rows are negatives, Other-only rows marked, empty dropped."""
    result = Conversion()
    for index, row in enumerate(read_rows(path, COLUMNS)):
        text = clean_text(row["text"])
        # pandas-style exports write missing texts as "nan".
        if not text or text.lower() == "nan":
            result.dropped["empty text"] += 1
            continue
        flagged = [
            column for column, _implied in LABEL_COLUMNS if row[column].strip().lower() in _TRUE
        ]
        labels = [
            label for column, implied in LABEL_COLUMNS if column in flagged for label in implied
        ]
        source = OTHER_SOURCE if flagged and not labels else SOURCE
        split = row["split"].strip() or None
        # The five countries are mixed and unnamed per row: region only, country null.
        result.records.append(
            make_record(
                f"{SOURCE}-{index:06d}", text, labels, source=source, region=REGION, split=split
            )
        )
    return result
