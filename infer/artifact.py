"""The data-only model folder: arrays, terms and gazetteers in model.npz, block names in
vocab.json, the rest in meta.json.

Loading verifies every file's sha256 against meta.json, refuses a model written by another
scikit-learn major.minor, and never unpickles (np.load(allow_pickle=False), json). Format 2
stores float32 coefficients over the columns each head reads (format 1: float64 over every
column, terms in vocab.json; still loaded); the gazetteer is parsed on first use.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from infer.blockstore import (
    VOCAB_FILE,
    blocks_v1,
    blocks_v2,
    encode_entry,
    encode_terms,
    entry_key,
    terms_key,
)
from infer.errors import ThreatTaggerError
from infer.features import Featurizer, TfidfBlock, idf_key
from infer.linear import Head, HeadInput
from infer.npzview import read_npz
from infer.places import PlaceBlock

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
HEADS = ("incident", "region", "country", "gate")
MODEL_FILE = "model.npz"
META_FILE = "meta.json"
REQUIRED_FILES = (MODEL_FILE, VOCAB_FILE)
HOW_TO_TRAIN = "train one with `make train` or `threat-tagger train --config <file.toml>`"


class ModelError(ThreatTaggerError):
    """A model folder is missing, tampered with, foreign or malformed."""


__all__ = ["Head", "HeadInput", "ModelData", "ModelError", "load_artifact"]


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
        for name, head in self.heads().items():
            # Fortran order: coef.T, the (features, classes) matrix scipy multiplies by, is then
            # C-contiguous as loaded, so scoring never copies the coefficients.
            out[f"{name}.coef"] = np.asfortranarray(head.coef, dtype=np.float32)
            out[f"{name}.intercept"] = head.intercept
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

        blocks = [dataclasses.replace(b, idf=rounded(b.idf)) if isinstance(b, TfidfBlock) else b
                  for b in self.featurizer.blocks]
        changes: dict[str, Any] = {
            name: dataclasses.replace(head, coef=np.asfortranarray(rounded(head.coef)))
            for name, head in self.heads().items()}
        return dataclasses.replace(self, featurizer=Featurizer(blocks), **changes)

    def structure(self) -> dict[str, Any]:
        """The meta.json entries needed to rebuild the model from the arrays."""
        return {
            "format_version": FORMAT_VERSION,
            "features": self.featurizer.specs(),
            "labels": list(self.incident.classes),
            "thresholds": {label: float(t) for label, t in
                           zip(self.incident.classes, self.thresholds, strict=True)},
            "regions": list(self.region.classes),
            "countries": list(self.country.classes),
            "country_regions": dict(zip(self.country.classes, self.country_regions, strict=True)),
            "heads": {name: [{"block": i.block, "start": i.start, "stop": i.stop,
                              "subset": i.columns is not None} for i in head.inputs]
                      for name, head in self.heads().items()},
            **({} if self.gate is None else
               {"gate": {"classes": list(self.gate.classes), "text": GATE_RULE}}),
            "pooling": {"window_sentences": self.window_sentences,
                        "window_min_words": self.window_min_words, "text": POOLING_RULE},
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
    "the region head's top class (None if its probability < region_min_probability). "
    "Region and country therefore never disagree. When place_fallback_share > 0 and the "
    "country head is not confident, a country that holds at least that share of the text's "
    "place-name mentions (gazetteer block) is reported instead, with its region."
)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _major_minor(version: str) -> str:
    """'1.5.2' -> '1.5'."""
    return ".".join(version.split(".")[:2])


def _check_versions(folder: Path, meta: dict[str, Any]) -> None:
    """Refuse a model trained with another scikit-learn major.minor than the installed one."""
    trained = (meta.get("versions") or {}).get("scikit-learn")
    try:
        installed = metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        return  # a runtime-only install: nothing to compare with
    if trained is None or _major_minor(trained) != _major_minor(installed):
        raise ModelError(
            f"{folder}: model written with scikit-learn {trained}, but {installed} is installed "
            f"(major.minor must match); retrain it: {HOW_TO_TRAIN}"
        )


def _read_meta(folder: Path) -> dict[str, Any]:
    """meta.json as a dict, with errors naming the file."""
    if not folder.is_dir():
        raise ModelError(f"no model folder at {folder}; {HOW_TO_TRAIN}")
    path = folder / META_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing; not a model folder ({HOW_TO_TRAIN})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format_version") not in READABLE_VERSIONS:
        found = meta.get("format_version") if isinstance(meta, dict) else None
        raise ModelError(f"{path}: unsupported model format {found!r} (this version reads "
                         f"{', '.join(map(str, READABLE_VERSIONS))}); {HOW_TO_TRAIN}")
    return meta


def verify_files(folder: Path, meta: dict[str, Any], *, skip: tuple[str, ...] = ()) -> None:
    """Check every file listed in meta.json against its sha256 (and that none is missing);
    the files in `skip` only for presence (the loader hashes the bytes it reads)."""
    files = meta.get("files")
    if not isinstance(files, dict) or any(name not in files for name in REQUIRED_FILES):
        raise ModelError(f"{folder / META_FILE}: 'files' must list {', '.join(REQUIRED_FILES)}")
    for name in sorted(files):
        path = folder / name
        if Path(name).name != name or not path.is_file():
            raise ModelError(f"{path}: listed in meta.json but missing")
    for name, expected in sorted(files.items()):
        if name not in skip:
            _check_hash(folder / name, sha256_file(folder / name), expected)


def _check_hash(path: Path, actual: str, expected: str) -> None:
    """Refuse a file whose sha256 is not the one meta.json lists."""
    if actual != expected:
        raise ModelError(f"{path}: sha256 does not match meta.json; the folder was modified "
                         f"after training, refusing to load it")


def _verified_arrays(folder: Path, meta: dict[str, Any]) -> dict[str, np.ndarray]:
    """model.npz's arrays (read once, hashed, viewed without copies; np.load if unusual)."""
    path = folder / MODEL_FILE
    try:
        arrays, digest = read_npz(path)
    except (ValueError, OSError):  # not a plain stored .npz: the checks of the plain path
        _check_hash(path, sha256_file(path), meta["files"][MODEL_FILE])
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        for array in arrays.values():
            array.setflags(write=False)
        return arrays
    _check_hash(path, digest, meta["files"][MODEL_FILE])
    return arrays


