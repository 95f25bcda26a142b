"""Training options added for accuracy: source weights, NB scaling, place block kept out of
the incident heads."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import ACCURACY_PLACES as PLACES
from helpers import accuracy_records as records

import train.heads
from infer.place_features import PlaceBlock
from infer.places import gazetteer_from_pairs
from train.config import ConfigError, load_config
from train.fit import fit_model, source_weights
from train.heads import nb_ratios


def test_source_weights_parse_and_apply(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[corpora]\nsource_weights = { satp = 0.5, wikipedia = 2 }\n")
    config = load_config(path)
    assert config.corpora.source_weights == {"satp": 0.5, "wikipedia": 2.0}
    weights = source_weights(
        [{"source": "satp"}, {"source": "demo"}], config.corpora.source_weights
    )
    assert weights.tolist() == [0.5, 1.0]
    assert source_weights([{"source": "x"}], {}) is None


def test_negative_source_weight_is_a_config_error(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[corpora]\nsource_weights = { satp = -1 }\n")
    with pytest.raises(ConfigError, match="source_weights"):
        load_config(path)


def test_nb_ratio_favours_features_that_separate_the_classes() -> None:
    # column 0 only in positives, column 1 equally everywhere
    matrix = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 1.0], [0.0, 1.0]]))
    ratio = nb_ratios(matrix, np.array([1, 1, 0, 0]))
    assert ratio[0] > 1.5 * ratio[1] > 0.0


def test_incident_heads_give_no_weight_to_place_features(monkeypatch) -> None:
    block = PlaceBlock(gazetteer_from_pairs(PLACES))
    monkeypatch.setattr(train.heads, "place_block", lambda cfg, texts, geo=None: block)
    config = load_config(
        overrides=["features.gazetteer=true", "features.min_df=1", "model.nb_scaling=true"]
    )
    model, _ = fit_model(records(), config)
    start = model.featurizer.n_features - block.size
    assert "places" not in model.incident.blocks
    assert model.incident.coef.shape[1] == start  # no stored zeros for the place columns
    assert "places" in model.country.blocks
    places = model.country.global_columns(model.featurizer.n_features) >= start
    assert np.any(model.country.coef[:, places])
