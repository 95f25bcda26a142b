"""Run a command and record the peak RSS (VmHWM) of it and of every process it starts."""

from __future__ import annotations

import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

POLL_S = 0.1


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc/*/stat."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def descendants(pid: int) -> list[int]:
    """Every live process below pid."""
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def high_water_mb(pid: int) -> float | None:
    """VmHWM (peak resident set) of a live process in MB, None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _children_cpu() -> float:
    """CPU seconds (user + system) of every waited-for descendant of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def watch(command: list[str], cwd: Path) -> dict[str, Any]:
    """Run command to completion polling VmHWM; per-process peaks (parent, worker-1...)."""
    peaks: dict[int, float] = {}
    cpu = _children_cpu()
    with tempfile.TemporaryFile(mode="w+") as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        while process.poll() is None:
            for pid in [process.pid, *descendants(process.pid)]:
                value = high_water_mb(pid)
                if value is not None:
                    peaks[pid] = max(peaks.get(pid, 0.0), value)
            time.sleep(POLL_S)
        wall = time.perf_counter() - start
        errors.seek(0)
        stderr = errors.read()
    named = {"parent": round(peaks.pop(process.pid, 0.0), 1)}
    for i, pid in enumerate(sorted(peaks), 1):
        named[f"worker-{i}"] = round(peaks[pid], 1)
    return {
        "returncode": process.returncode,
        "wall_s": wall,
        "stderr": stderr,
        "cpu_s": _children_cpu() - cpu,
        "peak_rss_mb": named,
    }
