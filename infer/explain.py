"""Exact linear explanations: decision score = intercept + sum of weight x feature value."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from infer import csr
from infer.artifact import Head
from infer.csr import Rows
from infer.feature_words import FeatureWords
from infer.scoring import Prediction, Scorer


@dataclass(frozen=True)
class Contribution:
    """One feature's push on a decision score: weight x value. Char n-grams are grouped under
    the word they came from ("char:ambush", `ngrams` of them; weight = contribution / value),
    and a place feature names the words that matched ("places:Makhmour -> IQ", `words`)."""

    feature: str
    value: float
    weight: float
    contribution: float
    words: tuple[str, ...] = ()
    ngrams: int = 1


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
    # With an attack gate: P(attack) on the same segment, so that probability ==
    # sigmoid(decision_score) * gate_probability (the gate's own item decomposes it).
    gate_probability: float | None = None
    # Set on armed_assault when its reported probability is P(ambush) (an ambush is an armed
    # assault); that label's own item follows and explains the probability.
    implied_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (lists, not tuples)."""
        return {
            **asdict(self),
            "contributions": [{**asdict(c), "words": list(c.words)} for c in self.contributions],
        }

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
        return {"prediction": self.prediction.to_dict(), "heads": [h.to_dict() for h in self.heads]}


def _explain_class(
    words: FeatureWords,
    head_name: str,
    head: Head,
    label: str,
    probability: float,
    row: Rows,
    top: int,
) -> HeadExplanation:
    """Decompose one class's linear score over the non-zero features of one row, grouped
    into readable contributions (`FeatureWords`): the top ones, and the rest as one sum."""
    k = head.classes.index(label)
    every = head.class_weights(k, row.shape[1])  # 0 where the head reads no column
    read = np.isin(row.indices, head.global_columns(row.shape[1]))
    indices, values = row.indices[read], row.data[read]
    parts = every[indices] * values
    decision = _dot(row, every) + float(head.intercept[k])
    groups: dict[tuple[str, ...], list[Any]] = {}  # key -> [name, words, value, part, n]
    for column, value, part in zip(indices.tolist(), values.tolist(), parts.tolist(), strict=True):
        for share in words.shares(column):
            group = groups.setdefault(share.key, [share.name, share.words, 0.0, 0.0, 0])
            group[2] += value * share.fraction
            group[3] += part * share.fraction
            group[4] += 1
    order = sorted(groups.values(), key=lambda g: -abs(g[3]))[:top]  # stable: ties keep order
    shown = tuple(
        Contribution(name, value, part / value if value else 0.0, part, found, n)
        for name, found, value, part, n in order
    )
    rest = float(parts.sum() - sum(c.contribution for c in shown))
    return HeadExplanation(
        head_name, label, probability, decision, float(head.intercept[k]), shown, rest
    )


def _dot(row: Rows, weights: np.ndarray) -> float:
    """The one-row matrix times a dense vector, its terms added in the row's order from 0.0
    (as scipy's `row @ weights`)."""
    total = 0.0
    for value, weight in zip(
        row.data[: row.nnz].tolist(), weights[row.indices[: row.nnz]].tolist(), strict=True
    ):
        total += value * weight
    return total


def _incident_segments(
    scorer: Scorer, text: str, row: Rows
) -> dict[str, tuple[Rows, str | None, float]]:
    """Per label, the row, window and probability of the segment that produced its pooled
    probability (max pooling of P(attack) * P(label | attack); P(label) without a gate)."""
    model = scorer.model
    stacked, windows = row, [None]
    found = scorer.windows(text)
    if found:
        stacked = csr.vstack([row, model.featurizer.rows(found)])
        windows += found
    probability = scorer.segment_probabilities(stacked)
    best = np.argmax(probability, axis=0)  # first segment (the whole text) wins ties
    return {
        label: (stacked.row(int(best[k])), windows[best[k]], float(probability[best[k], k]))
        for k, label in enumerate(model.incident.classes)
    }


def _gate_item(
    scorer: Scorer, words: FeatureWords, segment_row: Rows, window: str | None, top: int
) -> HeadExplanation:
    """The attack gate's decomposition on one segment."""
    gate = scorer.model.gate
    probability = scorer.gate_probability(segment_row)
    assert gate is not None and probability is not None
    item = _explain_class(
        words, "gate", gate, gate.classes[0], float(probability[0]), segment_row, top
    )
    return dataclasses.replace(item, segment=window)


def explain_text(scorer: Scorer, text: str, top: int = 10) -> Explanation:
    """Explain each assigned label, the region and the country of one text.

    With sentence-window pooling, an incident label is explained on the segment (whole
    text or window) whose probability was reported, so the decomposition matches it. With an
    attack gate, each segment's gate head is explained too (head "gate", label "attack").
    A label whose probability the implication rule raised (armed_assault from ambush) says
    so (`implied_by`), and the implying label's own item follows it.
    """
    model = scorer.model
    matrix = model.featurizer.rows([text])
    prediction = scorer.predictions(matrix, [text])[0]
    row = matrix.row(0)
    segments = _incident_segments(scorer, text, row)
    implied = scorer.implied_by({label: own for label, (_, _, own) in segments.items()})
    labels = list(prediction.incident_types)
    for label in list(labels):
        source = implied.get(label)
        if source is not None and source not in labels:
            labels.insert(labels.index(label) + 1, source)
    heads: list[HeadExplanation] = []
    gates: set[str | None] = set()
    whole = FeatureWords(model.featurizer, text)
    for label in labels:
        segment_row, window, own = segments[label]
        words = whole if window is None else FeatureWords(model.featurizer, window)
        p = prediction.incident_types.get(label, own)
        item = _explain_class(words, "incident", model.incident, label, p, segment_row, top)
        gate = None if model.gate is None else _gate_item(scorer, words, segment_row, window, top)
        heads.append(
            dataclasses.replace(
                item,
                segment=window,
                implied_by=implied.get(label),
                gate_probability=None if gate is None else gate.probability,
            )
        )
        # one gate item per segment; none for a constant gate (a corpus without negatives)
        if gate is not None and window not in gates and np.isfinite(gate.decision_score):
            gates.add(window)
            heads.append(gate)
    if prediction.region is not None and prediction.region in model.region.classes:
        probability = prediction.region_probability
        heads.append(
            _explain_class(whole, "region", model.region, prediction.region, probability, row, top)
        )
    # a country named by the places alone may be one the country head never learnt
    if prediction.country is not None and prediction.country in model.country.classes:
        heads.append(
            _explain_class(
                whole,
                "country",
                model.country,
                prediction.country,
                prediction.country_probability,
                row,
                top,
            )
        )
    return Explanation(prediction, tuple(heads))
