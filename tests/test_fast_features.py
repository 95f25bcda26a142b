"""The vectorised word n-gram path counts exactly what the analyzer + Counter path counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from infer import chargrams, features
from infer.features import BlockSpec, TextOptions, TfidfBlock, strip_boilerplate
from infer.keytable import KeyTable

CORPUS = [
    "KABUL, March 3 (AFP) - A suicide bomber hit the Interior Ministry's gate.",
    "Gunmen ambushed a convoy near Makhmour; two soldiers were killed.",
    "A car bomb exploded outside the police station in Quetta [12].",
    "Bomb, bomb: car-bomb! bomb car bomb... The police said the car bomb was big.",
    "Café owner in São Paulo kidnapped; ransom demanded by the gang. ΣΊΣΥΦΟΣ ΟΔΟΣ",
    "İstanbul police: the İzmir attack was a bombing. STRASSE straße Straße",
    "北京 报道 爆炸 police station 爆炸 bomb",
    "under_score snake_case 2019 2020 a1 b2 x y z",
    "abcdefgh abcdefghi abcdefghijklmnop abcdefghijklmnopq counterterrorism internationalization",
]
TRICKY = [
    "",
    "   ",
    "a b c d e f",
    "bomb bomb bomb bomb bomb bomb",
    "car. bomb; car-bomb (car) [bomb] car\nbomb car\tbomb car\x00bomb",
    "car \x00 bomb",
    "totally unknown words zzqq car unknownword bomb",
    "Café café CAFÉ cafe\u0301 São paulo são",
    "ΣΊΣΥΦΟΣ ΟΔΟΣ σίσυφος οδος",
    "İstanbul İzmir istanbul",
    "STRASSE straße Straße ß",
    "北京 报道 爆炸 police station 爆炸",
    "emoji 💣 bomb 💣💣 car",
    "lone surrogate \ud800 bomb car",
    "HAVANA - A bomb exploded (AFP) at the car [3] bomb",
    "police station police station police station",
    "under_score snake_case 2019 2020 a1 b2",
    "ABCDEFGH abcdefghi abcdefghijklmnop abcdefghijklmnopq internationalization abcdefg",
    "abcdefghijklmnopq abcdefghijklmnopqr internationalizations internationalization",
    "a" * 40 + " " + "ab" * 9 + " car",
]
PIECES = [*"ab AB.-,\n\x00é\u0301Σς_1(", "car", "bomb", " - ", "abcdefg", "HIJKLMNOP"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)
SPECS = [
    BlockSpec("word", "word", (1, 2)),
    BlockSpec("uni", "word", (1, 1)),
    BlockSpec("bi", "word", (2, 2), TextOptions(strip_boilerplate=False)),
    BlockSpec("tri", "word", (1, 3), TextOptions(keep_dateline_place=False)),
    BlockSpec("raw", "word", (1, 2), TextOptions(lowercase=False)),
]


def fitted(spec: BlockSpec, texts: list[str]) -> TfidfBlock:
    """A block fitted by scikit-learn on the texts (every term kept)."""
    vectorizer = TfidfVectorizer(analyzer=spec.analyze, sublinear_tf=True).fit(texts)
    return TfidfBlock(spec, tuple(vectorizer.get_feature_names_out()), vectorizer.idf_)


def same_counts(block: TfidfBlock, texts: list[str]) -> None:
    fast = block.counts(texts)
    slow = block.counts_by_analyzer(texts)
    assert fast.shape == slow.shape
    assert fast.has_sorted_indices
    assert np.array_equal(fast.indptr, slow.indptr)
    assert np.array_equal(fast.indices, slow.indices)
    assert np.array_equal(fast.data, slow.data)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_fast_counts_equal_analyzer_counts_on_tricky_texts(spec):
    block = fitted(spec, CORPUS + TRICKY[5:9])
    assert block.fast_index is not None
    same_counts(block, TRICKY + CORPUS + TRICKY)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_fast_transform_equals_sklearn_transform(spec):
    vectorizer = TfidfVectorizer(analyzer=spec.analyze, sublinear_tf=True).fit(CORPUS)
    block = TfidfBlock(spec, tuple(vectorizer.get_feature_names_out()), vectorizer.idf_)
    expected = vectorizer.transform(TRICKY + CORPUS).toarray()
    assert np.allclose(block.transform(TRICKY + CORPUS).toarray(), expected, rtol=0, atol=1e-14)


def test_one_text_alone_gets_the_same_row_as_inside_a_batch():
    block = fitted(SPECS[0], CORPUS)
    batch = block.transform(TRICKY + CORPUS)
    for row, text in enumerate(TRICKY + CORPUS):
        assert np.array_equal(block.transform([text]).toarray()[0], batch.toarray()[row])


@pytest.mark.parametrize("spec", [BlockSpec("char", "char_wb", (3, 5)),
                                  BlockSpec("c14", "char_wb", (1, 4), TextOptions(lowercase=False)),
                                  BlockSpec("c2", "char_wb", (2, 2)),
                                  BlockSpec("c68", "char_wb", (6, 8))], ids=lambda s: s.name)
def test_fast_char_counts_equal_analyzer_counts_on_tricky_texts(spec):
    block = fitted(spec, CORPUS + TRICKY[5:9])
    assert block.fast_index is not None
    same_counts(block, TRICKY + CORPUS + TRICKY)


@settings(max_examples=150, deadline=None)
@given(vocabulary=st.lists(TEXT, min_size=1, max_size=5), texts=st.lists(TEXT, max_size=6))
def test_fast_char_counts_equal_analyzer_counts_on_generated_texts(vocabulary, texts):
    spec = BlockSpec("char", "char_wb", (2, 5), TextOptions(strip_boilerplate=False))
    try:
        block = fitted(spec, vocabulary)
    except ValueError:  # empty vocabulary: nothing to compare
        return
    same_counts(block, texts + vocabulary)


def test_blocks_the_fast_paths_do_not_cover_keep_the_analyzer():
    block = fitted(BlockSpec("long", "char_wb", (3, 9)), CORPUS)
    assert block.fast_index is None
    assert np.array_equal(block.counts(TRICKY).toarray(),
                          block.counts_by_analyzer(TRICKY).toarray())


def test_empty_batch_gives_an_empty_matrix():
    block = fitted(SPECS[0], CORPUS)
    assert block.transform([]).shape == (0, block.size)




@settings(max_examples=150, deadline=None)
@given(vocabulary=st.lists(TEXT, min_size=1, max_size=5), texts=st.lists(TEXT, max_size=6))
def test_fast_counts_equal_analyzer_counts_on_generated_texts(vocabulary, texts):
    spec = BlockSpec("word", "word", (1, 3), TextOptions(strip_boilerplate=False))
    try:
        block = fitted(spec, vocabulary)
    except ValueError:  # empty vocabulary: nothing to compare
        return
    same_counts(block, texts + vocabulary)


def reference_strip(text: str, keep_place: bool = True) -> str:
    """strip_boilerplate without its cheap pre-tests (the regexes alone)."""
    match = features._DATELINE.match(text)
    if match is None or match.end() > features._DATELINE_MAX_CHARS:
        match = features._CAPS_PREFIX.match(text)
    if match is not None and match.end() <= features._DATELINE_MAX_CHARS:
        text = (match.group("place") + " " if keep_place else "") + text[match.end():]
    return features._CITATION.sub("", features._AGENCY.sub("", text))


DATELINE_PARTS = st.sampled_from(["KABUL", ", ", "March 3", " (AFP)", " - ", " \u2013 ", "--",
                                  "Lima", "Colombia", " ", "ARGENTINA. ", "The", "bomb", "[12]",
                                  "[citation needed]", "(Reuters)", "x" * 30, "\n",
                                  "Popayan Valle Del Cauca", " Department Of The North"])


@pytest.mark.parametrize("width", range(74, 82))
def test_dateline_is_stripped_only_when_it_ends_within_80_characters(width):
    place = "P" + "o" * (width - len("P - "))
    text = f"{place} - A bomb exploded."
    expected = reference_strip(text)
    assert strip_boilerplate(text) == expected
    assert (expected == f"{place} A bomb exploded.") == (width <= 80)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(DATELINE_PARTS, max_size=12), keep=st.booleans())
def test_boilerplate_pretests_do_not_change_the_result(parts, keep):
    text = "".join(parts)
    assert strip_boilerplate(text, keep_place=keep) == reference_strip(text, keep)



U64 = st.integers(0, 2**64 - 1)


@settings(max_examples=100, deadline=None)
@given(keys=st.sets(st.tuples(U64, st.sampled_from([0, 1, 2**63, 2**64 - 1])), max_size=60),
       probes=st.lists(st.tuples(U64, U64), max_size=20))
def test_key_table_finds_every_key_and_nothing_else(keys, probes):
    keys = sorted(keys)
    high = np.array([k[0] for k in keys], dtype=np.uint64)
    low = np.array([k[1] for k in keys], dtype=np.uint64)
    table = KeyTable(high, low, np.arange(len(keys)))
    assert table.get(high, low).tolist() == list(range(len(keys)))
    index = {key: i for i, key in enumerate(keys)}
    expected = [index.get(probe, -1) for probe in probes]
    found = table.get(np.array([p[0] for p in probes], dtype=np.uint64),
                      np.array([p[1] for p in probes], dtype=np.uint64))
    assert found.tolist() == expected


def test_char_counts_of_a_batch_longer_than_one_slice_match_the_analyzer():
    block = fitted(BlockSpec("char", "char_wb", (3, 5)), CORPUS)
    texts = [f"{i} {text}" for i, text in enumerate((CORPUS + TRICKY) * 30)]
    assert len([t for t in texts if t.isascii()]) > 2 * chargrams.SLICE
    same_counts(block, texts)
