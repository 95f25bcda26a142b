"""Incident-type metrics: which labels macro-F1 averages over."""

from __future__ import annotations

from infer.taxonomy import INCIDENT_TYPES
from train.metrics import incident_metrics


def test_macro_f1_leaves_out_labels_absent_from_truth_and_predictions():
    # bombing F1 1.0, kidnap F1 0.0; the other five labels never occur -> mean of two, not seven
    metrics = incident_metrics([["bombing"], ["kidnap"]], [["bombing"], []], INCIDENT_TYPES)
    assert metrics["macro_f1"] == 0.5
    assert set(metrics["per_label"]) == set(INCIDENT_TYPES)
    assert metrics["per_label"]["hijacking"] == {
        "precision": None,
        "recall": None,
        "f1": None,
        "support": 0,
        "annotated_records": 2,
    }


def test_macro_f1_counts_a_label_that_is_only_predicted():
    # hijacking is never true but is predicted once: it stays in the average with F1 0
    metrics = incident_metrics([["bombing"], []], [["bombing"], ["hijacking"]], INCIDENT_TYPES)
    assert metrics["macro_f1"] == 0.5


def test_macro_f1_counts_a_label_that_is_only_true():
    metrics = incident_metrics(
        [["bombing"], ["kidnap"]], [["bombing"], ["bombing"]], INCIDENT_TYPES
    )
    # bombing: P 0.5, R 1.0 -> F1 2/3; kidnap: F1 0 -> macro 1/3
    assert metrics["macro_f1"] == 0.3333


def test_f1s_measured_on_nothing_are_none_not_zero_or_nan():
    metrics = incident_metrics([[], []], [[], []], INCIDENT_TYPES)
    assert metrics["macro_f1"] is None
    assert metrics["micro_f1"] is None
    assert metrics["samples_f1"] == 1.0
    assert metrics["false_tag_rate"] == 0.0  # two non-attack reports, neither tagged
    assert incident_metrics([["kidnap"]], [["kidnap"]], INCIDENT_TYPES)["false_tag_rate"] is None
