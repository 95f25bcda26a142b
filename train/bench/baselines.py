"""The two baselines, naive sklearn and fastText, behind one fit/predict_proba interface."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from train.bench import REPO_ROOT, SEED

NONE_LABEL = "none"  # fastText skips unlabelled lines, so negatives get this label
FASTTEXT_PARAMS = {
    "loss": "ova",
    "wordNgrams": 2,
    "epoch": 25,
    "lr": 0.5,
    "dim": 50,
    "bucket": 200_000,
    "minCount": 1,
    "thread": 1,
    "seed": SEED,
    "verbose": 0,
}


def fasttext_text(text: str) -> str:
    """fastText's input form: one line (newlines stripped), lowercased."""
    return " ".join(text.lower().split())


class NaiveModel:
    """TF-IDF (1-2 grams, sublinear tf, min_df 2) + one-vs-rest LogisticRegression."""

    name = "naive"

    def __init__(self, multi_label: bool = True) -> None:
        self.multi_label = multi_label
        self.classes_: list[str] = []
        self.pipeline = None

    def fit(self, texts: Sequence[str], targets: Sequence) -> NaiveModel:
        """Fit on texts and label lists (multi-label) or one class per text (single-label)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import MultiLabelBinarizer

        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        if self.multi_label:
            self.classes_ = sorted({label for labels in targets for label in labels})
            y = MultiLabelBinarizer(classes=self.classes_).fit_transform(targets)
            head = OneVsRestClassifier(LogisticRegression(max_iter=1000))
        else:
            self.classes_ = sorted(set(targets))
            y = np.asarray([self.classes_.index(c) for c in targets])
            head = LogisticRegression(max_iter=1000)
        self.pipeline = make_pipeline(vectorizer, head).fit(list(texts), y)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, one column per entry of classes_."""
        if len(self.classes_) == 1 and not self.multi_label:
            return np.ones((len(texts), 1))
        return self.pipeline.predict_proba(list(texts))

    def predict(self, texts: Sequence[str], threshold: float = 0.5) -> list:
        """Label lists over `threshold` (multi-label) or the argmax class (single-label)."""
        return _decide(self.predict_proba(texts), self.classes_, self.multi_label, threshold)

    def save(self, path: str | Path) -> None:
        """Persist with joblib (sklearn's documented way)."""
        import joblib

        joblib.dump(
            {"classes": self.classes_, "pipeline": self.pipeline, "multi_label": self.multi_label},
            path,
        )

    @classmethod
    def load(cls, path: str | Path) -> NaiveModel:
        """Load a model written by save()."""
        import joblib

        data = joblib.load(path)
        model = cls(data["multi_label"])
        model.classes_, model.pipeline = data["classes"], data["pipeline"]
        return model


class FastTextModel:
    """fastText supervised (`loss='ova'`, wordNgrams=2) trained from a temp file."""

    name = "fasttext"

    def __init__(self, multi_label: bool = True) -> None:
        self.multi_label = multi_label
        self.classes_: list[str] = []
        self.model = None
        self.lr_used: float | None = None

    def fit(self, texts: Sequence[str], targets: Sequence) -> FastTextModel:
        """Fit on texts and label lists (multi-label) or one class per text (single-label)."""
        import fasttext

        label_sets = targets if self.multi_label else [[c] for c in targets]
        self.classes_ = sorted({label for labels in label_sets for label in labels})
        params = dict(FASTTEXT_PARAMS)
        if not self.multi_label:
            params["loss"] = "softmax"
        with tempfile.TemporaryDirectory(prefix="bench-fasttext-") as folder:
            data = Path(folder) / "train.txt"
            with data.open("w", encoding="utf-8") as out:
                for text, labels in zip(texts, label_sets, strict=True):
                    tags = " ".join(f"__label__{_token(label)}" for label in labels or [NONE_LABEL])
                    out.write(f"{tags} {fasttext_text(text)}\n")
            binary = Path(folder) / "model.bin"
            self.lr_used = train_in_subprocess(data, binary, params)
            self.model = fasttext.load_model(str(binary))
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, one column per entry of classes_ (the `none` label dropped)."""
        column = {_token(label): i for i, label in enumerate(self.classes_)}
        lines = [fasttext_text(text) for text in texts]
        labels, probs = self.model.predict(lines, k=-1, threshold=0.0)
        out = np.zeros((len(lines), len(self.classes_)))
        for row, (names, values) in enumerate(zip(labels, probs, strict=True)):
            for name, value in zip(names, values, strict=True):
                index = column.get(name[len("__label__") :])
                if index is not None:
                    out[row, index] = min(float(value), 1.0)
        return out

    def predict(self, texts: Sequence[str], threshold: float = 0.5) -> list:
        """Label lists over `threshold` (multi-label) or the argmax class (single-label)."""
        return _decide(self.predict_proba(texts), self.classes_, self.multi_label, threshold)

    def save(self, path: str | Path) -> None:
        """Write fastText's own binary format."""
        self.model.save_model(str(path))


def train_in_subprocess(data: Path, binary: Path, params: dict) -> float:
    """Train fastText on `data` in a fresh Python process, save it to `binary`, return the
    learning rate used (halved up to three times while training diverges with NaN).

    why a fresh process: in a long benchmark process fastText diverged with NaN on CASE's 768
    records at every learning rate down to 0.0625, while a fresh process trains the same file at
    0.5 (the process's earlier work leaves a state that fastText's training is sensitive to).
    """
    done = subprocess.run(
        [sys.executable, "-m", "train.bench.fasttext_fit", str(data), str(binary)],
        input=json.dumps(params),
        cwd=REPO_ROOT,  # `-m train.bench...` resolves from the repository, as the CLI does
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        raise RuntimeError(f"fastText training failed: {' '.join(tail)}")
    return float(done.stdout.strip().splitlines()[-1])


def _token(label: str) -> str:
    """A label as one fastText token (country/region names contain spaces)."""
    return label.replace(" ", "_")


def _decide(proba: np.ndarray, classes: list[str], multi_label: bool, threshold: float) -> list:
    """Turn probabilities into label lists or argmax classes."""
    if not multi_label:
        return [classes[i] for i in np.argmax(proba, axis=1)] if len(classes) else []
    return [[classes[j] for j in np.flatnonzero(row >= threshold)] for row in proba]
