"""The compiled word analysis of new tokens (`WordTable.parts`) finds the words scikit-learn's
tokeniser finds (`(?u)\\b\\w\\w+\\b`) and looks them up as a dict would, for any character."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from infer.tokenpass import WordTable

WORD = re.compile(r"(?u)\b\w\w+\b")


def table_of(columns: dict[str, int], ids: dict[str, int]) -> WordTable:
    keys = list(dict.fromkeys([*columns, *ids]))
    return WordTable(keys, [columns.get(k, -1) for k in keys], [ids.get(k, -1) for k in keys])


def reference(tokens, columns, ids, unigrams, pairs):
    """What `features` did per token before: the regex's words, then dict look-ups."""
    per_token, found, per_token_ids, found_ids = [], [], [], []
    for token in tokens:
        words = WORD.findall(token)
        known = [columns[w] for w in words if w in columns] if unigrams else []
        per_token.append(len(known))
        found.extend(known)
        word_ids = [ids.get(w, -1) for w in words] if pairs else []
        per_token_ids.append(len(word_ids))
        found_ids.extend(word_ids)
    return (per_token, found), (per_token_ids, found_ids)


def same(tokens, columns, ids) -> None:
    table = table_of(columns, ids)
    for unigrams in (True, False):
        for pairs in (True, False):
            got = table.parts(tokens, unigrams, pairs)
            expected = reference(tokens, columns, ids, unigrams, pairs)
            for (lengths, values), (want_lengths, want_values) in zip(got, expected, strict=True):
                assert np.array_equal(lengths, np.asarray(want_lengths, dtype=np.int64))
                assert np.array_equal(values, np.asarray(want_values, dtype=values.dtype))


def test_words_around_every_bmp_code_point_are_found_and_looked_up():
    chars = [chr(c) for c in range(0x10000)]
    tokens = [t for c in chars for t in (c, f"a{c}", f"{c}b", f"x{c}{c}y", f"{c}{c}", f"q.{c}z")]
    words = sorted({w for t in tokens for w in WORD.findall(t)})
    columns = {w: i for i, w in enumerate(words[::3])}  # a third of them are terms
    ids = {w: i for i, w in enumerate(words[1::4])}  # and some are words of 2-word terms
    same(tokens, columns, ids)


PIECES = [*"aZ_0 .-'’\t", "é", "ß", "İ", "\u0301", "\u200b", "\ud800", "\U0001d400", "٣", "bomb"]


@settings(max_examples=200, deadline=None)
@given(
    tokens=st.lists(st.lists(st.sampled_from(PIECES), max_size=8).map("".join), max_size=12),
    data=st.data(),
)
def test_generated_tokens_give_the_regex_words_and_dict_look_ups(tokens, data):
    words = sorted({w for t in tokens for w in WORD.findall(t)} | {"bomb", "ab"})
    chosen = data.draw(st.lists(st.sampled_from(words), unique=True))
    columns = {w: 7 * i for i, w in enumerate(chosen)}
    ids = {w: i for i, w in enumerate(reversed(chosen[: len(chosen) // 2]))}
    same(tokens, columns, ids)


def test_an_empty_table_finds_no_column_and_gives_unknown_ids():
    same(["car bomb", "", "ab", "a"], {}, {})
