"""The `predict` (one text, for humans) and `score` (batch files) commands.

Only typer is imported at module level; the predictor, rich and the readers load inside the
commands so that `threat-tagger score` starts fast.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from infer.batch import EncodedChunk

MODEL_HELP = "Model folder (default: $THREAT_TAGGER_MODEL, else models/default)."
FIRST_FAILURES = 5
LOG_EVERY = 50_000  # records between progress lines when stderr is not a terminal
SCORE_HELP = "\n\n".join(
    (
        "Tag every record of INPUTS (files, folders, or - for JSONL on stdin), in input order.",
        "INPUTS may be .jsonl (one object per line), .csv (with a header), .txt (the whole file is "
        "one document; its id is the path), a folder (searched recursively for those), or any of "
        "them gzipped (.gz). Each input record gives exactly one output record.",
        'JSONL output: {"id", "source" ("file:line"), "incident_types" ({label: probability}), '
        '"region", "region_probability", "country", "country_probability"}, plus "warning" '
        '(non-UTF-8 bytes replaced, text over 1 MB cut) and "explanation" with --explain. A record '
        'that cannot be scored becomes {"id", "source", "error"} and the exit status is 1.',
        "CSV output columns: id, source, incident_types, incident_probabilities, region, "
        "region_probability, country, country_probability, warning, error (+ explanation as JSON "
        "with --explain). incident_types is label|label (highest probability first) and "
        "incident_probabilities holds their probabilities in the same order, e.g. bombing|kidnap "
        "and 0.9312|0.7104.",
        "--engine dask|spark scores on a cluster (a local one of --workers processes unless "
        "--cluster gives a scheduler address or master URL) and needs -o: a new folder of part "
        "files (part-00000.jsonl ... or .parquet with --format parquet, in input order, plus "
        "_SUCCESS) that appears only when the whole job succeeded. Inputs may also be .parquet.",
    )
)


class OutputFormat(StrEnum):
    """Output formats of `score`."""

    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


class Engine(StrEnum):
    """Where `score` runs: this machine's process pool, or a Dask or Spark cluster."""

    local = "local"
    dask = "dask"
    spark = "spark"


def _fail(message: str, code: int = 1) -> NoReturn:
    """Print one `error: ...` line on stderr and exit."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _load(model: str | None) -> Any:
    """Load the predictor, turning model errors into one error line."""
    from infer.errors import ThreatTaggerError
    from infer.predictor import Predictor

    try:
        return Predictor.load(model)
    except ThreatTaggerError as exc:
        _fail(str(exc))


def predict(
    text: Annotated[str, typer.Argument(help="The text to tag; - reads it from stdin.")],
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the n-grams behind each decision.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Tag one text and show its incident types, region and country."""
    import json

    if text == "-":
        text = sys.stdin.read()
    if not text.strip():
        _fail("the text is empty")
    predictor = _load(model)
    prediction = predictor.predict([text])[0]
    heads = predictor.explain(text).to_dict()["heads"] if explain else None
    if as_json:
        out = prediction.to_dict()
        if heads is not None:
            out["explanation"] = heads
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    _show(prediction, heads)


