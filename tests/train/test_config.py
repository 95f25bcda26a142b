"""Training config: defaults, TOML overrides, CLI overrides and the errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from train.config import Config, ConfigError, load_config, parse_set

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_dataclass_defaults():
    config = load_config(None)
    assert config.to_dict() == Config().to_dict()
    assert config.model.class_weight == "balanced"
    assert config.model.country_min_probability == 0.5


def test_file_values_override_defaults_and_leave_the_rest(tmp_path):
    config = load_config(write(tmp_path, "[model]\nC = 2\n[run]\nname = 'x'\n"))
    assert config.model.C == 2.0 and isinstance(config.model.C, float)
    assert config.run.name == "x"
    assert config.features.min_df == Config().features.min_df


def test_default_config_trains_on_the_demo_corpus_into_models_default():
    config = load_config(REPO / "train/configs/default.toml")
    assert config.corpora.train == ["data/demo"]
    assert config.run.out == "models/default"


def test_full_config_keeps_case_and_rand_out_and_excludes_satp_test(monkeypatch):
    monkeypatch.setenv("THREAT_CORPORA", "/corpora")
    config = load_config(REPO / "train/configs/full.toml")
    specs = config.corpora.train
    assert "wikipedia:/corpora/wikipedia_incidents.csv" in specs
    assert "satp:/corpora/satp.csv" in specs
    assert not any("case" in s or "rand" in s for s in specs)
    assert "test" in config.corpora.exclude_splits
    assert config.run.out == "models/full"


def test_threat_corpora_defaults_to_shared_folder_beside_the_repo(monkeypatch):
    monkeypatch.delenv("THREAT_CORPORA", raising=False)
    config = load_config(None, corpora=["satp:${THREAT_CORPORA}/satp.csv"])
    assert config.corpora.train == [f"satp:{Path.cwd() / '../shared/corpora'}/satp.csv"]


def test_unknown_section_error_names_the_section(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown section \[modle\]"):
        load_config(write(tmp_path, "[modle]\nC = 1.0\n"))


def test_unknown_key_error_names_file_section_and_key(tmp_path):
    path = write(tmp_path, "[features]\nmin_dff = 3\n")
    with pytest.raises(ConfigError, match=r"run\.toml: unknown key 'features\.min_dff'"):
        load_config(path)


def test_wrong_type_error_names_key_and_types(tmp_path):
    with pytest.raises(ConfigError, match=r"features\.min_df: expected int, got str"):
        load_config(write(tmp_path, "[features]\nmin_df = 'two'\n"))


def test_bool_is_not_accepted_for_an_int(tmp_path):
    with pytest.raises(ConfigError, match="expected int, got bool"):
        load_config(write(tmp_path, "[features]\nmax_features = true\n"))


def test_list_items_are_type_checked(tmp_path):
    with pytest.raises(ConfigError, match=r"corpora\.train\[1\]: expected str"):
        load_config(write(tmp_path, "[corpora]\ntrain = ['a', 3]\n"))


def test_invalid_toml_error_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"run\.toml: invalid TOML"):
        load_config(write(tmp_path, "[model\n"))


def test_class_weight_must_be_balanced_or_none(tmp_path):
    with pytest.raises(ConfigError, match="class_weight"):
        load_config(write(tmp_path, "[model]\nclass_weight = 'heavy'\n"))


def test_set_values_parse_as_toml_scalars_and_arrays():
    assert parse_set("model.C=0.5") == ("model", "C", 0.5)
    assert parse_set("features.char=true") == ("features", "char", True)
    assert parse_set("corpora.train=['a', 'b']") == ("corpora", "train", ["a", "b"])
    assert parse_set("run.name=nightly") == ("run", "name", "nightly")
    assert parse_set('run.name="with space"') == ("run", "name", "with space")


@pytest.mark.parametrize(
    "item, message",
    [
        ("model.C", "expected section.key=value"),
        ("C=1", "expected section.key=value"),
        ("model.C=[1", "cannot parse"),
        ("model.C=abc", "expected float, got str"),
        ("model.D=1", "unknown key 'model.D'"),
    ],
)
def test_bad_set_is_a_config_error_naming_it(item, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, overrides=[item])


def test_cli_options_override_the_file(tmp_path):
    path = write(tmp_path, "[corpora]\ntrain = ['x.jsonl']\n[run]\nout = 'models/a'\nseed = 1\n")
    config = load_config(
        path, corpora=["y.jsonl", "z.csv"], out="models/b", seed=9, overrides=["model.C=0.25"]
    )
    assert config.corpora.train == ["y.jsonl", "z.csv"]
    assert config.run.out == "models/b"
    assert config.run.seed == 9 and config.split.seed == 9
    assert config.model.C == 0.25


def test_full_config_points_at_existing_real_corpora(corpora_dir, monkeypatch):
    monkeypatch.setenv("THREAT_CORPORA", str(corpora_dir))
    config = load_config(REPO / "train/configs/full.toml")
    for spec in config.corpora.train:
        path = spec.split(":", 1)[1] if ":" in spec else spec
        assert (REPO / path).exists(), spec


def test_training_without_a_config_is_the_default_toml_run():
    # `threat-tagger train --corpus X` must train what `make train` trains (place block included)
    assert load_config(None).to_dict() == load_config(REPO / "train/configs/default.toml").to_dict()
    assert load_config(None).features.gazetteer


def test_fast_config_is_full_config_without_char_ngrams_or_word_bigrams():
    full = load_config(REPO / "train/configs/full.toml").to_dict()
    fast = load_config(REPO / "train/configs/fast.toml").to_dict()
    assert "extends" in (REPO / "train/configs/fast.toml").read_text(encoding="utf-8")
    assert fast["corpora"] == full["corpora"] and fast["split"] == full["split"]
    assert fast["thresholds"] == full["thresholds"]
    assert fast["features"] == {**full["features"], "char": False, "word_ngram_range": [1, 1]}
    assert fast["run"]["out"] == "models/fast"


def test_extends_applies_the_base_first_and_refuses_loops(tmp_path):
    (tmp_path / "base.toml").write_text("[model]\nC = 2.0\ngate = true\n", encoding="utf-8")
    (tmp_path / "child.toml").write_text(
        'extends = "base.toml"\n[model]\nC = 8.0\n', encoding="utf-8"
    )
    config = load_config(tmp_path / "child.toml")
    assert config.model.C == 8.0 and config.model.gate
    (tmp_path / "loop.toml").write_text('extends = "loop.toml"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="loops back"):
        load_config(tmp_path / "loop.toml")
    (tmp_path / "orphan.toml").write_text('extends = "gone.toml"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gone\.toml: config file not found"):
        load_config(tmp_path / "orphan.toml")


def test_config_comments_carry_no_measured_numbers():
    # measured figures live in train/bench/experiments.json and BENCHMARKS.md, not in configs
    import re

    for path in sorted((REPO / "train/configs").glob("*.toml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            comment = re.sub(r"\[[^]]*\]", "", line.partition("#")[2])  # [trial names]
            assert not re.search(r"[+-]?\d\.\d{2,}|\d+(\.\d+)?%", comment), (
                f"{path.name}:{number}: {line}"
            )


def test_every_experiment_trial_is_valid_config_overrides():
    from train.bench.experiments import load_trials

    trials = load_trials()
    assert trials[0].name == "baseline" and not trials[0].overrides
    assert len({t.name for t in trials}) == len(trials)
    for trial in trials:
        load_config(REPO / "train/configs/full.toml", overrides=list(trial.overrides))
