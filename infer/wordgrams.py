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

# The tokeniser of infer.features (scikit-learn's default): maximal runs of >= 2 word chars.
TOKEN = re.compile(r"(?u)\b\w\w+\b")
MAX_KEY = 2**62
_SEPARATOR = "\x00"  # joins the ASCII texts of a batch; texts containing it take the slow path
_UNKNOWN, _SHORT, _BREAK = -1, -2, -3


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
    table[ord(_SEPARATOR)] = ord(_SEPARATOR)
    return bytes(table)


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
        self.grams: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for n, (keys, columns) in grams.items():
            key_array = np.asarray(keys, dtype=np.int64)
            order = np.argsort(key_array, kind="stable")
            self.grams[n] = (key_array[order], np.asarray(columns, dtype=np.int64)[order])
        lookup = dict(words)
        for code in range(128):
            char = chr(code)
            if char.isalnum() or char == "_":
                lookup.setdefault(char.encode("ascii"), _SHORT)
        lookup[_SEPARATOR.encode("ascii")] = _BREAK
        self.lookup = lookup

    def word_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, word id) of every token of the texts, in order; unknown words have id -1."""
        fast: list[int] = []
        slow: list[int] = []
        for row, text in enumerate(texts):
            (fast if text.isascii() and _SEPARATOR not in text else slow).append(row)
        get = self.lookup.get
        joined = f" {_SEPARATOR} ".join([texts[row] for row in fast])
        tokens = joined.encode("ascii").translate(self.table).split()
        ids = np.fromiter(map(get, tokens, repeat(_UNKNOWN)), dtype=np.int64, count=len(tokens))
        rows = np.asarray(fast, dtype=np.int64)[np.cumsum(ids == _BREAK)] if fast else ids
        keep = ids >= _UNKNOWN
        ids, rows = ids[keep], rows[keep]
        if slow:
            slow_rows: list[int] = []
            slow_ids: list[int] = []
            for row in slow:
                text = texts[row].lower() if self.lowercase else texts[row]
                found = [get(_encode(token), _UNKNOWN) for token in TOKEN.findall(text)]
                slow_ids.extend(found)
                slow_rows.extend(repeat(row, len(found)))
            ids = np.concatenate([ids, np.asarray(slow_ids, dtype=np.int64)])
            rows = np.concatenate([rows, np.asarray(slow_rows, dtype=np.int64)])
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
            key = ids[:length].copy()
            valid = key >= 0
            for k in range(1, n):
                following = ids[k:k + length]
                valid &= (following >= 0) & (rows[k:k + length] == rows[:length])
                key = key * self.base + following
            key, start = key[valid], rows[:length][valid]
            sorted_keys, sorted_columns = self.grams[n]
            at = np.minimum(np.searchsorted(sorted_keys, key), len(sorted_keys) - 1)
            hit = sorted_keys[at] == key
            out_rows.append(start[hit])
            out_columns.append(sorted_columns[at[hit]])
        if not out_rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(out_rows), np.concatenate(out_columns)
