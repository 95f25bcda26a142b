"""The compiled place matcher: a batch's place rows without a Python loop per mention.

`Gazetteer.mentions` (infer/places.py) is the plain reference. Here the gazetteer becomes a
trie over word ids, built at load from arrays a model folder stores beside its JSON (or from
the JSON, for folders written before them); every distinct place token is analysed once
(its key's word ids and the flags `_match_at` and `_weak` test, `TokenCache`: the ASCII ones
in one compiled pass, the others in Python) and a numba pass (`infer/placekernels.py`) walks
a whole batch. "Town, State" pairs, which need
the US-state regex, go back to the reference's `_settle_by_state`. Tests compare the
mentions and rows with the reference on every input class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from infer.csr import Rows
from infer.kernels import load as load_kernels
from infer.places import (
    _ARTICLE_COUNTRIES,
    _CONNECTOR_KEYS,
    _ELSEWHERE_AFTER_DEMONYM,
    _US_STATE,
    ARTICLE,
    ARTICLES,
    BLOCKED,
    CONNECTORS,
    LEADING,
    QUALIFIERS,
    Gazetteer,
    Mention,
    _settle_by_state,
    _settling_keys,
    _token_key,
    span_key,
)
from infer.taxonomy import COUNTRIES
from infer.tokencache import Part, TokenCache, char_classes, code_points
from infer.tokenpass import char_kernels

PARTS = ("words", "keys", "lengths", "kinds", "values", "codes", "max_words", "acronyms")
PLACE, DEMONYM, GROUP, TRUSTED, STRONG = range(5)  # as infer.placekernels numbers them
(
    OPENS,
    GROUPS_ONLY,
    NO_KEY,
    CAPITALISED,
    CONNECTOR,
    UPPER,
    NOT_TITLE,
    BARE,
    QUALIFIER,
    LEADING_WORD,
    ARTICLE_FIRST,
) = (1 << bit for bit in range(11))
IS_ACRONYM = 4


def kernels() -> Any:
    """The compiled matcher of `infer.placekernels` (loaded on first use, not with the model)."""
    return load_kernels("placekernels")


def gazetteer_key(position: int, part: str) -> str:
    """Name of one of a place block's gazetteer arrays inside model.npz."""
    return f"features.{position}.gazetteer.{part}"


def _fixed_width(items: Sequence[bytes]) -> np.ndarray:
    """Byte strings as one uint8 row each, zero-padded (read back with `_strings`)."""
    width = max(1, *map(len, items)) if items else 1
    return np.array(items, dtype=f"S{width}").view(np.uint8).reshape(len(items), width)


def _strings(rows: np.ndarray) -> np.ndarray:
    """The `S` array view of `_fixed_width`'s rows (no copy)."""
    return np.ascontiguousarray(rows).view(f"S{rows.shape[1]}").reshape(len(rows))


def gazetteer_arrays(gazetteer: Gazetteer) -> dict[str, np.ndarray]:
    """The gazetteer as plain arrays (the `PARTS`): its distinct key words sorted as bytes,
    every key as word ids with its kind (place, demonym, group, trusted, strong) and code."""
    tables: list[tuple[int, Mapping[str, str]]] = [
        (PLACE, gazetteer.places),
        (DEMONYM, gazetteer.demonyms),
        (GROUP, gazetteer.groups),
        # sorted: these are sets, whose order follows the string hash seed of the process
        (TRUSTED, dict.fromkeys(sorted(gazetteer.trusted), BLOCKED)),
        (STRONG, dict.fromkeys(sorted(gazetteer.strong), BLOCKED)),
    ]
    keys = [(kind, key, code) for kind, table in tables for key, code in table.items() if key]
    words = sorted({w.encode("utf-8") for _, key, _ in keys for w in key.split(" ")})
    word_id = {w.decode("utf-8"): at for at, w in enumerate(words)}
    codes = sorted({code for _, _, code in keys})
    code_id = {code: at for at, code in enumerate(codes)}
    split = [key.split(" ") for _, key, _ in keys]
    acronyms = "\n".join(sorted(gazetteer.group_acronyms)).encode("utf-8")
    return {
        "words": _fixed_width(words),
        "keys": np.array([word_id[w] for ws in split for w in ws], dtype=np.int32),
        "lengths": np.array([len(ws) for ws in split], dtype=np.uint8),
        "kinds": np.array([kind for kind, _, _ in keys], dtype=np.uint8),
        "values": np.array([code_id[code] for _, _, code in keys], dtype=np.int16),
        "codes": _fixed_width([c.encode("ascii") for c in codes]),
        "max_words": np.array([gazetteer.max_words], dtype=np.int64),
        "acronyms": np.frombuffer(acronyms, dtype=np.uint8),
    }


