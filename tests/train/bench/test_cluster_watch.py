"""The cluster benchmark's process watch: roles, peak memory and CPU time of every process a run
starts (nothing here is timed; the CPU figures are only checked to be counted at all)."""

from __future__ import annotations

import os
import sys

from train.bench.cluster import cpu_seconds, watch

BUSY_CHILD = (
    "import subprocess, sys; "
    "subprocess.run([sys.executable, '-c', "
    "'import time\\nend = time.process_time() + 0.6\\nwhile time.process_time() < end: pass'])"
)


def test_cpu_seconds_of_a_live_process_and_none_once_it_is_gone():
    assert cpu_seconds(os.getpid()) > 0
    assert cpu_seconds(2**22 + 1) is None  # above any pid_max: no such process


def test_watch_counts_the_cpu_and_memory_of_a_child_worker_by_role():
    watched = watch([sys.executable, "-c", BUSY_CHILD])
    assert watched["returncode"] == 0
    assert set(watched["cpu_s"]) >= {"driver", "worker"}
    assert watched["cpu_s"]["worker"] >= 0.3  # the child's busy loop, up to one poll short
    assert watched["peak_rss_mb"]["worker"][0] > 1
