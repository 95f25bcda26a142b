"""Training: model folder contents, determinism, thresholds, metrics, atomic writing, CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import typer
from helpers import make_records, tiny_config, write_corpus
from typer.testing import CliRunner

from infer.artifact import load_artifact
from infer.predictor import Predictor
from infer.taxonomy import INCIDENT_TYPES
from train.cli_train import register
from train.config import ThresholdsConfig
from train.fit import train_model
from train.metrics import evaluate_predictions, expected_calibration_error, incident_metrics
from train.model_folder import remove_stale_staging
from train.thresholds import best_f1_threshold, tune_thresholds

REPO = Path(__file__).resolve().parents[2]

# A synthetic corpus written for these tests (team-written sentences, no real data).


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One training run on the synthetic corpus."""
    base = tmp_path_factory.mktemp("training")
    corpus = write_corpus(base / "corpus.jsonl", make_records())
    return train_model(tiny_config(corpus, base / "models" / "tiny")), corpus


def test_training_writes_every_file_listed_with_its_hash(trained):
    result, _ = trained
    files = {p.name for p in result.folder.iterdir()}
    assert {
        "model.npz",
        "vocab.json",
        "meta.json",
        "metrics.json",
        "README.md",
        "precision_recall.png",
        "calibration.png",
    } <= files
    meta = json.loads((result.folder / "meta.json").read_text())
    human = {"README.md", "precision_recall.png", "calibration.png"}  # editable: not hashed
    assert set(meta["files"]) == files - {"meta.json"} - human
    assert meta["labels"] == list(INCIDENT_TYPES)
    for key in (
        "created_at",
        "thresholds",
        "config",
        "corpora",
        "versions",
        "metrics",
        "consistency_rule",
        "countries",
        "regions",
    ):
        assert key in meta, key
    assert set(meta["versions"]) >= {"python", "numpy", "scipy", "scikit-learn", "threat-tagger"}
    assert len(meta["corpora"][0]["sha256"]) == 64
    assert not list(result.folder.parent.glob(".tmp-*"))


def test_metrics_json_has_the_shared_evaluation_shape(trained):
    result, _ = trained
    metrics = json.loads((result.folder / "metrics.json").read_text())
    dev = metrics["dev"]
    assert set(dev) == {"n", "incident_types", "region", "country"}
    assert set(dev["incident_types"]) == {
        "micro_f1",
        "macro_f1",
        "samples_f1",
        "false_tag_rate",
        "non_attack_records",
        "per_label",
    }
    assert set(dev["incident_types"]["per_label"]["bombing"]) == {
        "precision",
        "recall",
        "f1",
        "support",
        "annotated_records",
    }
    assert set(metrics["calibration"]["per_label_ece"]) == set(INCIDENT_TYPES)
    assert dev["incident_types"]["micro_f1"] > 0.6  # the synthetic labels are easy


def test_model_card_states_rule_calibration_and_licence(trained):
    result, _ = trained
    card = (result.folder / "README.md").read_text()
    for needle in (
        "Intended use",
        "Calibration",
        "never disagree",
        "Known limitations",
        "written by the project team",
        "refit on train+dev",
    ):
        assert needle in card, needle


def test_two_trainings_give_byte_identical_metrics(trained, tmp_path):
    result, corpus = trained
    again = train_model(tiny_config(corpus, tmp_path / "again"))
    assert (again.folder / "metrics.json").read_bytes() == (
        result.folder / "metrics.json"
    ).read_bytes()


def test_label_without_positives_gets_a_constant_zero_head(tmp_path):
    corpus = write_corpus(tmp_path / "c.jsonl", make_records(10, skip=("hijacking",)))
    result = train_model(tiny_config(corpus, tmp_path / "m"))
    assert "hijacking" in result.meta["constant_labels"]
    prediction = Predictor(load_artifact(result.folder)).predict(["pirates hijacked a ship"])[0]
    assert prediction.probabilities["hijacking"] == 0.0
    assert "hijacking" not in prediction.incident_types
    assert (
        "hijacking"
        not in Predictor(load_artifact(result.folder))
        .predict(["hijacked"], threshold=0.0)[0]
        .incident_types
    )


def test_best_f1_threshold_separates_positives_midway():
    threshold, f1 = best_f1_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.3, 0.6, 0.9]))
    assert f1 == 1.0
    assert threshold == pytest.approx(0.45)


def test_thresholds_fall_back_when_dev_has_too_few_positives_and_clip_to_floor():
    truth = np.array([[1, 0], [1, 0], [1, 1], [0, 0]])
    probability = np.array([[0.05, 0.9], [0.04, 0.2], [0.06, 0.8], [0.01, 0.1]])
    cfg = ThresholdsConfig(floor=0.1, ceiling=0.9, fallback=0.5, min_dev_positives=2)
    thresholds, info = tune_thresholds(truth, probability, ["a", "b"], cfg)
    assert thresholds[0] == 0.1 and info["a"]["method"] == "tuned_f1"
    assert thresholds[1] == 0.5 and info["b"]["method"] == "fallback"


def test_evaluate_predictions_counts_false_tags_and_skips_null_geography():
    records = [
        {"incident_types": [], "region": None, "country": None},
        {"incident_types": [], "region": "South Asia", "country": "PK"},
        {"incident_types": ["bombing"], "region": "South Asia", "country": None},
    ]
    predictions = [
        {"incident_types": {"bombing": 0.9}, "region": "South Asia", "country": "PK"},
        {"incident_types": {}, "region": "South Asia", "country": "IN"},
        {"incident_types": {"bombing": 0.8}, "region": "East Asia", "country": None},
    ]
    result = evaluate_predictions(records, predictions, INCIDENT_TYPES)
    assert result["n"] == 3
    assert result["incident_types"]["false_tag_rate"] == 0.5
    assert result["incident_types"]["per_label"]["bombing"] == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": 0.6667,
        "support": 1,
        "annotated_records": 3,
    }
    assert result["region"] == {"accuracy": 0.5, "macro_f1": 0.3333, "n": 2}
    assert result["country"] == {"accuracy": 0.0, "n": 1}


