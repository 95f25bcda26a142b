"""The decision rules live in infer/scoring.py, shared by predict and explain."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

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
