"""The compiled head product equals scipy's CSR product bit for bit, whatever the row lengths
(the kernel adds eight entries a pass, then the rest one by one) and the columns left unread."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from infer.tokenkernels import head_product


def _reference(matrix: sp.csr_matrix, column_map: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The columns read times the float64-widened coefficient rows, with scipy."""
    read = np.flatnonzero(column_map >= 0)
    weights = np.asarray(rows, dtype=np.float64)[column_map[read]]
    return np.asarray(matrix[:, read] @ weights)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [1, 7, 12, 163])
def test_every_row_length_gives_scipys_product_bit_for_bit(dtype, n_classes):
    rng = np.random.default_rng(n_classes)
    n_columns, n_read = 300, 200
    lengths = np.arange(0, 42)  # empty rows, rows shorter and longer than one pass of 8
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    indices = np.concatenate(
        [np.sort(rng.choice(n_columns, size=n, replace=False)) for n in lengths]
    ).astype(np.int32)
    data = rng.standard_normal(len(indices))
    column_map = np.full(n_columns, -1, dtype=np.int32)  # a third of the columns are not read
    column_map[rng.choice(n_columns, size=n_read, replace=False)] = rng.permutation(n_read)
    rows = rng.standard_normal((n_read, n_classes)).astype(dtype)
    rows.setflags(write=False)
    matrix = sp.csr_matrix((data, indices, indptr), shape=(len(lengths), n_columns))

    out = head_product(indptr, indices, data, column_map, rows)

    assert out.shape == (len(lengths), n_classes)
    assert np.array_equal(out, _reference(matrix, column_map, rows))
    assert not out[0].any()  # an empty row scores 0


def test_a_row_whose_columns_are_all_unread_scores_zero():
    indptr = np.array([0, 9], dtype=np.int64)
    indices = np.arange(9, dtype=np.int32)
    rows = np.ones((3, 4), dtype=np.float32)
    rows.setflags(write=False)
    column_map = np.full(9, -1, dtype=np.int32)
    out = head_product(indptr, indices, np.ones(9), column_map, rows)
    assert np.array_equal(out, np.zeros((1, 4)))
