"""The compiled token split and look-up (infer/tokencache.py) agree with str.split() and a dict."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from infer import tokencache
from infer.tokencache import TokenCache, split_spans, whitespace

PIECES = [
    *" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000",
    *"\u200b\ufeff\x00é\u0301ΣςİK",
    "\ud800",
    "\U0001f4a3",
    "car",
    "bomb",
    "Car",
]
TEXT = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


def test_the_whitespace_table_holds_every_code_point_str_split_splits_on():
    space = whitespace()
    assert all(bool(space[c]) == chr(c).isspace() for c in range(len(space)))
    assert not any(chr(c).isspace() for c in range(len(space), 0x110000))


def tokens_of(texts: list[str]) -> list[list[str]]:
    joined, _, starts, ends, first = split_spans(texts)
    flat = [joined[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    return [flat[first[t] : first[t + 1]] for t in range(len(texts))]


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT, max_size=8))
def test_split_spans_are_what_str_split_gives(texts):
    assert tokens_of(texts) == [text.split() for text in texts]


def lengths_cache() -> TokenCache:
    """A cache whose one part is each token's length (and whose analyses are counted)."""
    cache = TokenCache(
        lambda tokens: [([1] * len(tokens), [len(t) for t in tokens]), ([0] * len(tokens), [])],
        2,
    )
    cache.analysed = []  # type: ignore[attr-defined]
    analyze = cache.analyze

    def counted(tokens: list[str]):
        cache.analysed.extend(tokens)  # type: ignore[attr-defined]
        return analyze(tokens)

    cache.analyze = counted
    return cache


def look_up(cache: TokenCache, texts: list[str]) -> list[str]:
    """Each token's cached length, looked up, as the token it must belong to would give."""
    joined, text, starts, ends, _ = split_spans(texts)
    ids, (ptr, values, _, _) = cache.lookup(joined, text, starts, ends)
    tokens = [joined[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    for token, i in zip(tokens, ids.tolist(), strict=True):
        assert values[ptr[i] : ptr[i + 1]].tolist() == [len(token)]
    return tokens


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(TEXT, max_size=6), max_size=5))
def test_every_token_is_analysed_once_and_found_again(batches):
    cache = lengths_cache()
    seen: list[str] = []
    for texts in batches:
        seen.extend(look_up(cache, texts))
    assert sorted(cache.analysed) == sorted(set(seen))  # type: ignore[attr-defined]
    assert cache.tokens() == cache.analysed  # type: ignore[attr-defined]


def test_the_table_grows_and_still_finds_every_token():
    cache = lengths_cache()
    words = [f"w{i}" for i in range(5000)]
    for at in range(0, len(words), 700):
        look_up(cache, [" ".join(words[at : at + 700])])
    look_up(cache, [" ".join(words)])
    assert len(cache) == 5000 and len(cache.analysed) == 5000  # type: ignore[attr-defined]
    assert len(cache.slots) >= 2 * 5000


def test_a_full_cache_starts_over_and_keeps_its_answers_right(monkeypatch):
    monkeypatch.setattr(tokencache, "MAX_TOKENS", 10)
    cache = lengths_cache()
    for i in range(20):
        look_up(cache, [f"a{i} b{i} c car bomb", "car"])
        assert len(cache) <= 10
    np.testing.assert_array_equal(cache.slots[cache.slots >= 0].size, len(cache))


def test_an_analysis_interrupted_midway_leaves_a_cache_that_answers_right():
    cache = lengths_cache()
    look_up(cache, ["car bomb", "bomb"])
    analyze = cache.analyze

    def interrupted(tokens: list[str]):
        cache.analyze = analyze
        raise KeyboardInterrupt

    cache.analyze = interrupted
    try:
        look_up(cache, ["new words here", "car"])
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the analysis was not interrupted")
    look_up(cache, ["new words here car bomb", "here"])  # every answer still right
    assert sorted(cache.tokens()) == sorted(["new", "words", "here", "car", "bomb"])


def test_a_batch_with_more_new_tokens_than_the_cache_holds_is_answered_in_full(monkeypatch):
    monkeypatch.setattr(tokencache, "MAX_TOKENS", 5)
    cache = lengths_cache()
    look_up(cache, ["a b c"])
    look_up(cache, [" ".join(f"w{i}" for i in range(40)), "a b c w3"])
    assert len(cache) == 43  # the batch's own tokens, the old ones forgotten first
    look_up(cache, ["w1 q"])  # one new token in a full cache: it starts over again
    assert sorted(cache.tokens()) == ["q", "w1"]
