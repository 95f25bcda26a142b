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


_MIX_SIGNATURES = [
    numba.float64[:, ::1](
        numba.float64[:, ::1],
        numba.types.Array(dtype, 2, "C", readonly=True),
    )
    for dtype in (numba.float32, numba.float64)
]


@numba.njit(_MIX_SIGNATURES, cache=True, nogil=True)
def mix_product(latent, mix):
    """latent (texts x r) times a factorised head's mix (r x classes): out[t, k] is the sum
    over j, in order, of latent[t, j] * mix[j, k] (float32 widened exactly, no fused
    multiply-add), what `Head.reference_scores` adds up one latent column at a time. Single
    threaded, unlike numpy's BLAS product, whose threads would take the other cores."""
    n_rows, rank = latent.shape
    n_classes = mix.shape[1]
    out = np.zeros((n_rows, n_classes))
    for row in range(n_rows):
        total = out[row]
        for j in range(rank):
            weight = latent[row, j]
            factors = mix[j]
            for k in range(n_classes):
                total[k] = total[k] + weight * factors[k]
    return out


_U32_READ = types.Array(types.uint32, 1, "C", readonly=True)
_U8_READ = types.Array(types.uint8, 1, "C", readonly=True)
# what `strip_boilerplate` (infer.features) reads at a window's start (`_window_risk`)
_DATELINE_MAX_CHARS = 80
_MARK_HEAD = 16  # an agency tag's or citation mark's part before a space in it ("[citation")


@numba.njit(cache=True, nogil=True, inline="always")
def _is_space(c, space):
    return c < len(space) and space[c] != 0


@numba.njit(cache=True, nogil=True, inline="always")
def _closing(c):
    # _BREAK's closing quotes: " ' ” ’ )
    return c == 34 or c == 39 or c == 0x201D or c == 0x2019 or c == 41


@numba.njit(cache=True, nogil=True, inline="always")
def _opening(c):
    # _BREAK's opening quotes: " ' “ ‘ (
    return c == 34 or c == 39 or c == 0x201C or c == 0x2018 or c == 40


@numba.njit(cache=True, nogil=True)
def _next_break(text, p, stop, space):
    """The first match of `infer.scoring._BREAK` in text[p:stop] as finditer finds it: (the
    end of the sentence before it, where the next one starts, whether only whitespace lies
    between them); (-1, -1, True) when there is none."""
    while p < stop:
        c = text[p]
        if c == 46 or c == 33 or c == 63:  # . ! ?: closing quotes, whitespace, then (after
            q = p + 1  # opening quotes) an upper-case ASCII letter or a digit
            while q < stop and _closing(text[q]):
                q += 1
            white = q
            while q < stop and _is_space(text[q], space):
                q += 1
            if q > white:
                k = q
                while k < stop and _opening(text[k]):
                    k += 1
                if k < stop and (65 <= text[k] <= 90 or 48 <= text[k] <= 57):
                    return p + 1, q, white == p + 1
        elif c == 10:  # a line break, whitespace, the last line break of that whitespace
            q = p + 1
            last = -1
            while q < stop and _is_space(text[q], space):
                if text[q] == 10:
                    last = q
                q += 1
            if last >= 0:
                return p, last + 1, True
        p += 1
    return -1, -1, True


@numba.njit(cache=True, nogil=True)
def _start_risk(text, a, b, first):
    """Whether `strip_boilerplate` might strip a dateline or upper-case prefix from a window
    whose first sentence is text[a:b] (its first token starting at `first`): the sentence is
    shorter than the characters the dateline test reads, a space-dash pair lies in them, or
    the sentence starts like an upper-case prefix (`_CAPS_START` of infer.scoring)."""
    if b - a < _DATELINE_MAX_CHARS:
        return True
    for k in range(a, a + _DATELINE_MAX_CHARS - 1):
        if text[k] == 32 and (text[k + 1] == 45 or text[k + 1] == 0x2013 or text[k + 1] == 0x2014):
            return True
    if not 65 <= text[first] <= 90:
        return False
    for k in range(first + 1, first + 3):
        if k >= b:
            return True
        c = text[k]
        if not (65 <= c <= 90 or c == 32 or c == 39 or c == 45):
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _tail_risk(text, a, b):
    """Whether an agency tag or citation mark might start in the end of text[a:b] and go on
    past the space that joins the next sentence to it: a ( or [ in its last _MARK_HEAD."""
    found = False
    for k in range(max(a, b - _MARK_HEAD), b):
        if text[k] == 40 or text[k] == 91:
            found = True
            break
    return found


