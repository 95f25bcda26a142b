"""Shared fixtures: the real corpora (THREAT_CORPORA, skipped when absent) and a small model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer

REPO_ROOT = Path(__file__).resolve().parents[1]
REPO = REPO_ROOT
DEMO = REPO_ROOT / "data" / "demo"


@pytest.fixture(scope="session")
def corpora_dir() -> Path:
    """The shared real corpora folder; skips the test when it is not there."""
    path = Path(os.environ.get("THREAT_CORPORA", REPO_ROOT.parent / "shared" / "corpora"))
    if not path.is_dir():
        pytest.skip(f"real corpora not found at {path} (set THREAT_CORPORA)")
    return path


def train_small_model(base: Path) -> Path:
    """A model trained once per session on every 4th demo record, always naming a country."""
    out = base / "scoring-model"
    if (out / "meta.json").is_file():
        return out
    from train.config import load_config
    from train.fit import train_model

    subset = base / "scoring-corpus.jsonl"
    lines = [
        line
        for path in sorted(DEMO.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    subset.write_text("\n".join(lines[::4]) + "\n", encoding="utf-8")
    train_model(
        load_config(
            REPO / "train/configs/default.toml",
            corpora=[str(subset)],
            out=str(out),
            overrides=["model.country_min_probability=0.0"],
        )
    )
    return out


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo model folder, trained once per session (scoring and predict tests)."""
    return train_small_model(tmp_path_factory.getbasetemp())


@pytest.fixture
def app() -> typer.Typer:
    """A typer app with the scoring commands registered, as train/cli.py does."""
    from infer.cli import register

    application = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @application.callback()
    def _root() -> None:
        """Test root."""

    register(application)
    return application
