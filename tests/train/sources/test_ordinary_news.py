"""The ordinary_news converter: every row a negative, one record source per publisher."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from train.corpus import load_corpus
from train.sources import ordinary_news


def write_rows(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """Write (id, source, category, text) rows in ordinary_news.csv's layout."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ordinary_news.COLUMNS)
        writer.writerows(rows)
    return path


ROWS = [
    ("ag-1", "ag_news", "sports", "The striker shot wide twice before a late attack won it."),
    ("wire-7", "reuters21578", "earn|acq", "Shares of a food company rose after a takeover bid."),
    ("ag-2", "ag_news", "business", "  "),
    ("x-1", "some_blog", "misc", "An unknown publisher's piece."),
]


@pytest.mark.parametrize("publisher", sorted(ordinary_news.PUBLISHERS))
def test_every_known_publisher_maps_to_its_own_record_source(publisher):
    assert ordinary_news.publisher_source(publisher) == f"ordinary_news:{publisher}"
    assert ordinary_news.publisher_source(publisher.upper() + " ") == f"ordinary_news:{publisher}"


def test_rows_become_negatives_and_empty_or_unknown_rows_are_counted(tmp_path):
    result = ordinary_news.convert(write_rows(tmp_path / "news.csv", ROWS))
    assert [(r["id"], r["source"], r["incident_types"]) for r in result.records] == [
        ("news-ag-1", "ordinary_news:ag_news", []),
        ("news-wire-7", "ordinary_news:reuters21578", []),
    ]
    assert all(r["country"] is None and r["region"] is None for r in result.records)
    assert result.dropped == {"empty text": 1, "unknown publisher": 1}
    assert result.unmapped == {"source=some_blog": 1}


def test_categories_keep_the_first_reuters_topic(tmp_path):
    path = write_rows(tmp_path / "news.csv", [*ROWS, ("wire-8", "reuters21578", "", "Text.")])
    assert ordinary_news.categories(path) == {
        "news-ag-1": "sports",
        "news-wire-7": "earn",
        "news-ag-2": "business",
        "news-x-1": "misc",
        "news-wire-8": "none",
    }


def test_the_spec_loads_through_the_corpus_layer(tmp_path):
    path = write_rows(tmp_path / "news.csv", ROWS[:2])
    corpus = load_corpus(f"ordinary_news:{path}")
    assert [r["source"] for r in corpus.records] == [
        "ordinary_news:ag_news",
        "ordinary_news:reuters21578",
    ]


@pytest.mark.corpora
def test_the_real_file_gives_23774_negatives_from_two_publishers(corpora_dir):
    path = corpora_dir / "ordinary_news.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    result = ordinary_news.convert(path)
    sources = {r["source"] for r in result.records}
    assert sources == set(ordinary_news.PUBLISHERS.values())
    assert len(result.records) + sum(result.dropped.values()) == 23_774
    assert len(result.records) >= 23_700
    assert not any(r["incident_types"] for r in result.records)
    assert len({r["id"] for r in result.records}) == len(result.records)


@pytest.mark.parametrize("name", ["full", "fast"])
def test_full_and_fast_runs_train_on_ordinary_news(name):
    from train.config import load_config

    config = load_config(Path(__file__).resolve().parents[3] / "train" / "configs" / f"{name}.toml")
    assert any(
        spec.startswith("ordinary_news:") and spec.endswith("/ordinary_news.csv")
        for spec in config.corpora.train
    )
