"""`tokenkernels.count_rows` writes each row's distinct columns in increasing order with their
counts, for any row length and any column, including those at the edges of its bitmap words
(64 columns a leaf word, 4096 a summary word); given an idf, it weighs them as
`TfidfBlock.weigh` does, bit for bit."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infer import tokenkernels
from infer.features import BlockSpec, TfidfBlock
from infer.tokenpass import GramTable, _log_tf

EDGES = [0, 1, 62, 63, 64, 65, 127, 128, 4095, 4096, 4097, 8191, 8192]


def token_table(per_token: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(ptr, values) of per-token lists, as the token cache stores them."""
    ptr = np.zeros(len(per_token) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(v) for v in per_token])
    values = [v for vs in per_token for v in vs]
    return ptr, np.asarray(values, dtype=np.int32)


def reference(rows, per_token, words, pairs, n_columns):
    """Plain counting: every token's columns, plus the column of each (previous word, word)
    pair in `pairs`, then the distinct columns sorted."""
    indptr, indices, data = [0], [], []
    for row in rows:
        found: Counter[int] = Counter()
        previous = -1
        for token in row:
            found.update(per_token[token])
            for word in words[token]:  # an unknown word (-1) breaks the pairs
                if word >= 0 and previous >= 0 and (previous, word) in pairs:
                    found[pairs[previous, word]] += 1
                previous = word
        for column in sorted(found):
            assert 0 <= column < n_columns
            indices.append(column)
            data.append(float(found[column]))
        indptr.append(len(indices))
    return np.asarray(indptr), np.asarray(indices, np.int32), np.asarray(data)


def counted(rows, per_token, words, pairs, n_columns, idf=None, log_tf=None):
    """count_rows of the rows (token ids), with the pairs in a word n-gram table (weighed
    with `idf` when given)."""
    starts = np.zeros(len(rows) + 1, dtype=np.int64)
    starts[1:] = np.cumsum([len(r) for r in rows])
    token_ids = np.asarray([t for r in rows for t in r], dtype=np.int64)
    column_ptr, columns = token_table(per_token)
    word_ptr, word_values = token_table(words)
    n_words = max((w for ws in words for w in ws), default=0) + 1
    if pairs:
        flat = np.asarray([w for pair in pairs for w in pair], dtype=np.int64)
        lengths = np.full(len(pairs), 2, dtype=np.int64)
        table = GramTable(flat, lengths, list(pairs.values()), n_words, (1, 2))
        grams = (table.keys, table.values, table.base, table.low, table.high)
    else:
        grams = (np.full(1, -1, dtype=np.int64), np.full(1, -1, np.int32), 0, 1, 1)
    weights = (np.zeros(0), _log_tf(256)) if idf is None else (idf, log_tf)
    *matrix, needed = tokenkernels.count_rows(
        starts, token_ids, column_ptr, columns, word_ptr, word_values, *grams, n_columns, *weights
    )
    assert needed == 0 or idf is not None
    return (*matrix, needed) if idf is not None else tuple(matrix)


def same(got, expected) -> None:
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(a, b)
    assert got[1].dtype == np.int32 and got[2].dtype == np.float64


@pytest.mark.parametrize("n_columns", [1, 63, 64, 65, 4096, 4097, 8193, 50_000])
def test_rows_of_every_length_come_out_sorted_with_their_counts(n_columns):
    rng = np.random.default_rng(n_columns)
    edges = [c for c in EDGES if c < n_columns] + [n_columns - 1]
    per_token = [
        [],  # a token with no column
        edges,
        list(reversed(edges)) * 3,  # repeats, out of order
        *[rng.integers(0, n_columns, size=rng.integers(1, 40)).tolist() for _ in range(60)],
    ]
    words = [[] for _ in per_token]
    lengths = [0, 1, 2, 5, 48, 49, 300, 3000]  # empty, one token, short and very long rows
    rows = [rng.integers(0, len(per_token), size=n).tolist() for n in lengths]
    rows.append(list(range(len(per_token))) * 20)  # every column of the table, many times
    same(
        counted(rows, per_token, words, {}, n_columns),
        reference(rows, per_token, words, {}, n_columns),
    )


