"""Write a model folder atomically: build it in a temporary sibling, then swap it in."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from infer.artifact import (
    META_FILE,
    MODEL_FILE,
    VOCAB_FILE,
    ModelData,
    ModelError,
    covered,
    sealed,
    sha256_file,
)

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def write_json(path: Path, data: Any, *, compact: bool = False) -> None:
    """Stable JSON: sorted keys, 2-space indent (none when compact), trailing newline."""
    text = (
        json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        if compact
        else json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    )
    path.write_text(text + "\n", encoding="utf-8")


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def _swap_in(staged: Path, target: Path) -> None:
    """Put `staged` at `target`; afterwards `staged` holds the previous model (or is gone)."""
    if not target.exists():
        os.rename(staged, target)
        return
    if not (target / META_FILE).is_file() and any(target.iterdir()):
        raise ModelError(f"refusing to replace {target}: it exists and is not a model folder")
    if _exchange(staged, target):
        return
    old = Path(tempfile.mkdtemp(prefix=f".old-{target.name}-", dir=target.parent))
    os.rename(target, old / target.name)
    os.rename(staged, target)
    os.rename(old / target.name, staged)
    old.rmdir()


def _alive(pid: int) -> bool:
    """Whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(target: Path) -> list[Path]:
    """Delete staging folders of `target` left by killed runs (their process is gone)."""
    removed = []
    for folder in target.parent.glob(f".tmp-{target.name}-*-*"):
        pid = folder.name[len(f".tmp-{target.name}-") :].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextmanager
def staged_model_folder(target: str | Path) -> Iterator[Path]:
    """Yield an empty temporary sibling of `target`; swap it in when the block succeeds.

    The temporary folder is removed on any exception (including Ctrl-C), so a failed run
    leaves the previous model untouched and loadable. Its name carries the process id, so
    a later run can remove the folders of runs that were killed (SIGKILL skips `finally`).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(target)
    staged = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-{os.getpid()}-", dir=target.parent))
    try:
        staged.chmod(0o755)
        yield staged
        _swap_in(staged, target)
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def write_model_files(folder: Path, model: ModelData, metrics: dict[str, Any]) -> None:
    """Write model.npz, vocab.json (compact: parsed at run time) and metrics.json (meta.json
    comes last, see finish_meta)."""
    np.savez(folder / MODEL_FILE, **model.arrays())
    write_json(folder / VOCAB_FILE, model.vocab(), compact=True)
    write_json(folder / "metrics.json", metrics)


def finish_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Write meta.json (last) with the sha256 of every other file that changes what the model
    says (not the model card or the plots) and of its own content."""
    files = {
        path.name: sha256_file(path)
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != META_FILE and covered(path.name)
    }
    write_json(folder / META_FILE, sealed({**meta, "files": files}))
