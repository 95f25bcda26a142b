"""Tag texts with a trained model: incident types, region and country (no scikit-learn)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from infer.artifact import Head, ModelData, load_artifact
from infer.linear import BlockRows
from infer.places import PlaceBlock
from infer.taxonomy import COUNTRIES

if TYPE_CHECKING:
    from infer.explain import Explanation

MODEL_VAR = "THREAT_TAGGER_MODEL"
DEFAULT_MODEL = "models/default"
IMPLIED = ("ambush", "armed_assault")  # the first label implies the second
# Named places outvote a confident country head under even odds (Wikipedia dev country +0.009).
PLACES_OUTVOTE_BELOW = 0.5
BATCH_SIZE = 1024  # texts per vectorised batch (measured fastest; bigger ones leave the caches)


@dataclass(frozen=True, slots=True)
class Prediction:
    """The tags of one text; `incident_types` holds the labels over their thresholds."""

    incident_types: dict[str, float]
    scores: dict[str, float]
    region: str | None
    region_probability: float
    country: str | None
    country_probability: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)


def _evidence_map(terms: tuple[str, ...]) -> tuple[tuple[str, ...], sp.csr_matrix]:
    """The codes named by a place block's `country=`, `nationality=` and `group=` columns, and
    the (block columns x codes) 0/1 matrix that adds them up per code (armed groups vote too:
    Wikipedia dev country 0.830 -> 0.835, region 0.925 -> 0.927)."""
    named = [(i, t.partition("=")[2]) for i, t in enumerate(terms)
             if t.startswith(("country=", "nationality=", "group="))]
    codes = tuple(sorted({code for _, code in named}))
    column = {code: j for j, code in enumerate(codes)}
    rows = [i for i, _ in named]
    cols = [column[code] for _, code in named]
    return codes, sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(terms), len(codes)))


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function (maps -inf to exactly 0)."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    if z.shape[1] == 0:
        return z
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def decision_scores(head: Head, matrix: sp.csr_matrix | BlockRows) -> np.ndarray:
    """Raw linear scores (one column per class) of a full feature matrix or a batch's blocks
    (only the blocks the head reads are computed)."""
    return head.scores(matrix)


_SENTENCE = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9])|\n\s*\n")


def sentence_windows(text: str, size: int) -> list[str]:
    """Overlapping windows of `size` consecutive sentences (none if the text is shorter)."""
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    if len(sentences) <= size:
        return []
    return [" ".join(sentences[i:i + size]) for i in range(len(sentences) - size + 1)]


def _batches(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    """Consecutive lists of at most `size` texts."""
    iterator = iter(texts)
    while batch := list(islice(iterator, size)):
        yield batch


class Predictor:
    """A loaded model; `predict` and `explain` touch no mutable state (thread-safe)."""

    def __init__(self, model: ModelData) -> None:
        self.model = model
        self.labels = model.incident.classes
        # (armed_assault, ambush) columns: an ambush is an armed assault, so P(aa) >= P(ambush)
        self._implied = ((self.labels.index(IMPLIED[1]), self.labels.index(IMPLIED[0]))
                         if set(IMPLIED) <= set(self.labels) else None)
        # membership[c, r] = 1 when country c lies in region r (to sum country probabilities)
        self._region_names = tuple(sorted(set(model.country_regions)))
        self._membership = np.zeros((len(model.country_regions), len(self._region_names)))
        for row, region in enumerate(model.country_regions):
            self._membership[row, self._region_names.index(region)] = 1.0
        # (first column, width, block name) of the place-name block, the codes its evidence
        # names, and the block columns -> codes map (places and demonyms: fallback rule)
        self._places: tuple[int, int, str] | None = None
        self._place_codes: tuple[str, ...] = ()
        self._place_map: sp.csr_matrix | None = None
        for block, start in zip(model.featurizer.blocks, model.featurizer.offsets, strict=False):
            if isinstance(block, PlaceBlock):
                self._places = (start, block.size, block.spec.name)
                self._place_codes, self._place_map = _evidence_map(block.terms)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Predictor:
        """Load a model folder: `path`, else $THREAT_TAGGER_MODEL, else models/default."""
        folder = path if path is not None else os.environ.get(MODEL_VAR) or DEFAULT_MODEL
        return cls(load_artifact(folder))

    @property
    def meta(self) -> dict[str, Any]:
        """The model's meta.json."""
        return self.model.meta

    def predict(self, texts: Iterable[str], *, threshold: float | None = None,
                batch_size: int = BATCH_SIZE) -> list[Prediction]:
        """Tag every text; `threshold` replaces the tuned per-label thresholds."""
        if isinstance(texts, str):
            raise TypeError("predict() takes an iterable of texts, not a single string")
        out: list[Prediction] = []
        for batch in _batches(texts, batch_size):
            out.extend(self._predict_matrix(BlockRows(self.model.featurizer, batch), threshold,
                                            batch))
        return out

    def window_probabilities(self, texts: list[str]) -> np.ndarray:
        """Per text, the best incident probabilities over its sentence windows (0 if short)."""
        model = self.model
        best = np.zeros((len(texts), len(self.labels)))
        if model.window_sentences <= 0:
            return best
        owners, windows = [], []
        shortest = 2 * model.window_min_words - 1  # n words take at least 2n - 1 characters
        for row, text in enumerate(texts):
            if len(text) >= shortest and len(text.split()) >= model.window_min_words:
                for window in sentence_windows(text, model.window_sentences):
                    owners.append(row)
                    windows.append(window)
        if windows:
            np.maximum.at(best, np.asarray(owners), self.incident_probabilities(
                *self._text_scores(windows)))
        return best

    def _text_scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """Incident (and gate) decision scores; only the blocks these heads read are computed
        (the text blocks: window pooling skips the place matching)."""
        rows = BlockRows(self.model.featurizer, texts)
        gate = None if self.model.gate is None else self.model.gate.scores(rows)
        return self.model.incident.scores(rows), gate

    @staticmethod
    def incident_probabilities(incident: np.ndarray, gate: np.ndarray | None) -> np.ndarray:
        """P(label) from the decision scores: sigmoid, times P(attack) when there is a gate."""
        probability = sigmoid(incident)
        return probability if gate is None else probability * sigmoid(gate)

    def _imply(self, incident: np.ndarray) -> np.ndarray:
        """Raise P(armed_assault) to P(ambush) where lower (in place; returns the array)."""
        if self._implied is not None:
            aa, ambush = self._implied
            np.maximum(incident[:, aa], incident[:, ambush], out=incident[:, aa])
        return incident

    def _predict_matrix(self, matrix: sp.csr_matrix | BlockRows, threshold: float | None,
                        texts: list[str] | None = None) -> list[Prediction]:
        """Predictions for the rows of a feature matrix (texts enable window pooling)."""
        model = self.model
        incident = self.incident_probabilities(
            decision_scores(model.incident, matrix),
            None if model.gate is None else decision_scores(model.gate, matrix))
        if texts is not None and model.window_sentences > 0:
            incident = np.maximum(incident, self.window_probabilities(texts))
        incident = self._imply(incident)
        cut = model.thresholds if threshold is None else np.full(len(self.labels), threshold)
        region_p = softmax(decision_scores(model.region, matrix))
        country_p = softmax(decision_scores(model.country, matrix))
        places = self._place_majority(matrix)
        geography = self._geography_rows(region_p, country_p)
        for row, place in enumerate(places):
            if place is not None and (geography[row][2] is None or (  # rare: per row
                    geography[row][2] != place and geography[row][3] < PLACES_OUTVOTE_BELOW)):
                # (the country is the place's: the head's region sums are not needed)
                geography[row] = self._geography(region_p[row], country_p[row], None, place)
        labels = self.labels
        return [Prediction(assigned, dict(zip(labels, scores, strict=True)), *where)
                for assigned, scores, where in zip(self._assigned(incident, cut), incident.tolist(),
                                                   geography, strict=True)]

    def _assigned(self, incident: np.ndarray, cut: np.ndarray) -> list[dict[str, float]]:
        """Per row, the labels over their thresholds, highest probability first (ties: label
        order)."""
        order = np.argsort(-incident, axis=1, kind="stable")
        ranked = np.take_along_axis(incident, order, axis=1)
        over = (ranked >= cut[order]) & (ranked > 0.0)
        out: list[dict[str, float]] = [{} for _ in range(len(incident))]
        rows, positions = np.nonzero(over)
        labels = self.labels
        for row, label, probability in zip(rows.tolist(), order[rows, positions].tolist(),
                                           ranked[rows, positions].tolist(), strict=True):
            out[row][labels[label]] = probability
        return out

    def _geography_rows(self, region_p: np.ndarray,
                        country_p: np.ndarray) -> list[tuple[Any, ...]]:
        """`_geography` for every row at once (without the place fallback). The region
        probability of a confident country is the sum of its region's country probabilities,
        summed by numpy for those rows only (a BLAS product over the batch was slow: threads)."""
        model = self.model
        n = len(region_p)
        country: list[str | None] = [None] * n
        country_prob = [0.0] * n
        region: list[str | None] = [None] * n
        region_prob = [0.0] * n
        confident = np.zeros(n, dtype=bool)
        if country_p.shape[1]:
            best = country_p.argmax(axis=1)
            top = country_p[np.arange(n), best]
            country_prob = top.tolist()
            confident = top >= model.country_min_probability
            rows = np.flatnonzero(confident)
            if len(rows):
                own = self._membership.argmax(axis=1)[best[rows]]  # column of its region
                members = self._membership.T[own] > 0.0
                sums = np.where(members, country_p[rows], 0.0).sum(axis=1)
                for row, code, name, p in zip(rows.tolist(), best[rows].tolist(),
                                              own.tolist(), sums.tolist(), strict=True):
                    country[row], region[row], region_prob[row] = \
                        model.country.classes[code], self._region_names[name], p
        if region_p.shape[1]:
            rows = np.flatnonzero(~confident)
            best = region_p[rows].argmax(axis=1)
            top = region_p[rows, best]
            keep = top >= model.region_min_probability
            for row, code, p, kept in zip(rows.tolist(), best.tolist(), top.tolist(),
                                          keep.tolist(), strict=True):
                region[row], region_prob[row] = (model.region.classes[code] if kept else None), p
        return list(zip(region, region_prob, country, country_prob, strict=True))

    def _place_majority(self, matrix: sp.csr_matrix | BlockRows) -> list[str | None]:
        """Per row, the country holding >= place_fallback_share of the named evidence: the
        shares of place mentions plus the shares of demonyms ("Afghan"), one vote each."""
        share = self.model.place_fallback_share
        if self._places is None or self._place_map is None or share <= 0.0:
            return [None] * matrix.shape[0]
        start, width, name = self._places
        codes = self._place_codes
        rows = matrix[name] if isinstance(matrix, BlockRows) else matrix[:, start:start + width]
        counts = np.asarray((rows @ self._place_map).todense())
        totals = counts.sum(axis=1)
        best = counts.argmax(axis=1)
        top = counts[np.arange(len(best)), best]
        return [codes[b] if total > 0 and t >= share * total else None
                for b, t, total in zip(best, top, totals, strict=True)]

    def _geography(self, region_p: np.ndarray, country_p: np.ndarray,
                   by_region: np.ndarray | None, place: str | None = None,
                   ) -> tuple[str | None, float, str | None, float]:
        """Apply the consistency rule: a confident country fixes the region."""
        model = self.model
        country, country_prob = None, 0.0
        if len(country_p):
            best = int(np.argmax(country_p))
            country_prob = float(country_p[best])
            country = model.country.classes[best]
            if country_prob >= model.country_min_probability and (
                    place in (None, country) or country_prob >= PLACES_OUTVOTE_BELOW):
                region = model.country_regions[best]
                assert by_region is not None
                region_prob = float(by_region[self._region_names.index(region)])
                return region, region_prob, country, country_prob
        country = None
        if place is not None:  # named places outvote an unsure (or under even odds) head
            classes = model.country.classes
            probability = float(country_p[classes.index(place)]) if place in classes else 0.0
            region = COUNTRIES[place].region
            region_prob = float(region_p[model.region.classes.index(region)]) \
                if region in model.region.classes else 0.0
            return region, region_prob, place, probability
        if not len(region_p):
            return None, 0.0, country, country_prob
        best = int(np.argmax(region_p))
        region_prob = float(region_p[best])
        region = model.region.classes[best]
        if region_prob < model.region_min_probability:
            region = None
        return region, region_prob, country, country_prob

    def explain(self, text: str, top: int = 10) -> Explanation:
        """Which n-grams pushed each assigned label, the region and the country."""
        from infer.explain import explain_text

        return explain_text(self, text, top)
