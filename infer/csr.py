"""A light CSR matrix for the scoring path: the few operations it needs of scipy.sparse.

Importing scipy.sparse costs a scoring process about 0.18 CPU-s (its array API layer walks
numpy's lazy submodules), which every one-document `score`, `score --jobs` worker and serve
worker would pay before its first prediction. The kernels read raw (indptr, indices, data)
arrays anyway, so the predictor keeps a batch's rows in `Rows` and stacks and slices them with
numpy; `Rows.to_scipy` hands a real `scipy.sparse.csr_matrix` (imported then) to the callers
that need one: training, the public `transform` methods, the reference paths of the tests.

Every operation keeps each row's entries in their order and their values as they are, as
scipy's do (tests compare them with scipy's), so the products downstream are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

_INT32_MAX = np.iinfo(np.int32).max


@dataclass(frozen=True, eq=False)
class Rows:
    """A CSR matrix: row r's entries are data[indptr[r]:indptr[r + 1]], in columns
    indices[indptr[r]:indptr[r + 1]] (sorted within a row when built by the predictor)."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def of(cls, matrix: Any) -> Rows:
        """`matrix` itself if it is a `Rows`, else the arrays of a CSR matrix (scipy's, or
        anything with data, indices, indptr and shape), shared, not copied."""
        if isinstance(matrix, Rows):
            return matrix
        n_rows, n_columns = matrix.shape
        return cls(matrix.data, matrix.indices, matrix.indptr, (int(n_rows), int(n_columns)))

    @classmethod
    def empty(cls, n_rows: int, n_columns: int) -> Rows:
        """An all-zero matrix."""
        return cls(
            np.zeros(0),
            np.zeros(0, dtype=np.int32),
            np.zeros(n_rows + 1, dtype=np.int64),
            (n_rows, n_columns),
        )

    @property
    def nnz(self) -> int:
        """Number of stored entries."""
        return int(self.indptr[-1])

    def row_numbers(self) -> np.ndarray:
        """The row of each stored entry, in storage order."""
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

    def columns(self, start: int, stop: int) -> Rows:
        """Columns start:stop (numbered from 0 again), each row's entries in their order:
        `matrix[:, start:stop]`."""
        if not 0 <= start <= stop <= self.shape[1]:
            raise IndexError(f"columns {start}:{stop} of a matrix of {self.shape[1]}")
        if start == 0 and stop == self.shape[1]:
            return self
        nnz = self.nnz
        indices = self.indices[:nnz]
        kept = (indices >= start) & (indices < stop)
        row_of = self.row_numbers()
        indptr = np.zeros(self.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_of[kept], minlength=self.shape[0]), out=indptr[1:])
        return Rows(
            self.data[:nnz][kept],
            (indices[kept] - start).astype(_index_dtype(stop - start), copy=False),
            indptr,
            (self.shape[0], stop - start),
        )

    def row(self, at: int) -> Rows:
        """Row `at` as a one-row matrix: `matrix.getrow(at)`."""
        if not 0 <= at < self.shape[0]:
            raise IndexError(f"row {at} of a matrix of {self.shape[0]}")
        first, last = int(self.indptr[at]), int(self.indptr[at + 1])
        return Rows(
            self.data[first:last],
            self.indices[first:last],
            np.array([0, last - first], dtype=np.int64),
            (1, self.shape[1]),
        )

    def toarray(self) -> np.ndarray:
        """The dense matrix."""
        out = np.zeros(self.shape, dtype=self.data.dtype)
        row_of = self.row_numbers()
        np.add.at(out, (row_of, self.indices[: self.nnz]), self.data[: self.nnz])
        return out

    def to_scipy(self) -> sp.csr_matrix:
        """The same matrix as a `scipy.sparse.csr_matrix` (imports scipy)."""
        import scipy.sparse as sp

        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)


def _index_dtype(n_columns: int) -> type[np.signedinteger]:
    """int32 column numbers while they fit (what the kernels read), else int64."""
    return np.int32 if n_columns <= _INT32_MAX else np.int64


def hstack(parts: Sequence[Rows]) -> Rows:
    """The matrices side by side: each row's entries are part 1's, then part 2's (their
    columns shifted by the widths before them), ...: `scipy.sparse.hstack(parts, "csr")`."""
    if not parts:
        raise ValueError("hstack needs at least one matrix")
    n_rows = parts[0].shape[0]
    if any(part.shape[0] != n_rows for part in parts):
        raise ValueError(
            f"hstack of matrices with different row counts: {[p.shape for p in parts]}"
        )
    if len(parts) == 1:
        return parts[0]
    lengths = [np.diff(part.indptr) for part in parts]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.sum(lengths, axis=0), out=indptr[1:])
    nnz = int(indptr[-1])
    n_columns = sum(part.shape[1] for part in parts)
    data = np.empty(nnz, dtype=np.result_type(*(part.data.dtype for part in parts)))
    indices = np.empty(nnz, dtype=_index_dtype(n_columns))
    before = np.zeros(n_rows, dtype=np.int64)  # per row, the entries of the parts before
    first_column = 0
    for part, length in zip(parts, lengths, strict=True):
        # an entry k of row r goes to indptr[r] + before[r] + (k - part.indptr[r])
        shift = indptr[:-1] + before - part.indptr[:-1]
        at = np.repeat(shift, length) + np.arange(part.nnz)
        data[at] = part.data[: part.nnz]
        indices[at] = part.indices[: part.nnz].astype(indices.dtype) + first_column
        before += length
        first_column += part.shape[1]
    return Rows(data, indices, indptr, (n_rows, n_columns))


def vstack(parts: Sequence[Rows]) -> Rows:
    """The matrices one under the other: `scipy.sparse.vstack(parts, "csr")`."""
    if not parts:
        raise ValueError("vstack needs at least one matrix")
    n_columns = parts[0].shape[1]
    if any(part.shape[1] != n_columns for part in parts):
        raise ValueError(f"vstack of matrices with different widths: {[p.shape for p in parts]}")
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [part.nnz for part in parts])
    indptr = np.concatenate(
        [np.zeros(1, dtype=np.int64)]
        + [
            part.indptr[1:].astype(np.int64) + offset
            for part, offset in zip(parts, offsets[:-1], strict=True)
        ]
    )
    return Rows(
        np.concatenate([part.data[: part.nnz] for part in parts]),
        np.concatenate([part.indices[: part.nnz] for part in parts]),
        indptr,
        (sum(part.shape[0] for part in parts), n_columns),
    )
