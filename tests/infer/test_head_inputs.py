"""Lean model folders: heads store float32 weights over the blocks they read, format 1 loads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import ACCURACY_PLACES as PLACES
from helpers import accuracy_records as records
from helpers import rehash, write_corpus

import train.heads
from infer.artifact import ModelError, load_artifact, sealed
from infer.linear import BlockRows
from infer.place_features import PlaceBlock
from infer.places import gazetteer_from_pairs
from infer.predictor import Predictor
from infer.scoring import decision_scores
from train.config import ConfigError, load_config
from train.fit import train_model
from train.heads import top_columns

TEXTS = [
    "A car bomb exploded near the market in Mosul.",
    "Gunmen opened fire on a bus outside Peshawar.",
    "The council of Kano approved new schools.",
    "",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model with a place block whose country head keeps its 15 most frequent words."""
    base = tmp_path_factory.mktemp("lean")
    corpus = base / "corpus.jsonl"
    write_corpus(corpus, records())
    block = PlaceBlock(gazetteer_from_pairs(PLACES))
    patch = pytest.MonkeyPatch()
    patch.setattr(train.heads, "place_block", lambda cfg, texts, geo=None: block)
    try:
        config = load_config(
            corpora=[str(corpus)],
            out=str(base / "m"),
            overrides=[
                "features.gazetteer=true",
                "features.min_df=1",
                "features.char=true",
                "split.dev_size=0.25",
                "model.country_block_columns={word = 15}",
                'model.country_blocks=["word", "places"]',
                'model.region_blocks=["places"]',
            ],
        )
        return train_model(config)
    finally:
        patch.undo()


def test_heads_store_float32_weights_over_the_blocks_they_read(trained):
    folder, model = trained.folder, load_artifact(trained.folder)
    with np.load(folder / "model.npz") as npz:
        assert {npz[f"{h}.coef"].dtype for h in ("incident", "region", "country")} == {
            np.dtype(np.float32)
        }
        assert npz["features.0.idf"].dtype == np.float32
        assert npz["country.columns.word"].tolist() == model.country.inputs[0].columns.tolist()
        assert "features.2.entry" in npz.files  # the gazetteer, compressed
    assert json.loads((folder / "vocab.json").read_text()) == {
        "blocks": [{"name": "word"}, {"name": "char"}, {"name": "places"}]
    }
    words, chars, places = (b.size for b in model.featurizer.blocks)
    assert model.incident.blocks == ("word", "char")
    assert model.incident.coef.shape == (7, words + chars)  # no zeros for the place columns
    assert model.country.blocks == ("word", "places")
    assert model.country.coef.shape[1] == 15 + places
    assert model.region.blocks == ("places",) and model.region.coef.shape[1] == places


def test_a_loaded_model_scores_exactly_like_the_trained_one(trained):
    assert Predictor.load(trained.folder).predict(TEXTS) == Predictor(trained.model).predict(TEXTS)


