"""Reading canonical corpus files and Hugging Face hub datasets through HF `datasets`.

Each reader returns (rows, locate, errors): the raw rows, a function naming row i as
'file:line', and the malformed rows it could not parse. Validation of the rows' content is
train/corpus.py's job.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from infer.errors import ThreatTaggerError
from train.records import missing_columns
from train.sources.base import reraise_interrupt

EXTENSIONS: tuple[str, ...] = (".jsonl", ".json", ".csv", ".parquet")

Locate = Callable[[int], str]
"""Maps a row index within a file to 'file:line' (or 'file: row N')."""

Read = tuple[list[Mapping[str, Any]], Locate, list[str]]


class CorpusError(ThreatTaggerError):
    """A corpus spec that cannot be resolved, read or validated."""


def nowhere(i: int) -> str:
    """Locator for a file with no readable rows."""
    return f"row {i + 1}"


# --- canonical files through HF datasets ------------------------------------------------------


def _quiet_datasets() -> Any:
    """Import datasets with progress bars and info logging off."""
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    return datasets


def read_file(path: Path, cache_dir: str) -> Read:
    """Rows of one canonical file; falls back to a line-by-line scan when datasets fails."""
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise CorpusError(f"{path}: unsupported file type '{suffix}'; use {', '.join(EXTENSIONS)}")
    if path.stat().st_size == 0:
        return [], nowhere, []
    if suffix == ".csv":
        return _read_csv(path, cache_dir)
    ds = _load_with_datasets("json" if suffix != ".parquet" else "parquet", path, cache_dir)
    if ds is None and suffix == ".parquet":
        raise CorpusError(f"{path}: cannot read this Parquet file")
    if ds is None:
        return _scan_json(path)
    missing = missing_columns(ds.column_names)
    if missing:
        return [], nowhere, [f"{path}: missing column '{c}'" for c in missing]
    if suffix == ".parquet":
        return ds.to_list(), lambda i: f"{path}: row {i + 1}", []
    return ds.to_list(), _json_locator(path), []


def _load_with_datasets(builder: str, path: Path, cache_dir: str, **kwargs: Any) -> Any:
    """The file as an in-memory HF Dataset, or None when its parser fails."""
    datasets = _quiet_datasets()
    try:
        return datasets.load_dataset(
            builder,
            data_files=str(path),
            split="train",
            keep_in_memory=True,
            cache_dir=cache_dir,
            **kwargs,
        )
    except Exception as error:  # datasets wraps parser errors in several types; callers re-scan
        reraise_interrupt(error)
        return None


def _json_locator(path: Path) -> Locate:
    """Row i of a JSONL file is its i-th non-blank line; of a JSON array, its i-th item."""
    with path.open(encoding="utf-8") as f:
        head = f.read(4096).lstrip()
    if head.startswith("["):
        return lambda i: f"{path}: item {i + 1}"
    lines: list[int] = []

    def locate(i: int) -> str:
        if not lines:
            with path.open(encoding="utf-8") as f:
                lines.extend(n for n, line in enumerate(f, 1) if line.strip())
        return f"{path}:{lines[i]}"

    return locate


def _scan_json(path: Path) -> Read:
    """Parse JSONL line by line (or a JSON array whole), reporting malformed lines."""
    text = path.read_text(encoding="utf-8")
    errors: list[str] = []
    if text.lstrip().startswith("["):
        try:
            items = list(enumerate(json.loads(text), 1))
        except json.JSONDecodeError as exc:
            return [], nowhere, [f"{path}:{exc.lineno}: malformed JSON ({exc.msg})"]
        prefix = f"{path}: item "
    else:
        items, prefix = [], f"{path}:"
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                errors.append(f"{path}:{n}: malformed JSON line ({exc.msg})")
    errors += [
        f"{prefix}{n}: malformed line (not a JSON object)"
        for n, item in items
        if not isinstance(item, dict)
    ]
    good = [(n, item) for n, item in items if isinstance(item, dict)]
    return [item for _, item in good], lambda i: f"{prefix}{good[i][0]}", errors


def _csv_header(path: Path) -> list[str]:
    """The header row of a CSV file."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f), [])


