"""Thresholds raised against a false-tag limit on the dev split (thresholds.max_false_tag_share)."""

from __future__ import annotations

import numpy as np
import pytest

from train.config import ConfigError, ThresholdsConfig, load_config
from train.thresholds import limit_false_tags, tune_thresholds

# rows 0-3: positives of label a (0, 1) or b (2, 3); rows 4-7: negatives
TRUTH = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0, 0], [0, 0], [0, 0], [0, 0]])
PROBABILITY = np.array(
    [
        [0.9, 0.1],
        [0.6, 0.1],
        [0.1, 0.9],
        [0.1, 0.8],
        [0.55, 0.1],
        [0.7, 0.1],
        [0.1, 0.6],
        [0.1, 0.1],
    ]
)


def tagged_share(thresholds: np.ndarray) -> float:
    """Share of the negative rows given any tag."""
    tagged = (thresholds <= PROBABILITY) & (PROBABILITY > 0)
    return float(tagged[4:].any(axis=1).mean())


def test_limit_raises_thresholds_until_few_negatives_get_a_tag():
    start = np.array([0.5, 0.5])
    assert tagged_share(start) == 0.75
    negatives = ~TRUTH.astype(bool).any(axis=1)
    for limit in (0.5, 0.25, 0.0):
        raised = limit_false_tags(TRUTH, PROBABILITY, start, negatives, limit)
        assert tagged_share(raised) <= limit
        assert np.all(raised >= start)


def test_limit_prefers_the_lift_that_loses_no_true_tag():
    negatives = ~TRUTH.astype(bool).any(axis=1)
    # one false tag may go: lifting b over 0.6 costs nothing, lifting a over 0.55 costs nothing
    # too but a over 0.7 would cost row 1; the cheapest, smallest lift is a to (0.55+0.6)/2
    raised = limit_false_tags(TRUTH, PROBABILITY, np.array([0.5, 0.5]), negatives, 0.5)
    assert raised[0] == pytest.approx(0.575)
    assert raised[1] == 0.5
    assert tagged_share(raised) == 0.5


def test_tune_thresholds_reports_which_labels_the_limit_raised():
    cfg = ThresholdsConfig(floor=0.5, ceiling=0.5, max_false_tag_share=0.0)
    thresholds, info = tune_thresholds(TRUTH, PROBABILITY, ["a", "b"], cfg)
    assert tagged_share(thresholds) == 0.0
    assert info["a"]["raised_from"] == 0.5 and info["a"]["threshold"] == thresholds[0]
    unlimited, plain = tune_thresholds(
        TRUTH, PROBABILITY, ["a", "b"], ThresholdsConfig(floor=0.5, ceiling=0.5)
    )
    assert list(unlimited) == [0.5, 0.5] and "raised_from" not in plain["a"]


def test_only_the_given_negative_rows_count_against_the_limit():
    cfg = ThresholdsConfig(floor=0.5, ceiling=0.5, max_false_tag_share=0.0)
    counted = np.array([False] * 4 + [False, False, False, True])  # row 7 is never tagged
    thresholds, _ = tune_thresholds(TRUTH, PROBABILITY, ["a", "b"], cfg, counted)
    assert list(thresholds) == [0.5, 0.5]


def test_false_tag_limit_must_be_a_share():
    with pytest.raises(ConfigError, match="max_false_tag_share"):
        load_config(None, overrides=["thresholds.max_false_tag_share=1.5"])
