"""The compiled counting pass of the word and char_wb blocks, from a per-token cache.

Both analyzers work inside whitespace-separated tokens: char_wb pads each token and takes its
n-grams, and the word tokeniser's words (`\\b\\w\\w+\\b`) never hold whitespace. So every
distinct whitespace token has fixed columns (its char n-grams, its unigrams) and a fixed run of
word ids (for the bigrams, which may span two tokens). Those are worked out once per token in
Python (`TokenCache`) and a numba kernel adds them up per text, writing a CSR matrix of raw
counts in sorted column order. The result equals counting what `infer.features` analyzers
produce (tests compare every input class with the reference path).

numba is imported on the first batch, not with the model, so that `Predictor.load` stays
fast; the kernels are compiled once and cached on disk (`cache=True`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from itertools import repeat
from typing import Any

import numpy as np
import scipy.sparse as sp

MAX_TOKENS = 200_000  # distinct tokens remembered per block (a bounded cache: ~40 MB)
MAX_KEY = 2**62
_EMPTY = np.int64(-1)


@cache
def kernels() -> Any:
    """The compiled kernels (numba imported and cached compilations loaded on first use)."""
    from infer import tokenkernels

    return tokenkernels


class GramTable:
    """Word n-gram (2+ words) -> column, an open-addressing table of int64 keys that the
    kernel probes: a key holds the n-gram's word ids + 1 as digits in base `n_words + 1`."""

    def __init__(
        self,
        word_ids: np.ndarray,
        lengths: np.ndarray,
        columns: Sequence[int],
        n_words: int,
        ngram_range: tuple[int, int],
    ) -> None:
        """`word_ids`: every n-gram's word ids one after the other, `lengths[i]` of them for
        the n-gram of column `columns[i]`."""
        self.base = n_words + 1
        self.low, self.high = ngram_range
        firsts = np.cumsum(lengths) - lengths
        keys = np.zeros(len(lengths), dtype=np.int64)
        for k in range(int(lengths.max(initial=0))):  # digit k of every n-gram that long
            longer = lengths > k
            keys[longer] = keys[longer] * self.base + word_ids[firsts[longer] + k] + 1
        bits = max(4, int(len(keys) * 2).bit_length())  # load factor <= 1/2
        self.keys = np.full(1 << bits, _EMPTY, dtype=np.int64)
        self.values = np.full(1 << bits, -1, dtype=np.int32)
        kernels().fill_table(self.keys, self.values, keys, np.asarray(columns, dtype=np.int32))

    @staticmethod
    def fits(n_words: int, high: int) -> bool:
        """Whether n-gram keys of up to `high` words fit in an int64."""
        return (n_words + 1) ** high < MAX_KEY


def multiword_terms(
    terms: Sequence[str],
) -> tuple[list[int], dict[str, int], np.ndarray, np.ndarray]:
    """The columns of the terms of 2+ words, their words numbered in order of first
    appearance, and (word ids one after the other, word count per term) for `GramTable`
    (one join and one split for the whole vocabulary, not one per term)."""
    columns = [column for column, term in enumerate(terms) if " " in term]
    grams = [terms[column] for column in columns]
    flat = " ".join(grams).split(" ") if grams else []
    words = {word: at for at, word in enumerate(dict.fromkeys(flat))}
    word_ids = np.fromiter(map(words.__getitem__, flat), dtype=np.int64, count=len(flat))
    lengths = np.fromiter((gram.count(" ") + 1 for gram in grams), np.int64, len(grams))
    return columns, words, word_ids, lengths


