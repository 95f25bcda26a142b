"""Which words of a text each feature came from, so that explanations read as words.

A char n-gram ("amb", "mbus") is credited to the words that contain it ("ambush"), shared by
occurrence when several do; a place column ("country=IQ") names the mentions that fed it
("Makhmour", "Mosul"). Word n-grams are words already.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import NamedTuple

from infer.features import Featurizer, TfidfBlock, char_wb_ngrams
from infer.place_features import PlaceBlock
from infer.places import Mention
from infer.taxonomy import COUNTRIES

# place column prefix -> which mentions feed it (places, demonyms or armed groups)
_KIND = {
    "country": "place",
    "region": "place",
    "nationality": "demonym",
    "nationality_region": "demonym",
    "group": "group",
    "group_region": "group",
}


class Share(NamedTuple):
    """A share of one feature credited to one readable group."""

    key: tuple[str, ...]  # the group (same key, same group)
    name: str  # e.g. "char:ambush", "places:Makhmour, Mosul -> IQ", "word:car bomb"
    words: tuple[str, ...]  # the text's words behind it (empty for word n-grams)
    fraction: float  # of the feature's value and contribution


def _kind(mention: Mention) -> str:
    """place, demonym or group."""
    return "group" if mention.group else "demonym" if mention.demonym else "place"


class FeatureWords:
    """The readable groups of one text's features under one featuriser."""

    def __init__(self, featurizer: Featurizer, text: str) -> None:
        self.featurizer = featurizer
        self._chars: dict[str, dict[str, Counter[str]]] = {}  # block -> gram -> word counts
        self._mentions: dict[str, list[Mention]] = {}  # place block -> mentions
        for block in featurizer.blocks:
            name = block.spec.name
            if isinstance(block, PlaceBlock):
                self._mentions[name] = block.gazetteer.mentions(text)
            elif isinstance(block, TfidfBlock) and block.spec.analyzer == "char_wb":
                owners: dict[str, Counter[str]] = defaultdict(Counter)
                for word in block.spec.options.clean(text).split():
                    for gram in char_wb_ngrams(word, block.spec.ngram_range):
                        owners[gram][word] += 1
                self._chars[name] = owners

    def shares(self, column: int) -> list[Share]:
        """The groups a feature column is credited to, with their fractions (sum 1)."""
        block_name, _, term = self.featurizer.feature_name(column).partition(":")
        if block_name in self._chars:
            owners = self._chars[block_name].get(term)
            if owners:
                total = sum(owners.values())
                return [
                    Share(("char", block_name, word), f"{block_name}:{word}", (word,), n / total)
                    for word, n in owners.items()
                ]
        if block_name in self._mentions:
            prefix, _, target = term.partition("=")
            words = self._place_words(self._mentions[block_name], prefix, target)
            if words:
                return [
                    Share(
                        ("places", block_name, term),
                        f"{block_name}:{', '.join(words)} -> {target}",
                        words,
                        1.0,
                    )
                ]
        name = f"{block_name}:{term}"
        return [Share(("feature", name), name, (), 1.0)]

    @staticmethod
    def _place_words(mentions: list[Mention], prefix: str, target: str) -> tuple[str, ...]:
        """The distinct surfaces of the mentions that feed a place column."""
        kind = _KIND.get(prefix)
        regional = prefix.endswith("region")
        found = [
            m.surface
            for m in mentions
            if _kind(m) == kind
            and (_region(m.country) == target if regional else m.country == target)
        ]
        return tuple(dict.fromkeys(found))


def _region(code: str) -> str | None:
    """The GTD region of a country code (None if unknown)."""
    country = COUNTRIES.get(code)
    return None if country is None else country.region
