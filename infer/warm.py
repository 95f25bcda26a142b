"""Compile the scoring kernels into numba's on-disk cache once, so that no scoring process pays it.

`make install` and training do this themselves; after `pip install .` (a container image, a
cluster worker's environment) run `threat-tagger warm` once, or the first batch of the first
process compiles the kernels (tens of seconds). numba caches next to the installed modules, or
in $NUMBA_CACHE_DIR when that is set (use it when the install folder is read-only).
"""

from __future__ import annotations

import importlib
import time

# Every module whose numba kernels the scoring path calls; importing one compiles (cold cache)
# or loads (warm cache) all of its kernels, because each declares its argument types.
KERNEL_MODULES = ("infer.tokenkernels", "infer.charkernels", "infer.placekernels")


def warm() -> float:
    """Import every kernel module (compiling into the cache what is not there); the seconds."""
    start = time.perf_counter()
    for name in KERNEL_MODULES:
        importlib.import_module(name)
    return time.perf_counter() - start
