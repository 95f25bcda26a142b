"""Train a model from a config: load, group, split, fit, tune thresholds, refit, write.

Thresholds are tuned on a grouped dev split (near-duplicates stay on one side) with the heads
fitted on the train part only; metrics.json reports that dev split. Then every head is refit
on train+dev with the same settings and the tuned thresholds are kept.
"""

from __future__ import annotations

import dataclasses
import platform
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from infer.artifact import CONSISTENCY_RULE, Head, ModelData
from infer.errors import ThreatTaggerError
from infer.features import Featurizer
from infer.linear import block_inputs, input_matrix
from infer.place_features import PlaceBlock
from infer.scoring import Scorer
from infer.taxonomy import INCIDENT_TYPES, region_of
from infer.warm import warm as warm_kernels
from train.config import Config, ModelConfig
from train.heads import (
    Step,
    _no_step,
    factorise_head,
    fit_featurizer,
    fit_gate_head,
    fit_incident_heads,
    fit_multiclass_head,
    geo_inputs,
    label_matrix,
)
from train.metrics import annotation_masks, calibration_report, evaluate_predictions
from train.model_folder import finish_meta, staged_model_folder, write_model_files
from train.sources.satp import OTHER_SOURCE as SATP_OTHER
from train.thresholds import tune_thresholds

MIN_RECORDS = 10
REFIT_NOTE = (
    "Thresholds were tuned on the grouped dev split with heads fitted on the train "
    "part; then every head was refit on train+dev with the same settings and the tuned "
    "thresholds were kept. metrics.json reports the dev split (train-only heads)."
)


@dataclass
class TrainingResult:
    """What a training run produced."""

    folder: Path
    model: ModelData
    metrics: dict[str, Any]
    meta: dict[str, Any]
    seconds: float


def load_training_records(config: Config) -> tuple[list[dict], list[dict[str, Any]]]:
    """Records of every configured corpus minus excluded splits, and per-corpus provenance."""
    from train.corpus import fingerprint, load_corpora

    excluded = set(config.corpora.exclude_splits)
    records: list[dict] = []
    provenance = []
    for spec, corpus in zip(config.corpora.train, load_corpora(config.corpora.train), strict=True):
        kept = [r for r in corpus.records if r.get("split") not in excluded]
        records.extend(kept)
        provenance.append(
            {
                "spec": spec,
                "records": len(kept),
                "excluded_by_split": len(corpus.records) - len(kept),
                "sources": dict(sorted(Counter(r["source"] for r in kept).items())),
                "sha256": fingerprint(kept),
            }
        )
    if len(records) < MIN_RECORDS:
        raise ThreatTaggerError(
            f"only {len(records)} training records in "
            f"{', '.join(config.corpora.train)}; need at least {MIN_RECORDS}"
        )
    return records, provenance


def duplicate_ids(records: Sequence[dict], shown: int = 5) -> dict[str, Any]:
    """How many ids more than one record shares, and the first few with their counts."""
    counts = Counter(r["id"] for r in records)
    shared = [(record_id, n) for record_id, n in counts.items() if n > 1]
    return {"count": len(shared), "first": dict(shared[:shown])}


def reading_text_blocks(head: Head, featurizer: Featurizer) -> Head:
    """The head, marked as reading the text blocks only (every block but the place names,
    which come last): no weights are kept for the place columns."""
    names = [b.spec.name for b in featurizer.blocks if not isinstance(b, PlaceBlock)]
    return dataclasses.replace(head, inputs=block_inputs(featurizer, names))


def source_weights(records: Sequence[dict], weights: dict[str, float]) -> np.ndarray | None:
    """Per-record sample weights from the config's per-source weights (None when unset)."""
    if not weights:
        return None
    return np.asarray([weights.get(r["source"], 1.0) for r in records], dtype=np.float64)


def geo_head(
    records: Sequence[dict],
    field: str,
    featurizer: Featurizer,
    matrix: sp.csr_matrix,
    weight: np.ndarray | None,
    geo: ModelConfig,
    step: Step,
) -> Head:
    """The region or country head (`field`), fitted on the records that name one, reading the
    blocks and columns the config gives that head, factorised to the config's
    `<field>_rank` over those records (0: as fitted)."""
    rows = [i for i, r in enumerate(records) if r.get(field) is not None]
    step(f"head: {field} ({len(rows)} records with one)")
    targets = [records[i][field] for i in rows]
    inputs = geo_inputs(
        featurizer,
        matrix[rows],
        targets,
        getattr(geo, f"{field}_blocks"),
        getattr(geo, f"{field}_block_columns"),
        geo.geo_selection,
    )
    read = input_matrix(matrix[rows], inputs)
    head = fit_multiclass_head(read, targets, geo, None if weight is None else weight[rows], inputs)
    return factorise_head(head, read, getattr(geo, f"{field}_rank"))


