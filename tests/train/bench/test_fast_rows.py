"""The fast.toml accuracy study (train/bench/fast_rows.py) sets fast.toml's figures beside
fastText's and says on which it is behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from train.bench import fast_rows, systems
from train.bench.fast_rows import better, comparison, fast_rows_section

STUDY = {
    "generated": "2026-12-02 06:00 UTC",
    "commit": "abc1234",
    "rows": {
        "4": {
            "title": "Full model on CASE 2021 snippets",
            "n_test": 768,
            "metrics": {"micro_f1": 0.761, "false_tag_share": 0.119},
        },
        "6": {"title": "Country on RAND", "n_test": 10, "metrics": {"country_accuracy": 0.8}},
    },
}
ACCURACY = {
    "rows": {
        "4": {
            "metrics": {
                "micro_f1": {"fasttext": 0.6848, "threat-tagger": 0.7797},
                "false_tag_share": {"fasttext": 0.0458, "threat-tagger": 0.1167},
            }
        }
    }
}


def test_a_false_tag_share_is_better_lower_and_every_other_metric_higher():
    assert better("false_tag_share", 0.01, 0.02) and not better("false_tag_share", 0.03, 0.02)
    assert better("false_tag_share_ag_news", 0.001, 0.006)
    assert better("micro_f1", 0.8, 0.7) and not better("country_accuracy", 0.4, 0.45)
    assert not better("micro_f1", 0.7, 0.7)  # a tie is not "more accurate"


def test_each_figure_is_set_beside_fasttext_and_full_toml_with_a_verdict():
    rows = comparison(STUDY, ACCURACY)
    assert rows == [
        ["4", "Full model on CASE 2021 snippets", "micro_f1", 0.6848, 0.7797, 0.761, "yes"],
        ["4", "Full model on CASE 2021 snippets", "false_tag_share", 0.0458, 0.1167, 0.119,
         "**no**"],
        ["6", "Country on RAND", "country_accuracy", None, None, 0.8, "–"],
    ]  # fmt: skip


def test_the_section_says_how_many_figures_fast_toml_is_behind_on():
    text = "\n".join(fast_rows_section(STUDY, ACCURACY))
    assert "behind fastText on 1 of 3 figures" in text
    row = "| 4 | Full model on CASE 2021 snippets | false_tag_share | 0.0458 | 0.1167 | 0.1190 |"
    assert f"{row} **no** |" in text
    assert "commit abc1234" in text
    ahead = {"rows": {"4": {**STUDY["rows"]["4"], "metrics": {"micro_f1": 0.761}}}}
    assert "ahead of fastText on all 1 figures" in "\n".join(fast_rows_section(ahead, ACCURACY))


def test_the_study_trains_threat_tagger_with_fast_toml_where_a_row_uses_full_toml(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    chosen: list[Path] = []

    class Recorded:
        def __init__(self, config: Path, workdir: Path, key: str) -> None:
            chosen.append(config)

        def fit_records(self, records: list[dict]) -> Recorded:
            return self

        def fit_config(self) -> Recorded:
            return self

    monkeypatch.setattr(systems, "ThreatTaggerModel", Recorded)

    class Corpora:
        @property
        def wikipedia(self) -> list[dict[str, Any]]:
            return []

        def satp_split(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
            return []

    mapped = systems.Systems(Corpora(), tmp_path, ("threat-tagger",), configs={"full": "fast"})  # type: ignore[arg-type]
    mapped.model("wikipedia", "threat-tagger")
    mapped.model("satp-all", "threat-tagger")
    assert [p.name for p in chosen] == ["fast.toml", "satp.toml"]


def test_rows_that_train_with_satp_toml_are_refused():
    with pytest.raises(SystemExit):
        fast_rows.main(["--rows", "1,3"])


def test_a_merged_run_replaces_its_rows_keeps_the_others_and_says_when_they_were_measured():
    fresh = {
        "rows": {
            "6": {"title": "Country on RAND", "n_test": 10, "metrics": {"country_accuracy": 0.7}}
        },
        "trainings": {"full": "new"},
    }
    stamp = {"generated": "2026-12-03 10:00 UTC", "commit": "def5678"}
    study = fast_rows.merged({**STUDY, "trainings": {"full": "old", "wiki": "w"}}, fresh, stamp)
    assert study["generated"] == STUDY["generated"] and study["commit"] == "abc1234"
    assert study["rows"]["4"] == STUDY["rows"]["4"]
    assert study["rows"]["6"]["metrics"] == {"country_accuracy": 0.7}
    assert study["trainings"] == {"full": "new", "wiki": "w"}
    text = "\n".join(fast_rows_section(study, ACCURACY))
    assert "Row 6 re-measured 2026-12-03 10:00 UTC at commit def5678" in text
    assert "Row 4 re-measured" not in text
