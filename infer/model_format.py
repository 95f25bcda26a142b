"""The model folder's format: what model.npz, vocab.json and meta.json hold, and which files
the integrity check covers. Loading and checking a folder is infer/artifact.py.

meta.json lists the sha256 of every file that changes what the model says (all but the model
card README.md and the plots) and, from format 3, the sha256 of its own content (`meta_sha256`,
over the canonical JSON of everything else in it), so a hand edit of meta.json is refused too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from infer.blockstore import VOCAB_FILE, encode_entry, encode_terms, entry_key, terms_key
from infer.features import Featurizer, TfidfBlock, idf_key
from infer.linear import Head, HeadInput, share_products
from infer.place_features import PlaceBlock
from infer.placepass import gazetteer_arrays, gazetteer_key

FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
SEALED_SINCE = 3  # the first format whose meta.json carries its own sha256
HEADS = ("incident", "region", "country", "gate")
MODEL_FILE = "model.npz"
META_FILE = "meta.json"
REQUIRED_FILES = (MODEL_FILE, VOCAB_FILE)
META_DIGEST = "meta_sha256"
MODEL_CARD = "README.md"
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
MAX_NGRAM = 10  # longest n-gram a model may ask for (each adds a pass over every text)

__all__ = [
    "FORMAT_VERSION",
    "META_FILE",
    "MODEL_FILE",
    "VOCAB_FILE",
    "Head",
    "HeadInput",
    "ModelData",
    "covered",
    "meta_digest",
    "sealed",
]


def covered(name: str) -> bool:
    """Whether the integrity check covers a file of the folder (all but the human-facing model
    card and plots, which may be edited)."""
    return name != MODEL_CARD and not name.lower().endswith(PLOT_SUFFIXES)


def meta_digest(meta: dict[str, Any]) -> str:
    """sha256 of meta.json's content (canonical JSON, its own digest left out)."""
    content = {key: value for key, value in meta.items() if key != META_DIGEST}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def sealed(meta: dict[str, Any]) -> dict[str, Any]:
    """`meta` with its own sha256 added (done last, after `files` is filled in)."""
    return {**meta, META_DIGEST: meta_digest(meta)}


