"""Training configuration: one TOML file defines a run; defaults live in the dataclasses below."""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from train.config_checks import ConfigError, validate

__all__ = ["Config", "ConfigError", "load_config", "parse_set"]

CORPORA_VAR = "THREAT_CORPORA"
DEFAULT_CORPORA = "../shared/corpora"


@dataclass
class CorporaConfig:
    """Which corpora to train on (records whose own split is listed are left out) and the
    sample weight of each source (records of unlisted sources weigh 1)."""

    train: list[str] = field(default_factory=lambda: ["data/demo"])
    exclude_splits: list[str] = field(default_factory=lambda: ["test"])
    source_weights: dict[str, float] = field(default_factory=dict)


@dataclass
class SplitConfig:
    """The grouped dev split used to tune thresholds and report metrics."""

    dev_size: float = 0.2
    seed: int = 13
    near_duplicate_threshold: float = 0.8


@dataclass
class FeaturesConfig:
    """Text cleaning and the TF-IDF blocks."""

    lowercase: bool = True
    strip_boilerplate: bool = True
    keep_dateline_place: bool = True
    word_ngram_range: list[int] = field(default_factory=lambda: [1, 2])
    min_df: int = 2
    max_features: int = 50000
    char: bool = False
    char_ngram_range: list[int] = field(default_factory=lambda: [3, 5])
    char_max_features: int = 50000
    gazetteer: bool = True
    gazetteer_weight: float = 1.0
    gazetteer_min_population: int = 500
    gazetteer_prune: bool = True


@dataclass
class ModelConfig:
    """The linear heads and the region/country consistency rule."""

    C: float = 4.0
    class_weight: str = "balanced"
    geo_C: float = 4.0
    geo_class_weight: str = "none"
    # The feature blocks the region and country heads read (blocks the features lack are
    # skipped), and per block how many of its most frequent terms they keep (unlisted: all).
    # Dev (experiments.json, geo-all-columns): country / region accuracy 0.830 / 0.925 with
    # these limits vs 0.829 / 0.928 with every column on Wikipedia, 0.855 / 0.940 vs 0.858 /
    # 0.940 on the full corpora; the country head keeps 161 x 15k weights instead of 161 x
    # 150k (models/full: 19 MB instead of 231 MB). Char n-grams matter for the country:
    # 5k instead of 10k costs 0.003-0.004, none 0.008-0.011.
    region_blocks: list[str] = field(default_factory=lambda: ["word", "char", "places"])
    country_blocks: list[str] = field(default_factory=lambda: ["word", "char", "places"])
    region_block_columns: dict[str, int] = field(
        default_factory=lambda: {"word": 5000, "char": 10000}
    )
    country_block_columns: dict[str, int] = field(
        default_factory=lambda: {"word": 5000, "char": 10000}
    )
    # How those terms are chosen: "frequency" (the terms in the most rows) or "chi2" against
    # the head's labels (trial geo-by-chi2: fewer non-zeros to multiply, lower accuracy).
    geo_selection: str = "frequency"
    # Low-rank geo heads: r >= 1 stores the head as r latent rows and an r x classes mix,
    # the fitted scores projected on their top r principal directions over the head's
    # training records (their mean kept); 0, or r >= the number of classes, keeps the head
    # as fitted. The region and country heads share one product, 12 + 163 wide as fitted,
    # 12 + r with a rank-r country head. Dev (the experiments' "full" split, 1,942 records
    # with a country): country accuracy 0.8630 as fitted, 0.8538 / 0.8605 / 0.8630 / 0.8630
    # at rank 48 / 64 / 80 / 96, region 0.9412 +- 0.0004; 80 is the smallest rank within
    # 0.001 of both; full.toml ships it. Test (RAND, train/bench/geo_heads.py): 0.8103 as
    # fitted, 0.8017 / 0.8087 / 0.8101 / 0.8097 at rank 48 / 64 / 80 / 96, region unchanged;
    # rank 80 predicts about 1.1x as fast (trials country-full-rank, country-rank-48/64/96).
    country_rank: int = 0
    region_rank: int = 0
    max_iter: int = 2000
    country_min_probability: float = 0.5
    region_min_probability: float = 0.0
    window_sentences: int = 3
    window_min_words: int = 150
    place_fallback_share: float = 0.0
    nb_scaling: bool = False
    # The incident and gate heads' estimator: "logistic" (lbfgs), "sgd" (log loss) or "svc"
    # (LinearSVC with Platt calibration folded into the weights); geo heads stay logistic.
    # Dev (experiments.json, trials sgd/svc), primary metric vs logistic: svc +0.023 on
    # satp-all but -0.014 on satp-relevant, +0.004 / -0.001 micro on wikipedia / full with
    # macro-F1 -0.04 / -0.08; sgd within +-0.004 everywhere. Neither wins: logistic stays.
    estimator: str = "logistic"
    # The attack gate: P(label) = P(attack) * P(label | attack); type heads fit on attacks only.
    gate: bool = False
    gate_class_weight: str = "balanced"


