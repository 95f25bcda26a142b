"""The estimator choice of the incident and gate heads (model.estimator)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

from train.config import ConfigError, ModelConfig, load_config
from train.heads import CALIBRATION_FOLDS, fit_gate_head, fit_incident_heads


def _data(seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    """A sparse, learnable two-label problem."""
    rng = np.random.default_rng(seed)
    dense = rng.random((200, 30)) * (rng.random((200, 30)) < 0.3)
    y = np.stack([dense[:, 0] + dense[:, 1] > 0.4, dense[:, 2] > 0.5], axis=1).astype(np.int64)
    return sp.csr_matrix(dense), y


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic link the runtime applies."""
    return 1.0 / (1.0 + np.exp(-z))


def test_folded_calibrated_svc_head_reproduces_calibrated_classifier_probabilities() -> None:
    matrix, y = _data()
    cfg = ModelConfig(estimator="svc", C=1.0, class_weight="balanced")
    head, _ = fit_incident_heads(matrix, y, ("a", "b"), cfg)
    for j in range(2):
        reference = CalibratedClassifierCV(
            LinearSVC(C=1.0, class_weight="balanced", max_iter=cfg.max_iter),
            method="sigmoid",
            cv=CALIBRATION_FOLDS,
            ensemble=False,
        ).fit(matrix, y[:, j])
        expected = reference.predict_proba(matrix)[:, 1]
        folded = _sigmoid(matrix @ head.coef[j] + head.intercept[j])
        np.testing.assert_allclose(folded, expected, atol=1e-6)


def test_svc_head_folds_nb_scaling_into_its_weights() -> None:
    matrix, y = _data(1)
    cfg = ModelConfig(estimator="svc", nb_scaling=True)
    head, _ = fit_incident_heads(matrix, y, ("a", "b"), cfg)
    plain, _ = fit_incident_heads(matrix, y, ("a", "b"), dataclasses.replace(cfg, nb_scaling=False))
    assert not np.allclose(head.coef, plain.coef)
    probability = _sigmoid(matrix @ head.coef[0] + head.intercept[0])
    assert probability[y[:, 0] == 1].mean() > probability[y[:, 0] == 0].mean() + 0.2


@pytest.mark.parametrize("estimator", ["sgd", "svc"])
def test_other_estimators_separate_classes_and_honour_class_weight(estimator: str) -> None:
    matrix, y = _data(2)
    balanced = ModelConfig(estimator=estimator, class_weight="balanced")
    head, _ = fit_incident_heads(matrix, y, ("a", "b"), balanced)
    unweighted, _ = fit_incident_heads(
        matrix, y, ("a", "b"), dataclasses.replace(balanced, class_weight="none")
    )
    assert not np.allclose(head.coef, unweighted.coef)
    for j in range(2):
        p = _sigmoid(matrix @ head.coef[j] + head.intercept[j])
        assert p[y[:, j] == 1].mean() > p[y[:, j] == 0].mean() + 0.2


def test_gate_head_uses_the_configured_estimator() -> None:
    matrix, y = _data(3)
    logistic = fit_gate_head(matrix, y, ModelConfig())
    svc = fit_gate_head(matrix, y, ModelConfig(estimator="svc"))
    assert logistic.classes == svc.classes
    assert not np.allclose(logistic.coef, svc.coef)


def test_unknown_estimator_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"model\.estimator"):
        load_config(overrides=['model.estimator="xgboost"'])


def test_estimator_defaults_to_logistic() -> None:
    assert load_config().model.estimator == "logistic"
