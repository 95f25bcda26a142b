"""Low-rank geography heads: `model.country_rank` / `model.region_rank` and factorise_head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import accuracy_records, tiny_config, write_corpus

from infer.artifact import Head, load_artifact
from infer.predictor import Predictor
from train.config import ConfigError, load_config
from train.fit import train_model
from train.heads import factorise_head, low_rank_factors


def _head(rng: np.random.Generator, classes: int, columns: int) -> Head:
    return Head(
        tuple(f"c{k}" for k in range(classes)),
        rng.standard_normal((classes, columns)),
        rng.standard_normal(classes),
    )


def _matrix(rng: np.random.Generator, rows: int, columns: int) -> sp.csr_matrix:
    return sp.random(rows, columns, density=0.3, format="csr", random_state=rng)


def _scores(matrix: sp.csr_matrix, latent: np.ndarray, mix: np.ndarray, intercept: np.ndarray):
    return np.asarray(matrix @ latent.T) @ mix + intercept


def test_full_rank_factors_reproduce_the_scores():
    rng = np.random.default_rng(1)
    head, matrix = _head(rng, 5, 40), _matrix(rng, 200, 40)
    latent, mix, intercept = low_rank_factors(head.coef, head.intercept, matrix, rank=5)
    assert latent.shape == (5, 40) and mix.shape == (5, 5)
    expected = np.asarray(matrix @ head.coef.T) + head.intercept
    assert np.allclose(_scores(matrix, latent, mix, intercept), expected)


def test_rank_r_gives_the_principal_projection_of_the_centred_scores_and_keeps_their_mean():
    rng = np.random.default_rng(2)
    head, matrix = _head(rng, 6, 30), _matrix(rng, 300, 30)
    latent, mix, intercept = low_rank_factors(head.coef, head.intercept, matrix, rank=2)
    assert latent.shape == (2, 30) and mix.shape == (2, 6)
    assert np.allclose(mix @ mix.T, np.eye(2))  # orthonormal directions
    scores = np.asarray(matrix @ head.coef.T) + head.intercept
    approx = _scores(matrix, latent, mix, intercept)
    assert np.allclose(approx.mean(axis=0), scores.mean(axis=0))
    # the best rank-2 fit of the centred scores (Eckart-Young): no other rank-2 map does better
    centred = scores - scores.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    assert np.allclose(approx - scores.mean(axis=0), (u[:, :2] * s[:2]) @ vt[:2])


def test_each_direction_has_its_largest_entry_positive():
    rng = np.random.default_rng(3)
    head, matrix = _head(rng, 6, 30), _matrix(rng, 300, 30)
    _, mix, _ = low_rank_factors(head.coef, head.intercept, matrix, rank=3)
    assert np.all(mix[np.arange(3), np.argmax(np.abs(mix), axis=1)] > 0)


def test_factorise_head_stores_the_latent_rows_and_the_mix():
    rng = np.random.default_rng(4)
    head, matrix = _head(rng, 6, 30), _matrix(rng, 300, 30)
    factorised = factorise_head(head, matrix, 2)
    latent, mix, intercept = low_rank_factors(head.coef, head.intercept, matrix, 2)
    assert factorised.classes == head.classes
    assert np.array_equal(factorised.coef, latent) and np.array_equal(factorised.mix, mix)
    assert np.array_equal(factorised.intercept, intercept)


@pytest.mark.parametrize("rank", [0, 6, 7, 1000])
def test_rank_0_or_at_least_the_classes_keeps_the_head_as_fitted(rank):
    rng = np.random.default_rng(5)
    head, matrix = _head(rng, 6, 30), _matrix(rng, 300, 30)
    assert factorise_head(head, matrix, rank) is head


def test_a_head_of_one_class_is_kept():
    head = Head(("only",), np.zeros((1, 4)), np.zeros(1))
    assert factorise_head(head, sp.csr_matrix(np.ones((3, 4))), 1) is head


@pytest.mark.parametrize("key", ["country_rank", "region_rank"])
def test_a_negative_rank_is_a_config_error(key):
    assert getattr(load_config(None).model, key) == 0
    assert getattr(load_config(None, overrides=[f"model.{key}=8"]).model, key) == 8
    with pytest.raises(ConfigError, match=rf"model\.{key} must be >= 0"):
        load_config(None, overrides=[f"model.{key}=-1"])


TEXTS = [
    "A bomb exploded in the market of Mosul, killing 9 people.",
    "Gunmen opened fire on shoppers in Kano, killing 3.",
    "The council of Medellin approved 5 new schools and a road.",
    "A bomb exploded in the market of Peshawar, killing 9 people.",
]


def _train(tmp_path: Path, *extra: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    corpus = write_corpus(tmp_path / "corpus.jsonl", accuracy_records())
    return train_model(tiny_config(corpus, tmp_path / "m", *extra)).folder


def test_a_model_trained_with_a_country_rank_stores_and_uses_the_factors(tmp_path):
    folder = _train(tmp_path, "model.country_rank=2")
    head = load_artifact(folder).country
    assert head.classes == ("CO", "IQ", "NG", "PK")
    assert head.mix is not None and head.mix.shape == (2, len(head.classes))
    assert head.coef.shape[0] == 2
    # two directions of the three the four countries' centred scores span: Mosul's country
    # is the one lost, the other three are still named
    countries = [p.country for p in Predictor.load(folder).predict(TEXTS)]
    assert countries[1:] == ["NG", "CO", "PK"]


def test_rank_of_classes_minus_one_scores_as_the_fitted_head(tmp_path):
    # multinomial logistic scores sum to zero over the classes (L2 penalty): their centred
    # scores span classes - 1 directions, so that rank loses nothing
    dense = Predictor.load(_train(tmp_path / "dense")).predict(TEXTS)
    low = Predictor.load(_train(tmp_path / "low", "model.country_rank=3"))
    assert low.model.country.mix.shape == (3, 4)
    for a, b in zip(dense, low.predict(TEXTS), strict=True):
        assert a.country == b.country and a.region == b.region
        assert abs(a.country_probability - b.country_probability) < 1e-4
