"""`score --engine dask|spark`: check the options, run the job, print the summary on stderr."""

from __future__ import annotations

import os
import time
from typing import NoReturn

import typer

from infer.engines.worker import FIRST_FAILURES


def _fail(message: str, code: int = 1) -> NoReturn:
    """Print one `error: ...` line on stderr and exit."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def score_on_cluster(
    engine: str,
    inputs: list[str],
    *,
    output: str | None,
    model: str | None,
    fmt: str | None,
    workers: int | None,
    cluster: str | None,
    text_field: str,
    id_field: str,
    explain: bool,
    batch_size: int,
    split_mb: float,
) -> None:
    """Score INPUTS on a Dask or Spark cluster into the new folder `output`."""
    if not output or output == "-":
        _fail(f"--engine {engine} writes a folder of part files: give it with -o FOLDER", 2)
    if fmt == "csv":
        _fail(f"--engine {engine} writes jsonl or parquet parts (--format jsonl|parquet)", 2)
    if cluster is not None and workers is not None:
        _fail("--workers sizes the local cluster; a cluster given by --cluster keeps its own", 2)
    from infer.engines.job import model_path, run_job
    from infer.errors import ThreatTaggerError
    from infer.predictor import Predictor
    from infer.writers import check_output

    try:
        check_output(output, inputs, folder=True)
    except ThreatTaggerError as exc:
        _fail(str(exc), 2)
    start = time.perf_counter()
    try:
        Predictor.load(model_path(model))  # a bad model fails here with one clear line
        outcome = run_job(
            engine,
            inputs,
            output,
            model=model,
            fmt=fmt or "jsonl",
            workers=workers or os.cpu_count() or 1,
            cluster=cluster,
            text_field=text_field,
            id_field=id_field,
            explain=explain,
            batch_size=batch_size,
            split_bytes=max(int(split_mb * (1 << 20)), 1),
        )
    except ModuleNotFoundError as exc:
        _fail(f"--engine {engine} needs {exc.name}: pip install 'threat-tagger[{engine}]'")
    except KeyboardInterrupt:
        _fail("interrupted; no output folder was written", 130)
    except ThreatTaggerError as exc:
        _fail(f"{exc}" if "no output" in str(exc) else f"{exc}; no output folder was written")
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    seconds = max(time.perf_counter() - start, 1e-9)
    typer.echo(
        f"{outcome.records} records, {outcome.failures} failures, {outcome.warnings} "
        f"warnings in {seconds:.2f} s ({outcome.records / seconds:.0f} docs/s); "
        f"{outcome.parts} parts in {output}",
        err=True,
    )
    if outcome.first:
        more = outcome.failures - min(len(outcome.first), FIRST_FAILURES)
        typer.echo(
            "failures:\n"
            + "\n".join(f"  {f}" for f in outcome.first[:FIRST_FAILURES])
            + (f"\n  ... and {more} more" if more else ""),
            err=True,
        )
    if outcome.failures:
        raise typer.Exit(1)
