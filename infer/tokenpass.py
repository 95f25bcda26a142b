"""The compiled counting pass of the word and char_wb blocks, from a per-token cache.

Both analyzers work inside whitespace-separated tokens: char_wb pads each token and takes its
n-grams, and the word tokeniser's words (`\\b\\w\\w+\\b`) never hold whitespace. So every
distinct whitespace token has fixed columns (its char n-grams, its unigrams) and a fixed run of
word ids (for the bigrams, which may span two tokens). Those are worked out once per token
(`infer.tokencache.TokenCache`, shared by the blocks of one text cleaning; a new token's char
n-grams through `CharTable`) and a numba kernel adds them up per text, writing a CSR matrix
of raw counts in sorted column order. The result equals counting what `infer.features` analyzers
produce (tests compare every input class with the reference path).

numba is imported on the first batch, not with the model, so that `Predictor.load` stays
fast; the kernels are compiled once and cached on disk (`cache=True`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from infer.csr import Rows
from infer.kernels import load as load_kernels
from infer.tokencache import Part, TokenCache, char_classes, split_spans

MAX_KEY = 2**62
_EMPTY = np.int64(-1)
_NO_IDF = np.zeros(0)  # count_rows: raw counts


def kernels() -> Any:
    """The compiled kernels of `infer.tokenkernels` (loaded on first use: `infer.kernels`)."""
    return load_kernels("tokenkernels")


def char_kernels() -> Any:
    """The compiled char_wb analysis of new tokens (`infer.charkernels`)."""
    return load_kernels("charkernels")


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


class CharTable:
    """The char_wb n-grams of a vocabulary for the compiled analysis of new tokens: an
    n-gram's key holds its characters' numbers (1.. in the sorted alphabet of the
    vocabulary's characters) as digits in base `len(alphabet) + 1`, in an open-addressing
    table like `GramTable`'s."""

    def __init__(self, terms: Sequence[str], ngram_range: tuple[int, int]) -> None:
        self.low, self.high = ngram_range
        codes, lengths = _code_points(terms)
        self.alphabet = np.unique(codes)
        self.base = len(self.alphabet) + 1
        self.space = int(self._digits(np.array([ord(" ")], dtype=np.uint32))[0])
        digits = self._digits(codes)
        firsts = np.cumsum(lengths) - lengths
        keys = np.zeros(len(lengths), dtype=np.int64)
        for k in range(int(lengths.max(initial=0))):  # digit k of every term that long
            longer = lengths > k
            keys[longer] = keys[longer] * self.base + digits[firsts[longer] + k]
        bits = max(4, int(len(keys) * 2).bit_length())  # load factor <= 1/2
        self.keys = np.full(1 << bits, _EMPTY, dtype=np.int64)
        self.values = np.full(1 << bits, -1, dtype=np.int32)
        columns = np.arange(len(keys), dtype=np.int32)
        kernels().fill_table(self.keys, self.values, keys, columns)

    @staticmethod
    def fits(terms: Sequence[str], ngram_range: tuple[int, int]) -> bool:
        """Whether the keys of the vocabulary's n-grams (and of any n-gram the analysis
        meets) fit in an int64, every term being an n-gram of the range."""
        low, high = ngram_range
        lengths = list(map(len, terms))
        if lengths and not 1 <= min(lengths) <= max(lengths) <= high:
            return False
        alphabet = len(set("".join(terms)))
        return low >= 1 and (alphabet + 1) ** high < MAX_KEY

    def _digits(self, codes: np.ndarray) -> np.ndarray:
        """Each code point's number in the alphabet (0: in no n-gram of the vocabulary)."""
        at = np.searchsorted(self.alphabet, codes)
        at = np.minimum(at, max(len(self.alphabet) - 1, 0))
        hit = self.alphabet[at] == codes if len(self.alphabet) else np.zeros(len(codes), bool)
        return np.where(hit, at + 1, 0).astype(np.int64)

    def columns(self, tokens: list[str]) -> Part:
        """Per token, the columns of its char_wb n-grams (what `char_wb_ngrams` of the token
        gives, looked up in the vocabulary)."""
        codes, lengths = _code_points(tokens)
        return char_kernels().char_columns(
            self._digits(codes),
            lengths,
            self.space,
            self.low,
            self.high,
            self.base,
            self.keys,
            self.values,
        )


class WordTable:
    """Words -> (column, word id) for the compiled word analysis of new tokens
    (`charkernels.word_parts`): the words' code points in a table like `TokenCache`'s."""

    def __init__(self, words: Sequence[str], columns: Sequence[int], ids: Sequence[int]) -> None:
        codes, lengths = _code_points(words)
        self.arena = np.array(codes, dtype=np.uint32)
        self.arena_ptr = np.zeros(len(words) + 1, dtype=np.int64)
        np.cumsum(lengths, out=self.arena_ptr[1:])
        self.hashes = np.zeros(len(words), dtype=np.int64)
        self.slots = np.full(1 << max(4, (2 * len(words)).bit_length()), -1, dtype=np.int32)
        self.columns = np.asarray(columns, dtype=np.int32)
        self.ids = np.asarray(ids, dtype=np.int64)
        table = (self.slots, self.hashes, self.arena, self.arena_ptr)
        char_kernels().insert_tokens(*table, 0, len(words))

    def parts(self, tokens: list[str], unigrams: bool, pairs: bool) -> tuple[Part, Part]:
        """Per token, the columns of its words (`(?u)\\b\\w\\w+\\b`) that have one, in
        order, if `unigrams`; and every word's id (-1: none), if `pairs`."""
        codes, lengths = _code_points(tokens)
        per_token, found, per_token_ids, found_ids = char_kernels().word_parts(
            codes,
            np.cumsum(lengths),
            char_classes(codes),
            self.slots,
            self.hashes,
            self.arena,
            self.arena_ptr,
            self.columns,
            self.ids,
            unigrams,
            pairs,
        )
        return (per_token, found), (per_token_ids, found_ids)


def _code_points(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The strings' code points one string after the other (a lone surrogate is one, as in
    a str) and each string's length."""
    joined = "".join(strings).encode("utf-32-le", "surrogatepass")
    codes = np.frombuffer(joined, dtype=np.uint32)
    return codes, np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))


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


