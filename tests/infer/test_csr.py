"""`infer.csr.Rows` stacks, slices and converts CSR matrices as scipy.sparse does: the same
entries, in the same order within each row, with the same values."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from infer import csr
from infer.csr import Rows


def random_csr(seed: int, n_rows: int, n_columns: int, density: float = 0.3) -> sp.csr_matrix:
    """A random CSR matrix (sorted indices; some rows empty when the density is low)."""
    rng = np.random.default_rng(seed)
    matrix = sp.random(n_rows, n_columns, density=density, format="csr", random_state=rng)
    matrix.sort_indices()
    return matrix


def same(light: Rows, scipy_matrix: sp.csr_matrix) -> None:
    """Equal shapes and equal arrays (not just equal dense values)."""
    scipy_matrix = sp.csr_matrix(scipy_matrix)
    assert light.shape == scipy_matrix.shape
    assert light.nnz == scipy_matrix.nnz
    assert np.array_equal(light.indptr, scipy_matrix.indptr)
    assert np.array_equal(light.indices[: light.nnz], scipy_matrix.indices)
    assert np.array_equal(light.data[: light.nnz], scipy_matrix.data)


shapes = st.tuples(st.integers(0, 6), st.integers(1, 9), st.integers(0, 2**16))


@settings(max_examples=60, deadline=None)
@given(st.lists(shapes, min_size=1, max_size=4), st.integers(0, 6), st.floats(0.0, 1.0))
def test_hstack_gives_scipys_hstack(widths, n_rows, density):
    parts = [random_csr(seed, n_rows, width, density) for _, width, seed in widths]
    same(csr.hstack([Rows.of(p) for p in parts]), sp.hstack(parts, format="csr"))


@settings(max_examples=60, deadline=None)
@given(st.lists(shapes, min_size=1, max_size=4), st.integers(1, 9), st.floats(0.0, 1.0))
def test_vstack_gives_scipys_vstack(heights, n_columns, density):
    parts = [random_csr(seed, n_rows, n_columns, density) for n_rows, _, seed in heights]
    same(csr.vstack([Rows.of(p) for p in parts]), sp.vstack(parts, format="csr"))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 7), st.integers(1, 12), st.data())
def test_a_column_range_gives_scipys_column_slice(n_rows, n_columns, data):
    matrix = random_csr(data.draw(st.integers(0, 2**16)), n_rows, n_columns)
    start = data.draw(st.integers(0, n_columns))
    stop = data.draw(st.integers(start, n_columns))
    same(Rows.of(matrix).columns(start, stop), matrix[:, start:stop])


def test_a_row_gives_scipys_getrow_and_the_dense_form_scipys_toarray():
    matrix = random_csr(3, 5, 8, density=0.4)
    light = Rows.of(matrix)
    for at in range(5):
        same(light.row(at), matrix.getrow(at))
    assert np.array_equal(light.toarray(), matrix.toarray())


def test_to_scipy_keeps_the_arrays_and_of_reads_them_without_copying():
    matrix = random_csr(4, 4, 6)
    light = Rows.of(matrix)
    assert light.data is matrix.data and light.indices is matrix.indices
    back = light.to_scipy()
    assert isinstance(back, sp.csr_matrix)
    same(light, back)
    assert Rows.of(light) is light


def test_an_empty_matrix_stacks_and_slices_like_scipys():
    empty = Rows.empty(3, 4)
    same(empty, sp.csr_matrix((3, 4)))
    same(
        csr.hstack([empty, Rows.of(random_csr(5, 3, 2))]),
        sp.hstack([sp.csr_matrix((3, 4)), random_csr(5, 3, 2)], format="csr"),
    )
    same(empty.columns(1, 3), sp.csr_matrix((3, 2)))
    assert csr.hstack([Rows.empty(0, 2), Rows.empty(0, 3)]).shape == (0, 5)


def test_wrong_shapes_and_ranges_are_refused():
    a, b = Rows.empty(2, 3), Rows.empty(3, 3)
    with pytest.raises(ValueError, match="row counts"):
        csr.hstack([a, b])
    with pytest.raises(ValueError, match="widths"):
        csr.vstack([a, Rows.empty(2, 4)])
    with pytest.raises(ValueError, match="at least one"):
        csr.hstack([])
    with pytest.raises(IndexError):
        a.columns(2, 4)
    with pytest.raises(IndexError):
        a.row(2)
