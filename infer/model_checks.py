"""What a model folder's meta.json must hold before anything is built from it.

Each check raises ModelError with one line naming meta.json and what is wrong, so that a
folder edited by hand, damaged, or made by hand with its hashes recomputed is refused
cleanly instead of scoring wrongly, slowly or with a traceback.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from infer.errors import ThreatTaggerError
from infer.model_format import HEADS, MAX_NGRAM
from infer.taxonomy import COUNTRIES, INCIDENT_TYPES, REGIONS


class ModelError(ThreatTaggerError):
    """A model folder is missing, tampered with, foreign or malformed."""


def _fail(path: Path, reason: str) -> ModelError:
    return ModelError(f"{path}: {reason}; refusing to load it")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_share(value: object) -> bool:
    """A finite number within [0, 1] (not a bool)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0.0 <= value <= 1.0
    )


def _names(
    path: Path, meta: dict[str, Any], key: str, known: Any, what: str, *, empty: bool = False
) -> list[str]:
    """A list of distinct known names (non-empty unless `empty`)."""
    names = meta.get(key)
    if (
        not isinstance(names, list)
        or not (names or empty)
        or not all(isinstance(n, str) for n in names)
    ):
        kind = "list" if empty else "non-empty list"
        raise _fail(path, f"'{key}' must be a {kind} of strings")
    if len(set(names)) != len(names):
        raise _fail(path, f"'{key}' lists a name twice")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise _fail(path, f"'{key}' holds unknown {what} {unknown[:3]!r}")
    return names


def check_meta(path: Path, meta: dict[str, Any]) -> None:
    """Refuse a meta.json whose structure or values the loader cannot trust."""
    for key, kind in (("files", dict), ("consistency_rule", dict), ("features", list)):
        if not isinstance(meta.get(key), kind):
            raise _fail(path, f"'{key}' must be a {'table' if kind is dict else 'list'}")
    labels = _names(path, meta, "labels", INCIDENT_TYPES, "incident types")
    # a corpus without geography labels (SATP alone) trains no region or country classes
    _names(path, meta, "regions", REGIONS, "regions", empty=True)
    countries = _names(path, meta, "countries", COUNTRIES, "country codes", empty=True)
    country_regions = meta.get("country_regions")
    if not isinstance(country_regions, dict):
        raise _fail(path, "'country_regions' must be a table")
    for code in countries:
        if country_regions.get(code) != COUNTRIES[code].region:
            raise _fail(
                path,
                f"country {code} is put in region {country_regions.get(code)!r}, "
                f"not its region {COUNTRIES[code].region!r}",
            )
    thresholds = meta.get("thresholds")
    if (
        not isinstance(thresholds, dict)
        or sorted(thresholds) != sorted(labels)
        or not all(_is_share(t) for t in thresholds.values())
    ):
        raise _fail(path, "'thresholds' must give each label a number within [0, 1]")
    rule = meta["consistency_rule"]
    for key, default in (
        ("country_min_probability", None),
        ("region_min_probability", None),
        ("place_fallback_share", 0.0),
    ):
        if not _is_share(rule.get(key, default)):
            raise _fail(
                path,
                f"consistency_rule.{key} must be a number within [0, 1], not {rule.get(key)!r}",
            )
    pooling = meta.get("pooling", {})
    if not isinstance(pooling, dict) or not all(
        _is_int(pooling.get(k, 0)) and 0 <= pooling.get(k, 0) <= 100_000
        for k in ("window_sentences", "window_min_words")
    ):
        raise _fail(
            path, "'pooling' must give window_sentences and window_min_words as whole numbers >= 0"
        )
    _check_features(path, meta["features"])
    _check_heads(path, meta)


def _check_features(path: Path, features: list[Any]) -> None:
    """Each feature block is a table with a name; n-gram ranges are short and ordered."""
    for spec in features:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise _fail(path, "each entry of 'features' must be a table with a name")
        if "ngram_range" in spec:
            low_high = spec["ngram_range"]
            if not (
                isinstance(low_high, list)
                and len(low_high) == 2
                and all(_is_int(n) for n in low_high)
                and 1 <= low_high[0] <= low_high[1] <= MAX_NGRAM
            ):
                raise _fail(
                    path,
                    f"feature block {spec['name']!r} has ngram_range "
                    f"{low_high!r}; it must be [low, high] with "
                    f"1 <= low <= high <= {MAX_NGRAM}",
                )


def _check_heads(path: Path, meta: dict[str, Any]) -> None:
    """'heads' (format 2+) maps known head names to lists of block inputs; 'gate' is a table."""
    heads = meta.get("heads", {})
    if not isinstance(heads, dict) or not set(heads) <= set(HEADS):
        raise _fail(path, f"'heads' must be a table of {', '.join(HEADS)}")
    for name, inputs in heads.items():
        if not isinstance(inputs, list) or not all(
            isinstance(i, dict)
            and isinstance(i.get("block"), str)
            and _is_int(i.get("start"))
            and _is_int(i.get("stop"))
            and 0 <= i["start"] <= i["stop"]
            and isinstance(i.get("subset"), bool)
            for i in inputs
        ):
            raise _fail(path, f"heads.{name} must list tables of block, start, stop, subset")
    gate = meta.get("gate")
    if gate is not None and not (
        isinstance(gate, dict)
        and isinstance(gate.get("classes"), list)
        and all(isinstance(c, str) for c in gate["classes"])
    ):
        raise _fail(path, "'gate' must be a table with a list of classes")


def check_thresholds(path: Path, meta: dict[str, Any], stored: np.ndarray) -> None:
    """The thresholds meta.json shows are the ones model.npz holds (and the loader uses)."""
    shown = np.array([meta["thresholds"][label] for label in meta["labels"]], dtype=np.float64)
    if stored.shape != shown.shape or not np.allclose(stored, shown, rtol=0, atol=1e-6):
        raise _fail(path, "'thresholds' differ from the ones stored in model.npz")
