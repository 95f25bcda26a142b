"""Load and check a model folder (its format: infer/model_format.py).

Loading refuses, in one line naming the file and the reason: a model format this version of
threat-tagger does not read, a folder whose meta.json content or any covered file does not
match its sha256, and anything malformed (wrong types, unknown labels, regions or countries, a
country in another region than the taxonomy's, probabilities outside [0, 1], n-grams longer
than MAX_NGRAM, thresholds that differ from model.npz's). It never unpickles
(np.load(allow_pickle=False), json). Format 2+ stores float32 coefficients over the columns
each head reads (format 1: float64 over every column, terms in vocab.json; still loaded).
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from infer.blockstore import VOCAB_FILE, blocks_v1, blocks_v2
from infer.errors import ThreatTaggerError
from infer.features import Featurizer
from infer.model_checks import ModelError, check_meta, check_thresholds
from infer.model_format import (
    CONSISTENCY_RULE,
    FORMAT_VERSION,
    GATE_RULE,
    HEADS,
    META_DIGEST,
    META_FILE,
    MODEL_FILE,
    POOLING_RULE,
    READABLE_VERSIONS,
    REQUIRED_FILES,
    SEALED_SINCE,
    Head,
    HeadInput,
    ModelData,
    covered,
    meta_digest,
    sealed,
)
from infer.npzview import read_npz

HOW_TO_TRAIN = "train one with `make train` or `threat-tagger train --config <file.toml>`"
# The make target that trains each shipped model folder (models/<name>).
MAKE_TARGETS = {"default": "make train", "full": "make train-full", "fast": "make train-fast"}


def how_to_train(folder: Path) -> str:
    """What to run to get this model folder: its make target when it is a shipped one."""
    target = MAKE_TARGETS.get(folder.name)
    if target is None:
        return HOW_TO_TRAIN
    return f"train it with `{target}`"


__all__ = [
    "CONSISTENCY_RULE",
    "FORMAT_VERSION",
    "GATE_RULE",
    "HEADS",
    "META_FILE",
    "MODEL_FILE",
    "POOLING_RULE",
    "VOCAB_FILE",
    "Head",
    "HeadInput",
    "ModelData",
    "ModelError",
    "covered",
    "load_artifact",
    "sealed",
    "sha256_file",
    "verify_files",
]


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def own_version() -> str:
    """This threat-tagger's version (what the format gate names), 'unknown' when the code
    runs from a folder that was never installed."""
    try:
        return metadata.version("threat-tagger")
    except metadata.PackageNotFoundError:
        return "unknown"


def _read_meta(folder: Path) -> dict[str, Any]:
    """meta.json as a dict of a readable format, with errors naming the file."""
    if not folder.is_dir():
        raise ModelError(f"no model folder at {folder}; {how_to_train(folder)}")
    path = folder / META_FILE
    try:
        meta = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing; not a model folder ({HOW_TO_TRAIN})") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8, or nested too deeply
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise ModelError(f"{path}: not valid JSON ({reason})") from None
    version = meta.get("format_version") if isinstance(meta, dict) else None
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise ModelError(
            f"{path}: unsupported model format {version!r} (threat-tagger {own_version()} "
            f"reads formats {', '.join(map(str, READABLE_VERSIONS))}); {HOW_TO_TRAIN}"
        )
    if version >= SEALED_SINCE and meta.get(META_DIGEST) != meta_digest(meta):
        raise ModelError(
            f"{path}: its content does not match its sha256 ({META_DIGEST}); "
            f"meta.json was modified after training, refusing to load it"
        )
    return meta


def verify_files(folder: Path, meta: dict[str, Any], *, skip: tuple[str, ...] = ()) -> None:
    """Check every covered file listed in meta.json against its sha256 (and that none is
    missing); the files in `skip` only for presence (the loader hashes the bytes it reads).
    The model card and plots may be edited or removed."""
    files = meta.get("files")
    if not isinstance(files, dict) or any(name not in files for name in REQUIRED_FILES):
        raise ModelError(f"{folder / META_FILE}: 'files' must list {', '.join(REQUIRED_FILES)}")
    listed = sorted(name for name in files if covered(name))
    for name in listed:
        path = folder / name
        if Path(name).name != name or not path.is_file():
            raise ModelError(f"{path}: listed in meta.json but missing")
    for name in listed:
        if name not in skip:
            _check_hash(folder / name, sha256_file(folder / name), files[name])


def _check_hash(path: Path, actual: str, expected: str) -> None:
    """Refuse a file whose sha256 is not the one meta.json lists."""
    if actual != expected:
        raise ModelError(
            f"{path}: sha256 does not match meta.json; the folder was modified "
            f"after training, refusing to load it"
        )


def _verified_arrays(folder: Path, meta: dict[str, Any]) -> dict[str, np.ndarray]:
    """model.npz's arrays (read once, hashed, viewed without copies; np.load if unusual)."""
    path = folder / MODEL_FILE
    try:
        arrays, digest = read_npz(path)
    except (ValueError, OSError):  # not a plain stored .npz: the checks of the plain path
        return _loaded_arrays(path, meta)
    _check_hash(path, digest, meta["files"][MODEL_FILE])
    return arrays


