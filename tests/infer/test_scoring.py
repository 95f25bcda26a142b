"""The decision rules live in infer/scoring.py, shared by predict and explain."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys

import numpy as np
import pytest
from helpers import geography_row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infer import scoring, taxonomy
from infer.artifact import Head, load_artifact
from infer.predictor import Predictor


def test_explain_works_without_importing_the_predictor():
    code = "import sys, infer.explain; assert 'infer.predictor' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_implication_follows_the_taxonomy_table_transitively(monkeypatch):
    labels = ("a", "b", "c", "d")
    monkeypatch.setattr(scoring, "IMPLIED_TYPES", {"a": ("b",), "b": ("c",)})
    assert scoring.implying(labels) == {1: (0,), 2: (0, 1)}
    probability = np.array([[0.9, 0.2, 0.1, 0.4], [0.1, 0.7, 0.3, 0.2]])
    raised = scoring.parent_probability(scoring.implying(labels), probability.copy())
    assert raised.tolist() == [[0.9, 0.9, 0.9, 0.4], [0.1, 0.7, 0.7, 0.2]]


def test_the_shipped_implication_is_ambush_to_armed_assault():
    labels = taxonomy.INCIDENT_TYPES
    pairs = scoring.implying(labels)
    assert pairs == {labels.index("armed_assault"): (labels.index("ambush"),)}


def _region_only(model):
    """The model with no country reported and no place fallback: regions from the head alone."""
    return dataclasses.replace(
        model, region_min_probability=0.0, country_min_probability=1.01, place_fallback_share=0.0
    )


def test_a_region_at_the_heads_no_evidence_level_is_not_reported(model_dir):
    model = _region_only(load_artifact(model_dir))
    k = len(model.region.classes)
    base = np.full(k, 0.6 / (k - 1))
    base[0] = 0.4  # a head that says "the first region, 40%" about anything
    deaf = Head(model.region.classes, np.zeros_like(model.region.coef), np.log(base))
    texts = ["", "The city council approved next year's budget for parks.", "Gunmen in Mosul"]
    for prediction in Predictor(dataclasses.replace(model, region=deaf)).predict(texts):
        assert prediction.region is None
        assert prediction.region_probability == pytest.approx(0.4)


def _with_best(k: int, column: int, p: float) -> np.ndarray:
    row = np.full(k, (1.0 - p) / (k - 1))
    row[column] = p
    return row


def test_a_region_needs_twice_its_no_evidence_odds_and_more_than_the_no_evidence_answer():
    k = 12
    empty = _with_best(k, 0, 0.4)  # no evidence: region 0 at 0.4, each other at 0.6 / 11
    doubled = 2 * (0.4 / 0.6) / (1 + 2 * (0.4 / 0.6))  # region 0 at twice its empty odds
    rows = np.array(
        [
            empty,  # the head's no-evidence answer itself
            _with_best(k, 0, doubled * 0.999),  # region 0 just under twice its empty odds
            _with_best(k, 0, doubled * 1.001),  # ... just over: reported
            # region 1 at about ten times its empty odds, but under region 0's empty 0.4
            np.r_[0.35, 0.36, np.full(k - 2, 0.029)],
            np.r_[0.34, 0.41, np.full(k - 2, 0.025)],  # region 1 over 0.4: reported
        ]
    )
    assert scoring.REGION_MIN_ODDS_RATIO == 2.0
    assert scoring.above_no_evidence(rows, empty).tolist() == [False, False, True, False, True]


def test_a_city_budget_story_gets_no_region_and_a_story_naming_a_place_keeps_it(model_dir):
    """The issue's example, with the small demo model and default.toml's country rule."""
    model = dataclasses.replace(load_artifact(model_dir), country_min_probability=0.5)
    budget, named = Predictor(model).predict(
        [
            "The city council approved next year's budget on Tuesday, with more money for road "
            "repairs, libraries and two new parks.",
            "Gunmen stormed a police post near Makhmour in northern Iraq overnight, killing two "
            "officers, local officials said.",
        ]
    )
    assert (budget.region, budget.country) == (None, None)
    assert (named.region, named.country) == ("Middle East & North Africa", "IQ")


SENTENCE_PIECES = [
    *".!? \n\t\"'”’)“‘(aZ09_-",
    "\u00a0",
    "\u2028",
    "  ",
    "\n\n",
    "\n \n",
    "Mr.",
    "Kabul",
    "said.",
    ".”",
    "!’ ",
    "? (",
    "É",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(SENTENCE_PIECES), max_size=30).map("".join))
def test_sentences_are_what_the_sentence_regex_splits(text):
    assert scoring._sentences(text) == scoring._SENTENCE.split(text)


WORD_PIECES = [*" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u3000", "  ", "a", "bc", "é", "defghij"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(WORD_PIECES), max_size=40).map("".join), st.integers(0, 12))
def test_has_words_is_a_count_of_the_split(text, n):
    assert scoring.has_words(text, n) == (len(text.split()) >= n)


def test_the_whitespace_count_is_of_every_ascii_separator_of_split():
    separators = bytes(c for c in range(128) if len(f"a{chr(c)}b".split()) == 2)
    assert separators == scoring._ASCII_SPACE
    for c in separators.decode():  # n - 1 separators between n words: not refused
        assert scoring.has_words(c.join(["ab"] * 9), 9)
        assert not scoring.has_words(c.join(["ab"] * 9), 10)
    # separators outside ASCII are not counted: such a text goes to the split
    assert scoring.has_words("ab\u3000cd\x85ef\u2028gh", 4)
    assert scoring.has_words("bomb" + " é" * 5, 6)


PROBABILITY = st.floats(0.0, 1.0)
LABELS = st.sampled_from(taxonomy.INCIDENT_TYPES)
PREDICTION_FIELDS = st.tuples(
    st.dictionaries(LABELS, PROBABILITY, max_size=3),
    st.dictionaries(LABELS, PROBABILITY),
    st.sampled_from([None, "South Asia", "Sub-Saharan Africa"]),
    PROBABILITY,
    st.sampled_from([None, "IN", "NG", "XX"]),
    PROBABILITY,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(PREDICTION_FIELDS, max_size=6))
def test_built_predictions_are_the_dataclass_own_objects(rows):
    columns = [[row[k] for row in rows] for k in range(6)]
    built = scoring.built_predictions(*columns)
    expected = [scoring.Prediction(*row) for row in rows]
    assert built == expected
    for fast, slow in zip(built, expected, strict=True):
        assert type(fast) is scoring.Prediction
        assert repr(fast) == repr(slow)
        assert fast.to_dict() == slow.to_dict()
        assert pickle.loads(pickle.dumps(fast)) == slow
        assert [getattr(fast, f.name) for f in dataclasses.fields(fast)] == list(
            dataclasses.astuple(slow)
        )
        with pytest.raises(dataclasses.FrozenInstanceError):
            fast.region = "elsewhere"  # type: ignore[misc]


def test_prediction_has_no_init_step_that_built_predictions_would_skip():
    """built_predictions sets the slots directly: it is only the dataclass's own __init__ while
    that __init__ does nothing else (no __post_init__, no defaults, one slot per field)."""
    fields = dataclasses.fields(scoring.Prediction)
    assert not hasattr(scoring.Prediction, "__post_init__")
    assert all(f.default is dataclasses.MISSING for f in fields)
    assert all(f.default_factory is dataclasses.MISSING for f in fields)
    assert scoring.Prediction.__slots__ == tuple(f.name for f in fields)


def test_built_predictions_wants_one_column_per_field_of_one_length():
    with pytest.raises(ValueError, match="6 columns"):
        scoring.built_predictions([{}], [{}], [None], [0.0], [None])
    with pytest.raises(ValueError, match="one length"):
        scoring.built_predictions([{}], [{}], [None], [0.0], [None], [0.0, 1.0])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 16),
    country_min=st.sampled_from([0.0, 0.3, 0.6, 1.01]),
    region_min=st.sampled_from([0.0, 0.2, 0.9]),
)
def test_geography_columns_follow_the_per_row_rule(model_dir, seed, n, country_min, region_min):
    model = dataclasses.replace(
        load_artifact(model_dir),
        country_min_probability=country_min,
        region_min_probability=region_min,
    )
    predictor = Predictor(model)
    rng = np.random.default_rng(seed)
    countries, regions = model.country.classes, model.region.classes
    peaks = rng.choice([0.0, 3.0, 8.0], size=(n, 2))  # unsure, even odds and confident heads
    country_p = scoring.softmax(rng.normal(size=(n, len(countries))))
    region_p = scoring.softmax(rng.normal(size=(n, len(regions))))
    for row in range(n):
        country_p[row] = scoring.softmax(
            np.log(country_p[row : row + 1]) + peaks[row, 0] * np.eye(len(countries))[row % 3]
        )[0]
        region_p[row] = scoring.softmax(
            np.log(region_p[row : row + 1]) + peaks[row, 1] * np.eye(len(regions))[row % 2]
        )[0]
    if n:  # a head exactly at even odds (a different named place does not outvote it)
        country_p[0] = np.r_[0.5, np.full(len(countries) - 1, 0.5 / (len(countries) - 1))]
    # no place, the head's own country, another country of the model, one it does not know
    choices = [None, countries[0], countries[1], countries[-1], "GL"]
    places = [choices[k] for k in rng.integers(0, len(choices), size=n)]
    columns = predictor.scorer.geography_columns(region_p, country_p, places)
    rows = predictor.scorer.geography(region_p, country_p, places)
    assert rows == list(zip(*columns, strict=True))
    assert all(len(column) == n for column in columns)
    for row in range(n):
        expected = geography_row(predictor, region_p[row], country_p[row], places[row])
        region, region_prob, country, country_prob = rows[row]
        assert (region, country, country_prob) == (expected[0], expected[2], expected[3])
        assert region_prob == pytest.approx(expected[1], rel=1e-12, abs=1e-15)  # a sum's order
        assert all(type(value) is float for value in (region_prob, country_prob))


@settings(max_examples=300, deadline=None)
@given(
    keys=st.lists(st.text(max_size=6), max_size=9).map(tuple),
    seed=st.integers(0, 2**32 - 1),
)
def test_dict_maker_is_dict_of_zip_for_any_keys(keys, seed):
    """Any str, quotes, backslashes, lone surrogates and repeated keys included."""
    values = np.random.default_rng(seed).random(len(keys)).tolist()
    made = scoring.dict_maker(keys)(*values)
    expected = dict(zip(keys, values, strict=True))
    assert made == expected
    assert list(made.items()) == list(expected.items())  # the order too
    with pytest.raises(TypeError):
        scoring.dict_maker(keys)(*values, 0.5)


def test_dict_maker_takes_keys_that_are_not_plain_str_through_zip():
    keys = (np.str_("bombing"), "kidnap")
    made = scoring.dict_maker(keys)(0.25, 0.75)  # type: ignore[arg-type]
    assert list(made.items()) == [("bombing", 0.25), ("kidnap", 0.75)]
    assert type(next(iter(made))) is np.str_


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(1, 200))
def test_softmax_is_the_textbook_formula_bit_for_bit_and_leaves_its_input(seed, n, k):
    z = np.random.default_rng(seed).normal(size=(n, k)) * 20
    before = z.copy()
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    assert np.array_equal(scoring.softmax(z), shifted / shifted.sum(axis=1, keepdims=True))
    assert np.array_equal(z, before)
