"""Load, validate and write canonical corpora (files, directories, globs, converters, HF hub)."""

from __future__ import annotations

import glob
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from train.corpus_datasets import (
    EXTENSIONS,
    CorpusError,
    Read,
    hf_offline,
    read_file,
    read_hub,
)
from train.records import RecordError, fingerprint, validate_record, write_records

__all__ = [
    "Corpus",
    "CorpusError",
    "fingerprint",
    "hf_offline",
    "load_corpora",
    "load_corpus",
    "write_records",
]

SHOWN_ERRORS = 5


@dataclass
class Corpus:
    """Validated canonical records from one spec, plus what was dropped and why."""

    name: str
    records: list[dict[str, Any]]
    dropped: int = 0
    errors: list[str] = field(default_factory=list)
    converter_dropped: Counter[str] = field(default_factory=Counter)
    unmapped: Counter[str] = field(default_factory=Counter)


def load_corpus(spec: str, *, skip_invalid: bool = False, allow_network: bool = False) -> Corpus:
    """Load and validate one corpus spec; raise CorpusError on invalid rows unless skip_invalid."""
    corpus = Corpus(name=spec, records=[])
    for rows, locate, errors in _read_spec(spec, corpus, allow_network):
        corpus.errors.extend(errors)
        corpus.dropped += len(errors)
        for i, raw in enumerate(rows):
            try:
                corpus.records.append(validate_record(raw, locate(i)))
            except RecordError as exc:
                corpus.errors.append(str(exc))
                corpus.dropped += 1
    if corpus.errors and not skip_invalid:
        raise CorpusError(summarise_errors(spec, corpus.errors))
    return corpus


def load_corpora(specs: Iterable[str], **kwargs: Any) -> list[Corpus]:
    """load_corpus for each spec, in order."""
    return [load_corpus(spec, **kwargs) for spec in specs]


def summarise_errors(spec: str, errors: Sequence[str]) -> str:
    """One line: the first few errors and the total count."""
    shown = "; ".join(errors[:SHOWN_ERRORS])
    more = f"; ... and {len(errors) - SHOWN_ERRORS} more" if len(errors) > SHOWN_ERRORS else ""
    return f"{len(errors)} invalid row(s) in {spec}: {shown}{more}"


# --- resolving a spec -------------------------------------------------------------------------


def _read_spec(spec: str, corpus: Corpus, allow_network: bool) -> Iterator[Read]:
    """Yield (rows, locate, malformed-row errors) per file / converter run / hub split."""
    path = Path(spec).expanduser()
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.suffix.lower() in EXTENSIONS and not any(part.startswith(".") for part in p.parts)
        )
        if not files:
            raise CorpusError(f"{spec}: no {'/'.join(EXTENSIONS)} files in this directory")
    elif path.is_file():
        files = [path]
    elif any(ch in spec for ch in "*?["):
        files = [Path(p) for p in sorted(glob.glob(spec, recursive=True))]
        files = [p for p in files if p.suffix.lower() in EXTENSIONS and p.is_file()]
        if not files:
            raise CorpusError(f"{spec}: no {'/'.join(EXTENSIONS)} files match this pattern")
    elif (source := _source_of(spec)) is not None:
        yield _read_converted(source, spec.split(":", 1)[1], corpus)
        return
    elif path.suffix.lower() in EXTENSIONS or spec.startswith((".", "/", "~")):
        raise CorpusError(f"{spec}: no such file or directory")
    else:
        yield from read_hub(spec, allow_network)
        return
    with tempfile.TemporaryDirectory(prefix="threat-tagger-hf-") as cache_dir:
        for file in files:
            try:
                read = read_file(file, cache_dir)
            except UnicodeDecodeError as exc:
                where = f"{exc.reason} at byte {exc.start}"
                raise CorpusError(f"{file}: not UTF-8 text ({where})") from None
            yield read


def _source_of(spec: str) -> str | None:
    """The converter name when spec is SOURCE:PATH for a registered source."""
    prefix, sep, _ = spec.partition(":")
    if not sep:
        return None
    from train.sources import SOURCES

    return prefix.lower() if prefix.lower() in SOURCES else None


def _read_converted(source: str, path: str, corpus: Corpus) -> Read:
    """Run a converter; its records are validated like any file's rows."""
    from train.sources import convert

    if not Path(path).expanduser().exists():
        raise CorpusError(f"{source}:{path}: no such file {path}")
    conversion = convert(source, Path(path).expanduser())
    corpus.converter_dropped.update(conversion.dropped)
    corpus.unmapped.update(conversion.unmapped)
    records = conversion.records
    return records, lambda i: f"{path}: record {records[i].get('id') or i + 1}", []
