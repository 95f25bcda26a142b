"""Shared pieces of the source converters: the Conversion result, raw-file reading, cleanup."""

from __future__ import annotations

import codecs
import csv
import datetime
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from infer.errors import ThreatTaggerError
from infer.taxonomy import INCIDENT_TYPES, country_code, normalize_incident_types, region_of

# Wikipedia-style citation and editorial marks: "[12]", "[a]", "[citation needed]", "[note 3]".
_CITATION = re.compile(
    r"\[\s*(?:\d+|[a-z]|citation needed|note \d+|clarification needed)\s*\]", re.IGNORECASE
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Annotation:
    """What a source's labels say: the incident types it annotates (present or absent), and
    whether its records without any are non-attack reports (negatives) or attacks of a type
    it does not name. Evaluation scores each record on these only (train/metrics.py)."""

    incident_types: tuple[str, ...]
    negatives: bool


def types_in(label_tuples: Iterable[Iterable[str] | None]) -> tuple[str, ...]:
    """The incident types a mapping table can give, in taxonomy order."""
    found = {label for labels in label_tuples if labels for label in labels}
    return tuple(label for label in INCIDENT_TYPES if label in found)


@dataclass
class Conversion:
    """The canonical records of one converted source, plus what was dropped and left unmapped."""

    records: list[dict] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    unmapped: Counter[str] = field(default_factory=Counter)


def reraise_interrupt(error: BaseException) -> None:
    """Raise KeyboardInterrupt again when a library wrapped a Ctrl-C into its own error.

    datasets turns an interrupt inside its builder into DatasetGenerationError; a reader that
    falls back on parser errors must not swallow the user's Ctrl-C with it.
    """
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, KeyboardInterrupt):
            raise KeyboardInterrupt from error
        cause = cause.__cause__ or cause.__context__


def read_rows(path: str | Path, columns: Iterable[str], *, delimiter: str = ",") -> list[dict]:
    """Read a CSV/TSV (or XLSX) file as a list of row dicts of str, checking required columns."""
    path = Path(path)
    if not path.is_file():
        raise ThreatTaggerError(f"{path}: no such file")
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        rows = _read_excel(path)
        present = set(rows[0]) if rows else set()
    else:
        encoding = file_encoding(path)
        rows = _read_with_datasets(path, delimiter, encoding)
        if rows is None:
            rows = _read_with_csv(path, delimiter, encoding)
        present = set(rows[0]) if rows else _header(path, delimiter, encoding)
    missing = [name for name in columns if name not in present]
    if missing:
        raise ThreatTaggerError(f"{path}:1: missing column(s) {', '.join(map(repr, missing))}")
    return rows


def file_encoding(path: Path) -> str:
    """Return "utf-8" when the file decodes as UTF-8, else "cp1252" (older GTD/RAND exports)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _read_with_datasets(path: Path, delimiter: str, encoding: str) -> list[dict] | None:
    """Load a delimited file through HF datasets, all cells as text; None if it cannot parse."""
    import datasets

    bars_were_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        return _load_csv_dataset(datasets, path, delimiter, encoding)
    finally:
        if bars_were_enabled:
            datasets.enable_progress_bars()


def _load_csv_dataset(datasets, path: Path, delimiter: str, encoding: str) -> list[dict] | None:
    """Run datasets' CSV builder in a throwaway cache directory; None if it cannot parse."""
    # Every column as text keeps ids/codes as written; keep_default_na=False keeps "NA" as text.
    columns = _header(path, delimiter, encoding)
    features = datasets.Features({name: datasets.Value("string") for name in columns})
    with tempfile.TemporaryDirectory() as cache_dir:
        try:
            table = datasets.load_dataset(
                "csv",
                data_files=str(path),
                split="train",
                keep_in_memory=True,
                cache_dir=cache_dir,
                delimiter=delimiter,
                encoding=encoding,
                features=features,
                keep_default_na=False,
            )
        except (datasets.exceptions.DatasetGenerationError, ValueError) as error:
            reraise_interrupt(error)
            # pandas' C parser (behind datasets) chokes on ragged rows, duplicate column names
            # and undecodable bytes; the csv module copes, so the caller falls back to it.
            return None
        return [{key: value or "" for key, value in row.items()} for row in table.to_list()]


def _read_excel(path: Path) -> list[dict]:
    """Read the first sheet of an XLSX workbook (as the GTD is distributed), cells as text."""
    import pandas  # a dependency of datasets; reading XLSX also needs openpyxl

    try:
        frame = pandas.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    except ImportError as error:
        raise ThreatTaggerError(f"{path}: reading .xlsx needs openpyxl ({error})") from error
    return [
        {str(key): value or "" for key, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _read_with_csv(path: Path, delimiter: str, encoding: str) -> list[dict]:
    """Read a delimited file with the csv module (the fallback parser)."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        return [
            {key: value or "" for key, value in row.items() if key is not None}
            for row in csv.DictReader(handle, delimiter=delimiter)
        ]


def _header(path: Path, delimiter: str, encoding: str) -> list[str]:
    """Return the column names of a delimited file (its first row)."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        return next(csv.reader(handle, delimiter=delimiter), [])


def clean_text(text: str | None) -> str:
    """Strip citation marks like "[12]", normalise Unicode and collapse whitespace."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", _CITATION.sub("", text)).strip()


def lookup_country(name: str | None) -> str | None:
    """Resolve a raw country/place string to an ISO alpha-2 code via the taxonomy, else None."""
    if not name or not name.strip():
        return None
    return country_code(name)


def make_record(
    record_id: str,
    text: str,
    incident_types: Iterable[str],
    *,
    source: str,
    country: str | None = None,
    region: str | None = None,
    split: str | None = None,
    date: str | None = None,
) -> dict:
    """Build one canonical record; the region is filled from the country when not given."""
    if country is not None and region is None:
        region = region_of(country)
    return {
        "id": record_id,
        "text": text,
        "incident_types": normalize_incident_types(incident_types),
        "region": region,
        "country": country,
        "source": source,
        "split": split,
        "date": date,
    }


def iso_date(year: int | str, month: int | str = 0, day: int | str = 0) -> str | None:
    """Return "YYYY-MM-DD", "YYYY-MM" or "YYYY" from numeric parts (0 = unknown), else None."""
    try:
        parts = [int(float(year)), int(float(month or 0)), int(float(day or 0))]
    except ValueError:
        return None
    y, m, d = parts
    if y <= 0:
        return None
    if not 1 <= m <= 12:
        return f"{y:04d}"
    if d <= 0:
        return f"{y:04d}-{m:02d}"
    try:
        return datetime.date(y, m, d).isoformat()
    except ValueError:
        return f"{y:04d}-{m:02d}"
