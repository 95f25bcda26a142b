"""A bounded cache of per-token numbers that compiled code looks tokens up in.

The word and char blocks (`infer.tokenpass`) and the place matcher (`infer.placepass`) work
out some numbers once per distinct token (its columns, its word ids, its flags) and read
them back for every occurrence. Texts are read as code points (a str's UTF-32), tokens are
spans of them, and a numba kernel finds each span's id in an open-addressing table keyed by
the token's code points (`infer.charkernels.find_or_add`): no str object per occurrence and
no Python call per token. Only the tokens not cached yet become strings, to be analysed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from itertools import pairwise
from typing import Any

import numpy as np

from infer.kernels import load as load_kernels

MAX_TOKENS = 200_000  # distinct tokens remembered per cache (a bounded cache: ~40 MB)
Part = tuple[Sequence[int], Sequence[int]]  # per token: how many values, then all the values


def _kernels() -> Any:
    return load_kernels("charkernels")


@cache
def whitespace() -> np.ndarray:
    """space[c] = 1 where chr(c).isspace() (what str.split() splits on); no code point above
    U+3000 is whitespace (a test checks every code point)."""
    space = np.zeros(0x3001, dtype=np.uint8)
    space[[c for c in range(0x3001) if chr(c).isspace()]] = 1
    space.setflags(write=False)
    return space


# The classes of a code point that compiled tokenisers read, by the regexes that define them:
# \w (the word tokeniser's runs); a letter other than a-z (what starts a place name,
# `infer.places._TOKEN`); \w but "_" (what ends one); what a name's tail holds; a-z.
WORD, NAME_START, NAME_END, NAME_TAIL, ASCII_LOWER = (1 << bit for bit in range(5))
_CLASS_PATTERNS = tuple(
    (1 << bit, re.compile(pattern))
    for bit, pattern in enumerate((r"\w", r"[^\W\d_a-z]", r"[^\W_]", r"[\w'’\-]", r"[a-z]"))
)
_CLASSIFIED = 128


@cache
def _class_table() -> tuple[np.ndarray, np.ndarray]:
    """A byte per code point (its classes, once classified) and a read-only view of it; the
    ASCII ones are classified here, the others when a text first holds them."""
    table = np.zeros(0x110000, dtype=np.uint8)
    _classify(table, range(128))
    view = table.view()
    view.setflags(write=False)
    return table, view


def _classify(table: np.ndarray, points: Iterable[int]) -> None:
    for point in points:
        char = chr(point)
        table[point] = _CLASSIFIED | sum(bit for bit, p in _CLASS_PATTERNS if p.match(char))


def char_classes(text: np.ndarray) -> np.ndarray:
    """The class table (read-only, indexed by code point), every code point of `text` (code
    points) classified."""
    table, view = _class_table()
    high = text[text >= 128]
    if len(high):
        points = np.unique(high)
        _classify(table, points[table[points] == 0].tolist())
    return view


def code_points(text: str) -> np.ndarray:
    """A str's code points (a lone surrogate is one, as in the str)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def split_spans(texts: Sequence[str]) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The texts joined by line breaks, its code points, and what `str.split()` gives for
    each text: the tokens' (starts, ends) in the joined text, each text's first token (then
    the total)."""
    joined = "\n".join(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    begin = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=begin[1:])
    text = code_points(joined)
    starts, ends, first = _kernels().split_spans(text, begin, begin + lengths, whitespace())
    return joined, text, starts, ends, first


class TokenCache:
    """Per distinct token, `n_parts` runs of numbers (a block's columns, its word ids, a
    place token's flags...), as flat arrays the kernels read: part p of token i is
    `values_p[ptr_p[i]:ptr_p[i + 1]]`."""

    def __init__(self, analyze: Callable[[list[str]], Sequence[Part]], n_parts: int) -> None:
        self.analyze = analyze  # new distinct tokens -> per part (lengths, values)
        self.n_parts = n_parts
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.size = 0  # tokens cached
        self.slots = np.full(1024, -1, dtype=np.int32)  # load factor <= 1/2
        self.hashes = np.zeros(512, dtype=np.int64)
        self.arena = np.zeros(4096, dtype=np.uint32)  # token i: arena[arena_ptr[i]:...[i + 1]]
        self.arena_ptr = np.zeros(513, dtype=np.int64)
        # the arrays have spare room at the end (doubled when full)
        self.arrays = tuple(
            np.zeros(1024 if at % 2 == 0 else 16384, dtype=np.int64 if at % 2 == 0 else np.int32)
            for at in range(2 * self.n_parts)
        )

    def __len__(self) -> int:
        return self.size

    def tokens(self) -> list[str]:
        """The cached tokens, in id order."""
        ptr = self.arena_ptr[: self.size + 1].tolist()
        text = self.arena[: ptr[-1]].tobytes().decode("utf-32-le", "surrogatepass")
        at = [p - ptr[0] for p in ptr]
        return [text[a:b] for a, b in pairwise(at)]

    def lookup(
        self, joined: str, text: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """The cache ids of the tokens `joined[starts[k]:ends[k]]` (`text`: the code points
        of `joined`) and the cache's arrays (ptr_0, values_0, ptr_1, ...), consistent with
        each other. The tokens not cached yet are added as the kernel meets them (so each
        is made a str and analysed once, in order of first occurrence); a cache that would
        pass MAX_TOKENS starts over, and then every token of the batch is new."""
        with self.lock:
            try:
                return self._lookup(joined, text, starts, ends)
            except BaseException:  # (an interrupt) ids without their parts: forget them all
                self._reset()
                raise

    def _lookup(
        self, joined: str, text: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        ids = np.empty(len(starts), dtype=np.int64)
        first_at = np.empty(len(starts), dtype=np.int64)
        origin, k, limit = self.size, 0, MAX_TOKENS
        while True:
            k, self.size = _kernels().find_or_add(
                text,
                starts,
                ends,
                ids,
                first_at,
                k,
                self.slots,
                self.hashes,
                self.arena,
                self.arena_ptr,
                self.size,
                origin,
                limit,
            )
            if k == len(starts):
                break
            if self.size >= limit:  # full: start over, every token of the batch new
                self._reset()
                origin, k, limit = 0, 0, len(starts)
            else:
                self._make_room(int(ends[k] - starts[k]))
        if self.size > origin:
            self._analyse(joined, starts, ends, first_at[: self.size - origin], origin)
        return ids, self.arrays

    def _make_room(self, length: int) -> None:
        """Room for one more token of `length` code points (the table kept at most half
        full: when it would not be, a twice bigger one, every token inserted again)."""
        stop = self.size + 1
        self.hashes = _room(self.hashes, stop)
        self.arena_ptr = _room(self.arena_ptr, stop + 1)
        self.arena = _room(self.arena, int(self.arena_ptr[self.size]) + length)
        if 2 * stop > len(self.slots):
            self.slots = np.full(1 << (2 * stop).bit_length(), -1, dtype=np.int32)
            tables = (self.slots, self.hashes, self.arena, self.arena_ptr)
            _kernels().insert_tokens(*tables, 0, self.size)

    def _analyse(
        self, joined: str, starts: np.ndarray, ends: np.ndarray, first_at: np.ndarray, first: int
    ) -> None:
        """Analyse the tokens added from id `first` on (token `first + i` first occurs at
        `first_at[i]`) and append their parts."""
        new = _strings(joined, starts[first_at], ends[first_at])
        parts = self.analyze(new)
        arrays = list(self.arrays)
        for part, (lengths, values) in enumerate(parts):
            at = 2 * part
            arrays[at], arrays[at + 1] = _append(arrays[at], arrays[at + 1], first, lengths, values)
        self.arrays = tuple(arrays)


def _strings(joined: str, starts: np.ndarray, ends: np.ndarray) -> list[str]:
    """The tokens joined[starts[k]:ends[k]]."""
    return [joined[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


def _append(
    ptr: np.ndarray, values: np.ndarray, first: int, lengths: Sequence[int], new: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """ptr/values with `len(lengths)` tokens appended after token `first` (grown when full)."""
    start = int(ptr[first])
    ptr = _room(ptr, first + len(lengths) + 1)
    values = _room(values, start + len(new))
    np.cumsum(lengths, dtype=np.int64, out=ptr[first + 1 : first + 1 + len(lengths)])
    ptr[first + 1 : first + 1 + len(lengths)] += start
    values[start : start + len(new)] = new
    return ptr, values


def _room(array: np.ndarray, size: int) -> np.ndarray:
    """The array itself if it holds `size` items, else a copy of twice the size needed."""
    if size <= len(array):
        return array
    grown = np.zeros(2 * size, dtype=array.dtype)
    grown[: len(array)] = array
    return grown
