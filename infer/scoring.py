"""The decision rules, in one place: from a model's linear scores to a `Prediction`.

`Predictor.predict` and `infer.explain` both go through `Scorer`, so an explanation cannot
drift from the prediction it explains. The rules: sigmoid per incident type, times P(attack)
when the model has a gate; max pooling over sentence windows of long texts; the implication
rule (`taxonomy.IMPLIED_TYPES`: P(armed_assault) >= P(ambush)); per-label thresholds; softmax
region and country heads, with the geography rule (a confident country fixes the region; named
places outvote an unsure country head).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from itertools import repeat, starmap
from typing import Any

import numpy as np

from infer.artifact import Head, ModelData
from infer.csr import Rows
from infer.features import TextOptions
from infer.linear import BlockRows, Features
from infer.place_features import PlaceBlock
from infer.rounding import rounded
from infer.taxonomy import COUNTRIES, IMPLIED_TYPES, country_name
from infer.tokencache import whitespace
from infer.tokenpass import Looked, TokenPass, kernels

# Named places outvote a confident country head under even odds (Wikipedia dev country +0.009).
PLACES_OUTVOTE_BELOW = 0.5
# The region head's best region is reported only when the text gives it at least this odds
# ratio over the head's answer for a text with no features (the softmax of its intercepts),
# and more probability than that answer gives any region. Below it, the "region" is the
# head's base rate: a city-budget story got "Western Europe" at 0.15, an empty text
# "Australasia & Oceania" at 0.149 (default model). Measured: data/demo texts labelled with no
# region that get one 100% -> 4% (default model), 16% (full.toml), 10% (Wikipedia-trained);
# region accuracy, abstaining counted as a miss, Wikipedia grouped dev 0.933 -> 0.917, RAND
# crc32 half 0 0.902 -> 0.889 (about 3 in 10 of the abstentions were right guesses before).
REGION_MIN_ODDS_RATIO = 2.0

Matrix = Features  # a batch's blocks, or a whole feature matrix (`infer.linear`)
Geography = tuple[str | None, float, str | None, float]  # region, its p, country, its p


@dataclass(frozen=True, slots=True)
class Prediction:
    """The tags of one text; `incident_types` holds the labels over their thresholds (highest
    probability first), `probabilities` every label's probability. `to_dict()` is the JSON
    form that every output shares (infer/prediction.schema.json)."""

    incident_types: dict[str, float]
    probabilities: dict[str, float]
    region: str | None
    region_probability: float
    country: str | None
    country_probability: float

    @property
    def country_name(self) -> str | None:
        """The country's English name (the code itself if the taxonomy does not know it)."""
        if self.country is None:
            return None
        try:
            return country_name(self.country)
        except ValueError:
            return self.country

    def to_dict(self, digits: int | None = None) -> dict[str, Any]:
        """The JSON form (infer/prediction.schema.json, `prediction`): the fields above plus
        `country_name`, in fresh dicts; every probability rounded to `digits` places if given."""
        values = self._probabilities()
        return self._form(iter(values if digits is None else [round(v, digits) for v in values]))

    def _probabilities(self) -> list[float]:
        """Every probability of the JSON form, in the order `_form` takes them."""
        return [
            *self.incident_types.values(),
            *self.probabilities.values(),
            self.region_probability,
            self.country_probability,
        ]

    def _form(self, values: Iterator[float]) -> dict[str, Any]:
        """The JSON form with the probabilities taken from `values`, in `_probabilities` order
        (zip stops at the keys, so it takes exactly one value per key)."""
        return {
            "incident_types": dict(zip(self.incident_types, values, strict=False)),
            "probabilities": dict(zip(self.probabilities, values, strict=False)),
            "region": self.region,
            "region_probability": next(values),
            "country": self.country,
            "country_name": self.country_name,
            "country_probability": next(values),
        }


# The slots' own setters, in field order: what the frozen __init__ reaches through
# object.__setattr__, one attribute look-up per field and object
_SETTERS = tuple(getattr(Prediction, field.name).__set__ for field in fields(Prediction))


