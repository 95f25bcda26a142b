"""Convert Wikipedia "List of terrorist incidents" tables (date,type,...,location,details)."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
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

SOURCE = "wikipedia"
COLUMNS = ("date", "type", "location", "details")

# Ordered (regex, labels, why) table applied to each part of the `type` cell; the FIRST pattern
# that matches a part decides it, so specific patterns come before generic ones.
# An empty label tuple means "recognised, but implies no incident type".
TYPE_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        r"^unknown$|^various$|^other$|^government$|^car$",
        (),
        'no attack type stated ("car" is a fragment of a split cell)',
    ),
    (
        r"plot|false flag|threaten|trespass|rescue|interception|hacking|shutdown|counter-terror",
        (),
        "not an attack, or no violence against people or property",
    ),
    (
        r"shoot ?-?down|shotdown|helicopter crash",
        (),
        "downing an aircraft: the GTD splits these between bombing and facility attack",
    ),
    # why: a cell that joins two types with a space ("Bombing shooting", "Shooting hostage-taking",
    # "Suicide car bomb assassination") names both; first-match would keep only one of them.
    (
        r"bomb\w* shoot",
        ("bombing", "armed_assault"),
        "a bombing and a shooting written as one part",
    ),
    (
        r"shoot\w* hostage",
        ("armed_assault", "kidnap"),
        "a shooting and a hostage taking written as one part",
    ),
    (
        r"(shoot|gun)\w* assassinat",
        ("assassination", "armed_assault"),
        'an assassination by shooting, as "Shooting, assassination" cells are labelled',
    ),
    (
        r"bomb\w* assassinat",
        ("assassination", "bombing"),
        'an assassination by bombing, as "Bombing, assassination" cells are labelled',
    ),
    (r"hijack|skyjack|piracy", ("hijacking",), "seizure of an aircraft, vessel or vehicle"),
    (r"ambush", ("ambush",), "ambush (brings armed_assault with it)"),
    (r"assassinat", ("assassination",), "attack on a specific prominent person"),
    (r"kidnap|kidapping|abduct|hostage|capturing", ("kidnap",), "abduction or hostage taking"),
    (
        r"siege",
        ("kidnap",),
        "Wikipedia's sieges are mostly hostage/barricade incidents (GTD: hostage taking)",
    ),
    (
        r"unarmed|chemical|gas(sing| attack)|poison|bio ?attack|bioterror",
        (),
        "GTD codes these as unarmed assault, which our taxonomy does not have",
    ),
    (
        r"fire ?bomb|petrol bomb|molotov|incendiar",
        ("facility_attack",),
        "incendiary devices are thrown mostly at buildings and property",
    ),
    (
        r"firefight|firing|gunfire|gun ?battle|shoot|gunmen|sniper|^gun$|shooter",
        ("armed_assault",),
        "firearms attack on people",
    ),
    (
        r"bomb|explos|\bieds?\b|grenade|mortar|rocket|missile|shell|land ?mine|artillery"
        r"|air ?strike|air raid|drone|\brpg\b|atgm|dynamite|^roadside$|^suicide( attacks?)?$",
        ("bombing",),
        'explosive attacks incl. rockets, mortars and air strikes; a bare "suicide '
        'attack" in these lists nearly always is a suicide bombing',
    ),
    (
        r"vehic|ramming|car attack",
        (),
        "vehicle rammings are unarmed assault in the GTD; forcing armed_assault would mislabel",
    ),
    # why: a bare "burning" in these lists is burning people alive (6 of 7 cells), not arson.
    (
        r"arson|sabotag|vandal|derail|\bfire\b",
        ("facility_attack",),
        "the GTD classes arson and sabotage of property as facility attack",
    ),
    (
        r"stab|knife|machete|melee|axe|behead|decapitat|crucif|hanging",
        ("armed_assault",),
        "attack on people with blades or other weapons",
    ),
    (
        r"execut|execuction|massacre|murder|killing|genocide|^burning$",
        ("armed_assault",),
        "deliberate killing of people (incl. burning them alive); the GTD "
        "codes it as armed assault",
    ),
    (
        r"clash|fighting|offensive|skirmish|conflict|invasion",
        ("armed_assault",),
        "armed fighting, as ACLED's armed clash maps to armed_assault",
    ),
    (
        r"raid|attack|assault|arrack",
        ("armed_assault",),
        "a generic attack in these lists is mostly gunmen attacking people",
    ),
    (
        r"loot|pillage|theft|robb|riot|violence|stoning|stone|beating|jail ?break|prison break"
        r"|standoff|tortur|crushed|falling|freezing|drowning|burying|cut down|spike trap",
        (),
        "crime, riots, unarmed violence or a method of killing: no GTD attack type of ours",
    ),
    # why: "property takeover" occupies a building to hold hostages; the hostage taking it comes
    # with (always its own part) carries the type.
    (r"takeover", (), "occupying a building: the hostage taking or siege part carries the type"),
)
# The incident lists hold attacks only (no negatives).
ANNOTATIONS = {
    SOURCE: Annotation(types_in(labels for _, labels, _why in TYPE_PATTERNS), negatives=False)
}

_REMARK = re.compile(r"\([^)]*\)")
_SPLIT = re.compile(r",|;|/|\\|&|\+|\band\b|\bfollowed by\b")


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """Compile TYPE_PATTERNS once."""
    return tuple((re.compile(pattern), labels) for pattern, labels, _why in TYPE_PATTERNS)


def type_parts(raw: str) -> list[str]:
    """Split a raw `type` cell into normalised parts ("Shooting, kidnapping" -> 2 parts)."""
    # Parenthetical remarks ("(alleged)", "(apparent)") qualify a part without changing its type.
    raw = _REMARK.sub(" ", raw or "")
    parts = (clean_text(part).lower().strip(" .()*?") for part in _SPLIT.split(raw))
    return [part for part in parts if part]


def map_part(part: str) -> tuple[str, ...] | None:
    """Return the labels of one type part, () when it implies none, None when unrecognised."""
    for pattern, labels in _compiled():
        if pattern.search(part):
            return labels
    return None


def map_type(raw: str) -> tuple[list[str], list[str], bool]:
    """Map a raw `type` cell to (labels, unrecognised parts, whether any part was recognised)."""
    labels: list[str] = []
    unrecognised: list[str] = []
    parts = type_parts(raw)
    for part in parts:
        mapped = map_part(part)
        if mapped is None:
            unrecognised.append(part)
        else:
            labels.extend(mapped)
    return labels, unrecognised, len(unrecognised) < len(parts)


_DATE_FORMATS = ("%B %d %Y", "%d %B %Y", "%B %d, %Y")
# A day range ("February 19–28 1972") or list ("June 12 & 13 1990"): keep the first day.
_DAY_RANGE = re.compile(r"^(\w+ \d{1,2})\s*(?:[-–]|&|and|or|/|,)\s*\d{1,2}(,? \d{4})$")


def parse_date(raw: str) -> str | None:
    """Parse "January 13 1970" / "13 January 1970" (first day of a range) to ISO, else None."""
    text = clean_text(raw).strip("*~ ")
    text = _DAY_RANGE.sub(r"\1\2", text)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def location_country(location: str) -> str | None:
    """Country of a "City, Country" string: the last comma part, else the next ones leftwards."""
    for part in reversed(location.split(",")):
        code = lookup_country(part)
        if code is not None:
            return code
    # A missing comma ("Baghdad Iraq", "Kibirizi Democratic Republic of Congo"): try the
    # trailing words of the last part, longest first.
    words = re.split(r"[\s.()]+", location.rsplit(",", 1)[-1].strip(" .()"))
    for start in range(1, len(words)):
        code = lookup_country(" ".join(words[start:]))
        if code is not None:
            return code
    return None


def convert(path: str | Path) -> Conversion:
    """Convert the Wikipedia incidents CSV; rows with no mappable incident type are dropped."""
    result = Conversion()
    for index, row in enumerate(read_rows(path, COLUMNS)):
        labels, unrecognised, recognised = map_type(row["type"])
        result.unmapped.update(f"type: {part}" for part in unrecognised)
        text = clean_text(row["details"])
        if not text:
            result.dropped["empty details"] += 1
            continue
        if not labels:
            reason = "type implies no incident type" if recognised else "type unmapped"
            result.dropped[reason] += 1
            continue
        location = clean_text(row["location"])
        country = location_country(location)
        if country is None and location:
            result.unmapped[f"location: {location.split(',')[-1].strip()}"] += 1
        result.records.append(
            make_record(
                f"{SOURCE}-{index:06d}",
                text,
                labels,
                source=SOURCE,
                country=country,
                date=parse_date(row["date"]),
            )
        )
    return result
