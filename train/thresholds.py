"""Per-label decision thresholds tuned on the dev split to maximise F1."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from train.config import ThresholdsConfig


def best_f1_threshold(y_true: np.ndarray, probability: np.ndarray) -> tuple[float, float]:
    """Threshold (midway below the best cut) and F1 of the cut `p >= t` maximising F1."""
    y_true = np.asarray(y_true).astype(bool)
    cuts = np.unique(probability)[::-1]  # descending
    best_f1, best_index = -1.0, 0
    positives = y_true.sum()
    for index, cut in enumerate(cuts):
        predicted = probability >= cut
        tp = np.sum(predicted & y_true)
        f1 = 2.0 * tp / (predicted.sum() + positives) if positives else 0.0
        if f1 > best_f1:
            best_f1, best_index = f1, index
    chosen = float(cuts[best_index])
    below = float(cuts[best_index + 1]) if best_index + 1 < len(cuts) else 0.0
    return (chosen + below) / 2.0, float(best_f1)


def tune_thresholds(
    y_true: np.ndarray, probability: np.ndarray, labels: Sequence[str], cfg: ThresholdsConfig
) -> tuple[np.ndarray, dict[str, dict[str, Any]]]:
    """Best-F1 threshold per label, clipped to [floor, ceiling]; fallback when too few positives."""
    thresholds = np.zeros(len(labels))
    info: dict[str, dict[str, Any]] = {}
    for j, label in enumerate(labels):
        positives = int(y_true[:, j].sum())
        if positives < cfg.min_dev_positives:
            thresholds[j] = cfg.fallback
            info[label] = {"dev_positives": positives, "method": "fallback",
                           "threshold": round(cfg.fallback, 4)}
            continue
        raw, f1 = best_f1_threshold(y_true[:, j], probability[:, j])
        thresholds[j] = round(min(max(raw, cfg.floor), cfg.ceiling), 4)
        info[label] = {"dev_positives": positives, "method": "tuned_f1",
                       "threshold": float(thresholds[j]), "dev_best_f1": round(f1, 4)}
    return thresholds, info