@dataclass(frozen=True)
class ModelData:
    """Everything the predictor needs, as plain arrays (read-only once built)."""

    featurizer: Featurizer
    incident: Head
    thresholds: np.ndarray
    region: Head
    country: Head
    country_regions: tuple[str, ...]
    country_min_probability: float
    region_min_probability: float
    meta: dict[str, Any]
    window_sentences: int = 0
    window_min_words: int = 0
    place_fallback_share: float = 0.0
    gate: Head | None = None  # the attack gate (one class); None in models without one

    def __post_init__(self) -> None:
        """Link the heads that read the same columns to one product a batch
        (`infer.linear.share_products`: the region and country heads, the incident heads and
        the gate)."""
        for name, head in share_products(self.heads()).items():
            object.__setattr__(self, name, head)

    def heads(self) -> dict[str, Head]:
        """The model's heads by name (the optional ones only when present)."""
        return {name: head for name in HEADS if (head := getattr(self, name, None)) is not None}

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays stored in model.npz: float32 weights, terms as UTF-8 lines."""
        out = {}
        for i, block in enumerate(self.featurizer.blocks):
            out[idf_key(i)] = np.asarray(block.idf, dtype=np.float32)
            out[terms_key(i)] = encode_terms(block.terms)
            if isinstance(block, PlaceBlock):
                out[entry_key(i)] = encode_entry(block.vocab_entry())
                for part, array in gazetteer_arrays(block.gazetteer).items():
                    out[gazetteer_key(i, part)] = array
        for name, head in self.heads().items():
            # Fortran order: coef.T, the (features, classes) matrix scipy multiplies by, is then
            # C-contiguous as loaded, so scoring never copies the coefficients.
            out[f"{name}.coef"] = np.asfortranarray(head.coef, dtype=np.float32)
            out[f"{name}.intercept"] = head.intercept
            if head.mix is not None:
                out[f"{name}.mix"] = np.ascontiguousarray(head.mix, dtype=np.float32)
            for item in head.inputs:
                if item.columns is not None:
                    out[f"{name}.columns.{item.block}"] = np.asarray(item.columns, np.int32)
        out["incident.thresholds"] = self.thresholds
        return out

    def vocab(self) -> dict[str, Any]:
        """The content of vocab.json: the block names (format 2 keeps terms and gazetteers in
        model.npz, compressed and hashed with the weights)."""
        return {"blocks": [{"name": b.spec.name} for b in self.featurizer.blocks]}

    def as_stored(self) -> ModelData:
        """This model with its weights rounded to what model.npz keeps (float32), so that a
        model in memory scores exactly like the folder written from it."""

        def rounded(array: np.ndarray) -> np.ndarray:
            return np.asarray(array, dtype=np.float32).astype(np.float64)

        blocks = [
            dataclasses.replace(b, idf=rounded(b.idf)) if isinstance(b, TfidfBlock) else b
            for b in self.featurizer.blocks
        ]
        changes: dict[str, Any] = {
            name: dataclasses.replace(
                head,
                coef=np.asfortranarray(rounded(head.coef)),
                mix=None if head.mix is None else np.ascontiguousarray(rounded(head.mix)),
            )
            for name, head in self.heads().items()
        }
        return dataclasses.replace(self, featurizer=Featurizer(blocks), **changes)

    def structure(self) -> dict[str, Any]:
        """The meta.json entries needed to rebuild the model from the arrays."""
        return {
            "format_version": FORMAT_VERSION,
            "features": self.featurizer.specs(),
            "labels": list(self.incident.classes),
            "thresholds": {
                label: float(t)
                for label, t in zip(self.incident.classes, self.thresholds, strict=True)
            },
            "regions": list(self.region.classes),
            "countries": list(self.country.classes),
            "country_regions": dict(zip(self.country.classes, self.country_regions, strict=True)),
            "heads": {
                name: [
                    {
                        "block": i.block,
                        "start": i.start,
                        "stop": i.stop,
                        "subset": i.columns is not None,
                    }
                    for i in head.inputs
                ]
                for name, head in self.heads().items()
            },
            **(
                {}
                if self.gate is None
                else {"gate": {"classes": list(self.gate.classes), "text": GATE_RULE}}
            ),
            "pooling": {
                "window_sentences": self.window_sentences,
                "window_min_words": self.window_min_words,
                "text": POOLING_RULE,
            },
            "consistency_rule": {
                "country_min_probability": self.country_min_probability,
                "region_min_probability": self.region_min_probability,
                "place_fallback_share": self.place_fallback_share,
                "text": CONSISTENCY_RULE,
            },
        }


POOLING_RULE = (
    "When window_sentences > 0, a text of at least window_min_words words is also scored in "
    "windows of window_sentences consecutive sentences; each incident probability is the "
    "maximum of the whole-text probability and the best window's, so that one paragraph about "
    "an attack in a long story is not diluted by the rest."
)
GATE_RULE = (
    "P(label) = P(attack) * P(label | attack): the gate head gives the probability that the "
    "text reports any attack, each incident head the probability of its type among attacks "
    "(fitted on attack records only). Window pooling takes the maximum of the product."
)
CONSISTENCY_RULE = (
    "If the country head's top probability >= country_min_probability, that country is "
    "reported and region = the country's GTD region; otherwise country = None and region = "
    "the region head's top class (None if its probability < region_min_probability, or if it "
    "is at the head's no-evidence level: not above every probability the head gives a text "
    "with no features, or under twice that class's no-evidence odds). "
    "Region and country therefore never disagree. When place_fallback_share > 0 and the "
    "country head is not confident, a country that holds at least that share of the text's "
    "place-name mentions (gazetteer block) is reported instead, with its region."
)
