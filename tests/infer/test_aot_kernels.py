"""The kernels compiled ahead of time (`infer.warm.build_ahead`, loaded by `infer.kernels`) are
the JIT kernels bit for bit, refuse arguments their signatures do not take, are not used when
they do not match this install, and spare scoring the numba import."""

from __future__ import annotations

import csv
import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infer import Predictor, kernels
from infer.warm import build_ahead, entry_points

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo"


@pytest.fixture(scope="module")
def aot_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the compiled module and its manifest, built for this test module."""
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler on PATH: numba's pycc cannot link the module")
    folder = tmp_path_factory.mktemp("aot")
    built = build_ahead(folder)
    assert built.path.is_file() and built.functions == len(entry_points())
    return folder


def _jit() -> dict[str, Any]:
    return {name: importlib.import_module(f"infer.{name}") for name in kernels.MODULES}


def _hex(predictions: list[Any]) -> list[str]:
    """Every number of every prediction, exactly (hex floats), with the tags and places."""
    return [
        json.dumps(
            [
                [(label, p.hex()) for label, p in pr.probabilities.items()],
                list(pr.incident_types),
                pr.region,
                float(pr.region_probability).hex(),
                pr.country,
                float(pr.country_probability).hex(),
            ]
        )
        for pr in predictions
    ]


def _predict_with(
    monkeypatch: pytest.MonkeyPatch, modules: dict[str, Any], model: Path, texts: list[str]
) -> list[str]:
    """Predictions by a fresh Predictor whose kernels are `modules`."""
    monkeypatch.setattr(kernels, "modules", lambda: modules)
    return _hex(Predictor.load(model).predict(texts))


def _demo_texts() -> list[str]:
    texts = [
        json.loads(line)["text"]
        for path in sorted(DEMO.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    round_up = " ".join(texts[:60])  # long: scored in sentence windows too
    unusual = [
        "",
        "   ",
        "Ünïcödé Straße in Köln, Deutschland: ein Anschlag? 爆炸 在 喀布尔",
        "Gunmen in São Paulo , Brasil ; hostages taken at the Café Société",
        "KABUL (Reuters) - A car bomb hit Kabul, Afghanistan; Lashkar-e-Taiba denied it.",
        "x" * 5000,
        "\u00a0\u2003 tabs\tand\nnew lines\u2028 Mosul , Iraq",
    ]
    return [*texts, round_up, *unusual]


def test_compiled_kernels_give_the_jit_kernels_predictions_bit_for_bit(
    aot_folder: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    texts = _demo_texts()
    jit = _predict_with(monkeypatch, _jit(), model_dir, texts)
    aot = _predict_with(monkeypatch, kernels.load_aot(aot_folder), model_dir, texts)
    assert len(jit) == len(texts)
    assert aot == jit


def _real_texts(corpora: Path, n: int) -> list[str]:
    """The first `n` texts of Wikipedia's incident details and of SATP's stories."""
    texts: list[str] = []
    for name, column in (("wikipedia_incidents.csv", "details"), ("satp.csv", "text")):
        with open(corpora / name, newline="", encoding="utf-8") as handle:
            for i, row in enumerate(csv.DictReader(handle)):
                if i >= n:
                    break
                texts.append(row[column])
    return texts


def test_compiled_kernels_match_the_jit_ones_on_real_reports(
    aot_folder: Path, model_dir: Path, corpora_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    texts = _real_texts(corpora_dir, 1500)
    assert any(not t.isascii() for t in texts)  # the code-point paths are exercised
    jit = _predict_with(monkeypatch, _jit(), model_dir, texts)
    aot = _predict_with(monkeypatch, kernels.load_aot(aot_folder), model_dir, texts)
    assert aot == jit


def _filled(fill: Callable[..., Any], keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    table, values = np.full(16, -1, dtype=np.int64), np.zeros(16, dtype=np.int32)
    fill(table, values, keys, np.arange(len(keys), dtype=np.int32))
    return table, values


def test_a_compiled_kernel_refuses_arguments_its_signatures_do_not_take(aot_folder: Path):
    fill = kernels.load_aot(aot_folder)["tokenkernels"].fill_table
    keys = np.array([3, 17, 5], dtype=np.int64)
    table, values = _filled(fill, keys)
    jit_table, jit_values = _filled(importlib.import_module("infer.tokenkernels").fill_table, keys)
    assert np.array_equal(table, jit_table) and np.array_equal(values, jit_values)
    columns = np.arange(3, dtype=np.int32)
    table, values = np.full(16, -1, dtype=np.int64), np.zeros(16, dtype=np.int32)
    frozen = table.copy()
    frozen.setflags(write=False)
    wrong = [
        (table, values, keys.astype(np.int32), columns),  # another dtype
        (table, values, np.arange(6, dtype=np.int64)[::2], columns),  # not contiguous
        (frozen, values, keys, columns),  # read-only where the kernel writes
        (table, values, keys),  # an argument short
        (table, values, [3, 17, 5], columns),  # not an array
    ]
    for arguments in wrong:
        with pytest.raises(TypeError, match="fill_table"):
            fill(*arguments)
    assert (table == -1).all()  # nothing was written by a refused call


def _manifest_copy(aot_folder: Path, target: Path, **changes: Any) -> Path:
    manifest = json.loads((aot_folder / kernels.MANIFEST).read_text(encoding="utf-8"))
    target.mkdir()
    shutil.copy(aot_folder / manifest["file"], target / manifest["file"])
    manifest.update(changes)
    (target / kernels.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return target


def test_the_compiled_module_is_used_only_when_it_matches_this_install(
    aot_folder: Path, tmp_path: Path
):
    assert kernels.aot_problem(aot_folder) is None
    assert "missing" in (kernels.aot_problem(tmp_path) or "")
    flags = kernels.cpu_flags() or []
    cases = {
        "sources changed": {"sources": "0" * 64},
        "numpy": {"numpy": "0.0.1"},
        "machine": {"machine": "a-machine-of-another-kind"},
        "lacks: a-feature-no-cpu-has": {"cpu_flags": [*flags, "a-feature-no-cpu-has"]},
        "cannot be read": {"cpu_flags": None},
    }
    for i, (reason, changes) in enumerate(cases.items()):
        folder = _manifest_copy(aot_folder, tmp_path / str(i), **changes)
        assert reason in (kernels.aot_problem(folder) or ""), reason
    folder = _manifest_copy(aot_folder, tmp_path / "no-module")
    (folder / json.loads((folder / kernels.MANIFEST).read_text())["file"]).unlink()
    assert "missing" in (kernels.aot_problem(folder) or "")


SCORE_AND_REPORT = """
import sys
from infer import Predictor, kernels
p = Predictor.load(sys.argv[1])
p.predict(["Gunmen attacked a bus in Kabul, Afghanistan, and took two hostages."] * 3)
print(kernels.backend(), "numba" in sys.modules, "llvmlite" in sys.modules)
"""


def _score_in_a_fresh_process(model: Path, choice: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, kernels.ENVIRONMENT: choice}
    return subprocess.run(
        [sys.executable, "-c", SCORE_AND_REPORT, str(model)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )


def test_scoring_with_the_installed_compiled_module_never_imports_numba(model_dir: Path):
    problem = kernels.aot_problem()
    if problem is not None and os.environ.get(kernels.ENVIRONMENT) != "aot":
        pytest.skip(f"the package's compiled kernels cannot be used: {problem}")
    result = _score_in_a_fresh_process(model_dir, "auto")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["aot", "False", "False"]


def test_kernels_jit_forces_numba_and_an_unknown_choice_is_an_error(model_dir: Path):
    result = _score_in_a_fresh_process(model_dir, "jit")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["jit", "True", "True"]
    result = _score_in_a_fresh_process(model_dir, "fastest")
    assert result.returncode != 0
    assert "THREAT_TAGGER_KERNELS must be auto, aot or jit" in result.stderr


def test_warm_without_a_working_compiler_warns_and_leaves_scoring_on_numbas_cache(
    app: Any, monkeypatch: pytest.MonkeyPatch
):
    from typer.testing import CliRunner

    import infer.warm

    def no_compiler(folder: Path = kernels.HERE) -> None:
        raise OSError("cc: command not found")

    monkeypatch.setattr(infer.warm, "warm", lambda: 0.5)
    monkeypatch.setattr(infer.warm, "build_ahead", no_compiler)
    result = CliRunner().invoke(app, ["warm"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "kernel modules ready in numba's cache" in result.output
    assert "could not be compiled ahead of time (OSError: cc: command not found)" in result.output
    assert "scoring loads them from numba's cache instead" in result.output