def _show(prediction: Any, heads: list[dict[str, Any]] | None) -> None:
    """Print a prediction (and its explanations) as rich tables."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    table = Table(title="threat-tagger", title_justify="left")
    table.add_column("decision")
    table.add_column("value", style="bold")
    table.add_column("probability", justify="right")
    for label, probability in prediction.incident_types.items():
        table.add_row("incident type", label, f"{probability:.3f}")
    if not prediction.incident_types:
        best = max(prediction.probabilities.items(), key=lambda kv: kv[1], default=("-", 0.0))
        table.add_row(
            "incident type",
            "[dim]none (not an attack report)[/dim]",
            f"[dim]top: {best[0]} {best[1]:.3f}[/dim]",
        )
    table.add_row(
        "region", prediction.region or "[dim]unknown[/dim]", f"{prediction.region_probability:.3f}"
    )
    country = (
        "[dim]unknown[/dim]"
        if prediction.country is None
        else f"{prediction.country_name} ({prediction.country})"
    )
    table.add_row("country", country, f"{prediction.country_probability:.3f}")
    console.print(table)
    if heads:
        console.print("\n[bold]how each incident probability is made[/bold]")
        for head in heads:
            if head["head"] == "incident":
                console.print("  " + _combination(head), markup=False, highlight=False)
    for head in heads or ():
        console.print(
            f"\n[bold]why {head['head']} = {head['label']}[/bold] (decision score "
            f"{head['decision_score']:+.3f} = intercept {head['intercept']:+.3f} "
            f"+ contributions)"
        )
        detail = Table(
            caption="char n-grams are grouped under their word; a place feature "
            "names the words it matched",
            caption_justify="left",
        )
        detail.add_column("feature")
        detail.add_column("contribution", justify="right")
        for part in head["contributions"]:
            colour = "green" if part["contribution"] > 0 else "red"
            grams = f" [dim]({part['ngrams']} n-grams)[/dim]" if part["ngrams"] > 1 else ""
            detail.add_row(
                escape(part["feature"]) + grams, f"[{colour}]{part['contribution']:+.3f}[/{colour}]"
            )
        detail.add_row("[dim](all other features)[/dim]", f"[dim]{head['rest']:+.3f}[/dim]")
        console.print(detail)


def _combination(head: dict[str, Any]) -> str:
    """One line: how the gate, the type head and the ambush rule give a label's probability."""
    label, p = head["label"], head["probability"]
    own = (
        1.0 / (1.0 + math.exp(-head["decision_score"]))
        if math.isfinite(head["decision_score"])
        else float(head["decision_score"] > 0)
    )
    where = (
        "" if head["segment"] is None else f', on the sentence window "{head["segment"][:60]}..."'
    )
    if head["implied_by"] is not None:
        source = head["implied_by"]
        return (
            f"{label} {p:.3f} = P({source}) {p:.3f}: an {source} is an {label}, so "
            f"P({label}) is at least P({source}) (its own type head gives "
            f"{own * (head['gate_probability'] or 1.0):.3f}{where})"
        )
    if head["gate_probability"] is not None:
        return (
            f"{label} {p:.3f} = P(attack) {head['gate_probability']:.3f} (gate) x "
            f"P({label} | attack) {own:.3f} (type head){where}"
        )
    return f"{label} {p:.3f} = sigmoid(type head score {head['decision_score']:+.3f}){where}"


