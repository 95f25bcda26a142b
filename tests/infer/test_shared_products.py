"""Heads reading the same blocks share one product a batch (their rows side by side over the
union of their columns), and each still gets exactly the scores of its own product."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from infer.artifact import load_artifact
from infer.linear import BlockRows, Head, HeadInput, share_products
from infer.model_format import ModelData

TEXTS = [
    "A car bomb exploded near the market in Mosul, killing nine.",
    "Gunmen ambushed a convoy on the road to Peshawar and took two hostages.",
    "The city council approved new schools.",
    "",
    "Ünïcödé bomb in Zürich " * 40,
]


@pytest.fixture(scope="module")
def model(model_dir: Path) -> ModelData:
    return load_artifact(model_dir)


def _heads_over(model: ModelData, seed: int) -> dict[str, Head]:
    """Three hand-made heads over the model's blocks: two read different column subsets of
    the same blocks (one float32, one float64), the third a different block list."""
    rng = np.random.default_rng(seed)
    fz = model.featurizer
    block = fz.blocks[0].spec.name
    start, stop = fz.offsets[0], fz.offsets[1]
    width = stop - start

    def head(n_classes: int, columns: np.ndarray | None, dtype: type, extra: bool) -> Head:
        inputs = [HeadInput(block, start, stop, columns)]
        if extra:
            last = fz.blocks[-1].spec.name
            inputs.append(HeadInput(last, fz.offsets[-2], fz.offsets[-1]))
        coef = rng.standard_normal((n_classes, sum(i.width for i in inputs))).astype(dtype)
        return Head(
            tuple(f"c{k}" for k in range(n_classes)),
            coef,
            rng.standard_normal(n_classes),
            tuple(inputs),
        )

    some = np.sort(rng.choice(width, size=width // 2, replace=False)).astype(np.int32)
    others = np.sort(rng.choice(width, size=width // 3, replace=False)).astype(np.int32)
    return {
        "a": head(5, some, np.float32, extra=True),
        "b": head(40, others, np.float64, extra=True),
        "alone": head(3, some, np.float32, extra=False),
    }


def test_heads_reading_the_same_blocks_are_linked_and_others_stay_alone(model):
    linked = share_products(_heads_over(model, 1))
    assert linked["a"].shared is not None and linked["a"].shared.rows is linked["b"].shared.rows
    assert (linked["a"].shared.start, linked["a"].shared.stop) == (0, 5)
    assert (linked["b"].shared.start, linked["b"].shared.stop) == (5, 45)
    assert linked["alone"].shared is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_shared_product_gives_every_head_its_own_scores_exactly(model, seed):
    heads = _heads_over(model, seed)
    linked = share_products(heads)
    rows = BlockRows(model.featurizer, TEXTS)
    for name, head in heads.items():
        own = head.scores(BlockRows(model.featurizer, TEXTS))
        assert np.array_equal(linked[name].scores(rows), own), name
        assert np.allclose(own, head.reference_scores(rows), rtol=0, atol=1e-9)


def test_the_shared_product_is_computed_once_a_batch(model):
    linked = share_products(_heads_over(model, 4))
    rows = BlockRows(model.featurizer, TEXTS)
    shared = linked["a"].shared.rows
    assert rows.product(shared) is rows.product(shared)
    linked["a"].scores(rows)
    linked["b"].scores(rows)
    assert len(rows._products) == 1


def test_a_loaded_model_links_its_region_and_country_heads(model):
    assert model.region.shared is not None
    assert model.region.shared.rows is model.country.shared.rows
    unlinked = {name: dataclasses.replace(h, shared=None) for name, h in model.heads().items()}
    rows = BlockRows(model.featurizer, TEXTS)
    for name, head in model.heads().items():
        expected = unlinked[name].scores(BlockRows(model.featurizer, TEXTS))
        assert np.array_equal(head.scores(rows), expected), name