def test_samples_f1_counts_a_correct_empty_prediction_as_perfect():
    metrics = incident_metrics([[], ["kidnap"]], [[], ["kidnap"]], INCIDENT_TYPES)
    assert metrics["samples_f1"] == 1.0
    assert metrics["false_tag_rate"] == 0.0


def test_expected_calibration_error_of_known_bins():
    truth = np.array([1, 0, 1, 1])
    probability = np.array([0.95, 0.95, 0.15, 0.15])
    # bin 9: confidence 0.95 vs frequency 0.5; bin 1: 0.15 vs 1.0 -> (2*0.45 + 2*0.85) / 4
    assert expected_calibration_error(truth, probability) == pytest.approx(0.65)


def test_failed_training_leaves_previous_model_and_no_temp_folder(trained, tmp_path, monkeypatch):
    result, corpus = trained
    before = (result.folder / "meta.json").read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("train.fit.dev_evaluation", explode)
    with pytest.raises(RuntimeError):
        train_model(tiny_config(corpus, result.folder))
    assert (result.folder / "meta.json").read_bytes() == before
    assert not list(result.folder.parent.glob(".tmp-*"))
    load_artifact(result.folder)


def test_retraining_replaces_the_model_in_place(trained, tmp_path):
    _, corpus = trained
    target = tmp_path / "m"
    first = train_model(tiny_config(corpus, target))
    second = train_model(tiny_config(corpus, target, "model.C=1.0"))
    assert second.meta["config"]["model"]["C"] == 1.0
    assert json.loads((target / "meta.json").read_text())["config"]["model"]["C"] == 1.0
    assert first.folder == second.folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_refuses_to_replace_a_folder_that_is_not_a_model(trained, tmp_path):
    from infer.artifact import ModelError

    _, corpus = trained
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    with pytest.raises(ModelError, match="not a model folder"):
        train_model(tiny_config(corpus, tmp_path / "notes"))
    assert (tmp_path / "notes" / "todo.txt").read_text() == "keep me"


SLOW_TRAINING = """
import signal, sys, time
from pathlib import Path
# A shell that starts jobs in the background makes them ignore SIGINT; restore Ctrl-C.
signal.signal(signal.SIGINT, signal.default_int_handler)
from train.config import load_config
from train.fit import train_model
cfg = load_config(None, corpora=[sys.argv[1]], out=sys.argv[2],
                  overrides=["features.min_df=1", "split.dev_size=0.25"])
progress = Path(sys.argv[3])

def step(description):
    with progress.open("a") as handle:
        handle.write(description + "\\n")
    time.sleep(0.4)

train_model(cfg, step=step)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killing_training_midway_keeps_the_old_model_loadable(trained, tmp_path, sig):
    result, corpus = trained
    target = tmp_path / "models" / "tiny"
    target.parent.mkdir()
    subprocess.run(["cp", "-r", str(result.folder), str(target)], check=True)
    texts = ["A car bomb exploded in Lagos", "Gunmen kidnapped workers near Karachi"]
    before = [p.to_dict() for p in Predictor.load(target).predict(texts)]
    progress = tmp_path / "progress.txt"
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_TRAINING, str(corpus), str(target), str(progress)],
        cwd=REPO,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    # Interrupt while features are being fitted: the folder is staged, the corpus is loaded,
    # and the process is in the project's own code (not inside a library's import).
    while "features" not in (progress.read_text() if progress.exists() else ""):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "training never reached the features step"
        time.sleep(0.01)
    assert list(target.parent.glob(".tmp-tiny-*")), "no staged folder while training"
    os.kill(process.pid, sig)
    process.wait(timeout=30)
    assert process.returncode != 0
    assert [p.to_dict() for p in Predictor.load(target).predict(texts)] == before
    if sig == signal.SIGINT:  # a clean exception: the finally block removed the staging folder
        assert not list(target.parent.glob(".tmp-*"))
    else:  # SIGKILL skips `finally`; the next run removes the dead process's staging folder
        leftovers = list(target.parent.glob(".tmp-*"))
        assert leftovers
        assert remove_stale_staging(target) == leftovers
        assert not list(target.parent.glob(".tmp-*"))


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Root."""

    register(app)
    return app


def test_train_command_prints_summary_with_dev_f1_and_location(trained, tmp_path):
    _, corpus = trained
    out = tmp_path / "cli-model"
    result = CliRunner().invoke(
        _app(),
        [
            "train",
            "--corpus",
            str(corpus),
            "--out",
            str(out),
            "--set",
            "features.min_df=1",
            "--seed",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "dev F1" in result.output and str(out) in result.output
    meta = json.loads((out / "meta.json").read_text())
    assert meta["name"] == "cli-model"
    assert meta["config"]["split"]["seed"] == 3


@pytest.mark.parametrize(
    "args",
    [
        ["--set", "model.nope=1"],
        ["--set", "model.C"],
        ["--set", "model.C=[1"],
        ["--config", "missing.toml"],
        ["--corpus", "no/such/corpus.jsonl"],
    ],
)
def test_train_command_user_errors_print_one_line_and_exit_1(tmp_path, args):
    result = CliRunner().invoke(_app(), ["train", "--out", str(tmp_path / "m"), *args])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert not (tmp_path / "m").exists()
