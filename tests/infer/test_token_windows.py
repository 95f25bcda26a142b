"""Sentence windows counted from a text's own token look-up (`Scorer.window_probabilities`
given the batch's `BlockRows`) score exactly as the windows made as texts, cleaned, split and
looked up again (the reference path: `window_probabilities` without the rows)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infer import scoring
from infer.artifact import Head, load_artifact
from infer.features import (
    BlockSpec,
    Featurizer,
    TextOptions,
    TfidfBlock,
    char_wb_ngrams,
    strip_boilerplate,
)
from infer.linear import BlockRows, block_inputs
from infer.scoring import Scorer, sentence_windows
from infer.tokencache import split_spans, whitespace
from infer.tokenpass import kernels

FILLER = "the council met again on Monday to discuss the budget for schools, roads and clinics"
# pieces that make sentence breaks, dropped closing quotes, datelines and upper-case prefixes
# at a window's start, agency tags and citation marks (whole, or made by a joining space),
# odd whitespace and non-ASCII letters
PIECES = [
    " ",
    " ",
    " ",
    ".",
    ". ",
    "! ",
    "? ",
    '." ',
    ".” ",
    "’) ",
    ".)",
    "\n\n",
    "\n \n",
    "\n\t\n ",
    "\t",
    "\u00a0",
    "\u2003",
    "\u3000",
    "\x1c",
    " - ",
    " \u2014 ",
    "-",
    "KABUL, March 3 (AFP) - ",
    "POPAYAN, Colombia, Feb. 11 - ",
    "HAVANA - ",
    "Police Station - ",
    "Lima.",
    "\n\n-- ",
    "ARGENTINA.  ",
    "BREAKING NEWS. ",
    "AB",
    "A",
    "(AFP)",
    " (Reuters)",
    "(RIA",
    "Novosti)",
    "(Al",
    "Jazeera)",
    "[1]",
    "[citation",
    "needed]",
    "[note",
    "12]",
    "[a]",
    "(",
    "[",
    '"',
    "“",
    "‘",
    "Mr.",
    "U.S.",
    "The",
    "Police",
    "Station",
    "Gunmen",
    "attacked",
    "bomb",
    "9",
    "É",
    "Ünal",
    "kidnapped",
    FILLER,
]
texts_of_pieces = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


def kernel_windows(texts: list[str], size: int) -> list[list[tuple[str, list[str], int]]]:
    """Per text, `window_spans`' windows: (the window's text, its tokens out of the text's
    own split, its flags)."""
    joined, code_points, starts, ends, first = split_spans(texts)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    begins = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=begins[1:])
    owner, low, high, piece, flags, piece_start, piece_end = kernels().window_spans(
        code_points,
        begins,
        begins + lengths,
        np.arange(len(texts), dtype=np.int64),
        starts,
        first,
        whitespace(),
        size,
    )
    out: list[list[tuple[str, list[str], int]]] = [[] for _ in texts]
    for k in range(len(owner)):
        text = texts[owner[k]]
        members = range(piece[k], piece[k] + size)
        window = " ".join(text[piece_start[j] : piece_end[j]] for j in members)
        tokens = [joined[starts[j] : ends[j]] for j in range(low[k], high[k])]
        out[owner[k]].append((window, tokens, int(flags[k])))
    return out


@settings(max_examples=400, deadline=None)
@given(st.lists(texts_of_pieces, min_size=1, max_size=4), st.integers(1, 3))
def test_window_spans_finds_sentence_windows_and_flags_every_window_whose_tokens_differ(
    texts, size
):
    for text, found in zip(texts, kernel_windows(texts, size), strict=True):
        assert [window for window, _, _ in found] == sentence_windows(text, size)
        unchanged = all(strip_boilerplate(text, keep_place=k) == text for k in (True, False))
        for window, tokens, flags in found:
            if not flags & 1:  # its sentences end where the text's tokens do
                assert window.split() == tokens
            if not flags and unchanged:  # and the cleaning leaves it as it is
                for keep in (True, False):
                    assert strip_boilerplate(window, keep_place=keep) == window


def test_window_spans_flags_a_dropped_closing_quote_a_dateline_and_a_tag_across_a_join():
    text = (
        f"Gunmen attacked the station and {FILLER}. "
        f'The {FILLER}, he said." '
        f"HAVANA - {FILLER}. "
        f"Police Station - {FILLER}. "
        f"Police said {FILLER} (RIA\n\nNovosti) {FILLER}. Lima.\n\n-- {FILLER}."
    )
    windows = kernel_windows([text], 2)[0]
    assert [flags for _, _, flags in windows] == [1, 1, 2, 2, 2, 0, 2]
    window, tokens, _ = windows[0]
    assert tokens[-1] == 'said."' and window.split()[-1] == "said."
    assert strip_boilerplate(windows[2][0]).startswith("HAVANA the council")
    assert strip_boilerplate(windows[3][0]).startswith("Police Station the council")
    assert "Novosti" not in strip_boilerplate(windows[4][0])
    assert strip_boilerplate(windows[6][0]).startswith("Lima. the council")


def test_strip_kind_tells_boilerplate_stripping_from_none_and_from_other_functions():
    assert scoring._strip_kind(TextOptions().strip) == 1
    assert scoring._strip_kind(TextOptions(keep_dateline_place=False).strip) == 1
    assert scoring._strip_kind(TextOptions(strip_boilerplate=False).strip) == 0
    assert scoring._strip_kind(str.strip) == 2


@pytest.fixture(scope="module")
def demo(model_dir) -> Scorer:
    """The small demo model, pooling over windows of two sentences of any text."""
    model = load_artifact(model_dir)
    return Scorer(dataclasses.replace(model, window_sentences=2, window_min_words=0))


@pytest.fixture(scope="module")
def pooled(demo) -> Scorer:
    """`demo` with a char_wb block (`with_blocks`)."""
    return with_blocks(demo)


def with_blocks(scorer: Scorer, second: TextOptions | None = None) -> Scorer:
    """The scorer's model with a char_wb block (so that punctuation counts: "said." is not
    'said."') and, given `second`, a copy of its word block under that cleaning (a second
    token pass), all read by a new incident head (random weights; no gate)."""
    model = scorer.model
    blocks = list(model.featurizer.blocks)
    word = next(b for b in blocks if b.spec.name == "word")
    terms = sorted(
        {
            gram
            for text in [STORY, *PIECES]
            for gram in char_wb_ngrams(TextOptions().clean(text), (2, 4))
        }
    )
    rng = np.random.default_rng(7)
    char = TfidfBlock(
        BlockSpec("char", "char_wb", (2, 4)), tuple(terms), rng.uniform(1, 5, len(terms))
    )
    blocks.append(char)
    if second is not None:
        spec = dataclasses.replace(word.spec, name="word2", options=second)
        blocks.append(dataclasses.replace(word, spec=spec))
    featurizer = Featurizer(blocks)
    names = [b.spec.name for b in blocks if b.spec.name in ("word", "char", "word2")]
    inputs = block_inputs(featurizer, names)
    width = sum(item.width for item in inputs)
    head = model.incident
    incident = Head(
        head.classes,
        rng.normal(0, 3, (len(head.classes), width)),
        head.intercept,
        inputs,
    )
    return Scorer(dataclasses.replace(model, featurizer=featurizer, incident=incident, gate=None))


def segments(scorer: Scorer, texts: list[str], rows: BlockRows | None) -> np.ndarray:
    """Every window's (owner, P(label)s...) row, sorted."""
    found = scorer.window_segments(texts, rows)
    if not found:
        return np.zeros((0, 1 + len(scorer.labels)))
    table = np.vstack([np.column_stack([owners, p]) for owners, p in found])
    return table[np.lexsort(table.T[::-1])]


