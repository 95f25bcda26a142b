"""The scoring kernels, from the module compiled ahead of time when there is one, else numba's.

The kernels are the numba functions of `infer.tokenkernels`, `infer.charkernels` and
`infer.placekernels`. `threat-tagger warm` (run by `make install`) also compiles every one of
them into one extension module next to this file (`infer.warm.build_ahead`, numba's `pycc`):
importing it takes under a millisecond and loads neither numba nor llvmlite, whose import alone
takes about a second (llvmlite's 180 MB library). Without that module, or when it no longer
matches, the kernels come from numba's on-disk cache as before.

The compiled module is used only when its manifest says it was built from exactly the kernel
sources beside it, with this numpy, for a CPU with no feature this one lacks. Its functions do
not check their arguments' types (numba's dispatcher does), so each one is called through a
`Kernel`, which checks them against the compiled signatures the way the dispatcher does and
raises TypeError instead of reading memory wrongly.

$THREAT_TAGGER_KERNELS: "jit" always uses numba's JIT; "aot" requires the compiled module (an
error says why it cannot be used); unset or "auto", the compiled module when it can be used.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

MODULES = ("tokenkernels", "charkernels", "placekernels")
AOT_NAME = "_aot_kernels"
MANIFEST = f"{AOT_NAME}.json"
ENVIRONMENT = "THREAT_TAGGER_KERNELS"
HERE = Path(__file__).resolve().parent

# An argument's spec in the manifest: ["array", dtype, ndim, readonly] or ["int64"], ["bool"],
# ["float64"] (the scalar types the kernels take).
Spec = list[Any]


def source_digest() -> str:
    """sha256 of the kernel modules' sources, in MODULES order: what a compiled module is of."""
    digest = hashlib.sha256()
    for name in MODULES:
        digest.update((HERE / f"{name}.py").read_bytes())
    return digest.hexdigest()


def cpu_flags() -> list[str] | None:
    """This CPU's feature flags (Linux's /proc/cpuinfo), or None where they cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith(("flags", "Features")):
                    return sorted(set(line.partition(":")[2].split()))
    except OSError:
        return None
    return None


def aot_problem(folder: Path = HERE) -> str | None:
    """Why the compiled module in `folder` cannot be used here, or None when it can."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no compiled kernels ({path} is missing: run `threat-tagger warm`)"
    except (OSError, ValueError) as error:
        return f"unreadable manifest {path}: {error}"
    if not (folder / manifest.get("file", "?")).is_file():
        return f"the compiled module {folder / manifest.get('file', '?')} is missing"
    if manifest.get("sources") != source_digest():
        return "the kernel sources changed since the module was compiled"
    if manifest.get("numpy") != np.__version__:
        return f"compiled with numpy {manifest.get('numpy')}, this is numpy {np.__version__}"
    if manifest.get("machine") != os.uname().machine:
        return f"compiled for {manifest.get('machine')}, this machine is {os.uname().machine}"
    built, here = manifest.get("cpu_flags"), cpu_flags()
    if built is None or here is None:
        return "this CPU's features cannot be read, so the compiled code may not run on it"
    missing = sorted(set(built) - set(here))
    if missing:
        return f"compiled for a CPU with features this one lacks: {', '.join(missing[:5])}"
    return None


def _fits(args: Sequence[Any], specs: Sequence[tuple[Any, ...]]) -> bool:
    """Whether `args` have the types of one compiled signature (what numba's dispatcher
    accepts for it: C-contiguous arrays of the dtype and ndim, writable unless read-only)."""
    if len(args) != len(specs):
        return False
    for value, (kind, dtype, ndim, readonly) in zip(args, specs, strict=True):
        if kind == "array":
            if not (
                isinstance(value, np.ndarray)
                and value.dtype == dtype
                and value.ndim == ndim
                and value.flags.c_contiguous
                and (readonly or value.flags.writeable)
            ):
                return False
        elif kind == "bool":
            if not isinstance(value, bool | np.bool_):
                return False
        elif kind == "int64":
            if not isinstance(value, int | np.integer):
                return False
        elif not isinstance(value, float | int | np.floating | np.integer):  # float64
            return False
    return True


class Kernel:
    """One kernel of the compiled module: its overloads (one compiled function per signature
    numba's dispatcher declares), called with the first whose signature fits the arguments."""

    def __init__(self, name: str, overloads: list[tuple[list[Spec], Any]]) -> None:
        self.name = name
        self.overloads = [
            (
                tuple(
                    (spec[0], np.dtype(spec[1]), spec[2], spec[3])
                    if spec[0] == "array"
                    else (spec[0], None, 0, True)
                    for spec in specs
                ),
                function,
            )
            for specs, function in overloads
        ]

    def __call__(self, *args: Any) -> Any:
        for specs, function in self.overloads:
            if _fits(args, specs):
                return function(*args)
        given = ", ".join(
            f"{a.dtype}[{a.ndim}d]" if isinstance(a, np.ndarray) else type(a).__name__ for a in args
        )
        raise TypeError(f"kernel {self.name}: no compiled signature takes ({given})")


class AotModule:
    """A kernel module's functions from the compiled module (attribute access like the module)."""

    def __init__(self, name: str, kernels: dict[str, Kernel]) -> None:
        self.__name__ = f"infer.{name} (compiled ahead of time)"
        self.__dict__.update(kernels)


def load_aot(folder: Path = HERE) -> dict[str, AotModule]:
    """The compiled module in `folder`, as one AotModule per kernel module (no checks: see
    `aot_problem`)."""
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    spec = importlib.util.spec_from_file_location(f"infer.{AOT_NAME}", folder / manifest["file"])
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {folder / manifest['file']}")
    compiled = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compiled)
    grouped: dict[str, dict[str, list[tuple[list[Spec], Any]]]] = {n: {} for n in MODULES}
    for export in manifest["exports"]:
        overloads = grouped[export["module"]].setdefault(export["function"], [])
        overloads.append((export["arguments"], getattr(compiled, export["symbol"])))
    return {
        module: AotModule(module, {f: Kernel(f, o) for f, o in functions.items()})
        for module, functions in grouped.items()
    }


@cache
def modules() -> dict[str, Any]:
    """Kernel module name -> its functions: compiled ahead of time, or numba's (see the module
    docstring for $THREAT_TAGGER_KERNELS)."""
    choice = os.environ.get(ENVIRONMENT, "auto") or "auto"
    if choice not in ("auto", "aot", "jit"):
        raise ValueError(f"${ENVIRONMENT} must be auto, aot or jit, not {choice!r}")
    if choice != "jit":
        problem = aot_problem()
        if problem is None:
            return load_aot()
        if choice == "aot":
            raise RuntimeError(f"${ENVIRONMENT}=aot, but the compiled kernels: {problem}")
    return {name: importlib.import_module(f"infer.{name}") for name in MODULES}


def load(name: str) -> Any:
    """The functions of one kernel module (`MODULES`), e.g. load("tokenkernels").count_rows."""
    return modules()[name]


def backend() -> str:
    """ "aot" when the kernels come from the compiled module, else "jit"."""
    return "aot" if isinstance(modules()["tokenkernels"], AotModule) else "jit"