def score(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders or - (JSONL on stdin).")],
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            help="Write here (atomically: complete or not at all) instead of stdout.",
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format", help="Output format (default: csv if OUT ends in .csv, else jsonl)."
        ),
    ] = None,
    text_field: Annotated[
        str, typer.Option("--text-field", help="JSONL key / CSV column of the text.")
    ] = "text",
    id_field: Annotated[
        str,
        typer.Option(
            "--id-field", help="JSONL key / CSV column of the id (default id: file:line)."
        ),
    ] = "id",
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Worker processes (default: CPU count; 1 scores in-process).",
        ),
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add each decision's driving n-grams.")
    ] = False,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            min=1,
            help="Records (JSONL: lines) per chunk sent to a worker (one predictor batch).",
        ),
    ] = 1024,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="local: a process pool on this "
            "machine; dask or spark: a cluster (needs -o FOLDER).",
        ),
    ] = Engine.local,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="Dask scheduler address "
            "(tcp://host:8786) or Spark master URL (spark://host:7077); default: "
            "start a local cluster.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Workers of the local cluster (default: CPU count)."),
    ] = None,
    split_mb: Annotated[
        float,
        typer.Option(
            "--split-mb",
            min=0.001,
            help="Cluster engines: plain .jsonl files are cut into slices of about this many MB.",
        ),
    ] = 32.0,
) -> None:
    """Tag every record of INPUTS (files, folders or - for stdin), in order."""
    if engine is not Engine.local:
        from infer.engines.cli import score_on_cluster

        score_on_cluster(
            engine.value,
            inputs,
            output=output,
            model=model,
            fmt=None if fmt is None else fmt.value,
            workers=workers,
            cluster=cluster,
            text_field=text_field,
            id_field=id_field,
            explain=explain,
            batch_size=batch_size,
            split_mb=split_mb,
        )
        return
    if cluster is not None or workers is not None:
        _fail("--cluster and --workers are for --engine dask|spark (use --jobs locally)", 2)
    if fmt is OutputFormat.parquet:
        _fail("--format parquet is for --engine dask|spark", 2)
    from infer import interrupts
    from infer.batch import BatchScorer
    from infer.errors import ThreatTaggerError
    from infer.readers import iter_units
    from infer.writers import check_output, make_writer, output_stream

    try:
        check_output(output, inputs)
    except ThreatTaggerError as exc:
        _fail(str(exc), 2)
    chosen = (
        fmt.value
        if fmt is not None
        else ("csv" if output and output.lower().endswith(".csv") else "jsonl")
    )
    # JSONL inputs come as blocks of raw lines: whoever scores a block parses it (a worker)
    records = iter_units(inputs, text_field=text_field, id_field=id_field, jsonl_lines=batch_size)
    tally = _Tally()
    try:
        with interrupts.handled():  # SIGTERM stops like Ctrl-C: the partial output is removed
            with interrupts.deferred():
                predictor = _load(model)
            scorer = BatchScorer(
                predictor,
                model=model,
                jobs=jobs or os.cpu_count() or 1,
                batch_size=batch_size,
                explain=explain,
                encode_as=chosen,  # worker processes encode their own output records
            )
            with output_stream(output) as stream, _collector_frozen():
                writer = make_writer(stream, chosen, explain=explain)
                for text in _progress(scorer.score_encoded(records), tally):
                    writer.write_encoded(text)  # a chunk's records at once
                    interrupts.check()
    except KeyboardInterrupt:
        _fail("interrupted; no output file was written" if output else "interrupted", 130)
    except ThreatTaggerError as exc:  # e.g. a worker process died: the output is incomplete
        _fail(
            f"{exc}; "
            + (
                "no output file was written"
                if output
                else "the output written so far is incomplete"
            )
        )
    except BrokenPipeError:  # e.g. `score ... | head`: stop quietly, like other filters
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(141) from None
    except OSError as exc:
        _fail(f"cannot write {output or 'the output'}: {exc.strerror or exc}")
    tally.report()
    if tally.failures:
        raise typer.Exit(1)


@contextlib.contextmanager
def _collector_frozen() -> Iterator[None]:
    """A block in which every object that exists now (the modules, the loaded model) is out of
    the cyclic garbage collector's sight (`gc.freeze`), back in it at the end. They live as
    long as the command, yet each full collection walked all ~50k of them: several per 80k
    records, ~5% of `score`. Workers forked in the block also inherit them frozen, so their
    collections do not write to (and copy) the parent's pages (Python's `gc.freeze` docs)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _Tally:
    """Counts of records, failures and warnings, and the first failures to list."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.records = self.failures = self.warnings = 0
        self.first: list[str] = []

    def add(self, chunk: EncodedChunk) -> None:
        """Count a chunk's output records: all of them, and those with an error or a warning
        (its notes, in record order)."""
        self.records += chunk.count
        for _, out in sorted(chunk.notes.items()):
            if "error" in out:
                self.failures += 1
                if len(self.first) < FIRST_FAILURES:
                    self.first.append(f"  {out['source']}: {out['error']}")
            elif "warning" in out:
                self.warnings += 1

    def report(self) -> None:
        """The summary line (and first failures) on stderr."""
        seconds = max(time.perf_counter() - self.start, 1e-9)
        typer.echo(
            f"{self.records} records, {self.failures} failures, {self.warnings} warnings "
            f"in {seconds:.2f} s ({self.records / seconds:.0f} docs/s)",
            err=True,
        )
        if self.first:
            more = self.failures - len(self.first)
            typer.echo(
                "failures:\n"
                + "\n".join(self.first)
                + (f"\n  ... and {more} more" if more else ""),
                err=True,
            )