def _loaded_arrays(path: Path, meta: dict[str, Any]) -> dict[str, np.ndarray]:
    """model.npz read by np.load (compressed members, say), hashed first, never unpickled."""
    _check_hash(path, sha256_file(path), meta["files"][MODEL_FILE])
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    for key, array in arrays.items():
        if not isinstance(array, np.ndarray):  # np.load gives raw bytes for a non-.npy
            raise ModelError(f"{path}: member {key!r} is not a numeric array; refusing to load it")
        array.setflags(write=False)
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


def _head(
    arrays: dict[str, np.ndarray],
    name: str,
    classes: list[str],
    layout: list[dict[str, Any]] | None = None,
) -> Head:
    """Rebuild one head, checking shapes."""
    coef, intercept = arrays[f"{name}.coef"], arrays[f"{name}.intercept"]
    mix = arrays.get(f"{name}.mix")  # a factorised head: coef holds its latent rows
    rows = len(classes) if mix is None else mix.shape[0]
    if coef.ndim != 2 or coef.shape[0] != rows or intercept.shape != (len(classes),):
        raise ModelError(f"{MODEL_FILE}: {name} head has shape {coef.shape}, expected {rows} rows")
    if mix is not None and (mix.ndim != 2 or mix.shape[1] != len(classes)):
        raise ModelError(
            f"{MODEL_FILE}: {name} head's mix has shape {mix.shape}, expected "
            f"{len(classes)} columns"
        )
    if mix is not None and not mix.flags.c_contiguous:
        mix = np.ascontiguousarray(mix)
        mix.setflags(write=False)
    if not coef.flags.f_contiguous:  # a model written before the Fortran-order layout
        coef = np.asfortranarray(coef)
        coef.setflags(write=False)
    inputs = tuple(
        HeadInput(
            str(item["block"]),
            int(item["start"]),
            int(item["stop"]),
            arrays[f"{name}.columns.{item['block']}"] if item["subset"] else None,
        )
        for item in layout or ()
    )
    if inputs and sum(i.width for i in inputs) != coef.shape[1]:
        raise ModelError(
            f"{MODEL_FILE}: {name} head has {coef.shape[1]} columns, its inputs "
            f"{sum(i.width for i in inputs)}"
        )
    return Head(tuple(classes), coef, intercept, inputs, mix)


def load_artifact(folder: str | Path) -> ModelData:
    """Load and verify a model folder (no pickle anywhere)."""
    folder = Path(folder)
    meta = _read_meta(folder)
    check_meta(folder / META_FILE, meta)
    verify_files(folder, meta, skip=REQUIRED_FILES)
    try:
        arrays = _verified_arrays(folder, meta)
        check_thresholds(folder / META_FILE, meta, arrays["incident.thresholds"])
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
            if "gate" in meta
            else None,
        )
    except ModelError:
        raise
    except (ThreatTaggerError, Exception) as exc:  # whatever a damaged folder makes fail
        problem = f"{type(exc).__name__}: {exc}"
        raise ModelError(f"{folder}: malformed model folder ({problem})") from None
    _check_inputs(folder, model)
    return model


def _check_inputs(folder: Path, model: ModelData) -> None:
    """Every head reads existing blocks at their own columns (all columns when unlisted)."""
    featurizer = model.featurizer
    where = {
        b.spec.name: (start, start + b.size)
        for b, start in zip(featurizer.blocks, featurizer.offsets, strict=False)
    }
    for name, head in model.heads().items():
        ok = all(
            where.get(i.block) == (i.start, i.stop)
            and (
                i.columns is None or bool(np.all((i.columns >= 0) & (i.columns < i.stop - i.start)))
            )
            for i in head.inputs
        )
        if not ok or (not head.inputs and head.coef.shape[1] != featurizer.n_features):
            raise ModelError(f"{folder / MODEL_FILE}: {name} head does not match the features")
