"""The speed benchmark's two bases against fastText, its long-stories rows and its goals."""

from __future__ import annotations

import json

from helpers import bench_summary

from infer import kernels
from train.bench import speed
from train.bench.baselines import FastTextModel
from train.bench.markdown import _kernels_sentence, speed_section
from train.bench.speed import FAST, LOAD_REPEATS, load_stats, worker

TEXTS = [
    "A car bomb exploded outside the police station.",
    "Gunmen kidnapped two engineers near the border.",
    "The council met to discuss the town budget.",
]


def _system(rate: float, **extra: float) -> dict:
    return {
        "docs_per_s": rate,
        "docs_per_cpu_s": rate,
        "predict_s": 1.0,
        "peak_rss_mb": 90.0,
        "model_mb": 2.0,
        "train_s": 1.0,
        "load_s": 0.2,
        "startup_s": 0.5,
        "n": 100,
        **extra,
    }


def _run(n: int, wall_s: float) -> dict:
    return {"n": n, "wall_s": wall_s, "cpu_s": wall_s, "peak_rss_mb": {"parent": 80.0}}


def _speed() -> dict:
    systems = {
        "naive": _system(1000.0),
        "fasttext": _system(8000.0, fair_docs_per_cpu_s=4000.0),
        "threat-tagger": _system(2400.0, first_predict_s=0.4),
        FAST: _system(4400.0),
    }
    long = {"fasttext": _system(800.0, fair_docs_per_cpu_s=500.0), "threat-tagger": _system(100.0)}
    return bench_summary(
        systems,
        _run(1000, 1.0),
        _run(5000, 5.0),
        score_fast=_run(1000, 0.5),
        long=long,
        score_jobs1=_run(1000, 1.6),
    )


def test_fair_basis_puts_fasttexts_preparation_inside_its_clock():
    speed = _speed()
    tagger = speed["systems"]["threat-tagger"]
    assert tagger["vs_fasttext_raw"] == 0.3 and tagger["vs_fasttext_fair"] == 0.6
    assert speed["long_stories"]["threat-tagger"]["vs_fasttext_fair"] == 0.2


def test_goals_table_says_met_or_missed_for_every_goal_of_issue_11():
    speed = _speed()
    goals = {key: g["value"] for key, g in speed["goals"].items()}
    assert goals == {
        "full_vs_fasttext_fair": 0.6,
        "long_vs_fasttext_fair": 0.2,
        "fast_vs_fasttext_fair": 1.1,
        "jobs2_vs_jobs1": 1.6,
        "load_s": 0.2,
        "first_predict_s": 0.4,
        "score_1m_peak_rss_mb": 80.0,
    }
    text = "\n".join(speed_section(speed))
    assert "vs fastText, RAND (x, fair basis) | >= 0.5 | 0.6 |  | met |" in text
    assert "SATP 250+ words (x, fair basis) | >= 0.3 | 0.2 |  | **missed** |" in text
    assert (
        "| `score --jobs 2` vs `--jobs 1`, files to files (x) | >= 1.8 | 1.6 |  | **missed** |"
        in text
    )
    assert "Long stories: SATP stories of 250+ words" in text


def test_fasttext_worker_times_its_preparation_apart(tmp_path):
    FastTextModel().fit(TEXTS * 5, [["bombing"], ["kidnap"], []] * 5).save(tmp_path / "ft.bin")
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS), encoding="utf-8")
    result = worker("fasttext", str(tmp_path / "ft.bin"), str(docs))
    assert result["n"] == len(TEXTS)
    assert result["prepare_cpu_s"] >= 0.0 and result["prepare_s"] >= 0.0


def test_threat_tagger_worker_reports_the_first_predict_pause(model_dir, tmp_path):
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS), encoding="utf-8")
    result = worker("threat-tagger", str(model_dir), str(docs))
    assert result["n"] == len(TEXTS) and result["first_predict_s"] > 0.0
    assert result["first_predict_cpu_s"] >= 0.0
    assert result["kernels"] == kernels.backend()  # the bench says which kernels it timed


