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
# ... and at most this many characters (RAND's batches of 1024 hold 113k-460k): a batch's
# working memory grows with its characters. The bench's 906 SATP stories of 250+ words (1.7M
# characters) took a peak RSS of 203 MB in one batch and 148 MB in batches of at most 500k,
# in the same time on a quiet machine; with other jobs on the CPU, the 3x fewer page faults
# made them faster. 1024 texts of 9.6k characters: 646 MB in one batch, 160 MB in these.
BATCH_CHARS = 500_000


def _batches(texts: Iterable[str], size: int, chars: int = BATCH_CHARS) -> Iterator[list[str]]:
    """Consecutive lists of at most `size` texts holding at most `chars` characters (a
    longer text alone)."""
    iterator = iter(texts)
    while batch := list(islice(iterator, size)):
        if sum(map(len, batch)) <= chars:
            yield batch
            continue
        start, total = 0, 0
        for end, length in enumerate(map(len, batch)):
            if end > start and total + length > chars:
                yield batch[start:end]
                start, total = end, 0
            total += length
        yield batch[start:]


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
        for batch in _batches(texts, batch_size, BATCH_CHARS):
            out.extend(
                self.scorer.predictions(BlockRows(self.model.featurizer, batch), batch, threshold)
            )
        return out

    def explain(self, text: str, top: int = 10) -> Explanation:
        """Which n-grams pushed each assigned label, the region and the country."""
        from infer.explain import explain_text

        return explain_text(self.scorer, text, top)
