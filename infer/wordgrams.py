"""Vectorised word n-gram counting: the fast path of a word block's TF-IDF transform.

Every word of the vocabulary gets an integer id once. A batch of texts becomes one array of
word ids (ASCII texts are lower-cased and split together as one bytes string, other texts go
through the tokeniser regex one by one), and n-grams are looked up as integer keys in a sorted
array, so no n-gram string is built at run time. The result equals counting the terms that
`infer.features.word_ngrams` produces (tests pin it on tricky texts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import repeat

import numpy as np

from infer.keytable import KeyTable

# The tokeniser of infer.features (scikit-learn's default): maximal runs of >= 2 word chars.
TOKEN = re.compile(r"(?u)\b\w\w+\b")
MAX_KEY = 2**62
_SPACE = ord(" ")
_UNKNOWN = -1


def _encode(word: str) -> bytes:
    """The bytes key of a word (injective even for lone surrogates)."""
    return word.encode("utf-8", "surrogatepass")


def ascii_table(lowercase: bool) -> bytes:
    """bytes.translate table: ASCII word characters kept (lower-cased), the rest -> space."""
    table = bytearray(b" " * 256)
    for code in range(128):
        char = chr(code)
        if char.isalnum() or char == "_":
            table[code] = ord(char.lower()) if lowercase else code
    return bytes(table)


def _halves(word: bytes) -> tuple[int, int]:
    """A word of at most 16 bytes as two big-endian integers (first 8 bytes, the rest),
    each right-aligned, as `_ascii_word_ids` reads tokens."""
    if len(word) <= 8:
        return int.from_bytes(word, "big"), 0
    return int.from_bytes(word[:8], "big"), int.from_bytes(word[8:], "big")


def supports(analyzer: str, ngram_range: tuple[int, int], n_terms: int) -> bool:
    """Whether the fast path can count this block (word n-grams whose keys fit in int64)."""
    low, high = ngram_range
    return analyzer == "word" and 1 <= low <= high and (n_terms * high + 1) ** high < MAX_KEY


class WordGramIndex:
    """Integer ids for the words of a vocabulary and sorted integer keys for its n-grams."""

    def __init__(self, terms: Sequence[str], ngram_range: tuple[int, int],
                 lowercase: bool) -> None:
        self.low, self.high = ngram_range
        self.lowercase = lowercase
        self.table = ascii_table(lowercase)
        words: dict[bytes, int] = {}
        term_ids = [[words.setdefault(_encode(part), len(words)) for part in term.split(" ")]
                    for term in terms]
        self.n_words = len(words)
        self.base = max(self.n_words, 1)  # n-gram key = ids as digits in this base
        grams: dict[int, tuple[list[int], list[int]]] = {}
        unigrams: list[tuple[int, int]] = []
        for column, ids in enumerate(term_ids):
            if len(ids) == 1:
                unigrams.append((ids[0], column))
                continue
            key = 0
            for word_id in ids:
                key = key * self.base + word_id
            keys, columns = grams.setdefault(len(ids), ([], []))
            keys.append(key)
            columns.append(column)
        # unigram column of each word id (index -1, an unknown word, maps to -1 as well)
        self.unigram = np.full(self.n_words + 1, -1, dtype=np.int64)
        for word_id, column in unigrams:
            self.unigram[word_id] = column
        self.grams = {n: KeyTable(np.asarray(keys, dtype=np.uint64), np.zeros(len(keys), np.uint64),
                                  np.asarray(columns, dtype=np.int64))
                      for n, (keys, columns) in grams.items()}
        # whether a word starts / ends some n-gram term (pairs that cannot match are skipped)
        self.opens = np.zeros(self.n_words + 1, dtype=bool)
        self.closes = np.zeros(self.n_words + 1, dtype=bool)
        for ids in term_ids:
            if len(ids) > 1:
                self.opens[ids[0]] = self.closes[ids[-1]] = True
        lookup = dict(words)
        self.lookup = lookup
        ascii_words = [(word, word_id) for word, word_id in words.items()
                       if word.isascii() and len(word) <= 16]
        self.ascii_words = KeyTable(
            np.array([_halves(word)[0] for word, _ in ascii_words], dtype=np.uint64),
            np.array([_halves(word)[1] for word, _ in ascii_words], dtype=np.uint64),
            np.array([word_id for _, word_id in ascii_words], dtype=np.int64))

    def word_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, word id) of every token of the texts, in order; unknown words have id -1."""
        fast: list[int] = []
        slow: list[int] = []
        for row, text in enumerate(texts):
            (fast if text.isascii() else slow).append(row)
        rows, ids = self._ascii_word_ids([texts[row] for row in fast])
        rows = np.asarray(fast, dtype=np.int64)[rows]
        if slow:
            get = self.lookup.get
            slow_rows: list[int] = []
            tokens: list[str] = []
            for row in slow:
                found = TOKEN.findall(texts[row].lower() if self.lowercase else texts[row])
                tokens.extend(found)
                slow_rows.extend(repeat(row, len(found)))
            keys = "\x01".join(tokens).encode("utf-8", "surrogatepass").split(b"\x01")
            slow_ids = np.fromiter(map(get, keys, repeat(_UNKNOWN)), dtype=np.int64,
                                   count=len(keys)) if tokens else np.zeros(0, dtype=np.int64)
            ids = np.concatenate([ids, slow_ids])
            rows = np.concatenate([rows, np.asarray(slow_rows, dtype=np.int64)])
        return rows, ids

    def _ascii_word_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(index in `texts`, word id) of every token of ASCII texts, found with numpy alone.

        The texts are joined by spaces, lower-cased and reduced to word bytes / spaces by one
        bytes.translate; each token of up to 16 bytes is read as two big-endian integers and
        looked up in the KeyTable (longer tokens, rare, in the dict)."""
        joined = " ".join(texts).encode("ascii").translate(self.table)
        data = np.frombuffer(joined + b" " * 17, dtype=np.uint8)
        word = data != _SPACE
        edges = np.flatnonzero(word[1:] != word[:-1]) + 1
        if len(data) and word[0]:
            edges = np.concatenate([[0], edges])
        starts, ends = edges[0::2], edges[1::2]
        lengths = ends - starts
        long = lengths >= 2
        starts, lengths = starts[long], lengths[long]
        text_starts = np.cumsum([0] + [len(text) + 1 for text in texts[:-1]])
        rows = np.searchsorted(text_starts, starts, side="right") - 1
        windows = np.lib.stride_tricks.as_strided(data, shape=(max(len(data) - 8, 0), 8),
                                                  strides=(1, 1))
        shift = (8 * (8 - np.minimum(lengths, 8))).astype(np.uint64)
        high = windows[starts].view(">u8").ravel().astype(np.uint64) >> shift
        low = np.zeros(len(starts), dtype=np.uint64)
        over8 = np.flatnonzero(lengths > 8)
        low_shift = (8 * (16 - np.minimum(lengths[over8], 16))).astype(np.uint64)
        low[over8] = windows[starts[over8] + 8].view(">u8").ravel().astype(np.uint64) >> low_shift
        ids = self.ascii_words.get(high, low)
        get = self.lookup.get
        for at in np.flatnonzero(lengths > 16).tolist():
            start = int(starts[at])
            ids[at] = get(joined[start:start + int(lengths[at])], _UNKNOWN)
        return rows, ids

    def columns(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every vocabulary n-gram occurrence in the texts (any order)."""
        rows, ids = self.word_ids(texts)
        out_rows: list[np.ndarray] = []
        out_columns: list[np.ndarray] = []
        if self.low <= 1:
            columns = self.unigram[ids]
            found = columns >= 0
            out_rows.append(rows[found])
            out_columns.append(columns[found])
        for n in range(max(self.low, 2), self.high + 1):
            if n not in self.grams or len(ids) < n:
                continue
            length = len(ids) - n + 1
            # positions whose n words are all known, in one text, opening and closing a term
            at = np.flatnonzero(self.opens[ids[:length]] & self.closes[ids[n - 1:]]
                                & (rows[:length] == rows[n - 1:]))
            key = ids[at]
            for k in range(1, n):
                following = ids[at + k]
                at, key = at[following >= 0], key[following >= 0]
                key = key * self.base + ids[at + k]
            columns = self.grams[n].get(key.astype(np.uint64), np.zeros(len(key), np.uint64))
            found = columns >= 0
            out_rows.append(rows[at[found]])
            out_columns.append(columns[found])
        if not out_rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(out_rows), np.concatenate(out_columns)