def _check(parts: Mapping[str, np.ndarray]) -> None:
    """Raise ValueError unless the gazetteer arrays agree with each other."""
    words, codes, keys = parts["words"], parts["codes"], parts["keys"]
    lengths, kinds, values = parts["lengths"], parts["kinds"], parts["values"]
    problems = [
        (words.ndim != 2 or codes.ndim != 2, "words and codes must be 2-d"),
        (not len(lengths) == len(kinds) == len(values), "one length, kind and code per key"),
        (int(lengths.sum(dtype=np.int64)) != len(keys), "the key lengths do not add up"),
        (len(keys) > 0 and not 0 <= keys.min() <= keys.max() < len(words), "unknown word"),
        (len(values) > 0 and not 0 <= values.min() <= values.max() < len(codes), "bad code"),
        (len(kinds) > 0 and kinds.max() > STRONG, "unknown kind"),
        (parts["max_words"].shape != (1,) or not 1 <= parts["max_words"][0] <= 64, "max_words"),
    ]
    for failed, problem in problems:
        if failed:
            raise ValueError(f"gazetteer arrays: {problem}")


# `_US_STATE` without its look-behind, which keeps the regex engine from searching for the
# literal ", " first (ten times slower on the bench's documents); the caller checks the
# character before. The matches are the same: a match holds one comma, at its start, so a
# match this pattern finds and the caller drops cannot hide an overlapping one.
_STATE_AFTER_COMMA = re.compile(_US_STATE.pattern.removeprefix("(?<=[a-z])"))


def us_state_matches(text: str) -> Iterable[re.Match]:
    """What `_US_STATE.finditer(text)` finds ("Dayton, OH")."""
    for match in _STATE_AFTER_COMMA.finditer(text):
        if "a" <= text[match.start() - 1 : match.start()] <= "z":
            yield match


_ARTICLE_KEYS = np.array(
    sorted(int.from_bytes(a.encode("ascii"), "little") for a in ARTICLES), dtype=np.int64
)


def token_keys(tokens: Sequence[str]) -> list[str]:
    """`infer.places._token_key` of every token: the ASCII ones in one compiled pass."""
    plain = [token for token in tokens if token.isascii()]
    if len(plain) < len(tokens):
        keys = iter(_ascii_keys(plain))
        return [next(keys) if token.isascii() else _token_key(token) for token in tokens]
    return _ascii_keys(plain)


def _ascii_keys(tokens: list[str]) -> list[str]:
    """The keys of ASCII tokens (`charkernels.place_keys`)."""
    if not tokens:
        return []
    return _decoded(_ascii_key_bytes(tokens)[2])


