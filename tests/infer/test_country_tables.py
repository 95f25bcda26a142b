"""The demonym and ambiguous-name tables of infer/countries.py."""

from __future__ import annotations

from collections import Counter

from infer.countries import AMBIGUOUS_NAMES, DEMONYM_ROWS
from infer.taxonomy import COUNTRIES, country_code, lookup_entries, normalize_name


def test_every_demonym_row_names_a_known_country_once() -> None:
    codes = [code for code, _names in DEMONYM_ROWS]
    assert [code for code in codes if code not in COUNTRIES] == []
    assert [code for code, n in Counter(codes).items() if n > 1] == []
    assert all(names for _code, names in DEMONYM_ROWS)


def test_no_demonym_stands_for_two_countries() -> None:
    keys = Counter(normalize_name(name) for _code, names in DEMONYM_ROWS for name in names)
    assert [key for key, n in keys.items() if n > 1] == []


def test_no_demonym_is_also_a_country_or_place_name() -> None:
    names = {key for key, _code, _origin in lookup_entries()}
    clashes = [
        name
        for _code, demonyms in DEMONYM_ROWS
        for name in demonyms
        if normalize_name(name) in names
    ]
    assert clashes == []


def test_demonyms_people_often_get_wrong_are_told_apart() -> None:
    by_name = {name: code for code, names in DEMONYM_ROWS for name in names}
    assert by_name["Nigerien"] == "NE" and by_name["Nigerian"] == "NG"
    assert by_name["Sudanese"] == "SD" and by_name["South Sudanese"] == "SS"
    assert by_name["Afghan"] == "AF" and by_name["Somali"] == "SO"
    assert "Korean" not in by_name and "Congolese" not in by_name


def test_ambiguous_names_resolve_to_no_country_and_are_listed_once() -> None:
    assert [name for name in AMBIGUOUS_NAMES if country_code(name) is not None] == []
    keys = Counter(normalize_name(name) for name in AMBIGUOUS_NAMES)
    assert [key for key, n in keys.items() if n > 1] == []


def test_us_state_abbreviations_cover_every_state_once() -> None:
    from infer.countries import US_STATE_ABBREVIATIONS

    codes = [a for a in US_STATE_ABBREVIATIONS if a.isupper() and len(a) == 2]
    assert len(codes) == len(set(codes)) == 51  # 50 states and DC
    assert len(US_STATE_ABBREVIATIONS) == len(set(US_STATE_ABBREVIATIONS))
    assert {"Calif.", "N.Y.", "Md.", "Tex."} <= set(US_STATE_ABBREVIATIONS)
