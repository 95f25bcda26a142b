"""The speed benchmark's extra rows for threat-tagger trained with train/configs/fast.toml."""

from __future__ import annotations

from helpers import bench_summary

from train.bench.markdown import speed_section
from train.bench.speed import FAST
from train.bench.tagger import config_path
from train.config import load_config


def _measured() -> dict[str, dict[str, float]]:
    return {
        name: {
            "docs_per_s": rate,
            "docs_per_cpu_s": rate / 2,
            "predict_s": 1.0,
            "peak_rss_mb": 90.0,
            "model_mb": size,
            "train_s": 1.0,
            "load_s": 0.2,
            "startup_s": 0.5,
        }
        for name, rate, size in (
            ("naive", 1000.0, 1.0),
            ("fasttext", 4000.0, 2.0),
            ("threat-tagger", 200.0, 20.0),
            (FAST, 2000.0, 5.0),
        )
    }


def _run(n: int, wall_s: float) -> dict:
    return {
        "n": n,
        "wall_s": wall_s,
        "cpu_s": 2 * wall_s,
        "peak_rss_mb": {"parent": 80.0, "worker-1": 120.0},
    }


def test_fast_rows_get_ratios_and_their_own_goal():
    measured = _measured()
    measured["fasttext"]["fair_docs_per_cpu_s"] = 1000.0  # half its raw 2000 docs/CPU-s
    speed = bench_summary(
        measured,
        _run(1000, 2.0),
        _run(5000, 10.0),
        score_fast=_run(1000, 0.25),
        score_jobs1=_run(1000, 3.0),
    )
    assert speed["systems"][FAST]["vs_fasttext"] == 0.5
    assert speed["systems"][FAST]["vs_fasttext_raw"] == 0.5
    assert speed["systems"][FAST]["vs_fasttext_fair"] == 1.0
    assert speed["score_fast"]["docs_per_s"] == 4000.0
    assert speed["score_fast"]["vs_fasttext"] == 1.0
    assert speed["goals"]["full_vs_fasttext_fair"]["value"] == 0.1
    assert speed["goals"]["fast_vs_fasttext_fair"]["value"] == 1.0
    assert speed["goals"]["jobs2_vs_jobs1"]["value"] == 1.5


def test_speed_table_shows_fast_predict_and_score_rows():
    speed = bench_summary(
        _measured(),
        _run(1000, 2.0),
        _run(5000, 10.0),
        score_fast=_run(1000, 0.25),
    )
    text = "\n".join(speed_section(speed))
    assert (
        "| threat-tagger fast.toml `Predictor.predict` | 2,000 | 0.5 | 2 | 1,000 | – | – | 5 |"
        in text
    )
    assert (
        "| threat-tagger fast.toml `score --jobs 2` (subprocess, end to end) | 4,000 | 1 |" in text
    )


def test_speed_table_without_a_fast_run_has_no_fast_score_row():
    measured = _measured()
    del measured[FAST]
    speed = bench_summary(measured, _run(1000, 2.0), _run(5000, 10.0))
    assert "score_fast" not in speed
    assert "fast.toml" not in "\n".join(speed_section(speed)).split("|---|", 1)[1]


def test_fast_config_reads_no_char_ngrams_in_any_head():
    config = load_config(config_path("fast"))
    full = load_config(config_path("full"))
    assert not config.features.char and config.features.gazetteer
    assert "char" not in config.model.region_blocks + config.model.country_blocks
    assert config.model.gate and config.corpora.train == full.corpora.train
    assert config.run.out == "models/fast"


def test_experiments_say_which_trials_only_fast_toml_carries():
    from train.bench.experiments import judge

    def row(trial: str, overrides: list[str]) -> dict:
        dev = {"micro_f1": 0.8}
        return {
            "dataset": "full",
            "config": "full.toml",
            "trial": trial,
            "overrides": overrides,
            "dev": dev,
        }

    rows = judge(
        [
            row("baseline", []),
            row("unigrams-everywhere", ["features.word_ngram_range=[1, 1]", "features.char=true"]),
            row("fast-unigrams", ["features.char=false", "features.word_ngram_range=[1, 1]"]),
            row("gate", ["model.gate=true"]),
        ]
    )
    assert [r["kept"] for r in rows] == ["shipped", "no", "in fast.toml", "yes"]
