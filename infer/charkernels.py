"""numba kernel of the char_wb analysis of new tokens (`infer.tokenpass.CharTable`).

Imported on the first batch, like `infer.tokenkernels`, whose n-gram table probe it uses; its
one kernel declares its argument types, so importing this module compiles it (or loads it from
numba's on-disk cache) and a call never compiles.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types

from infer.tokenkernels import _pair_column

_I32 = types.Array(types.int32, 1, "C")
_I64 = types.Array(types.int64, 1, "C")


@numba.njit(
    [(_I64, _I64, types.int64, types.int64, types.int64, types.int64, _I64, _I32)],
    cache=True,
    nogil=True,
)
def char_columns(digits, lengths, space, low, high, base, table, values):
    """Per token, the columns of its char_wb n-grams of low..high characters found in the
    table, in the order `infer.features.char_wb_ngrams` lists them (repeats kept): the
    tokens' characters are `digits` one token after the other (`lengths[t]` each, 0 for a
    character no n-gram of the vocabulary holds), padded with the space's digit on both
    sides; a key holds an n-gram's digits in `base`. Returns (columns per token, columns)."""
    n_tokens = len(lengths)
    longest = 0
    bound = 0
    for t in range(n_tokens):
        longest = max(longest, lengths[t])
        bound += (lengths[t] + 2) * (high - low + 1)
    padded = np.empty(longest + 2, dtype=np.int64)
    out = np.empty(bound, dtype=np.int32)
    per_token = np.zeros(n_tokens, dtype=np.int64)
    found = 0
    start = 0
    for t in range(n_tokens):
        size = lengths[t] + 2
        padded[0] = space
        padded[1 : size - 1] = digits[start : start + size - 2]
        padded[size - 1] = space
        start += size - 2
        before = found
        for n in range(low, high + 1):
            offset = 0
            while True:  # the n-grams at offsets 0, 1, ... (one, the whole token, if short)
                key = 0
                for k in range(offset, min(offset + n, size)):
                    if padded[k] == 0:  # a character in no n-gram of the vocabulary
                        key = -1
                        break
                    key = key * base + padded[k]
                if key > 0:
                    column = _pair_column(table, values, key)
                    if column >= 0:
                        out[found] = column
                        found += 1
                if offset + n >= size:
                    break
                offset += 1
            if offset == 0:  # a short token is counted once
                break
        per_token[t] = found - before
    return per_token, out[:found]