def _ascii_key_bytes(tokens: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ASCII tokens as the kernels read them (their bytes one after the other, where each
    ends) and their keys as `charkernels.place_keys` writes them (each ends in a line break)."""
    ends = np.cumsum(np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens)))
    text = np.frombuffer("".join(tokens).encode("ascii"), dtype=np.uint8)
    article = int.from_bytes(ARTICLE.encode("ascii"), "little")
    return text, ends, char_kernels().place_keys(text, ends, _ARTICLE_KEYS, article)


def _decoded(key_bytes: np.ndarray) -> list[str]:
    """The keys of `place_keys`' bytes, as strings."""
    return key_bytes.tobytes().decode("ascii").split("\n")[:-1]


def _interleaved(
    positions: tuple[np.ndarray, ...], parts: Sequence[Part]
) -> tuple[np.ndarray, np.ndarray]:
    """One part of tokens analysed in groups: group g's tokens are at `positions[g]` (each
    group's in order, the groups together every position once) and `parts[g]` is the part
    (values per token, values) of its tokens; the same part in position order."""
    total = sum(len(p) for p in positions)
    lengths = np.zeros(total, dtype=np.int64)
    for at, (counts, _) in zip(positions, parts, strict=True):
        lengths[at] = counts
    ptr = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    values = np.zeros(int(ptr[-1]), dtype=np.int64)
    for at, (counts, found) in zip(positions, parts, strict=True):
        counts = np.asarray(counts, dtype=np.int64)
        # value j of the group goes to ptr[token] + (j - the group's first value of that token)
        group_ptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=group_ptr[1:])
        shift = np.repeat(ptr[at] - group_ptr[:-1], counts)
        values[np.arange(int(group_ptr[-1]), dtype=np.int64) + shift] = found
    return lengths, values


