"""Armed-group names as country evidence (infer/groups.py, the matcher's `group=` columns)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from infer.groups import GROUP_ROWS, OVERRIDDEN_TOWNS, is_acronym
from infer.place_features import PlaceBlock
from infer.places import Gazetteer, gazetteer_from_pairs, place_key, span_key
from infer.taxonomy import COUNTRIES
from train.gazetteer_sources import demonym_keys, group_keys, taxonomy_places

ALIASES = [(name, code) for code, names in GROUP_ROWS for name in names]


@pytest.fixture(scope="module")
def small() -> Gazetteer:
    places = gazetteer_from_pairs([("Gwoza", "NG"), ("Bogota", "CO"), ("Eta", "TL")]).places
    groups, acronyms = group_keys()
    return Gazetteer(places, demonyms=demonym_keys(), groups=groups, group_acronyms=acronyms)


def found(gazetteer: Gazetteer, text: str) -> list[tuple[str, str, bool]]:
    return [(m.surface, m.country, m.group) for m in gazetteer.mentions(text)]


def test_every_group_row_names_a_known_country() -> None:
    assert all(code in COUNTRIES for code, _ in GROUP_ROWS)
    assert 80 <= len(ALIASES) <= 250


def test_no_group_alias_stands_for_two_countries() -> None:
    codes: dict[str, set[str]] = {}
    for name, code in ALIASES:
        codes.setdefault(span_key(name), set()).add(code)
    assert {key: c for key, c in codes.items() if len(c) > 1} == {}


def test_no_group_alias_is_a_country_name_or_demonym() -> None:
    names = set(taxonomy_places()) | set(demonym_keys())
    assert [name for name, _ in ALIASES if span_key(name) in names] == []


def test_every_alias_is_matched_to_its_country_in_running_text(small: Gazetteer) -> None:
    missed = [
        (name, code, found(small, f"Yesterday {name} fighters attacked a post."))
        for name, code in ALIASES
    ]
    assert [m for m in missed if m[2] != [(m[0], m[1], True)]] == []


def test_acronyms_match_only_as_written(small: Gazetteer) -> None:
    assert is_acronym("ETA") and is_acronym("LeJ") and not is_acronym("Al-Shabaab")
    assert found(small, "Dijo que eta bien. Attacks by ETA in Bilbao.") == [("ETA", "ES", True)]
    assert found(small, "Rebels of the farc and the Farc left.") == []
    assert found(small, "Officials in Jem said nothing.") == []


def test_a_place_sharing_an_acronym_key_still_counts_when_not_in_capitals(small: Gazetteer) -> None:
    assert found(small, "Troops reached Eta, a village.") == [("Eta", "TL", False)]


def test_group_name_spans_beat_the_demonym_and_place_inside_them(small: Gazetteer) -> None:
    assert found(small, "The Irish Republican Army and the Niger Delta Avengers.") == [
        ("Irish Republican Army", "GB", True),
        ("Niger Delta Avengers", "NG", True),
    ]


def test_lower_case_al_prefix_opens_a_group_name(small: Gazetteer) -> None:
    assert found(small, "Fighters of al-Shabaab stormed a hotel.") == [("al-Shabaab", "SO", True)]


def test_groups_fill_their_own_columns_next_to_places(small: Gazetteer) -> None:
    block = PlaceBlock(small)
    row = block.transform(["Boko Haram fighters raided Gwoza and later Bogota."]).toarray()[0]
    value = dict(zip(block.terms, row, strict=True))
    assert value["group=NG"] == 1.0 and value["group_region=Sub-Saharan Africa"] == 1.0
    assert value["country=NG"] == pytest.approx(0.5) and value["country=CO"] == pytest.approx(0.5)
    assert not any(v for t, v in value.items() if t.startswith("nationality"))
    assert small.country_counts("Boko Haram fighters raided Gwoza.") == {"NG": 1}


def test_groups_survive_the_json_round_trip(small: Gazetteer) -> None:
    again = Gazetteer.from_json(json.loads(json.dumps(small.to_json())))
    assert again.groups == small.groups and again.group_acronyms == small.group_acronyms
    block = PlaceBlock(again)
    entry = json.loads(json.dumps(block.vocab_entry()))
    rebuilt = PlaceBlock.from_data(block.spec.to_dict(), entry, block.idf)
    assert rebuilt.terms == PlaceBlock(small).terms
    assert np.array_equal(
        rebuilt.transform(["ETA struck."]).toarray(), block.transform(["ETA struck."]).toarray()
    )


def test_a_gazetteer_without_groups_keeps_its_old_columns() -> None:
    gazetteer = gazetteer_from_pairs([("Gwoza", "NG")])
    assert "groups" not in gazetteer.to_json()
    assert not any(t.startswith("group") for t in PlaceBlock(gazetteer).terms)


def test_built_gazetteer_group_names_shadow_no_town_but_the_listed_ones() -> None:
    from train.gazetteer import build_gazetteer

    gazetteer = build_gazetteer()
    overridden = {span_key(name) for name in OVERRIDDEN_TOWNS}
    clashes = {key for key in gazetteer.groups if key in gazetteer.places} - overridden
    assert clashes == set()
    assert place_key("Boko Haram") in gazetteer.groups


def test_multi_country_groups_name_no_single_country_group() -> None:
    from infer.groups import MULTI_COUNTRY_GROUPS

    single = {span_key(name) for _, names in GROUP_ROWS for name in names}
    assert not single & {span_key(name) for name in MULTI_COUNTRY_GROUPS}
    assert len(MULTI_COUNTRY_GROUPS) == len(set(MULTI_COUNTRY_GROUPS))