def test_speed_section_says_where_the_kernels_came_from():
    assert "ahead of time" in _kernels_sentence({"threat-tagger": {"kernels": "aot"}})
    assert "numba's JIT cache" in _kernels_sentence({"threat-tagger": {"kernels": "jit"}})
    assert _kernels_sentence({"threat-tagger": {}}) == ""


def test_first_predict_pause_is_the_median_of_fresh_processes(model_dir, tmp_path):
    doc = tmp_path / "first.jsonl"
    doc.write_text(json.dumps({"text": TEXTS[0]}) + "\n", encoding="utf-8")
    stats = load_stats("threat-tagger", model_dir, doc)
    assert LOAD_REPEATS >= 3
    assert stats["first_predict_s"] > 0.0 and stats["first_predict_cpu_s"] >= 0.0
    assert set(load_stats("threat-tagger", model_dir)) == {"load_s", "startup_s"}


def test_jobs_rounds_give_every_wall_time_and_the_ratios_around_the_serial_start_up():
    from train.bench.speed import jobs_rounds

    runs = {
        1: [_run(1000, wall) for wall in (11.0, 12.0, 10.0)],
        2: [_run(1000, wall) for wall in (7.0, 6.5, 8.0)],
    }
    rounds = jobs_rounds(runs, [1.5, 1.0, 2.0], [6.0, 6.875, 5.5])
    assert rounds["jobs1_wall_s"] == [11.0, 12.0, 10.0]
    assert rounds["jobs2_wall_s"] == [7.0, 6.5, 8.0]
    assert rounds["startup_wall_s"] == [1.5, 1.0, 2.0]
    # medians 11.0 and 7.0, start-up 1.5: (11 - 1.5) / (7 - 1.5) and 11 / (1.5 + 9.5 / 2)
    assert rounds["jobs2_vs_jobs1_after_startup"] == 1.73
    assert rounds["jobs2_vs_jobs1_without_overhead"] == 1.76
    # two processes on the halves, median 6.0 s: 11 / 6
    assert rounds["pair_wall_s"] == [6.0, 6.88, 5.5]
    assert rounds["two_processes_vs_jobs1"] == 1.83
    speed = bench_summary(
        {
            "naive": _system(1000.0),
            "fasttext": _system(8000.0, fair_docs_per_cpu_s=4000.0),
            "threat-tagger": _system(2400.0),
        },
        _run(1000, 7.0),
        _run(5000, 5.0),
        score_jobs1=_run(1000, 11.0),
        score_rounds=rounds,
    )
    assert speed["score_rounds"] == rounds and speed["goals"]["jobs2_vs_jobs1"]["value"] == 1.57
    section = "\n".join(speed_section(speed))
    assert "`score --jobs 2` vs `--jobs 1`" in section
    assert "After the start-up `--jobs 2` is 1.73x `--jobs 1`" in section
    assert "finish 1.83x as fast as one on all of them" in section


