"""Run a `score` job on a cluster engine: plan splits, score them, publish the output folder.

The parts are written into a hidden staging folder beside the output; only when every split
has its part is the staging folder renamed to the output folder (with a `_SUCCESS` file), so a
failed or interrupted job leaves nothing that passes for a complete output.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infer.engines.splits import SPLIT_BYTES, Split, plan_splits
from infer.engines.worker import Job, part_name
from infer.errors import ThreatTaggerError
from infer.predictor import DEFAULT_MODEL, MODEL_VAR
from infer.writers import check_output

ENGINES = ("dask", "spark")
SUCCESS = "_SUCCESS"
SPLITS_PER_WORKER = 4
MIN_SPLIT_BYTES = 256 << 10


@dataclass
class Outcome:
    """What a finished job scored."""

    records: int = 0
    failures: int = 0
    warnings: int = 0
    parts: int = 0
    first: list[str] = field(default_factory=list)


def model_path(model: str | None) -> str:
    """The absolute model folder: `model`, else $THREAT_TAGGER_MODEL, else models/default."""
    return str(Path(model or os.environ.get(MODEL_VAR) or DEFAULT_MODEL).resolve())


def run_job(
    engine: str,
    inputs: list[str],
    output: str,
    *,
    model: str | None = None,
    fmt: str = "jsonl",
    workers: int = 2,
    cluster: str | None = None,
    text_field: str = "text",
    id_field: str = "id",
    explain: bool = False,
    batch_size: int = 1024,
    split_bytes: int = SPLIT_BYTES,
    ship_model: bool = True,
) -> Outcome:
    """Score `inputs` on `engine` into the new folder `output`; raises ThreatTaggerError
    (OutputError before any work when `output` may not be written: see check_output)."""
    if engine not in ENGINES:
        raise ThreatTaggerError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    check_output(output, inputs, folder=True)
    target = Path(output)
    run_splits = _engine(engine)
    splits = plan_splits(
        inputs,
        split_bytes=_split_size(inputs, split_bytes, workers),
        text_field=text_field,
        id_field=id_field,
    )
    staging = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.staging"
    staging.mkdir()
    job = Job(
        model=model_path(model),
        staging=str(staging.resolve()),
        fmt=fmt,
        text_field=text_field,
        id_field=id_field,
        explain=explain,
        batch_size=batch_size,
    )
    try:
        summaries = (
            run_splits(splits, job, workers=workers, cluster=cluster, ship_model=ship_model)
            if splits
            else []
        )
        outcome = _publish(staging, target, splits, summaries, fmt)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return outcome


def _split_size(inputs: list[str], split_bytes: int, workers: int) -> int:
    """`split_bytes`, or less when the inputs would not give each worker SPLITS_PER_WORKER
    slices (a small job still uses every worker), but never under MIN_SPLIT_BYTES."""
    from infer.readers import STDIN, expand_inputs

    total = 0
    for name in expand_inputs(inputs):
        path = Path(name)
        if name != STDIN and path.suffix.lower() == ".jsonl" and path.is_file():
            total += path.stat().st_size
    wanted = total // max(workers * SPLITS_PER_WORKER, 1)
    return max(min(split_bytes, wanted), min(split_bytes, MIN_SPLIT_BYTES))


def _engine(engine: str) -> Any:
    """The `run_splits` function of an engine (imports the engine's library)."""
    if engine == "dask":
        from infer.engines.dask_engine import run_splits
    else:
        from infer.engines.spark_engine import run_splits
    return run_splits


def _publish(
    staging: Path, target: Path, splits: list[Split], summaries: list[dict[str, Any]], fmt: str
) -> Outcome:
    """Check that every split has exactly one part, then rename staging to the output."""
    done = sorted(s["index"] for s in summaries)
    missing = [s for s in splits if not (staging / part_name(s.index, fmt)).is_file()]
    if done != list(range(len(splits))) or missing:
        lost = missing[0].describe() if missing else "some splits"
        raise ThreatTaggerError(
            f"the job finished without the part of {lost}; no output folder was written"
        )
    for leftover in staging.glob(".*.tmp"):  # a killed attempt's unfinished part
        with contextlib.suppress(OSError):
            leftover.unlink()
    outcome = Outcome(parts=len(splits))
    for summary in sorted(summaries, key=lambda s: s["index"]):
        outcome.records += summary["records"]
        outcome.failures += summary["failures"]
        outcome.warnings += summary["warnings"]
        outcome.first.extend(summary["first"])
    (staging / SUCCESS).write_text(
        json.dumps(
            {
                "records": outcome.records,
                "failures": outcome.failures,
                "warnings": outcome.warnings,
                "parts": outcome.parts,
                "format": fmt,
            }
        )
        + "\n"
    )
    if os.path.lexists(target):  # made by someone else while the job ran: never replaced
        raise ThreatTaggerError(
            f"{target} appeared while the job ran; it was left alone and no output was written"
        )
    os.rename(staging, target)
    return outcome


def read_output(folder: str | Path) -> list[dict[str, Any]]:
    """Every output record of a job's folder, in input order (JSONL or Parquet parts)."""
    from infer.engines.parts import read_parquet_part

    records: list[dict[str, Any]] = []
    for part in sorted(Path(folder).glob("part-*")):
        if part.suffix == ".parquet":
            records.extend(read_parquet_part(part))
        else:
            with part.open(encoding="utf-8") as lines:
                records.extend(json.loads(line) for line in lines)
    return records
