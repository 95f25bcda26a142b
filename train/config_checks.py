"""Checks of a whole training configuration beyond each value's type: names from fixed sets,
ranges, finite numbers, so that a bad setting fails when the config loads, not after the
corpus is read (scikit-learn would raise late, or take the value silently)."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

from infer.errors import ThreatTaggerError
from infer.model_format import MAX_NGRAM

if TYPE_CHECKING:
    from train.config import Config


class ConfigError(ThreatTaggerError):
    """The training configuration is invalid (unknown key, wrong type, bad override)."""


_CLASS_WEIGHTS = ("balanced", "none")
BLOCK_NAMES = ("word", "char", "places")  # the feature blocks a config can build
GEO_SELECTIONS = ("chi2", "frequency")
ESTIMATORS = ("logistic", "sgd", "svc")


# (section, key): (lowest, highest, whether the lowest is allowed) for numbers that a
# library would otherwise reject late (after the corpus is loaded) or take silently.
_RANGES: dict[tuple[str, str], tuple[float, float, bool]] = {
    ("model", "C"): (0.0, math.inf, False),
    ("model", "geo_C"): (0.0, math.inf, False),
    ("model", "max_iter"): (1, math.inf, True),
    ("model", "country_min_probability"): (0.0, 1.0, True),
    ("model", "region_min_probability"): (0.0, 1.0, True),
    ("model", "place_fallback_share"): (0.0, 1.0, True),
    ("model", "window_sentences"): (0, 100_000, True),
    ("model", "window_min_words"): (0, 100_000, True),
    ("model", "country_rank"): (0, 100_000, True),
    ("model", "region_rank"): (0, 100_000, True),
    ("features", "min_df"): (1, math.inf, True),
    ("features", "max_features"): (1, math.inf, True),
    ("features", "char_max_features"): (1, math.inf, True),
    ("features", "gazetteer_weight"): (0.0, math.inf, True),
    ("features", "gazetteer_min_population"): (0, math.inf, True),
    ("split", "near_duplicate_threshold"): (0.0, 1.0, True),
    ("split", "seed"): (0, 2**32 - 1, True),
    ("run", "seed"): (0, 2**32 - 1, True),
    ("thresholds", "fallback"): (0.0, 1.0, True),
    ("thresholds", "min_dev_positives"): (0, math.inf, True),
}


def _check_numbers(config: Config, origin: str) -> None:
    """Every float is finite, and the numbers in _RANGES are within their range."""
    for section in dataclasses.fields(config):
        values = dataclasses.asdict(getattr(config, section.name))
        for key, value in values.items():
            numbers = (
                value.values()
                if isinstance(value, dict)
                else value
                if isinstance(value, list)
                else [value]
            )
            if any(isinstance(n, float) and not math.isfinite(n) for n in numbers):
                raise ConfigError(f"{origin}: {section.name}.{key} must be a finite number")
    for (section_name, key), (low, high, low_ok) in _RANGES.items():
        value = getattr(getattr(config, section_name), key)
        if not (low <= value <= high) or (value == low and not low_ok):
            bound = f">= {low}" if low_ok else f"> {low}"
            upper = "" if high == math.inf else f" and <= {high}"
            raise ConfigError(
                f"{origin}: {section_name}.{key} must be {bound}{upper}, got {value!r}"
            )


def validate(config: Config, origin: str) -> None:
    """Checks that span more than a type."""
    _check_numbers(config, origin)
    for key in ("class_weight", "geo_class_weight", "gate_class_weight"):
        if getattr(config.model, key) not in _CLASS_WEIGHTS:
            raise ConfigError(f"{origin}: model.{key} must be one of {_CLASS_WEIGHTS}")
    for key in ("word_ngram_range", "char_ngram_range"):
        low_high = getattr(config.features, key)
        if len(low_high) != 2 or not 1 <= low_high[0] <= low_high[1] <= MAX_NGRAM:
            raise ConfigError(
                f"{origin}: features.{key} must be [low, high] with 1 <= low <= high <= {MAX_NGRAM}"
            )
    for key in ("region_blocks", "country_blocks", "region_block_columns", "country_block_columns"):
        unknown = sorted(set(getattr(config.model, key)) - set(BLOCK_NAMES))
        if unknown:
            raise ConfigError(
                f"{origin}: model.{key} names unknown blocks {unknown}; "
                f"known: {', '.join(BLOCK_NAMES)}"
            )
    if config.model.estimator not in ESTIMATORS:
        raise ConfigError(
            f"{origin}: model.estimator must be one of {ESTIMATORS}, got {config.model.estimator!r}"
        )
    if config.model.geo_selection not in GEO_SELECTIONS:
        raise ConfigError(f"{origin}: model.geo_selection must be one of {GEO_SELECTIONS}")
    for key in ("region_block_columns", "country_block_columns"):
        if any(n <= 0 for n in getattr(config.model, key).values()):
            raise ConfigError(
                f"{origin}: model.{key} values must be > 0 (leave a block out "
                f"to keep all of its columns)"
            )
    if not 0.0 < config.split.dev_size < 1.0:
        raise ConfigError(f"{origin}: split.dev_size must be between 0 and 1")
    if not 0.0 <= config.thresholds.floor <= config.thresholds.ceiling <= 1.0:
        raise ConfigError(f"{origin}: thresholds need 0 <= floor <= ceiling <= 1")
    if not 0.0 <= config.thresholds.max_false_tag_share <= 1.0:
        raise ConfigError(f"{origin}: thresholds.max_false_tag_share must be within [0, 1]")
    if any(w < 0 for w in config.corpora.source_weights.values()):
        raise ConfigError(f"{origin}: corpora.source_weights must not be negative")
    if not config.corpora.train:
        raise ConfigError(f"{origin}: corpora.train lists no corpus")
