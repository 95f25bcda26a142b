"""The compiled place matcher (infer/placepass.py) finds what `Gazetteer.mentions` finds and
builds the rows `PlaceBlock.reference_transform` builds, bit for bit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infer.artifact import load_artifact
from infer.place_features import PlaceBlock
from infer.placepass import (
    PlaceMatcher,
    gazetteer_arrays,
    token_keys,
    us_state_matches,
)
from infer.places import (
    _CONNECTOR_KEYS,
    _TOKEN,
    _US_STATE,
    BLOCKED,
    Gazetteer,
    _token_key,
    place_key,
)
from infer.tokencache import char_classes, code_points
from infer.tokenpass import char_kernels
from tests.helpers import demo_texts
from train.gazetteer_sources import demonym_keys, group_keys, taxonomy_places

TOWNS = [
    ("Makhmur", "IQ"),
    ("Mosul", "IQ"),
    ("Hasakah", "SY"),
    ("Ras al Ain", "SY"),
    ("Dera Ismail Khan", "PK"),
    ("Peshawar", "PK"),
    ("Kabul", "AF"),
    ("Haram", "NO"),
    ("Valle del Cauca", "CO"),
    ("Police", "PL"),
    ("Eta", "TL"),
    ("Dayton", "US"),
    ("Paris", "FR"),
    ("Tripoli", "LY"),
    ("Houston", "US"),
    ("Karachi", "PK"),
    ("Nazimabad", "PK"),
    ("Gwoza", "NG"),
]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    places = dict(taxonomy_places())
    places.update({place_key(name): code for name, code in TOWNS})
    places[place_key("San Jose")] = BLOCKED
    places[place_key("Springfield")] = BLOCKED
    groups, acronyms = group_keys()
    return Gazetteer(
        places,
        trusted=frozenset({place_key("Iraq"), place_key("Syria"), "nato"}),
        demonyms=demonym_keys(),
        strong=frozenset({"kabul", "karachi"}),
        groups=groups,
        group_acronyms=acronyms,
    )


@pytest.fixture(scope="module")
def block(gazetteer: Gazetteer) -> PlaceBlock:
    return PlaceBlock(gazetteer)


TEXTS = [
    "",
    "\n",
    "Gunmen ambushed truffle hunters near Makhmour and took one of them hostage.",
    "Clashes in Dera Ismail Khan spread to Ras al-Ain and to Valle del Cauca.",
    "Local police said mosul was a typo. Police said the blast was heard.",
    "A statement by Boko Haram was read out in Gwoza; the governor, Sardar Peshawar Ali, resigned.",
    "Gunmen fired in Peshawar's Hayatabad area. KARACHI - A bomb went off.",
    "Mosul, Iraq - Two bombs exploded. Kabul police said the Makhmour District was calm.",
    "MOSUL - Two bombs exploded near al-Hasakah and el-Hasakah and Al Hasakah.",
    "Fighters from al-Haram and Haram met in al-Mosul.",
    "The Turkish embassy in Kabul and an Afghan soldier; two German tourists; a Polish vessel.",
    "The Mexican National Tourist Office in Houston, Texas was hit.",
    "A TANKER; the Iraqi tan\u212aer; the Iraqi TANKER.",
    "ETA claimed it. Eta said so. ETA's bomb. The FARC and the ELN and Farc attacked Bogota.",
    "A pro-Taliban militia and al-Shabaab fighters struck Mogadishu; ul-Haq spoke.",
    "Paris, Texas and San Jose, Calif. and Springfield, Ill. and Tripoli, Lebanon; Dayton, OH.",
    "Peshawar, Kandahar and Mosul, Iraq; San Jose, Costa Rica.",
    "“Kabul” (Kabul) [Kabul] 'Kabul' ‘Kabul’ - Kabul. Kabul! Kabul? Kabul\nKabul",
    "Ali Khan of the Washington Post in Houston Police Department and the Chicago Post Office.",
    "Café owner in São Paulo kidnapped; İstanbul police; the İraqi envoy; ΣΊΣΥΦΟΣ in Kabul.",
    "The Iraqi \u0130mbassy. The Afghan citizens. Syrian consul. Syrians nationals.",
    "NATO jets hit Kabul. Downtown Kabul and Greater Houston; Karachi's Nazimabad.",
    "lone surrogate \ud800 in Kabul \udfff and Mosul.",
    "Kabul  -  Makhmour — Mosul – Peshawar -Karachi- Mosul-Iraq",
    "In\u00a0Kabul,\u2003Mosul and\u3000Peshawar, Pakistan.\tKabul - x",
    " \t KABUL – Gunmen attacked. ",
    "Fighters of al-Ras-Ain, x-al-Mosul, ash-Sham-Ali and el-Hasakah-Kabul met in pro-al-Haram.",
]


def same_mentions(gazetteer: Gazetteer, matcher: PlaceMatcher, texts: list[str]) -> None:
    assert matcher.mentions(texts) == [gazetteer.mentions(t) for t in texts]


def same_rows(block: PlaceBlock, texts: list[str]) -> None:
    fast, slow = block.transform(texts), block.reference_transform(texts)
    assert fast.shape == slow.shape
    assert np.array_equal(fast.indptr, slow.indptr)
    assert np.array_equal(fast.indices, slow.indices)
    assert np.array_equal(fast.data, slow.data)


def test_compiled_matcher_finds_the_reference_mentions_on_tricky_texts(gazetteer, block):
    assert any(gazetteer.mentions(t) for t in TEXTS)
    same_mentions(gazetteer, block.matcher, TEXTS)
    same_mentions(gazetteer, block.matcher, TEXTS[::-1])  # tokens now cached
    same_rows(block, TEXTS)


def test_one_text_alone_gets_the_same_mentions_as_inside_a_batch(gazetteer, block):
    for text in TEXTS:
        same_mentions(gazetteer, block.matcher, [text])


def test_compiled_matcher_finds_the_reference_mentions_on_the_demo_corpus(gazetteer, block):
    texts = demo_texts()
    same_mentions(gazetteer, block.matcher, texts)
    same_rows(block, texts)


NAMES = [
    "Kabul",
    "KABUL",
    "kabul",
    "Mosul",
    "Iraq",
    "Iraqi",
    "Afghan",
    "Turkish",
    "Ras",
    "al",
    "Ain",
    "al-Hasakah",
    "El",
    "Hasakah",
    "San",
    "Jose",
    "Eta",
    "ETA",
    "Boko",
    "Haram",
    "Texas",
    "Calif.",
    "OH",
    "District",
    "Police",
    "Downtown",
    "Peshawar's",
    "Karachi’s",
    "de",
    "Valle",
    "del",
    "Cauca",
    "pro-Taliban",
    "Taliban",
    "Syria",
    "NATO",
]
SEPARATORS = [" ", " ", " ", ", ", ". ", " - ", " – ", "-", "\n", " (", ") ", "“", "’s ", ""]
SEPARATORS += [" embassy ", " Vessel "]
TEXT = st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(SEPARATORS)), max_size=14).map(
    lambda parts: "".join(a + b for a, b in parts)
)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(TEXT, min_size=1, max_size=6))
def test_compiled_matcher_finds_the_reference_mentions_on_generated_texts(gazetteer, block, texts):
    same_mentions(gazetteer, block.matcher, texts)
    same_rows(block, texts)


def test_matcher_from_stored_arrays_equals_the_one_from_the_gazetteer(gazetteer, block):
    stored = PlaceMatcher(gazetteer_arrays(gazetteer), block.terms)
    assert stored.mentions(TEXTS) == block.matcher.mentions(TEXTS)


def test_a_model_folder_scores_places_from_its_arrays_without_parsing_the_gazetteer(model_dir):
    model = load_artifact(model_dir)
    (place_block,) = [b for b in model.featurizer.blocks if b.spec.name == "places"]
    rows = place_block.transform(TEXTS)
    assert "gazetteer" not in vars(place_block)  # the JSON was never parsed
    expected = place_block.reference_transform(TEXTS)  # parses it now
    assert "gazetteer" in vars(place_block)
    assert (rows != expected).nnz == 0 and rows.nnz


@pytest.mark.parametrize(
    ("part", "change"),
    [
        ("keys", lambda a: a + 10**6),
        ("keys", lambda a: a[:-1]),
        ("values", lambda a: a + 10**4),
        ("kinds", lambda a: a + 9),
        ("max_words", lambda a: a * 0),
    ],
)
def test_inconsistent_gazetteer_arrays_are_refused_before_any_kernel_reads_them(
    gazetteer, block, part, change
):
    parts = gazetteer_arrays(gazetteer)
    parts[part] = change(parts[part]).astype(parts[part].dtype)
    with pytest.raises(ValueError, match="gazetteer arrays"):
        PlaceMatcher(parts, block.terms)


def test_gazetteer_arrays_are_the_same_bytes_whatever_the_string_hash_seed():
    # model.npz holds these arrays: two trainings of one config must write the same file
    script = (
        "from infer.placepass import gazetteer_arrays; from infer.places import Gazetteer;"
        "import hashlib;"
        "g = Gazetteer({'mosul': 'IQ', 'kabul': 'AF'}, trusted=frozenset(['iraq', 'syria', "
        "'nato', 'mali', 'chad']), strong=frozenset(['kabul', 'karachi', 'lahore', 'quetta']));"
        "a = gazetteer_arrays(g);"
        "print(hashlib.sha256(b''.join(a[k].tobytes() for k in sorted(a))).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(digests) == 1


KEY_PIECES = [
    *"aehiouyl-'.&`_ 1A\t",
    "the ",
    "The ",
    "al-",
    "El ",
    "'s",
    "iyah",
    "iyeh",
    "iya",
    "ieh",
    "jah",
    "yah",
    "ou",
    "oo",
    "ee",
    "aa",
    "ll",
    "ash",
    "As",
    "ul",
    "Ar ",
    "Café",
    "Ḥ",
    "ß",
]
KEY_TOKENS = [
    "",
    "'s",
    "Peshawar's",
    "Makhmour",
    "Nasiriyah",
    "Nasiriyeh",
    "Fallujah",
    "Ah",
    "Alah",
    "al-Hasakah",
    "El",
    "Ass",
    "El-Qaim",
    "The",
    "The Hague",
    "the the",
    "AT&T",
    "&",
    "O'Neil",
    "St.",
    "a--b",
    "Zaatari",
    "Muqdadiyah",
    "al-Ain",
    "Ḥalab",
    "São",
]


def test_compiled_place_keys_equal_the_reference_keys_on_tricky_tokens():
    assert token_keys(KEY_TOKENS) == [_token_key.__wrapped__(t) for t in KEY_TOKENS]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(KEY_PIECES), max_size=8).map("".join), max_size=12))
def test_compiled_place_keys_equal_the_reference_keys_on_generated_tokens(tokens):
    assert token_keys(tokens) == [_token_key.__wrapped__(t) for t in tokens]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(max_codepoint=127), max_size=12), max_size=12))
def test_compiled_place_keys_equal_the_reference_keys_on_any_ascii(tokens):
    assert token_keys(tokens) == [_token_key.__wrapped__(t) for t in tokens]


def same_facts(matcher: PlaceMatcher, tokens: list[str]) -> None:
    """The analysis of new place tokens (compiled for ASCII ones) equals the token-by-token
    one, part by part."""
    fast, slow = matcher._analyze(tokens), matcher._analyze_text(tokens)
    for (fast_lengths, fast_values), (slow_lengths, slow_values) in zip(fast, slow, strict=True):
        assert np.asarray(fast_lengths).tolist() == list(slow_lengths)
        assert np.asarray(fast_values).tolist() == list(slow_values)


FACT_TOKENS = [t for t in KEY_TOKENS if t] + [
    "Al-Ain",
    "al-Ain",
    "el-Arish",
    "ul-Haq",
    "ash-Sham-Ali",
    "pro-al-Haram",
    "x-al-Mosul",
    "al-Ras-Ain",
    "al-Hasakah's",
    "AL",
    "Al",
    "al",
    "McDonald",
    "iPhone",
    "KARACHI",
    "Karachi's",
    "ETA's",
    "Eta",
    "pro-Taliban",
    "Mosul-Iraq",
    "-Karachi-",
    "-",
    "'",
    "Downtown",
    "downtown",
    "Greater",
    "and",
    "of",
    "Dera",
    "Valle",
    "del",
    "Ras",
    "2nd",
    "A1",
    "x",
    "X",
    "Abu-Ghraib",
    "abu-Ghraib",
    "Peshawar’s",
    "İstanbul",
]


def test_compiled_token_facts_equal_the_token_by_token_analysis_on_tricky_tokens(block):
    same_facts(block.matcher, FACT_TOKENS)
    same_facts(block.matcher, [t for t in FACT_TOKENS if t.isascii()])
    same_facts(block.matcher, [t for t in FACT_TOKENS if not t.isascii()])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(KEY_PIECES), min_size=1, max_size=8).map("".join)))
def test_compiled_token_facts_equal_the_token_by_token_analysis_on_generated_tokens(block, tokens):
    same_facts(block.matcher, tokens)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(max_codepoint=127), min_size=1, max_size=12), max_size=12))
def test_compiled_token_facts_equal_the_token_by_token_analysis_on_any_ascii(block, tokens):
    same_facts(block.matcher, tokens)


def test_compiled_token_facts_equal_the_token_by_token_analysis_on_the_demo_corpus(block):
    tokens = sorted({m.group() for text in demo_texts() for m in _TOKEN.finditer(text)})
    same_facts(block.matcher, tokens)


STATE_PIECES = [
    ", ",
    ",",
    " ",
    "a",
    "z",
    "A",
    "é",
    "1",
    "_",
    "\n",
    "NY",
    "N.Y.",
    "OH",
    "Ohio",
    "Ala.",
    "D.C.",
    "Calif.",
    "TX",
    "TXT",
    "Dayton",
    "Paris",
    ", , ",
]


def spans(matches) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(1)) for m in matches]


def test_us_state_search_finds_what_the_reference_regex_finds_on_tricky_texts():
    texts = [*TEXTS, ", OH", "a, OH", "Dayton, OH, Dayton, N.Y., Paris, Calif.x", "x,, TX"]
    for text in [*texts, "\n".join(texts)]:
        assert spans(us_state_matches(text)) == spans(_US_STATE.finditer(text))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(STATE_PIECES), max_size=20).map("".join))
def test_us_state_search_finds_what_the_reference_regex_finds_on_generated_texts(text):
    assert spans(us_state_matches(text)) == spans(_US_STATE.finditer(text))


def place_spans(text: str) -> list[tuple[int, int]]:
    """The compiled tokeniser's spans of one text."""
    points = code_points(text)
    starts, ends = char_kernels().place_spans(points, char_classes(points), _CONNECTOR_KEYS)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def regex_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _TOKEN.finditer(text)]


SPAN_PIECES = [
    *"aAzZ_0-'’. \n\t",
    *"éÉßİıŉǅΣσДд٣²½ʰ\u0301\u200b\u00a0",
    "\ud800",
    "\U0001d400",
    "al",
    "el-",
    "de",
    "bin",
    "y",
    "pro-",
    "Kabul",
    "Ḥalab",
    "al-Ḥalab",
    "São",
    "d'",
    "O’Neil",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(SPAN_PIECES), max_size=20).map("".join))
def test_compiled_place_tokens_are_the_regex_tokens_on_generated_unicode_texts(text):
    assert place_spans(text) == regex_spans(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_compiled_place_tokens_are_the_regex_tokens_on_any_text(text):
    assert place_spans(text) == regex_spans(text)


def test_compiled_place_tokens_are_the_regex_tokens_around_every_bmp_code_point():
    # each code point alone, after a capital, before a word, after "a-" and inside a tail
    text = "".join(f" {c} A{c} A{c}b {c}A a-{c} " for c in map(chr, range(0x10000)) if c != "\n")
    assert place_spans(text) == regex_spans(text)