def assert_same_windows(scorer: Scorer, texts: list[str]) -> None:
    """Each window's probabilities from the token look-ups are the text path's, bit for
    bit, and so are the pooled ones."""
    rows = BlockRows(scorer.model.featurizer, texts)
    assert np.array_equal(segments(scorer, texts, rows), segments(scorer, texts, None))
    reference = scorer.window_probabilities(texts)
    assert np.array_equal(scorer.window_probabilities(texts, rows), reference)


# A story that boilerplate stripping leaves as it is, whose windows it would not all leave so:
# a dropped closing quote, datelines and an upper-case prefix after sentence breaks, a tag and
# a citation mark that a window's joining space makes, odd whitespace, non-ASCII letters
STORY = (
    f"Gunmen attacked a police station. {FILLER}. "
    f'"They came at night," he said." Police said the bomb killed two. '
    f"BREAKING NEWS. Gunmen kidnapped an aid worker as {FILLER} (RIA\n\nNovosti) at dawn.\t"
    f"HAVANA - {FILLER}. Police Station - {FILLER}. The army\u00a0said\u2003nothing. Lima."
    f"\n\n-- {FILLER}.\n\n\n{FILLER}? {FILLER}! Ünal said that {FILLER} [citation\n\nneeded] "
    f"that É was attacked.”  The end. " * 3
)
# ... and one that it changes (its windows all take the text path)
DATELINED = f"KABUL, March 3 (AFP) - {STORY} [1] (Reuters)"


def test_window_probabilities_from_token_lookups_equal_the_text_path_on_hostile_stories(pooled):
    assert strip_boilerplate(STORY) == STORY != strip_boilerplate(DATELINED)
    texts = [STORY, DATELINED, "", "Short.", FILLER * 40, STORY.replace('."', ".")]
    for size in (1, 2, 3):
        assert_same_windows(Scorer(dataclasses.replace(pooled.model, window_sentences=size)), texts)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(texts_of_pieces, max_size=6))
def test_window_probabilities_from_token_lookups_equal_the_text_path(pooled, texts):
    assert_same_windows(pooled, texts)


@pytest.mark.parametrize(
    "second",
    [TextOptions(keep_dateline_place=False), TextOptions(strip_boilerplate=False)],
    ids=["other-dateline-rule", "no-stripping"],
)
def test_windows_of_two_token_passes_equal_the_text_path(demo, second):
    scorer = with_blocks(demo, second)
    assert len({p for p, _ in scorer.model.featurizer.token_passes.values()}) == 2
    assert scorer.window_passes() is not None and len(scorer.window_passes()) == 2
    texts = [STORY, DATELINED, FILLER * 40, "HAVANA - x. Y. Z."]
    assert_same_windows(scorer, texts)


def test_windows_of_a_long_batch_take_the_token_path_and_equal_the_text_path(pooled):
    texts = [f"{FILLER}. Gunmen attacked post {i}. {FILLER}." * (1 + i % 5) for i in range(300)]
    rows = BlockRows(pooled.model.featurizer, texts)
    assert np.array_equal(
        pooled.window_probabilities(texts, rows), pooled.window_probabilities(texts)
    )
