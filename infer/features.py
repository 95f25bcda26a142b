"""Text analysis and the data-only TF-IDF featuriser shared by training and the predictor.

Training fits each block with scikit-learn (passing the analyzers below) and keeps only
data: the terms and the idf weights. At run time `Featurizer.transform` rebuilds the same
matrix with numpy, so `infer` never imports scikit-learn: word (up to
bigrams) and char_wb blocks are counted by the compiled pass over a per-token cache
(`infer.tokenpass`), other blocks through their analyzer (`TfidfBlock.counts_by_analyzer`,
the reference path the tests compare the compiled one with). The predictor reads the rows as
`infer.csr.Rows` (`rows`, `block_rows`), without importing scipy; `transform`, `counts` and
`weigh` return scipy CSR matrices, for training and the tests.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from infer import csr
from infer.csr import Rows
from infer.tokencache import Part
from infer.tokenpass import (
    BlockCounter,
    CharTable,
    GramTable,
    Looked,
    TokenPass,
    WordTable,
    multiword_terms,
)

if TYPE_CHECKING:
    import scipy.sparse as sp

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_PLACE_WORD = r"[A-Z][\w'.\-]*"
_PLACE = rf"{_PLACE_WORD}(?:[ ]+{_PLACE_WORD})*"
# "KABUL, March 3 (AFP) - ", "POPAYAN, Colombia, Feb. 11 - ", "Lima, Oct. 3 - ", "HAVANA - "
_DATELINE = re.compile(
    rf"^\s*(?P<place>{_PLACE}(?:,[ ]*{_PLACE})*?)"
    rf"(?:,[ ]*{_MONTH}[ ]+\d{{1,2}})?[ ]*(?:\([^)]{{1,30}}\))?[ ]+[-\u2013\u2014]{{1,2}}[ ]+"
)
# "ARGENTINA.  The second floor ..." (an upper-case country prefix)
_CAPS_PREFIX = re.compile(r"^\s*(?P<place>[A-Z][A-Z '\-]{2,40})\.\s+(?=[A-Z])")
_AGENCIES = (
    "AFP|AP|Reuters|UPI|Xinhua|IANS|PTI|ANI|dpa|EFE|ANSA|Interfax|TASS|Bernama|Anadolu"
    "|BBC|CNN|Kyodo|Yonhap|RIA Novosti|Al Jazeera"
)
_AGENCY = re.compile(rf"\s*\((?:{_AGENCIES})\)", re.IGNORECASE)
# every _AGENCY match holds one of these; its leading "(" lets the regex engine jump from one
# "(" to the next, where _AGENCY's "\s*" makes it try every character (8x faster on RAND)
_AGENCY_TAG = re.compile(rf"\((?:{_AGENCIES})\)", re.IGNORECASE)
_CITATION = re.compile(r"\[(?:\d+|[a-z]|citation needed|note \d+)\]", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s\s+")
# scikit-learn's default word tokeniser: maximal runs of >= 2 word characters
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_DATELINE_MAX_CHARS = 80


def strip_boilerplate(text: str, *, keep_place: bool = True) -> str:
    """Remove a leading dateline's date/agency/dash, agency tags and citation marks."""
    # Cheap tests first: a usable dateline has a space then a dash (- \u2013 \u2014) within its
    # 80 characters (three substring tests of that head: 1.2x faster on RAND than one regex
    # search), an agency tag a "(" and a citation mark a "[", so most texts skip most of the
    # regexes.
    match = None
    head = text[:_DATELINE_MAX_CHARS]
    if " -" in head or " \u2013" in head or " \u2014" in head:
        match = _DATELINE.match(text)
    if match is None or match.end() > _DATELINE_MAX_CHARS:
        match = _CAPS_PREFIX.match(text)
    if match is not None and match.end() <= _DATELINE_MAX_CHARS:
        place = match.group("place") + " " if keep_place else ""
        text = place + text[match.end() :]
    if "(" in text and _AGENCY_TAG.search(text) is not None:
        text = _AGENCY.sub("", text)
    return _CITATION.sub("", text) if "[" in text else text


@dataclass(frozen=True)
class TextOptions:
    """How raw text is cleaned before tokenisation."""

    lowercase: bool = True
    strip_boilerplate: bool = True
    keep_dateline_place: bool = True

    def strip(self, text: str) -> str:
        """The cleaning steps before lower-casing (boilerplate stripping, if enabled)."""
        if self.strip_boilerplate:
            return strip_boilerplate(text, keep_place=self.keep_dateline_place)
        return text

    def clean(self, text: str) -> str:
        """Apply the cleaning steps to one text."""
        text = self.strip(text)
        return text.lower() if self.lowercase else text


