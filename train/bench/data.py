"""The benchmark's corpora as canonical records, loaded once per run through the corpus layer."""

from __future__ import annotations

import csv
import json
import sys
from functools import cached_property
from pathlib import Path

from infer.errors import ThreatTaggerError
from train.bench import REPO_ROOT, THREE_TYPES, corpora_dir
from train.sources.base import clean_text

FILES = {
    "wikipedia": "wikipedia_incidents.csv",
    "satp": "satp.csv",
    "case": "case2021_task2.tsv",
    "rand": "rand_rdwti.csv",
    "ordinary_news": "ordinary_news.csv",
}
PUBLISHERS = ("ag_news", "reuters21578")  # ordinary_news.csv's two sources
LONG_STORY_WORDS = 250  # a story this long is a long story (the windows' default)
SATP_LABEL_COLUMNS = ("ArmedAssault", "Bombing", "Kidnapping", "Other")
QUICK_LIMIT = 1500  # records per corpus with --quick


def thin(items: list, limit: int | None) -> list:
    """Every k-th item so that at most `limit` remain (all of them when limit is None)."""
    if limit is None or len(items) <= limit:
        return items
    step = -(-len(items) // limit)
    return items[::step]


def write_jsonl(records: list[dict], path: Path) -> Path:
    """Write canonical records, one JSON object per line."""
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def has_any(record: dict, labels: tuple[str, ...] = THREE_TYPES) -> bool:
    """Whether the record carries any of `labels`."""
    return any(label in labels for label in record["incident_types"])


def read_raw_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a raw CSV file with the csv module (large fields allowed)."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return list(csv.DictReader(handle))


class Corpora:
    """Each shared corpus converted once (converters via train.corpus.load_corpus)."""

    def __init__(self, folder: Path | None = None, *, quick: bool = False) -> None:
        self.folder = folder or corpora_dir()
        self.limit = QUICK_LIMIT if quick else None

    def path(self, name: str) -> Path:
        """The raw file of a shared corpus, checked to exist."""
        path = self.folder / FILES[name]
        if not path.is_file():
            raise ThreatTaggerError(f"{path}: corpus file missing from {self.folder}")
        return path

    def spec(self, name: str) -> str:
        """The SOURCE:PATH spec of a shared corpus."""
        return f"{name}:{self.path(name)}"

    def load(self, name: str) -> list[dict]:
        """Canonical records of one shared corpus."""
        from train.corpus import load_corpus

        return thin(load_corpus(self.spec(name)).records, self.limit)

    @cached_property
    def wikipedia(self) -> list[dict]:
        """Wikipedia incident rows (no negatives)."""
        return self.load("wikipedia")

    @cached_property
    def case(self) -> list[dict]:
        """CASE 2021 snippets (ambiguous sub-types dropped by the converter)."""
        return self.load("case")

    @cached_property
    def rand(self) -> list[dict]:
        """RAND incidents with weak labels, dateline stripped, country from the table."""
        return self.load("rand")

    @cached_property
    def ordinary_news(self) -> list[dict]:
        """Ordinary news items (all negatives), each with its category (first Reuters topic)."""
        from train.sources.ordinary_news import categories

        category = categories(self.path("ordinary_news"))
        return [
            {**r, "category": category.get(r["id"], "none")} for r in self.load("ordinary_news")
        ]

    def publisher(self, name: str) -> list[dict]:
        """The ordinary news items of one publisher (ag_news or reuters21578)."""
        return [r for r in self.ordinary_news if r["source"] == f"ordinary_news:{name}"]

    @cached_property
    def demo(self) -> list[dict]:
        """The team's demo corpus in data/demo."""
        from train.corpus import load_corpus

        return thin(load_corpus(str(REPO_ROOT / "data" / "demo")).records, self.limit)

    @cached_property
    def satp(self) -> list[tuple[dict, bool]]:
        """Every SATP story with a flag: does it carry any SATP label (Other included)?

        The satp converter keeps Other-only stories with no incident type (source
        "satp:other"); the raw rows give each story's flags, matched by the converter's ids.
        """
        from train.corpus import load_corpus

        converted = {r["id"]: r for r in load_corpus(self.spec("satp")).records}
        out = []
        for index, row in enumerate(read_raw_rows(self.path("satp"))):
            flags = [
                row.get(c, "").strip().lower() in {"1", "1.0", "true"} for c in SATP_LABEL_COLUMNS
            ]
            record_id = f"satp-{index:06d}"
            record = converted.get(record_id)
            if record is None:  # an empty text the converter dropped
                continue
            if record["text"] != clean_text(row.get("text")):
                raise ThreatTaggerError(
                    f"{self.path('satp')}: row {index} does not match converter record {record_id}"
                )
            out.append((record, any(flags)))
        return thin(out, self.limit)

    def satp_split(self, splits: tuple[str, ...], *, relevant_only: bool) -> list[dict]:
        """SATP stories of the given splits, optionally only those with any SATP label."""
        return [
            r
            for r, labelled in self.satp
            if r["split"] in splits and (labelled or not relevant_only)
        ]

    def satp_unlabelled_ids(self) -> set[str]:
        """Ids of SATP stories with no SATP label at all (the genuine non-attack stories)."""
        return {r["id"] for r, labelled in self.satp if not labelled}

    @cached_property
    def full_training(self) -> list[dict]:
        """The training records of train/configs/full.toml (as `threat-tagger train` loads them)."""
        from train.config import load_config
        from train.fit import load_training_records

        config = load_config(REPO_ROOT / "train" / "configs" / "full.toml")
        records, _provenance = load_training_records(config)
        return thin(records, self.limit)

    def rand_descriptions(self) -> list[str]:
        """The non-empty raw `Description` cells of rand_rdwti.csv (for the speed benchmark)."""
        cells = (row.get("Description") or "" for row in read_raw_rows(self.path("rand")))
        return [cell for cell in cells if cell.strip()]
