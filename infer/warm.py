"""Prepare the scoring kernels once, so that no scoring process compiles them.

`warm` compiles every kernel into numba's on-disk cache, then `build_ahead` compiles them all
ahead of time into one extension module next to `infer.kernels` (numba's `pycc`; it needs a C
compiler). Scoring then loads that module in under a millisecond, without numba and llvmlite
(about a second of start-up per process); `infer.kernels` says when it cannot be used.

`make install` and training do this themselves; after `pip install .` (a container image, a
cluster worker's environment) run `threat-tagger warm` once. numba caches next to the installed
modules, or in $NUMBA_CACHE_DIR when that is set (use it when the install folder is read-only;
the compiled module then cannot be written, and scoring loads numba's cache).
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from infer.kernels import AOT_NAME, HERE, MANIFEST, MODULES, Spec, cpu_flags, source_digest

# Every module whose numba kernels the scoring path calls; importing one compiles (cold cache)
# or loads (warm cache) all of its kernels, because each declares its argument types.
KERNEL_MODULES = tuple(f"infer.{name}" for name in MODULES)


def warm() -> float:
    """Import every kernel module (compiling into the cache what is not there); the seconds."""
    start = time.perf_counter()
    for name in KERNEL_MODULES:
        importlib.import_module(name)
    return time.perf_counter() - start


@dataclass(frozen=True)
class Built:
    """What `build_ahead` wrote: the module's path, its functions' count, the seconds taken."""

    path: Path
    functions: int
    seconds: float


def argument_spec(numba_type: Any) -> Spec:
    """A kernel argument's numba type as the manifest's spec (see `infer.kernels`)."""
    from numba import types

    if isinstance(numba_type, types.Array):
        if numba_type.layout != "C":
            raise TypeError(f"kernel argument {numba_type} is not C-contiguous")
        return ["array", str(numba_type.dtype), numba_type.ndim, not numba_type.mutable]
    if numba_type == types.boolean:
        return ["bool"]
    if numba_type == types.int64:
        return ["int64"]
    if numba_type == types.float64:
        return ["float64"]
    raise TypeError(f"kernel argument type {numba_type} has no spec")


def entry_points() -> list[tuple[str, str, Any, Any]]:
    """(module, function, dispatcher, full signature) of every kernel Python calls: the
    functions that declare their argument types, one entry per declared signature."""
    from numba import types

    out = []
    for name in MODULES:
        module = importlib.import_module(f"infer.{name}")
        for function, value in sorted(vars(module).items()):
            declared = getattr(value, "signatures", None)
            py_func = getattr(value, "py_func", None)
            if getattr(py_func, "__module__", None) != module.__name__:
                continue
            # entry points declare their signatures, which stops compiling on a call; helpers
            # compile for whatever calls them (only inside the entry points' code)
            if not declared or getattr(value, "_can_compile", True):
                continue
            for signature in (value.overloads[s].signature for s in declared):
                # (a kernel calling another one compiles it for literal arguments too, when
                # numba's cache is cold: those specialisations are not entry points)
                if not any(isinstance(t, types.Literal) for t in signature.args):
                    out.append((name, function, value, signature))
    return out


def build_ahead(folder: Path = HERE) -> Built:
    """Compile every entry point into `folder`/_aot_kernels<ext> for this CPU, with the
    manifest that `infer.kernels` checks (`folder`: the package's, or another for the tests).
    Written atomically: a failed build leaves the previous module and manifest as they were."""
    with warnings.catch_warnings():  # pending deprecation since numba 0.57 (see the README)
        warnings.simplefilter("ignore")
        from numba.pycc import CC

    start = time.perf_counter()
    exports = []
    with tempfile.TemporaryDirectory(dir=folder, prefix=".aot-build-") as work:
        compiler = CC(AOT_NAME)
        compiler.output_dir = work
        compiler.target_cpu = "host"  # cpu_flags() in the manifest guards other CPUs
        for i, (module, function, dispatcher, signature) in enumerate(entry_points()):
            symbol = f"{module}__{function}__{i}"
            compiler.export(symbol, signature)(dispatcher.py_func)
            arguments = [argument_spec(t) for t in signature.args]
            exports.append(
                {"module": module, "function": function, "symbol": symbol, "arguments": arguments}
            )
        compiler.compile()
        built = Path(work) / compiler.output_file
        os.replace(built, folder / built.name)
        manifest = {
            "file": built.name,
            "sources": source_digest(),
            "numpy": np.__version__,
            "machine": os.uname().machine,
            "cpu_flags": cpu_flags(),
            "exports": exports,
        }
        staged = Path(work) / MANIFEST
        staged.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        os.replace(staged, folder / MANIFEST)
    return Built(folder / built.name, len(exports), time.perf_counter() - start)
