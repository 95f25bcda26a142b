"""The compiled token pass counts (and weighs) exactly what the analyzer + Counter path does."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from infer import features, tokencache, tokenpass
from infer.features import BlockSpec, Featurizer, TextOptions, TfidfBlock, strip_boilerplate

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
    "no\u00a0break\u2028line\x1cfile\x85next\u3000wide\u2009thin\u200bzero\ufeffbom car\x1fbomb",
    "HAVANA - A bomb exploded (AFP) at the car [3] bomb",
    "police station police station police station",
    "under_score snake_case 2019 2020 a1 b2",
    "ABCDEFGH abcdefghi abcdefghijklmnop abcdefghijklmnopq internationalization abcdefg",
    "abcdefghijklmnopq abcdefghijklmnopqr internationalizations internationalization",
    "a" * 40 + " " + "ab" * 9 + " car",
    "bomb " * 700 + "car bomb " * 300,
]
PIECES = [
    *"ab AB.-,\n\x00é\u0301Σς_1(\u00a0\x1c\x85\u2028\u3000\u200b",
    "car",
    "bomb",
    " - ",
    "abcdefg",
    "HIJKLMNOP",
]
TEXT = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)
SPECS = [
    BlockSpec("word", "word", (1, 2)),
    BlockSpec("uni", "word", (1, 1)),
    BlockSpec("bi", "word", (2, 2), TextOptions(strip_boilerplate=False)),
    BlockSpec("tri", "word", (1, 3), TextOptions(keep_dateline_place=False)),
    BlockSpec("raw", "word", (1, 2), TextOptions(lowercase=False)),
    BlockSpec("b24", "word", (2, 4)),
]
CHAR_SPECS = [
    BlockSpec("char", "char_wb", (3, 5)),
    BlockSpec("c14", "char_wb", (1, 4), TextOptions(lowercase=False)),
    BlockSpec("c2", "char_wb", (2, 2)),
    BlockSpec("c39", "char_wb", (3, 9)),
]


def fitted(spec: BlockSpec, texts: list[str]) -> TfidfBlock:
    """A block fitted by scikit-learn on the texts (every term kept)."""
    vectorizer = TfidfVectorizer(analyzer=spec.analyze, sublinear_tf=True).fit(texts)
    return TfidfBlock(spec, tuple(vectorizer.get_feature_names_out()), vectorizer.idf_)


def same_csr(fast, slow) -> None:
    assert fast.shape == slow.shape
    assert fast.has_sorted_indices
    assert np.array_equal(fast.indptr, slow.indptr)
    assert np.array_equal(fast.indices, slow.indices)
    assert np.array_equal(fast.data, slow.data)


def same_counts(block: TfidfBlock, texts: list[str]) -> None:
    """Counts and TF-IDF rows of the compiled pass are the reference path's, bit for bit."""
    assert block.counter is not None
    same_csr(block.counts(texts), block.counts_by_analyzer(texts))
    same_csr(block.transform(texts), block.weigh(block.counts_by_analyzer(texts)))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_fast_counts_equal_analyzer_counts_on_tricky_texts(spec):
    block = fitted(spec, CORPUS + TRICKY[5:9])
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


@pytest.mark.parametrize("spec", CHAR_SPECS, ids=lambda s: s.name)
def test_fast_char_counts_equal_analyzer_counts_on_tricky_texts(spec):
    block = fitted(spec, CORPUS + TRICKY[5:9])
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


def test_blocks_of_one_text_cleaning_share_one_token_cache_and_count_as_alone():
    blocks = [fitted(spec, CORPUS) for spec in (SPECS[0], CHAR_SPECS[0], SPECS[4], SPECS[1])]
    featurizer = Featurizer(blocks)
    texts = TRICKY + CORPUS
    for batch in (texts, texts[::-1], texts):  # new tokens, then cached ones
        expected = sp.hstack([b.weigh(b.counts_by_analyzer(batch)) for b in blocks], format="csr")
        same_csr(featurizer.transform(batch), expected)
    passes = featurizer.token_passes
    assert passes[0][0] is passes[1][0] is passes[3][0]  # the default text cleaning
    assert passes[2][0] is not passes[0][0]  # no lower-casing: a pass of its own
    assert [passes[p][1] for p in range(4)] == [0, 1, 0, 2]
    tokens = {t for text in texts for t in TextOptions().strip(text).split()}
    assert sorted(passes[0][0].cache.tokens()) == sorted(tokens)  # one entry per token


def test_word_blocks_whose_keys_do_not_fit_are_counted_by_the_reference_path(monkeypatch):
    monkeypatch.setattr(tokenpass, "MAX_KEY", 1000)
    block = fitted(SPECS[3], CORPUS)
    assert block.counter is None
    assert np.array_equal(
        block.counts(TRICKY).toarray(), block.counts_by_analyzer(TRICKY).toarray()
    )


def test_char_blocks_whose_alphabet_does_not_fit_the_keys_are_counted_by_the_reference_path(
    monkeypatch,
):
    monkeypatch.setattr(tokenpass, "MAX_KEY", 1000)
    block = fitted(CHAR_SPECS[0], CORPUS)
    assert block.counter is None
    assert np.array_equal(
        block.counts(TRICKY).toarray(), block.counts_by_analyzer(TRICKY).toarray()
    )


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
        text = (match.group("place") + " " if keep_place else "") + text[match.end() :]
    return features._CITATION.sub("", features._AGENCY.sub("", text))


DATELINE_PARTS = st.sampled_from(
    [
        "KABUL",
        ", ",
        "March 3",
        " (AFP)",
        " - ",
        " \u2013 ",
        "--",
        "Lima",
        "Colombia",
        " ",
        "ARGENTINA. ",
        "The",
        "bomb",
        "[12]",
        "[citation needed]",
        "(Reuters)",
        "(",
        "(ap)",
        " \t(Al Jazeera)",
        "AFP)",
        "(UPI",
        "x" * 30,
        "\n",
        "Popayan Valle Del Cauca",
        " Department Of The North",
    ]
)


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


@settings(max_examples=400, deadline=None)
@given(
    place=st.sampled_from(["HAVANA", "Lima, Oct. 3", "KABUL, March 3 (AFP)", "BOGOTA,  Colombia"]),
    pad=st.integers(1, 90),
    dash=st.sampled_from(["-", "\u2013", "\u2014", "--", "\u2014\u2013", "_", "\u2012"]),
    rest=st.sampled_from([" A bomb exploded.", "  the [3] (Reuters) attack", " ", "", "x - y"]),
    keep=st.booleans(),
)
def test_the_dash_pretest_lets_through_every_dateline_ending_by_the_80th_character(
    place, pad, dash, rest, keep
):
    """The dash moves across the 80-character edge (`pad` spaces before it)."""
    text = place + " " * pad + dash + rest
    assert strip_boilerplate(text, keep_place=keep) == reference_strip(text, keep)


@pytest.mark.parametrize("spec", [SPECS[0], CHAR_SPECS[0]], ids=lambda s: s.name)
def test_a_full_token_cache_starts_over_and_counts_the_same(spec, monkeypatch):
    monkeypatch.setattr(tokencache, "MAX_TOKENS", 7)
    block = fitted(spec, CORPUS)
    texts = [f"{i} {text}" for i, text in enumerate((CORPUS + TRICKY) * 3)]
    for at in range(0, len(texts), 5):  # several batches, the cache refilled many times
        same_counts(block, texts[at : at + 5])
    assert len(block.token_pass.cache) <= 7 + 5 * max(len(t.split()) for t in texts)
