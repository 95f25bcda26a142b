"""Linear heads that read only some feature blocks, and a batch's features block by block.

A head's coefficients cover only the columns it reads (`Head.inputs`: whole blocks, or a
subset of one block's columns), so nothing is stored or multiplied for the rest. The
predictor builds a `BlockRows` per batch: each block's sparse matrix is computed once, on
first use, and every head adds up its products with the blocks it reads (no hstack).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from infer import csr
from infer.csr import Rows
from infer.tokenpass import Looked, TokenPass, kernels

if TYPE_CHECKING:
    import scipy.sparse as sp

    from infer.features import Featurizer

# what a head scores: a batch's blocks, or a whole feature matrix (a `Rows`, or a scipy CSR
# matrix as `Featurizer.transform` returns, read through its arrays without importing scipy)
Features: TypeAlias = "BlockRows | Rows | sp.csr_matrix"


@dataclass(frozen=True)
class HeadInput:
    """Columns a head reads from one feature block: all of them, or the sorted `columns`."""

    block: str
    start: int  # the block's first column in the featuriser's full matrix
    stop: int
    columns: np.ndarray | None = field(default=None, compare=False)  # block-local, sorted

    @property
    def width(self) -> int:
        """Number of coefficient columns this input takes."""
        return self.stop - self.start if self.columns is None else len(self.columns)

    def global_columns(self) -> np.ndarray:
        """The full-matrix columns read, in coefficient order."""
        local = np.arange(self.stop - self.start) if self.columns is None else self.columns
        return self.start + np.asarray(local, dtype=np.int64)

    def take(self, block_matrix: sp.csr_matrix) -> sp.csr_matrix:
        """The columns read, out of the block's own matrix."""
        return block_matrix if self.columns is None else block_matrix[:, self.columns]


@dataclass(frozen=True)
class Head:
    """A linear head: scores = X[:, read columns] @ coef.T + intercept, one row per class.

    `inputs` lists the columns read, in coefficient order; empty means every column of the
    featuriser's matrix (the heads of format-1 models, and heads built by hand in tests).

    A factorised head (`mix` set, trained with `model.country_rank`) keeps r latent rows in
    `coef` (r x columns) and the r x classes `mix`: scores = (X[:, read] @ coef.T) @ mix +
    intercept, so the product over a batch's entries is r wide instead of one per class."""

    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray
    inputs: tuple[HeadInput, ...] = ()
    mix: np.ndarray | None = field(default=None, compare=False)
    # this head's classes in a product shared with the heads reading the same columns
    shared: SharedPart | None = field(default=None, compare=False, repr=False)

    @property
    def width(self) -> int:
        """Columns of this head's product: its classes, or a factorised head's latent rows."""
        return self.coef.shape[0]

    def mixed(self, latent: np.ndarray) -> np.ndarray:
        """A product's columns as class scores (without the intercept): the latent columns
        times `mix` for a factorised head, as they are otherwise."""
        if self.mix is None:
            return latent
        return kernels().mix_product(np.ascontiguousarray(latent, dtype=np.float64), self.mix)

    @cached_property
    def rows(self) -> np.ndarray:
        """coef transposed, one row per coefficient column, C-contiguous and in the stored
        dtype: a model folder's float32 is read as is (half the memory traffic of float64,
        and no widened copy); the kernel widens each value exactly."""
        rows = self.coef.T
        dtype = np.float32 if rows.dtype == np.float32 else np.float64
        rows = np.ascontiguousarray(rows, dtype=dtype).view()  # a view: no copy if it fits
        rows.setflags(write=False)
        return rows

    @property
    def blocks(self) -> tuple[str, ...]:
        """Names of the blocks read (empty: every block)."""
        return tuple(i.block for i in self.inputs)

    @cached_property
    def _column_maps(self) -> tuple[np.ndarray, ...]:
        """Per input, block column -> coefficient row (-1: not read)."""
        maps, at = [], 0
        for item in self.inputs:
            column_map = np.full(item.stop - item.start, -1, dtype=np.int32)
            local = np.arange(item.stop - item.start) if item.columns is None else item.columns
            column_map[local] = np.arange(at, at + item.width, dtype=np.int32)
            maps.append(column_map)
            at += item.width
        return tuple(maps)

    def _parts(self, features: Features) -> list[tuple[Rows, np.ndarray]]:
        """(rows of the block read, its column map) per input (the whole matrix when the
        head lists none)."""
        if not self.inputs:
            matrix = features.full() if isinstance(features, BlockRows) else Rows.of(features)
            return [(matrix, np.arange(self.coef.shape[1], dtype=np.int32))]
        if isinstance(features, BlockRows):
            parts = [features[item.block] for item in self.inputs]
        else:
            whole = Rows.of(features)
            parts = [whole.columns(item.start, item.stop) for item in self.inputs]
        return list(zip(parts, self._column_maps, strict=True))

    def scores(self, features: Features) -> np.ndarray:
        """Raw linear scores (one column per class) of a full matrix or of a batch's blocks:
        per input, the compiled sparse product (equal to `reference_scores`), summed. A
        batch's product is shared with the heads reading the same columns (`shared`)."""
        if self.shared is not None and isinstance(features, BlockRows):
            part = self.shared
            latent = features.product(part.rows)[:, part.start : part.stop]
        else:
            latent = self.product(features, self.rows)
        return self.mixed(latent) + self.intercept

    def product(self, features: Features, rows: np.ndarray) -> np.ndarray:
        """The columns this head reads times `rows` (one per coefficient column), summed over
        its inputs, without the intercept."""
        total: np.ndarray | None = None
        for part, column_map in self._parts(features):
            product = kernels().head_product(
                np.ascontiguousarray(part.indptr, dtype=np.int64),
                np.ascontiguousarray(part.indices, dtype=np.int32),
                np.ascontiguousarray(part.data, dtype=np.float64),
                column_map,
                rows,
            )
            total = product if total is None else total + product
        if total is None:
            total = np.zeros((features.shape[0], rows.shape[1]))
        return total

    def reference_scores(self, features: Features) -> np.ndarray:
        """`scores` with scipy: the columns read, times the float64-widened coefficients
        (the plain path the tests compare the compiled one with)."""
        weights = np.asarray(self.coef, dtype=np.float64).T
        total: np.ndarray | None = None
        at = 0
        for part, column_map in self._parts(features):
            read = np.flatnonzero(column_map >= 0)
            width = len(read)
            product = np.asarray(part.to_scipy()[:, read] @ weights[at : at + width])
            total = product if total is None else total + product
            at += width
        if total is None:
            total = np.zeros((features.shape[0], self.width))
        if self.mix is not None:  # latent column by latent column, as `mix_product` adds
            latent, total = total, np.zeros((total.shape[0], len(self.classes)))
            mix = np.asarray(self.mix, dtype=np.float64)
            for j in range(latent.shape[1]):
                total = total + latent[:, j : j + 1] * mix[j]
        return total + self.intercept

    def global_columns(self, n_features: int) -> np.ndarray:
        """The full-matrix column of each coefficient column."""
        if not self.inputs:
            return np.arange(n_features)
        return np.concatenate([i.global_columns() for i in self.inputs])

    def class_weights(self, k: int, n_features: int) -> np.ndarray:
        """Class k's weight on every column of the full matrix (0 where the head reads none;
        a factorised head's weights are its latent rows times class k's mix)."""
        out = np.zeros(n_features)
        weights = self.coef[k] if self.mix is None else self.mix[:, k] @ self.coef
        out[self.global_columns(n_features)] = weights
        return out


