"""Score a trained model on labelled records: metrics, calibration and the worst errors."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from infer.batch import DIGITS
from infer.predictor import Prediction, Predictor
from train.metrics import annotation_masks, calibration_report, evaluate_predictions

WORST_ERRORS = 25
EXCERPT_CHARS = 320
TOP_NGRAMS = 8
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Evaluation:
    """One corpus scored by one model: the metrics plus what the report needs."""

    labels: tuple[str, ...]
    records: list[dict[str, Any]]
    predictions: list[Prediction]
    truth: np.ndarray
    scores: np.ndarray
    metrics: dict[str, Any]
    annotated: np.ndarray  # (records x labels): does the record's source annotate the label

    @property
    def calibration(self) -> dict[str, Any]:
        """ECE per label and overall, and the pooled reliability table (annotated pairs)."""
        return calibration_report(self.truth, self.scores, self.labels, annotated=self.annotated)


def evaluate_records(predictor: Predictor, records: Sequence[Mapping[str, Any]]) -> Evaluation:
    """Predict every record's text and score the predictions against its labels."""
    records = [dict(r) for r in records]
    labels = tuple(predictor.labels)
    predictions = predictor.predict(r["text"] for r in records)
    truth = np.zeros((len(records), len(labels)), dtype=np.int8)
    position = {label: i for i, label in enumerate(labels)}
    for row, record in enumerate(records):
        for label in record["incident_types"]:
            if label in position:
                truth[row, position[label]] = 1
    scores = np.array(
        [[p.probabilities[label] for label in labels] for p in predictions], dtype=np.float64
    ).reshape(len(records), len(labels))
    metrics = evaluate_predictions(records, predictions, labels)
    annotated, _ = annotation_masks(records, labels)
    return Evaluation(labels, records, predictions, truth, scores, metrics, annotated)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a text on one line, cut at a word boundary."""
    flat = _SPACES.sub(" ", text).strip()
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + " …"


def record_mistakes(
    record: Mapping[str, Any], prediction: Prediction, labels: Sequence[str]
) -> list[dict[str, Any]]:
    """Every wrong decision on one record with its probability gap to the truth (incident
    types its source does not annotate are not judged)."""
    from train.sources import annotation_of

    truth = set(record["incident_types"])
    annotated = annotation_of(record.get("source")).incident_types
    mistakes = []
    for label in labels:
        if label not in annotated:
            continue
        score = prediction.probabilities[label]
        if label in truth and label not in prediction.incident_types:
            mistakes.append(
                {
                    "field": "incident_types",
                    "kind": "missed",
                    "label": label,
                    "probability": round(score, 4),
                    "gap": round(1.0 - score, 4),
                }
            )
        elif label not in truth and label in prediction.incident_types:
            mistakes.append(
                {
                    "field": "incident_types",
                    "kind": "false_tag",
                    "label": label,
                    "probability": round(score, 4),
                    "gap": round(score, 4),
                }
            )
    for key in ("region", "country"):
        expected, guessed = record.get(key), getattr(prediction, key)
        if expected is not None and guessed != expected:
            probability = getattr(prediction, f"{key}_probability") if guessed else 0.0
            mistakes.append(
                {
                    "field": key,
                    "kind": "wrong" if guessed else "missed",
                    "label": guessed,
                    "expected": expected,
                    "probability": round(probability, 4),
                    "gap": round(probability if guessed else 1.0, 4),
                }
            )
    return mistakes


def _drivers(predictor: Predictor, text: str, top: int) -> list[dict[str, Any]]:
    """The n-grams behind each decision of the model on a text (from predictor.explain)."""
    explanation = predictor.explain(text, top=top)
    return [
        {
            "head": head.head,
            "label": head.label,
            "probability": round(head.probability, 4),
            "ngrams": [
                {"feature": c.feature, "contribution": round(c.contribution, 4)}
                for c in head.contributions
            ],
        }
        for head in explanation.heads
    ]


def worst_errors(
    predictor: Predictor, evaluation: Evaluation, n: int = WORST_ERRORS, top: int = TOP_NGRAMS
) -> list[dict[str, Any]]:
    """The n records with the largest probability gap between truth and prediction."""
    candidates = []
    for index, (record, prediction) in enumerate(
        zip(evaluation.records, evaluation.predictions, strict=True)
    ):
        mistakes = record_mistakes(record, prediction, evaluation.labels)
        if mistakes:
            candidates.append((max(m["gap"] for m in mistakes), index, mistakes))
    candidates.sort(key=lambda item: (-item[0], item[1]))
    errors = []
    for rank, (gap, index, mistakes) in enumerate(candidates[:n], start=1):
        record, prediction = evaluation.records[index], evaluation.predictions[index]
        errors.append(
            {
                "rank": rank,
                "id": record.get("id"),
                "source": record.get("source"),
                "gap": gap,
                "excerpt": excerpt(record["text"]),
                "truth": {key: record.get(key) for key in ("incident_types", "region", "country")},
                # the output schema's `prediction`, as `score` rounds it
                "predicted": prediction.to_dict(DIGITS),
                "mistakes": mistakes,
                "drivers": _drivers(predictor, record["text"], top),
            }
        )
    return errors


def _describe(mistake: Mapping[str, Any]) -> str:
    """One mistake in words."""
    if mistake["field"] == "incident_types":
        verb = "missed" if mistake["kind"] == "missed" else "false tag"
        return f"{verb} `{mistake['label']}` (p={mistake['probability']:.2f})"
    if mistake["kind"] == "missed":
        return f"{mistake['field']} not given (truth `{mistake['expected']}`)"
    return (
        f"{mistake['field']} `{mistake['label']}` (p={mistake['probability']:.2f}), "
        f"truth `{mistake['expected']}`"
    )


def _format_tags(tags: Mapping[str, float] | Sequence[str]) -> str:
    """Tags as `a` (0.91), `b` (0.55) or `none`."""
    if not tags:
        return "none"
    if isinstance(tags, Mapping):
        return ", ".join(f"`{label}` ({p:.2f})" for label, p in tags.items())
    return ", ".join(f"`{label}`" for label in tags)


def _geo(value: str | None, probability: float) -> str:
    """A predicted region/country with its probability ("-" when the model abstained)."""
    return f"{value} ({probability:.2f})" if value else f"- (best {probability:.2f})"


def errors_markdown(errors: Sequence[Mapping[str, Any]], title: str) -> str:
    """errors.md: each error with excerpt, truth, prediction and the n-grams behind it."""
    lines = [
        f"# Worst errors: {title}",
        "",
        f"The {len(errors)} records with the largest gap between the true label and the "
        "predicted probability (1 - p for a missed label, p for a false tag or a wrong "
        "country/region). Drivers are the n-grams with the largest contribution "
        "(weight x TF-IDF value) to each decision the model made.",
        "",
    ]
    for error in errors:
        truth, guess = error["truth"], error["predicted"]
        lines += [
            f"## {error['rank']}. `{error['id']}` ({error['source']}), gap {error['gap']:.2f}",
            "",
            f"> {error['excerpt']}",
            "",
            f"- truth: {_format_tags(truth['incident_types'])}; region {truth['region'] or '-'};"
            f" country {truth['country'] or '-'}",
            f"- predicted: {_format_tags(guess['incident_types'])}; region "
            f"{_geo(guess['region'], guess['region_probability'])}; country "
            f"{_geo(guess['country'], guess['country_probability'])}",
            "- mistakes: " + "; ".join(_describe(m) for m in error["mistakes"]),
        ]
        for driver in error["drivers"]:
            grams = (
                ", ".join(f"{g['feature']} ({g['contribution']:+.2f})" for g in driver["ngrams"])
                or "no known n-gram"
            )
            lines.append(f"- drove {driver['head']} `{driver['label']}`: {grams}")
        lines.append("")
    return "\n".join(lines)


def write_errors(errors: Sequence[Mapping[str, Any]], folder: Path, title: str) -> None:
    """Write errors.md and errors.jsonl into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "errors.md").write_text(errors_markdown(errors, title), encoding="utf-8")
    with (folder / "errors.jsonl").open("w", encoding="utf-8") as handle:
        for error in errors:
            handle.write(json.dumps(error, ensure_ascii=False, sort_keys=True) + "\n")