def built_predictions(*columns: Sequence[Any]) -> list[Prediction]:
    """[Prediction(*fields) for fields in zip(*columns, strict=True)]: one column per field,
    in field order. The objects are made bare and each column goes through its slot's setter
    in one C-level map, instead of the frozen __init__'s six object.__setattr__ calls per
    object (Prediction has no __post_init__ or defaults to run; a test pins that)."""
    if len(columns) != len(_SETTERS) or len({len(column) for column in columns}) != 1:
        raise ValueError(f"built_predictions takes {len(_SETTERS)} columns of one length")
    n = len(columns[0])
    out = list(map(object.__new__, repeat(Prediction, n)))
    consume = deque(maxlen=0).extend
    for setter, column in zip(_SETTERS, columns, strict=True):
        consume(map(setter, out, column))
    return out


def dict_maker(keys: tuple[str, ...]) -> Callable[..., dict[str, Any]]:
    """A function of len(keys) values returning dict(zip(keys, values, strict=True)), made
    as one dict display `lambda v0, v1, ...: {keys[0]: v0, keys[1]: v1, ...}` that the
    interpreter builds in one step (2.4x faster than dict(zip(...)) for the 7 labels; no zip,
    no pair tuples, no resizing). Generated the way dataclasses generates __init__: each key
    enters the source as its repr(), a literal equal to it (plain str keys only; others get
    dict(zip(...)))."""
    if not all(type(key) is str for key in keys):
        return lambda *values: dict(zip(keys, values, strict=True))
    names = [f"v{i}" for i in range(len(keys))]
    pairs = ", ".join(f"{key!r}: {name}" for key, name in zip(keys, names, strict=True))
    made: Callable[..., dict[str, Any]] = eval(f"lambda {', '.join(names)}: {{{pairs}}}", {})
    return made


def prediction_dicts(predictions: Sequence[Prediction], digits: int) -> list[dict[str, Any]]:
    """[p.to_dict(digits) for p in predictions], rounding all of their probabilities in one
    vectorised call (infer.rounding: the same floats as round(); half the CPU of to_dict)."""
    values = iter(rounded([v for p in predictions for v in p._probabilities()], digits))
    return [p._form(values) for p in predictions]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function (maps -inf to exactly 0)."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    if z.shape[1] == 0:
        return z
    # in place after the one subtraction: the same operations as exp, then divide, on one
    # array instead of three (the country head's is texts x 163)
    shifted = z - z.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def decision_scores(head: Head, matrix: Matrix) -> np.ndarray:
    """Raw linear scores (one column per class) of a full feature matrix or a batch's blocks
    (only the blocks the head reads are computed)."""
    return head.scores(matrix)


def no_evidence_probabilities(head: Head) -> np.ndarray:
    """A softmax head's probabilities for a text with no features: the softmax of its
    intercepts (what it says when the text says nothing)."""
    if not len(head.classes):
        return np.zeros(0)
    return softmax(np.asarray(head.intercept, dtype=np.float64)[None, :])[0]


def above_no_evidence(probability: np.ndarray, no_evidence: np.ndarray) -> np.ndarray:
    """Per row of a softmax head's probabilities, whether its best class is above the head's
    no-evidence level: more probable than `no_evidence` (no_evidence_probabilities) makes
    any class, at odds at least REGION_MIN_ODDS_RATIO times that class's no-evidence odds."""
    if not probability.shape[1]:
        return np.zeros(len(probability), dtype=bool)
    best = probability.argmax(axis=1)
    p = probability[np.arange(len(probability)), best]
    q = no_evidence[best]
    # p / (1 - p) >= ratio * q / (1 - q), without dividing by zero at p = 1
    odds = p * (1.0 - q) >= REGION_MIN_ODDS_RATIO * q * (1.0 - p)
    return (p > no_evidence.max()) & odds