def _verified_bytes(folder: Path, name: str, meta: dict[str, Any]) -> bytes:
    """A file of the folder, hashed from the bytes returned."""
    path = folder / name
    data = path.read_bytes()
    _check_hash(path, hashlib.sha256(data).hexdigest(), meta["files"][name])
    return data


def _verified_json(folder: Path, name: str, meta: dict[str, Any]) -> Any:
    """A JSON file of the folder, hashed from the same bytes it is parsed from."""
    return json.loads(_verified_bytes(folder, name, meta).decode("utf-8"))


def _head(arrays: dict[str, np.ndarray], name: str, classes: list[str],
          layout: list[dict[str, Any]] | None = None) -> Head:
    """Rebuild one head, checking shapes."""
    coef, intercept = arrays[f"{name}.coef"], arrays[f"{name}.intercept"]
    if coef.ndim != 2 or coef.shape[0] != len(classes) or intercept.shape != (len(classes),):
        raise ModelError(f"{MODEL_FILE}: {name} head has shape {coef.shape}, "
                         f"expected {len(classes)} rows")
    if not coef.flags.f_contiguous:  # a model written before the Fortran-order layout
        coef = np.asfortranarray(coef)
        coef.setflags(write=False)
    inputs = tuple(HeadInput(str(item["block"]), int(item["start"]), int(item["stop"]),
                             arrays[f"{name}.columns.{item['block']}"] if item["subset"] else None)
                   for item in layout or ())
    if inputs and sum(i.width for i in inputs) != coef.shape[1]:
        raise ModelError(f"{MODEL_FILE}: {name} head has {coef.shape[1]} columns, its inputs "
                         f"{sum(i.width for i in inputs)}")
    return Head(tuple(classes), coef, intercept, inputs)


def load_artifact(folder: str | Path) -> ModelData:
    """Load and verify a model folder (no pickle anywhere)."""
    folder = Path(folder)
    meta = _read_meta(folder)
    verify_files(folder, meta, skip=REQUIRED_FILES)
    try:
        arrays = _verified_arrays(folder, meta)
        _check_versions(folder, meta)
        version = meta["format_version"]
        if version == 1:
            blocks = blocks_v1(meta["features"], _verified_json(folder, VOCAB_FILE, meta), arrays)
        else:
            blocks = blocks_v2(meta["features"], _verified_bytes(folder, VOCAB_FILE, meta), arrays)
        layout = meta.get("heads", {})
        model = ModelData(
            featurizer=Featurizer(blocks),
            incident=_head(arrays, "incident", meta["labels"], layout.get("incident")),
            thresholds=arrays["incident.thresholds"],
            region=_head(arrays, "region", meta["regions"], layout.get("region")),
            country=_head(arrays, "country", meta["countries"], layout.get("country")),
            country_regions=tuple(meta["country_regions"][c] for c in meta["countries"]),
            country_min_probability=float(meta["consistency_rule"]["country_min_probability"]),
            region_min_probability=float(meta["consistency_rule"]["region_min_probability"]),
            meta=meta,
            window_sentences=int(meta.get("pooling", {}).get("window_sentences", 0)),
            window_min_words=int(meta.get("pooling", {}).get("window_min_words", 0)),
            place_fallback_share=float(meta["consistency_rule"].get("place_fallback_share", 0)),
            gate=_head(arrays, "gate", meta["gate"]["classes"], layout.get("gate"))
            if "gate" in meta else None,
        )
    except ModelError:
        raise
    except (ValueError, KeyError, TypeError, OSError, json.JSONDecodeError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
        raise ModelError(f"{folder}: malformed model folder ({problem})") from None
    _check_inputs(folder, model)
    return model


def _check_inputs(folder: Path, model: ModelData) -> None:
    """Every head reads existing blocks at their own columns (all columns when unlisted)."""
    featurizer = model.featurizer
    where = {b.spec.name: (start, start + b.size) for b, start in
             zip(featurizer.blocks, featurizer.offsets, strict=False)}
    for name, head in model.heads().items():
        ok = all(where.get(i.block) == (i.start, i.stop) and (
            i.columns is None or bool(np.all((i.columns >= 0) & (i.columns < i.stop - i.start))))
            for i in head.inputs)
        if not ok or (not head.inputs and head.coef.shape[1] != featurizer.n_features):
            raise ModelError(f"{folder / MODEL_FILE}: {name} head does not match the features")