class SharedRows:
    """Heads that read the same blocks, multiplied as one head: their coefficient rows side
    by side over the union of the columns they read (zeros where a head does not read a
    column another one does), so a batch's entries are gone through once for all of them.

    Each class's sum takes the same terms in the same order as its own head's product, plus
    exact zeros (a finite value x 0.0 is 0.0, and s + 0.0 is s): the scores are the same.

    In models/full: the incident types with the gate, and region with country. The latter
    union is a second copy of the country head (+11 MB a process) for about 5% of `predict`
    on short texts and 12% on long ones; it was taken out while numba's JIT kept `score
    --jobs 1` on 1M documents near 300 MB, and is back since the kernels compiled ahead of
    time spare each process about 100 MB (`infer.kernels`)."""

    def __init__(self, heads: Sequence[Head]) -> None:
        self.heads = tuple(heads)

    @cached_property
    def union(self) -> Head:
        """One head with every member's classes (in order), reading the union of their
        columns, its intercept zero."""
        inputs = []
        for position, template in enumerate(self.heads[0].inputs):
            chosen = [head.inputs[position].columns for head in self.heads]
            columns = None if any(c is None for c in chosen) else np.unique(np.concatenate(chosen))
            inputs.append(dataclasses.replace(template, columns=columns))
        widths = [item.width for item in inputs]
        dtype = np.float32 if all(h.coef.dtype == np.float32 for h in self.heads) else np.float64
        # built as the kernel reads it (one row per column), so `rows` is a view, not a copy
        rows = np.zeros((sum(widths), sum(h.width for h in self.heads)), dtype=dtype)
        first = 0  # the head's first class
        for head in self.heads:
            at = 0  # the head's coefficient column
            for item, union_item, offset in zip(
                head.inputs, inputs, np.cumsum([0, *widths[:-1]]), strict=True
            ):
                local = np.arange(item.width) if item.columns is None else item.columns
                whole = (
                    np.arange(union_item.width)
                    if union_item.columns is None
                    else union_item.columns
                )
                where = offset + np.searchsorted(whole, local)
                rows[where, first : first + head.width] = head.coef[:, at : at + item.width].T
                at += item.width
            first += head.width
        # one name per product column: a factorised head's latent columns are not classes
        classes = tuple(
            c
            for head in self.heads
            for c in (head.classes if head.mix is None else [f"~{j}" for j in range(head.width)])
        )
        return Head(classes, rows.T, np.zeros(len(classes)), tuple(inputs))

    def product(self, features: Features) -> np.ndarray:
        """The batch's product with every head's rows (classes of head 1, head 2, ...)."""
        union = self.union
        return union.product(features, union.rows)