def gated(incident: np.ndarray, gate: np.ndarray | None) -> np.ndarray:
    """P(label) from the decision scores: sigmoid, times P(attack) when there is a gate."""
    probability = sigmoid(incident)
    return probability if gate is None else probability * sigmoid(gate)


# Where sentences end: after . ! or ? (and closing quotes), before an upper-case letter or a
# digit (after opening quotes); or at a blank line. `_SENTENCE.split(text)` is the definition;
# `_sentences` finds the same breaks with `_BREAK`, which starts at the punctuation itself, so
# that the regex engine jumps from one candidate character to the next instead of trying its
# look-behind at every character (1.6x faster on SATP stories). Each of its alternatives starts
# with one literal character (. ! ? or a line break): only then does the engine skip to the
# next such character in C (a leading [.!?] class makes it try every position: 2x slower).
_SENTENCE = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9])|\n\s*\n")
_CLOSE_BEFORE_CAPITAL = r"[\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9])"
_BREAK = re.compile(
    rf"\.{_CLOSE_BEFORE_CAPITAL}|!{_CLOSE_BEFORE_CAPITAL}|\?{_CLOSE_BEFORE_CAPITAL}|\n\s*\n"
)


def _sentences(text: str) -> list[str]:
    """`_SENTENCE.split(text)`: a `_BREAK` match at a . ! or ? leaves it to the sentence
    before (a match at position p there is `_SENTENCE`'s at p + 1; one at a line break is the
    same match in both, and neither can start at a character the other's does)."""
    out, at = [], 0
    for match in _BREAK.finditer(text):
        end = match.start()
        if text[end] != "\n":
            end += 1
        out.append(text[at:end])
        at = match.end()
    out.append(text[at:])
    return out


# What `strip_boilerplate` (infer.features) can change in a window of a text that it leaves
# as it is: a dateline or upper-case prefix at the window's start, an agency tag or citation
# mark that the space joining two sentences makes ("(RIA" + " " + "Novosti)"). The kernel
# that finds the windows in such texts (`tokenkernels.window_spans`) flags every window where
# its tests cannot rule that out; those are made and stripped to see.


def _strip_kind(strip: Callable[[str], str]) -> int:
    """0: `strip` is a `TextOptions.strip` that strips nothing; 1: one that is
    `strip_boilerplate` (the windows flagged by `window_spans` are checked); 2: another
    function (every window is checked)."""
    options = getattr(strip, "__self__", None)
    if isinstance(options, TextOptions) and getattr(strip, "__func__", None) is TextOptions.strip:
        return 1 if options.strip_boilerplate else 0
    return 2


# What str.split() splits an ASCII text on (the ASCII characters str.isspace() accepts)
_ASCII_SPACE = bytes(c for c in range(128) if chr(c).isspace())
# Fewer characters than this per word: where `has_words` first counts the whitespace. Most
# texts under it have fewer words (RAND 1,746 of 1,756 long texts without 250 words, mixed
# 3,875 of 3,907), most with n words are longer (SATP long stories: 28 of 906 are shorter).
_CHARS_A_WORD = 6


def has_words(text: str, n: int) -> bool:
    """Whether `len(text.split()) >= n`, without splitting past the n-th word (the first
    n - 1 splits leave a non-empty rest exactly when there are n words or more). A short
    ASCII text is first refused without splitting when it has fewer than n - 1 whitespace
    characters (n words need n - 1 between them), counted by one bytes.translate."""
    if text.isascii() and len(text) < _CHARS_A_WORD * n:
        raw = text.encode()
        if len(raw) - len(raw.translate(None, _ASCII_SPACE)) < n - 1:
            return False
    return len(text.split(maxsplit=max(n - 1, 0))) >= n


def sentence_windows(text: str, size: int) -> list[str]:
    """Overlapping windows of `size` consecutive sentences (none if the text is shorter)."""
    sentences = [s for s in _sentences(text) if s.strip()]
    if len(sentences) <= size:
        return []
    return [" ".join(sentences[i : i + size]) for i in range(len(sentences) - size + 1)]


