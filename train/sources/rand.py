"""Convert the RAND Database of Worldwide Terrorism Incidents (weak labels from `Weapon`)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from train.sources.base import (
    Annotation,
    Conversion,
    clean_text,
    lookup_country,
    make_record,
    read_rows,
    types_in,
)

SOURCE = "rand:weak"
ID_PREFIX = "rand"
COLUMNS = ("Date", "Country", "Weapon", "Description")

# Weapon -> incident types it safely implies; an empty tuple: implies nothing safe (row dropped,
# since every RAND row is an attack and [] would claim "not an attack report").
WEAPON_LABELS: dict[str, tuple[str, ...]] = {
    "Explosives": ("bombing",),
    "Remote-detonated explosive": ("bombing",),
    # why: RAND's fire/firebomb incidents are overwhelmingly torched buildings, vehicles and
    # offices; the GTD codes incendiary attacks on property as facility/infrastructure attack.
    "Fire or Firebomb": ("facility_attack",),
    # why: a firearms attack on people is the GTD's armed assault; co-occurring kidnappings or
    # assassinations go unlabelled, which is why the source is marked weak.
    "Firearms": ("armed_assault",),
    # why: the GTD's armed assault includes attacks with knives and other sharp instruments.
    "Knives & sharp objects": ("armed_assault",),
    "Unknown": (),
    "Other": (),
    # why: the GTD codes chemical/biological attacks as unarmed assault, not one of our types.
    "Chemical Agent": (),
    "Biological Agent": (),
}
# Weak labels: only what the weapon implies; every row is an attack (no negatives).
ANNOTATIONS = {SOURCE: Annotation(types_in(WEAPON_LABELS.values()), negatives=False)}

# A leading all-caps country dateline ("ARGENTINA.  ", "UNITED STATES - ",
# "MYANMAR (formerly Burma).  "); no dots inside, so "U.S. Embassy" is left alone.
_CAPS_DATELINE = re.compile(
    r"^\s*(?P<name>[A-Z][A-Z'&/, -]*[A-Z])(?:\s*\([^)]*\))?(?P<sep>\.\s+|\s+-\s+)"
)
# A short mixed-case place dateline left before the text ("Gaza Strip.  ", "California.  ").
_PLACE_DATELINE = re.compile(r"^\s*(?P<name>[A-Z][\w'-]*(?: [\w'-]+){0,3})\.\s{2,}")


def strip_dateline(text: str) -> str:
    """Remove a leading country dateline ("ARGENTINA.  The second floor..." -> "The second...")."""
    match = _CAPS_DATELINE.match(text)
    if match and (
        (match["sep"].startswith(". ") and match["sep"] != ". ")
        or " - " in match["sep"]
        or lookup_country(match["name"]) is not None
    ):
        text = text[match.end() :]
    place = _PLACE_DATELINE.match(text)
    if place and lookup_country(place["name"]) is not None:
        text = text[place.end() :]
    return text.strip()


def parse_date(raw: str) -> str | None:
    """Return the ISO date of a RAND `Date` cell ("1968-02-09"), else None."""
    try:
        return datetime.date.fromisoformat(raw.strip()[:10]).isoformat()
    except ValueError:
        return None


def convert(path: str | Path) -> Conversion:
    """Convert RAND rows; rows whose weapon implies no safe incident type are dropped."""
    result = Conversion()
    for index, row in enumerate(read_rows(path, COLUMNS)):
        weapon = row["Weapon"].strip()
        labels = WEAPON_LABELS.get(weapon)
        if labels is None:
            result.unmapped[f"weapon: {weapon}"] += 1
            result.dropped["weapon unmapped"] += 1
            continue
        if not labels:
            result.dropped[f"weapon implies no safe type ({weapon})"] += 1
            continue
        text = clean_text(strip_dateline(row["Description"]))
        if not text:
            result.dropped["empty description"] += 1
            continue
        raw_country = row["Country"].strip()
        country = lookup_country(raw_country)
        if country is None and raw_country:
            result.unmapped[f"country: {raw_country}"] += 1
        result.records.append(
            make_record(
                f"{ID_PREFIX}-{index:06d}",
                text,
                labels,
                source=SOURCE,
                country=country,
                date=parse_date(row["Date"]),
            )
        )
    return result
