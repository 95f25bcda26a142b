"""Evaluation metrics: incident-type F1s, region/country accuracy, calibration (ECE).

Each record is scored on the incident types its source annotates (train/sources: SATP names 3
of our 7), and a figure measured on nothing (n = 0) is None (null in JSON), never 0.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

DIGITS = 4


def _round(value: float | None) -> float | None:
    """Round for stable JSON output (None stays None)."""
    return None if value is None else round(float(value), DIGITS)


def _ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, None when the denominator is 0."""
    return _round(numerator / denominator) if denominator else None


def _binarize(label_sets: Sequence[Iterable[str]], labels: Sequence[str]) -> np.ndarray:
    """Rows of 0/1 over `labels` (labels outside the list are ignored)."""
    position = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(label_sets), len(labels)), dtype=np.int8)
    for row, label_set in enumerate(label_sets):
        for label in label_set:
            if label in position:
                matrix[row, position[label]] = 1
    return matrix


def samples_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float | None:
    """Mean per-record F1; a record with no true and no predicted label scores 1."""
    overlap = (y_true & y_pred).sum(axis=1)
    sizes = y_true.sum(axis=1) + y_pred.sum(axis=1)
    per_record = np.where(sizes == 0, 1.0, 2.0 * overlap / np.maximum(sizes, 1))
    return float(per_record.mean()) if len(per_record) else None


def incident_metrics(
    y_true: Sequence[Iterable[str]],
    y_pred: Sequence[Iterable[str]],
    labels: Sequence[str],
    annotated: np.ndarray | None = None,
    negatives: np.ndarray | None = None,
) -> dict[str, Any]:
    """Micro/macro/samples F1, false-tag rate and per-label scores for multi-label tags.

    `annotated[r, j]` says whether record r's source annotates label j (default: all); a pair
    it does not annotate counts nowhere. `negatives[r]` says whether record r, having no
    label, is a non-attack report (default: every unlabelled record): the false-tag rate is
    the share of those given any tag. Macro-F1 averages the labels with an F1 (some annotated
    record has it, or is given it); per_label lists every label, with None where n = 0.
    """
    truth = _binarize(y_true, labels)
    guess = _binarize(y_pred, labels)
    if annotated is None:
        annotated = np.ones(truth.shape, dtype=bool)
    truth, guess = truth & annotated, guess & annotated
    tp = (truth & guess).sum(axis=0)
    fp = guess.sum(axis=0) - tp
    fn = truth.sum(axis=0) - tp
    per_label, f1s = {}, []
    for j, label in enumerate(labels):
        f1 = _ratio(2 * tp[j], 2 * tp[j] + fp[j] + fn[j])
        per_label[label] = {
            "precision": _ratio(tp[j], tp[j] + fp[j]),
            "recall": _ratio(tp[j], tp[j] + fn[j]),
            "f1": f1,
            "support": int(tp[j] + fn[j]),
            "annotated_records": int(annotated[:, j].sum()),
        }
        if f1 is not None:
            f1s.append(2 * tp[j] / (2 * tp[j] + fp[j] + fn[j]))
    untagged = truth.sum(axis=1) == 0
    if negatives is not None:
        untagged &= negatives
    everything = _binarize(y_pred, labels)  # a tag on a non-attack report is false, any label
    return {
        "micro_f1": _ratio(2 * tp.sum(), 2 * tp.sum() + fp.sum() + fn.sum()),
        "macro_f1": _round(float(np.mean(f1s))) if f1s else None,
        "samples_f1": _round(samples_f1(truth, guess)),
        "false_tag_rate": _ratio((everything[untagged].sum(axis=1) > 0).sum(), untagged.sum()),
        "non_attack_records": int(untagged.sum()),
        "per_label": per_label,
    }


def _field(prediction: Any, name: str) -> Any:
    """Read a field from a Prediction object or its to_dict() form."""
    if isinstance(prediction, Mapping):
        return prediction.get(name)
    return getattr(prediction, name)


