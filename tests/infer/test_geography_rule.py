"""The country rule's named evidence: places and demonyms outvote an unsure country head."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_same, make_records, reference, tiny_config, write_corpus

from infer.artifact import load_artifact
from infer.place_features import PlaceBlock
from infer.predictor import Predictor
from infer.scoring import PLACES_OUTVOTE_BELOW
from train.fit import train_model

TEXTS = [
    "Two Afghan soldiers and an Afghan police officer were shot dead at a checkpoint.",
    "Nigerien troops repelled an attack on their base, the army said.",
    "Gunmen killed four people in Makhmour and fled towards Mosul.",
    "Afghan officials said the attack in Makhmour was carried out by Iraqis.",
    "A bomb exploded outside a police station.",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("geography-rule")
    corpus = write_corpus(base / "corpus.jsonl", make_records(10))
    config = tiny_config(
        corpus, base / "models" / "m", "features.gazetteer=true", "model.place_fallback_share=0.5"
    )
    return train_model(config).folder


def test_demonyms_alone_give_a_place_majority(folder: Path) -> None:
    predictor = Predictor(load_artifact(folder))
    matrix = predictor.model.featurizer.transform(TEXTS)
    assert predictor.scorer.place_majority(matrix) == ["AF", "NE", "IQ", "IQ", None]


def test_place_mentions_are_counted_before_demonyms(folder: Path) -> None:
    predictor = Predictor(load_artifact(folder))
    # places: Iraq 2 of 3; counted with the demonym, Afghanistan (1 of 2 votes) would win
    text = "Gunmen from Makhmour and Mosul struck in Peshawar, Afghan officials said."
    matrix = predictor.model.featurizer.transform([text])
    assert predictor.scorer.place_majority(matrix) == ["IQ"]


def test_a_named_country_outvotes_a_head_under_even_odds(folder: Path) -> None:
    predictor = Predictor(dataclasses.replace(load_artifact(folder), country_min_probability=0.3))
    classes = predictor.model.country.classes
    other = next(c for c in classes if c != "IQ")
    country_p = np.zeros((1, len(classes)))
    region_p = np.full((1, len(predictor.model.region.classes)), 1.0)
    for head, expected in ((PLACES_OUTVOTE_BELOW - 0.01, "IQ"), (PLACES_OUTVOTE_BELOW, other)):
        country_p[:] = (1.0 - head) / (len(classes) - 1)
        country_p[0, classes.index(other)] = head
        assert predictor.scorer.geography(region_p, country_p, ["IQ"])[0][2] == expected
        assert predictor.scorer.geography(region_p, country_p, [None])[0][2] == other


@pytest.mark.parametrize("country_min", [0.0, 0.3, 1.01])
def test_fast_rule_with_places_equals_the_per_row_rule(folder: Path, country_min: float) -> None:
    model = dataclasses.replace(load_artifact(folder), country_min_probability=country_min)
    predictor = Predictor(model)
    assert any(isinstance(b, PlaceBlock) for b in model.featurizer.blocks)
    assert_same(predictor.predict(TEXTS), reference(predictor, TEXTS, None))
