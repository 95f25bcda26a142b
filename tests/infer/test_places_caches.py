"""The place matcher's caches (infer/places.py) never change what it finds."""

from __future__ import annotations

import infer.places as places
from infer.places import gazetteer_from_pairs
from tests.helpers import demo_texts

PAIRS = [
    ("Kabul", "AF"),
    ("Peshawar", "PK"),
    ("Ras al Ain", "SY"),
    ("Mosul", "IQ"),
    ("Maiduguri", "NG"),
    ("Mogadishu", "SO"),
    ("Baghdad", "IQ"),
    ("Quetta", "PK"),
]


def _found(gazetteer: places.Gazetteer, texts: list[str]) -> list[list[tuple]]:
    return [
        [(m.surface, m.start, m.country, m.demonym) for m in gazetteer.mentions(t)] for t in texts
    ]


def test_warm_opener_cache_finds_the_same_mentions_as_a_cold_one_on_thedemo_texts():
    texts = demo_texts()
    cold = _found(gazetteer_from_pairs(PAIRS), texts)
    warm = gazetteer_from_pairs(PAIRS)
    _found(warm, texts)
    assert warm.openers and _found(warm, texts) == cold
    assert any(cold)


def test_opener_cache_is_emptied_when_it_outgrows_its_bound(monkeypatch):
    monkeypatch.setattr(places, "_MAX_OPENERS", 2)
    gazetteer = gazetteer_from_pairs(PAIRS)
    text = "Gunmen from Alpha Beta Gamma Delta struck Kabul."
    first = _found(gazetteer, [text])
    assert len(gazetteer.openers) > 2
    assert _found(gazetteer, [text]) == first == [[("Kabul", 42, "AF", False)]]
