"""infer.rounding.rounded gives exactly round()'s floats; prediction_dicts exactly to_dict's."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from infer.predictor import Predictor
from infer.rounding import rounded
from infer.scoring import Prediction, prediction_dicts


def same(a: float, b: float) -> bool:
    """Equal as floats, sign of zero and nan included."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def tricky(digits: int) -> list[float]:
    """Exact and near ties at `digits` places (k + 0.5) / 10**digits and their neighbours,
    values that round up to the next power of ten, signed zeros, specials, huge and tiny."""
    scale = 10**digits
    values = []
    for k in range(0, 2 * scale + 2):
        for x in (k / (2 * scale), (k + 0.5) / scale, k / scale):
            values += [x, math.nextafter(x, -math.inf), math.nextafter(x, math.inf), -x]
    values += [0.0, -0.0, math.nan, math.inf, -math.inf, 1e300, -1e300, 5e-324, 1e9, 1e15]
    values += [0.03125, 0.09375, 0.99995, 0.999949999, 1.00005, 2.675, 1e-5, 4.9999e-5]
    return values


@pytest.mark.parametrize("digits", [0, 1, 2, 3, 4, 6])
def test_rounded_equals_round_on_ties_neighbours_and_specials(digits) -> None:
    values = tricky(min(digits, 4))
    got = rounded(values, digits)
    assert all(isinstance(v, float) for v in got)
    bad = [
        (x, g, round(x, digits))
        for x, g in zip(values, got, strict=True)
        if not same(g, round(x, digits))
    ]
    assert bad == []


def test_rounded_equals_round_on_a_million_random_probabilities_and_logits() -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate(
        [rng.random(800_000), rng.normal(0, 50, 100_000), rng.random(100_000) * 1e-3]
    )
    got = rounded(values, 4)
    assert [g for g, x in zip(got, values.tolist(), strict=True) if g != round(x, 4)] == []


def test_rounded_takes_digits_outside_its_fast_range_through_round() -> None:
    assert rounded([1234.5678, 0.5], -2) == [round(1234.5678, -2), round(0.5, -2)]
    assert rounded([1 / 3], 17) == [round(1 / 3, 17)]


def test_prediction_dicts_equal_to_dict_of_each_prediction(model_dir) -> None:
    texts = [
        "A car bomb exploded near the market in Kabul, killing four.",
        "Gunmen ambushed a convoy near Gao and kidnapped two drivers.",
        "The council approved the city budget.",
        "",
    ]
    made = Predictor.load(model_dir).predict(texts)
    made.append(
        Prediction(
            {"bombing": 0.03125, "kidnap": 0.99995},
            {"bombing": 0.03125, "kidnap": 0.99995, "ambush": 0.09375, "hijacking": 0.0},
            None,
            2.675e-5,
            "IQ",
            0.5,
        )
    )
    want = [p.to_dict(4) for p in made]
    got = prediction_dicts(made, 4)
    assert json.dumps(got) == json.dumps(want)  # same keys, order and float reprs
