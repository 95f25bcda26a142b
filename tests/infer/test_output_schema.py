"""One prediction schema: Python, `predict --json` and `score` give the same fields, checked
against the JSON Schema shipped in the package (infer/prediction.schema.json)."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from typer.testing import CliRunner

from infer.predictor import Predictor

jsonschema = pytest.importorskip("jsonschema", reason="the schema tests need the dev extra")

TEXTS = [
    "Gunmen ambushed a police patrol near Makhmour and took two officers hostage.",
    "A car bomb exploded outside a police station in Kabul, killing four people.",
    "The city council approved next year's budget for parks and libraries.",
    "",
    "Café à São Paulo: ΣΊΣΥΦΟΣ 北京 爆炸",
]
PREDICTION_FIELDS = {
    "incident_types",
    "probabilities",
    "region",
    "region_probability",
    "country",
    "country_name",
    "country_probability",
}


@pytest.fixture(scope="module")
def schema() -> dict:
    """The schema as installed with the package."""
    return json.loads(
        (resources.files("infer") / "prediction.schema.json").read_text(encoding="utf-8")
    )


def check(schema: dict, instance: dict, form: str) -> None:
    """Validate against one form of the schema, and against the schema as a whole."""
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(instance, {**schema, "oneOf": [{"$ref": f"#/$defs/{form}"}]})
    jsonschema.validate(instance, schema)


def test_the_schema_names_exactly_the_prediction_fields(schema):
    fields = schema["$defs"]["prediction_fields"]
    assert set(fields["required"]) == set(fields["properties"]) == PREDICTION_FIELDS


def test_python_predictions_and_explanations_follow_the_schema(schema, model_dir):
    predictor = Predictor.load(model_dir)
    for prediction in predictor.predict(TEXTS):
        check(schema, prediction.to_dict(), "prediction")
    for text in TEXTS[:3]:
        check(schema, predictor.explain(text, top=3).to_dict(), "explanation_object")


def test_the_schema_rejects_the_old_scores_field(schema, model_dir):
    data = Predictor.load(model_dir).predict(TEXTS[:1])[0].to_dict()
    data["scores"] = data.pop("probabilities")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


@pytest.mark.parametrize("explain", [False, True])
def test_predict_json_follows_the_schema(schema, app, model_dir, explain):
    args = ["predict", "--model", str(model_dir), "--json", *(["--explain"] if explain else [])]
    result = CliRunner().invoke(app, [*args, TEXTS[0]])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    check(schema, out, "prediction")
    assert set(out) >= PREDICTION_FIELDS
    assert ("explanation" in out) == explain


@pytest.mark.parametrize("explain", [False, True])
def test_score_records_follow_the_schema(schema, app, model_dir, tmp_path, explain):
    path = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": f"r{i}", "text": t}) for i, t in enumerate(TEXTS) if t]
    path.write_text("\n".join([*lines, "{oops"]) + "\n", encoding="utf-8")
    args = ["score", "--model", str(model_dir), "--jobs", "1", str(path)]
    result = CliRunner().invoke(app, args + (["--explain"] if explain else []))
    assert result.exit_code == 1  # the malformed line
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines) + 1
    for record in out[:-1]:
        check(schema, record, "scored_record")
        assert ("explanation" in record) == explain
    check(schema, out[-1], "error_record")


def test_score_and_predict_give_the_same_fields_and_values(app, model_dir, tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"id": "x", "text": TEXTS[1]}) + "\n", encoding="utf-8")
    scored = json.loads(
        CliRunner()
        .invoke(app, ["score", "--model", str(model_dir), "--jobs", "1", str(path)])
        .stdout
    )
    predicted = json.loads(
        CliRunner().invoke(app, ["predict", "--model", str(model_dir), "--json", TEXTS[1]]).stdout
    )
    assert set(scored) - {"id", "source"} == set(predicted) == PREDICTION_FIELDS
    for key in ("region", "country", "country_name"):
        assert scored[key] == predicted[key]
    for key in ("incident_types", "probabilities"):
        assert scored[key] == {k: round(v, 4) for k, v in predicted[key].items()}
