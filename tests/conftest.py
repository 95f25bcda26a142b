"""Shared fixtures: where the real corpora live (THREAT_CORPORA), skipped when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def corpora_dir() -> Path:
    """The shared real corpora folder; skips the test when it is not there."""
    path = Path(os.environ.get("THREAT_CORPORA", REPO_ROOT.parent / "shared" / "corpora"))
    if not path.is_dir():
        pytest.skip(f"real corpora not found at {path} (set THREAT_CORPORA)")
    return path
