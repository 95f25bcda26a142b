"""The data-only model folder and the runtime featuriser: same matrix as sklearn, no pickle."""

from __future__ import annotations

import json
import pickle
import re
import shutil
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from helpers import make_records, rehash, tiny_config, write_corpus
from sklearn.feature_extraction.text import TfidfVectorizer

from infer.artifact import ModelError, load_artifact, sealed
from infer.features import BlockSpec, Featurizer, TextOptions, TfidfBlock, strip_boilerplate
from infer.predictor import Predictor
from train.fit import train_model

UNSEEN = [
    "A bomb exploded in Lagos on Friday",
    "",
    "qwertyuiop zxcvbnm",
    "Gunmen gunmen GUNMEN opened fire opened fire in Bogota, Colombia",
]


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("artifact")
    corpus = write_corpus(base / "corpus.jsonl", make_records(8))
    return train_model(tiny_config(corpus, base / "models" / "m")).folder


@pytest.fixture
def copy(model_folder, tmp_path) -> Path:
    target = tmp_path / "m"
    shutil.copytree(model_folder, target)
    return target


@pytest.mark.parametrize(
    "spec",
    [
        BlockSpec("word", "word", (1, 2)),
        BlockSpec("char", "char_wb", (2, 5)),
        BlockSpec("raw", "word", (1, 3), TextOptions(lowercase=False)),
    ],
)
def test_runtime_vectoriser_gives_the_same_matrix_as_sklearn(spec):
    texts = [r["text"] for r in make_records(4)]
    vectorizer = TfidfVectorizer(
        analyzer=spec.analyze, sublinear_tf=True, min_df=2, max_features=400
    ).fit(texts)
    block = TfidfBlock(spec, tuple(vectorizer.get_feature_names_out()), vectorizer.idf_)
    sample = texts[:10] + UNSEEN
    expected = vectorizer.transform(sample).toarray()
    assert np.allclose(block.transform(sample).toarray(), expected, atol=1e-12)


def test_word_analyzer_matches_sklearn_builtin_word_ngrams():
    text = "KABUL, March 3 (AFP) - A suicide bomber [12] hit the Interior Ministry's gate."
    spec = BlockSpec("word", "word", (1, 2), TextOptions(strip_boilerplate=False))
    builtin = TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()
    assert spec.analyze(text) == builtin(text)


def test_featurizer_stacks_blocks_side_by_side_in_order():
    texts = [r["text"] for r in make_records(3)]
    blocks = []
    for spec in (BlockSpec("word", "word", (1, 1)), BlockSpec("char", "char_wb", (3, 3))):
        vectorizer = TfidfVectorizer(analyzer=spec.analyze, sublinear_tf=True).fit(texts)
        blocks.append(TfidfBlock(spec, tuple(vectorizer.get_feature_names_out()), vectorizer.idf_))
    featurizer = Featurizer(blocks)
    matrix = featurizer.transform(texts[:5]).toarray()
    width = blocks[0].size
    assert matrix.shape == (5, width + blocks[1].size)
    assert np.allclose(matrix[:, :width], blocks[0].transform(texts[:5]).toarray())
    assert np.allclose(matrix[:, width:], blocks[1].transform(texts[:5]).toarray())
    assert featurizer.feature_name(width).startswith("char:")


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("KABUL, March 3 (AFP) - A suicide bomber hit", "KABUL A suicide bomber hit"),
        ("POPAYAN, Colombia, Feb. 11 - Seven soldiers", "POPAYAN, Colombia Seven soldiers"),
        ("Lima, Oct. 3 - Around thirty rebels", "Lima Around thirty rebels"),
        ("ARGENTINA.  The second floor was hit", "ARGENTINA The second floor was hit"),
        (
            "Rebels attacked the town.[12] Police (Reuters) said",
            "Rebels attacked the town. Police said",
        ),
        (
            "Police in Trinidad - a small island - said",
            "Police in Trinidad - a small island - said",
        ),
    ],
)
def test_boilerplate_stripping_drops_dates_agencies_and_citations_but_keeps_places(raw, cleaned):
    assert strip_boilerplate(raw) == cleaned


def test_dateline_place_can_be_dropped_too():
    assert strip_boilerplate("KABUL, March 3 (AFP) - A bomb", keep_place=False) == "A bomb"