def test_score_rounds_alternate_both_job_counts_and_time_the_start_up(model_dir, tmp_path):
    from train.bench.speed import repeat_jsonl, score_rounds

    docs = repeat_jsonl(TEXTS, 30, tmp_path / "docs.jsonl")
    one = repeat_jsonl(TEXTS, 1, tmp_path / "one.jsonl")
    measured = score_rounds(model_dir, docs, one, tmp_path, 1)
    assert measured["jobs1"]["n"] == measured["jobs2"]["n"] == 30
    rounds = measured["rounds"]
    keys = ("jobs1_wall_s", "jobs2_wall_s", "startup_wall_s", "pair_wall_s")
    assert [len(rounds[key]) for key in keys] == [1, 1, 1, 1]
    assert rounds["two_processes_vs_jobs1"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs.jsonl", "one.jsonl"]


def test_an_in_process_row_is_the_median_run_with_every_runs_rate():
    runs = [
        {"docs_per_cpu_s": 900.0, "peak_rss_mb": 1.0},
        {"docs_per_cpu_s": 1200.0, "peak_rss_mb": 2.0},
        {"docs_per_cpu_s": 1000.0, "peak_rss_mb": 3.0},
    ]
    chosen = speed.median_run(runs)
    assert chosen["docs_per_cpu_s"] == 1000.0 and chosen["peak_rss_mb"] == 3.0  # one real run
    assert chosen["rounds_docs_per_cpu_s"] == [900.0, 1200.0, 1000.0]
    assert speed.median_run(runs[:2])["docs_per_cpu_s"] == 900.0  # an even count: the lower


def test_fasttexts_median_run_keeps_every_rounds_fair_rate():
    runs = [
        {"docs_per_cpu_s": 900.0, "fair_docs_per_cpu_s": 700.0},
        {"docs_per_cpu_s": 1200.0, "fair_docs_per_cpu_s": 950.0},
    ]
    assert speed.median_run(runs)["rounds_fair_docs_per_cpu_s"] == [700.0, 950.0]
    assert "rounds_fair_docs_per_cpu_s" not in speed.median_run([{"docs_per_cpu_s": 1.0}])


def test_ratio_goals_give_each_rounds_ratio_and_the_table_its_range():
    systems = {
        "naive": _system(1000.0),
        "fasttext": _system(
            8000.0,
            fair_docs_per_cpu_s=4000.0,
            rounds_docs_per_cpu_s=[8000.0, 9000.0, 7000.0],
            rounds_fair_docs_per_cpu_s=[4000.0, 5000.0, 2000.0],
        ),
        "threat-tagger": _system(2400.0, rounds_docs_per_cpu_s=[2400.0, 2000.0, 1200.0]),
        FAST: _system(4400.0),  # no rounds recorded: no range
    }
    speed_ = bench_summary(systems, _run(1000, 1.0), _run(5000, 5.0), score_jobs1=_run(1000, 1.6))
    goals = speed_["goals"]
    assert goals["full_vs_fasttext_fair"]["rounds"] == [0.6, 0.4, 0.6]
    assert "rounds" not in goals["fast_vs_fasttext_fair"]
    text = "\n".join(speed_section(speed_))
    assert "| >= 0.5 | 0.6 | 0.4-0.6 (2 of 3 meet it) | met |" in text


def test_jobs_goal_gives_each_rounds_ratio_of_the_alternating_runs():
    rounds = speed.jobs_rounds(
        {1: [{"wall_s": 6.0}, {"wall_s": 5.0}], 2: [{"wall_s": 3.0}, {"wall_s": 3.2}]}, [0.5, 0.5]
    )
    speed_ = bench_summary(
        {"naive": _system(1.0), "fasttext": _system(2.0), "threat-tagger": _system(1.0)},
        _run(1000, 3.1),
        _run(5000, 5.0),
        score_jobs1=_run(1000, 5.5),
        score_rounds=rounds,
    )
    assert speed_["goals"]["jobs2_vs_jobs1"]["rounds"] == [2.0, 1.56]
    assert "(x) | >= 1.8 | 1.77 | 1.56-2.0 (1 of 2 meet it) | **missed** |" in "\n".join(
        speed_section(speed_)
    )


def test_in_process_rounds_alternate_the_systems_order(monkeypatch, tmp_path):
    calls = []

    def fake_worker(kind, path, docs=None):
        calls.append((path.name, docs.name))
        return {"n": 10, "predict_s": 1.0, "cpu_s": 1.0, "peak_rss_mb": 1.0}

    monkeypatch.setattr(speed, "run_worker", fake_worker)
    names = (*speed.SYSTEMS, speed.FAST)
    paths = {name: tmp_path / name for name in names}
    systems, long = speed.in_process_rounds(paths, tmp_path / "d", tmp_path / "l", 2)
    firsts = [path for path, docs in calls if docs == "d"]
    assert firsts == [*names, *reversed(names)]
    assert set(systems) == set(names) and set(long) == set(names) - {"naive"}
    assert systems["fasttext"]["rounds_docs_per_cpu_s"] == [10.0, 10.0]


def test_split_jsonl_gives_the_first_half_of_the_lines_then_the_rest(tmp_path):
    from train.bench.speed import repeat_jsonl, split_jsonl

    docs = repeat_jsonl(TEXTS, 7, tmp_path / "docs.jsonl")
    first, rest = split_jsonl(docs, tmp_path)
    assert len(first.read_text().splitlines()) == 3
    assert first.read_bytes() + rest.read_bytes() == docs.read_bytes()