@dataclass
class ThresholdsConfig:
    """Per-label threshold tuning on the dev split."""

    floor: float = 0.1
    ceiling: float = 0.9
    fallback: float = 0.5
    min_dev_positives: int = 3
    # Raise thresholds until at most this share of the dev records without a type get a tag.
    max_false_tag_share: float = 1.0


@dataclass
class RunConfig:
    """Name, output folder and seed of the run."""

    name: str = "default"
    out: str = "models/default"
    seed: int = 0


@dataclass
class Config:
    """A whole training run."""

    corpora: CorporaConfig = field(default_factory=CorporaConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    thresholds: ThresholdsConfig = field(default_factory=ThresholdsConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        """The fully resolved configuration as plain data."""
        return dataclasses.asdict(self)


def _check_value(where: str, expected: Any, value: Any) -> Any:
    """Return value if it matches the annotated type, else raise ConfigError naming `where`."""
    origin = typing.get_origin(expected)
    if origin is dict:
        key_type, value_type = typing.get_args(expected)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {type(value).__name__} {value!r}")
        return {
            _check_value(f"{where} key", key_type, k): _check_value(f"{where}.{k}", value_type, v)
            for k, v in value.items()
        }
    if origin is list:
        (item_type,) = typing.get_args(expected)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__} {value!r}")
        return [_check_value(f"{where}[{i}]", item_type, v) for i, v in enumerate(value)]
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is int and isinstance(value, bool):
        raise ConfigError(f"{where}: expected int, got bool {value!r}")
    if not isinstance(value, expected):
        raise ConfigError(
            f"{where}: expected {expected.__name__}, got {type(value).__name__} {value!r}"
        )
    return value


def _apply(config: Config, data: dict[str, Any], origin: str) -> None:
    """Override config fields in place from nested data, validating names and types."""
    sections = {f.name: f for f in dataclasses.fields(config)}
    for section_name, section_data in data.items():
        if section_name not in sections:
            raise ConfigError(
                f"{origin}: unknown section [{section_name}]; known: {', '.join(sections)}"
            )
        if not isinstance(section_data, dict):
            raise ConfigError(f"{origin}: [{section_name}] must be a table")
        section = getattr(config, section_name)
        hints = typing.get_type_hints(type(section))
        for key, value in section_data.items():
            if key not in hints:
                raise ConfigError(
                    f"{origin}: unknown key '{section_name}.{key}'; known: {', '.join(hints)}"
                )
            checked = _check_value(f"{origin}: {section_name}.{key}", hints[key], value)
            setattr(section, key, checked)


def _apply_file(config: Config, path: Path, chain: tuple[Path, ...]) -> None:
    """Apply a TOML config file; a top-level `extends = "base.toml"` (a path relative to the
    file) applies that file first, so a config states only how it differs from its base."""
    if path.resolve() in chain:
        raise ConfigError(
            f"{path}: `extends` loops back to it ({' -> '.join(p.name for p in (*chain, path))})"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        where = f" (extended by {chain[-1]})" if chain else ""
        raise ConfigError(f"{path}: config file not found{where}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    base = data.pop("extends", None)
    if base is not None:
        if not isinstance(base, str) or not base:
            raise ConfigError(f"{path}: extends must be the path of a config file, got {base!r}")
        _apply_file(config, path.parent / base, (*chain, path.resolve()))
    _apply(config, data, str(path))


def parse_set(item: str) -> tuple[str, str, Any]:
    """Parse one `--set section.key=value` (value as a TOML scalar/array, else a bare string)."""
    name, sep, raw = item.partition("=")
    section, dot, key = name.strip().partition(".")
    if not sep or not dot or not section or not key:
        raise ConfigError(f"--set {item!r}: expected section.key=value")
    try:
        value = tomllib.loads(f"value = {raw.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        if any(c in raw for c in "[]{}\"'"):
            raise ConfigError(f"--set {item!r}: cannot parse {raw!r} as a TOML value") from None
        value = raw.strip()
    return section, key, value


def expand_spec(spec: str, root: Path | None = None) -> str:
    """Expand ${THREAT_CORPORA} (env, default ../shared/corpora from the project root)."""
    root = Path.cwd() if root is None else root
    corpora = os.environ.get(CORPORA_VAR) or str(root / DEFAULT_CORPORA)
    return spec.replace("${" + CORPORA_VAR + "}", corpora).replace("$" + CORPORA_VAR, corpora)


def load_config(
    path: str | Path | None = None,
    *,
    corpora: list[str] | None = None,
    out: str | None = None,
    seed: int | None = None,
    overrides: list[str] = (),  # type: ignore[assignment]
) -> Config:
    """Defaults, then the TOML file (after the file it `extends`, if any), then CLI overrides
    (--corpus replaces the corpora)."""
    config = Config()
    origin = "defaults"
    if path is not None:
        origin = str(path)
        _apply_file(config, Path(path), ())
    for item in overrides:
        section, key, value = parse_set(item)
        _apply(config, {section: {key: value}}, f"--set {item}")
    if corpora:
        config.corpora.train = list(corpora)
    if out is not None:
        config.run.out = out
    if seed is not None:
        config.run.seed = seed
        config.split.seed = seed
    validate(config, origin)
    config.corpora.train = [expand_spec(spec) for spec in config.corpora.train]
    return config