@numba.njit(
    [(_U32_READ, _I64, _I64, _I64, _I64, _I64, _U8_READ, types.int64)], cache=True, nogil=True
)
def window_spans(text, begins, ends, rows, token_starts, first_token, space, size):
    """The sentence windows of texts `rows` (text r: code points text[begins[r]:ends[r]],
    `str.split()` tokens `first_token[r]:first_token[r + 1]` starting at `token_starts`) as
    `infer.scoring.sentence_windows` makes them: the sentences `_sentences` splits, those
    that are not only whitespace, `size` consecutive ones a window. Per window: its text,
    its tokens (first, stop), its first sentence (an index into the sentence arrays), and
    flags: 1 when a sentence of it does not end where a token does (closing quotes dropped
    after it), 2 when `strip_boilerplate` might change its text (`_start_risk`, or a
    sentence but the last with `_tail_risk`). Per sentence: its (start, end) in its text."""
    cap = len(rows)
    for r in rows:
        cap += first_token[r + 1] - first_token[r]  # sentences kept hold a token each
    piece_start = np.empty(cap, dtype=np.int64)
    piece_end = np.empty(cap, dtype=np.int64)
    piece_first = np.empty(cap, dtype=np.int64)
    piece_stop = np.empty(cap, dtype=np.int64)
    piece_flags = np.empty(cap, dtype=np.int64)  # 1: not aligned, 2: _start_risk, 4: _tail_risk
    owner = np.empty(cap, dtype=np.int64)
    first = np.empty(cap, dtype=np.int64)
    stop = np.empty(cap, dtype=np.int64)
    piece = np.empty(cap, dtype=np.int64)
    flags = np.empty(cap, dtype=np.int64)
    n_pieces = 0
    n_windows = 0
    for r in rows:
        begin, end = begins[r], ends[r]
        token, last_token = first_token[r], first_token[r + 1]
        doc_first = n_pieces
        at = begin
        while True:
            piece_stop_at, next_at, aligned = _next_break(text, at, end, space)
            if piece_stop_at < 0:
                piece_stop_at = end
            start_token = token
            while token < last_token and token_starts[token] < piece_stop_at:
                token += 1
            if token > start_token:  # not only whitespace
                piece_start[n_pieces] = at - begin
                piece_end[n_pieces] = piece_stop_at - begin
                piece_first[n_pieces] = start_token
                piece_stop[n_pieces] = token
                risk = 0 if aligned else 1
                if _start_risk(text, at, piece_stop_at, token_starts[start_token]):
                    risk |= 2
                if _tail_risk(text, at, piece_stop_at):
                    risk |= 4
                piece_flags[n_pieces] = risk
                n_pieces += 1
            if next_at < 0:
                break
            at = next_at
        if n_pieces - doc_first <= size:  # (a text of `size` sentences or fewer has none)
            continue
        for i in range(doc_first, n_pieces - size + 1):
            last = i + size - 1
            risk = piece_flags[i] & 3
            for j in range(i, last + 1):
                risk |= piece_flags[j] & 1
            for j in range(i, last):
                if piece_flags[j] & 4:
                    risk |= 2
            owner[n_windows] = r
            first[n_windows] = piece_first[i]
            stop[n_windows] = piece_stop[last]
            piece[n_windows] = i
            flags[n_windows] = risk
            n_windows += 1
    return (
        owner[:n_windows],
        first[:n_windows],
        stop[:n_windows],
        piece[:n_windows],
        flags[:n_windows],
        piece_start[:n_pieces],
        piece_end[:n_pieces],
    )