def test_model_folder_holds_only_numeric_arrays_and_json(model_folder):
    with np.load(model_folder / "model.npz", allow_pickle=False) as npz:
        assert all(npz[key].dtype.kind in "fiu" for key in npz.files)
    json.loads((model_folder / "vocab.json").read_text())


def test_loaded_model_predicts_like_a_fresh_load(model_folder):
    texts = ["A car bomb exploded near a Lagos market", "Rates rose in Lyon"]
    first = Predictor(load_artifact(model_folder)).predict(texts)
    assert Predictor.load(model_folder).predict(texts) == first


def test_tampered_file_is_refused_naming_it(copy):
    vocab = json.loads((copy / "vocab.json").read_text())
    vocab["blocks"][0]["name"] = "tampered"
    (copy / "vocab.json").write_text(json.dumps(vocab))
    with pytest.raises(ModelError, match=r"vocab\.json: sha256 does not match"):
        load_artifact(copy)


def test_missing_listed_file_is_refused(copy):
    (copy / "metrics.json").unlink()
    with pytest.raises(ModelError, match=r"metrics\.json: listed in meta\.json but missing"):
        load_artifact(copy)


@pytest.mark.parametrize("recorded", ["0.24.2", None])
def test_the_scikit_learn_a_model_was_trained_with_does_not_gate_loading(
    model_folder, copy, recorded
):
    """Scoring never imports scikit-learn: the gate is the model format (spaCy-style), so a
    model written with another scikit-learn, or with none recorded, loads and scores alike,
    even where scikit-learn is installed (it is, in this test's environment)."""
    meta = json.loads((copy / "meta.json").read_text())
    if recorded is None:
        del meta["versions"]["scikit-learn"]
    else:
        meta["versions"]["scikit-learn"] = recorded
    (copy / "meta.json").write_text(json.dumps(sealed(meta)))
    expected = Predictor.load(model_folder).predict(UNSEEN)
    assert Predictor.load(copy).predict(UNSEEN) == expected


def test_an_unreadable_format_is_refused_naming_the_format_and_our_version(copy):
    meta = json.loads((copy / "meta.json").read_text())
    meta["format_version"] = 99
    (copy / "meta.json").write_text(json.dumps(sealed(meta)))
    version = metadata.version("threat-tagger")
    with pytest.raises(
        ModelError,
        match=rf"unsupported model format 99 \(threat-tagger {re.escape(version)} reads formats "
        r"1, 2, 3\)",
    ):
        load_artifact(copy)


class Payload:
    """Unpickling this creates a marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_planted_pickle_is_refused_without_running(copy, tmp_path):
    marker = tmp_path / "pwned"
    (copy / "model.npz").write_bytes(pickle.dumps(Payload(marker)))
    rehash(copy, "model.npz")
    with pytest.raises(ModelError, match="malformed model folder"):
        load_artifact(copy)
    assert not marker.exists()


def test_object_array_inside_a_valid_npz_is_refused_without_running(copy, tmp_path):
    marker = tmp_path / "pwned"
    with np.load(copy / "model.npz", allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays["incident.thresholds"] = np.array([Payload(marker)], dtype=object)
    np.savez(copy / "model.npz", **arrays)
    rehash(copy, "model.npz")
    with pytest.raises(ModelError):
        load_artifact(copy)
    assert not marker.exists()


def test_missing_folder_error_says_how_to_train(tmp_path):
    with pytest.raises(ModelError, match=r"no model folder at .*make train.*threat-tagger train"):
        load_artifact(tmp_path / "nothing-here")


@pytest.mark.parametrize(
    ("name", "target"),
    [("full", "make train-full"), ("fast", "make train-fast"), ("default", "make train")],
)
def test_a_missing_shipped_model_folder_names_the_make_target_that_trains_it(
    tmp_path, name, target
):
    with pytest.raises(ModelError, match=rf"no model folder at .*{name}; train it with `{target}`"):
        load_artifact(tmp_path / "models" / name)


def test_meta_without_the_model_files_is_refused(copy):
    meta = json.loads((copy / "meta.json").read_text())
    del meta["files"]["model.npz"]
    (copy / "meta.json").write_text(json.dumps(sealed(meta)))
    with pytest.raises(ModelError, match=r"'files' must list model\.npz"):
        load_artifact(copy)
