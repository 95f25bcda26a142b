"""`threat-tagger evaluate`: JSON contract, tables, report files and user errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from infer.predictor import Prediction, Predictor
from infer.taxonomy import INCIDENT_TYPES
from train.cli_evaluate import register
from train.config import load_config
from train.evaluate import WORST_ERRORS, evaluate_records, record_mistakes, worst_errors
from train.fit import train_model
from train.report import model_card

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo"
INCIDENT_KEYS = {
    "micro_f1",
    "macro_f1",
    "samples_f1",
    "false_tag_rate",
    "non_attack_records",
    "per_label",
}

# Short fictional reports written for these tests (not taken from any corpus).
TEXTS = [
    (
        "A car bomb exploded outside the police station in Kandahar, killing four officers.",
        ["bombing"],
        "South Asia",
        "AF",
    ),
    (
        "Gunmen ambushed an army convoy near Maiduguri and opened fire on the soldiers.",
        ["ambush", "armed_assault"],
        "Sub-Saharan Africa",
        "NG",
    ),
    (
        "Rebels abducted two aid workers from their car on the road out of Goma.",
        ["kidnap"],
        None,
        "CD",
    ),
    ("The city council approved a new budget for road repairs and school buses.", [], None, None),
    (
        "Militants stormed a hotel in Mogadishu and took guests hostage after a shootout.",
        ["armed_assault", "kidnap"],
        "Sub-Saharan Africa",
        None,
    ),
    (
        "The central bank kept interest rates unchanged on Thursday, citing inflation.",
        [],
        "Western Europe",
        None,
    ),
]


def _app() -> typer.Typer:
    """A throwaway app carrying only the evaluate command."""
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test app."""

    register(app)
    return app


def run(*args: str) -> object:
    """Invoke `evaluate` in-process."""
    return CliRunner().invoke(_app(), ["evaluate", *map(str, args)])


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on half of the demo corpus, without the (slow to build) gazetteer."""
    out = tmp_path_factory.mktemp("models") / "demo"
    train_model(
        load_config(
            REPO / "train/configs/default.toml",
            corpora=[str(DEMO / "a.jsonl"), str(DEMO / "b.jsonl")],
            out=str(out),
            overrides=["features.gazetteer=false"],
        )
    )
    return out


@pytest.fixture
def corpus_file(tmp_path: Path) -> Path:
    """A small canonical JSONL corpus with some null regions and countries."""
    path = tmp_path / "small.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i, (text, labels, region, country) in enumerate(TEXTS):
            handle.write(
                json.dumps(
                    {
                        "id": f"t{i}",
                        "text": text,
                        "incident_types": labels,
                        "region": region,
                        "country": country,
                        "source": "test",
                        "split": None,
                        "date": None,
                    }
                )
                + "\n"
            )
    return path


def _json(result: object) -> dict:
    """stdout parsed as one JSON object (fails if anything else is printed)."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_output_is_exactly_the_contract_shape(model_dir: Path, corpus_file: Path) -> None:
    data = _json(run(model_dir, corpus_file, "--json"))
    labels = Predictor.load(model_dir).labels
    assert list(data) == ["corpora"]
    (metrics,) = data["corpora"].values()
    assert set(metrics) == {"n", "incident_types", "region", "country"}
    assert metrics["n"] == len(TEXTS) and isinstance(metrics["n"], int)
    incident = metrics["incident_types"]
    assert set(incident) == INCIDENT_KEYS
    for key in INCIDENT_KEYS - {"per_label", "non_attack_records"}:
        assert isinstance(incident[key], float), key
    assert incident["non_attack_records"] == 2
    assert list(incident["per_label"]) == list(labels)
    for scores in incident["per_label"].values():
        assert set(scores) == {"precision", "recall", "f1", "support", "annotated_records"}
        assert all(
            scores[k] is None or isinstance(scores[k], float) for k in ("precision", "recall", "f1")
        )
        assert isinstance(scores["support"], int)
        assert scores["annotated_records"] == len(TEXTS)
    assert incident["per_label"]["hijacking"]["support"] == 0
    assert incident["per_label"]["armed_assault"]["support"] == 2
    assert set(metrics["region"]) == {"accuracy", "macro_f1", "n"}
    assert set(metrics["country"]) == {"accuracy", "n"}
    assert isinstance(metrics["region"]["accuracy"], float)
    assert isinstance(metrics["country"]["n"], int)