def _progress(chunks: Iterable[EncodedChunk], tally: _Tally) -> Iterator[str]:
    """The encoded output records, a chunk's at a time, counted (`BatchScorer.score_encoded`);
    with a terminal on stderr, show a records/s progress bar, else log a line each time the
    count passes a multiple of LOG_EVERY records (CI, nohup and pipelines are not silent for
    minutes)."""
    if not sys.stderr.isatty():
        for chunk in chunks:
            before = tally.records
            tally.add(chunk)
            seconds = max(time.perf_counter() - tally.start, 1e-9)
            for count in range(before // LOG_EVERY + 1, tally.records // LOG_EVERY + 1):
                records = count * LOG_EVERY
                typer.echo(
                    f"score {seconds:7.1f} s  {records:,} records, "
                    f"{tally.failures:,} failures, {records / seconds:,.0f} "
                    "records/s",
                    err=True,
                )
            yield chunk.text
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (
        SpinnerColumn(),
        TextColumn("{task.completed:,.0f} records"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    # auto_refresh=False: no refresh thread alive when the worker pool forks
    with Progress(
        *columns, console=Console(stderr=True), transient=True, auto_refresh=False
    ) as bar:
        task = bar.add_task("score", total=None, rate="")
        shown = 0.0
        for chunk in chunks:
            tally.add(chunk)
            now = time.perf_counter()
            if now - shown > 0.1:
                rate = tally.records / max(now - tally.start, 1e-9)
                bar.update(
                    task, completed=tally.records, rate=f"{rate:,.0f} records/s", refresh=True
                )
                shown = now
            yield chunk.text


WARM_HELP = (
    "Compile the scoring kernels: into numba's cache, then ahead of time into one module for "
    "this CPU (needs a C compiler), which scoring loads without numba. Run it once after `pip "
    "install` (make install does; training fills numba's cache only), so that no scoring "
    "process pays the compile."
)


def warm(
    cache_only: Annotated[
        bool,
        typer.Option(
            "--numba-cache-only",
            help="Only fill numba's cache; leave the module compiled ahead of time as it is.",
        ),
    ] = False,
) -> None:
    """The `warm` command (WARM_HELP)."""
    from infer.warm import KERNEL_MODULES, build_ahead
    from infer.warm import warm as compile_kernels

    seconds = compile_kernels()
    typer.echo(f"{len(KERNEL_MODULES)} kernel modules ready in numba's cache ({seconds:.1f} s)")
    if cache_only:
        return
    try:
        built = build_ahead()
    except Exception as error:  # no C compiler, a read-only install folder, ...: numba's cache
        typer.echo(
            f"warning: the kernels could not be compiled ahead of time ({type(error).__name__}: "
            f"{error}); scoring loads them from numba's cache instead (about 1 s more start-up "
            "per process)",
            err=True,
        )
        return
    typer.echo(
        f"{built.functions} kernels compiled ahead of time into {built.path} "
        f"({built.seconds:.1f} s): scoring loads them without numba"
    )


def register(app: typer.Typer) -> None:
    """Add the `predict`, `score`, `serve` and `warm` commands to a typer app."""
    from infer.serve.command import SERVE_HELP, serve

    app.command("predict")(predict)
    app.command("score", help=SCORE_HELP)(score)
    app.command("serve", help=SERVE_HELP)(serve)
    app.command("warm", help=WARM_HELP)(warm)
