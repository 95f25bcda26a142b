"""Smoke tests of the benchmark plumbing on a few dozen demo records (nothing here is timed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from infer.errors import ThreatTaggerError
from train.bench import corpora_dir
from train.bench.accuracy import goal_met, run_accuracy
from train.bench.baselines import (
    FASTTEXT_PARAMS,
    FastTextModel,
    NaiveModel,
    train_in_subprocess,
)
from train.bench.data import PUBLISHERS, Corpora
from train.bench.markdown import render
from train.bench.procwatch import watch
from train.bench.speed import _summarise, worker
from train.bench.systems import Systems

REPO = Path(__file__).resolve().parents[3]
BASELINES = (NaiveModel, FastTextModel)


@pytest.fixture(scope="module")
def demo() -> list[dict]:
    """A few dozen demo records: every 12th of data/demo, attacks and non-attacks mixed."""
    records = [
        json.loads(line)
        for path in sorted((REPO / "data" / "demo").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return records[::12]


@pytest.fixture(scope="module")
def accuracy(demo, tmp_path_factory) -> dict:
    """Every accuracy row and the matrix for the two baselines, on demo stand-in corpora."""
    systems = Systems(
        DemoCorpora(demo), tmp_path_factory.mktemp("bench"), systems=("naive", "fasttext")
    )
    return run_accuracy(systems, ["1", "2", "3", "4", "5", "6", "7", "8", "matrix"])


class DemoCorpora(Corpora):
    """Every shared corpus replaced by demo records (no real corpora needed)."""

    def __init__(self, records: list[dict]) -> None:
        self.folder, self.limit = REPO / "data", None
        splits = ("train", "train", "dev", "test")
        satp = [
            ({**r, "split": splits[i % 4]}, bool(r["incident_types"]) or i % 5 == 0)
            for i, r in enumerate(records)
        ]
        with_country = [r for r in records if r["country"]]
        news = [
            {**r, "source": f"ordinary_news:{PUBLISHERS[i % 2]}", "category": "demo"}
            for i, r in enumerate(records)
            if not r["incident_types"]
        ]
        self.__dict__.update(
            wikipedia=with_country,
            case=records,
            rand=with_country,
            demo=records,
            satp=satp,
            full_training=records,
            ordinary_news=news,
        )


@pytest.mark.parametrize("model_class", BASELINES)
def test_baselines_predict_proba_has_one_column_per_seen_label(model_class, demo):
    texts, labels = [r["text"] for r in demo], [r["incident_types"] for r in demo]
    model = model_class().fit(texts, labels)
    proba = model.predict_proba(texts[:7])
    assert model.classes_ == sorted({label for ls in labels for label in ls})
    assert proba.shape == (7, len(model.classes_))
    assert np.all((proba >= 0) & (proba <= 1))
    assert all(set(p) <= set(model.classes_) for p in model.predict(texts[:7]))


@pytest.mark.parametrize("model_class", BASELINES)
def test_single_label_baselines_answer_one_seen_class_per_text(model_class, demo):
    rows = [r for r in demo if r["region"]]
    model = model_class(multi_label=False).fit(
        [r["text"] for r in rows], [r["region"] for r in rows]
    )
    answers = model.predict([r["text"] for r in rows[:5]])
    assert len(answers) == 5 and set(answers) <= {r["region"] for r in rows}


def test_fasttext_never_reports_its_internal_none_label(demo):
    texts, labels = [r["text"] for r in demo], [r["incident_types"] for r in demo]
    assert any(not ls for ls in labels)
    model = FastTextModel().fit(texts, labels)
    assert "none" not in model.classes_
    assert all("none" not in p for p in model.predict(texts, threshold=0.0))


def test_fasttext_trains_in_a_fresh_process_and_names_its_failure(tmp_path):
    data = tmp_path / "train.txt"
    data.write_text("__label__a gunmen attacked\n__label__none the match ended\n" * 20)
    binary = tmp_path / "model.bin"
    assert train_in_subprocess(data, binary, {**FASTTEXT_PARAMS, "epoch": 2}) == 0.5
    assert binary.stat().st_size > 0
    with pytest.raises(RuntimeError, match="fastText training failed"):
        train_in_subprocess(data, tmp_path / "bad.bin", {**FASTTEXT_PARAMS, "loss": "no-such"})


def test_accuracy_rows_give_every_baseline_a_score_for_every_metric(demo, accuracy):
    out = accuracy
    assert sorted(out["rows"]) == ["1", "2", "3", "4", "5", "6", "7", "8"]
    for row in out["rows"].values():
        assert row["n_test"] > 0 and set(row["goals"]) <= set(row["metrics"])
        for values in row["metrics"].values():
            assert set(values) == {"naive", "fasttext"}
            assert all(0.0 <= v <= 1.0 for v in values.values())
    cells = out["matrix"]["cells"]
    assert all(source not in targets for source, targets in cells.items())
    assert sum(len(targets) for targets in cells.values()) == 12
    assert "full" in out["trainings"] and out["trainings"]["full"]["records"] == len(demo)


def test_markdown_shows_ratios_goals_and_the_accuracy_table(accuracy):
    measured = {
        name: {
            "docs_per_s": rate,
            "docs_per_cpu_s": rate,
            "predict_s": 1.0,
            "peak_rss_mb": 90.0,
            "model_mb": 3.0,
            "train_s": 1.0,
            "load_s": 0.2,
            "startup_s": 0.5,
        }
        for name, rate in (("naive", 1000.0), ("fasttext", 4000.0), ("threat-tagger", 6000.0))
    }
    score = {
        "n": 100,
        "wall_s": 0.01,
        "cpu_s": 0.02,
        "peak_rss_mb": {"parent": 80.0, "worker-1": 120.0},
    }
    million = {
        "n": 1000,
        "wall_s": 0.1,
        "cpu_s": 0.2,
        "peak_rss_mb": {"parent": 80.0, "worker-1": 350.0},
    }
    speed = _summarise(measured, score, million, 100, 50, True, (1.0, 1.0, 1.0), 3.0)
    assert speed["systems"]["threat-tagger"]["vs_fasttext"] == 1.5
    assert speed["goals"]["score_1m_peak_rss_mb"]["value"] == 350.0
    text = render(
        {
            "command": "python -m train.bench --quick",
            "date": "today",
            "machine": {"CPU": "test cpu"},
            "speed": speed,
            "accuracy": accuracy,
            "experiments": {
                "rows": [
                    {
                        "dataset": "wikipedia",
                        "trial": "no-char",
                        "what": "word n-grams only",
                        "dev": {"micro_f1": 0.8},
                        "primary": "micro_f1",
                        "delta": -0.02,
                        "kept": "no",
                    }
                ]
            },
        }
    )
    assert "| threat-tagger `Predictor.predict` | 6,000 | 1.5 | 6 |" in text
    assert "**missed**" in text and "SATP relevant" in text and "Cross-corpus matrix" in text
    assert "Row 7, false_tag_share per category:" in text and "Long stories" in text
    assert "| no-char | word n-grams only | micro_f1=0.8 | micro_f1 -0.0200 | no |" in text


def test_markdown_names_the_run_and_commit_of_each_separately_measured_section():
    text = render(
        {
            "command": "python -m train.bench --only serve",
            "date": "today",
            "machine": {"CPU": "test cpu"},
            "accuracy": {
                "rows": {
                    "1": {"row": 1, "title": "a", "metrics": {}, "measured": "day 1"},
                    "2": {
                        "row": 2,
                        "title": "b",
                        "metrics": {},
                        "measured": "day 2",
                        "commit": "abc1234",
                    },
                }
            },
        }
    )
    assert "> Sections come from different runs: day 1; day 2 (commit abc1234)." in text


def test_goal_met_reads_both_directions():
    assert goal_met(0.93, ">= 0.92") and not goal_met(0.91, ">= 0.92")
    assert goal_met(0.04, "<= 0.05") and not goal_met(0.06, "<= 0.05")


def test_speed_worker_scores_every_doc_in_its_own_process(demo, tmp_path):
    texts, labels = [r["text"] for r in demo], [r["incident_types"] for r in demo]
    NaiveModel().fit(texts, labels).save(tmp_path / "naive.joblib")
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    result = worker("naive", str(tmp_path / "naive.joblib"), str(docs))
    assert result["n"] == len(texts) and result["peak_rss_mb"] > 0


def test_watch_reports_peak_rss_of_each_child_process(tmp_path):
    child = "import time; x = bytearray(80 * 2**20); time.sleep(1.0)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    watched = watch([sys.executable, "-c", parent], cwd=tmp_path)
    assert watched["returncode"] == 0
    assert watched["peak_rss_mb"]["worker-1"] > 80 > watched["peak_rss_mb"]["parent"]


def test_missing_corpora_folder_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("THREAT_CORPORA", str(tmp_path / "nowhere"))
    with pytest.raises(ThreatTaggerError, match="THREAT_CORPORA"):
        corpora_dir()


def test_bench_exits_1_with_one_error_line_when_corpora_are_absent(monkeypatch, tmp_path, capsys):
    from train.bench.__main__ import main

    monkeypatch.setenv("THREAT_CORPORA", str(tmp_path / "nowhere"))
    assert main(["--only", "accuracy", "--out-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("error: corpora folder")
    assert not (tmp_path / "BENCHMARKS.md").exists()


def test_threat_tagger_column_trains_through_the_cli_on_exactly_the_given_records(demo, tmp_path):
    from infer.taxonomy import INCIDENT_TYPES, REGIONS
    from train.bench.tagger import ThreatTaggerModel, config_path

    model = ThreatTaggerModel(config_path("satp"), tmp_path, "demo").fit_records(demo)
    assert model.predictor.meta["training"]["records"] == len(demo)
    texts = [r["text"] for r in demo[:6]]
    assert all(set(tags) <= set(INCIDENT_TYPES) for tags in model.predict(texts))
    assert all(region in (*REGIONS, None) for region, _country in model.predict_geo(texts))


def test_news_row_gives_a_false_tag_share_per_held_out_publisher_and_category(accuracy):
    row = accuracy["rows"]["7"]
    assert set(row["metrics"]) == {f"false_tag_share_{name}" for name in PUBLISHERS}
    assert set(row["details"]["false_tag_share per category"]) == set(PUBLISHERS)
    assert {f"full-minus-{name}" for name in PUBLISHERS} <= set(accuracy["trainings"])
