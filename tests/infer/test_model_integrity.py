"""Model-folder integrity and refusals (issue 14): meta.json is covered, the model card and plots
are not, and every refusal is one line naming the file and the reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infer.artifact import ModelError, load_artifact, sealed, sha256_file
from infer.predictor import Predictor

REPO = Path(__file__).resolve().parents[2]
TEXTS = ["A car bomb exploded near a Lagos market", "Gunmen kidnapped two engineers in Karachi"]


@pytest.fixture
def copy(model_dir, tmp_path) -> Path:
    return Path(shutil.copytree(model_dir, tmp_path / "m"))


def _edit_meta(folder: Path, edit, *, reseal: bool) -> None:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    edit(meta)
    (folder / "meta.json").write_text(
        json.dumps(sealed(meta) if reseal else meta), encoding="utf-8"
    )


def _swap_labels(meta):
    meta["labels"][0], meta["labels"][1] = meta["labels"][1], meta["labels"][0]


def _af_in_western_europe(meta):
    meta["country_regions"]["AF"] = "Western Europe"


def _script_country(meta):
    meta["countries"][0] = "ZZ<script>"


def _nan_country_min(meta):
    meta["consistency_rule"]["country_min_probability"] = float("nan")


def _huge_ngrams(meta):
    meta["features"][0]["ngram_range"] = [1, 400]


def _shown_thresholds(meta):
    meta["thresholds"] = {label: 0.01 for label in meta["thresholds"]}


HAND_EDITS = [
    _swap_labels,
    _af_in_western_europe,
    _script_country,
    _nan_country_min,
    _huge_ngrams,
    _shown_thresholds,
]


@pytest.mark.parametrize("edit", HAND_EDITS, ids=lambda f: f.__name__.strip("_"))
def test_hand_edited_meta_json_is_refused_naming_it(copy, edit):
    _edit_meta(copy, edit, reseal=False)
    with pytest.raises(ModelError, match=r"meta\.json: its content does not match its sha256"):
        load_artifact(copy)


@pytest.mark.parametrize("edit", HAND_EDITS[1:], ids=lambda f: f.__name__.strip("_"))
def test_meta_json_with_impossible_values_is_refused_even_with_its_hash_recomputed(copy, edit):
    _edit_meta(copy, edit, reseal=True)
    with pytest.raises(ModelError, match=r"meta\.json: .*refusing to load it"):
        load_artifact(copy)


def test_model_card_and_plots_may_be_edited_or_removed(copy):
    before = Predictor.load(copy).predict(TEXTS)
    (copy / "README.md").write_text("# our notes on this model\n", encoding="utf-8")
    for plot in copy.glob("*.png"):
        plot.unlink()
    assert Predictor.load(copy).predict(TEXTS) == before


def test_every_file_but_the_card_and_plots_is_covered_by_a_hash(copy):
    meta = json.loads((copy / "meta.json").read_text(encoding="utf-8"))
    files = {p.name for p in copy.iterdir()} - {"meta.json", "README.md"}
    assert set(meta["files"]) == {name for name in files if not name.endswith(".png")}
    assert all(meta["files"][name] == sha256_file(copy / name) for name in meta["files"])


def test_extra_zip_member_holding_a_pickle_is_refused_in_one_line(copy, tmp_path):
    marker = tmp_path / "pwned"
    payload = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    with zipfile.ZipFile(copy / "model.npz", "a") as archive:
        archive.writestr("evil.pkl", payload)
    _edit_meta(
        copy,
        lambda m: m["files"].update({"model.npz": sha256_file(copy / "model.npz")}),
        reseal=True,
    )
    with pytest.raises(ModelError, match=r"model\.npz: member 'evil\.pkl' is not a numeric array"):
        load_artifact(copy)
    assert not marker.exists()


def test_deeply_nested_meta_json_is_refused_as_invalid_json(copy):
    (copy / "meta.json").write_text("[" * 200_000, encoding="utf-8")
    with pytest.raises(ModelError, match=r"meta\.json: not valid JSON \(nested too deeply\)"):
        load_artifact(copy)


@pytest.mark.parametrize("heads", [[], {"incident": "word"}, {"incident": [{"block": 1}]}])
def test_malformed_heads_are_refused_even_with_the_hash_recomputed(copy, heads):
    _edit_meta(copy, lambda m: m.update(heads=heads), reseal=True)
    with pytest.raises(ModelError, match=r"meta\.json: .*heads"):
        load_artifact(copy)


@pytest.mark.parametrize("version", [True, "2", 2.5, None])
def test_format_version_of_the_wrong_type_is_an_unsupported_format(copy, version):
    _edit_meta(copy, lambda m: m.update(format_version=version), reseal=True)
    with pytest.raises(ModelError, match="unsupported model format"):
        load_artifact(copy)


REFUSALS = {
    "hand-edited meta": lambda f: _edit_meta(f, _swap_labels, reseal=False),
    "nested meta": lambda f: (f / "meta.json").write_text("[" * 200_000),
    "heads list": lambda f: _edit_meta(f, lambda m: m.update(heads=[]), reseal=True),
    "format true": lambda f: _edit_meta(f, lambda m: m.update(format_version=True), reseal=True),
    "binary meta": lambda f: (f / "meta.json").write_bytes(b"\xff\xfe\x00garbage"),
    "truncated npz": lambda f: (f / "model.npz").write_bytes((f / "model.npz").read_bytes()[:99]),
    "meta is a folder": lambda f: ((f / "meta.json").unlink(), (f / "meta.json").mkdir()),
}


@pytest.mark.parametrize("damage", REFUSALS, ids=list(REFUSALS))
def test_every_refusal_to_load_is_one_line_naming_the_file_without_traceback(copy, damage):
    REFUSALS[damage](copy)
    code = (
        "import typer; from infer.cli import register; app = typer.Typer(); "
        "app.callback()(lambda: None); register(app); app()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "predict", "a bomb", "--model", str(copy)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {copy}"), done.stderr


def test_a_model_trained_without_geography_labels_loads_and_predicts(tmp_path):
    # SATP alone names no country: the model has no region or country classes, and loads
    from train.config import load_config
    from train.fit import train_model

    records = [
        json.loads(line)
        for path in sorted((REPO / "data" / "demo").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    corpus = tmp_path / "no-geo.jsonl"
    corpus.write_text(
        "\n".join(json.dumps({**r, "region": None, "country": None}) for r in records[::4]) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "model"
    train_model(
        load_config(REPO / "train/configs/default.toml", corpora=[str(corpus)], out=str(out))
    )
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["countries"] == []
    [prediction] = Predictor.load(out).predict(["A car bomb exploded near a Lagos market"])
    assert prediction.country is None