def test_null_region_and_country_are_left_out_of_geography(
    model_dir: Path, corpus_file: Path
) -> None:
    metrics = _json(run(model_dir, corpus_file, "--json"))["corpora"][str(corpus_file)]
    predictions = Predictor.load(model_dir).predict(t[0] for t in TEXTS)
    # The loader fills a region from its country, so only rows with neither lack a region.
    region_rows = [
        (t, p)
        for t, p in zip(TEXTS, predictions, strict=True)
        if t[2] is not None or t[3] is not None
    ]
    country_rows = [(t, p) for t, p in zip(TEXTS, predictions, strict=True) if t[3] is not None]
    assert metrics["region"]["n"] == len(region_rows) == 5
    assert metrics["country"]["n"] == len(country_rows) == 3
    right = sum(p.country == t[3] for t, p in country_rows)
    assert metrics["country"]["accuracy"] == round(right / len(country_rows), 4)


def test_corpus_keys_are_the_arguments_as_given(
    model_dir: Path, corpus_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder in ("raw", "folder"):
        (corpus_file.parent / folder).mkdir()
    (corpus_file.parent / "folder" / "copy.jsonl").write_bytes(corpus_file.read_bytes())
    raw = corpus_file.parent / "raw" / "incidents.csv"
    with raw.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "type", "dead", "injured", "location", "details", "perpetrator"])
        writer.writerow(
            [
                "1999-05-02",
                "Bombing",
                "3",
                "9",
                "Quetta, Pakistan",
                "A bomb hidden in a parked motorbike went off near a busy market.",
                "Unknown",
            ]
        )
        writer.writerow(
            [
                "1999-06-11",
                "Kidnapping",
                "0",
                "0",
                "Bogota, Colombia",
                "Armed men seized an engineer from his home and drove away.",
                "FARC",
            ]
        )
    monkeypatch.chdir(corpus_file.parent)
    specs = ["./small.jsonl", "folder/", "wikipedia:raw/incidents.csv"]
    data = _json(run(model_dir, *specs, "--json"))
    assert list(data["corpora"]) == specs
    assert data["corpora"]["wikipedia:raw/incidents.csv"]["n"] == 2
    assert data["corpora"]["folder/"]["n"] == len(TEXTS)


def test_json_mode_prints_nothing_but_the_object(model_dir: Path, corpus_file: Path) -> None:
    result = run(model_dir, corpus_file, "--json")
    assert result.stdout.strip().startswith("{") and result.stdout.count("\n") == 1
    assert f"scoring {corpus_file}: {len(TEXTS)} records" in result.stderr


def test_tables_show_labels_averages_geography_and_false_tags(
    model_dir: Path, corpus_file: Path
) -> None:
    result = run(model_dir, corpus_file)
    assert result.exit_code == 0, result.output
    for text in (
        "bombing",
        "hijacking",
        "micro F1",
        "macro F1",
        "samples F1",
        "region accuracy",
        "region macro F1",
        "country accuracy",
        "false-tag rate",
    ):
        assert text in result.stdout, text
    assert "evaluating" not in result.stdout


