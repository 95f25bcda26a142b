"""The compiled kernels are all built when `infer.tokenkernels`, `infer.placekernels` and
`infer.charkernels` are imported, from numba's on-disk cache once one import has filled it: a
first `predict` never compiles."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numba

from infer import charkernels, placekernels, tokenkernels

REPO = Path(__file__).resolve().parents[2]


def _kernels() -> dict[str, numba.core.registry.CPUDispatcher]:
    """The kernels Python calls (the underscored helpers are compiled into them)."""
    return {
        name: value
        for module in (tokenkernels, placekernels, charkernels)
        for name, value in vars(module).items()
        if isinstance(value, numba.core.registry.CPUDispatcher) and not name.startswith("_")
    }


def test_every_kernel_declares_its_argument_types_so_a_call_never_compiles():
    kernels = _kernels()
    assert {"count_rows", "head_product"} <= set(kernels)
    assert {"build_trie", "match_texts", "place_rows", "char_columns"} <= set(kernels)
    assert {"place_spans", "word_parts", "find_or_add"} <= set(kernels)
    for name, kernel in kernels.items():
        assert kernel.signatures, name
        assert not kernel._can_compile, f"{name} would compile on a call with new types"


CACHE_MISSES = """
from infer import charkernels, placekernels, tokenkernels
import numba
kernels = [
    kernel
    for module in (tokenkernels, placekernels, charkernels)
    for kernel in vars(module).values()
    if isinstance(kernel, numba.core.registry.CPUDispatcher) and kernel.signatures
]
print(sum(len(kernel.signatures) for kernel in kernels))
print(sum(sum(kernel.stats.cache_hits.values()) for kernel in kernels))
print(sum(sum(kernel.stats.cache_misses.values()) for kernel in kernels))
"""


def test_a_fresh_process_loads_every_kernel_from_the_cache_an_import_filled():
    # this process imported the kernels already (compiling them if the cache was cold)
    result = subprocess.run(
        [sys.executable, "-c", CACHE_MISSES], cwd=REPO, capture_output=True, text=True, check=True
    )
    compiled, loaded, missed = map(int, result.stdout.split())
    assert compiled >= 10
    assert (loaded, missed) == (compiled, 0)


def test_warm_imports_every_module_that_defines_a_kernel():
    from infer.warm import KERNEL_MODULES

    defining = {
        f"infer.{path.stem}"
        for path in (REPO / "infer").glob("*.py")
        if "@numba.njit" in path.read_text(encoding="utf-8")
    }
    assert defining == set(KERNEL_MODULES)


def test_threat_tagger_warm_fills_an_empty_cache_so_the_next_process_compiles_nothing(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    # the CLI of this checkout (an installed console script may point at another one)
    # (--numba-cache-only: the module compiled ahead of time stays as it is in the checkout)
    cli = [sys.executable, "-c", "from train.cli import main; main()", "warm", "--numba-cache-only"]
    done = subprocess.run(cli, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert "kernel modules ready" in done.stdout
    assert "ahead of time" not in done.stdout
    assert any((tmp_path / "numba-cache").rglob("*.nbi"))
    result = subprocess.run(
        [sys.executable, "-c", CACHE_MISSES],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    compiled, loaded, missed = map(int, result.stdout.split())
    assert (loaded, missed) == (compiled, 0)