def annotation_masks(
    records: Sequence[Mapping[str, Any]], labels: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(records x labels) whether each record's source annotates each label, and per record
    whether no label means a non-attack report (from the source's declaration)."""
    from train.sources import annotation_of

    annotated = np.zeros((len(records), len(labels)), dtype=bool)
    negatives = np.zeros(len(records), dtype=bool)
    for row, record in enumerate(records):
        annotation = annotation_of(record.get("source"))
        annotated[row] = [label in annotation.incident_types for label in labels]
        negatives[row] = annotation.negatives
    return annotated, negatives


def evaluate_predictions(
    records: Sequence[Mapping[str, Any]],
    predictions: Sequence[Any],
    labels: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Score predictions against canonical records (region/country skip null truths; incident
    types only where the record's source annotates them).

    Region macro-F1 averages over every region in the truth or the predictions.
    """
    if len(records) != len(predictions):
        raise ValueError(f"{len(records)} records but {len(predictions)} predictions")
    if labels is None:
        from infer.taxonomy import INCIDENT_TYPES

        labels = INCIDENT_TYPES
    truth = [record["incident_types"] for record in records]
    guess = [list(_field(p, "incident_types") or ()) for p in predictions]
    annotated, negatives = annotation_masks(records, labels)
    result: dict[str, Any] = {
        "n": len(records),
        "incident_types": incident_metrics(truth, guess, labels, annotated, negatives),
    }
    for key in ("region", "country"):
        pairs = [
            (r[key], _field(p, key))
            for r, p in zip(records, predictions, strict=True)
            if r.get(key) is not None
        ]
        true_values = [t for t, _ in pairs]
        guessed = [g if g is not None else "<none>" for _, g in pairs]
        scores: dict[str, Any] = {
            "accuracy": _round(accuracy_score(true_values, guessed)) if pairs else None,
            "n": len(pairs),
        }
        if key == "region":
            scores["macro_f1"] = (
                _round(
                    f1_score(
                        true_values,
                        guessed,
                        average="macro",
                        zero_division=0,
                        labels=sorted((set(true_values) | set(guessed)) - {"<none>"}),
                    )
                )
                if pairs
                else None
            )
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
        table.append(
            {
                "low": _round(b / bins),
                "high": _round((b + 1) / bins),
                "count": count,
                "confidence": _round(probability[mask].mean()) if count else 0.0,
                "frequency": _round(y_true[mask].mean()) if count else 0.0,
            }
        )
    return table


def expected_calibration_error(
    y_true: np.ndarray, probability: np.ndarray, bins: int = 10
) -> float | None:
    """ECE: bin-size-weighted mean |confidence - observed frequency| over equal-width bins
    (None for no pairs)."""
    y_true = np.asarray(y_true, dtype=float).ravel()
    probability = np.asarray(probability, dtype=float).ravel()
    if len(y_true) == 0:
        return None
    which = np.minimum((probability * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(probability[mask].mean() - y_true[mask].mean())
    return _round(total / len(y_true))


def calibration_report(
    y_true: np.ndarray,
    probability: np.ndarray,
    labels: Sequence[str],
    bins: int = 10,
    annotated: np.ndarray | None = None,
) -> dict[str, Any]:
    """ECE per label and pooled over the (record, label) pairs, plus the pooled reliability;
    with `annotated`, only the pairs whose source annotates the label."""
    y_true, probability = np.asarray(y_true), np.asarray(probability)
    if annotated is None:
        annotated = np.ones(y_true.shape, dtype=bool)
    return {
        "bins": bins,
        "overall_ece": expected_calibration_error(y_true[annotated], probability[annotated], bins),
        "per_label_ece": {
            label: expected_calibration_error(
                y_true[annotated[:, i], i], probability[annotated[:, i], i], bins
            )
            for i, label in enumerate(labels)
        },
        "reliability": reliability(y_true[annotated], probability[annotated], bins),
    }
