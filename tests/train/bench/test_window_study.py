"""The window-size study (train/bench/window_study.py) tunes on dev data only."""

from __future__ import annotations

import json
from pathlib import Path

from train.bench.data import PUBLISHERS, Corpora
from train.bench.systems import wikipedia_split
from train.bench.window_study import HELD_OUT_PUBLISHER, table, tuning_sets

REPO = Path(__file__).resolve().parents[3]


class DemoCorpora(Corpora):
    """The shared corpora replaced by the demo records (no real corpora needed)."""

    def __init__(self) -> None:
        self.folder, self.limit = REPO / "data", None
        records = [
            json.loads(line)
            for path in sorted((REPO / "data" / "demo").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        splits = ("train", "train", "dev", "test")
        satp = [({**r, "split": splits[i % 4]}, True) for i, r in enumerate(records)]
        news = [
            {
                **r,
                "id": f"news-{i}",
                "text": f"News item {i}. {r['text']}",
                "source": f"ordinary_news:{PUBLISHERS[i % 2]}",
            }
            for i, r in enumerate(records)
            if not r["incident_types"]
        ]
        satp_ids = {r["id"] for r, _ in satp if r["split"] != "test"}
        self.__dict__.update(
            wikipedia=[r for r in records if r["country"]],
            satp=satp,
            ordinary_news=news,
            full_training=[r for r in records if r["id"] in satp_ids] + news,
        )


def test_the_study_trains_on_nothing_it_measures_and_reads_no_test_split():
    corpora = DemoCorpora()
    training, sets = tuning_sets(corpora)
    trained = {r["id"] for r in training}
    satp_dev = {r["id"] for r in corpora.satp_split(("dev",), relevant_only=False)}
    wikipedia_test = {r["id"] for r in wikipedia_split(corpora)[1]}
    held_out_news = {r["id"] for r in corpora.publisher(HELD_OUT_PUBLISHER)}
    assert sets["wikipedia_roundups"] and sets["satp_long"] and sets["reuters"]
    assert not trained & (satp_dev | wikipedia_test | held_out_news)
    # every report in a round-up comes from the tuning part, which training never saw
    measured = [r for name in ("satp_no_label", "reuters") for r in sets[name]]
    assert not trained & {r["id"] for r in measured}
    training_texts = {r["text"] for r in training}
    for story in sets["wikipedia_roundups"]:
        assert not any(part in training_texts for part in story["text"].split("\n\n"))


def test_the_study_table_has_one_line_per_window_size():
    figures = dict.fromkeys(
        (
            "wikipedia_micro_f1",
            "wikipedia_every_type",
            "satp_micro_f1",
            "satp_every_type",
            "satp_no_label_false_tags",
            "reuters_false_tags",
        ),
        0.5,
    )
    study = {
        "training_records": 10,
        "window_min_words": 250,
        "shipped_window_sentences": 2,
        "n": {"wikipedia_roundups": 1, "satp_long": 2, "satp_no_label": 3, "reuters": 4},
        "results": {"0": figures, "2": figures},
    }
    rows = [line for line in table(study).splitlines() if line.startswith("| ")]
    assert [r.split(" | ")[0] for r in rows[1:]] == ["| none (whole text)", "| 2"]
