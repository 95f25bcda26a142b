"""Benchmarks: speed (issue 5) and accuracy (issue 6) of threat-tagger against two baselines.

Run `python -m train.bench` (or `make bench`); it writes BENCHMARKS.md and BENCHMARKS.json.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from infer.errors import ThreatTaggerError

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPORA_VAR = "THREAT_CORPORA"
SEED = 0
THREE_TYPES = ("bombing", "armed_assault", "kidnap")


def corpora_dir() -> Path:
    """The shared corpora folder: $THREAT_CORPORA, else ../shared/corpora beside the repo."""
    raw = os.environ.get(CORPORA_VAR)
    folder = Path(raw) if raw else REPO_ROOT.parent / "shared" / "corpora"
    if not folder.is_dir():
        raise ThreatTaggerError(
            f"corpora folder {folder} not found: the benchmarks need the shared real corpora; "
            f"set {CORPORA_VAR} to the folder holding wikipedia_incidents.csv, satp.csv, "
            "case2021_task2.tsv and rand_rdwti.csv"
        )
    return folder


def cli_executable() -> list[str]:
    """The `threat-tagger` console script of the running interpreter's environment."""
    script = Path(sys.executable).parent / "threat-tagger"
    if script.exists():
        return [str(script)]
    raise ThreatTaggerError(f"{script} not found: install the project (`make install`)")
