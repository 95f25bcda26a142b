"""threat-tagger as a user runs it: `threat-tagger train` in a subprocess, then Predictor.load."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from infer.errors import ThreatTaggerError
from train.bench import REPO_ROOT, SEED, cli_executable
from train.bench.data import write_jsonl

CONFIGS = REPO_ROOT / "train" / "configs"


def config_path(name: str) -> Path:
    """A config from train/configs; satp.toml falls back to default.toml until it exists."""
    path = CONFIGS / f"{name}.toml"
    if name == "satp" and not path.exists():
        path = CONFIGS / "default.toml"
    if not path.exists():
        raise ThreatTaggerError(f"{path}: benchmark config missing")
    return path


def train_cli(config: Path, out: Path, corpora: Sequence[str | Path] = ()) -> float:
    """Run `threat-tagger train --config C [--corpus X ...] --out DIR`; return its seconds."""
    command = [
        *cli_executable(),
        "train",
        "--config",
        str(config),
        "--out",
        str(out),
        "--seed",
        str(SEED),
    ]
    for corpus in corpora:
        command += ["--corpus", str(corpus)]
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=dict(os.environ), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise ThreatTaggerError(
            f"{' '.join(command)} failed ({done.returncode}): " + " | ".join(tail)
        )
    return time.perf_counter() - start


class ThreatTaggerModel:
    """A model trained by the CLI and used through `Predictor` (the third column)."""

    name = "threat-tagger"

    def __init__(self, config: Path, workdir: Path, key: str) -> None:
        self.config = config
        self.folder = workdir / f"model-{key}"
        self.workdir = workdir
        self.key = key
        self.predictor = None
        self.train_seconds = 0.0

    def fit_records(self, records: list[dict]) -> ThreatTaggerModel:
        """Write the records as canonical JSONL and train on exactly that file."""
        corpus = write_jsonl(records, self.workdir / f"train-{self.key}.jsonl")
        self.train_seconds = train_cli(self.config, self.folder, [corpus])
        return self._load()

    def fit_config(self) -> ThreatTaggerModel:
        """Train on the corpora the config itself lists."""
        self.train_seconds = train_cli(self.config, self.folder)
        return self._load()

    def _load(self) -> ThreatTaggerModel:
        """Load the trained folder with the runtime Predictor."""
        from infer.predictor import Predictor

        self.predictor = Predictor.load(self.folder)
        return self

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        """Assigned incident types per text (tuned per-label thresholds)."""
        return [list(p.incident_types) for p in self.predictor.predict(texts)]

    def predict_geo(self, texts: Sequence[str]) -> list[tuple[str | None, str | None]]:
        """(region, country) per text, after the model's consistency rule."""
        return [(p.region, p.country) for p in self.predictor.predict(texts)]