def implying(labels: tuple[str, ...]) -> dict[int, tuple[int, ...]]:
    """Per label column, the columns of the labels that imply it (transitively)."""
    out: dict[int, tuple[int, ...]] = {}
    for k, label in enumerate(labels):
        sources, pending = set(), [s for s, implied in IMPLIED_TYPES.items() if label in implied]
        while pending:
            source = pending.pop()
            if source not in sources:
                sources.add(source)
                pending.extend(s for s, implied in IMPLIED_TYPES.items() if source in implied)
        found = tuple(labels.index(s) for s in sorted(sources) if s in labels)
        if found:
            out[k] = found
    return out


def parent_probability(pairs: dict[int, tuple[int, ...]], probability: np.ndarray) -> np.ndarray:
    """Raise each implied label's probability to that of its implying labels (in place: an
    ambush is an armed assault, so P(armed_assault) >= P(ambush)); returns the array."""
    raised = {k: probability[:, list(sources)].max(axis=1) for k, sources in pairs.items()}
    for k, floor in raised.items():
        np.maximum(probability[:, k], floor, out=probability[:, k])
    return probability


def _evidence_map(
    terms: tuple[str, ...],
    kinds: tuple[str, ...] = ("country=", "nationality=", "group="),
) -> tuple[tuple[str, ...], np.ndarray]:
    """The codes named by a place block's `country=`, `nationality=` and `group=` columns (or
    only `kinds`), and per block column the code it adds up to (-1: none) (armed groups vote
    too: Wikipedia dev country 0.830 -> 0.835, region 0.925 -> 0.927)."""
    named = [(i, t.partition("=")[2]) for i, t in enumerate(terms) if t.startswith(kinds)]
    codes = tuple(sorted({code for _, code in named}))
    column = {code: j for j, code in enumerate(codes)}
    evidence = np.full(len(terms), -1, dtype=np.int64)
    for i, code in named:
        evidence[i] = column[code]
    return codes, evidence


def _evidence_counts(rows: Rows, evidence: np.ndarray, n_codes: int) -> np.ndarray:
    """Per row and code, the sum of the row's values in the columns naming the code, added
    in the row's order from 0.0 (what the sparse product with the 0/1 columns x codes matrix
    gives: each column names one code at most)."""
    n_rows = rows.shape[0]
    nnz = rows.nnz
    code = evidence[rows.indices[:nnz]]
    named = code >= 0
    row_of = rows.row_numbers()[named]
    # bincount adds the weights in their order, one at a time
    flat = np.bincount(
        row_of * n_codes + code[named], weights=rows.data[:nnz][named], minlength=n_rows * n_codes
    )
    return flat.reshape(n_rows, n_codes)


def _majority(rows: Rows, evidence: np.ndarray, n_codes: int, share: float) -> np.ndarray:
    """Per row, the index of the code holding >= share of the evidence columns' total, else
    -1 (vectorised: no Python step per row); `evidence` as `_evidence_map` gives it."""
    if not n_codes:
        return np.full(rows.shape[0], -1)
    counts = _evidence_counts(rows, evidence, n_codes)
    totals = counts.sum(axis=1)
    best = counts.argmax(axis=1)
    top = counts[np.arange(len(best)), best]
    return np.where((totals > 0) & (top >= share * totals), best, -1)


def _codes(codes: tuple[str, ...]) -> np.ndarray:
    """The codes as an object array ending in None (index -1: no majority)."""
    out = np.empty(len(codes) + 1, dtype=object)
    out[: len(codes)] = codes
    return out


def _columns(classes: tuple[str, ...]) -> dict[str, int]:
    """Each class's first column (classes.index as one dict look-up)."""
    out: dict[str, int] = {}
    for column, name in enumerate(classes):
        out.setdefault(name, column)
    return out


