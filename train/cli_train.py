"""The `threat-tagger train` command (mounted by train/cli.py through `register`)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from infer.errors import ThreatTaggerError
from train.extras import exit_unless_train_extra


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the staged model folder is removed on the way out."""


def _terminated(signum: int, frame: object) -> NoReturn:
    """SIGTERM handler."""
    raise Terminated


def _total_steps(n_labels: int, gate: bool) -> int:
    """Progress steps: load, group, 2 x (features + gate + heads + region + country), tune,
    write."""
    return 2 + 2 * (n_labels + 3 + int(gate)) + 2


FEW_EXAMPLES = 10  # below this many training examples a label's head and threshold are guesses


def _summary(result) -> list[str]:
    """The lines printed after training, then its warnings."""
    per_label = result.metrics["dev"]["incident_types"]["per_label"]
    split = result.metrics["split"]
    lines = [
        f"trained on {split['records']} records ({split['train']} train / {split['dev']} dev) "
        f"in {result.seconds:.1f} s",
        "dev F1: "
        + ", ".join(
            f"{label} {'n/a' if s['f1'] is None else format(s['f1'], '.2f')}"
            for label, s in per_label.items()
        ),
        f"model: {result.folder}",
    ]
    return lines + [f"warning: {w}" for w in training_warnings(result.meta, per_label)]


def training_warnings(meta: dict, per_label: dict) -> list[str]:
    """Shared ids and labels with too few examples to learn or tune."""
    warnings = []
    shared = meta["training"].get("duplicate_ids", {"count": 0})
    if shared["count"]:
        first = ", ".join(f"{record_id!r} x{n}" for record_id, n in shared["first"].items())
        warnings.append(
            f"{shared['count']} ids are shared by more than one training record "
            f"(e.g. {first}); check the corpus for duplicated or clashing records"
        )
    for label, count in meta["training"]["per_label"].items():
        if 0 < count < FEW_EXAMPLES:
            f1 = per_label.get(label, {}).get("f1")
            warnings.append(
                f"label {label} has only {count} training example{'s' * (count != 1)} (fewer "
                f"than {FEW_EXAMPLES}): its head is barely fitted and its threshold is "
                f"{meta['thresholds'][label]:.2f}" + ("" if f1 is None else f" (dev F1 {f1:.2f})")
            )
    return warnings


def train(
    config: Annotated[Path | None, typer.Option("--config", help="TOML run config.")] = None,
    corpus: Annotated[
        list[str] | None,
        typer.Option(
            "--corpus", help="Corpus spec (path or SOURCE:PATH); repeatable; replaces the config's."
        ),
    ] = None,
    out: Annotated[str | None, typer.Option("--out", help="Model folder to write.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for the split.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Override a config value: section.key=value (TOML value); repeatable."
        ),
    ] = None,
) -> None:
    """Train a model from a config and write its folder atomically."""
    exit_unless_train_extra("train")
    from rich.console import Console

    from infer.taxonomy import INCIDENT_TYPES
    from train.config import load_config
    from train.fit import train_model
    from train.progress import Stages

    console = Console(stderr=True)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main_thread else None
    try:
        cfg = load_config(config, corpora=corpus, out=out, seed=seed, overrides=set_ or [])
        if out is not None and not any(s.startswith("run.name=") for s in set_ or []):
            cfg.run.name = Path(out).name
        with Stages(console, "train", _total_steps(len(INCIDENT_TYPES), cfg.model.gate)) as step:
            result = train_model(cfg, step=step)
    except ThreatTaggerError as exc:
        console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt as exc:
        what, code = ("terminated", 143) if isinstance(exc, Terminated) else ("interrupted", 130)
        console.print(f"error: {what}; the previous model was left untouched", markup=False)
        raise typer.Exit(code) from None
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    for line in _summary(result):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the `train` command to the given app."""
    app.command("train")(train)
