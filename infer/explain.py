"""Exact linear explanations: decision score = intercept + sum of weight x feature value."""

from __future__ import annotations

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


def explain_text(predictor: Predictor, text: str, top: int = 10) -> Explanation:
    """Explain each assigned label, the region and the country of one text."""
    model = predictor.model
    matrix = model.featurizer.transform([text])
    prediction = predictor._predict_matrix(matrix, None, [text])[0]
    row = matrix.getrow(0)
    heads = [
        _explain_class(predictor, "incident", model.incident, label, p, row, top)
        for label, p in prediction.incident_types.items()
    ]
    if prediction.region is not None and prediction.region in model.region.classes:
        probability = prediction.region_probability
        heads.append(_explain_class(predictor, "region", model.region, prediction.region,
                                    probability, row, top))
    if prediction.country is not None:
        heads.append(_explain_class(predictor, "country", model.country, prediction.country,
                                    prediction.country_probability, row, top))
    return Explanation(prediction, tuple(heads))
