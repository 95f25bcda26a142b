"""The decision rules live in infer/scoring.py, shared by predict and explain."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from infer import scoring, taxonomy


def test_explain_works_without_importing_the_predictor():
    code = "import sys, infer.explain; assert 'infer.predictor' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_implication_follows_the_taxonomy_table_transitively(monkeypatch):
    labels = ("a", "b", "c", "d")
    monkeypatch.setattr(scoring, "IMPLIED_TYPES", {"a": ("b",), "b": ("c",)})
    assert scoring.implying(labels) == {1: (0,), 2: (0, 1)}
    probability = np.array([[0.9, 0.2, 0.1, 0.4], [0.1, 0.7, 0.3, 0.2]])
    raised = scoring.parent_probability(scoring.implying(labels), probability.copy())
    assert raised.tolist() == [[0.9, 0.9, 0.9, 0.4], [0.1, 0.7, 0.7, 0.2]]


def test_the_shipped_implication_is_ambush_to_armed_assault():
    labels = taxonomy.INCIDENT_TYPES
    pairs = scoring.implying(labels)
    assert pairs == {labels.index("armed_assault"): (labels.index("ambush"),)}


def test_a_region_at_chance_level_is_not_reported(model_dir):
    import dataclasses

    from infer.artifact import Head, load_artifact
    from infer.predictor import Predictor

    model = load_artifact(model_dir)
    model = dataclasses.replace(
        model, region_min_probability=0.0, country_min_probability=1.01, place_fallback_share=0.0
    )
    flat = Head(
        model.region.classes,
        np.zeros_like(model.region.coef),
        np.zeros_like(model.region.intercept),
    )
    text = ["The city council approved next year's budget for parks."]
    [at_chance] = Predictor(dataclasses.replace(model, region=flat)).predict(text)
    assert at_chance.region is None
    assert at_chance.region_probability == pytest.approx(1 / len(model.region.classes))
    nudged = flat.intercept.copy()
    nudged[0] = 0.05  # just above a flat guess
    above = Head(flat.classes, flat.coef, nudged)
    [prediction] = Predictor(dataclasses.replace(model, region=above)).predict(text)
    assert prediction.region == model.region.classes[0]
