"""`threat-tagger evaluate`: score a model on labelled corpora (tables, JSON or a report)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.table import Table

from infer.errors import ThreatTaggerError
from train.extras import exit_unless_train_extra

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _fmt(value: float | None) -> str:
    """A metric with three decimals; n/a for one measured on nothing (None)."""
    return "n/a" if value is None else f"{value:.3f}"


def incident_table(metrics: dict[str, Any]) -> Table:
    """Per-label precision/recall/F1/support and the averaged F1s."""
    from rich.table import Table

    incident = metrics["incident_types"]
    table = Table(title=f"Incident types ({metrics['n']} records)", title_justify="left")
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for label, scores in incident["per_label"].items():
        annotated = scores.get("annotated_records", metrics["n"])
        table.add_row(
            label,
            _fmt(scores["precision"]),
            _fmt(scores["recall"]),
            _fmt(scores["f1"]),
            str(scores["support"]) if annotated else "not annotated",
            style="dim" if scores["support"] == 0 else None,
        )
    table.add_section()
    for name in ("micro", "macro", "samples"):
        table.add_row(f"{name} F1", "", "", _fmt(incident[f"{name}_f1"]), "")
    return table


def geography_table(metrics: dict[str, Any]) -> Table:
    """Region and country scores plus the false-tag rate on non-attack records."""
    from rich.table import Table

    region, country = metrics["region"], metrics["country"]
    untagged = metrics["incident_types"]["non_attack_records"]
    table = Table(title="Geography and false tags", title_justify="left")
    for column in ("metric", "value", "records"):
        table.add_column(column, justify="left" if column == "metric" else "right")

    def value(score: float | None, n: int) -> str:
        return _fmt(score) if n else "n/a"

    table.add_row("region accuracy", value(region["accuracy"], region["n"]), str(region["n"]))
    table.add_row("region macro F1", value(region["macro_f1"], region["n"]), str(region["n"]))
    table.add_row("country accuracy", value(country["accuracy"], country["n"]), str(country["n"]))
    table.add_row(
        "false-tag rate (non-attack reports given a tag)",
        value(metrics["incident_types"]["false_tag_rate"], untagged),
        str(untagged),
    )
    return table


def report_folder(root: Path, spec: str, several: bool) -> Path:
    """Where one corpus's report goes: root itself, or root/<spec as a file name>."""
    return root / (_UNSAFE.sub("_", spec).strip("_.") or "corpus") if several else root


def _write_report(predictor: Any, evaluation: Any, folder: Path, spec: str) -> None:
    """metrics.json (with calibration), the plots, errors.md and errors.jsonl for one corpus."""
    from train.evaluate import worst_errors, write_errors
    from train.plots import write_evaluation_plots

    try:
        folder.mkdir(parents=True, exist_ok=True)
        calibration = evaluation.calibration
        metrics = {**evaluation.metrics, "calibration": calibration}
        (folder / "metrics.json").write_text(
            json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        write_evaluation_plots(evaluation.metrics, calibration, folder, spec)
        write_errors(worst_errors(predictor, evaluation), folder, spec)
    except OSError as exc:
        raise ThreatTaggerError(
            f"{folder}: cannot write the report ({exc.strerror or exc})"
        ) from None


def _run(
    model: Path, corpora: list[str], as_json: bool, report: Path | None, skip_invalid: bool
) -> None:
    """Load the model and every corpus first, then print the scores and write the reports."""
    from rich.console import Console

    from infer.predictor import Predictor
    from train.corpus import load_corpus
    from train.evaluate import evaluate_records

    messages = Console(stderr=True)
    start = time.perf_counter()

    def log(line: str) -> None:  # one line per stage, with the time since the start
        messages.print(
            f"evaluate {time.perf_counter() - start:7.1f} s  {line}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )

    predictor = Predictor.load(model)
    loaded = []
    for spec in corpora:
        corpus = load_corpus(spec, skip_invalid=skip_invalid)
        if not corpus.records:
            raise ThreatTaggerError(f"{spec}: no records to evaluate")
        loaded.append((spec, corpus.records, corpus.dropped))
    for spec, records, dropped in loaded:  # (after all loaded: an error stays one line)
        log(
            f"loaded {spec}: {len(records)} records"
            + (f", skipped {dropped} invalid records" if dropped else "")
        )
    results: dict[str, Any] = {}
    out = Console()
    for spec, records, _ in loaded:
        log(f"scoring {spec}: {len(records)} records")
        evaluation = evaluate_records(predictor, records)
        results[spec] = evaluation.metrics
        if not as_json:
            out.rule(f"[bold]{spec}")
            out.print(incident_table(evaluation.metrics))
            out.print(geography_table(evaluation.metrics))
        if report is not None:
            folder = report_folder(report, spec, len(corpora) > 1)
            _write_report(predictor, evaluation, folder, spec)
            log(f"report for {spec} written to {folder}")
    if as_json:
        typer.echo(json.dumps({"corpora": results}))


def evaluate(
    model: Annotated[Path, typer.Argument(help="Model folder (e.g. models/default).")],
    corpora: Annotated[
        list[str],
        typer.Argument(
            help="Labelled corpora: files, folders, globs or SOURCE:PATH (e.g. satp:satp.csv)."
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON object with every corpus's metrics, nothing else."
        ),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write plots, metrics.json, errors.md and errors.jsonl here "
            "(one sub-folder per corpus when several are given).",
        ),
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Drop invalid records instead of failing.")
    ] = False,
) -> None:
    """Score a trained model on labelled corpora."""
    exit_unless_train_extra("evaluate")
    try:
        _run(model, corpora, as_json, report, skip_invalid)
    except ThreatTaggerError as exc:
        typer.echo("error: " + " ".join(str(exc).splitlines()), err=True)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    """Add the `evaluate` command to the app."""
    app.command("evaluate")(evaluate)