class TokenCache:
    """Per distinct token: its direct columns (or other per-token numbers) and its word ids,
    as flat arrays the kernels read."""

    def __init__(
        self, analyze: Callable[[list[str]], Iterable[tuple[list[int], list[int]]]]
    ) -> None:
        self.analyze = analyze  # new distinct tokens -> per token (columns, word ids)
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.ids: dict[str, int] = {}
        # token i's columns are columns[column_ptr[i]:column_ptr[i + 1]], likewise its words;
        # the arrays have spare room at the end (doubled when full)
        self.column_ptr = np.zeros(1024, dtype=np.int64)
        self.columns = np.zeros(16384, dtype=np.int32)
        self.word_ptr = np.zeros(1024, dtype=np.int64)
        self.words = np.zeros(4096, dtype=np.int32)

    def lookup(self, tokens: list[str]) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """The cache ids of the tokens and the cache's arrays (consistent with each other)."""
        with self.lock:
            found = np.fromiter(
                map(self.ids.get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens)
            )
            missing = np.flatnonzero(found < 0)
            if len(missing):
                if len(self.ids) + len(missing) > MAX_TOKENS:
                    self._reset()
                    missing = np.arange(len(tokens))
                found[missing] = self._add([tokens[at] for at in missing.tolist()])
            return found, (self.column_ptr, self.columns, self.word_ptr, self.words)

    def _add(self, tokens: list[str]) -> list[int]:
        """Analyse the tokens not cached yet (some may repeat) and return their ids."""
        ids = self.ids
        first = len(ids)
        new = list(dict.fromkeys(tokens))
        columns: list[int] = []
        words: list[int] = []
        column_ends, word_ends = [], []
        for token, (token_columns, token_words) in zip(new, self.analyze(new), strict=True):
            ids[token] = len(ids)
            columns.extend(token_columns)
            column_ends.append(len(columns))
            words.extend(token_words)
            word_ends.append(len(words))
        self.column_ptr, self.columns = _append(
            self.column_ptr, self.columns, first, column_ends, columns
        )
        self.word_ptr, self.words = _append(self.word_ptr, self.words, first, word_ends, words)
        return [ids[token] for token in tokens]


def _append(
    ptr: np.ndarray, values: np.ndarray, first: int, ends: list[int], new: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """ptr/values with `len(ends)` tokens appended after token `first` (grown when full)."""
    start = int(ptr[first])
    ptr = _room(ptr, first + len(ends) + 1)
    values = _room(values, start + len(new))
    ptr[first + 1 : first + 1 + len(ends)] = np.asarray(ends, dtype=np.int64) + start
    values[start : start + len(new)] = new
    return ptr, values


def _room(array: np.ndarray, size: int) -> np.ndarray:
    """The array itself if it holds `size` items, else a copy of twice the size needed."""
    if size <= len(array):
        return array
    grown = np.zeros(2 * size, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def split_tokens(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Every text's whitespace tokens, flattened, and each text's first token index."""
    tokens: list[str] = []
    starts = [0]
    for text in texts:
        tokens.extend(text.split())
        starts.append(len(tokens))
    return tokens, np.asarray(starts, dtype=np.int64)


def _log_tf(size: int) -> np.ndarray:
    """log(count) + 1 for counts 0..size-1, computed by numpy as `TfidfBlock.weigh` does
    (index 0 is never read)."""
    table = np.zeros(size)
    table[1:] = np.log(np.arange(1, size, dtype=np.float64)) + 1.0
    return table


class TokenCounter:
    """A block's compiled counter: the token cache and, for word n-grams, their table."""

    def __init__(
        self,
        analyze: Callable[[str], tuple[list[int], list[int]]],
        grams: GramTable | None,
        n_columns: int,
    ) -> None:
        self.cache = TokenCache(lambda tokens: map(analyze, tokens))
        self.grams = grams
        self.n_columns = n_columns
        self.log_tf = _log_tf(256)

    def counts(self, tokens: list[str], starts: np.ndarray) -> sp.csr_matrix:
        """Raw counts (rows: texts, sorted columns) from the texts' tokens (`split_tokens`)."""
        indptr, indices, data = self._counts(tokens, starts)
        return sp.csr_matrix((data, indices, indptr), shape=(len(starts) - 1, self.n_columns))

    def tfidf(self, tokens: list[str], starts: np.ndarray, idf: np.ndarray) -> sp.csr_matrix:
        """Sublinear tf x idf rows, l2-normalised, like `TfidfBlock.weigh` of the counts."""
        indptr, indices, data = self._counts(tokens, starts)
        top = int(data.max()) if len(data) else 0
        if top >= len(self.log_tf):
            self.log_tf = _log_tf(2 * top)
        # float64 always (a model's stored float32 is widened exactly): one compiled kernel
        kernels().weigh_rows(indptr, indices, data, np.asarray(idf, dtype=np.float64), self.log_tf)
        return sp.csr_matrix((data, indices, indptr), shape=(len(starts) - 1, self.n_columns))

    def _counts(
        self,
        tokens: list[str],
        starts: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr, indices, data) of the raw counts."""
        token_ids, cached = self.cache.lookup(tokens)  # column_ptr, columns, word_ptr, words
        grams = self.grams
        table = (
            (np.full(1, _EMPTY), np.full(1, -1, np.int32), 0, 1, 1)
            if grams is None
            else (grams.keys, grams.values, grams.base, grams.low, grams.high)
        )
        return kernels().count_rows(starts, token_ids, *cached, *table, self.n_columns)
