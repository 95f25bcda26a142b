"""The attack gate (P(label) = P(attack) * P(label | attack)) and ambush => armed_assault."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from helpers import make_records, tiny_config, write_corpus

from infer.artifact import Head, load_artifact
from infer.predictor import Predictor
from infer.scoring import decision_scores, sigmoid
from infer.taxonomy import INCIDENT_TYPES
from train.config import ConfigError, load_config
from train.fit import fit_model, train_model
from train.heads import fit_incident_heads, label_matrix

TEXTS = [
    "Lagos, Nigeria - A car bomb exploded outside a police station, killing 12 people.",
    "Militants lying in wait ambushed a military convoy on the road out of Peshawar.",
    "The central bank in Lyon raised interest rates by a quarter point.",
    "Heavy rains flooded several districts of Manila, officials said.",
]
AA, AMBUSH = INCIDENT_TYPES.index("armed_assault"), INCIDENT_TYPES.index("ambush")


@pytest.fixture(scope="module")
def gated(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("gate")
    corpus = write_corpus(base / "corpus.jsonl", make_records(10))
    return train_model(tiny_config(corpus, base / "models" / "m", "model.gate=true")).folder


def manual_probabilities(model, texts: list[str]) -> np.ndarray:
    """P(attack) * P(label | attack) from the stored arrays, then ambush => armed_assault."""
    matrix = model.featurizer.transform(texts)
    p = sigmoid(decision_scores(model.incident, matrix))
    if model.gate is not None:
        p = p * sigmoid(decision_scores(model.gate, matrix))
    p[:, AA] = np.maximum(p[:, AA], p[:, AMBUSH])
    return p


def test_gated_model_stores_the_gate_and_scores_the_product(gated):
    meta = json.loads((gated / "meta.json").read_text())
    assert meta["gate"]["classes"] == ["attack"]
    model = load_artifact(gated)
    assert model.gate is not None and model.gate.coef.shape == (1, model.featurizer.n_features)
    predictions = Predictor(model).predict(TEXTS)
    expected = manual_probabilities(model, TEXTS)
    got = np.array([[p.probabilities[label] for label in INCIDENT_TYPES] for p in predictions])
    assert np.allclose(got, expected, rtol=0, atol=1e-12)
    # the negative texts get a low gate, the attack texts a high one
    gate = sigmoid(decision_scores(model.gate, model.featurizer.transform(TEXTS)))[:, 0]
    assert gate[0] > 0.5 and gate[1] > 0.5 and gate[2] < 0.5 and gate[3] < 0.5


def test_type_heads_of_a_gated_model_are_fitted_on_attack_records_only():
    records = make_records(6)
    config = tiny_config(Path("unused.jsonl"), Path("unused"), "model.gate=true")
    model, _ = fit_model(records, config)
    attacks = [r for r in records if r["incident_types"]]
    assert len(attacks) < len(records)
    matrix = model.featurizer.transform([r["text"] for r in attacks])
    alone, _ = fit_incident_heads(
        matrix, label_matrix(attacks, INCIDENT_TYPES), INCIDENT_TYPES, config.model
    )
    assert np.allclose(model.incident.coef, alone.coef, atol=1e-6)
    assert np.allclose(model.incident.intercept, alone.intercept, atol=1e-6)


def test_a_corpus_without_negatives_gets_a_constant_gate_of_one(tmp_path):
    attacks = [r for r in make_records(8) if r["incident_types"]]
    corpus = write_corpus(tmp_path / "attacks.jsonl", attacks)
    gated = train_model(tiny_config(corpus, tmp_path / "gated", "model.gate=true")).folder
    plain = train_model(tiny_config(corpus, tmp_path / "plain")).folder
    model = load_artifact(gated)
    gate = sigmoid(decision_scores(model.gate, model.featurizer.transform(TEXTS)))
    assert np.all(gate == 1.0)
    assert Predictor(model).predict(TEXTS) == Predictor.load(plain).predict(TEXTS)
    explanation = Predictor(model).explain(TEXTS[0])
    incident = [h for h in explanation.heads if h.head == "incident"]
    assert incident and all(h.gate_probability == 1.0 for h in incident)
    assert not [h for h in explanation.heads if h.head == "gate"]  # nothing to explain
    json.dumps(explanation.to_dict(), allow_nan=False)


def test_a_model_folder_without_a_gate_loads_with_no_gate(tmp_path):
    corpus = write_corpus(tmp_path / "c.jsonl", make_records(6))
    folder = train_model(tiny_config(corpus, tmp_path / "m")).folder
    assert "gate" not in json.loads((folder / "meta.json").read_text())
    assert load_artifact(folder).gate is None
    assert "gate.coef" not in np.load(folder / "model.npz").files


def test_window_pooling_takes_the_best_window_of_the_product(gated):
    model = dataclasses.replace(load_artifact(gated), window_sentences=1, window_min_words=0)
    predictor = Predictor(model)
    text = (
        "The central bank raised interest rates. A car bomb exploded outside a police "
        "station in Lagos. Heavy rains flooded several districts."
    )
    windows = text.split(". ")
    best = manual_probabilities(model, [w if w.endswith(".") else w + "." for w in windows])
    whole = manual_probabilities(model, [text])[0]
    pooled = predictor.predict([text])[0].probabilities
    assert [pooled[label] for label in INCIDENT_TYPES] == pytest.approx(
        np.maximum(whole, best.max(axis=0)), abs=1e-12
    )


def test_gated_explanation_is_exact_for_the_gate_and_the_type(gated):
    predictor = Predictor.load(gated)
    model = predictor.model
    for text in TEXTS[:2]:
        explanation = predictor.explain(text, top=5)
        matrix = model.featurizer.transform([text])
        incident = [h for h in explanation.heads if h.head == "incident"]
        gates = [h for h in explanation.heads if h.head == "gate"]
        assert incident and len(gates) == 1, text
        for item in incident + gates:
            head = getattr(model, item.head)
            expected = decision_scores(head, matrix)[0, head.classes.index(item.label)]
            assert abs(item.total + item.intercept - item.decision_score) < 1e-9
            assert abs(item.decision_score - expected) < 1e-9
        (gate,) = gates
        assert gate.probability == pytest.approx(float(sigmoid(gate.decision_score)), abs=1e-12)
        for item in incident:
            assert item.gate_probability == gate.probability
            if item.implied_by is None:
                assert item.probability == pytest.approx(
                    float(sigmoid(item.decision_score)) * gate.probability, abs=1e-9
                )
        json.dumps(explanation.to_dict())


def forced_ambush(model, ambush: float, armed_assault: float):
    """The model with flat incident heads: every text gets the given decision scores."""
    intercept = np.full(len(INCIDENT_TYPES), -5.0)
    intercept[AMBUSH], intercept[AA] = ambush, armed_assault
    flat = Head(model.incident.classes, np.zeros_like(model.incident.coef), intercept)
    return dataclasses.replace(model, incident=flat, gate=None)


def test_armed_assault_is_reported_at_least_as_likely_as_ambush(gated):
    predictor = Predictor(forced_ambush(load_artifact(gated), ambush=2.0, armed_assault=-2.0))
    for prediction in predictor.predict(TEXTS):
        assert prediction.probabilities["armed_assault"] == prediction.probabilities["ambush"]
        assert prediction.probabilities["armed_assault"] == pytest.approx(float(sigmoid(2.0)))
        assert "armed_assault" in prediction.incident_types
    lower = Predictor(forced_ambush(load_artifact(gated), ambush=-1.0, armed_assault=1.5))
    scores = lower.predict(TEXTS[:1])[0].probabilities
    assert scores["armed_assault"] == pytest.approx(float(sigmoid(1.5)))  # own score kept


def test_explain_says_when_armed_assault_comes_from_ambush(gated):
    predictor = Predictor(forced_ambush(load_artifact(gated), ambush=2.0, armed_assault=-2.0))
    explanation = predictor.explain(TEXTS[2])
    by_label = {h.label: h for h in explanation.heads if h.head == "incident"}
    assert by_label["armed_assault"].implied_by == "ambush"
    assert by_label["armed_assault"].probability == pytest.approx(float(sigmoid(2.0)))
    assert by_label["ambush"].implied_by is None
    assert by_label["ambush"].decision_score == pytest.approx(2.0)


def test_gate_class_weight_must_be_balanced_or_none():
    with pytest.raises(ConfigError, match="gate_class_weight"):
        load_config(None, overrides=['model.gate_class_weight="sometimes"'])
