"""numba kernels of `infer.tokenpass` (imported on the first batch: numba loads here only).

Every kernel that Python calls declares the argument types scoring passes it, so importing
this module compiles them all (or loads them from numba's on-disk cache) and a call never
compiles: `make install` and every training import it once, and the first `predict` after
either only loads cached machine code.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types

_I32 = types.Array(types.int32, 1, "C")
_I64 = types.Array(types.int64, 1, "C")
_F64 = types.Array(types.float64, 1, "C")
_F64_READ = types.Array(types.float64, 1, "C", readonly=True)

_MIX = -7046029254386353131  # 0x9E3779B97F4A7C15 as int64 (Fibonacci hashing, wraps)


@numba.njit(cache=True, nogil=True)
def _slot(key: int, mask: int) -> int:
    mixed = key * _MIX
    return (mixed ^ (mixed >> 29)) & mask


@numba.njit([(_I64, _I32, _I64, _I32)], cache=True, nogil=True)
def fill_table(
    table: np.ndarray, values: np.ndarray, keys: np.ndarray, columns: np.ndarray
) -> None:
    """Insert each key -> column into the open-addressing table (linear probing)."""
    mask = len(table) - 1
    for i in range(len(keys)):
        slot = _slot(keys[i], mask)
        while table[slot] != -1 and table[slot] != keys[i]:
            slot = (slot + 1) & mask
        table[slot] = keys[i]
        values[slot] = columns[i]


@numba.njit(cache=True, nogil=True)
def _pair_column(table: np.ndarray, values: np.ndarray, key: int) -> int:
    mask = len(table) - 1
    slot = _slot(key, mask)
    while table[slot] != -1:
        if table[slot] == key:
            return values[slot]
        slot = (slot + 1) & mask
    return -1


@numba.njit(cache=True, nogil=True)
def _insertion_sort(indices, data, begin, end):
    """Sort `indices[begin:end]` in place, moving `data` along (a short row of a CSR matrix)."""
    for j in range(begin + 1, end):
        column, value = indices[j], data[j]
        k = j - 1
        while k >= begin and indices[k] > column:
            indices[k + 1], data[k + 1] = indices[k], data[k]
            k -= 1
        indices[k + 1], data[k + 1] = column, value


# the lowest set bit of a 64-bit word by a de Bruijn multiply: (w & -w) * _DE_BRUIJN puts a
# distinct 6-bit pattern in the top bits for each of the 64 positions
_DE_BRUIJN = 0x03F79D71B4CB0A89
_LOWEST_BIT = np.zeros(64, dtype=np.int64)
for _bit in range(64):
    _LOWEST_BIT[(((1 << _bit) * _DE_BRUIJN) & (2**64 - 1)) >> 58] = _bit
_DE_BRUIJN_I64 = np.int64(_DE_BRUIJN)


@numba.njit(cache=True, nogil=True, inline="always")
def _lowest_bit(word: int) -> int:
    """The position of the lowest set bit of a non-zero int64."""
    return _LOWEST_BIT[(((word & -word) * _DE_BRUIJN_I64) >> 58) & 63]


_COUNT_ARGUMENTS = [
    (_I64, _I64, _I64, _I32, _I64, _I32, _I64, _I32, *[types.int64] * 4, idf, _F64)
    for idf in (_F64, _F64_READ)
]


@numba.njit(_COUNT_ARGUMENTS, cache=True, nogil=True)
def count_rows(
    starts,
    token_ids,
    column_ptr,
    columns,
    word_ptr,
    words,
    table,
    values,
    base,
    low,
    high,
    n_columns,
    idf,
    log_tf,
):
    """CSR (indptr, indices, data) of raw counts: per text, each token's direct columns plus
    the columns of its word n-grams of low..high words (n >= 2) found in the table, the key
    of an n-gram being its word ids + 1 as digits in `base` (base 0: no n-grams); columns
    sorted within a row. With an `idf` (not empty), the rows are weighed as they are
    written: sublinear tf (log_tf[count] = log(count) + 1, computed by numpy) x idf,
    l2-normalised, the same operations in the same order as `TfidfBlock.weigh`, so the same
    bits. Also returns the size log_tf needs when a count was past its end (0: none was, and
    the rows are complete)."""
    weigh = len(idf) > 0
    needed = 0
    n_rows = len(starts) - 1
    bound = 0
    for i in range(len(token_ids)):
        token = token_ids[i]
        bound += (
            column_ptr[token + 1]
            - column_ptr[token]
            + (word_ptr[token + 1] - word_ptr[token]) * max(high - 1, 0)
        )
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    indices = np.empty(bound, dtype=np.int32)
    data = np.empty(bound, dtype=np.float64)
    counts = np.zeros(n_columns, dtype=np.int32)
    leaves = np.zeros((n_columns + 63) >> 6, dtype=np.int64)  # a bit per column seen
    summary = np.zeros((len(leaves) + 63) >> 6, dtype=np.int64)  # a bit per non-zero leaf
    one = np.int64(1)
    history = np.full(max(high - 1, 1), -1, dtype=np.int64)  # the previous words, latest first
    nnz = 0
    for row in range(n_rows):
        history[:] = -1
        for i in range(starts[row], starts[row + 1]):
            token = token_ids[i]
            for k in range(column_ptr[token], column_ptr[token + 1]):
                column = columns[k]
                leaf = column >> 6  # the column's bit and its leaf's (no branch: idempotent)
                summary[leaf >> 6] |= one << (leaf & 63)
                leaves[leaf] |= one << (column & 63)
                counts[column] += 1
            if base == 0:
                continue
            for k in range(word_ptr[token], word_ptr[token + 1]):
                word = words[k]
                if word >= 0:
                    key = word + 1
                    scale = base
                    for n in range(2, high + 1):
                        before = history[n - 2]
                        if before < 0:
                            break
                        key += (before + 1) * scale
                        scale *= base
                        if n >= low:
                            column = _pair_column(table, values, key)
                            if column >= 0:
                                leaf = column >> 6
                                summary[leaf >> 6] |= one << (leaf & 63)
                                leaves[leaf] |= one << (column & 63)
                                counts[column] += 1
                for n in range(len(history) - 1, 0, -1):
                    history[n] = history[n - 1]
                history[0] = word
        # the row's columns in increasing order: only the non-zero words are visited, so a
        # row costs a scan of `summary` (n_columns / 4096 words) plus a step per column
        total = 0.0
        for s in range(len(summary)):
            upper = summary[s]
            while upper != 0:
                leaf = (s << 6) + _lowest_bit(upper)
                upper &= upper - 1
                bits = leaves[leaf]
                leaves[leaf] = 0
                while bits != 0:
                    column = (leaf << 6) + _lowest_bit(bits)
                    bits &= bits - 1
                    indices[nnz] = column
                    count = counts[column]
                    counts[column] = 0
                    if not weigh:
                        data[nnz] = count
                    elif count < len(log_tf):
                        value = log_tf[count] * idf[column]
                        data[nnz] = value
                        total += value * value
                    else:
                        needed = max(needed, count + 1)
                    nnz += 1
            summary[s] = 0
        if weigh:
            norm = np.sqrt(total)
            if norm == 0.0:
                norm = 1.0
            for j in range(indptr[row], nnz):
                data[j] /= norm
        indptr[row + 1] = nnz
    # the first nnz entries of the worst-case arrays (views: no copy)
    return indptr, indices[:nnz], data[:nnz], needed


# coefficient rows are read-only (a model's arrays are views into its file's buffer)
_PRODUCT_SIGNATURES = [
    numba.float64[:, ::1](
        numba.int64[::1],
        numba.int32[::1],
        numba.float64[::1],
        numba.int32[::1],
        numba.types.Array(dtype, 2, "C", readonly=True),
    )
    for dtype in (numba.float32, numba.float64)
]


_UNROLL = 8  # entries added per pass over a row's classes (see `head_product`)


@numba.njit(_PRODUCT_SIGNATURES, cache=True, nogil=True)
def head_product(indptr, indices, data, column_map, rows):
    """CSR rows times a head's coefficient rows: out[r] = sum over the row's entries j, in
    order, of data[j] * rows[column_map[indices[j]]] (entries mapped to -1 are not read).
    float32 coefficients are widened exactly, so this equals scipy's csr @ float64 product
    term by term (same order, no fused multiply-add).

    Eight entries are added per pass over the classes, each class's sum still taken left to
    right ((out + a) + b) + ..., the same operations as one entry a pass but with an eighth of
    the loads and stores of the output row (1.45x faster on a 163-class head)."""
    n_classes = rows.shape[1]
    n_rows = len(indptr) - 1
    out = np.zeros((n_rows, n_classes))
    longest = 0
    for row in range(n_rows):
        longest = max(longest, indptr[row + 1] - indptr[row])
    at = np.empty(longest, dtype=np.int64)  # the row's entries that are read
    value = np.empty(longest)
    for row in range(n_rows):
        m = 0
        for j in range(indptr[row], indptr[row + 1]):
            if column_map[indices[j]] >= 0:
                at[m] = column_map[indices[j]]
                value[m] = data[j]
                m += 1
        total = out[row]
        q = 0
        while q + _UNROLL <= m:
            r0, r1, r2, r3 = rows[at[q]], rows[at[q + 1]], rows[at[q + 2]], rows[at[q + 3]]
            r4, r5, r6, r7 = rows[at[q + 4]], rows[at[q + 5]], rows[at[q + 6]], rows[at[q + 7]]
            v0, v1, v2, v3 = value[q], value[q + 1], value[q + 2], value[q + 3]
            v4, v5, v6, v7 = value[q + 4], value[q + 5], value[q + 6], value[q + 7]
            for k in range(n_classes):
                s = total[k] + v0 * r0[k]
                s = s + v1 * r1[k]
                s = s + v2 * r2[k]
                s = s + v3 * r3[k]
                s = s + v4 * r4[k]
                s = s + v5 * r5[k]
                s = s + v6 * r6[k]
                total[k] = s + v7 * r7[k]
            q += _UNROLL
        while q < m:
            r0, v0 = rows[at[q]], value[q]
            for k in range(n_classes):
                total[k] += v0 * r0[k]
            q += 1
    return out