def test_word_pairs_count_with_the_token_columns_in_one_sorted_row():
    n_columns = 9000
    per_token = [[5], [4096], [63, 64], [], [8999]]
    words = [[0], [1], [2, -1, 3], [4], [0, 1]]
    # (2, 3) never forms (an unknown word between); (1, 0) is alone in its bitmap words
    pairs = {(0, 1): 4095, (1, 2): 64, (3, 4): 0, (4, 0): 8998, (2, 3): 4097, (1, 0): 8200}
    rows = [[0, 1, 2, 3, 4], [4, 4, 4], [2, 2], [], [3], [0, 1] * 500, [1, 0], [1, 0, 1, 0]]
    same(
        counted(rows, per_token, words, pairs, n_columns),
        reference(rows, per_token, words, pairs, n_columns),
    )


@settings(max_examples=100, deadline=None)
@given(
    n_columns=st.sampled_from([2, 64, 130, 4100, 9000]),
    data=st.data(),
)
def test_generated_rows_equal_plain_counting(n_columns, data):
    column = st.one_of(
        st.sampled_from([c for c in EDGES if c < n_columns]), st.integers(0, n_columns - 1)
    )
    per_token = data.draw(st.lists(st.lists(column, max_size=12), min_size=1, max_size=8))
    token = st.integers(0, len(per_token) - 1)
    rows = data.draw(st.lists(st.lists(token, max_size=200), max_size=6))
    words = [[] for _ in per_token]
    same(
        counted(rows, per_token, words, {}, n_columns),
        reference(rows, per_token, words, {}, n_columns),
    )


def weighed(counts, n_columns, idf):
    """`TfidfBlock.weigh` of the counts (the reference the predictor's blocks are tested on)."""
    import scipy.sparse as sp

    spec = BlockSpec("b", "word", (1, 1))
    block = TfidfBlock(spec, tuple(str(c) for c in range(n_columns)), idf)
    matrix = sp.csr_matrix((counts[2], counts[1], counts[0]), shape=(len(counts[0]) - 1, n_columns))
    out = block.weigh(matrix)
    return out.indptr, out.indices, out.data


@pytest.mark.parametrize("n_columns", [64, 4097, 50_000])
def test_weighed_rows_are_the_reference_weighing_of_the_counts_bit_for_bit(n_columns):
    rng = np.random.default_rng(n_columns)
    per_token = [rng.integers(0, n_columns, size=rng.integers(0, 30)).tolist() for _ in range(50)]
    per_token.append([n_columns - 1] * 9)  # a count of 9 per occurrence
    words = [[] for _ in per_token]
    rows = [rng.integers(0, len(per_token), size=n).tolist() for n in (0, 1, 7, 300, 2000)]
    rows.append([len(per_token) - 1] * 40)  # a count of 360, past a table of 256
    idf = rng.random(n_columns) * 5 + 1
    counts = counted(rows, per_token, words, {}, n_columns)
    expected = weighed(counts, n_columns, idf)
    log_tf = _log_tf(int(counts[2].max()) + 1)  # just big enough
    *got, needed = counted(rows, per_token, words, {}, n_columns, idf, log_tf)
    assert needed == 0
    same(got, expected)


def test_a_count_past_the_end_of_the_log_table_asks_for_a_bigger_one():
    per_token, words = [[3]], [[]]
    idf = np.ones(10)
    *_, needed = counted([[0] * 300, [0] * 2], per_token, words, {}, 10, idf, _log_tf(256))
    assert needed == 301
    *_, needed = counted([[0] * 255], per_token, words, {}, 10, idf, _log_tf(256))
    assert needed == 0
