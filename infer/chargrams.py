"""Vectorised char_wb n-gram counting: the fast path of a character block's TF-IDF transform.

scikit-learn's char_wb analyzer pads every whitespace-separated word with one space on each
side and takes its n-grams; a padded word no longer than n gives one n-gram (itself) and stops
the word. For ASCII texts the same n-grams are found with numpy alone: the batch is joined,
lower-cased and whitespace-normalised by one bytes.translate, each n-gram of up to 8 bytes is
read as one big-endian integer (its length is the second half of the key) and looked up in a
KeyTable. Other texts go through the analyzer. Tests pin equality with `char_wb_ngrams`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import repeat

import numpy as np

from infer.keytable import KeyTable

MAX_BYTES = 8
SLICE = 256  # ASCII texts handled together
_SPACE = ord(" ")


def supports(analyzer: str, ngram_range: tuple[int, int]) -> bool:
    """Whether the fast path can count this block (char_wb n-grams of at most 8 characters)."""
    low, high = ngram_range
    return analyzer == "char_wb" and 1 <= low <= high <= MAX_BYTES


def char_table(lowercase: bool) -> bytes:
    """bytes.translate table: ASCII whitespace -> space, upper case -> lower case if asked."""
    table = bytearray(range(256))
    for code in range(128):
        char = chr(code)
        if char.isspace():
            table[code] = _SPACE
        elif lowercase:
            table[code] = ord(char.lower())
    return bytes(table)


class CharGramIndex:
    """Integer keys of a character block's ASCII terms, and the analyzer for other texts."""

    def __init__(self, terms: Sequence[str], ngram_range: tuple[int, int], lowercase: bool,
                 analyze: Callable[[str], list[str]]) -> None:
        self.low, self.high = ngram_range
        self.lowercase = lowercase
        self.analyze = analyze  # text after boilerplate stripping -> its n-grams (slow path)
        self.table = char_table(lowercase)
        self.index = {term: column for column, term in enumerate(terms)}
        packed = [(int.from_bytes(term.encode("ascii"), "big"), len(term), column)
                  for column, term in enumerate(terms)
                  if term.isascii() and 0 < len(term) <= MAX_BYTES]
        self.keys = KeyTable(np.array([p[0] for p in packed], dtype=np.uint64),
                             np.array([p[1] for p in packed], dtype=np.uint64),
                             np.array([p[2] for p in packed], dtype=np.int64))

    def columns(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every vocabulary n-gram occurrence in the texts (any order)."""
        fast = [row for row, text in enumerate(texts) if text.isascii()]
        slow = [row for row, text in enumerate(texts) if not text.isascii()]
        parts = []  # slices of texts: a text has ~700 n-grams, this bounds the temporaries
        for at in range(0, len(fast), SLICE):
            part_rows, part_columns = self._ascii_columns([texts[row] for row in
                                                           fast[at:at + SLICE]])
            parts.append((np.asarray(fast[at:at + SLICE], dtype=np.int64)[part_rows],
                          part_columns))
        rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
        columns = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
        if slow:
            index = self.index
            slow_rows: list[int] = []
            slow_columns: list[int] = []
            for row in slow:
                found = [c for c in map(index.get, self.analyze(texts[row])) if c is not None]
                slow_columns.extend(found)
                slow_rows.extend(repeat(row, len(found)))
            rows = np.concatenate([rows, np.asarray(slow_rows, dtype=np.int64)])
            columns = np.concatenate([columns, np.asarray(slow_columns, dtype=np.int64)])
        return rows, columns

    def _ascii_columns(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(index in `texts`, column) of the n-grams of ASCII texts, found with numpy alone."""
        joined = (" " + " ".join(texts)).encode("ascii").translate(self.table)
        data = np.frombuffer(joined + b" " * (MAX_BYTES + 1), dtype=np.uint8)
        word = data != _SPACE
        edges = np.flatnonzero(word[1:] != word[:-1]) + 1  # data[0] is a space
        starts, ends = edges[0::2], edges[1::2]
        text_starts = np.cumsum([1] + [len(text) + 1 for text in texts[:-1]])
        word_rows = np.searchsorted(text_starts, starts, side="right") - 1
        padded_start, padded = starts - 1, ends - starts + 2  # " word "
        windows = np.lib.stride_tricks.as_strided(data, shape=(len(data) - MAX_BYTES, MAX_BYTES),
                                                  strides=(1, 1))
        values = windows.view(">u8")[:, 0]  # the 8 bytes from each position, big-endian
        gram_starts, gram_lengths, gram_rows = [], [], []
        for n in range(self.low, self.high + 1):
            sliding = np.flatnonzero(padded > n)
            counts = padded[sliding] - n + 1
            first = np.repeat(padded_start[sliding], counts)
            offsets = np.arange(len(first)) - np.repeat(np.cumsum(counts) - counts, counts)
            gram_starts.append(first + offsets)
            gram_lengths.append(np.full(len(first), n))
            gram_rows.append(np.repeat(word_rows[sliding], counts))
            whole = np.flatnonzero(padded == n) if n > self.low else \
                np.flatnonzero(padded <= n)  # the word's last n-gram: itself
            gram_starts.append(padded_start[whole])
            gram_lengths.append(padded[whole])
            gram_rows.append(word_rows[whole])
        starts_all = np.concatenate(gram_starts)
        lengths = np.concatenate(gram_lengths).astype(np.uint64)
        high = values[starts_all].astype(np.uint64) >> (np.uint64(8) * (np.uint64(8) - lengths))
        columns = self.keys.get(high, lengths)
        found = columns >= 0
        return np.concatenate(gram_rows)[found], columns[found]
