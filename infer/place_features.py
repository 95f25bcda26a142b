"""The place feature block: each text's share of place mentions per country and per region.

The matcher (`infer/places.py`) finds the mentions; this block turns them into the `country=`,
`region=`, `nationality=` and `group=` columns the geography heads read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from infer.csr import Rows
from infer.placepass import PlaceMatcher
from infer.places import BLOCKED, Gazetteer
from infer.taxonomy import COUNTRIES, REGIONS

if TYPE_CHECKING:
    import scipy.sparse as sp

PLACES_ANALYZER = "places"


@dataclass(frozen=True)
class PlaceSpec:
    """Description of the place block as stored in meta.json."""

    name: str = "places"
    weight: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description of the block."""
        return {"name": self.name, "analyzer": PLACES_ANALYZER, "weight": self.weight}


class PlaceBlock:
    """A feature block: each text's share of place mentions per country and per region.

    Columns are `country=XX` for every country the gazetteer knows, then `region=NAME`;
    a row's country columns sum to `weight` when the text names any place (regions too).
    A gazetteer with demonyms adds `nationality=XX` and `nationality_region=NAME` columns:
    the same shares over the demonyms named ("Afghan", "Nigerien"), kept apart from places;
    one with armed groups adds `group=XX` and `group_region=NAME` ("FARC", "Boko Haram").
    """

    def __init__(self, gazetteer: Gazetteer, weight: float = 1.0, name: str = "places") -> None:
        self.gazetteer = gazetteer
        self.spec = PlaceSpec(name, float(weight))
        codes = sorted(set(gazetteer.places.values()) - {BLOCKED})
        nationalities = sorted(set(gazetteer.demonyms.values()))
        groups = sorted(set(gazetteer.groups.values()))
        self.countries = tuple(codes)
        self.terms = tuple(f"country={c}" for c in codes) + tuple(f"region={r}" for r in REGIONS)
        if nationalities:
            self.terms += tuple(f"nationality={c}" for c in nationalities) + tuple(
                f"nationality_region={r}" for r in REGIONS
            )
        if groups:
            self.terms += tuple(f"group={c}" for c in groups) + tuple(
                f"group_region={r}" for r in REGIONS
            )
        self.idf = np.full(len(self.terms), float(weight))  # per-column scale, stored as data
        column = {t: i for i, t in enumerate(self.terms)}
        # (country column, region column) per code, for places, demonyms and groups
        self._columns = tuple(
            {
                c: (column[f"{prefix}={c}"], column[f"{prefix_r}={COUNTRIES[c].region}"])
                for c in group
            }
            for group, prefix, prefix_r in (
                (codes, "country", "region"),
                (nationalities, "nationality", "nationality_region"),
                (groups, "group", "group_region"),
            )
        )

    @classmethod
    def from_data(
        cls, spec: Mapping[str, Any], entry: Mapping[str, Any], idf: np.ndarray
    ) -> PlaceBlock:
        """Rebuild a stored block (meta.json spec, vocab.json entry, idf array), checked."""
        block = cls(Gazetteer.from_json(entry["gazetteer"]), float(spec["weight"]), spec["name"])
        if tuple(entry["terms"]) != block.terms or idf.shape != block.idf.shape:
            raise ValueError(f"block {spec['name']}: terms do not match its gazetteer")
        block.idf = idf
        return block

    def vocab_entry(self) -> dict[str, Any]:
        """The block's vocab.json entry: its terms and the gazetteer itself."""
        return {
            "name": self.spec.name,
            "terms": list(self.terms),
            "gazetteer": self.gazetteer.to_json(),
        }

    @property
    def size(self) -> int:
        """Number of columns."""
        return len(self.terms)

    @cached_property
    def matcher(self) -> PlaceMatcher:
        """The compiled matcher of this block's gazetteer (built on first use)."""
        return PlaceMatcher.from_gazetteer(self.gazetteer, self.terms)

    def rows(self, texts: Sequence[str]) -> Rows:
        """Rows of mention shares per country and per region, scaled by the column weights
        (the compiled matcher; equal to `reference_transform`)."""
        return self.matcher.rows(texts, self.idf, self.size)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """`rows` as a scipy CSR matrix (for training and the tests)."""
        return self.rows(texts).to_scipy()

    def reference_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """`transform` through `Gazetteer.mentions`, text by text (the plain reference)."""
        import scipy.sparse as sp

        indptr, indices, values = [0], [], []
        for text in texts:
            counts: tuple[Counter[str], ...] = (Counter(), Counter(), Counter())
            for mention in self.gazetteer.mentions(text):
                counts[2 if mention.group else int(mention.demonym)][mention.country] += 1
            for found, columns in zip(counts, self._columns, strict=True):
                total = sum(found.values())
                shares: Counter[int] = Counter()
                for code, n in found.items():
                    country, region = columns[code]
                    shares[country] += n / total
                    shares[region] += n / total
                indices.extend(shares)
                values.extend(shares.values())
            indptr.append(len(indices))
        columns = np.asarray(indices, dtype=np.int32)
        data = np.asarray(values, dtype=np.float64) * self.idf[columns]
        matrix = sp.csr_matrix((data, columns, np.asarray(indptr)), shape=(len(texts), self.size))
        matrix.sort_indices()
        return matrix
