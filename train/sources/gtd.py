"""Convert a Global Terrorism Database export (CSV, or XLSX as the publisher distributes it)."""

from __future__ import annotations

from pathlib import Path

from infer.taxonomy import REGIONS, region_of
from train.sources.base import (
    Annotation,
    Conversion,
    clean_text,
    iso_date,
    lookup_country,
    make_record,
    read_rows,
    types_in,
)

SOURCE = "gtd"
ATTACK_COLUMNS = ("attacktype1_txt", "attacktype2_txt", "attacktype3_txt")
COLUMNS = (
    "eventid",
    "iyear",
    "imonth",
    "iday",
    "country_txt",
    "region_txt",
    *ATTACK_COLUMNS,
    "summary",
)

# GTD attack type -> incident types; an empty tuple implies none of ours.
ATTACK_TYPES: dict[str, tuple[str, ...]] = {
    "Assassination": ("assassination",),
    "Armed Assault": ("armed_assault",),
    "Bombing/Explosion": ("bombing",),
    "Hijacking": ("hijacking",),
    "Hostage Taking (Barricade Incident)": ("kidnap",),
    "Hostage Taking (Kidnapping)": ("kidnap",),
    "Facility/Infrastructure Attack": ("facility_attack",),
    # why: unarmed assault (incl. chemical attacks and vehicle rammings) has no type of ours;
    # a record with no other type is an attack, so it is dropped rather than labelled [].
    "Unarmed Assault": (),
    "Unknown": (),
}
# The GTD has no ambush type, and holds attacks only (no negatives).
ANNOTATIONS = {SOURCE: Annotation(types_in(ATTACK_TYPES.values()), negatives=False)}
_EMPTY_CELLS = {"", ".", "nan"}


def convert(path: str | Path) -> Conversion:
    """Convert GTD rows; empty summaries and rows with no mappable attack type are dropped."""
    result = Conversion()
    for row in read_rows(path, COLUMNS):
        text = clean_text(row["summary"])
        if not text:
            result.dropped["empty summary"] += 1
            continue
        labels: list[str] = []
        for column in ATTACK_COLUMNS:
            raw = row[column].strip()
            if raw.lower() in _EMPTY_CELLS:
                continue
            if raw not in ATTACK_TYPES:
                result.unmapped[f"attack type: {raw}"] += 1
            labels.extend(ATTACK_TYPES.get(raw, ()))
        if not labels:
            result.dropped["no mappable attack type"] += 1
            continue
        country, region = _place(row, result)
        result.records.append(
            make_record(
                f"{SOURCE}-{row['eventid'].strip()}",
                text,
                labels,
                source=SOURCE,
                country=country,
                region=region,
                date=iso_date(row["iyear"], row["imonth"], row["iday"]),
            )
        )
    return result


def _place(row: dict, result: Conversion) -> tuple[str | None, str | None]:
    """Country and region of a GTD row: region from our table, cross-checked with region_txt."""
    raw_country = row["country_txt"].strip()
    gtd_region = row["region_txt"].strip()
    country = lookup_country(raw_country)
    if country is None:
        if raw_country:
            result.unmapped[f"country: {raw_country}"] += 1
        # "International" and the like: keep the GTD's region when it is one of the 12.
        return None, gtd_region if gtd_region in REGIONS else None
    region = region_of(country)
    if gtd_region and gtd_region != region:
        mismatch = f"region_txt mismatch: {raw_country} is {region!r}, not {gtd_region!r}"
        result.unmapped[mismatch] += 1
    return country, region
