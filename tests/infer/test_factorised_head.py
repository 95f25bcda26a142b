"""Factorised heads (`model.country_rank`): r latent rows times a mix, scored like the dense
head they factorise, stored as data and loaded with their shapes checked."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import accuracy_records as records
from helpers import rehash, write_corpus

from infer.artifact import ModelError, load_artifact
from infer.csr import Rows
from infer.kernels import load
from infer.linear import Head, HeadInput, SharedRows
from infer.predictor import Predictor
from train.config import load_config
from train.fit import train_model

TEXTS = [
    "A car bomb exploded near the market in Mosul.",
    "Gunmen opened fire on a bus outside Peshawar.",
    "The council of Kano approved new schools.",
    "",
]


def _factorised(head: Head, rank: int) -> Head:
    """The head's best rank-`rank` approximation, as a factorised head (SVD of its weights)."""
    coef = np.asarray(head.coef, dtype=np.float64)
    _, _, directions = np.linalg.svd(coef.T, full_matrices=False)
    basis = directions[:rank].T  # classes x rank
    return dataclasses.replace(head, coef=basis.T @ coef, mix=basis.T)


def _features(rng: np.random.Generator, n_rows: int, n_columns: int) -> sp.csr_matrix:
    dense = rng.standard_normal((n_rows, n_columns)) * (rng.random((n_rows, n_columns)) < 0.2)
    dense[3] = 0.0  # an empty row
    return sp.csr_matrix(dense)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_mix_kernel_adds_the_latent_columns_in_order_as_the_reference_does(dtype):
    rng = np.random.default_rng(0)
    latent = rng.standard_normal((7, 5))
    mix = rng.standard_normal((5, 11)).astype(dtype)
    mix.setflags(write=False)
    out = load("tokenkernels").mix_product(latent, mix)
    expected = np.zeros((7, 11))
    for j in range(5):
        expected = expected + latent[:, j : j + 1] * np.asarray(mix[j], dtype=np.float64)
    assert out.view(np.int64).tolist() == expected.view(np.int64).tolist()


def test_a_factorised_head_scores_its_low_rank_weights_and_equals_the_reference_bit_for_bit():
    rng = np.random.default_rng(1)
    classes = tuple("abcdef")
    dense = Head(classes, rng.standard_normal((6, 30)), rng.standard_normal(6))
    head = _factorised(dense, 3)
    features = _features(rng, 9, 30)
    scores = head.scores(features)
    assert scores.shape == (9, 6)
    assert scores.view(np.int64).tolist() == head.reference_scores(features).view(np.int64).tolist()
    low_rank = head.mix.T @ head.coef  # the classes' weights the factors stand for
    assert np.allclose(scores, features @ low_rank.T + dense.intercept, atol=1e-12)
    # at full rank the factors give the dense head's scores (to rounding)
    assert np.allclose(_factorised(dense, 6).scores(features), dense.scores(features))


def test_a_factorised_head_shares_a_product_with_a_dense_head_reading_other_columns():
    rng = np.random.default_rng(2)
    block = lambda columns: (HeadInput("word", 0, 40, np.asarray(columns)),)  # noqa: E731
    region = Head(("r1", "r2"), rng.standard_normal((2, 3)), np.zeros(2), block([1, 5, 9]))
    dense = Head(
        tuple("abcde"), rng.standard_normal((5, 4)), rng.standard_normal(5), block([0, 5, 9, 30])
    )
    country = _factorised(dense, 2)
    union = SharedRows([region, country]).union
    assert union.rows.shape == (5, 4)  # columns 0, 1, 5, 9, 30 x (2 region + 2 latent)
    features = Rows.of(_features(rng, 6, 40))
    both = union.product(features, union.rows)
    assert np.array_equal(both[:, :2] + region.intercept, region.scores(features))
    assert np.array_equal(country.mixed(both[:, 2:]) + country.intercept, country.scores(features))


def test_explanations_weigh_columns_by_the_factorised_class_weights():
    rng = np.random.default_rng(3)
    head = _factorised(Head(tuple("abc"), rng.standard_normal((3, 8)), np.zeros(3)), 2)
    for k in range(3):
        assert np.allclose(head.class_weights(k, 8), head.mix[:, k] @ head.coef)


@pytest.fixture(scope="module")
def factorised_folder(tmp_path_factory):
    """A trained model folder whose country head is rewritten as a rank-2 factorised head."""
    base = tmp_path_factory.mktemp("factorised")
    corpus = base / "corpus.jsonl"
    write_corpus(corpus, records())
    config = load_config(
        corpora=[str(corpus)],
        out=str(base / "m"),
        overrides=["features.min_df=1", "split.dev_size=0.25"],
    )
    folder = train_model(config).folder
    with np.load(folder / "model.npz") as npz:
        arrays = dict(npz)
    country = Head(
        tuple(map(str, range(arrays["country.coef"].shape[0]))),
        arrays["country.coef"],
        arrays["country.intercept"],
    )
    factors = _factorised(country, 2)
    arrays["country.coef"] = np.asfortranarray(factors.coef, dtype=np.float32)
    arrays["country.mix"] = np.ascontiguousarray(factors.mix, dtype=np.float32)
    np.savez(folder / "model.npz", **arrays)
    rehash(folder, "model.npz")
    return folder


def test_a_factorised_model_folder_loads_and_predicts_as_its_dense_equivalent(factorised_folder):
    model = load_artifact(factorised_folder)
    head = model.country
    assert head.mix is not None and head.mix.shape == (2, len(head.classes))
    assert head.coef.shape[0] == 2 and head.shared is not None
    dense = dataclasses.replace(
        head,
        coef=head.mix.astype(np.float64).T @ head.coef.astype(np.float64),
        mix=None,
        shared=None,
    )
    texts = [r["text"] for r in records()][:40] + TEXTS
    predictions = Predictor(model).predict(texts)
    expected = Predictor(dataclasses.replace(model, country=dense)).predict(texts)
    assert [p.country for p in predictions] == [p.country for p in expected]
    assert np.allclose(
        [p.country_probability or 0.0 for p in predictions],
        [p.country_probability or 0.0 for p in expected],
        atol=1e-9,
    )
    assert Predictor(model).explain(TEXTS[0]) is not None


def test_a_mix_that_does_not_fit_the_head_is_refused(factorised_folder, tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(factorised_folder, folder)
    with np.load(folder / "model.npz") as npz:
        arrays = dict(npz)
    arrays["country.mix"] = arrays["country.mix"][:, :-1]  # one class short
    np.savez(folder / "model.npz", **arrays)
    rehash(folder, "model.npz")
    with pytest.raises(ModelError, match="country head's mix has shape"):
        load_artifact(folder)
