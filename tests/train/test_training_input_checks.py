"""Training refuses impossible settings before reading a corpus and warns about thin data
(issue 14 #9, #11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from train.cli_train import register
from train.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    return app


@pytest.mark.parametrize(
    "item",
    [
        "model.C=-1.0",
        "model.C=0",
        "model.geo_C=-2",
        "features.min_df=-3",
        "features.min_df=0",
        "model.max_iter=0",
        "features.max_features=0",
        "model.country_min_probability=nan",
        "model.country_min_probability=1.5",
        "thresholds.fallback=-0.1",
        "features.gazetteer_weight=inf",
        "features.word_ngram_range=[1, 400]",
        "split.seed=-1",
        "corpora.source_weights={a = nan}",
    ],
)
def test_impossible_numbers_are_refused_when_the_config_loads_naming_the_key(item):
    key = item.split("=")[0]
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(None, overrides=[item])


def test_negative_c_is_refused_in_one_line_before_any_corpus_is_read(tmp_path):
    result = CliRunner().invoke(
        _app(),
        [
            "train",
            "--corpus",
            str(tmp_path / "absent.jsonl"),
            "--out",
            str(tmp_path / "m"),
            "--set",
            "model.C=-1.0",
        ],
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "model.C must be > 0" in lines[0], result.output
    assert not (tmp_path / "m").exists()


def test_shared_ids_and_a_label_with_one_example_are_warned_about(tmp_path):
    records = [
        json.loads(line)
        for path in sorted(DEMO.glob("[a-e].jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ][::3]
    hijackings = [r for r in records if "hijacking" in r.get("incident_types", [])]
    records = [r for r in records if "hijacking" not in r.get("incident_types", [])]
    records.append(hijackings[0])
    records.append({**records[0], "text": records[0]["text"] + " A second report."})
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = CliRunner().invoke(
        _app(),
        [
            "train",
            "--corpus",
            str(corpus),
            "--out",
            str(tmp_path / "m"),
            "--set",
            "features.min_df=1",
        ],
    )
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert any("1 ids are shared" in w and repr(records[0]["id"]) in w for w in warnings), (
        result.output
    )
    assert any("label hijacking has only 1 training example" in w for w in warnings), result.output
    meta = json.loads((tmp_path / "m" / "meta.json").read_text(encoding="utf-8"))
    assert meta["training"]["duplicate_ids"]["count"] == 1
