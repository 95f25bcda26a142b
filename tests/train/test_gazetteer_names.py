"""Small GeoNames towns named like people stay out of the gazetteer (train/gazetteer.py)."""

from __future__ import annotations

from infer.places import place_key


def test_person_names_hold_first_and_last_names_of_many_locales() -> None:
    from train.gazetteer_sources import person_names

    names = person_names()
    for name in ("Gomez", "Higgins", "Jaafar", "Fernandez", "Usman"):
        assert place_key(name) in names, name
    for place in ("Kabul", "Quetta", "Makhmour", "Bhawanipatna", "Mosul"):
        assert place_key(place) not in names, place


def test_a_small_town_named_like_a_person_is_not_a_place() -> None:
    from train.gazetteer import build_gazetteer

    places = build_gazetteer().places
    # Gomez: a small town in Panama and a common surname; without the name lists it was one
    assert place_key("Gomez") not in places
    # small towns with names that are nobody's stay, and so do big cities named like people
    assert places[place_key("Makhmour")] == "IQ"
    assert places[place_key("Bhawanipatna")] == "IN"
    assert places[place_key("Santiago")] == "CL"
