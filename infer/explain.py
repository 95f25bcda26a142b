"""Exact linear explanations: decision score = intercept + sum of weight x feature value."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from infer.artifact import Head

if TYPE_CHECKING:
    from infer.predictor import Prediction, Predictor


@dataclass(frozen=True)
class Contribution:
    """One feature's push on a decision score (weight x TF-IDF value)."""

    feature: str
    value: float
    weight: float
    contribution: float


@dataclass(frozen=True)
class HeadExplanation:
    """Why one head chose one class: intercept + top contributions + the rest = score."""

    head: str
    label: str
    probability: float
    decision_score: float
    intercept: float
    contributions: tuple[Contribution, ...]
    rest: float
    segment: str | None = None  # the sentence window explained; None = the whole text

    @property
    def total(self) -> float:
        """Sum of the contributions of all features (shown and rest)."""
        return sum(c.contribution for c in self.contributions) + self.rest


@dataclass(frozen=True)
class Explanation:
    """The prediction for a text and the explanation of each of its decisions."""

    prediction: Prediction
    heads: tuple[HeadExplanation, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {"prediction": self.prediction.to_dict(),
                "heads": [asdict(h) for h in self.heads]}


def _explain_class(predictor: Predictor, head_name: str, head: Head, label: str,
                   probability: float, row: Any, top: int) -> HeadExplanation:
    """Decompose one class's linear score over the non-zero features of one row."""
    k = head.classes.index(label)
    weights = np.asarray(head.coef[k, row.indices], dtype=np.float64)
    parts = weights * row.data
    decision = float((row @ head.coef[k]).item() + head.intercept[k])
    order = np.argsort(-np.abs(parts), kind="stable")[:top]
    shown = tuple(
        Contribution(predictor.model.featurizer.feature_name(int(row.indices[i])),
                     float(row.data[i]), float(weights[i]), float(parts[i]))
        for i in order
    )
    rest = float(parts.sum() - parts[order].sum())
    return HeadExplanation(head_name, label, probability, decision,
                           float(head.intercept[k]), shown, rest)


def _incident_segments(predictor: Predictor, text: str, row: Any
                       ) -> dict[str, tuple[Any, str | None]]:
    """Per label, the row and window that produced its pooled probability (max pooling)."""
    from infer.predictor import decision_scores, sentence_windows

    model = predictor.model
    whole = decision_scores(model.incident, row)[0]
    best = {label: (row, None, whole[k]) for k, label in enumerate(model.incident.classes)}
    if model.window_sentences > 0 and len(text.split()) >= model.window_min_words:
        windows = sentence_windows(text, model.window_sentences)
        if windows:
            matrix = model.featurizer.transform(windows)
            scores = decision_scores(model.incident, matrix)
            for k, label in enumerate(model.incident.classes):
                w = int(np.argmax(scores[:, k]))
                if scores[w, k] > best[label][2]:
                    best[label] = (matrix.getrow(w), windows[w], scores[w, k])
    return {label: (segment_row, window) for label, (segment_row, window, _) in best.items()}


def explain_text(predictor: Predictor, text: str, top: int = 10) -> Explanation:
    """Explain each assigned label, the region and the country of one text.

    With sentence-window pooling, an incident label is explained on the segment (whole
    text or window) whose score was reported, so the decomposition matches its probability.
    """
    model = predictor.model
    matrix = model.featurizer.transform([text])
    prediction = predictor._predict_matrix(matrix, None, [text])[0]
    row = matrix.getrow(0)
    segments = _incident_segments(predictor, text, row)
    heads = []
    for label, p in prediction.incident_types.items():
        segment_row, window = segments[label]
        item = _explain_class(predictor, "incident", model.incident, label, p, segment_row, top)
        heads.append(dataclasses.replace(item, segment=window))
    if prediction.region is not None and prediction.region in model.region.classes:
        probability = prediction.region_probability
        heads.append(_explain_class(predictor, "region", model.region, prediction.region,
                                    probability, row, top))
    if prediction.country is not None:
        heads.append(_explain_class(predictor, "country", model.country, prediction.country,
                                    prediction.country_probability, row, top))
    return Explanation(prediction, tuple(heads))
