"""numba kernels that analyse new tokens character by character: the columns of a token's
char_wb n-grams (`infer.tokenpass.CharTable`) and the place key of an ASCII place token
(`infer.placepass.token_keys`).

Imported on the first batch, like `infer.tokenkernels`, whose n-gram table probe they use;
every kernel declares its argument types, so importing this module compiles them (or loads
them from numba's on-disk cache) and a call never compiles.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types

from infer.tokenkernels import _pair_column

_I32 = types.Array(types.int32, 1, "C")
_I64 = types.Array(types.int64, 1, "C")
_BYTES_READ = types.Array(types.uint8, 1, "C", readonly=True)  # np.frombuffer of a bytes
_A, _E, _H, _I, _O, _U, _Y, _SPACE = (ord(c) for c in "aehiouy ")


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


@numba.njit(cache=True, nogil=True)
def _replace_pairs(word, n, old, new):
    """In place: `str.replace(old + old2, new)` for the pair old = (first, second), left to
    right without overlaps; returns the new length."""
    out = 0
    i = 0
    while i < n:
        if i + 1 < n and word[i] == old[0] and word[i + 1] == old[1]:
            word[out] = new
            i += 2
        else:
            word[out] = word[i]
            i += 1
        out += 1
    return out


@numba.njit(cache=True, nogil=True)
def _fold_word(word, n):
    """In place: `infer.places.fold_word` of an ASCII word; returns its new length."""
    n = _replace_pairs(word, n, (_O, _U), _U)
    n = _replace_pairs(word, n, (_O, _O), _U)
    n = _replace_pairs(word, n, (_E, _E), _I)
    n = _replace_pairs(word, n, (_A, _A), _A)
    out = 0
    for i in range(n):  # a run of one letter once
        if i == 0 or word[i] != word[i - 1]:
            word[out] = word[i]
            out += 1
    n = out
    # the Arabic ending: the match that starts first wins, as the regex's does
    last = word[n - 1] if n else 0
    before = word[n - 2] if n >= 2 else 0
    if n >= 4 and word[n - 4] == _I and word[n - 3] == _Y and last == _H and _a_or_e(before):
        word[n - 3] = _A  # -iyah, -iyeh
        return n - 2
    if n >= 3 and word[n - 3] == _I and before == _Y and _a_or_e(last):
        word[n - 2] = _A  # -iya, -iye
        return n - 1
    if n >= 3 and word[n - 3] == _I and _a_or_e(before) and last == _H:
        word[n - 2] = _A  # -iah, -ieh
        return n - 1
    if n >= 5 and before == _A and last == _H and not _vowel_or_y(word[n - 3]):
        return n - 1  # -ah after a consonant
    return n


@numba.njit(cache=True, nogil=True, inline="always")
def _a_or_e(c):
    return c in (_A, _E)


@numba.njit(cache=True, nogil=True, inline="always")
def _vowel_or_y(c):
    return c in (_A, _E, _I, _O, _U, _Y)


@numba.njit(cache=True, nogil=True)
def _packed(word, start, stop):
    """word[start:stop] as little-endian bytes in an int64 (-1 if longer than 7)."""
    if stop - start > 7:
        return -1
    packed = 0
    for m in range(stop - 1, start - 1, -1):
        packed = packed * 256 + word[m]
    return packed


@numba.njit(cache=True, nogil=True)
def _is_article(word, start, stop, articles):
    packed = _packed(word, start, stop)
    found = False
    for article in articles:
        found |= article == packed
    return found


@numba.njit([(_BYTES_READ, _I64, _I64, types.int64)], cache=True, nogil=True)
def place_keys(text, ends, articles, article):
    """`infer.places._token_key` of ASCII tokens (`text`: the tokens' bytes one after the
    other, token t ending at `ends[t]`; `articles` and `article` packed like `_packed`):
    the keys, each followed by a line break, as bytes."""
    out = np.empty(5 * len(text) + len(ends), dtype=np.uint8)  # "&" -> " and": 4 for 1
    name = np.empty(5 * (len(text) + 1), dtype=np.uint8)
    word = np.empty(5 * (len(text) + 1), dtype=np.uint8)
    found = 0
    start = 0
    for t in range(len(ends)):
        stop = ends[t]
        if stop - start >= 2 and text[stop - 2] == 39 and text[stop - 1] == 115:  # 's
            stop -= 2
        # normalise: lower case, "&" -> " and ", ' . ` dropped, other runs -> one space
        n = 0
        space = False
        for i in range(start, stop):
            c = text[i]
            if 65 <= c <= 90:
                c += 32
            if c == 38:  # &
                if n > 0:
                    name[n] = _SPACE
                    n += 1
                name[n], name[n + 1], name[n + 2] = _A, 110, 100
                n += 3
                space = True
            elif c == 39 or c == 46 or c == 96:
                continue
            elif (97 <= c <= 122) or (48 <= c <= 57):
                if space and n > 0:
                    name[n] = _SPACE
                    n += 1
                name[n] = c
                n += 1
                space = False
            else:
                space = True
        first = 0
        if n > 4 and name[0] == 116 and name[1] == 104 and name[2] == 101 and name[3] == _SPACE:
            first = 4  # "the "
        # each word folded, or written as the article when an article comes before the last
        key_start = found
        at = first
        while at < n:
            end = at
            while end < n and name[end] != _SPACE:
                end += 1
            if end < n and _is_article(name, at, end, articles):
                length = 2
                word[0], word[1] = article & 255, article >> 8
            else:
                length = end - at
                word[:length] = name[at:end]
                length = _fold_word(word, length)
            if found > key_start:
                out[found] = _SPACE
                found += 1
            out[found : found + length] = word[:length]
            found += length
            at = end + 1
        if _is_article(out, key_start, found, articles):  # a lone article: "El" of "El Qaim"
            out[key_start], out[key_start + 1] = article & 255, article >> 8
            found = key_start + 2
        out[found] = 10
        found += 1
        start = ends[t]
    return out[:found]


_U32_READ = types.Array(types.uint32, 1, "C", readonly=True)
_U32 = types.Array(types.uint32, 1, "C")
_U8_READ = types.Array(types.uint8, 1, "C", readonly=True)
_FNV_OFFSET = -3750763034362895579  # 0xcbf29ce484222325 as int64
_FNV_PRIME = 1099511628211
_MIX = -7046029254386353131  # as in infer.tokenkernels


@numba.njit([(_U32_READ, _I64, _I64, _U8_READ)], cache=True, nogil=True)
def split_spans(text, begin, end, space):
    """What `str.split()` gives for each text `text[begin[t]:end[t]]` (code points; `space[c]`
    says whether code point c < len(space) is whitespace, none above is): the tokens' (starts,
    ends) one text after the other, and each text's first token (then the total)."""
    starts = np.empty(len(text) // 2 + 1, dtype=np.int64)
    ends = np.empty(len(text) // 2 + 1, dtype=np.int64)
    first = np.empty(len(begin) + 1, dtype=np.int64)
    limit = len(space)
    found = 0
    for t in range(len(begin)):
        first[t] = found
        i = begin[t]
        stop = end[t]
        while i < stop:
            if text[i] < limit and space[text[i]]:
                i += 1
                continue
            j = i + 1
            while j < stop and not (text[j] < limit and space[text[j]]):
                j += 1
            starts[found] = i
            ends[found] = j
            found += 1
            i = j
    first[len(begin)] = found
    return starts[:found], ends[:found], first


@numba.njit(cache=True, nogil=True)
def _hash(text, start, stop):
    """FNV-1a over code points."""
    h = _FNV_OFFSET
    for k in range(start, stop):
        h = (h ^ np.int64(text[k])) * _FNV_PRIME
    return h


@numba.njit(cache=True, nogil=True)
def _token_slot(h, mask):
    mixed = h * _MIX
    return (mixed ^ (mixed >> 29)) & mask


@numba.njit(cache=True, nogil=True)
def _find(text, a, b, slots, hashes, arena, arena_ptr):
    """The id of `text[a:b]` in a table of tokens (-1: not there): `slots` an open-addressing
    table of ids, token i's code points `arena[arena_ptr[i]:arena_ptr[i + 1]]` and its hash
    `hashes[i]`."""
    n = b - a
    h = _hash(text, a, b)
    mask = len(slots) - 1
    slot = _token_slot(h, mask)
    found = -1
    while slots[slot] >= 0:
        i = slots[slot]
        if hashes[i] == h and arena_ptr[i + 1] - arena_ptr[i] == n:
            at = arena_ptr[i]
            same = True
            for m in range(n):
                if arena[at + m] != text[a + m]:
                    same = False
                    break
            if same:
                found = i
                break
        slot = (slot + 1) & mask
    return found


_FIND_OR_ADD_ARGUMENTS = (
    _U32_READ,
    _I64,
    _I64,
    _I64,
    _I64,
    types.int64,
    _I32,
    _I64,
    _U32,
    _I64,
    types.int64,
    types.int64,
    types.int64,
)


@numba.njit([_FIND_OR_ADD_ARGUMENTS], cache=True, nogil=True)
def find_or_add(
    text, starts, ends, ids, first_at, k, slots, hashes, arena, arena_ptr, size, origin, limit
):
    """From token k on, `ids[k]` = the id of token `text[starts[k]:ends[k]]` in the table
    (`_find`'s, whose probe is written out here: a call per token made the loop up to twice
    as slow); a token not there is added with the next id, `size`: its code points appended
    to the arena, its hash and slot set, and `first_at[size - origin] = k`. Stops at the first
    token it cannot add: `limit` tokens are in the table, the table would be more than half
    full, or the arena, `hashes` or `arena_ptr` are full. Returns (that k, the new size)."""
    mask = len(slots) - 1
    while k < len(starts):
        a = starts[k]
        n = ends[k] - a
        h = _hash(text, a, ends[k])
        slot = _token_slot(h, mask)
        found = -1
        while slots[slot] >= 0:
            i = slots[slot]
            if hashes[i] == h and arena_ptr[i + 1] - arena_ptr[i] == n:
                at = arena_ptr[i]
                same = True
                for m in range(n):
                    if arena[at + m] != text[a + m]:
                        same = False
                        break
                if same:
                    found = i
                    break
            slot = (slot + 1) & mask
        if found < 0:  # slots[slot] is the free slot the probe ended on
            at = arena_ptr[size]
            full = size >= len(hashes) or size + 2 > len(arena_ptr) or at + n > len(arena)
            if size >= limit or 2 * (size + 1) > len(slots) or full:
                break
            arena[at : at + n] = text[a : a + n]
            arena_ptr[size + 1] = at + n
            hashes[size] = h
            slots[slot] = size
            first_at[size - origin] = k
            found = size
            size += 1
        ids[k] = found
        k += 1
    return k, size


@numba.njit([(_I32, _I64, _U32, _I64, types.int64, types.int64)], cache=True, nogil=True)
def insert_tokens(slots, hashes, arena, arena_ptr, first, stop):
    """Hash tokens first..stop-1 (in the arena already) and put their ids in the table."""
    mask = len(slots) - 1
    for i in range(first, stop):
        h = _hash(arena, arena_ptr[i], arena_ptr[i + 1])
        hashes[i] = h
        slot = _token_slot(h, mask)
        while slots[slot] >= 0:
            slot = (slot + 1) & mask
        slots[slot] = i


# the character classes of `infer.tokencache.char_classes` (a byte per code point)
_WORD, _START, _ALNUM, _TAIL, _LOWER = 1, 2, 4, 8, 16


@numba.njit(cache=True, nogil=True)
def _place_tail(text, classes, at):
    """End of the optional `[\\w'’\\-]*[^\\W_]` from `at`: the longest such run, cut back to
    its last letter or digit (the regex's backtracking)."""
    end = at
    k = at
    while k < len(text) and classes[text[k]] & _TAIL:
        k += 1
        if classes[text[k - 1]] & _ALNUM:
            end = k
    return end


@numba.njit([(_U32_READ, _U8_READ, _I64)], cache=True, nogil=True)
def place_spans(text, classes, connectors):
    """(starts, ends) of what `infer.places._TOKEN.finditer` finds in a text of code points
    (`classes[c]`: the classes of code point c, for every code point of the text): at a word
    start, a word starting with a letter other than a-z with its tail, an a-z prefix joined
    by "-" to one ("pro-Taliban"), or a whole word among `connectors` (ASCII, each packed as
    little-endian bytes into an int64)."""
    n = len(text)
    starts = np.empty(n // 2 + 1, dtype=np.int64)
    ends = np.empty(n // 2 + 1, dtype=np.int64)
    found = 0
    i = 0
    while i < n:
        c = classes[text[i]]
        if not c & _WORD or (i > 0 and classes[text[i - 1]] & _WORD):
            i += 1
            continue
        end = -1
        if c & _START:
            end = _place_tail(text, classes, i + 1)
        elif c & _LOWER:
            j = i
            while j < n and classes[text[j]] & _LOWER:
                j += 1
            if j + 1 < n and text[j] == 45 and classes[text[j + 1]] & _START:
                end = _place_tail(text, classes, j + 2)
            else:
                k = j
                while k < n and classes[text[k]] & _WORD:
                    k += 1
                if k - i <= 7:
                    packed = 0
                    for m in range(k - 1, i - 1, -1):
                        if text[m] >= 128:  # no connector holds it
                            packed = -1
                            break
                        packed = packed * 256 + text[m]
                    for connector in connectors:
                        if connector == packed:
                            end = k
                            break
                if end < 0:  # no token starts inside the word either (no word start there)
                    i = k
                    continue
        if end < 0:
            i += 1
            continue
        starts[found] = i
        ends[found] = end
        found += 1
        i = end
    return starts[:found], ends[:found]


_WORD_PARTS_ARGUMENTS = (
    _U32_READ,
    _I64,
    _U8_READ,
    _I32,
    _I64,
    _U32,
    _I64,
    _I32,
    _I64,
    types.boolean,
    types.boolean,
)


@numba.njit([_WORD_PARTS_ARGUMENTS], cache=True, nogil=True)
def word_parts(text, ends, classes, slots, hashes, arena, arena_ptr, columns, ids, unigrams, pairs):
    """The word tokeniser's view of tokens (token t: `text[ends[t - 1]:ends[t]]`, code points;
    `classes` as for `place_spans`): its words are the runs of \\w two or more long (what
    `(?u)\\b\\w\\w+\\b` finds), looked up in a table of words (`_find`) whose word i has
    `columns[i]` (-1: none) and `ids[i]`. Per token, if `unigrams`, the columns of its words
    that have one, and if `pairs`, every word's id (-1: not in the table), in order:
    (columns per token, columns, ids per token, ids)."""
    n_tokens = len(ends)
    per_token = np.zeros(n_tokens, dtype=np.int64)
    per_token_ids = np.zeros(n_tokens, dtype=np.int64)
    found = np.empty(len(text) // 2 + 1, dtype=np.int32)
    found_ids = np.empty(len(text) // 2 + 1, dtype=np.int64)
    n_found = 0
    n_ids = 0
    start = 0
    for t in range(n_tokens):
        stop = ends[t]
        i = start
        while i < stop:
            if not classes[text[i]] & _WORD:
                i += 1
                continue
            j = i + 1
            while j < stop and classes[text[j]] & _WORD:
                j += 1
            if j - i >= 2:
                at = _find(text, i, j, slots, hashes, arena, arena_ptr)
                if unigrams and at >= 0 and columns[at] >= 0:
                    found[n_found] = columns[at]
                    n_found += 1
                    per_token[t] += 1
                if pairs:
                    found_ids[n_ids] = ids[at] if at >= 0 else -1
                    n_ids += 1
                    per_token_ids[t] += 1
            i = j
        start = stop
    return per_token, found[:n_found], per_token_ids, found_ids[:n_ids]
