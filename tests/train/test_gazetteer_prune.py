"""prune_by_corpus: which gazetteer names the labelled training texts show to mislead."""

from __future__ import annotations

import dataclasses

from infer.places import gazetteer_from_pairs, place_key
from train.gazetteer import prune_by_corpus

SOUTH_ASIA = "South Asia"


def gazetteer():
    """Dubai (a big city: a strong key) and Usman (a small Russian town, and a first name)."""
    base = gazetteer_from_pairs([("Dubai", "AE"), ("Usman", "RU"), ("Quetta", "PK")])
    return dataclasses.replace(base, strong=frozenset({place_key("Dubai")}))


# Stories written for this test, in the style of South Asian incident reports.
REGION_ONLY = [
    "Police said the militant, known as Usman, was arrested in Quetta after a trip to Dubai.",
    "A man called Usman, who had fled to Dubai, planned the attack in Quetta.",
    "Three men were injured when a bomb went off; police named one as Usman. He lived in Dubai.",
]


def test_a_name_that_region_only_stories_place_elsewhere_is_dropped() -> None:
    pruned, dropped = prune_by_corpus(gazetteer(), REGION_ONLY, [(None, SOUTH_ASIA)] * 3)
    assert place_key("Usman") in dropped
    assert place_key("Usman") not in pruned.places


def test_region_only_stories_do_not_drop_a_big_city_they_name_as_context() -> None:
    pruned, dropped = prune_by_corpus(gazetteer(), REGION_ONLY, [(None, SOUTH_ASIA)] * 3)
    assert place_key("Dubai") not in dropped
    assert pruned.places[place_key("Dubai")] == "AE"
    assert place_key("Dubai") in pruned.strong


def test_stories_labelled_with_another_country_still_drop_a_big_city() -> None:
    # (a made-up quarter of Quetta that shares the city's name)
    texts = [f"A bomb went off in Dubai, a quarter of Quetta ({n})." for n in range(3)]
    pruned, dropped = prune_by_corpus(gazetteer(), texts, [("PK", SOUTH_ASIA)] * 3)
    assert place_key("Dubai") in dropped
    assert place_key("Dubai") not in pruned.strong


def test_a_name_mostly_seen_where_it_lies_is_kept() -> None:
    texts = ["Gunmen attacked a checkpoint in Quetta."] * 2 + ["Quetta police met in Dubai."]
    labels = [("PK", SOUTH_ASIA)] * 2 + [("AE", "Middle East & North Africa")]
    pruned, dropped = prune_by_corpus(gazetteer(), texts, labels)
    assert dropped == []
    assert pruned.places == gazetteer().places