class Scorer:
    """A model's decision rules; stateless after construction (thread-safe)."""

    def __init__(self, model: ModelData) -> None:
        self.model = model
        self.labels = model.incident.classes
        self.implying = implying(self.labels)
        self._label_dict = dict_maker(self.labels)  # a row of P(label) -> {label: P}
        self.region_no_evidence = no_evidence_probabilities(model.region)
        # membership[c, r] = 1 when country c lies in region r (to sum country probabilities)
        self.region_names = tuple(sorted(set(model.country_regions)))
        self.membership = np.zeros((len(model.country_regions), len(self.region_names)))
        for row, region in enumerate(model.country_regions):
            self.membership[row, self.region_names.index(region)] = 1.0
        # the names as object arrays ending in None (index -1), for the geography columns
        self._region_names = _codes(self.region_names)
        self._region_classes = _codes(model.region.classes)
        self._country_codes = _codes(model.country.classes)
        # class -> column of the country and region heads (the first, as tuple.index gives)
        self._country_column = _columns(model.country.classes)
        self._region_column = _columns(model.region.classes)
        # (first column, width, block name) of the place-name block, the codes its evidence
        # names, and the block columns -> codes map (places and demonyms: fallback rule)
        self._places: tuple[int, int, str] | None = None
        self._place_codes: tuple[str, ...] = ()
        self._place_map: np.ndarray | None = None
        # the same for place mentions alone (they are counted first)
        self._only_places: tuple[tuple[str, ...], np.ndarray] = ((), np.zeros(0, dtype=np.int64))
        for block, start in zip(model.featurizer.blocks, model.featurizer.offsets, strict=False):
            if isinstance(block, PlaceBlock):
                self._places = (start, block.size, block.spec.name)
                self._place_codes, self._place_map = _evidence_map(block.terms)
                self._only_places = _evidence_map(block.terms, ("country=",))
        # the codes as object arrays ending in None (index -1), for `place_majority`
        self._only_place_names = _codes(self._only_places[0])
        self._place_names = _codes(self._place_codes)

    # -- incident types -------------------------------------------------------------------

    def segment_probabilities(self, matrix: Matrix) -> np.ndarray:
        """P(label) of each row on its own (the gate product; no pooling, no implication)."""
        model = self.model
        return gated(
            decision_scores(model.incident, matrix),
            None if model.gate is None else decision_scores(model.gate, matrix),
        )

    def gate_probability(self, matrix: Matrix) -> np.ndarray | None:
        """P(attack) per row; None for a model without a gate."""
        gate = self.model.gate
        return None if gate is None else sigmoid(decision_scores(gate, matrix))[:, 0]

    def windows(self, text: str) -> list[str]:
        """The sentence windows that pooling scores for this text (none for short texts)."""
        model = self.model
        shortest = 2 * model.window_min_words - 1  # n words take at least 2n - 1 characters
        if (
            model.window_sentences <= 0
            or len(text) < shortest
            or not has_words(text, model.window_min_words)
        ):
            return []
        return sentence_windows(text, model.window_sentences)

    def window_passes(self) -> tuple[TokenPass, ...] | None:
        """The token passes of the blocks that the incident and gate heads read, when the
        compiled pass counts every one of them (else None)."""
        model = self.model
        featurizer = model.featurizer
        names = [block.spec.name for block in featurizer.blocks]
        read: set[int] = set()
        for head in (model.incident, model.gate):
            if head is not None:  # (a head listing no blocks reads every one)
                read.update(map(names.index, head.blocks or names))
        passes = featurizer.token_passes
        if not read <= set(passes):
            return None
        return tuple(dict.fromkeys(passes[position][0] for position in sorted(read)))

    def window_probabilities(self, texts: list[str], matrix: Matrix | None = None) -> np.ndarray:
        """Per text, the best incident probabilities over its sentence windows (0 if short):
        the maximum over `window_segments`."""
        best = np.zeros((len(texts), len(self.labels)))
        for owners, probability in self.window_segments(texts, matrix):
            np.maximum.at(best, owners, probability)
        return best

    def window_segments(
        self, texts: list[str], matrix: Matrix | None = None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """The sentence windows of the texts, in groups: (the row of each window's text, the
        windows' P(label)s by `segment_probabilities`). Given the texts' `BlockRows`
        (`matrix`), the windows of a text that the token passes' cleaning leaves as it is are
        counted from the text's own token look-ups where those hold the window's tokens
        (`_sliced_windows`): no window text cleaned, split and looked up again. The other
        windows are made (`windows`) and looked up as texts."""
        model = self.model
        out = []
        owners, windows = [], []
        shortest = 2 * model.window_min_words - 1  # as in `windows`: most texts are shorter
        passes = self.window_passes() if isinstance(matrix, BlockRows) else None
        looked = [matrix.looked(p) for p in passes] if passes and matrix is not None else []
        own: list[int] = []  # the texts whose windows come from their token look-ups
        for row, text in enumerate(texts):
            if len(text) < shortest:
                continue
            if looked and all(found.cleaned[row] == text for found in looked):
                # its tokens are text.split()'s: has_words is their count
                starts = looked[0].starts
                if starts[row + 1] - starts[row] >= model.window_min_words:
                    own.append(row)
                continue
            found_windows = self.windows(text)
            owners.extend([row] * len(found_windows))
            windows.extend(found_windows)
        if own and model.window_sentences > 0:
            assert passes is not None
            at, parts, made = self._sliced_windows(texts, own, passes, looked)
            owners.extend(made[0])
            windows.extend(made[1])
            if len(at):
                # no texts: every block the heads read is counted from `parts` (`window_passes`)
                sliced = BlockRows(model.featurizer, [""] * len(at), parts)
                out.append((at, self.segment_probabilities(sliced)))
                featurizer = model.featurizer
                counted = {
                    featurizer.blocks[position].spec.name
                    for position, (token_pass, _) in featurizer.token_passes.items()
                    if token_pass in parts
                }
                if not sliced.computed() <= counted:
                    raise RuntimeError(f"window rows without texts read {set(sliced.computed())}")
        if windows:
            # the text blocks only: window pooling skips the place matching
            rows = BlockRows(model.featurizer, windows)
            out.append((np.asarray(owners), self.segment_probabilities(rows)))
        return out

    def _sliced_windows(
        self,
        texts: list[str],
        own: list[int],
        passes: tuple[TokenPass, ...],
        looked: list[Looked],
    ) -> tuple[np.ndarray, dict[TokenPass, Looked], tuple[list[int], list[str]]]:
        """The windows of texts `own` (texts that the passes' cleaning leaves as they are;
        `looked`: the passes' look-ups of `texts`): the owners of those counted from the
        look-ups, each pass's `Looked` of them, and (owners, texts) of the others, whose
        sentences do not end where tokens do or whose text a pass's cleaning changes."""
        size = self.model.window_sentences
        first_pass = looked[0]
        assert first_pass.code_points is not None and first_pass.token_starts is not None
        lengths = np.fromiter(map(len, first_pass.cleaned), np.int64, len(first_pass.cleaned))
        begins = np.zeros(len(lengths) + 1, dtype=np.int64)  # after r line breaks and texts
        np.cumsum(lengths + 1, out=begins[1:])
        owner, first, stop, piece, flags, piece_start, piece_end = kernels().window_spans(
            first_pass.code_points,
            begins[:-1],
            begins[:-1] + lengths,
            np.asarray(own, dtype=np.int64),
            first_pass.token_starts,
            first_pass.starts,
            whitespace(),
            size,
        )
        kinds = {_strip_kind(token_pass.strip) for token_pass in passes}
        check = flags & 1 if kinds <= {0} else flags if kinds <= {0, 1} else flags | 2
        made: tuple[list[int], list[str]] = ([], [])
        keep = np.ones(len(owner), dtype=bool)
        starts, ends = piece_start.tolist(), piece_end.tolist()
        for k in np.flatnonzero(check).tolist():
            row, at = int(owner[k]), int(piece[k])
            text = texts[row]
            window = " ".join([text[starts[j] : ends[j]] for j in range(at, at + size)])
            if flags[k] & 1 or any(p.strip(window) != window for p in passes):
                keep[k] = False
                made[0].append(row)
                made[1].append(window)
        owner, first, stop = owner[keep], first[keep], stop[keep]
        parts = {passes[0]: first_pass.slices(first, stop)}
        for token_pass, found in zip(passes[1:], looked[1:], strict=True):
            # the same tokens, numbered in that pass's look-up of the batch
            shift = found.starts[owner] - first_pass.starts[owner]
            parts[token_pass] = found.slices(first + shift, stop + shift)
        return owner, parts, made

    def incident_probabilities(self, matrix: Matrix, texts: list[str] | None = None) -> np.ndarray:
        """The reported P(label) per row: the gate product, max-pooled over the sentence
        windows of `texts` (the rows' texts, when given), then the implication rule."""
        probability = self.segment_probabilities(matrix)
        if texts is not None and self.model.window_sentences > 0:
            probability = np.maximum(probability, self.window_probabilities(texts, matrix))
        return parent_probability(self.implying, probability)

    def implied_by(self, probability: dict[str, float]) -> dict[str, str]:
        """Per label whose reported probability is another label's (the implication rule),
        that label, given each label's own probability before the rule."""
        out: dict[str, str] = {}
        for k, sources in self.implying.items():
            label = self.labels[k]
            best = max(sources, key=lambda s: probability[self.labels[s]])
            if probability[self.labels[best]] > probability[label]:
                out[label] = self.labels[best]
        return out

    def thresholds(self, threshold: float | None = None) -> np.ndarray:
        """The per-label cut: the tuned thresholds, or `threshold` for every label."""
        if threshold is None:
            return self.model.thresholds
        return np.full(len(self.labels), threshold)

    def assigned(self, incident: np.ndarray, cut: np.ndarray) -> list[dict[str, float]]:
        """Per row, the labels over their thresholds, highest probability first (ties: label
        order)."""
        order = np.argsort(-incident, axis=1, kind="stable")
        ranked = np.take_along_axis(incident, order, axis=1)
        over = (ranked >= cut[order]) & (ranked > 0.0)
        out: list[dict[str, float]] = [{} for _ in range(len(incident))]
        rows, positions = np.nonzero(over)
        labels = self.labels
        for row, label, probability in zip(
            rows.tolist(),
            order[rows, positions].tolist(),
            ranked[rows, positions].tolist(),
            strict=True,
        ):
            out[row][labels[label]] = probability
        return out

    # -- geography --------------------------------------------------------------------------

    def place_majority(self, matrix: Matrix) -> list[str | None]:
        """Per row, the country holding >= place_fallback_share of the place mentions; else
        of all the named evidence: the shares of place mentions plus the shares of demonyms
        ("Afghan") and of armed groups, one vote each. Places first: two demonyms of foreign
        missions must not outvote six US towns (models/full-style model, RAND country
        0.802 -> 0.806, region 0.899 -> 0.901, both crc32 halves alike; Wikipedia grouped dev
        country 0.841 -> 0.844, region 0.931 -> 0.933)."""
        share = self.model.place_fallback_share
        if self._places is None or self._place_map is None or share <= 0.0:
            return [None] * matrix.shape[0]
        start, width, name = self._places
        if isinstance(matrix, BlockRows):
            rows = matrix[name]
        else:
            rows = Rows.of(matrix).columns(start, start + width)
        only_places = self._only_places
        places = _majority(rows, only_places[1], len(only_places[0]), share)
        named = _majority(rows, self._place_map, len(self._place_codes), share)
        return np.where(
            places >= 0, self._only_place_names[places], self._place_names[named]
        ).tolist()

    def geography(
        self, region_p: np.ndarray, country_p: np.ndarray, places: list[str | None]
    ) -> list[Geography]:
        """The country/region rule per row. A country head at or over country_min_probability
        gives the country, and its region at the sum of that region's country probabilities;
        a named place (`places`) outvotes it when it is a different country and the head is
        under PLACES_OUTVOTE_BELOW, or when the head is unsure. Otherwise no country, and the
        region head's best region when it reaches region_min_probability and is above the
        head's no-evidence level (`above_no_evidence`: a base-rate guess says nothing)."""
        return list(zip(*self.geography_columns(region_p, country_p, places), strict=True))

    def geography_columns(
        self, region_p: np.ndarray, country_p: np.ndarray, places: list[str | None]
    ) -> tuple[list[str | None], list[float], list[str | None], list[float]]:
        """`geography` as four columns (region, its p, country, its p), filled by numpy
        per rule; only the rows that a named place decides go through Python one by one."""
        model = self.model
        n = len(region_p)
        classes = model.country.classes
        if country_p.shape[1]:
            best = country_p.argmax(axis=1)
            top = country_p[np.arange(n), best]
            confident = top >= model.country_min_probability
        else:
            best, top = np.zeros(n, dtype=int), np.zeros(n)
            confident = np.zeros(n, dtype=bool)
        # a named place outvotes a confident head under even odds when it names another country
        for row in np.flatnonzero(confident & (top < PLACES_OUTVOTE_BELOW)).tolist():
            place = places[row]
            if place is not None and classes[best[row]] != place:
                confident[row] = False
        region = np.full(n, None, dtype=object)
        region_prob = np.zeros(n)
        country = np.full(n, None, dtype=object)
        rows = np.flatnonzero(confident)
        if len(rows):
            own = self.membership.argmax(axis=1)[best[rows]]  # column of its region
            members = self.membership.T[own] > 0.0
            # (clipped: a sum of probabilities can pass 1 by a rounding error)
            region_prob[rows] = np.minimum(np.where(members, country_p[rows], 0.0).sum(axis=1), 1.0)
            region[rows] = self._region_names[own]
            country[rows] = self._country_codes[best[rows]]
        unsure = np.flatnonzero(~confident)
        if region_p.shape[1] and len(unsure):
            region_best = region_p[unsure].argmax(axis=1)
            p = region_p[unsure, region_best]
            evident = above_no_evidence(region_p[unsure], self.region_no_evidence)
            kept = (p >= model.region_min_probability) & evident
            region_prob[unsure] = p
            region[unsure] = self._region_classes[np.where(kept, region_best, -1)]
        out = region.tolist(), region_prob.tolist(), country.tolist(), top.tolist()
        for row in unsure.tolist():
            place = places[row]
            if place is not None:  # named places outvote an unsure (or under even odds) head
                where = self._place_geography(region_p[row], country_p[row], place)
                for column, value in zip(out, where, strict=True):
                    column[row] = value
        return out

    def _place_geography(
        self, region_p: np.ndarray, country_p: np.ndarray, place: str
    ) -> Geography:
        """The place's country and region, at the heads' probabilities for them (0 for a
        class the head does not have)."""
        column = self._country_column.get(place)
        probability = 0.0 if column is None else float(country_p[column])
        region = COUNTRIES[place].region
        column = self._region_column.get(region)
        region_prob = 0.0 if column is None else float(region_p[column])
        return region, region_prob, place, probability

    # -- the whole prediction ---------------------------------------------------------------

    def predictions(
        self, matrix: Matrix, texts: list[str] | None = None, threshold: float | None = None
    ) -> list[Prediction]:
        """Predictions for the rows of a feature matrix (`texts`, the rows' texts, enable
        window pooling); `threshold` replaces the tuned per-label thresholds."""
        model = self.model
        incident = self.incident_probabilities(matrix, texts)
        region_p = softmax(decision_scores(model.region, matrix))
        country_p = softmax(decision_scores(model.country, matrix))
        where = self.geography_columns(region_p, country_p, self.place_majority(matrix))
        assigned = self.assigned(incident, self.thresholds(threshold))
        probabilities = list(starmap(self._label_dict, incident.tolist()))
        return built_predictions(assigned, probabilities, *where)
