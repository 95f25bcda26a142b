"""Evaluation metrics: incident-type F1s, region/country accuracy, calibration (ECE)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

DIGITS = 4


def _round(value: float) -> float:
    """Round for stable JSON output."""
    return round(float(value), DIGITS)


def _binarize(label_sets: Sequence[Iterable[str]], labels: Sequence[str]) -> np.ndarray:
    """Rows of 0/1 over `labels` (labels outside the list are ignored)."""
    position = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(label_sets), len(labels)), dtype=np.int8)
    for row, label_set in enumerate(label_sets):
        for label in label_set:
            if label in position:
                matrix[row, position[label]] = 1
    return matrix


def samples_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean per-record F1; a record with no true and no predicted label scores 1."""
    overlap = (y_true & y_pred).sum(axis=1)
    sizes = y_true.sum(axis=1) + y_pred.sum(axis=1)
    per_record = np.where(sizes == 0, 1.0, 2.0 * overlap / np.maximum(sizes, 1))
    return float(per_record.mean()) if len(per_record) else 0.0


def incident_metrics(
    y_true: Sequence[Iterable[str]], y_pred: Sequence[Iterable[str]], labels: Sequence[str]
) -> dict[str, Any]:
    """Micro/macro/samples F1, false-tag rate and per-label scores for multi-label tags.

    Macro-F1 averages only the labels present in the truth or the predictions (a label
    neither true nor predicted anywhere, e.g. hijacking on SATP, is left out, not scored 0);
    per_label still lists every label.
    """
    truth = _binarize(y_true, labels)
    guess = _binarize(y_pred, labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, guess, labels=list(range(len(labels))), average=None, zero_division=0
    )
    present = np.flatnonzero(truth.any(axis=0) | guess.any(axis=0)).tolist()
    macro = f1_score(truth, guess, labels=present, average="macro",
                     zero_division=0) if present else 0.0
    untagged = truth.sum(axis=1) == 0
    false_tags = (guess[untagged].sum(axis=1) > 0).mean() if untagged.any() else 0.0
    return {
        "micro_f1": _round(f1_score(truth, guess, average="micro", zero_division=0)),
        "macro_f1": _round(macro),
        "samples_f1": _round(samples_f1(truth, guess)),
        "false_tag_rate": _round(false_tags),
        "per_label": {
            label: {
                "precision": _round(precision[i]),
                "recall": _round(recall[i]),
                "f1": _round(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
    }


def _field(prediction: Any, name: str) -> Any:
    """Read a field from a Prediction object or its to_dict() form."""
    if isinstance(prediction, Mapping):
        return prediction.get(name)
    return getattr(prediction, name)


def evaluate_predictions(
    records: Sequence[Mapping[str, Any]],
    predictions: Sequence[Any],
    labels: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Score predictions against canonical records (region/country skip null truths).

    Region macro-F1 averages over every region in the truth or the predictions.
    """
    if len(records) != len(predictions):
        raise ValueError(f"{len(records)} records but {len(predictions)} predictions")
    if labels is None:
        from infer.taxonomy import INCIDENT_TYPES

        labels = INCIDENT_TYPES
    truth = [record["incident_types"] for record in records]
    guess = [list(_field(p, "incident_types") or ()) for p in predictions]
    result: dict[str, Any] = {"n": len(records),
                              "incident_types": incident_metrics(truth, guess, labels)}
    for key in ("region", "country"):
        pairs = [(r[key], _field(p, key)) for r, p in zip(records, predictions, strict=True)
                 if r.get(key) is not None]
        true_values = [t for t, _ in pairs]
        guessed = [g if g is not None else "<none>" for _, g in pairs]
        scores: dict[str, Any] = {
            "accuracy": _round(accuracy_score(true_values, guessed)) if pairs else 0.0,
            "n": len(pairs),
        }
        if key == "region":
            scores["macro_f1"] = _round(
                f1_score(true_values, guessed, average="macro", zero_division=0,
                         labels=sorted((set(true_values) | set(guessed)) - {"<none>"}))
            ) if pairs else 0.0
        result[key] = scores
    return result


def reliability(
    y_true: np.ndarray, probability: np.ndarray, bins: int = 10
) -> list[dict[str, float]]:
    """Per-bin count, mean confidence and observed frequency (equal-width bins on [0, 1])."""
    y_true = np.asarray(y_true, dtype=float).ravel()
    probability = np.asarray(probability, dtype=float).ravel()
    which = np.minimum((probability * bins).astype(int), bins - 1)
    table = []
    for b in range(bins):
        mask = which == b
        count = int(mask.sum())
        table.append({
            "low": _round(b / bins),
            "high": _round((b + 1) / bins),
            "count": count,
            "confidence": _round(probability[mask].mean()) if count else 0.0,
            "frequency": _round(y_true[mask].mean()) if count else 0.0,
        })
    return table


def expected_calibration_error(y_true: np.ndarray, probability: np.ndarray,
                               bins: int = 10) -> float:
    """ECE: bin-size-weighted mean |confidence - observed frequency| over equal-width bins."""
    y_true = np.asarray(y_true, dtype=float).ravel()
    probability = np.asarray(probability, dtype=float).ravel()
    if len(y_true) == 0:
        return 0.0
    which = np.minimum((probability * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(probability[mask].mean() - y_true[mask].mean())
    return _round(total / len(y_true))


def calibration_report(
    y_true: np.ndarray, probability: np.ndarray, labels: Sequence[str], bins: int = 10
) -> dict[str, Any]:
    """ECE per label and pooled over all (record, label) pairs, plus the pooled reliability."""
    return {
        "bins": bins,
        "overall_ece": expected_calibration_error(y_true, probability, bins),
        "per_label_ece": {
            label: expected_calibration_error(y_true[:, i], probability[:, i], bins)
            for i, label in enumerate(labels)
        },
        "reliability": reliability(y_true, probability, bins),
    }
