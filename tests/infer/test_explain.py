"""Explanations a person can follow: words, not feature slices."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from infer.artifact import Head, load_artifact
from infer.cli import _combination
from infer.predictor import Predictor
from train.cli import app
from train.config import load_config
from train.fit import train_model

REPO = Path(__file__).resolve().parents[2]
TEXT = (
    "Gunmen ambushed a police patrol near Makhmour and abducted two officers, the army said "
    "in Mosul. Another patrol was ambushed on the road."
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo model with char n-grams, the place block and the attack gate."""
    base = tmp_path_factory.mktemp("explain-words")
    lines = [
        line
        for path in sorted((REPO / "data" / "demo").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    corpus = base / "corpus.jsonl"
    corpus.write_text("\n".join(lines[::3]) + "\n", encoding="utf-8")
    config = load_config(
        REPO / "train/configs/default.toml",
        corpora=[str(corpus)],
        out=str(base / "model"),
        overrides=["features.char=true", "model.gate=true", "model.country_min_probability=0.0"],
    )
    return train_model(config).folder


def test_char_ngrams_are_grouped_under_the_word_they_came_from(folder):
    explanation = Predictor.load(folder).explain(TEXT, top=50)
    words = set(TEXT.lower().split())
    for head in explanation.heads:
        chars = [c for c in head.contributions if c.feature.startswith("char:")]
        assert len({c.feature for c in chars}) == len(chars)  # one item per word
        for item in chars:
            assert item.words == (item.feature.removeprefix("char:"),)
            assert item.words[0] in words
            assert item.ngrams >= 1
            assert item.value * item.weight == pytest.approx(item.contribution)
        assert not chars or max(c.ngrams for c in chars) > 1
        assert abs(head.total + head.intercept - head.decision_score) < 1e-9  # still exact


def test_a_place_feature_names_the_words_that_matched(folder):
    explanation = Predictor.load(folder).explain(TEXT, top=50)
    places = [
        c
        for h in explanation.heads
        if h.head in ("region", "country")
        for c in h.contributions
        if c.feature.startswith("places:")
    ]
    assert places
    iraq = [c for c in places if c.feature.endswith("-> IQ")]
    assert iraq and set(iraq[0].words) == {"Makhmour", "Mosul"}
    assert iraq[0].feature == f"places:{', '.join(iraq[0].words)} -> IQ"
    assert not any(re.search(r"places:(country|region)=", c.feature) for c in places)


def test_predict_explain_shows_how_gate_type_head_and_ambush_rule_combine(folder):
    result = CliRunner().invoke(app, ["predict", "--model", str(folder), "--explain", TEXT])
    assert result.exit_code == 0, result.output
    heads = Predictor.load(folder).explain(TEXT).to_dict()["heads"]
    incident = [h for h in heads if h["head"] == "incident"]
    assert incident
    assert "how each incident probability is made" in result.stdout
    for head in incident:
        line = next(
            x
            for x in result.stdout.splitlines()
            if x.strip().startswith(f"{head['label']} {head['probability']:.3f} =")
        )
        if head["implied_by"]:
            assert f"P({head['implied_by']})" in line
        elif head["gate_probability"] is not None:
            assert f"P(attack) {head['gate_probability']:.3f} (gate)" in line
            assert f"P({head['label']} | attack)" in line


def test_the_ambush_rule_is_spelled_out(folder):
    model = load_artifact(folder)
    labels = model.incident.classes
    intercept = np.full(len(labels), -5.0)
    intercept[labels.index("ambush")], intercept[labels.index("armed_assault")] = 2.0, -2.0
    flat = Head(labels, np.zeros_like(model.incident.coef), intercept, model.incident.inputs)
    heads = Predictor(replace(model, incident=flat, gate=None)).explain(TEXT).to_dict()["heads"]
    armed = next(h for h in heads if h["label"] == "armed_assault")
    line = _combination(armed)
    assert line.startswith("armed_assault 0.881 = P(ambush) 0.881: an ambush is an armed_assault")
    json.dumps(heads)
