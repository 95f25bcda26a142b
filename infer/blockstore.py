"""Feature blocks as a model folder stores them: terms as UTF-8 lines and a place block's
gazetteer as compressed JSON in model.npz (parsed on first use); format 1's vocab.json."""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from infer.errors import ThreatTaggerError
from infer.features import BlockSpec, TfidfBlock, idf_key
from infer.place_features import PLACES_ANALYZER, PlaceBlock, PlaceSpec
from infer.placepass import PARTS, PlaceMatcher, gazetteer_key

VOCAB_FILE = "vocab.json"


def terms_key(position: int) -> str:
    """Name of a block's terms (UTF-8, one per line) inside model.npz."""
    return f"features.{position}.terms"


def entry_key(position: int) -> str:
    """Name of a place block's gazetteer entry (zlib-compressed JSON) inside model.npz."""
    return f"features.{position}.entry"


def encode_entry(entry: dict[str, Any]) -> np.ndarray:
    """A JSON-ready entry as one uint8 array of zlib-compressed compact JSON."""
    text = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return np.frombuffer(zlib.compress(text.encode("utf-8"), 6), dtype=np.uint8)


def decode_entry(data: np.ndarray) -> dict[str, Any]:
    """Inverse of `encode_entry`."""
    try:
        return json.loads(zlib.decompress(data.tobytes()).decode("utf-8"))
    except zlib.error as exc:
        raise ValueError(f"not a compressed entry ({exc})") from None


def encode_terms(terms: tuple[str, ...]) -> np.ndarray:
    """Terms as one uint8 array of UTF-8 lines (no term holds a line break: n-grams are
    split on whitespace)."""
    if any("\n" in term for term in terms):
        raise ValueError("a term holds a line break; it cannot be stored one per line")
    return np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)


def decode_terms(data: np.ndarray, count: int) -> tuple[str, ...]:
    """Inverse of `encode_terms` (count: the number of terms, 0 for an empty block)."""
    terms = tuple(data.tobytes().decode("utf-8").split("\n")) if count else ()
    if len(terms) != count:
        raise ThreatTaggerError(f"model.npz: {len(terms)} stored terms for {count} columns")
    return terms


class StoredTerms(Sequence[str]):
    """A block's terms, decoded from model.npz on first use (the n-gram index is built then
    too): loading a model only needs their number."""

    def __init__(self, data: np.ndarray, count: int) -> None:
        self._data, self._count = data, count
        self._lock = threading.Lock()
        self._terms: tuple[str, ...] | None = None

    def _decoded(self) -> tuple[str, ...]:
        """The terms as a tuple (decoded once)."""
        if self._terms is None:
            with self._lock:
                if self._terms is None:
                    self._terms = decode_terms(self._data, self._count)
        return self._terms

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):  # type: ignore[no-untyped-def]  # int or slice, like tuple
        return self._decoded()[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())


class StoredPlaceBlock(PlaceBlock):
    """A place block whose gazetteer (hashed at load with its file) is parsed on first use:
    what needs no gazetteer (spec, terms, weights, countries) is set at once."""

    def __init__(
        self,
        spec: dict[str, Any],
        terms: tuple[str, ...],
        idf: np.ndarray,
        entry: Callable[[], dict[str, Any]],
        gazetteer_arrays: dict[str, np.ndarray] | None = None,
    ) -> None:  # no super(): lazy on purpose
        self.spec = PlaceSpec(spec["name"], float(spec["weight"]))
        self.terms, self.idf, self._stored = terms, idf, (spec, entry)
        self._gazetteer_arrays = gazetteer_arrays
        self.countries = tuple(
            t.removeprefix("country=") for t in terms if t.startswith("country=")
        )
        self._lock = threading.Lock()

    @cached_property
    def matcher(self) -> PlaceMatcher:
        """The compiled matcher, from the gazetteer's arrays when the folder has them (no
        JSON parsed), else from the parsed gazetteer."""
        if self._gazetteer_arrays is None:
            return PlaceMatcher.from_gazetteer(self.gazetteer, self.terms)
        try:
            return PlaceMatcher(self._gazetteer_arrays, self.terms)
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            raise ThreatTaggerError(
                f"malformed gazetteer arrays of block {self.spec.name} "
                f"({type(exc).__name__}: {exc})"
            ) from None

    def __getattr__(self, name: str) -> Any:
        """Any other attribute: parse the gazetteer and build the block first."""
        if name.startswith("__") or name in ("_stored", "_lock", "_gazetteer_arrays"):
            raise AttributeError(name)
        with self._lock:
            if "gazetteer" not in self.__dict__:
                spec, entry = self._stored
                try:
                    built = PlaceBlock.from_data(
                        spec, {**entry(), "terms": list(self.terms)}, self.idf
                    )
                except (ValueError, KeyError, TypeError) as exc:
                    raise ThreatTaggerError(
                        f"malformed gazetteer of block {self.spec.name} "
                        f"({type(exc).__name__}: {exc})"
                    ) from None
                self.__dict__.update({k: v for k, v in vars(built).items() if k != "_lock"})
        return object.__getattribute__(self, name)


def blocks_v1(
    features: list[dict[str, Any]], vocab: dict[str, Any], arrays: dict[str, np.ndarray]
) -> list[TfidfBlock | PlaceBlock]:
    """Format 1: every block's terms (and gazetteer) in the parsed vocab.json."""
    blocks: list[TfidfBlock | PlaceBlock] = []
    for i, (spec, entry) in enumerate(zip(features, vocab["blocks"], strict=True)):
        idf = arrays[idf_key(i)]
        if spec.get("analyzer") == PLACES_ANALYZER:
            blocks.append(PlaceBlock.from_data(spec, entry, idf))
        else:
            blocks.append(TfidfBlock(BlockSpec.from_dict(spec), tuple(entry["terms"]), idf))
    return blocks


def blocks_v2(
    features: list[dict[str, Any]], vocab: bytes, arrays: dict[str, np.ndarray]
) -> list[TfidfBlock | PlaceBlock]:
    """Format 2: terms and gazetteers from model.npz, a gazetteer decoded on first use of its
    block (folders written before it moved there: from vocab.json's bytes, already hashed)."""
    parsed: list[dict[str, Any]] = []
    lock = threading.Lock()

    def entry(i: int) -> dict[str, Any]:
        if entry_key(i) in arrays:
            return decode_entry(arrays[entry_key(i)])
        with lock:
            if not parsed:
                parsed.append(json.loads(vocab.decode("utf-8")))
        return parsed[0]["blocks"][i]

    blocks: list[TfidfBlock | PlaceBlock] = []
    for i, spec in enumerate(features):
        idf = arrays[idf_key(i)]
        terms = StoredTerms(arrays[terms_key(i)], len(idf))
        if spec.get("analyzer") == PLACES_ANALYZER:
            parts = {part: arrays.get(gazetteer_key(i, part)) for part in PARTS}
            stored = None if any(a is None for a in parts.values()) else parts
            blocks.append(
                StoredPlaceBlock(spec, tuple(terms), idf, lambda i=i: entry(i), stored)  # type: ignore[arg-type]
            )
        else:
            blocks.append(TfidfBlock(BlockSpec.from_dict(spec), terms, idf))
    return blocks