def fit_model(
    records: Sequence[dict],
    config: Config,
    thresholds: np.ndarray | None = None,
    step: Step = _no_step,
) -> tuple[ModelData, list[str]]:
    """Fit the featuriser and all heads on the records; returns the model and constant labels."""
    labels = INCIDENT_TYPES
    step(f"features: {len(records)} records")
    featurizer, matrix = fit_featurizer(
        [r["text"] for r in records],
        config.features,
        [(r.get("country"), r.get("region")) for r in records],
    )
    weight = source_weights(records, config.corpora.source_weights)
    # Incident heads read the text blocks only: where an attack happened says nothing about
    # its type, and place features let them memorise places (the geo heads read everything).
    text_columns = featurizer.n_features - sum(
        b.size for b in featurizer.blocks if isinstance(b, PlaceBlock)
    )
    y = label_matrix(records, labels)
    gate = None
    attacks: slice | np.ndarray = slice(None)  # the type heads' records: all, or the attacks
    if config.model.gate:  # P(label) = P(attack) * P(label | attack)
        gate = reading_text_blocks(
            fit_gate_head(matrix[:, :text_columns], y, config.model, step, weight), featurizer
        )
        attacks = np.flatnonzero(y.any(axis=1))
    incident, constant = fit_incident_heads(
        matrix[attacks, :text_columns],
        y[attacks],
        labels,
        config.model,
        step,
        None if weight is None else weight[attacks],
    )
    incident = reading_text_blocks(incident, featurizer)
    geo = config.model
    region = geo_head(records, "region", featurizer, matrix, weight, geo, step)
    country = geo_head(records, "country", featurizer, matrix, weight, geo, step)
    if thresholds is None:
        thresholds = np.full(len(labels), config.thresholds.fallback)
    model = ModelData(
        featurizer=featurizer,
        incident=incident,
        thresholds=np.asarray(thresholds, dtype=float),
        region=region,
        country=country,
        country_regions=tuple(region_of(code) for code in country.classes),
        country_min_probability=config.model.country_min_probability,
        region_min_probability=config.model.region_min_probability,
        meta={},
        window_sentences=config.model.window_sentences,
        window_min_words=config.model.window_min_words,
        place_fallback_share=config.model.place_fallback_share,
        gate=gate,
    )
    return model.as_stored(), constant


def dev_evaluation(
    model: ModelData, dev: Sequence[dict], config: Config
) -> tuple[np.ndarray, dict[str, Any]]:
    """Tune thresholds on the dev records; return them and the dev metrics + calibration."""
    labels = list(model.incident.classes)
    matrix = model.featurizer.transform([r["text"] for r in dev])
    texts = [r["text"] for r in dev]
    raw = Scorer(model).predictions(matrix, texts)
    probability = np.array([[p.probabilities[label] for label in labels] for p in raw])
    truth = label_matrix(dev, labels)
    # the false-tag limit counts non-attack records only, not SATP's Other-only attack stories
    negatives = np.array(
        [not r["incident_types"] and r["source"] != SATP_OTHER for r in dev], dtype=bool
    )
    thresholds, info = tune_thresholds(truth, probability, labels, config.thresholds, negatives)
    tuned = Scorer(dataclasses.replace(model, thresholds=thresholds))
    predictions = tuned.predictions(matrix, texts)
    metrics = {
        "dev": evaluate_predictions(dev, predictions, labels),
        "calibration": calibration_report(
            truth, probability, labels, annotated=annotation_masks(dev, labels)[0]
        ),
        "thresholds": info,
    }
    return thresholds, metrics


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shaped the model."""
    versions = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "scikit-learn", "threat-tagger"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """The few numbers repeated in meta.json."""
    dev = metrics["dev"]
    return {
        "dev_records": dev["n"],
        "micro_f1": dev["incident_types"]["micro_f1"],
        "macro_f1": dev["incident_types"]["macro_f1"],
        "false_tag_rate": dev["incident_types"]["false_tag_rate"],
        "region_accuracy": dev["region"]["accuracy"],
        "country_accuracy": dev["country"]["accuracy"],
        "overall_ece": metrics["calibration"]["overall_ece"],
    }


def train_model(config: Config, step: Step = _no_step) -> TrainingResult:
    """Run a whole training and write the model folder atomically to config.run.out."""
    from train.dedup import duplicate_groups
    from train.report import write_report
    from train.splits import grouped_split

    start = time.perf_counter()
    target = Path(config.run.out)
    with staged_model_folder(target) as staged:
        step("loading corpora")
        records, provenance = load_training_records(config)
        step(f"grouping near-duplicates: {len(records)} records")
        groups = duplicate_groups(
            [r["text"] for r in records],
            threshold=config.split.near_duplicate_threshold,
            seed=config.split.seed,
        )
        train_idx, dev_idx = grouped_split(
            records, groups, test_size=config.split.dev_size, seed=config.split.seed
        )
        train_part = [records[i] for i in train_idx]
        dev_part = [records[i] for i in dev_idx]
        dev_model, _ = fit_model(train_part, config, step=step)
        step(f"thresholds and dev metrics: {len(dev_part)} dev records")
        thresholds, metrics = dev_evaluation(dev_model, dev_part, config)
        metrics["split"] = {
            "train": len(train_part),
            "dev": len(dev_part),
            "duplicate_groups": len(set(groups)),
            "records": len(records),
        }
        model, constant = fit_model(records, config, thresholds, step=step)
        step("writing the model folder")
        meta = {
            **model.structure(),
            "name": config.run.name,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "config": config.to_dict(),
            "corpora": provenance,
            "training": {
                "records": len(records),
                "train": len(train_part),
                "dev": len(dev_part),
                "per_label": {
                    label: int(sum(label in r["incident_types"] for r in records))
                    for label in model.incident.classes
                },
                "no_incident_type": sum(not r["incident_types"] for r in records),
                "duplicate_ids": duplicate_ids(records),
                "refit": REFIT_NOTE,
            },
            "constant_labels": {
                label: "no positive training example: probability is always 0" for label in constant
            },
            "versions": library_versions(),
            "metrics": headline(metrics),
        }
        meta["consistency_rule"]["text"] = CONSISTENCY_RULE
        write_model_files(staged, model, metrics)
        warm_kernels()  # every scoring kernel compiled into numba's cache: no first-predict pause
        write_report(staged, meta, metrics)
        finish_meta(staged, meta)
    return TrainingResult(
        target, dataclasses.replace(model, meta=meta), metrics, meta, time.perf_counter() - start
    )
