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


def limit_false_tags(
    y_true: np.ndarray,
    probability: np.ndarray,
    thresholds: np.ndarray,
    negatives: np.ndarray,
    limit: float,
) -> np.ndarray:
    """Raise thresholds until at most `limit` of the negative rows get any tag: each step
    lifts one label just over its lowest-scored tagged negative, choosing the step that
    loses the fewest true tags per false tag removed (then the smallest lift)."""
    y_true = np.asarray(y_true).astype(bool)
    t = np.asarray(thresholds, dtype=float).copy()
    allowed = limit * int(negatives.sum())
    while True:
        tagged = (probability >= t) & (probability > 0.0)
        if tagged[negatives].any(axis=1).sum() <= allowed:
            return t
        best: tuple[float, float, int, float] | None = None
        for j in range(len(t)):
            false = probability[negatives & tagged[:, j], j]
            if not len(false):
                continue
            cut = false.min()
            above = probability[:, j][probability[:, j] > cut]
            new = (cut + above.min()) / 2.0 if len(above) else np.nextafter(cut, np.inf)
            lost = np.sum(tagged[:, j] & y_true[:, j] & (probability[:, j] < new))
            removed = np.sum(negatives & tagged[:, j] & (probability[:, j] < new))
            candidate = (lost / removed, new - t[j], j, float(new))
            best = candidate if best is None or candidate[:2] < best[:2] else best
        if best is None:  # no tag left to remove (only zero probabilities remain)
            return t
        t[best[2]] = best[3]


def tune_thresholds(
    y_true: np.ndarray,
    probability: np.ndarray,
    labels: Sequence[str],
    cfg: ThresholdsConfig,
    negatives: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, dict[str, Any]]]:
    """Best-F1 threshold per label, clipped to [floor, ceiling]; fallback when too few positives.

    With cfg.max_false_tag_share < 1, thresholds are then raised (past the ceiling if need be)
    until at most that share of the `negatives` rows (default: rows without a label) get a tag.
    """
    thresholds = np.zeros(len(labels))
    info: dict[str, dict[str, Any]] = {}
    for j, label in enumerate(labels):
        positives = int(y_true[:, j].sum())
        if positives < cfg.min_dev_positives:
            thresholds[j] = cfg.fallback
            info[label] = {
                "dev_positives": positives,
                "method": "fallback",
                "threshold": round(cfg.fallback, 4),
            }
            continue
        raw, f1 = best_f1_threshold(y_true[:, j], probability[:, j])
        thresholds[j] = round(min(max(raw, cfg.floor), cfg.ceiling), 4)
        info[label] = {
            "dev_positives": positives,
            "method": "tuned_f1",
            "threshold": float(thresholds[j]),
            "dev_best_f1": round(f1, 4),
        }
    if cfg.max_false_tag_share < 1.0:
        if negatives is None:
            negatives = ~np.asarray(y_true).astype(bool).any(axis=1)
        limited = limit_false_tags(
            y_true, probability, thresholds, negatives, cfg.max_false_tag_share
        )
        for j, label in enumerate(labels):
            if limited[j] > thresholds[j]:
                info[label].update(
                    {
                        "threshold": float(limited[j]),
                        "raised_from": float(thresholds[j]),
                        "why": f"max_false_tag_share {cfg.max_false_tag_share}",
                    }
                )
        thresholds = limited
    return thresholds, info
