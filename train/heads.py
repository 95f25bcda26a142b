"""Fit the featuriser and the linear heads with scikit-learn, keeping only their data."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import chi2
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from infer.artifact import Head, HeadInput
from infer.errors import ThreatTaggerError
from infer.features import BlockSpec, Featurizer, TextOptions, TfidfBlock
from infer.linear import block_inputs
from infer.place_features import PlaceBlock
from train.config import FeaturesConfig, ModelConfig

Step = Callable[[str], None]
Estimator = LogisticRegression | SGDClassifier | CalibratedClassifierCV


def _no_step(_: str) -> None:
    """Default progress callback."""


def block_specs(cfg: FeaturesConfig) -> list[tuple[BlockSpec, int]]:
    """The feature blocks a config asks for, with their max_features."""
    options = TextOptions(cfg.lowercase, cfg.strip_boilerplate, cfg.keep_dateline_place)
    word = BlockSpec("word", "word", (cfg.word_ngram_range[0], cfg.word_ngram_range[1]), options)
    specs = [(word, cfg.max_features)]
    if cfg.char:
        low, high = cfg.char_ngram_range
        specs.append((BlockSpec("char", "char_wb", (low, high), options), cfg.char_max_features))
    return specs


def place_block(
    cfg: FeaturesConfig,
    texts: Sequence[str],
    geo: Sequence[tuple[str | None, str | None]] | None = None,
) -> PlaceBlock:
    """The gazetteer block, pruned of names the labelled texts show to mislead."""
    from train.gazetteer import GazetteerOptions, build_gazetteer, prune_by_corpus

    gazetteer = build_gazetteer(GazetteerOptions(min_population=cfg.gazetteer_min_population))
    if cfg.gazetteer_prune and geo is not None:
        gazetteer, _dropped = prune_by_corpus(gazetteer, texts, geo)
    return PlaceBlock(gazetteer, cfg.gazetteer_weight)


def fit_featurizer(
    texts: Sequence[str],
    cfg: FeaturesConfig,
    geo: Sequence[tuple[str | None, str | None]] | None = None,
) -> tuple[Featurizer, sp.csr_matrix]:
    """Fit every block on the texts; return the data-only featuriser and the training matrix.

    `geo` holds each text's (country, region) labels, used to prune the gazetteer.
    """
    blocks: list[TfidfBlock | PlaceBlock] = []
    parts = []
    for spec, max_features in block_specs(cfg):
        vectorizer = TfidfVectorizer(
            analyzer=spec.analyze, sublinear_tf=True, min_df=cfg.min_df, max_features=max_features
        )
        try:
            parts.append(vectorizer.fit_transform(texts))
        except ValueError as exc:
            raise ThreatTaggerError(
                f"cannot build the '{spec.name}' features from "
                f"{len(texts)} texts with min_df={cfg.min_df}: {exc}"
            ) from None
        blocks.append(
            TfidfBlock(
                spec, tuple(vectorizer.get_feature_names_out()), vectorizer.idf_.astype(np.float64)
            )
        )
    if cfg.gazetteer:
        block = place_block(cfg, texts, geo)
        blocks.append(block)
        parts.append(block.transform(texts))
    matrix = parts[0] if len(parts) == 1 else sp.hstack(parts, format="csr")
    return Featurizer(blocks), sp.csr_matrix(matrix)


def _logistic(C: float, class_weight: str, max_iter: int) -> LogisticRegression:
    """The one estimator used by every head."""
    return LogisticRegression(
        C=C,
        class_weight=None if class_weight == "none" else class_weight,
        max_iter=max_iter,
        solver="lbfgs",
    )


def _fit(
    estimator: Estimator,
    matrix: sp.csr_matrix,
    y: np.ndarray,
    sample_weight: np.ndarray | None = None,
) -> None:
    """Fit quietly on one thread (faster here than oversubscribed BLAS/OpenMP threads)."""
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(matrix, y, sample_weight=sample_weight)


CALIBRATION_FOLDS = 3


def _estimator(cfg: ModelConfig, class_weight: str, n_samples: int) -> Estimator:
    """A binary estimator of `cfg.estimator` (C maps to SGD's alpha = 1 / (C * n))."""
    weight = None if class_weight == "none" else class_weight
    if cfg.estimator == "sgd":
        return SGDClassifier(
            loss="log_loss",
            alpha=1.0 / (cfg.C * n_samples),
            class_weight=weight,
            max_iter=cfg.max_iter,
            tol=1e-4,
            random_state=0,
        )
    if cfg.estimator == "svc":
        svc = LinearSVC(C=cfg.C, class_weight=weight, max_iter=cfg.max_iter)
        return CalibratedClassifierCV(svc, method="sigmoid", cv=CALIBRATION_FOLDS, ensemble=False)
    return _logistic(cfg.C, class_weight, cfg.max_iter)


def linear_score(estimator: Estimator) -> tuple[np.ndarray, float]:
    """(w, b) with P(positive) = sigmoid(x . w + b); a Platt-calibrated SVC folds its sigmoid
    P = 1 / (1 + exp(A*s + B)), s = x . w0 + b0, into w = -A*w0, b = -(A*b0 + B)."""
    if isinstance(estimator, CalibratedClassifierCV):
        (calibrated,) = estimator.calibrated_classifiers_
        (sigmoid,) = calibrated.calibrators
        a, b = float(sigmoid.a_), float(sigmoid.b_)
        base = calibrated.estimator
        return -a * base.coef_[0], -(a * float(base.intercept_[0]) + b)
    return estimator.coef_[0], float(estimator.intercept_[0])


def fit_incident_heads(
    matrix: sp.csr_matrix,
    y: np.ndarray,
    labels: Sequence[str],
    cfg: ModelConfig,
    step: Step = _no_step,
    sample_weight: np.ndarray | None = None,
) -> tuple[Head, list[str]]:
    """One binary linear head per label (`cfg.estimator`); labels without positives get
    probability 0."""
    n_features = matrix.shape[1]
    coef = np.zeros((len(labels), n_features))
    intercept = np.zeros(len(labels))
    constant: list[str] = []
    for j, label in enumerate(labels):
        positives = int(y[:, j].sum())
        step(f"head: {label} ({positives} of {len(y)} records)")
        if positives == 0:
            intercept[j] = -np.inf
            constant.append(label)
        elif positives == len(y):
            intercept[j] = np.inf
            constant.append(label)
        else:
            estimator = _estimator(cfg, cfg.class_weight, len(y))
            scale = nb_ratios(matrix, y[:, j]) if cfg.nb_scaling else None
            scaled = matrix if scale is None else sp.csr_matrix(matrix.multiply(scale))
            _fit(estimator, scaled, y[:, j], sample_weight)
            coef[j], intercept[j] = linear_score(estimator)
            if scale is not None:  # w . (x * r) == (w * r) . x: inference is unchanged
                coef[j] *= scale
    return Head(tuple(labels), coef, intercept), constant


GATE_CLASS = "attack"


def fit_gate_head(
    matrix: sp.csr_matrix,
    y: np.ndarray,
    cfg: ModelConfig,
    step: Step = _no_step,
    sample_weight: np.ndarray | None = None,
) -> Head:
    """The attack gate: one binary head "any incident type" over every record (a constant
    probability 1 when no record is a negative, e.g. Wikipedia alone)."""
    attack = np.asarray(y).any(axis=1).astype(np.int64).reshape(-1, 1)
    gate_cfg = dataclasses.replace(cfg, class_weight=cfg.gate_class_weight)
    head, _constant = fit_incident_heads(
        matrix,
        attack,
        (GATE_CLASS,),
        gate_cfg,
        lambda d: step(d.replace(GATE_CLASS, "attack gate", 1)),
        sample_weight,
    )
    return head


def nb_ratios(matrix: sp.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """NB-SVM feature scaling: |log-count ratio| of each feature between positives and the rest
    (Wang & Manning 2012), so that the regulariser spares the features that discriminate."""
    y = np.asarray(y).astype(bool)
    positive = np.asarray(matrix[y].sum(axis=0)).ravel() + alpha
    negative = np.asarray(matrix[~y].sum(axis=0)).ravel() + alpha
    ratio = np.log((positive / positive.sum()) / (negative / negative.sum()))
    return np.abs(ratio)


def top_columns(
    block_matrix: sp.csr_matrix, n: int, labels: Sequence[str] | None = None
) -> np.ndarray | None:
    """The n best columns, sorted: by chi2 against the labels when given, else those present
    in the most rows (ties: the first). None when n <= 0 or the block has no more than n
    columns (read all of them)."""
    if n <= 0 or block_matrix.shape[1] <= n:
        return None
    if labels is None:
        score = np.bincount(block_matrix.indices, minlength=block_matrix.shape[1]).astype(float)
    else:
        score = np.nan_to_num(chi2(block_matrix, np.asarray(labels))[0], nan=0.0)
    return np.sort(np.argsort(-score, kind="stable")[:n]).astype(np.int32)


def geo_inputs(
    featurizer: Featurizer,
    matrix: sp.csr_matrix,
    labels: Sequence[str],
    blocks: Sequence[str],
    limits: Mapping[str, int],
    selection: str = "chi2",
) -> tuple[HeadInput, ...]:
    """What a region/country head reads: the configured blocks (those the featuriser has;
    all of them if none is left), a block named in `limits` cut to its best terms for the
    head's rows and labels (`selection`: "chi2" or "frequency")."""
    names = [b.spec.name for b in featurizer.blocks]
    chosen = [name for name in names if name in set(blocks)] or names
    columns = {}
    for name in chosen:
        at = names.index(name)
        block = sp.csr_matrix(matrix[:, featurizer.offsets[at] : featurizer.offsets[at + 1]])
        kept = top_columns(block, limits.get(name, 0), labels if selection == "chi2" else None)
        if kept is not None:
            columns[name] = kept
    return block_inputs(featurizer, chosen, columns)


def fit_multiclass_head(
    matrix: sp.csr_matrix,
    y: Sequence[str],
    cfg: ModelConfig,
    sample_weight: np.ndarray | None = None,
    inputs: tuple[HeadInput, ...] = (),
) -> Head:
    """Multinomial logistic regression over the classes seen (softmax rows for two classes);
    `matrix` holds the columns `inputs` lists (all columns when empty)."""
    classes = sorted(set(y))
    n_features = matrix.shape[1]
    if len(classes) < 2:
        return Head(
            tuple(classes), np.zeros((len(classes), n_features)), np.zeros(len(classes)), inputs
        )
    estimator = _logistic(cfg.geo_C, cfg.geo_class_weight, cfg.max_iter)
    _fit(estimator, matrix, np.asarray(y), sample_weight)
    coef, intercept = estimator.coef_, estimator.intercept_
    if len(classes) == 2:  # softmax([-z/2, z/2]) == [1 - sigmoid(z), sigmoid(z)]
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return Head(
        tuple(str(c) for c in estimator.classes_),
        np.asarray(coef, dtype=np.float64),
        np.asarray(intercept, dtype=np.float64),
        inputs,
    )


def low_rank_factors(
    coef: np.ndarray, intercept: np.ndarray, matrix: sp.csr_matrix, rank: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(latent, mix, intercept) of the head whose scores on the rows of `matrix` (the head's
    training rows, over the columns it reads) are projected on their top `rank` principal
    directions V (classes x rank): latent = V^T W (rank x columns), mix = V^T, and the
    intercept takes the part of the mean score the projection drops, so that the mean score
    over those rows is kept. (X @ latent.T) @ mix + intercept = X @ (V V^T W).T + intercept.
    In float64; each direction's largest entry is made positive (an SVD's signs are not)."""
    weights = np.asarray(coef, dtype=np.float64)
    scores = np.asarray(sp.csr_matrix(matrix, dtype=np.float64) @ weights.T)
    mean = scores.mean(axis=0)
    _, _, directions = np.linalg.svd(scores - mean, full_matrices=False)
    basis = directions[:rank].T  # classes x rank (fewer when there are fewer rows)
    signs = np.sign(basis[np.argmax(np.abs(basis), axis=0), np.arange(basis.shape[1])])
    basis = basis * np.where(signs == 0, 1.0, signs)
    new_intercept = np.asarray(intercept, dtype=np.float64) + mean - (mean @ basis) @ basis.T
    return np.ascontiguousarray(basis.T @ weights), np.ascontiguousarray(basis.T), new_intercept


def factorise_head(head: Head, matrix: sp.csr_matrix, rank: int) -> Head:
    """`head` with its weights replaced by the rank-`rank` factors of `low_rank_factors`
    (`matrix`: its training rows over the columns it reads): scoring multiplies by `rank`
    latent rows and mixes them into the classes. The head itself when `rank` is 0, reaches
    its number of classes (nothing to save) or it has fewer than two classes."""
    if rank <= 0 or rank >= len(head.classes) or len(head.classes) < 2:
        return head
    latent, mix, intercept = low_rank_factors(head.coef, head.intercept, matrix, rank)
    return dataclasses.replace(head, coef=latent, intercept=intercept, mix=mix)


def label_matrix(records: Sequence[dict], labels: Sequence[str]) -> np.ndarray:
    """0/1 matrix of the records' incident types."""
    position = {label: j for j, label in enumerate(labels)}
    y = np.zeros((len(records), len(labels)), dtype=np.int64)
    for i, record in enumerate(records):
        for label in record["incident_types"]:
            y[i, position[label]] = 1
    return y
