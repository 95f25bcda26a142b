"""The Predictor API: predictions, thresholds, region/country consistency, explain, threads."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from helpers import make_records, tiny_config, write_corpus

import infer.predictor as predictor_module
from infer.artifact import ModelError
from infer.predictor import Prediction, Predictor, _batches
from infer.scoring import decision_scores
from infer.taxonomy import INCIDENT_TYPES, region_of
from train.fit import train_model

REPO = Path(__file__).resolve().parents[2]
TEXTS = [
    "Lagos, Nigeria - A car bomb exploded outside a police station, killing 12 people.",
    "Militants lying in wait ambushed a military convoy on the road out of Peshawar.",
    "Gunmen kidnapped 20 schoolchildren from a village outside Kano and demanded a ransom.",
    "The central bank in Lyon raised interest rates by a quarter point.",
    "Pirates hijacked a cargo ship shortly after it left Davao port.",
    "Nothing much happened today.",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("predictor")
    corpus = write_corpus(base / "corpus.jsonl", make_records(12))
    return train_model(tiny_config(corpus, base / "models" / "m")).folder


@pytest.fixture(scope="module")
def predictor(folder) -> Predictor:
    return Predictor.load(folder)


def test_prediction_has_every_field_and_a_plain_dict_form(predictor):
    prediction = predictor.predict(TEXTS[:1])[0]
    assert isinstance(prediction, Prediction)
    assert set(prediction.probabilities) == set(INCIDENT_TYPES)
    data = prediction.to_dict()
    assert set(data) == {
        "incident_types",
        "probabilities",
        "region",
        "region_probability",
        "country",
        "country_name",
        "country_probability",
    }
    json.dumps(data)
    with pytest.raises(dataclasses.FrozenInstanceError):
        prediction.region = "x"  # type: ignore[misc]


def test_incident_types_are_the_labels_over_their_thresholds_highest_first(predictor):
    thresholds = predictor.meta["thresholds"]
    for prediction in predictor.predict(TEXTS):
        expected = {k for k, p in prediction.probabilities.items() if p >= thresholds[k]}
        assert set(prediction.incident_types) == expected
        values = list(prediction.incident_types.values())
        assert values == sorted(values, reverse=True)


def test_model_tags_clear_reports_and_not_the_economy_story(predictor):
    bomb, ambush, kidnap, economy = predictor.predict(TEXTS[:4])
    assert "bombing" in bomb.incident_types
    assert "ambush" in ambush.incident_types
    assert "kidnap" in kidnap.incident_types
    assert economy.incident_types == {}


def test_threshold_argument_replaces_the_tuned_thresholds(predictor):
    everything = predictor.predict(TEXTS, threshold=0.0)
    nothing = predictor.predict(TEXTS, threshold=1.01)
    assert all(set(p.incident_types) == set(INCIDENT_TYPES) for p in everything)
    assert all(p.incident_types == {} for p in nothing)


def test_region_is_always_the_region_of_a_reported_country(predictor):
    texts = [r["text"] for r in make_records(3, seed=99)] + TEXTS
    for prediction in predictor.predict(texts):
        if prediction.country is not None:
            assert prediction.country_probability >= predictor.model.country_min_probability
            assert prediction.region == region_of(prediction.country)
            assert prediction.region_probability >= prediction.country_probability


@pytest.mark.parametrize("minimum", [0.0, 1.01])
def test_country_minimum_decides_between_country_region_and_region_head(predictor, minimum):
    model = dataclasses.replace(predictor.model, country_min_probability=minimum)
    predictions = Predictor(model).predict(TEXTS)
    for prediction in predictions:
        if minimum == 0.0:
            assert prediction.country is not None
            assert prediction.region == region_of(prediction.country)
        else:  # the region head's answer, or none at its no-evidence level
            assert prediction.country is None
            assert prediction.region in (None, *model.region.classes)
    assert any(p.region is not None for p in predictions)


def test_region_minimum_gives_no_region_when_unsure(predictor):
    model = dataclasses.replace(
        predictor.model, country_min_probability=1.01, region_min_probability=1.01
    )
    assert all(p.region is None for p in Predictor(model).predict(TEXTS))


def test_explanation_is_an_exact_linear_decomposition(predictor):
    for text in TEXTS[:3]:
        explanation = predictor.explain(text, top=5)
        matrix = predictor.model.featurizer.transform([text])
        assert explanation.heads, text
        for item in explanation.heads:
            head = getattr(predictor.model, item.head)
            expected = decision_scores(head, matrix)[0, head.classes.index(item.label)]
            assert abs(item.total + item.intercept - item.decision_score) < 1e-9
            assert abs(item.decision_score - expected) < 1e-9
            assert len(item.contributions) <= 5
            sizes = [abs(c.contribution) for c in item.contributions]
            assert sizes == sorted(sizes, reverse=True)
            assert all(
                c.contribution == pytest.approx(c.weight * c.value) for c in item.contributions
            )


def test_explanation_covers_labels_region_and_country(predictor):
    explanation = predictor.explain(TEXTS[0])
    prediction = explanation.prediction
    heads = {(h.head, h.label) for h in explanation.heads}
    assert {("incident", label) for label in prediction.incident_types} <= heads
    if prediction.country is not None:
        assert ("country", prediction.country) in heads
    top = next(h for h in explanation.heads if h.head == "incident")
    assert all(c.feature.startswith("word:") for c in top.contributions)
    json.dumps(explanation.to_dict())


def test_predict_from_threads_matches_sequential(predictor):
    texts = [r["text"] for r in make_records(4, seed=3)]
    sequential = [predictor.predict([t]) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda t: predictor.predict([t]), texts))
    assert threaded == sequential


def test_small_batches_give_the_same_predictions_as_one_batch(predictor):
    texts = [r["text"] for r in make_records(2, seed=5)]
    assert predictor.predict(iter(texts), batch_size=3) == predictor.predict(texts)


def test_batches_hold_at_most_the_character_budget_and_keep_every_text_in_order():
    texts = ["a" * n for n in (3, 4, 5, 20, 1, 1, 1, 9, 2)]
    batches = list(_batches(iter(texts), 4, chars=10))
    assert [t for batch in batches for t in batch] == texts
    assert all(len(batch) <= 4 for batch in batches)
    # a batch passes the budget only when one text alone does
    assert all(sum(map(len, b)) <= 10 or len(b) == 1 for b in batches)
    assert [list(map(len, b)) for b in batches] == [[3, 4], [5], [20], [1, 1, 1], [9], [2]]


def test_long_texts_split_into_more_batches_give_the_same_predictions(predictor, monkeypatch):
    texts = [r["text"] for r in make_records(2, seed=7)] + [" ".join(TEXTS) * 3]
    whole = predictor.predict(texts)
    sizes: list[int] = []

    def recorded(texts, size, chars):
        for batch in _batches(texts, size, chars):
            sizes.append(len(batch))
            yield batch

    monkeypatch.setattr(predictor_module, "_batches", recorded)
    monkeypatch.setattr(predictor_module, "BATCH_CHARS", 50)
    assert predictor.predict(texts) == whole
    assert len(sizes) > 1 and sum(sizes) == len(texts)


def test_predict_takes_any_iterable_but_not_a_bare_string(predictor):
    assert predictor.predict([]) == []
    assert len(predictor.predict(t for t in TEXTS)) == len(TEXTS)
    with pytest.raises(TypeError):
        predictor.predict("a single text")


def test_load_reads_the_model_path_from_the_environment(folder, monkeypatch):
    monkeypatch.setenv("THREAT_TAGGER_MODEL", str(folder))
    assert Predictor.load().predict(TEXTS[:1]) == Predictor.load(folder).predict(TEXTS[:1])


def test_load_defaults_to_models_default_and_says_how_to_train(tmp_path, monkeypatch):
    monkeypatch.delenv("THREAT_TAGGER_MODEL", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelError, match=r"models/default.*make train"):
        Predictor.load()


ISOLATION = """
import sys, infer
from infer.predictor import Predictor
print(Predictor.load(sys.argv[1]).predict(["a bomb exploded"])[0].probabilities["bombing"])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in
               {"train", "datasets", "sklearn", "pandas", "matplotlib"})