def _padded(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ints as a zero-padded int64 matrix and their lengths."""
    width = max((len(r) for r in rows), default=1) or 1
    out = np.zeros((len(rows), width), dtype=np.int64)
    for at, row in enumerate(rows):
        out[at, : len(row)] = row
    return out, np.array([len(r) for r in rows], dtype=np.int64)


_PHRASES = _padded([[ord(c) for c in p] for p in _ELSEWHERE_AFTER_DEMONYM])


class PlaceMatcher:
    """The compiled gazetteer of one place block, its token cache and its column tables."""

    def __init__(self, parts: Mapping[str, np.ndarray], terms: Sequence[str]) -> None:
        _check(parts)  # the kernels index with these arrays unchecked
        self.words = _strings(parts["words"])
        stored = [c.decode("ascii") for c in _strings(parts["codes"]).tolist()]
        # every country has an index: "Town, State" may settle a town in one no key names
        self.codes = stored + sorted(set(COUNTRIES) - set(stored))
        self.max_words = int(parts["max_words"][0])
        self.n_words = max(len(self.words), 1)
        kinds = np.ascontiguousarray(parts["kinds"], dtype=np.uint8)
        keys = np.ascontiguousarray(parts["keys"], dtype=np.int32)
        lengths = np.ascontiguousarray(parts["lengths"], dtype=np.uint8)
        values = np.ascontiguousarray(parts["values"], dtype=np.int16)
        self.table, self.children, self.key_codes, self.node_flags, self.first = (
            kernels().build_trie(keys, lengths, kinds, values, self.n_words)
        )
        text = parts["acronyms"].tobytes().decode("utf-8")
        acronyms = text.split("\n") if text else []
        self.acronyms = _padded([[ord(c) for c in a] for a in acronyms])
        for acronym in acronyms:  # the keys of group names that match only as written
            node = self._node(span_key(acronym))
            if node >= 0:
                self.node_flags[node] |= IS_ACRONYM
        self.trusted = frozenset(self._keys(keys, lengths, kinds == TRUSTED))
        self.blocked = self.codes.index(BLOCKED) if BLOCKED in self.codes else -2
        self.article_codes = np.array(
            [code in _ARTICLE_COUNTRIES for code in self.codes], dtype=np.uint8
        )
        self.country_column, self.region_column = _column_tables(terms, self.codes)
        # per word: does a key start with it (bits); bytes, not a list of 300k ints that every
        # full collection of the cyclic garbage collector would walk
        self._first = self.first.tobytes()
        self.word_rows = np.ascontiguousarray(parts["words"], dtype=np.uint8)
        self.special = {
            key: (CONNECTOR if key in CONNECTORS else 0)
            | (QUALIFIER if key in QUALIFIERS else 0)
            | (LEADING_WORD if key in LEADING else 0)
            for key in (*CONNECTORS, *QUALIFIERS, *LEADING)
        }
        _settling_keys()  # (cached) now, not when a batch first holds "Town, Country"
        self.tokens = TokenCache(self._analyze, 2)

    @classmethod
    def from_gazetteer(cls, gazetteer: Gazetteer, terms: Sequence[str]) -> PlaceMatcher:
        """The matcher of an in-memory gazetteer (a model being trained or an old folder)."""
        return cls(gazetteer_arrays(gazetteer), terms)

    def _word_ids(self, words: list[str]) -> np.ndarray:
        """Each word's id (-1: in no key), by binary search in the sorted words."""
        if not words:
            return np.zeros(0, dtype=np.int64)
        # one encode for all (no word holds a line break: tokens are \w, ' and -)
        encoded = "\n".join(words).encode("utf-8", "surrogatepass").split(b"\n")
        width = self.words.dtype.itemsize
        query = np.array(encoded, dtype=f"S{width}")
        at = np.minimum(np.searchsorted(self.words, query), len(self.words) - 1)
        fits = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)) <= width
        hit = fits & (self.words[at] == query) if len(self.words) else fits & False
        return np.where(hit, at, -1)

    def _node(self, key: str) -> int:
        """The trie node of a key (-1: not a key)."""
        node = 0
        for word in self._word_ids(key.split(" ")).tolist():
            if word < 0:
                return -1
            node = int(kernels().child(self.table, self.children, node, word, self.n_words))
            if node < 0:
                return -1
        return node

    def _keys(self, keys: np.ndarray, lengths: np.ndarray, chosen: np.ndarray) -> list[str]:
        """The keys (as strings) of the chosen stored keys."""
        ends = np.cumsum(lengths, dtype=np.int64)
        words = self.words
        return [
            b" ".join(words[keys[end - n : end]].tolist()).decode("utf-8")
            for end, n in zip(ends[chosen].tolist(), lengths[chosen].tolist(), strict=True)
        ]

    def _analyze(self, tokens: list[str]) -> tuple[Part, Part]:
        """Per token: (flags, letters of its key, letters of the key's first word) and the
        key's word ids, the token facts `_match_at` and `_weak` read, as the cache's two
        parts: the ASCII tokens' in one compiled pass (`placekernels.place_facts`), the
        others' by `_analyze_text` (their flags need Unicode's cases)."""
        ascii = np.fromiter(map(str.isascii, tokens), dtype=bool, count=len(tokens))
        if ascii.all():
            return self._analyze_ascii(tokens)
        if not ascii.any():
            return self._analyze_text(tokens)
        plain, other = np.flatnonzero(ascii), np.flatnonzero(~ascii)
        parts = (
            self._analyze_ascii([tokens[i] for i in plain.tolist()]),
            self._analyze_text([tokens[i] for i in other.tolist()]),
        )
        return tuple(  # type: ignore[return-value]
            _interleaved((plain, other), [p[part] for p in parts]) for part in range(2)
        )

    def _analyze_ascii(self, tokens: list[str]) -> tuple[Part, Part]:
        """`_analyze` of ASCII tokens, in one compiled pass."""
        if not tokens:
            empty = np.zeros(0, dtype=np.int64)
            return (empty, empty), (empty, empty)
        text, ends, key_bytes = _ascii_key_bytes(tokens)
        special = self.special
        keys = _decoded(key_bytes)
        flags = np.fromiter((special.get(k, 0) for k in keys), dtype=np.int64, count=len(keys))
        facts, n_words, ids = kernels().place_facts(
            text, ends, key_bytes, flags, self.word_rows, self.first, _ARTICLE_KEYS
        )
        return (np.full(len(tokens), 3, dtype=np.int64), facts), (n_words, ids)

    def _analyze_text(self, tokens: list[str]) -> tuple[Part, Part]:
        """`_analyze` token by token (any tokens; the tests compare the compiled pass with
        it)."""
        keys = token_keys(tokens)
        split = [key.split(" ") if key else [] for key in keys]
        n_words = list(map(len, split))
        ids = self._word_ids([w for words in split for w in words]).tolist()
        first = self._first
        facts: list[int] = []
        at = 0
        for token, key, words, n in zip(tokens, keys, split, n_words, strict=True):
            upper = token[0].isupper()
            capitalised = upper or token.rpartition("-")[2][:1].isupper()  # _written_as_name
            bare = token[:-2] if token.endswith(("'s", "’s")) else token  # _bare
            article = token.partition("-")[0] in ARTICLES  # _article_token
            letters = len(key) - key.count(" ")
            first_letters = len(words[0]) if n else 0
            flags = (
                (CAPITALISED if capitalised else 0)
                | (CONNECTOR if key in CONNECTORS else 0)
                | (0 if key else NO_KEY)
                | (UPPER if upper else 0)
                | (NOT_TITLE if upper and not bare.istitle() else 0)
                | (BARE if bare == token else 0)
                | (QUALIFIER if key in QUALIFIERS else 0)
                | (LEADING_WORD if key in LEADING else 0)
                | (ARTICLE_FIRST if n and words[0] in ARTICLES else 0)
                | (GROUPS_ONLY if not upper and not article else 0)
            )
            head = ids[at] if n else -1
            opens = head >= 0 and first[head] & 1
            if not upper:  # `Gazetteer._opens`
                if "-" not in token:
                    opens = False
                elif article:
                    if not opens and flags & ARTICLE_FIRST and letters - first_letters >= 4:
                        opens = ids[at + 1] >= 0 and first[ids[at + 1]] & 1
                else:
                    opens = head >= 0 and first[head] & 2
            facts += (flags | (OPENS if opens else 0), letters, first_letters)
            at += n
        return ([3] * len(tokens), facts), (n_words, ids)

    def matched(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The settled mentions of every text: (text, start, end, code index, kind) arrays,
        as `Gazetteer.mentions` finds them, text by text."""
        joined = "\n".join(texts)  # no token spans a line break
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        begin = np.zeros(len(texts), dtype=np.int64)
        np.cumsum(lengths[:-1] + 1, out=begin[1:])
        end = begin + lengths
        text = code_points(joined)
        starts, ends = char_kernels().place_spans(text, char_classes(text), _CONNECTOR_KEYS)
        tok_ptr = np.searchsorted(starts, begin, side="left")
        tok_ptr = np.append(tok_ptr, len(starts)).astype(np.int64)
        tok_id, (cache_ptr, cache_values, word_ptr, words) = self.tokens.lookup(
            joined, text, starts, ends
        )
        m_text, m_start, m_end, m_code, m_kind, settle = kernels().match_texts(
            text,
            begin,
            end,
            tok_ptr,
            starts,
            ends,
            tok_id,
            cache_ptr,
            cache_values,
            word_ptr,
            words,
            self.table,
            self.children,
            self.key_codes,
            self.node_flags,
            self.n_words,
            self.article_codes,
            self.blocked,
            self.max_words,
            *_PHRASES,
            *self.acronyms,
        )
        for match in us_state_matches(joined):  # "Dayton, OH": the reference settles it
            t = int(np.searchsorted(begin, match.start(), side="right")) - 1
            word = joined.rfind(" ", int(begin[t]), match.start())
            if joined[(word + 1 if word >= 0 else int(begin[t])) :][:1].isupper():
                settle[t] = 1
        return self._settled(texts, settle, m_text, m_start, m_end, m_code, m_kind)

    def _settled(
        self,
        texts: Sequence[str],
        settle: np.ndarray,
        *found: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The mentions with ambiguous ones dropped, the texts flagged in `settle` through
        the reference's `_settle_by_state`."""
        m_text, m_start, m_end, m_code, m_kind = found
        keep = m_code != self.blocked
        flagged = np.flatnonzero(settle)
        if not len(flagged):
            return tuple(a[keep] for a in found)  # type: ignore[return-value]
        keep &= settle[m_text] == 0
        parts = [tuple(a[keep] for a in found)]
        code_index = {code: at for at, code in enumerate(self.codes)}
        for t in flagged.tolist():
            text = texts[t]
            rows = np.flatnonzero(m_text == t).tolist()
            mentions = [
                Mention(
                    text[m_start[r] : m_end[r]],
                    int(m_start[r]),
                    self.codes[m_code[r]],
                    m_kind[r] == DEMONYM,
                    m_kind[r] == GROUP,
                )
                for r in rows
            ]
            out = _settle_by_state(text, mentions, self.trusted)
            parts.append(
                (
                    np.full(len(out), t, dtype=np.int64),
                    np.array([m.start for m in out], dtype=np.int64),
                    np.array([m.start + len(m.surface) for m in out], dtype=np.int64),
                    np.array([code_index.get(m.country, -1) for m in out], dtype=np.int64),
                    np.array([2 if m.group else int(m.demonym) for m in out], dtype=np.int64),
                )
            )
        merged = [np.concatenate(column) for column in zip(*parts, strict=True)]
        order = np.argsort(merged[0], kind="stable")
        return tuple(column[order] for column in merged)  # type: ignore[return-value]

    def mentions(self, texts: Sequence[str]) -> list[list[Mention]]:
        """Every text's mentions as `Gazetteer.mentions` gives them (for tests and tools)."""
        out: list[list[Mention]] = [[] for _ in texts]
        for t, a, b, c, k in zip(*(x.tolist() for x in self.matched(texts)), strict=True):
            out[t].append(Mention(texts[t][a:b], a, self.codes[c], k == DEMONYM, k == GROUP))
        return out

    def rows(self, texts: Sequence[str], idf: np.ndarray, n_columns: int) -> Rows:
        """`PlaceBlock.transform` of the texts."""
        m_text, _, _, m_code, m_kind = self.matched(texts)
        text_ptr = np.searchsorted(m_text, np.arange(len(texts) + 1)).astype(np.int64)
        indptr, indices, data, unknown = kernels().place_rows(
            text_ptr,
            m_code,
            m_kind,
            len(self.codes),
            self.country_column,
            self.region_column,
            np.asarray(idf, dtype=np.float64),
        )
        if unknown >= 0:
            raise KeyError(self.codes[unknown] if unknown < len(self.codes) else unknown)
        return Rows(data, indices, indptr, (len(texts), n_columns))


def _column_tables(terms: Sequence[str], codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per (kind, code index): the block's country column and region column (-1: none),
    read off its terms ("country=IQ", "region=...", "nationality=...", "group=...")."""
    column = {term: at for at, term in enumerate(terms)}
    country = np.full(3 * len(codes), -1, dtype=np.int32)
    region = np.full(3 * len(codes), -1, dtype=np.int32)
    for kind, prefix, prefix_region in (
        (PLACE, "country", "region"),
        (DEMONYM, "nationality", "nationality_region"),
        (GROUP, "group", "group_region"),
    ):
        for at, code in enumerate(codes):
            if code in COUNTRIES and f"{prefix}={code}" in column:
                country[kind * len(codes) + at] = column[f"{prefix}={code}"]
                name = f"{prefix_region}={COUNTRIES[code].region}"
                region[kind * len(codes) + at] = column.get(name, -1)
    return country, region