@dataclass(frozen=True)
class SharedPart:
    """A head's classes in a shared product: columns start:stop of it."""

    rows: SharedRows
    start: int
    stop: int


def share_products(heads: dict[str, Head]) -> dict[str, Head]:
    """The heads, those that read (columns of) the same blocks linked to one `SharedRows`
    (heads over every column of the featuriser, `inputs` empty, stay alone)."""
    groups: dict[tuple, list[str]] = {}
    for name, head in heads.items():
        if head.inputs:
            key = tuple((i.block, i.start, i.stop) for i in head.inputs)
            groups.setdefault(key, []).append(name)
    out = dict(heads)
    for names in groups.values():
        if len(names) > 1:
            members = [dataclasses.replace(heads[name], shared=None) for name in names]
            shared, start = SharedRows(members), 0
            for name, member in zip(names, members, strict=True):
                stop = start + member.width
                out[name] = dataclasses.replace(member, shared=SharedPart(shared, start, stop))
                start = stop
    return out


class BlockRows:
    """One batch's feature matrix, block by block: each block computed once, on first use."""

    def __init__(
        self,
        featurizer: Featurizer,
        texts: Sequence[str],
        looked: dict[TokenPass, Looked] | None = None,
    ) -> None:
        """`looked`: token look-ups of the texts made otherwise (`Looked.slices`), used for
        the blocks of those passes instead of looking the texts up."""
        self.featurizer = featurizer
        self.texts = list(texts)
        self._positions = {block.spec.name: at for at, block in enumerate(featurizer.blocks)}
        self._done: dict[str, Rows] = {}
        self._products: dict[int, np.ndarray] = {}  # per SharedRows, its product
        # the token look-ups, once a batch and text cleaning (shared by the blocks that read it)
        self._looked: dict[TokenPass, Looked] = dict(looked or {})

    def looked(self, token_pass: TokenPass) -> Looked:
        """The batch's look-up of `token_pass` (made on first use; the blocks share it)."""
        found = self._looked.get(token_pass)
        if found is None:
            found = self._looked[token_pass] = token_pass.lookup(self.texts)
        return found

    @property
    def shape(self) -> tuple[int, int]:
        """(texts, columns of the full matrix)."""
        return len(self.texts), self.featurizer.n_features

    def __getitem__(self, name: str) -> Rows:
        """The block's TF-IDF rows (KeyError for a block the featuriser does not have)."""
        matrix = self._done.get(name)
        if matrix is None:
            position = self._positions[name]
            matrix = self.featurizer.block_rows(position, self.texts, self._looked)
            self._done[name] = matrix
        return matrix

    def product(self, shared: SharedRows) -> np.ndarray:
        """The batch's product with the shared rows (computed once per batch)."""
        product = self._products.get(id(shared))
        if product is None:
            product = self._products[id(shared)] = shared.product(self)
        return product

    def computed(self) -> frozenset[str]:
        """Names of the blocks computed so far."""
        return frozenset(self._done)

    def full(self) -> Rows:
        """Every block side by side (what `Featurizer.rows` returns)."""
        return csr.hstack([self[block.spec.name] for block in self.featurizer.blocks])


def block_inputs(
    featurizer: Featurizer, names: Sequence[str], columns: dict[str, np.ndarray] | None = None
) -> tuple[HeadInput, ...]:
    """Inputs reading the named blocks (in featuriser order; absent names are skipped), each
    limited to `columns[name]` when given."""
    columns = columns or {}
    wanted = set(names)
    out = []
    for block, start, stop in zip(
        featurizer.blocks, featurizer.offsets, featurizer.offsets[1:], strict=False
    ):
        name = block.spec.name
        if name in wanted:
            chosen = columns.get(name)
            out.append(
                HeadInput(
                    name,
                    start,
                    stop,
                    None if chosen is None else np.asarray(chosen, dtype=np.int32),
                )
            )
    return tuple(out)


def input_matrix(matrix: sp.csr_matrix, inputs: Sequence[HeadInput]) -> sp.csr_matrix:
    """The columns `inputs` read, out of a full training matrix, in coefficient order."""
    import scipy.sparse as sp

    parts = [item.take(matrix[:, item.start : item.stop]) for item in inputs]
    return parts[0] if len(parts) == 1 else sp.hstack(parts, format="csr")
