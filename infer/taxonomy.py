"""Label taxonomy: incident types, GTD regions and countries, with lenient country lookup."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from infer.countries import (
    COUNTRY_ROWS,
    HISTORICAL_ROWS,
    LEADING_QUALIFIERS,
    SUBNATIONAL,
    TRAILING_QUALIFIERS,
)

INCIDENT_TYPES: tuple[str, ...] = (
    "bombing",
    "armed_assault",
    "ambush",
    "kidnap",
    "assassination",
    "facility_attack",
    "hijacking",
)

INCIDENT_DEFINITIONS: dict[str, str] = {
    "bombing": "Explosive attack: bombs, grenades, IEDs, suicide bombs, or mortar/rocket fire "
    "by an armed group.",
    "armed_assault": "Attack on people with firearms, blades or other weapons, not explosives.",
    "ambush": "Surprise attack from concealment on a moving or waiting target; always also "
    "an armed_assault.",
    "kidnap": "Abduction or hostage taking, including barricade incidents.",
    "assassination": "Killing, or attempt to kill, a specific prominent person.",
    "facility_attack": "Attack on buildings, infrastructure or property, including arson and "
    "sabotage.",
    "hijacking": "Seizure of an aircraft, vessel or vehicle with people aboard.",
}

# Labels that a label always brings along (applied transitively).
IMPLIED_TYPES: dict[str, tuple[str, ...]] = {"ambush": ("armed_assault",)}

REGIONS: tuple[str, ...] = (
    "North America",
    "Central America & Caribbean",
    "South America",
    "East Asia",
    "Southeast Asia",
    "South Asia",
    "Central Asia",
    "Western Europe",
    "Eastern Europe",
    "Middle East & North Africa",
    "Sub-Saharan Africa",
    "Australasia & Oceania",
)


@dataclass(frozen=True)
class Country:
    """One ISO 3166-1 country or territory with its GTD region."""

    code: str
    name: str
    region: str
    aliases: tuple[str, ...] = ()
    alpha3: str = ""


COUNTRIES: dict[str, Country] = {
    code: Country(code=code, name=name, region=region, aliases=aliases, alpha3=alpha3)
    for code, alpha3, name, region, aliases in COUNTRY_ROWS
}

HISTORICAL_NAMES: dict[str, str] = dict(HISTORICAL_ROWS)

_DROPPED = re.compile(r"['’`.]")
_SEPARATORS = re.compile(r"[^0-9a-z]+")


def normalize_name(name: str) -> str:
    """Fold a place name to its lookup key: ASCII, lower case, words split by single spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    folded = _DROPPED.sub("", folded.replace("&", " and "))
    key = _SEPARATORS.sub(" ", folded).strip()
    return key.removeprefix("the ")


def lookup_entries() -> Iterator[tuple[str, str, str]]:
    """Yield every (lookup key, country code, origin) pair that country_code knows."""
    for country in COUNTRIES.values():
        yield normalize_name(country.code), country.code, "alpha-2 code"
        yield normalize_name(country.alpha3), country.code, "alpha-3 code"
        yield normalize_name(country.name), country.code, "name"
        for alias in country.aliases:
            yield normalize_name(alias), country.code, f"alias {alias!r}"
    for old_name, code in HISTORICAL_NAMES.items():
        yield normalize_name(old_name), code, f"historical name {old_name!r}"
    for code, places in SUBNATIONAL:
        for place in places:
            yield normalize_name(place), code, f"subnational name {place!r}"


def find_collisions(entries: Iterable[tuple[str, str, str]]) -> dict[str, set[str]]:
    """Return the lookup keys that resolve to more than one country code."""
    codes_by_key: dict[str, set[str]] = {}
    for key, code, _origin in entries:
        codes_by_key.setdefault(key, set()).add(code)
    return {key: codes for key, codes in codes_by_key.items() if len(codes) > 1}


@cache
def _name_index() -> dict[str, str]:
    """Build the lookup key -> country code index once; refuse ambiguous keys."""
    entries = list(lookup_entries())
    collisions = find_collisions(entries)
    if collisions:
        detail = "; ".join(f"{key!r} -> {sorted(codes)}" for key, codes in collisions.items())
        raise ValueError(f"country lookup keys resolve to several countries: {detail}")
    return {key: code for key, code, _origin in entries}


def _qualifier_variants(key: str) -> Iterator[str]:
    """Yield the key without a leading and/or trailing qualifier word ("northern", "province")."""
    words = key.split(" ")
    start = 1 if len(words) > 1 and words[0] in LEADING_QUALIFIERS else 0
    end = len(words) - 1 if len(words) > 1 and words[-1] in TRAILING_QUALIFIERS else len(words)
    for lo, hi in ((start, len(words)), (0, end), (start, end)):
        if (lo, hi) != (0, len(words)) and lo < hi:
            yield " ".join(words[lo:hi])


def country_code(name: str) -> str | None:
    """Resolve a country name, alias, historical or subnational name, or ISO code; else None."""
    key = normalize_name(name)
    if not key:
        return None
    index = _name_index()
    if key in index:
        return index[key]
    for variant in _qualifier_variants(key):
        if variant in index:
            return index[variant]
    return None


def _country(code: str) -> Country:
    """Return the Country for an ISO alpha-2 code, raising ValueError naming an unknown one."""
    country = COUNTRIES.get(code.strip().upper())
    if country is None:
        raise ValueError(f"unknown country code {code!r}")
    return country


def country_name(code: str) -> str:
    """Return the English name of an ISO alpha-2 country code."""
    return _country(code).name


def region_of(code: str) -> str:
    """Return the GTD region of an ISO alpha-2 country code."""
    return _country(code).region


def is_region(name: str) -> bool:
    """Tell whether name is exactly one of the 12 GTD region names."""
    return name in REGIONS


def check_region_country(region: str | None, country: str | None) -> None:
    """Raise ValueError when region is unknown, country is unknown, or they disagree."""
    if region is not None and not is_region(region):
        raise ValueError(f"unknown region {region!r}; expected one of {', '.join(REGIONS)}")
    if country is None:
        return
    expected = region_of(country)
    if region is not None and region != expected:
        raise ValueError(f"country {country!r} is in region {expected!r}, not {region!r}")


def normalize_incident_types(labels: Iterable[str]) -> list[str]:
    """Validate labels, add implied ones (ambush -> armed_assault), dedup, sort canonically."""
    if isinstance(labels, str):
        raise ValueError(f"incident types must be a list of labels, not the string {labels!r}")
    found: set[str] = set()
    pending = list(labels)
    while pending:
        label = pending.pop()
        if label not in INCIDENT_DEFINITIONS:
            raise ValueError(
                f"unknown incident type {label!r}; expected one of {', '.join(INCIDENT_TYPES)}"
            )
        if label not in found:
            found.add(label)
            pending.extend(IMPLIED_TYPES.get(label, ()))
    return [label for label in INCIDENT_TYPES if label in found]
