"""numba kernels of `infer.placepass` (imported on the first batch, like `infer.tokenkernels`).

The gazetteer is a trie over word ids: an edge (node, word) is an int64 key `node * n_words +
word` in an open-addressing table. `match_texts` walks a batch's place tokens exactly as
`Gazetteer.mentions` walks one text's (`_match_at`, `_weak`, `_elsewhere`), reading the text
as code points (str positions) and each distinct token's flags from `infer.placepass`.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types

from infer.charkernels import _is_article
from infer.tokenkernels import _insertion_sort, _pair_column, _slot

_I32 = types.Array(types.int32, 1, "C")
_I64 = types.Array(types.int64, 1, "C")
_I16 = types.Array(types.int16, 1, "C")
_U8 = types.Array(types.uint8, 1, "C")
_U16 = types.Array(types.uint16, 1, "C")
_I32_READ = types.Array(types.int32, 1, "C", readonly=True)
_I16_READ = types.Array(types.int16, 1, "C", readonly=True)
_U8_READ = types.Array(types.uint8, 1, "C", readonly=True)
_U32_READ = types.Array(types.uint32, 1, "C", readonly=True)
_F64_READ = types.Array(types.float64, 1, "C", readonly=True)
_I64_READ = types.Array(types.int64, 1, "C", readonly=True)

# what a stored key list gives its trie node (infer.placepass writes the same numbers)
PLACE, DEMONYM, GROUP, TRUSTED, STRONG = 0, 1, 2, 3, 4
# node flags
IS_TRUSTED, IS_STRONG, IS_ACRONYM = 1, 2, 4
# per-token flags (infer.placepass.token_flags sets them)
OPENS, GROUPS_ONLY, NO_KEY, CAPITALISED, CONNECTOR = 1, 2, 4, 8, 16
UPPER, NOT_TITLE, BARE, QUALIFIER, LEADING, ARTICLE_FIRST = 32, 64, 128, 256, 512, 1024
_NONE = -1


@numba.njit([(_I64, _I32, types.int64, types.int64, types.int64)], cache=True, nogil=True)
def child(table, values, node, word, n_words):
    """The node reached from `node` by `word` (-1: none)."""
    return _pair_column(table, values, node * n_words + word)


@numba.njit(cache=True, nogil=True)
def _resized(table, values, count):
    """The table with its `count` entries re-inserted into the smallest power-of-two size
    that keeps it at most half full (the first one was sized for every key word)."""
    bits = 4
    while (1 << bits) < 2 * count:
        bits += 1
    if (1 << bits) >= len(table):
        return table, values
    out = np.full(1 << bits, -1, dtype=np.int64)
    out_values = np.full(1 << bits, -1, dtype=np.int32)
    mask = len(out) - 1
    for at in range(len(table)):
        if table[at] != -1:
            slot = _slot(table[at], mask)
            while out[slot] != -1:
                slot = (slot + 1) & mask
            out[slot] = table[at]
            out_values[slot] = values[at]
    return out, out_values


@numba.njit([(_I32_READ, _U8_READ, _U8_READ, _I16_READ, types.int64)], cache=True, nogil=True)
def build_trie(keys, lengths, kinds, values, n_words):
    """(edge table, edge values, per node: place, demonym and group code (-1: none) and
    flags, per word: 1 if it opens a key, 2 if it opens a group's key) from the stored keys
    (word ids one after the other, `lengths[k]` of them for key k)."""
    n_nodes = len(keys) + 1
    bits = 4
    while (1 << bits) < 2 * n_nodes:
        bits += 1
    table = np.full(1 << bits, -1, dtype=np.int64)
    children = np.full(1 << bits, -1, dtype=np.int32)
    mask = len(table) - 1
    codes = np.full((n_nodes, 3), -1, dtype=np.int16)
    flags = np.zeros(n_nodes, dtype=np.uint8)
    first = np.zeros(n_words, dtype=np.uint8)
    used = 1
    at = 0
    for k in range(len(lengths)):
        node = 0
        for i in range(at, at + lengths[k]):
            key = node * n_words + keys[i]
            slot = _slot(key, mask)
            while table[slot] != -1 and table[slot] != key:
                slot = (slot + 1) & mask
            if table[slot] == -1:
                table[slot] = key
                children[slot] = used
                used += 1
            node = children[slot]
        kind = kinds[k]
        if kind <= GROUP and lengths[k] > 0:
            codes[node, kind] = values[k]
            first[keys[at]] |= 1
            if kind == GROUP:
                first[keys[at]] |= 2
        elif kind == TRUSTED:
            flags[node] |= IS_TRUSTED
        elif kind == STRONG:
            flags[node] |= IS_STRONG
        at += lengths[k]
    table, children = _resized(table, children, used)
    return table, children, codes[:used].copy(), flags[:used].copy(), first


@numba.njit(cache=True, nogil=True, inline="always")
def _is_space(c: int) -> bool:
    """str.isspace of one code point."""
    return (
        (9 <= c <= 13)
        or (28 <= c <= 32)
        or c == 0x85
        or c == 0xA0
        or c == 0x1680
        or (0x2000 <= c <= 0x200A)
        or c == 0x2028
        or c == 0x2029
        or c == 0x202F
        or c == 0x205F
        or c == 0x3000
    )


@numba.njit(cache=True, nogil=True)
def _sentence_initial(text, begin, start):
    """`places._sentence_initial`: nothing but openers (space, tab, quotes, brackets) between
    the text's or a sentence's start and `start`."""
    k = start - 1
    while k >= begin:
        c = text[k]
        opener = c == 32 or c == 9 or c == 34 or c == 39 or c == 0x201C or c == 0x2018
        if not (opener or c == 40 or c == 91):
            break
        k -= 1
    if k < begin:
        return True
    c = text[k]
    return c == 46 or c == 33 or c == 63 or c == 10


@numba.njit(cache=True, nogil=True)
def _lower(c: int) -> int:
    """The code point `str.lower` gives, for comparisons with ASCII phrases: A-Z and the
    Kelvin sign fold, any other non-ASCII character (İ lowers to two) matches nothing."""
    if 65 <= c <= 90:
        return c + 32
    if c == 0x212A:
        return 107
    return c if c < 128 else -1


@numba.njit(cache=True, nogil=True)
def _one_of(text, at, stop, patterns, lengths, whole, fold):
    """Whether text[at:stop] starts with one of the patterns (whole: is one of them; fold:
    compared lower-cased)."""
    for p in range(len(lengths)):
        length = lengths[p]
        if at + length > stop or (whole and at + length != stop):
            continue
        same = True
        for k in range(length):
            c = _lower(text[at + k]) if fold else text[at + k]
            if c != patterns[p, k]:
                same = False
                break
        if same:
            return True
    return False


@numba.njit(cache=True, nogil=True)
def _elsewhere(text, end, stop, phrases, phrase_lengths):
    """`places._elsewhere`: the 20 characters after a demonym start with one of the phrases."""
    return _one_of(text, end, min(stop, end + 20), phrases, phrase_lengths, False, True)


@numba.njit(cache=True, nogil=True)
def _is_acronym(text, start, end, acronyms, acronym_lengths):
    """The surface text[start:end], without a final 's or ’s, is one of the acronyms."""
    if (
        end - start >= 2
        and text[end - 1] == 115
        and (text[end - 2] == 39 or text[end - 2] == 0x2019)
    ):
        end -= 2
    return _one_of(text, start, end, acronyms, acronym_lengths, True, False)


@numba.njit(cache=True, nogil=True)
def _entry(codes, node):
    """(code, kind) of a node's key: a group wins over a demonym, a demonym over a place;
    (-1, -1) when the node is no key."""
    if node < 0:
        return -1, -1
    for kind in (GROUP, DEMONYM, PLACE):
        if codes[node, kind] >= 0:
            return codes[node, kind], kind
    return -1, -1


@numba.njit(cache=True, nogil=True)
def _weak(text, begin, stop, tok_start, tok_end, tok_flags, i, lo, hi, length, strong):
    """`Gazetteer._weak` of the span of `length` tokens from token i (tokens lo..hi-1 are
    the text's; `tok_flags` holds each token's flags)."""
    start = tok_start[i]
    last = i + length - 1
    end = tok_end[last]
    if end < stop and text[end] == 44:  # "Makhmour, Iraq"
        return False
    if end + 3 <= stop and text[end] == 32 and text[end + 2] == 32:
        dash = text[end + 1]
        if dash == 45 or dash == 0x2013 or dash == 0x2014:
            blank = True
            for k in range(begin, start):
                if not _is_space(text[k]):
                    blank = False
                    break
            if blank:  # a dateline: "KABUL - ..."
                return False
    if not strong:
        for j in range(i, last + 1):
            if tok_flags[j] & NOT_TITLE:
                return True
    if length > 1:
        return False
    qualified = False
    following = i + 1 < hi and (tok_flags[last] & BARE) != 0  # not "Karachi's Nazimabad"
    if following and tok_flags[i + 1] & UPPER and tok_start[i + 1] - end <= 1:
        if not tok_flags[i + 1] & QUALIFIER:
            return True
        qualified = True
    if not strong and not qualified and _sentence_initial(text, begin, start):
        return True
    return bool(
        i > lo
        and tok_flags[i - 1] & UPPER
        and start - tok_end[i - 1] <= 1
        and not _sentence_initial(text, begin, tok_start[i - 1])
        and not tok_flags[i - 1] & LEADING
    )


_MATCH_ARGUMENTS = (
    _U32_READ,  # text: the batch's texts as code points, joined by "\n"
    _I64,  # text_begin
    _I64,  # text_end
    _I64,  # tok_ptr: text t's tokens are tok_ptr[t]..tok_ptr[t + 1] - 1
    _I64,  # tok_start
    _I64,  # tok_end
    _I64,  # tok_id: the token's place in the token cache
    _I64,  # cache_ptr: token c's numbers are cache[cache_ptr[c]:]: flags, letters, first's
    _I32,  # cache
    _I64,  # word_ptr
    _I32,  # words: the token's key words (-1: in no key)
    _I64,  # table: trie edges
    _I32,  # children
    types.Array(types.int16, 2, "C"),  # codes: per node, place/demonym/group code
    _U8,  # node_flags
    types.int64,  # n_words
    _U8,  # article_codes: 1 for the codes an "al-" name may lose its article in
    types.int64,  # blocked: the code of ambiguous keys
    types.int64,  # max_words
    types.Array(types.int64, 2, "C"),  # phrases (after a demonym: another country)
    _I64,  # phrase_lengths
    types.Array(types.int64, 2, "C"),  # acronyms (group names matched only as written)
    _I64,  # acronym_lengths
)


@numba.njit([_MATCH_ARGUMENTS], cache=True, nogil=True)
def match_texts(
    text,
    text_begin,
    text_end,
    tok_ptr,
    tok_start,
    tok_end,
    tok_id,
    cache_ptr,
    cache,
    word_ptr,
    words,
    table,
    children,
    codes,
    node_flags,
    n_words,
    article_codes,
    blocked,
    max_words,
    phrases,
    phrase_lengths,
    acronyms,
    acronym_lengths,
):
    """The mentions `Gazetteer.mentions` finds before `_settle_by_state`, for every text:
    (text, start, end, code, kind) arrays (positions within the text; kind 0 place or
    ambiguous, 1 demonym, 2 group), and per text whether a "Town, Place" pair may settle."""
    n_tokens = len(tok_id)
    flags = np.empty(n_tokens, dtype=np.int64)
    for i in range(n_tokens):
        flags[i] = cache[cache_ptr[tok_id[i]]]
    out_text = np.empty(n_tokens, dtype=np.int64)
    out_start = np.empty(n_tokens, dtype=np.int64)
    out_end = np.empty(n_tokens, dtype=np.int64)
    out_code = np.empty(n_tokens, dtype=np.int64)
    out_kind = np.empty(n_tokens, dtype=np.int64)
    settle = np.zeros(len(text_begin), dtype=np.uint8)
    span_length = np.empty(max_words, dtype=np.int64)
    span_node = np.empty(max_words, dtype=np.int64)
    span_rest = np.empty(max_words, dtype=np.int64)
    found = 0
    for t in range(len(text_begin)):
        begin, stop = text_begin[t], text_end[t]
        lo, hi = tok_ptr[t], tok_ptr[t + 1]
        first_found = found
        i = lo
        while i < hi:
            if not flags[i] & OPENS:
                i += 1
                continue
            # the spans from token i: keys of 1..max_words capitalised words with connectors
            first = tok_id[i]
            first_letters = cache[cache_ptr[first] + 2]
            article = flags[i] & ARTICLE_FIRST
            node, rest, letters, n_spans = 0, 0, 0, 0
            for j in range(i, min(i + max_words + 2, hi)):
                if j > i:
                    gap = tok_end[j - 1]
                    if tok_start[j] - gap != 1 or (text[gap] != 32 and text[gap] != 45):
                        break
                if flags[j] & NO_KEY:
                    break
                token = tok_id[j]
                for k in range(word_ptr[token], word_ptr[token + 1]):
                    word = words[k]
                    if node >= 0:
                        node = child(table, children, node, word, n_words) if word >= 0 else -1
                    if (j > i or k > word_ptr[token]) and rest >= 0:
                        rest = child(table, children, rest, word, n_words) if word >= 0 else -1
                letters += cache[cache_ptr[token] + 1]
                if flags[j] & CAPITALISED:
                    span_length[n_spans] = j - i + 1
                    span_node[n_spans] = node
                    span_rest[n_spans] = rest if article and letters - first_letters >= 4 else -1
                    n_spans += 1
                elif not flags[j] & CONNECTOR:
                    break
                if n_spans >= max_words:
                    break
            used = 0
            for s in range(n_spans - 1, -1, -1):
                length = span_length[s]
                key = span_node[s]
                code, kind = _entry(codes, key)
                if code < 0 or code == blocked:  # "al-Mosul": "Mosul" decides
                    bare_code, bare_kind = _entry(codes, span_rest[s])
                    if bare_code >= 0 and article_codes[bare_code]:
                        key, code, kind = span_rest[s], bare_code, bare_kind
                    elif code < 0:
                        continue
                start, end = tok_start[i], tok_end[i + length - 1]
                if (
                    kind == GROUP
                    and node_flags[key] & IS_ACRONYM
                    and not _is_acronym(text, start, end, acronyms, acronym_lengths)
                ):  # "Eta" is not ETA, though it may be a place
                    if codes[key, DEMONYM] >= 0:
                        code, kind = codes[key, DEMONYM], DEMONYM
                    else:
                        code, kind = codes[key, PLACE], PLACE
                        if code < 0:
                            continue
                if flags[i] & GROUPS_ONLY and kind != GROUP:
                    continue
                used = length
                if code == blocked:
                    kind = PLACE
                elif kind == PLACE and not node_flags[key] & IS_TRUSTED:
                    strong = node_flags[key] & IS_STRONG
                    if _weak(
                        text, begin, stop, tok_start, tok_end, flags, i, lo, hi, length, strong
                    ):
                        break
                elif kind == DEMONYM and _elsewhere(text, end, stop, phrases, phrase_lengths):
                    break
                out_text[found] = t
                out_start[found] = start - begin
                out_end[found] = end - begin
                out_code[found] = code
                out_kind[found] = kind
                found += 1
                break
            i += used if used > 0 else 1
        for m in range(first_found, found - 1):  # a place right before ", <place>"
            after = m + 1
            if (
                out_kind[m] == PLACE
                and out_kind[after] == PLACE
                and out_code[after] != blocked
                and out_code[after] != out_code[m]
                and out_start[after] == out_end[m] + 2
                and text[begin + out_end[m]] == 44
                and text[begin + out_end[m] + 1] == 32
            ):
                settle[t] = 1
    return (
        out_text[:found],
        out_start[:found],
        out_end[:found],
        out_code[:found],
        out_kind[:found],
        settle,
    )


@numba.njit([(_I64, _I64, _I64, types.int64, _I32, _I32, _F64_READ)], cache=True, nogil=True)
def place_rows(text_ptr, code, kind, n_codes, country_column, region_column, idf):
    """CSR (indptr, indices, data, unknown code or -1) of `PlaceBlock`'s rows from each
    text's settled mentions (text t's are text_ptr[t]..text_ptr[t + 1] - 1): per kind, each
    code's share of the kind's mentions in its country and region columns (regions summed
    in the order the codes first appear, as the reference does), times idf."""
    n_texts = len(text_ptr) - 1
    bound = 2 * text_ptr[n_texts]
    indptr = np.zeros(n_texts + 1, dtype=np.int64)
    indices = np.empty(bound, dtype=np.int32)
    data = np.empty(bound, dtype=np.float64)
    seen = np.zeros(n_codes, dtype=np.int64)  # mentions per code of the current text and kind
    order = np.empty(n_codes, dtype=np.int64)
    nnz = 0
    for t in range(n_texts):
        row = nnz
        for k in range(3):
            total, n_order = 0, 0
            for m in range(text_ptr[t], text_ptr[t + 1]):
                if kind[m] == k:
                    total += 1
                    if seen[code[m]] == 0:
                        order[n_order] = code[m]
                        n_order += 1
                    seen[code[m]] += 1
            for o in range(n_order):
                c = order[o]
                share = seen[c] / total
                seen[c] = 0
                country = country_column[k * n_codes + c]
                region = region_column[k * n_codes + c]
                if country < 0 or region < 0:
                    return indptr, indices[:0], data[:0], c
                indices[nnz] = country
                data[nnz] = share
                nnz += 1
                at = row
                while at < nnz and indices[at] != region:
                    at += 1
                if at == nnz:
                    indices[nnz] = region
                    data[nnz] = share
                    nnz += 1
                else:
                    data[at] += share
        _insertion_sort(indices, data, row, nnz)  # the row by column
        for a in range(row, nnz):
            data[a] = data[a] * idf[indices[a]]
        indptr[t + 1] = nnz
    return indptr, indices[:nnz], data[:nnz], -1


@numba.njit(cache=True, nogil=True)
def _ascii_title(text, start, stop):
    """`str.istitle` of the ASCII `text[start:stop]`: some letter, and every upper-case one
    after no letter and every lower-case one after a letter."""
    cased = False
    after_letter = False
    for i in range(start, stop):
        c = text[i]
        if 65 <= c <= 90:
            if after_letter:
                return False
            after_letter = cased = True
        elif 97 <= c <= 122:
            if not after_letter:
                return False
            after_letter = cased = True
        else:
            after_letter = False
    return cased


@numba.njit(cache=True, nogil=True)
def _word_id(text, start, stop, words):
    """The row of `text[start:stop]` in `words` (-1: none), by binary search: one word a
    row, zero-padded UTF-8 bytes, the rows sorted (what `numpy.searchsorted` of the `S`
    view finds; the word holds no NUL byte)."""
    width = words.shape[1]
    if stop - start > width:
        return -1
    low, high = 0, len(words)
    while low < high:
        middle = (low + high) // 2
        order = 0
        for i in range(width):
            c = np.int64(text[start + i]) if start + i < stop else 0
            d = np.int64(words[middle, i])
            if c != d:
                order = c - d
                break
            if d == 0:
                break
        if order == 0:
            return middle
        if order < 0:
            high = middle
        else:
            low = middle + 1
    return -1


_PLACE_FACTS_ARGUMENTS = (
    _U8_READ,
    _I64_READ,
    _U8_READ,
    _I64_READ,
    types.Array(types.uint8, 2, "C", readonly=True),
    _U8_READ,
    _I64_READ,
)


@numba.njit([_PLACE_FACTS_ARGUMENTS], cache=True, nogil=True)
def place_facts(tokens, ends, keys, special, words, first, articles):
    """What `infer.placepass.PlaceMatcher._analyze` works out for ASCII tokens (token t:
    `tokens[ends[t - 1]:ends[t]]`, its key the t-th line of `keys`, `special[t]` its key's
    CONNECTOR, QUALIFIER and LEADING flags): per token (flags with OPENS, letters of the key,
    letters of its first word), the number of words of its key, and every key word's row in
    the gazetteer's sorted `words` (`_word_id`: -1 for none). `first[w]` says whether word w
    opens a key (1) or a group's key (2); `articles` packed like `_packed`."""
    n_tokens = len(ends)
    facts = np.empty(3 * n_tokens, dtype=np.int64)
    n_words = np.zeros(n_tokens, dtype=np.int64)
    ids = np.empty(len(keys) + n_tokens, dtype=np.int64)
    n_ids = 0
    start = 0
    k = 0
    for t in range(n_tokens):
        stop = ends[t]
        key_end = k
        while keys[key_end] != 10:
            key_end += 1
        head_at = n_ids
        first_letters = 0
        spaces = 0
        if key_end > k:  # "".split(" ") would be [""]: a token without a key has no words
            w = k
            for i in range(k, key_end + 1):
                if i == key_end or keys[i] == 32:
                    if n_ids == head_at:
                        first_letters = i - w
                    ids[n_ids] = _word_id(keys, w, i, words)
                    n_ids += 1
                    if i < key_end:
                        spaces += 1
                    w = i + 1
        count = n_ids - head_at
        letters = key_end - k - spaces
        n_words[t] = count
        upper = 65 <= tokens[start] <= 90
        hyphen = -1
        dash = stop  # the first "-" (token.partition("-")[0] ends there)
        for i in range(start, stop):
            if tokens[i] == 45:
                hyphen = i
                dash = min(dash, i)
        tail = hyphen + 1 if hyphen >= 0 else start
        possessive = stop - start >= 2 and tokens[stop - 2] == 39 and tokens[stop - 1] == 115
        article = _is_article(tokens, start, dash, articles)
        article_first = count > 0 and _is_article(keys, k, k + first_letters, articles)
        flags = special[t]
        if upper or (tail < stop and 65 <= tokens[tail] <= 90):
            flags |= CAPITALISED
        if key_end == k:
            flags |= NO_KEY
        if upper:
            flags |= UPPER
            if not _ascii_title(tokens, start, stop - 2 if possessive else stop):
                flags |= NOT_TITLE
        if not possessive:
            flags |= BARE
        if article_first:
            flags |= ARTICLE_FIRST
        if not upper and not article:
            flags |= GROUPS_ONLY
        head = ids[head_at] if count > 0 else -1
        opens = head >= 0 and first[head] & 1 != 0
        if not upper:  # `Gazetteer._opens`
            if hyphen < 0:
                opens = False
            elif article:
                if not opens and article_first and count > 1 and letters - first_letters >= 4:
                    after = ids[head_at + 1]
                    opens = after >= 0 and first[after] & 1 != 0
            else:
                opens = head >= 0 and first[head] & 2 != 0
        if opens:
            flags |= OPENS
        facts[3 * t] = flags
        facts[3 * t + 1] = letters
        facts[3 * t + 2] = first_letters
        start = stop
        k = key_end + 1
    return facts, n_words, ids[:n_ids]
