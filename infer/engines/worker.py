"""What a cluster worker does with one split: read, score, write one part file atomically.

Both engines run `score_split`. The predictor is loaded once per worker process and cached, so
a task carries only the split and the job settings, never the model. A part is written to a
temporary file (named after the writing process) and renamed into place when complete, so a
retried split (a worker died, or a speculative copy) replaces the part with the same content:
nothing is lost and nothing is duplicated.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infer.batch import Scorer, chunks_of
from infer.engines.parts import open_part
from infer.engines.splits import Split, read_split
from infer.predictor import Predictor

FIRST_FAILURES = 5
_PREDICTORS: dict[str, Predictor] = {}


@dataclass(frozen=True)
class Job:
    """The settings every task of a job shares (small: sent with each task)."""

    model: str  # a model folder path as the workers see it
    staging: str  # the folder the parts go to (on storage that every worker sees)
    fmt: str = "jsonl"  # part format: 'jsonl' or 'parquet'
    text_field: str = "text"
    id_field: str = "id"
    explain: bool = False
    batch_size: int = 1024


def predictor_for(model: str) -> Predictor:
    """The predictor of a model folder, loaded once per process."""
    predictor = _PREDICTORS.get(model)
    if predictor is None:
        predictor = _PREDICTORS[model] = Predictor.load(model)
    return predictor


def cache_predictor(model: str, predictor: Predictor) -> None:
    """Put an already loaded predictor in this process's cache (worker plugins do this)."""
    _PREDICTORS[model] = predictor


def part_name(index: int, fmt: str) -> str:
    """The file name of part `index`."""
    return f"part-{index:05d}.{fmt}"


def score_split(split: Split, job: Job) -> dict[str, Any]:
    """Score one split into its part file; returns the part's counts and first failures."""
    scorer = Scorer(predictor_for(job.model), job.explain)
    folder = Path(job.staging)
    final = folder / part_name(split.index, job.fmt)
    temp = folder / f".{final.name}.{os.getpid()}.tmp"
    summary: dict[str, Any] = {
        "index": split.index,
        "records": 0,
        "failures": 0,
        "warnings": 0,
        "first": [],
    }
    try:
        with open_part(temp, job.fmt, explain=job.explain) as part:
            records = read_split(split, text_field=job.text_field, id_field=job.id_field)
            for chunk in chunks_of(records, job.batch_size):
                outputs = scorer(chunk)
                part.write_many(outputs)
                _count(summary, outputs)
        os.replace(temp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return summary


def _count(summary: dict[str, Any], outputs: list[dict[str, Any]]) -> None:
    """Add a chunk's outputs to the split's counts."""
    summary["records"] += len(outputs)
    for out in outputs:
        if "error" in out:
            summary["failures"] += 1
            if len(summary["first"]) < FIRST_FAILURES:
                summary["first"].append(f"{out['source']}: {out['error']}")
        elif "warning" in out:
            summary["warnings"] += 1
