"""Convert the SATP benchmark CSV (text,ArmedAssault,Bombing,Kidnapping,Other,split)."""

from __future__ import annotations

from pathlib import Path

from train.sources.base import Conversion, clean_text, make_record, read_rows

SOURCE = "satp"
REGION = "South Asia"

# Label column -> incident types it implies.
LABEL_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ArmedAssault", ("armed_assault",)),
    ("Bombing", ("bombing",)),
    ("Kidnapping", ("kidnap",)),
    # why: "Other" lumps arson, targeted killings, ambushes and encounters together; no single
    # type of ours fits, so it adds no label. A row whose ONLY 1 is Other is still an attack
    # report: labelling it [] ("not an attack") would be a false negative, so it is dropped.
    ("Other", ()),
)
COLUMNS = ("text", *(column for column, _labels in LABEL_COLUMNS), "split")
_TRUE = {"1", "1.0", "true", "yes"}


def convert(path: str | Path) -> Conversion:
    """Convert SATP rows: unlabelled rows are negatives; empty and Other-only rows are dropped."""
    result = Conversion()
    for index, row in enumerate(read_rows(path, COLUMNS)):
        text = clean_text(row["text"])
        # pandas-style exports write missing texts as "nan".
        if not text or text.lower() == "nan":
            result.dropped["empty text"] += 1
            continue
        flagged = [column for column, _implied in LABEL_COLUMNS
                   if row[column].strip().lower() in _TRUE]
        labels = [label for column, implied in LABEL_COLUMNS if column in flagged
                  for label in implied]
        if flagged and not labels:
            result.dropped["attack of an unnamed type (only Other)"] += 1
            continue
        split = row["split"].strip() or None
        # The five countries are mixed and unnamed per row: region only, country null.
        result.records.append(
            make_record(f"{SOURCE}-{index:06d}", text, labels, source=SOURCE, region=REGION,
                        split=split)
        )
    return result