def test_report_writes_plots_metrics_and_worst_errors(
    model_dir: Path, corpus_file: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    result = run(model_dir, corpus_file, "--report", report, "--json")
    assert result.exit_code == 0, result.output
    pngs = sorted(report.glob("*.png"))
    assert len(pngs) >= 2
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    errors = [json.loads(line) for line in (report / "errors.jsonl").read_text().splitlines()]
    assert errors, "the demo model makes some mistakes on these texts"
    assert [e["rank"] for e in errors] == list(range(1, len(errors) + 1))
    assert [e["gap"] for e in errors] == sorted((e["gap"] for e in errors), reverse=True)
    markdown = (report / "errors.md").read_text()
    assert markdown.startswith("# Worst errors")
    assert markdown.count("\n## ") == len(errors)
    assert errors[0]["excerpt"][:30] in markdown
    # the predicted block is the output schema's prediction, rounded as `score` rounds it
    jsonschema = pytest.importorskip("jsonschema", reason="schema checks need the dev extra")
    schema = json.loads((REPO / "infer" / "prediction.schema.json").read_text())
    for error in errors:
        jsonschema.validate(error["predicted"], {**schema, "$ref": "#/$defs/prediction"})
        assert all(v == round(v, 4) for v in error["predicted"]["probabilities"].values())
    saved = json.loads((report / "metrics.json").read_text())
    assert saved["incident_types"] == _json(result)["corpora"][str(corpus_file)]["incident_types"]
    assert set(saved["calibration"]["per_label_ece"]) == set(Predictor.load(model_dir).labels)


def test_report_for_several_corpora_uses_one_folder_each(
    model_dir: Path, corpus_file: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    result = run(model_dir, corpus_file, DEMO / "a.jsonl", "--report", report)
    assert result.exit_code == 0, result.output
    folders = sorted(p for p in report.iterdir() if p.is_dir())
    assert len(folders) == 2
    for folder in folders:
        assert (folder / "errors.md").is_file() and list(folder.glob("*.png"))


def test_worst_errors_are_capped_sorted_and_explained(model_dir: Path) -> None:
    predictor = Predictor.load(model_dir)
    records = [json.loads(line) for line in (DEMO / "a.jsonl").read_text().splitlines()]
    evaluation = evaluate_records(predictor, records[:60] * 2)
    errors = worst_errors(predictor, evaluation)
    assert len(errors) <= WORST_ERRORS
    gaps = [e["gap"] for e in errors]
    assert gaps == sorted(gaps, reverse=True)
    for error in errors:
        assert error["mistakes"] and max(m["gap"] for m in error["mistakes"]) == error["gap"]
        heads = {(d["head"], d["label"]) for d in error["drivers"]}
        for label in error["predicted"]["incident_types"]:
            assert ("incident", label) in heads


def test_record_mistakes_measure_the_gap_to_the_truth() -> None:
    labels = ("bombing", "kidnap")
    prediction = Prediction(
        {"kidnap": 0.7}, {"bombing": 0.2, "kidnap": 0.7}, "South Asia", 0.9, "IN", 0.6
    )
    record = {"incident_types": ["bombing"], "region": "South Asia", "country": "PK"}
    mistakes = record_mistakes(record, prediction, labels)
    assert [(m["field"], m["kind"], m["gap"]) for m in mistakes] == [
        ("incident_types", "missed", 0.8),
        ("incident_types", "false_tag", 0.7),
        ("country", "wrong", 0.6),
    ]


def test_missing_model_is_a_one_line_error(tmp_path: Path, corpus_file: Path) -> None:
    result = run(tmp_path / "no-such-model", corpus_file)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "no-such-model" in result.stderr


def test_invalid_corpus_is_a_one_line_error_unless_skipped(model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    rows = [
        {
            "id": "1",
            "text": "Gunmen shot a guard.",
            "incident_types": ["armed_assault"],
            "region": None,
            "country": None,
            "source": "t",
            "split": None,
            "date": None,
        },
        {
            "id": "2",
            "text": "A boat was hijacked.",
            "incident_types": ["piracy"],
            "region": None,
            "country": None,
            "source": "t",
            "split": None,
            "date": None,
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = run(model_dir, path)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "piracy" in result.stderr
    assert result.stderr.count("\n") == 1
    skipped = _json(run(model_dir, path, "--json", "--skip-invalid"))
    assert skipped["corpora"][str(path)]["n"] == 1


def test_missing_corpus_fails_before_any_table_is_printed(
    model_dir: Path, corpus_file: Path, tmp_path: Path
) -> None:
    result = run(model_dir, corpus_file, tmp_path / "nothing.jsonl")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "nothing.jsonl" in result.stderr


def test_unwritable_report_folder_is_a_one_line_error(
    model_dir: Path, corpus_file: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    result = run(model_dir, corpus_file, "--json", "--report", blocker)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(f"error: {blocker}: cannot write")


def _card_inputs(model_dir: Path) -> tuple[dict, dict]:
    """meta.json and metrics.json of the trained model."""
    return (
        json.loads((model_dir / "meta.json").read_text()),
        json.loads((model_dir / "metrics.json").read_text()),
    )


def test_model_card_covers_use_data_metrics_calibration_rule_limits_licences(
    model_dir: Path,
) -> None:
    card = (model_dir / "README.md").read_text()
    meta, _ = _card_inputs(model_dir)
    for heading in (
        "## Intended use",
        "## How it works",
        "## Data",
        "## Metrics",
        "## Calibration",
        "## Region and country",
        "## Known limitations",
        "## Licences of the training data",
    ):
        assert heading in card, heading
    for corpus in meta["corpora"]:
        assert corpus["sha256"][:16] in card
    assert "country_min_probability = 0.5" in card
    assert "demo corpus is small" in card
    assert "same licence as the project" in card
    assert "research material" not in card  # demo data only: no restricted source
    # trained without the places block: only the general region/country rule may name it
    outside_rule = card.split("## Region and country")[0] + card.split("## Known limitations")[1]
    assert "gazetteer" not in outside_rule


def test_model_card_mentions_the_gazetteer_only_when_the_model_has_one(model_dir: Path) -> None:
    meta, metrics = _card_inputs(model_dir)
    meta["features"] = [*meta["features"], {"analyzer": "places", "name": "places"}]
    how = model_card(meta, metrics).split("## How it works")[1].split("## Data")[0]
    assert "gazetteer" in how and "word 1-2-grams" in how


def test_model_card_licences_follow_the_training_sources(model_dir: Path) -> None:
    meta, metrics = _card_inputs(model_dir)
    meta["corpora"] = [{**meta["corpora"][0], "sources": {"wikipedia": 10, "satp": 5}}]
    card = model_card(meta, metrics)
    licences = card.split("## Licences of the training data")[1]
    assert "CC BY-SA" in licences and "share" in licences
    assert "`satp`" in licences and "research use only" in licences
    assert "research material" in licences
    assert "demo corpus is small" not in card


def test_calibration_section_says_which_way_probabilities_lean(model_dir: Path) -> None:
    meta, metrics = _card_inputs(model_dir)
    bins = [{"low": 0.8, "high": 0.9, "count": 10, "confidence": 0.85, "frequency": 0.5}]
    metrics["calibration"]["reliability"] = bins
    assert "over-confident" in model_card(meta, metrics)
    metrics["calibration"]["reliability"] = [{**bins[0], "confidence": 0.2}]
    assert "under-confident" in model_card(meta, metrics)


@pytest.mark.slow
@pytest.mark.corpora
def test_wikipedia_model_evaluates_on_satp(corpora_dir: Path, tmp_path: Path) -> None:
    corpora = corpora_dir
    if not (corpora / "wikipedia_incidents.csv").is_file() or not (corpora / "satp.csv").is_file():
        pytest.skip(f"wikipedia_incidents.csv or satp.csv missing in {corpora}")
    from train.corpus import load_corpus, write_records

    wikipedia = load_corpus(
        f"wikipedia:{corpora / 'wikipedia_incidents.csv'}", skip_invalid=True
    ).records
    subset = tmp_path / "wikipedia_subset.jsonl"
    write_records(
        wikipedia[::10]
        + [json.loads(line) for line in (DEMO / "c.jsonl").read_text().splitlines()],
        subset,
    )
    out = tmp_path / "wiki-model"
    train_model(
        load_config(
            REPO / "train/configs/default.toml",
            corpora=[str(subset)],
            out=str(out),
            overrides=["features.gazetteer=false"],
        )
    )
    spec = f"satp:{corpora / 'satp.csv'}"
    data = _json(run(out, spec, "--json", "--skip-invalid"))
    metrics = data["corpora"][spec]
    assert metrics["n"] > 5000
    assert metrics["incident_types"]["per_label"]["bombing"]["support"] > 100
    assert metrics["incident_types"]["per_label"]["bombing"]["f1"] > 0.5
    assert metrics["region"]["n"] == metrics["n"]  # every SATP story is South Asian
    assert metrics["country"]["n"] == 0  # SATP names no country: left out, not counted wrong
    assert metrics["country"]["accuracy"] is None  # measured on nothing: null, not 0.0
    assert metrics["incident_types"]["per_label"]["hijacking"]["f1"] is None  # not annotated


def test_satp_corpus_is_scored_on_the_three_types_it_annotates(
    model_dir: Path, tmp_path: Path
) -> None:
    # SATP's format, in our own words: an unflagged story is not an attack; Other-only is one.
    path = tmp_path / "satp.csv"
    rows = [
        ("Maoists blew up a culvert with an IED as a police vehicle passed.", 0, 1, 0, 0),
        ("Gunmen shot dead two villagers in the market at dusk.", 1, 0, 0, 0),
        ("Militants abducted a contractor from his camp near the border.", 0, 0, 1, 0),
        ("Insurgents set fire to the forest office and fled into the hills.", 0, 0, 0, 1),
        ("The district board discussed the new irrigation scheme on Monday.", 0, 0, 0, 0),
    ]
    lines = ["text,ArmedAssault,Bombing,Kidnapping,Other,split"]
    lines += [f'"{text}",{a},{b},{k},{o},test' for text, a, b, k, o in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = f"satp:{path}"
    metrics = _json(run(model_dir, spec, "--json"))["corpora"][spec]
    incident = metrics["incident_types"]
    for label in ("ambush", "assassination", "facility_attack", "hijacking"):
        assert incident["per_label"][label] == {
            "precision": None,
            "recall": None,
            "f1": None,
            "support": 0,
            "annotated_records": 0,
        }
    for label in ("armed_assault", "bombing", "kidnap"):
        assert incident["per_label"][label]["annotated_records"] == 5
    assert incident["non_attack_records"] == 1  # the Other-only arson story is an attack
    assert metrics["country"] == {"accuracy": None, "n": 0}
    tables = run(model_dir, spec)
    assert tables.exit_code == 0, tables.output
    assert "not annotated" in tables.stdout


def test_tags_of_types_a_source_does_not_annotate_are_neither_right_nor_wrong() -> None:
    from train.metrics import evaluate_predictions

    records = [
        {"incident_types": ["bombing"], "source": "satp", "region": None, "country": None},
        {"incident_types": [], "source": "satp:other", "region": None, "country": None},
        {"incident_types": [], "source": "satp", "region": None, "country": None},
    ]
    predictions = [
        {"incident_types": {"bombing": 0.9, "facility_attack": 0.8}},
        {"incident_types": {"facility_attack": 0.7}},
        {"incident_types": {"assassination": 0.6}},
    ]
    incident = evaluate_predictions(records, predictions)["incident_types"]
    assert incident["micro_f1"] == 1.0 and incident["macro_f1"] == 1.0
    assert incident["per_label"]["facility_attack"]["f1"] is None
    assert incident["false_tag_rate"] == 1.0  # the plain SATP story is not an attack at all
    assert incident["non_attack_records"] == 1
    assert record_mistakes(records[0], _prediction(predictions[0]), INCIDENT_TYPES) == []


def _prediction(tags: dict) -> Prediction:
    """A Prediction with these tags (other probabilities 0)."""
    probabilities = {label: tags["incident_types"].get(label, 0.0) for label in INCIDENT_TYPES}
    return Prediction(tags["incident_types"], probabilities, None, 0.0, None, 0.0)


def test_every_source_declares_what_it_annotates() -> None:
    from train.sources import ANNOTATIONS, SOURCES, annotation_of

    for name in SOURCES:
        assert annotation_of(name) is not None
    assert annotation_of("rand:weak") is ANNOTATIONS["rand:weak"]
    assert annotation_of("ordinary_news:ag_news") is ANNOTATIONS["ordinary_news"]
    assert annotation_of("my-reports").incident_types == INCIDENT_TYPES
    assert set(ANNOTATIONS) >= {
        "satp",
        "satp:other",
        "wikipedia",
        "case",
        "acled",
        "gtd",
        "rand:weak",
        "ordinary_news",
    }
    assert "ambush" not in annotation_of("gtd").incident_types  # the GTD has no such type
