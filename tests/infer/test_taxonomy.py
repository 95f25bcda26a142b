"""Tests for the label taxonomy: incident types, regions, countries and country lookup."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infer import countries, taxonomy
from infer.taxonomy import (
    COUNTRIES,
    HISTORICAL_NAMES,
    INCIDENT_DEFINITIONS,
    INCIDENT_TYPES,
    REGIONS,
    check_region_country,
    country_code,
    country_name,
    find_collisions,
    is_region,
    lookup_entries,
    normalize_incident_types,
    region_of,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def corpora_dir() -> Path:
    """Return the shared corpora folder named by THREAT_CORPORA (default ../shared/corpora)."""
    return Path(os.environ.get("THREAT_CORPORA", REPO_ROOT.parent / "shared" / "corpora"))


# --- incident types -------------------------------------------------------------------------


def _schema() -> dict:
    return json.loads((REPO_ROOT / "infer" / "prediction.schema.json").read_text())


def test_incident_types_and_regions_are_what_the_output_schema_promises_in_order() -> None:
    """The shipped JSON Schema users validate against and the taxonomy table agree."""
    schema = _schema()["$defs"]
    labels = schema["label_probabilities"]["propertyNames"]["enum"]
    implied_by = schema["decision"]["properties"]["implied_by"]["oneOf"][0]["enum"]
    regions = schema["prediction_fields"]["properties"]["region"]["oneOf"][0]["enum"]
    assert (tuple(labels), tuple(implied_by), tuple(regions)) == (
        INCIDENT_TYPES,
        INCIDENT_TYPES,
        REGIONS,
    )
    assert INCIDENT_TYPES[:3] == ("bombing", "armed_assault", "ambush")  # the contract's order
    assert len(INCIDENT_TYPES) == len(set(INCIDENT_TYPES)) == 7


def test_every_incident_type_has_a_one_line_definition() -> None:
    assert set(INCIDENT_DEFINITIONS) == set(INCIDENT_TYPES)
    for label, definition in INCIDENT_DEFINITIONS.items():
        assert definition.strip(), label
        assert "\n" not in definition, label


def test_implied_types_only_name_known_labels() -> None:
    for label, implied in taxonomy.IMPLIED_TYPES.items():
        assert label in INCIDENT_TYPES
        assert set(implied) <= set(INCIDENT_TYPES)
    assert taxonomy.IMPLIED_TYPES["ambush"] == ("armed_assault",)


def test_ambush_brings_armed_assault() -> None:
    assert normalize_incident_types(["ambush"]) == ["armed_assault", "ambush"]


def test_incident_types_come_back_in_canonical_order_without_duplicates() -> None:
    labels = ["hijacking", "bombing", "kidnap", "bombing", "ambush", "armed_assault"]
    assert normalize_incident_types(labels) == [
        "bombing",
        "armed_assault",
        "ambush",
        "kidnap",
        "hijacking",
    ]


def test_empty_incident_types_mean_not_an_attack() -> None:
    assert normalize_incident_types([]) == []


def test_unknown_incident_type_error_names_the_label() -> None:
    with pytest.raises(ValueError, match="'shooting'"):
        normalize_incident_types(["bombing", "shooting"])


def test_incident_type_labels_are_case_sensitive() -> None:
    with pytest.raises(ValueError, match="'Bombing'"):
        normalize_incident_types(["Bombing"])


def test_a_bare_string_is_rejected_instead_of_split_into_letters() -> None:
    with pytest.raises(ValueError, match="'bombing'"):
        normalize_incident_types("bombing")


# --- regions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "region"),
    [
        (1, "North America"),
        (3, "South America"),
        (6, "South Asia"),
        (8, "Western Europe"),
        (10, "Middle East & North Africa"),
        (12, "Australasia & Oceania"),
    ],
)
def test_regions_are_the_twelve_gtd_regions_in_the_codebook_order(number, region) -> None:
    """Spot checks against the GTD codebook's region numbers 1-12 (the table itself lives in
    infer/taxonomy.py alone; every region is also reached from countries, below)."""
    assert len(REGIONS) == len(set(REGIONS)) == 12
    assert REGIONS[number - 1] == region


def test_is_region_accepts_only_exact_region_names() -> None:
    assert all(is_region(region) for region in REGIONS)
    assert not is_region("Middle East")
    assert not is_region("western europe")


def test_every_country_has_one_of_the_twelve_regions() -> None:
    for country in COUNTRIES.values():
        assert country.region in REGIONS, country
    assert {country.region for country in COUNTRIES.values()} == set(REGIONS)


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("US", "North America"),
        ("MX", "North America"),
        ("PR", "Central America & Caribbean"),
        ("PA", "Central America & Caribbean"),
        ("FK", "South America"),
        ("GF", "South America"),
        ("HK", "East Asia"),
        ("TW", "East Asia"),
        ("TL", "Southeast Asia"),
        ("AF", "South Asia"),
        ("MU", "South Asia"),
        ("AM", "Central Asia"),
        ("AZ", "Central Asia"),
        ("GE", "Central Asia"),
        ("CY", "Western Europe"),
        ("MT", "Western Europe"),
        ("GR", "Western Europe"),
        ("XK", "Eastern Europe"),
        ("RU", "Eastern Europe"),
        ("SI", "Eastern Europe"),
        ("TR", "Middle East & North Africa"),
        ("EH", "Middle East & North Africa"),
        ("PS", "Middle East & North Africa"),
        ("SD", "Sub-Saharan Africa"),
        ("MR", "Sub-Saharan Africa"),
        ("DJ", "Sub-Saharan Africa"),
        ("NC", "Australasia & Oceania"),
        ("PG", "Australasia & Oceania"),
    ],
)
def test_region_of_follows_the_gtd_codebook(code: str, region: str) -> None:
    assert region_of(code) == region


def test_region_of_unknown_code_names_it() -> None:
    with pytest.raises(ValueError, match="'ZZ'"):
        region_of("ZZ")


def test_region_and_country_that_agree_pass_the_check() -> None:
    check_region_country("Middle East & North Africa", "IQ")
    check_region_country(None, "IQ")
    check_region_country("South Asia", None)
    check_region_country(None, None)


def test_region_country_disagreement_names_both() -> None:
    with pytest.raises(ValueError, match=r"'FR'.*'Western Europe'.*'Eastern Europe'"):
        check_region_country("Eastern Europe", "FR")


def test_region_country_check_rejects_an_unknown_region() -> None:
    with pytest.raises(ValueError, match="'Europe'"):
        check_region_country("Europe", "FR")


# --- country table --------------------------------------------------------------------------


def test_country_codes_are_unique_two_letter_upper_case() -> None:
    codes = [row[0] for row in countries.COUNTRY_ROWS]
    assert len(codes) == len(set(codes)) == len(COUNTRIES)
    for code in codes:
        assert len(code) == 2 and code.isascii() and code.isalpha() and code.isupper(), code


def test_alpha3_codes_are_unique_three_letter_upper_case() -> None:
    alpha3 = [row[1] for row in countries.COUNTRY_ROWS]
    assert len(alpha3) == len(set(alpha3))
    for code in alpha3:
        assert len(code) == 3 and code.isascii() and code.isalpha() and code.isupper(), code


def test_country_table_covers_the_iso_list_and_kosovo() -> None:
    assert len(COUNTRIES) >= 245
    for code in ("PS", "TW", "HK", "MO", "XK", "PR", "EH", "GL", "RE", "VA"):
        assert code in COUNTRIES


def test_country_name_gives_the_english_name() -> None:
    assert country_name("CI") == "Côte d'Ivoire"
    assert country_name("kr") == "South Korea"
    with pytest.raises(ValueError, match="'QQ'"):
        country_name("QQ")


def test_no_lookup_key_resolves_to_two_countries() -> None:
    assert find_collisions(lookup_entries()) == {}


def test_collision_check_reports_a_key_shared_by_two_countries() -> None:
    entries = [("congo", "CD", "alias"), ("congo", "CG", "alias"), ("drc", "CD", "alias")]
    assert find_collisions(entries) == {"congo": {"CD", "CG"}}


def test_every_known_name_resolves_to_its_country() -> None:
    for key, code, origin in lookup_entries():
        assert country_code(key) == code, (key, origin)


def test_every_historical_name_resolves_to_its_successor() -> None:
    for old_name, successor in HISTORICAL_NAMES.items():
        assert successor in COUNTRIES, old_name
        assert country_code(old_name) == successor, old_name


def test_every_subnational_name_belongs_to_a_known_country() -> None:
    for code, places in countries.SUBNATIONAL:
        assert code in COUNTRIES
        for place in places:
            assert country_code(place) == code, place


@pytest.mark.parametrize(
    ("name", "code"),
    [
        # plain names, aliases and codes
        ("United States", "US"),
        ("U.S.", "US"),
        ("USA", "US"),
        ("United States of America", "US"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Northern Ireland", "GB"),
        ("Republic of Ireland", "IE"),
        ("Eire", "IE"),
        ("DR Congo", "CD"),
        ("DRC", "CD"),
        ("Congo-Kinshasa", "CD"),
        ("Democratic Republic of Congo", "CD"),
        ("Congo-Brazzaville", "CG"),
        ("Czechia", "CZ"),
        ("Burma", "MM"),
        ("Swaziland", "SZ"),
        ("Macedonia", "MK"),
        ("North Macedonia", "MK"),
        ("Gaza Strip", "PS"),
        ("West Bank", "PS"),
        ("Palestinian Territories", "PS"),
        ("Korea, South", "KR"),
        ("N. Korea", "KP"),
        ("Russian Federation", "RU"),
        ("Türkiye", "TR"),
        ("Cape Verde", "CV"),
        ("Vatican", "VA"),
        ("Iraqi Kurdistan", "IQ"),
        ("Chechnya", "RU"),
        ("Jammu and Kashmir", "IN"),
        ("Corsica", "FR"),
        ("Puerto Rico", "PR"),
        ("Georgia", "GE"),
        ("DEU", "DE"),
        ("xk", "XK"),
        # GTD country_txt spellings
        ("Bosnia-Herzegovina", "BA"),
        ("Democratic Republic of the Congo", "CD"),
        ("Republic of the Congo", "CG"),
        ("People's Republic of the Congo", "CG"),
        ("Macau", "MO"),
        ("Slovak Republic", "SK"),
        ("Ivory Coast", "CI"),
        ("East Timor", "TL"),
        ("West Bank and Gaza Strip", "PS"),
        ("West Germany (FRG)", "DE"),
        ("East Germany (GDR)", "DE"),
        ("Serbia-Montenegro", "RS"),
        ("St. Kitts and Nevis", "KN"),
        ("New Hebrides", "VU"),
        # historical names
        ("Soviet Union", "RU"),
        ("USSR", "RU"),
        ("Yugoslavia", "RS"),
        ("Czechoslovakia", "CZ"),
        ("Zaire", "CD"),
        ("Rhodesia", "ZW"),
        ("South Yemen", "YE"),
        ("South Vietnam", "VN"),
        ("Ceylon", "LK"),
        ("Upper Volta", "BF"),
        ("Kampuchea", "KH"),
        ("East Pakistan", "BD"),
        ("South-West Africa", "NA"),
        # subnational names
        ("California", "US"),
        ("New York", "US"),
        ("New Mexico", "US"),
        ("Khyber Pakhtunkhwa", "PK"),
        ("Dagestan", "RU"),
        ("Borno", "NG"),
    ],
)
def test_country_code_resolves_aliases_gtd_spellings_and_old_names(name: str, code: str) -> None:
    assert country_code(name) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("  france ", "FR"),
        ("FRANCE.", "FR"),
        ("The Netherlands", "NL"),
        ("the Gambia", "GM"),
        ("Côte d’Ivoire", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("México", "MX"),
        ("São Tomé and Príncipe", "ST"),
        ("Sao Tome and Principe", "ST"),
        ("Bosnia   and\tHerzegovina", "BA"),
        ("Jammu & Kashmir", "IN"),
        ("(Israel)", "IL"),
    ],
)
def test_country_code_ignores_case_spacing_punctuation_and_diacritics(name: str, code: str) -> None:
    assert country_code(name) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("across Iraq", "IQ"),
        ("northern Nigeria", "NG"),
        ("Southern Thailand", "TH"),
        ("Eastern Ukraine", "UA"),
        ("Khost Province", "AF"),
        ("Borno State", "NG"),
        ("near Hawaii", "US"),
        ("South Sudan", "SS"),
        ("North Korea", "KP"),
        ("South Africa", "ZA"),
    ],
)
def test_country_code_sees_through_direction_and_admin_qualifiers(name: str, code: str) -> None:
    assert country_code(name) == code


@pytest.mark.parametrize(
    "name",
    [
        "International",
        "Congo",
        "Korea",
        "Punjab",
        "Balochistan",
        "Basque Country",
        "America",
        "Europe",
        "West Africa",
        "",
        "   ",
        "the",
        "Atlantis",
    ],
)
def test_ambiguous_or_unknown_places_resolve_to_none(name: str) -> None:
    assert country_code(name) is None


def test_lookup_index_is_built_on_first_use_not_at_import() -> None:
    probe = "import infer.taxonomy as t; print(t._name_index.cache_info().currsize)"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "0"


@pytest.mark.corpora
def test_wikipedia_location_countries_mostly_resolve() -> None:
    path = corpora_dir() / "wikipedia_incidents.csv"
    if not path.is_file():
        pytest.skip(f"shared corpora not found at {path} (set THREAT_CORPORA)")
    with path.open(encoding="utf-8", newline="") as handle:
        locations = [row["location"] for row in csv.DictReader(handle)]
    resolved = sum(country_code(location.split(",")[-1]) is not None for location in locations)
    assert len(locations) > 1000
    assert resolved / len(locations) >= 0.97
