"""`threat-tagger predict`: one text, shown as a table or as one JSON object."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from infer.predictor import Predictor
from infer.taxonomy import country_name

TEXT = (
    "Masked gunmen ambushed a police patrol on the highway outside the town on Monday, "
    "killing two officers, and later set fire to the nearby customs post."
)


def predict(app: typer.Typer, *args: str, stdin: str | None = None):
    """Invoke `predict` in-process on a wide terminal."""
    return CliRunner().invoke(app, ["predict", *args], input=stdin, terminal_width=200)


def test_json_output_is_one_object_equal_to_the_predictor(app, model_dir):
    result = predict(app, TEXT, "--model", str(model_dir), "--json")
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    data = json.loads(line)
    expected = json.loads(json.dumps(Predictor.load(model_dir).predict([TEXT])[0].to_dict()))
    assert {k: data[k] for k in expected} == expected
    assert data["country_name"] == (country_name(data["country"]) if data["country"] else None)


def test_table_shows_the_tags_region_and_country_with_name_and_code(app, model_dir, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    result = predict(app, TEXT, "--model", str(model_dir))
    assert result.exit_code == 0, result.output
    prediction = Predictor.load(model_dir).predict([TEXT])[0]
    for label, probability in prediction.incident_types.items():
        assert label in result.stdout and f"{probability:.3f}" in result.stdout
    assert prediction.region is not None and prediction.region in result.stdout
    assert prediction.country is not None  # the test model always reports its top country
    assert f"{country_name(prediction.country)} ({prediction.country})" in result.stdout


def test_dash_reads_the_text_from_stdin(app, model_dir):
    from_stdin = predict(app, "-", "--model", str(model_dir), "--json", stdin=TEXT)
    from_arg = predict(app, TEXT, "--model", str(model_dir), "--json")
    assert from_stdin.exit_code == 0, from_stdin.output
    assert from_stdin.stdout == from_arg.stdout


def test_explain_shows_the_ngrams_behind_each_decision(app, model_dir, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    explanation = Predictor.load(model_dir).explain(TEXT).to_dict()["heads"]
    table = predict(app, TEXT, "--model", str(model_dir), "--explain")
    assert table.exit_code == 0, table.output
    for head in explanation:
        assert f"why {head['head']} = {head['label']}" in table.stdout
        assert head["contributions"][0]["feature"] in table.stdout
    data = json.loads(predict(app, TEXT, "--model", str(model_dir), "--json", "--explain").stdout)
    assert data["explanation"] == json.loads(json.dumps(explanation))


def test_empty_text_is_a_one_line_error(app, model_dir):
    result = predict(app, "   ", "--model", str(model_dir))
    assert result.exit_code == 1
    assert result.stderr == "error: the text is empty\n"


def test_missing_model_names_the_folder_and_how_to_train(app, tmp_path):
    result = predict(app, TEXT, "--model", str(tmp_path / "nothing"))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and str(tmp_path / "nothing") in result.stderr
    assert "train" in result.stderr and "Traceback" not in result.output
