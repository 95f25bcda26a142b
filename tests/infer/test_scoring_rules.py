"""The vectorised prediction assembly gives exactly the predictions of the rules written out
row by row (the reference below restates infer/scoring.py's rules from their docstrings)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_same, make_records, reference, tiny_config, write_corpus

from infer.artifact import Head, load_artifact
from infer.predictor import Predictor
from train.fit import train_model

TEXTS = [
    "Lagos, Nigeria - A car bomb exploded outside a police station, killing 12 people.",
    "Militants ambushed a military convoy on the road out of Peshawar, Pakistan.",
    "Gunmen kidnapped 20 schoolchildren from a village outside Kano and demanded a ransom.",
    "The central bank in Lyon raised interest rates by a quarter point.",
    "Pirates hijacked a cargo ship shortly after it left Davao port.",
    "",
    "Bogota Bogota Colombia Colombia bomb bomb bomb",
    "Café à São Paulo: ΣΊΣΥΦΟΣ 北京 爆炸",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("fast-predict")
    corpus = write_corpus(base / "corpus.jsonl", make_records(10))
    return train_model(tiny_config(corpus, base / "models" / "m")).folder


@pytest.mark.parametrize("country_min", [0.0, 0.05, 0.5, 1.01])
@pytest.mark.parametrize("region_min", [0.0, 0.3, 1.01])
@pytest.mark.parametrize("threshold", [None, 0.0, 0.5])
def test_fast_predictions_equal_the_per_row_rules(folder, country_min, region_min, threshold):
    model = dataclasses.replace(
        load_artifact(folder),
        country_min_probability=country_min,
        region_min_probability=region_min,
    )
    predictor = Predictor(model)
    assert_same(
        predictor.predict(TEXTS, threshold=threshold), reference(predictor, TEXTS, threshold)
    )


def test_tied_probabilities_are_ordered_like_the_labels(folder):
    model = load_artifact(folder)
    flat = Head(
        model.incident.classes,
        np.zeros_like(model.incident.coef),
        np.zeros_like(model.incident.intercept),
    )
    predictor = Predictor(dataclasses.replace(model, incident=flat))
    [prediction] = predictor.predict(["anything"], threshold=0.5)
    assert list(prediction.incident_types) == list(model.incident.classes)
    assert set(prediction.incident_types.values()) == {0.5}


def test_each_prediction_owns_its_dicts(folder):
    first, second = Predictor.load(folder).predict(["nothing here", "nothing here"], threshold=1.0)
    assert first.incident_types == {} and first.incident_types is not second.incident_types
    assert first.probabilities is not second.probabilities


def test_stored_heads_are_scored_without_copying_their_coefficients(folder):
    model = load_artifact(folder)
    for head in (model.incident, model.region, model.country):
        assert head.coef.T.flags.c_contiguous


@pytest.mark.parametrize("head", ["country", "region"])
def test_probability_exactly_at_a_minimum_counts_as_reaching_it(folder, head):
    model = load_artifact(folder)
    if head == "region":  # the region head's own probability (no country reported)
        model = dataclasses.replace(model, country_min_probability=1.01)
    [plain] = Predictor(model).predict(TEXTS[:1])
    at = plain.country_probability if head == "country" else plain.region_probability
    changes = (
        {"country_min_probability": at}
        if head == "country"
        else {"country_min_probability": 1.01, "region_min_probability": at}
    )
    predictor = Predictor(dataclasses.replace(model, **changes))
    fast = predictor.predict(TEXTS)
    assert_same(fast, reference(predictor, TEXTS, None))
    assert getattr(fast[0], head) is not None