def _log_tf(size: int) -> np.ndarray:
    """log(count) + 1 for counts 0..size-1, computed by numpy as `TfidfBlock.weigh` does
    (index 0 is never read)."""
    table = np.zeros(size)
    table[1:] = np.log(np.arange(1, size, dtype=np.float64)) + 1.0
    return table


@dataclass(frozen=True)
class BlockCounter:
    """What the token pass needs of one block: `analyze` maps new distinct tokens (already
    lower-cased if the block lower-cases) to (their columns, their word ids) as parts; word
    n-grams of 2+ words come from `grams` (None: the block has none)."""

    analyze: Callable[[list[str]], tuple[Part, Part]]
    grams: GramTable | None
    n_columns: int


@dataclass(frozen=True)
class Looked:
    """One batch's tokens looked up in a pass's cache: where each text starts, the tokens'
    cache ids and the cache's arrays at that moment. A `TokenPass.lookup` also keeps the
    cleaned texts it split, their code points joined by line breaks (text r begins after r
    line breaks and the texts before it) and where each token starts in those, for the
    sentence windows of `infer.scoring` (`slices`)."""

    starts: np.ndarray
    token_ids: np.ndarray
    arrays: tuple[np.ndarray, ...]
    cleaned: Sequence[str] = ()
    token_starts: np.ndarray | None = None
    code_points: np.ndarray | None = None  # of the cleaned texts joined by line breaks

    def slices(self, first: np.ndarray, stop: np.ndarray) -> Looked:
        """The look-up of texts made of runs of these tokens: text k of the result holds
        tokens first[k]:stop[k] (indices into `token_ids`), with the same cache arrays (ids
        stay valid in them; a cache reset replaces the cache's arrays, not these)."""
        lengths = np.asarray(stop, dtype=np.int64) - first
        starts = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        # token j of the result is token j - starts[k] + first[k] of this look-up
        taken = np.repeat(np.asarray(first, dtype=np.int64) - starts[:-1], lengths)
        taken += np.arange(starts[-1], dtype=np.int64)
        return Looked(starts, self.token_ids[taken], self.arrays)


class TokenPass:
    """The compiled counting of the blocks that read one text cleaning: one token cache
    (one look-up per token for all of them) and each block's own n-gram table."""

    def __init__(
        self,
        counters: Sequence[BlockCounter],
        strip: Callable[[str], str],
        lowercase: bool,
    ) -> None:
        self.counters = tuple(counters)
        self.strip = strip
        self.lowercase = lowercase
        self.cache = TokenCache(self._analyze, 2 * len(self.counters))
        self.log_tf = _log_tf(256)

    def _analyze(self, tokens: list[str]) -> list[Part]:
        """Every block's parts of the new tokens, block after block."""
        if self.lowercase:
            tokens = [token.lower() for token in tokens]
        return [part for counter in self.counters for part in counter.analyze(tokens)]

    def lookup(self, texts: Sequence[str]) -> Looked:
        """The texts stripped of boilerplate, split on whitespace and looked up."""
        cleaned = [self.strip(t) for t in texts]
        joined, text, starts, ends, first = split_spans(cleaned)
        token_ids, arrays = self.cache.lookup(joined, text, starts, ends)
        return Looked(first, token_ids, arrays, cleaned, starts, text)

    def counts(self, block: int, looked: Looked) -> Rows:
        """Raw counts of block `block` of the pass (rows: texts, sorted columns)."""
        indptr, indices, data, _ = self._counts(block, looked, _NO_IDF, self.log_tf)
        return Rows(data, indices, indptr, (len(looked.starts) - 1, self.counters[block].n_columns))

    def tfidf(self, block: int, looked: Looked, idf: np.ndarray) -> Rows:
        """Sublinear tf x idf rows, l2-normalised, like `TfidfBlock.weigh` of the counts."""
        # float64 always (a model's stored float32 is widened exactly): one compiled kernel
        idf = np.asarray(idf, dtype=np.float64)
        indptr, indices, data, needed = self._counts(block, looked, idf, self.log_tf)
        if needed:  # a count past the end of log_tf (rare): a bigger table, and again
            self.log_tf = _log_tf(2 * needed)
            indptr, indices, data, needed = self._counts(block, looked, idf, self.log_tf)
        return Rows(data, indices, indptr, (len(looked.starts) - 1, self.counters[block].n_columns))

    def _counts(
        self, block: int, looked: Looked, idf: np.ndarray, log_tf: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """(indptr, indices, data, log_tf size needed) of the counts, weighed if `idf` is
        not empty (`tokenkernels.count_rows`)."""
        counter = self.counters[block]
        column_ptr, columns, word_ptr, words = looked.arrays[4 * block : 4 * block + 4]
        grams = counter.grams
        table = (
            (np.full(1, _EMPTY), np.full(1, -1, np.int32), 0, 1, 1)
            if grams is None
            else (grams.keys, grams.values, grams.base, grams.low, grams.high)
        )
        return kernels().count_rows(
            looked.starts,
            looked.token_ids,
            column_ptr,
            columns,
            word_ptr,
            words,
            *table,
            counter.n_columns,
            idf,
            log_tf,
        )