def word_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """Word n-grams of an already cleaned text, exactly as scikit-learn builds them."""
    tokens = _TOKEN.findall(text)
    low, high = ngram_range
    if high == 1:
        return tokens
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), high + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def char_wb_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """Character n-grams inside word boundaries, exactly as scikit-learn's char_wb."""
    low, high = ngram_range
    grams: list[str] = []
    for word in _WHITESPACE.sub(" ", text).split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[offset : offset + n])
            while offset + n < length:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a short word is counted once
                break
    return grams


_ANALYZERS: dict[str, Callable[[str, tuple[int, int]], list[str]]] = {
    "word": word_ngrams,
    "char_wb": char_wb_ngrams,
}


@dataclass(frozen=True)
class BlockSpec:
    """What one feature block looks at (everything needed to analyse a text)."""

    name: str
    analyzer: str
    ngram_range: tuple[int, int]
    options: TextOptions = field(default_factory=TextOptions)

    def __post_init__(self) -> None:
        if self.analyzer not in _ANALYZERS:
            raise ValueError(f"unknown analyzer {self.analyzer!r}; known: {sorted(_ANALYZERS)}")

    def analyze(self, text: str) -> list[str]:
        """Clean a raw text and return its terms (the callable given to scikit-learn)."""
        return _ANALYZERS[self.analyzer](self.options.clean(text), self.ngram_range)

    def to_dict(self) -> dict:
        """JSON-ready description of the block."""
        return {
            "name": self.name,
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "options": {
                "lowercase": self.options.lowercase,
                "strip_boilerplate": self.options.strip_boilerplate,
                "keep_dateline_place": self.options.keep_dateline_place,
            },
        }

    @classmethod
    def from_dict(cls, data: dict) -> BlockSpec:
        """Inverse of `to_dict`."""
        low, high = data["ngram_range"]
        return cls(
            data["name"], data["analyzer"], (int(low), int(high)), TextOptions(**data["options"])
        )


@dataclass(frozen=True)
class TfidfBlock:
    """A fitted block: sublinear-tf x idf over a fixed vocabulary, l2-normalised per row."""

    spec: BlockSpec
    terms: tuple[str, ...]
    idf: np.ndarray

    def __post_init__(self) -> None:
        if len(self.terms) != len(self.idf):
            raise ValueError(
                f"block {self.spec.name}: {len(self.terms)} terms, {len(self.idf)} idf weights"
            )

    @cached_property
    def index(self) -> dict[str, int]:
        """Term -> column (built on first use)."""
        return dict(zip(self.terms, range(len(self.terms)), strict=True))

    @cached_property
    def counter(self) -> BlockCounter | None:
        """What the compiled token pass needs of this block (None: count through the
        analyzer). Both analyzers work within whitespace tokens, so a token's terms do not
        depend on its neighbours, except the word n-grams that span tokens (the n-gram
        table). The pass lower-cases new tokens before `analyze` sees them."""
        spec = self.spec
        low, high = spec.ngram_range
        if spec.analyzer == "char_wb":  # (needs no `index`: a char block's is 50k terms)
            if not CharTable.fits(self.terms, spec.ngram_range):
                return None
            chars = CharTable(self.terms, spec.ngram_range)

            def analyze_chars(tokens: list[str]) -> tuple[Part, Part]:
                return chars.columns(tokens), ([0] * len(tokens), [])

            return BlockCounter(analyze_chars, None, self.size)
        if spec.analyzer != "word" or low < 1:
            return None
        columns, words, word_ids, lengths = multiword_terms(self.terms)
        if not GramTable.fits(len(words), high):
            return None
        table = None
        if high >= 2 and columns:
            table = GramTable(word_ids, lengths, columns, len(words), spec.ngram_range)
        unigrams, pairs = low == 1, table is not None
        # every word a lookup may ask for: the one-word terms and the words of the others
        keys = list(dict.fromkeys([*(t for t in self.terms if " " not in t), *words]))
        index = self.index
        word_table = WordTable(
            keys,
            [index.get(key, -1) for key in keys],
            [words.get(key, -1) for key in keys],
        )

        def analyze_words(tokens: list[str]) -> tuple[Part, Part]:
            return word_table.parts(tokens, unigrams, pairs)

        return BlockCounter(analyze_words, table, self.size)

    @cached_property
    def token_pass(self) -> TokenPass | None:
        """A token pass of this block alone (a featuriser shares one between its blocks)."""
        counter = self.counter
        if counter is None:
            return None
        options = self.spec.options
        return TokenPass([counter], options.strip, options.lowercase)

    @property
    def size(self) -> int:
        """Number of columns."""
        return len(self.terms)

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Raw term counts of the texts (the compiled pass when the block has one)."""
        token_pass = self.token_pass
        if token_pass is None:
            return self.counts_by_analyzer(texts)
        return token_pass.counts(0, token_pass.lookup(texts)).to_scipy()

    def counts_by_analyzer(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Raw term counts through `spec.analyze` and a dict look-up per term (reference path)."""
        return self._analyzer_counts(texts).to_scipy()

    def _analyzer_counts(self, texts: Sequence[str]) -> Rows:
        """`counts_by_analyzer` as `Rows` (each row's columns sorted)."""
        index = self.index
        indptr = [0]
        indices: list[int] = []
        counts: list[int] = []
        for text in texts:
            found = Counter(i for i in map(index.get, self.spec.analyze(text)) if i is not None)
            columns = sorted(found)
            indices.extend(columns)
            counts.extend(map(found.__getitem__, columns))
            indptr.append(len(indices))
        return Rows(
            np.asarray(counts, dtype=np.float64),
            np.asarray(indices, dtype=np.int32),
            np.asarray(indptr, dtype=np.int64),
            (len(texts), self.size),
        )

    def weigh(self, counts: Any) -> sp.csr_matrix:
        """Sublinear tf x idf, l2-normalised per row, from a CSR count matrix (sorted
        indices)."""
        return self._weighed(Rows.of(counts)).to_scipy()

    def _weighed(self, counts: Rows) -> Rows:
        """`weigh` as `Rows`."""
        n_rows = counts.shape[0]
        data = (np.log(counts.data) + 1.0) * self.idf[counts.indices]
        rows = counts.row_numbers()
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_rows))
        norms[norms == 0.0] = 1.0
        data /= norms[rows]
        return Rows(data, counts.indices, counts.indptr, counts.shape)

    def rows(self, texts: Sequence[str]) -> Rows:
        """TF-IDF rows for the texts (sublinear tf, idf, l2 norm), like TfidfVectorizer."""
        token_pass = self.token_pass
        if token_pass is None:
            return self._weighed(self._analyzer_counts(texts))
        return token_pass.tfidf(0, token_pass.lookup(texts), self.idf)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """`rows` as a scipy CSR matrix."""
        return self.rows(texts).to_scipy()


