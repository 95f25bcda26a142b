"""The vectorised prediction assembly gives exactly the predictions of the rules written out
row by row (the reference below restates infer/scoring.py's rules from their docstrings)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from test_training import make_records, tiny_config, write_corpus

from infer.artifact import Head, load_artifact
from infer.predictor import Prediction, Predictor
from infer.scoring import PLACES_OUTVOTE_BELOW, decision_scores, sigmoid, softmax
from infer.taxonomy import COUNTRIES
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


def geography_row(predictor: Predictor, region_p: np.ndarray, country_p: np.ndarray,
                  place: str | None) -> tuple:
    """The country/region rule for one row, written plainly."""
    model = predictor.model
    countries, regions = model.country.classes, model.region.classes
    best = int(np.argmax(country_p)) if len(country_p) else None
    top = float(country_p[best]) if best is not None else 0.0
    if best is not None and top >= model.country_min_probability and (
            place in (None, countries[best]) or top >= PLACES_OUTVOTE_BELOW):
        region = model.country_regions[best]
        region_prob = sum(float(p) for p, r in zip(country_p, model.country_regions, strict=True)
                          if r == region)
        return region, region_prob, countries[best], top
    if place is not None:
        region = COUNTRIES[place].region
        return (region, float(region_p[regions.index(region)]) if region in regions else 0.0,
                place, float(country_p[countries.index(place)]) if place in countries else 0.0)
    if not len(region_p):
        return None, 0.0, None, top
    r = int(np.argmax(region_p))
    p = float(region_p[r])
    kept = p >= model.region_min_probability and p > 1.0 / len(regions)
    return (regions[r] if kept else None), p, None, top


def reference(predictor: Predictor, texts: list[str], threshold: float | None) -> list:
    """The predictions computed row by row from the rules (texts too short for windows)."""
    model = predictor.model
    matrix = model.featurizer.transform(texts)
    incident = sigmoid(decision_scores(model.incident, matrix))
    if model.gate is not None:
        incident = incident * sigmoid(decision_scores(model.gate, matrix))
    aa, ambush = predictor.labels.index("armed_assault"), predictor.labels.index("ambush")
    incident[:, aa] = np.maximum(incident[:, aa], incident[:, ambush])  # ambush implies it
    cut = model.thresholds if threshold is None else np.full(len(predictor.labels), threshold)
    region_p = softmax(decision_scores(model.region, matrix))
    country_p = softmax(decision_scores(model.country, matrix))
    places = predictor.scorer.place_majority(matrix)
    out = []
    for row in range(len(texts)):
        scores = {label: float(p) for label, p in zip(predictor.labels, incident[row], strict=True)}
        assigned = sorted(((label, float(p)) for label, p, t in
                           zip(predictor.labels, incident[row], cut, strict=True)
                           if p >= t and p > 0.0),
                          key=lambda kv: (-kv[1], predictor.labels.index(kv[0])))
        out.append(Prediction(dict(assigned), scores,
                              *geography_row(predictor, region_p[row], country_p[row],
                                             places[row])))
    return out


def assert_same(fast: list[Prediction], slow: list[Prediction]) -> None:
    """Equal predictions; the region probability (a sum) may differ in summation order only."""
    for a, b in zip(fast, slow, strict=True):
        assert a.region_probability == pytest.approx(b.region_probability, rel=1e-12, abs=1e-15)
        assert dataclasses.replace(a, region_probability=0.0) == \
            dataclasses.replace(b, region_probability=0.0)
        assert list(a.incident_types) == list(b.incident_types)  # the order too
    assert len(fast) == len(slow)


@pytest.mark.parametrize("country_min", [0.0, 0.05, 0.5, 1.01])
@pytest.mark.parametrize("region_min", [0.0, 0.3, 1.01])
@pytest.mark.parametrize("threshold", [None, 0.0, 0.5])
def test_fast_predictions_equal_the_per_row_rules(folder, country_min, region_min, threshold):
    model = dataclasses.replace(load_artifact(folder), country_min_probability=country_min,
                                region_min_probability=region_min)
    predictor = Predictor(model)
    assert_same(predictor.predict(TEXTS, threshold=threshold),
                reference(predictor, TEXTS, threshold))


def test_tied_probabilities_are_ordered_like_the_labels(folder):
    model = load_artifact(folder)
    flat = Head(model.incident.classes, np.zeros_like(model.incident.coef),
                np.zeros_like(model.incident.intercept))
    predictor = Predictor(dataclasses.replace(model, incident=flat))
    [prediction] = predictor.predict(["anything"], threshold=0.5)
    assert list(prediction.incident_types) == list(model.incident.classes)
    assert set(prediction.incident_types.values()) == {0.5}


def test_each_prediction_owns_its_dicts(folder):
    first, second = Predictor.load(folder).predict(["nothing here", "nothing here"],
                                                   threshold=1.0)
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
    changes = ({"country_min_probability": at} if head == "country" else
               {"country_min_probability": 1.01, "region_min_probability": at})
    predictor = Predictor(dataclasses.replace(model, **changes))
    fast = predictor.predict(TEXTS)
    assert_same(fast, reference(predictor, TEXTS, None))
    assert getattr(fast[0], head) is not None