def _csv_data_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) for each non-blank data row (quoted newlines allowed)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        start = reader.line_num + 1
        for cells in reader:
            if cells:
                yield start, cells
            start = reader.line_num + 1


def _read_csv(path: Path, cache_dir: str) -> Read:
    """CSV rows, every cell a string; the csv module finds lines and ragged rows."""
    import datasets

    header = _csv_header(path)
    missing = missing_columns(header)
    if missing:
        return [], nowhere, [f"{path}:1: missing column '{c}'" for c in missing]
    # pandas pads short rows silently, so count fields with the csv module first.
    shape = [(n, len(cells)) for n, cells in _csv_data_rows(path)]
    if any(width != len(header) for _, width in shape):
        return _scan_csv(path, header)
    features = datasets.Features({c: datasets.Value("string") for c in header})
    # keep_default_na=False: "NA" is Namibia and "None" is a typo to report, not a null.
    ds = _load_with_datasets("csv", path, cache_dir, features=features, keep_default_na=False)
    if ds is None or len(ds) != len(shape):
        return _scan_csv(path, header)
    return ds.to_list(), lambda i: f"{path}:{shape[i][0]}", []


def _scan_csv(path: Path, header: list[str]) -> Read:
    """Parse a CSV with the csv module, reporting rows whose field count is wrong."""
    good: list[tuple[int, dict[str, str]]] = []
    errors: list[str] = []
    for n, cells in _csv_data_rows(path):
        if len(cells) == len(header):
            good.append((n, dict(zip(header, cells, strict=True))))
            continue
        problem = "too many" if len(cells) > len(header) else "too few"
        errors.append(
            f"{path}:{n}: malformed CSV row ({problem} fields: "
            f"expected {len(header)}, found {len(cells)})"
        )
    return [row for _, row in good], lambda i: f"{path}:{good[i][0]}", errors


# --- Hugging Face hub datasets ----------------------------------------------------------------


HF_OFFLINE_ENV = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


@contextmanager
def hf_offline() -> Iterator[None]:
    """Switch datasets / huggingface_hub offline while active; everything is restored on exit.

    Sets the documented environment switches and, because both libraries read them once at
    import, the module attributes that hold the values they read.
    """
    import datasets.config
    import huggingface_hub.constants as hub_constants

    cached = [
        (module, name, getattr(module, name))
        for module, name in (
            (datasets.config, "HF_HUB_OFFLINE"),
            (datasets.config, "HF_DATASETS_OFFLINE"),
            (hub_constants, "HF_HUB_OFFLINE"),
        )
        if hasattr(module, name)
    ]
    environment = {key: os.environ.get(key) for key in HF_OFFLINE_ENV}
    try:
        os.environ.update(dict.fromkeys(HF_OFFLINE_ENV, "1"))
        for module, name, _ in cached:
            setattr(module, name, True)
        yield
    finally:
        for module, name, value in cached:
            setattr(module, name, value)
        for key, value in environment.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def read_hub(name: str, allow_network: bool) -> Iterator[Read]:
    """Every split of a Hugging Face hub dataset (offline unless allow_network)."""
    datasets = _quiet_datasets()
    try:
        with nullcontext() if allow_network else hf_offline():
            loaded = datasets.load_dataset(name)
    except Exception as exc:
        how = "" if allow_network else " (offline and not cached; --allow-network downloads it)"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CorpusError(
            f"{name}: not a file, directory, glob or SOURCE:PATH, and not loadable as a "
            f"Hugging Face dataset{how}: {reason}"
        ) from None
    for split, ds in loaded.items():
        missing = missing_columns(ds.column_names)
        if missing:
            yield [], nowhere, [f"{name}[{split}]: missing column '{c}'" for c in missing]
            continue
        rows = [
            {"split": split, **{k: v for k, v in r.items() if v is not None}} for r in ds.to_list()
        ]
        yield rows, (lambda i, s=split: f"{name}[{s}]: row {i + 1}"), []
