"""An open-addressing hash table from pairs of uint64 keys to ids, built and probed with numpy.

It maps many keys at once with a handful of array operations (no Python object per key), which
is what the word n-gram path needs for millions of tokens. Keys are exact: a hit compares both
halves of the stored key, so distinct keys never collide.
"""

from __future__ import annotations

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio (Fibonacci hashing)
_MIX2 = np.uint64(0xC2B2AE3D27D4EB4F)
_EMPTY = -1


class KeyTable:
    """(high, low) uint64 key -> non-negative int64 value; absent keys map to -1."""

    def __init__(self, high: np.ndarray, low: np.ndarray, values: np.ndarray) -> None:
        high = np.asarray(high, dtype=np.uint64)
        low = np.asarray(low, dtype=np.uint64)
        values = np.asarray(values, dtype=np.int64)
        if np.any(values < 0):
            raise ValueError("KeyTable values must be >= 0")
        bits = max(4, int(len(values) * 4).bit_length())  # load factor <= 1/4
        self.mask = np.int64((1 << bits) - 1)
        self.shift = np.uint64(64 - bits)
        self.high = np.zeros(1 << bits, dtype=np.uint64)
        self.low = np.zeros(1 << bits, dtype=np.uint64)
        self.values = np.full(1 << bits, _EMPTY, dtype=np.int64)
        pending = np.arange(len(values))
        slot = self._home(high, low)
        while len(pending):  # linear probing, inserted in rounds: the first claimant wins a slot
            free = np.flatnonzero(self.values[slot] == _EMPTY)
            slots, first = np.unique(slot[free], return_index=True)
            won = free[first]  # positions in `pending` of the keys placed this round
            self.high[slots], self.low[slots] = high[won], low[won]
            self.values[slots] = values[pending[won]]
            lost = np.ones(len(pending), dtype=bool)
            lost[won] = False
            pending, slot = pending[lost], (slot[lost] + 1) & self.mask
            high, low = high[lost], low[lost]

    def _home(self, high: np.ndarray, low: np.ndarray) -> np.ndarray:
        """The first slot probed for each key."""
        mixed = (high ^ (low * _MIX2)) * _MIX
        return (mixed >> self.shift).astype(np.int64)

    def get(self, high: np.ndarray, low: np.ndarray) -> np.ndarray:
        """The value of each key (-1 when absent)."""
        high = np.asarray(high, dtype=np.uint64)
        low = np.asarray(low, dtype=np.uint64)
        out = np.full(len(high), _EMPTY, dtype=np.int64)
        todo = np.arange(len(high))
        slot = self._home(high, low)
        while len(todo):
            value = self.values[slot]
            hit = (self.high[slot] == high) & (self.low[slot] == low) & (value != _EMPTY)
            out[todo[hit]] = value[hit]
            probe = (value != _EMPTY) & ~hit  # a different key sits there: look further
            todo, slot = todo[probe], (slot[probe] + 1) & self.mask
            high, low = high[probe], low[probe]
        return out