print(heavy)
"""


def test_runtime_never_imports_train_sklearn_pandas_or_datasets(folder):
    result = subprocess.run(
        [sys.executable, "-c", ISOLATION, str(folder)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    score, heavy = result.stdout.strip().splitlines()
    assert 0.0 <= float(score) <= 1.0
    assert heavy == "[]"


LAZY_JIT = """
import sys
from infer.predictor import Predictor
predictor = Predictor.load(sys.argv[1])
print("numba" in sys.modules)
predictor.predict(["a bomb exploded"])
print("numba" in sys.modules)
"""


def test_loading_a_model_leaves_the_jit_import_to_the_first_batch(folder):
    # numba's JIT kernels; the compiled ones never import numba (tests/infer/test_aot_kernels.py)
    result = subprocess.run(
        [sys.executable, "-c", LAZY_JIT, str(folder)],
        env={**os.environ, "THREAT_TAGGER_KERNELS": "jit"},
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["False", "True"]


def test_decision_scores_follow_the_stored_arrays(predictor):
    matrix = predictor.model.featurizer.transform(TEXTS[:2])
    head = predictor.model.incident
    manual = matrix.toarray() @ head.coef.T + head.intercept
    finite = np.isfinite(manual)
    assert np.allclose(decision_scores(head, matrix)[finite], manual[finite])


def test_explanation_of_a_pooled_label_decomposes_the_window_it_came_from(predictor):
    model = dataclasses.replace(predictor.model, window_sentences=1, window_min_words=0)
    pooled = Predictor(model)
    filler = " ".join(f"The council met on day {i} to discuss the town budget." for i in range(12))
    text = f"{filler} A car bomb exploded outside a police station in Lagos. {filler}"
    explanation = pooled.explain(text, top=3)
    bombing = next(h for h in explanation.heads if h.label == "bombing")
    assert bombing.segment is not None and "car bomb" in bombing.segment
    assert float(1 / (1 + np.exp(-bombing.decision_score))) == pytest.approx(
        explanation.prediction.incident_types["bombing"], abs=1e-9
    )
    assert abs(bombing.total + bombing.intercept - bombing.decision_score) < 1e-9


def test_the_package_exports_the_predictor_without_importing_numpy_up_front():
    code = (
        "import sys, infer; assert 'numpy' not in sys.modules; "
        "from infer import Explanation, Prediction, Predictor, ThreatTaggerError; "
        "assert Predictor.__module__ == 'infer.predictor'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
