"""Tag texts with a trained model: incident types, region and country (no scikit-learn)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infer.artifact import ModelData, load_artifact
from infer.linear import BlockRows
from infer.scoring import Prediction, Scorer

if TYPE_CHECKING:
    from infer.explain import Explanation

__all__ = ["DEFAULT_MODEL", "MODEL_VAR", "Prediction", "Predictor"]

MODEL_VAR = "THREAT_TAGGER_MODEL"
DEFAULT_MODEL = "models/default"
BATCH_SIZE = 1024  # texts per vectorised batch (measured fastest; bigger ones leave the caches)


def _batches(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    """Consecutive lists of at most `size` texts."""
    iterator = iter(texts)
    while batch := list(islice(iterator, size)):
        yield batch


class Predictor:
    """A loaded model; `predict` and `explain` touch no mutable state (thread-safe).

    The decision rules live in `infer.scoring` (`self.scorer`), shared with `infer.explain`."""

    def __init__(self, model: ModelData) -> None:
        self.model = model
        self.labels = model.incident.classes
        self.scorer = Scorer(model)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Predictor:
        """Load a model folder: `path`, else $THREAT_TAGGER_MODEL, else models/default."""
        folder = path if path is not None else os.environ.get(MODEL_VAR) or DEFAULT_MODEL
        return cls(load_artifact(folder))

    @property
    def meta(self) -> dict[str, Any]:
        """The model's meta.json."""
        return self.model.meta

    def predict(
        self, texts: Iterable[str], *, threshold: float | None = None, batch_size: int = BATCH_SIZE
    ) -> list[Prediction]:
        """Tag every text; `threshold` replaces the tuned per-label thresholds."""
        if isinstance(texts, str):
            raise TypeError("predict() takes an iterable of texts, not a single string")
        out: list[Prediction] = []
        for batch in _batches(texts, batch_size):
            out.extend(
                self.scorer.predictions(BlockRows(self.model.featurizer, batch), batch, threshold)
            )
        return out

    def explain(self, text: str, top: int = 10) -> Explanation:
        """Which n-grams pushed each assigned label, the region and the country."""
        from infer.explain import explain_text

        return explain_text(self.scorer, text, top)