class Featurizer:
    """Blocks concatenated horizontally into one sparse matrix (read-only after init)."""

    def __init__(self, blocks: Sequence[TfidfBlock]) -> None:
        if not blocks:
            raise ValueError("a featuriser needs at least one block")
        self.blocks = tuple(blocks)
        offsets = np.cumsum([0] + [b.size for b in self.blocks])
        self.offsets = tuple(int(o) for o in offsets)

    @property
    def n_features(self) -> int:
        """Total number of columns."""
        return self.offsets[-1]

    @cached_property
    def token_passes(self) -> dict[int, tuple[TokenPass, int]]:
        """Block position -> (the token pass it shares with the blocks of the same text
        cleaning, its number in that pass), for the blocks the compiled pass counts."""
        grouped: dict[TextOptions, list[int]] = {}
        for position, block in enumerate(self.blocks):
            if isinstance(block, TfidfBlock) and block.counter is not None:
                grouped.setdefault(block.spec.options, []).append(position)
        out = {}
        for options, positions in grouped.items():
            counters = [self.blocks[p].counter for p in positions]
            shared = TokenPass(counters, options.strip, options.lowercase)  # type: ignore[arg-type]
            out.update((p, (shared, at)) for at, p in enumerate(positions))
        return out

    def block_rows(
        self, position: int, texts: Sequence[str], looked: dict[TokenPass, Looked]
    ) -> Rows:
        """The rows of block `position` for the texts; `looked` keeps a batch's token
        look-ups (one per text cleaning, shared by the blocks that read it)."""
        block = self.blocks[position]
        shared = self.token_passes.get(position)
        if shared is None:
            return block.rows(texts)
        token_pass, at = shared
        found = looked.get(token_pass)
        if found is None:
            found = looked[token_pass] = token_pass.lookup(texts)
        return token_pass.tfidf(at, found, block.idf)

    def rows(self, texts: Iterable[str]) -> Rows:
        """Feature matrix for the texts, every block side by side."""
        texts = list(texts)
        looked: dict[TokenPass, Looked] = {}
        return csr.hstack([self.block_rows(at, texts, looked) for at in range(len(self.blocks))])

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """`rows` as a scipy CSR matrix (for training and the tests)."""
        return self.rows(texts).to_scipy()

    def feature_name(self, column: int) -> str:
        """Human-readable name of a column, e.g. 'word:car bomb'."""
        for block, start, end in zip(self.blocks, self.offsets, self.offsets[1:], strict=False):
            if start <= column < end:
                return f"{block.spec.name}:{block.terms[column - start]}"
        raise IndexError(column)

    def specs(self) -> list[dict]:
        """JSON-ready block descriptions (stored in meta.json)."""
        return [block.spec.to_dict() for block in self.blocks]


def idf_key(position: int) -> str:
    """Name of a block's idf array inside model.npz."""
    return f"features.{position}.idf"
