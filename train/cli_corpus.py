"""`threat-tagger corpus`: convert raw sources, show corpus statistics, validate corpora."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

from infer.errors import ThreatTaggerError
from train.extras import exit_unless_train_extra

app = typer.Typer(help="Convert, inspect and validate corpora.", no_args_is_help=True)

TOP = 10
SkipInvalid = Annotated[
    bool, typer.Option("--skip-invalid", help="Drop invalid rows instead of failing.")
]
AllowNetwork = Annotated[
    bool, typer.Option("--allow-network", help="Let Hugging Face hub specs download.")
]
Specs = Annotated[
    list[str],
    typer.Argument(help="Files, directories, globs, SOURCE:PATH or Hugging Face dataset names."),
]


def _stderr() -> Console:
    """Console for messages."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn a ThreatTaggerError into one `error: ...` line on stderr and exit status 1."""
    try:
        yield
    except ThreatTaggerError as exc:
        message = " ".join(str(exc).split())
        _stderr().print(f"error: {message}", markup=False)
        raise typer.Exit(1) from None


@app.command()
def convert(
    source: Annotated[str, typer.Argument(help="Converter name, e.g. satp or wikipedia.")],
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="The raw source file.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Output .jsonl, .csv or .parquet file.")
    ],
) -> None:
    """Convert a raw source file into a canonical corpus file."""
    exit_unless_train_extra("corpus convert")
    with _user_errors():
        from train.records import RecordError, validate_record, write_records
        from train.sources import convert as run_converter

        conversion = run_converter(source, input_path)
        records, invalid = [], Counter(conversion.dropped)
        for i, record in enumerate(conversion.records):
            try:
                records.append(validate_record(record, f"{input_path}: record {i + 1}"))
            except RecordError:
                invalid["invalid canonical record"] += 1
        write_records(records, output)
        err = _stderr()
        err.print(f"{len(records)} records written to {output}", markup=False)
        for reason, count in invalid.most_common():
            err.print(f"dropped {count}: {reason}", markup=False)
        for raw, count in conversion.unmapped.most_common(TOP):
            err.print(f"unmapped {count}: {raw!r}", markup=False)


def _counts_table(
    title: str, key: str, counts: Counter[str], total: int, top: int | None = None
) -> Table:
    """A count table (key, records, share of total), most common first."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column(key)
    table.add_column("records", justify="right")
    table.add_column("share", justify="right")
    for key, count in counts.most_common(top):
        table.add_row(key, str(count), f"{count / total:.1%}" if total else "-")
    return table


@app.command()
def stats(
    specs: Specs, skip_invalid: SkipInvalid = False, allow_network: AllowNetwork = False
) -> None:
    """Records, labels, regions, countries, duplicate groups and invalid rows per corpus."""
    from rich.console import Console
    from rich.table import Table

    exit_unless_train_extra("corpus stats")
    from infer.taxonomy import INCIDENT_TYPES
    from train.corpus import load_corpus
    from train.dedup import duplicate_groups

    out = Console()
    with _user_errors():
        for spec in specs:
            corpus = load_corpus(spec, skip_invalid=skip_invalid, allow_network=allow_network)
            records = corpus.records
            total = len(records)
            sizes = Counter(duplicate_groups([r["text"] for r in records]))
            overview = Table(title=f"corpus {spec}", show_header=False)
            overview.add_row("records", str(total))
            overview.add_row("invalid rows", str(corpus.dropped))
            if corpus.converter_dropped:
                overview.add_row(
                    "dropped by converter", str(sum(corpus.converter_dropped.values()))
                )
            overview.add_row(
                "duplicate groups (>1 member)", str(sum(s > 1 for s in sizes.values()))
            )
            overview.add_row("records in them", str(sum(s for s in sizes.values() if s > 1)))
            labels = Counter(dict.fromkeys((*INCIDENT_TYPES, "none"), 0))
            for r in records:
                labels.update(r["incident_types"] or ["none"])
            regions = Counter(r["region"] or "(none)" for r in records)
            countries = Counter(r["country"] or "(none)" for r in records)
            out.print(overview)
            out.print(_counts_table("incident types", "label", labels, total))
            out.print(_counts_table("regions", "region", regions, total))
            out.print(_counts_table(f"top {TOP} countries", "country", countries, total, TOP))


@app.command()
def check(
    specs: Specs, skip_invalid: SkipInvalid = False, allow_network: AllowNetwork = False
) -> None:
    """Validate corpora; exit 1 listing every invalid row (with --skip-invalid only warn)."""
    from rich.console import Console

    exit_unless_train_extra("corpus check")
    from train.corpus import load_corpus

    out, err = Console(soft_wrap=True, highlight=False), _stderr()
    failed = False
    with _user_errors():
        for spec in specs:
            corpus = load_corpus(spec, skip_invalid=True, allow_network=allow_network)
            for message in corpus.errors:
                err.print(message, markup=False)
            status = "ok" if not corpus.errors else "warn" if skip_invalid else "invalid"
            out.print(
                f"{status} {spec}: {len(corpus.records)} valid records, "
                f"{corpus.dropped} invalid rows",
                markup=False,
            )
            failed = failed or (bool(corpus.errors) and not skip_invalid)
    if failed:
        raise typer.Exit(1)
