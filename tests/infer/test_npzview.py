"""model.npz read once into one buffer: same arrays as np.load, hashed, refused when unusual."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import make_records, tiny_config, write_corpus

from infer.artifact import ModelError, load_artifact, sealed, sha256_file
from infer.npzview import ALIGN, read_npz
from infer.predictor import Predictor
from train.fit import train_model

ARRAYS = {
    "a.small": np.arange(3, dtype=np.int32),
    "b.odd": np.arange(7, dtype=np.uint8),
    "c.big": np.asfortranarray(np.random.default_rng(0).normal(size=(5, 1001))),
    "d.float32": np.linspace(0, 1, 13, dtype=np.float32),
    "e.scalar": np.array(2.5),
    "f.empty": np.zeros((0, 4)),
}


def test_arrays_equal_np_load_and_are_read_only_views(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, **ARRAYS)
    arrays, digest = read_npz(path)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    with np.load(path) as npz:
        assert sorted(arrays) == sorted(npz.files)
        for key in npz.files:
            assert arrays[key].dtype == npz[key].dtype
            assert np.array_equal(arrays[key], npz[key])
            assert arrays[key].flags.f_contiguous == npz[key].flags.f_contiguous
            assert not arrays[key].flags.writeable
    assert arrays["c.big"].ctypes.data % ALIGN == 0


def test_compressed_or_object_or_foreign_files_are_refused(tmp_path):
    compressed = tmp_path / "c.npz"
    np.savez_compressed(compressed, **ARRAYS)
    objects = tmp_path / "o.npz"
    np.savez(objects, x=np.array([{"a": 1}], dtype=object))
    foreign = tmp_path / "f.npz"
    foreign.write_bytes(b"not a zip at all")
    for path in (compressed, objects, foreign):
        with pytest.raises(ValueError):
            read_npz(path)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("npzview")
    corpus = write_corpus(base / "corpus.jsonl", make_records(6))
    return train_model(tiny_config(corpus, base / "models" / "m")).folder


def rehash(folder: Path, name: str) -> None:
    meta = json.loads((folder / "meta.json").read_text())
    meta["files"][name] = sha256_file(folder / name)
    (folder / "meta.json").write_text(json.dumps(sealed(meta)))


def test_a_compressed_model_npz_still_loads_through_np_load(folder, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(folder, copy)
    with np.load(copy / "model.npz") as npz:
        np.savez_compressed(copy / "model.npz", **{k: npz[k] for k in npz.files})
    rehash(copy, "model.npz")
    texts = ["A car bomb exploded near a Lagos market", "Rates rose in Lyon"]
    assert Predictor(load_artifact(copy)).predict(texts) == Predictor.load(folder).predict(texts)


def test_one_changed_byte_of_model_npz_is_refused_naming_it(folder, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(folder, copy)
    data = bytearray((copy / "model.npz").read_bytes())
    data[len(data) // 2] ^= 0x01
    (copy / "model.npz").write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"model\.npz: sha256 does not match"):
        load_artifact(copy)