def test_block_scores_equal_the_full_matrix_product(trained):
    model = load_artifact(trained.folder)
    full = model.featurizer.transform(TEXTS).toarray()
    for head in model.heads().values():
        weights = np.zeros((len(head.classes), full.shape[1]))
        for k in range(len(head.classes)):
            weights[k] = head.class_weights(k, full.shape[1])
        expected = full @ weights.T + head.intercept
        assert np.allclose(
            decision_scores(head, BlockRows(model.featurizer, TEXTS)), expected, rtol=0, atol=1e-12
        )
        assert np.allclose(decision_scores(head, sp.csr_matrix(full)), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("source", ["folder", "memory"])
def test_compiled_head_product_equals_the_scipy_reference_bit_for_bit(trained, source):
    model = load_artifact(trained.folder) if source == "folder" else trained.model
    texts = [*TEXTS, "", "Ünïcödé bomb in Zürich", "bomb " * 300]
    for head in model.heads().values():
        rows = BlockRows(model.featurizer, texts)
        assert np.array_equal(head.scores(rows), head.reference_scores(rows))
        full = model.featurizer.transform(texts)
        assert np.array_equal(head.scores(full), head.reference_scores(full))


def test_only_the_blocks_a_head_reads_are_computed(trained):
    model = load_artifact(trained.folder)
    rows = BlockRows(model.featurizer, TEXTS)
    decision_scores(model.incident, rows)
    assert rows.computed() == {"word", "char"}  # no place matching for the incident heads


def test_the_place_matcher_is_built_on_first_use_from_arrays_not_the_gazetteer_json(trained):
    model = load_artifact(trained.folder)
    block = model.featurizer.blocks[-1]
    assert isinstance(block, PlaceBlock) and "gazetteer" not in vars(block)
    assert block.countries == ("CO", "IQ", "NG", "PK")
    assert "matcher" not in vars(block)
    counts = block.transform(["A bomb in Mosul and Kano"]).toarray()
    assert "matcher" in vars(block) and counts[0, block.countries.index("IQ")] > 0
    assert "gazetteer" not in vars(block)  # the JSON is parsed only for explanations


def test_explanation_of_a_head_on_a_column_subset_is_exact(trained):
    predictor = Predictor.load(trained.folder)
    explanation = predictor.explain(TEXTS[0], top=3)
    heads = {item.head for item in explanation.heads}
    assert {"incident", "country"} <= heads
    for item in explanation.heads:
        assert abs(item.total + item.intercept - item.decision_score) < 1e-9
        if item.head == "incident":
            assert not any(c.feature.startswith("places:") for c in item.contributions)


def as_format_1(folder: Path, target: Path) -> Path:
    """Rewrite a model folder the way format 1 stored it: float64 weights over every column,
    terms and gazetteer in vocab.json, no head layout in meta.json."""
    shutil.copytree(folder, target)
    model = load_artifact(folder)
    n = model.featurizer.n_features
    with np.load(folder / "model.npz") as npz:
        arrays = {
            k: npz[k]
            for k in npz.files
            if not k.endswith((".terms", ".entry")) and ".columns." not in k
        }
    for name, head in model.heads().items():
        arrays[f"{name}.coef"] = np.array(
            [head.class_weights(k, n) for k in range(len(head.classes))]
        )
    for i, block in enumerate(model.featurizer.blocks):
        arrays[f"features.{i}.idf"] = np.asarray(block.idf, dtype=np.float64)
    np.savez(target / "model.npz", **arrays)
    vocab = {
        "blocks": [
            b.vocab_entry()
            if isinstance(b, PlaceBlock)
            else {"name": b.spec.name, "terms": list(b.terms)}
            for b in model.featurizer.blocks
        ]
    }
    (target / "vocab.json").write_text(json.dumps(vocab))
    meta = json.loads((target / "meta.json").read_text())
    meta["format_version"] = 1
    del meta["heads"]
    (target / "meta.json").write_text(json.dumps(meta))
    rehash(target, "model.npz")
    rehash(target, "vocab.json")
    return target


def test_a_format_1_folder_still_loads_and_scores_the_same(trained, tmp_path):
    old = Predictor.load(as_format_1(trained.folder, tmp_path / "v1"))
    assert all(h.inputs == () for h in old.model.heads().values())
    new = Predictor.load(trained.folder)
    for a, b in zip(old.predict(TEXTS), new.predict(TEXTS), strict=True):
        assert (a.region, a.country, list(a.incident_types)) == (
            b.region,
            b.country,
            list(b.incident_types),
        )
        assert a.probabilities == pytest.approx(b.probabilities, abs=1e-12)


def test_an_unknown_format_is_refused_saying_how_to_train(trained, tmp_path):
    copy = shutil.copytree(trained.folder, tmp_path / "m")
    meta = json.loads((copy / "meta.json").read_text())
    meta["format_version"] = 99
    (copy / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"unsupported model format 99.*threat-tagger train"):
        load_artifact(copy)


def test_a_head_reading_a_missing_block_is_refused(trained, tmp_path):
    copy = shutil.copytree(trained.folder, tmp_path / "m")
    meta = json.loads((copy / "meta.json").read_text())
    meta["heads"]["region"][0]["block"] = "nowhere"
    (copy / "meta.json").write_text(json.dumps(sealed(meta)))
    with pytest.raises(ModelError, match="region head does not match the features"):
        load_artifact(copy)


def test_top_columns_by_frequency_keep_the_terms_in_most_rows_sorted():
    matrix = sp.csr_matrix(np.array([[1, 0, 1, 1], [0, 0, 1, 1], [0, 1, 1, 0.0]]))
    assert top_columns(matrix, 2).tolist() == [2, 3]
    assert top_columns(matrix, 3).tolist() == [0, 2, 3]  # ties: the first column
    assert top_columns(matrix, 0) is None and top_columns(matrix, 4) is None


def test_top_columns_by_chi2_keep_the_terms_that_tell_the_labels_apart():
    # column 1 is in every row (frequent, uninformative); columns 0 and 3 follow the label
    matrix = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 1, 1, 1], [0, 1, 0, 1.0]]))
    labels = ["IQ", "IQ", "PK", "PK"]
    assert top_columns(matrix, 1).tolist() == [1]
    assert top_columns(matrix, 2, labels).tolist() == [0, 3]


def test_geo_blocks_must_be_known_block_names():
    with pytest.raises(ConfigError, match=r"model.country_blocks names unknown blocks \['wrod'\]"):
        load_config(overrides=['model.country_blocks=["wrod"]'])


def test_block_column_limits_must_be_positive():
    with pytest.raises(ConfigError, match=r"model.region_block_columns values must be > 0"):
        load_config(overrides=["model.region_block_columns={word = 0}"])


def test_geo_selection_must_be_known():
    with pytest.raises(ConfigError, match=r"model.geo_selection must be one of"):
        load_config(overrides=['model.geo_selection="random"'])
