"""`python -m train.bench` (make bench): run the benchmarks, write BENCHMARKS.md and .json."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from infer.errors import ThreatTaggerError
from train.bench import CORPORA_VAR, REPO_ROOT

log = logging.getLogger("train.bench")
ROW_NAMES = ("1", "2", "3", "4", "5", "6", "7", "8", "matrix")
QUICK_OUT = Path(tempfile.gettempdir()) / "threat-tagger-bench-quick"
EXPERIMENTS = REPO_ROOT / "train" / "bench" / "experiments.json"
WINDOW_STUDY = REPO_ROOT / "train" / "bench" / "window_study.json"
FAST_ROWS = REPO_ROOT / "train" / "bench" / "fast_rows.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m train.bench",
        description="Speed (issue 5) and accuracy (issue 6) benchmarks of threat-tagger against "
        "a naive sklearn pipeline and fastText; writes BENCHMARKS.md and .json.",
    )
    parser.add_argument(
        "--only", choices=("speed", "accuracy", "serve", "cluster"), help="run one part only"
    )
    parser.add_argument(
        "--cluster-docs",
        type=int,
        default=None,
        help="documents for the cluster part (default 1,000,000; fewer to try it out)",
    )
    parser.add_argument(
        "--rows",
        default=",".join(ROW_NAMES),
        help="accuracy rows to run, e.g. 3,4 or 1,matrix (default: all)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"small subsets, to try it out (writes to {QUICK_OUT} by default)",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        help="where to write BENCHMARKS.md/.json "
        "(default: the repository root; partial runs update only their parts)",
    )
    parser.add_argument("--work-dir", type=Path, help="keep models and temp files here")
    parser.add_argument(
        "--cluster-model",
        type=Path,
        help="model folder for the cluster section (default: train default.toml on data/demo)",
    )
    parser.add_argument(
        "--serve-model",
        type=Path,
        help="model folder for the serve section "
        "(default: train default.toml on data/demo, as make train does)",
    )
    args = parser.parse_args(argv)
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ROW_NAMES]
    if unknown:
        parser.error(f"unknown row(s) {', '.join(unknown)}; choose from {', '.join(ROW_NAMES)}")
    args.rows = rows
    if args.out_dir is None:
        args.out_dir = QUICK_OUT if args.quick else REPO_ROOT
    return args


def git_commit() -> str:
    """The checked-out commit (with "+changes" when the tree differs from it), or "unknown"."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" +changes" if dirty.strip() else "")


def machine(command: str, date: str) -> dict[str, Any]:
    """CPU, cores, RAM, library versions, date and the command of this run."""
    cpu = platform.processor() or "unknown"
    ram = "unknown"
    try:
        info = Path("/proc/cpuinfo").read_text()
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in info.splitlines()
            if line.startswith("model name")
        )
        kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    versions = {}
    for package in ("numpy", "scipy", "scikit-learn", "fasttext", "threat-tagger"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "CPU": cpu,
        "cores": os.cpu_count(),
        "cores usable": usable,
        "RAM": ram,
        "OS": platform.platform(),
        "python": platform.python_version(),
        **versions,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "date": date,
        "command": command,
        "commit": git_commit(),
    }


def previous(out_dir: Path) -> dict[str, Any]:
    """The BENCHMARKS.json already in out_dir (partial runs update it), else {}."""
    path = out_dir / "BENCHMARKS.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Run the selected parts and merge them into the previous results."""
    from train.bench.data import Corpora

    date = datetime.now(UTC).isoformat(timespec="seconds")
    commit = git_commit()
    command = "python -m train.bench " + shlex.join(sys.argv[1:])
    corpora = Corpora(quick=args.quick)
    os.environ[CORPORA_VAR] = str(corpora.folder)  # configs expand ${THREAT_CORPORA} from here
    partial = bool(args.only) or args.rows != list(ROW_NAMES)
    results = previous(args.out_dir) if partial else {}
    results.update(command=command, date=date, machine=machine(command, date))
    start = time.perf_counter()
    if args.only in (None, "speed"):
        from train.bench.speed import run_speed

        speed_dir = workdir / "speed"
        speed_dir.mkdir(exist_ok=True)
        results["speed"] = {
            **run_speed(corpora, speed_dir, args.quick),
            "measured": date,
            "commit": commit,
            "command": command,
            "cores": os.cpu_count(),
        }
        (workdir / "speed.json").write_text(
            json.dumps(results["speed"], indent=2), encoding="utf-8"
        )  # survives a later crash
    if args.only in (None, "accuracy"):
        from train.bench.accuracy import run_accuracy
        from train.bench.systems import Systems

        systems = Systems(corpora, workdir, quick=args.quick)
        fresh = run_accuracy(systems, args.rows)
        accuracy = results.get("accuracy", {}) if partial else {}
        for part in [*fresh["rows"].values(), fresh.get("matrix")]:
            if part is not None:
                part["measured"] = date
                part["commit"] = commit
        accuracy.setdefault("rows", {}).update(fresh["rows"])
        accuracy.setdefault("trainings", {}).update(fresh["trainings"])
        if "matrix" in fresh:
            accuracy["matrix"] = fresh["matrix"]
        accuracy["seconds"] = fresh["seconds"]
        if "errors" in fresh:
            accuracy["errors"] = fresh["errors"]
        else:
            accuracy.pop("errors", None)
        results["accuracy"] = accuracy
    if args.only in (None, "serve"):
        from train.bench.serve import run_serve

        results["serve"] = {
            **run_serve(corpora, workdir, args.quick, args.serve_model),
            "measured": date,
            "commit": commit,
            "command": command,
        }
    if args.only in (None, "cluster"):
        from train.bench.cluster import DOCS, run_cluster

        docs = args.cluster_docs or (20_000 if args.quick else DOCS)
        cluster = run_cluster(corpora, workdir, docs, args.cluster_model)
        results["cluster"] = {**cluster, "measured": date, "commit": commit, "command": command}
        (workdir / "cluster.json").write_text(
            json.dumps(results["cluster"], indent=2), encoding="utf-8"
        )
    if EXPERIMENTS.exists():
        results["experiments"] = json.loads(EXPERIMENTS.read_text(encoding="utf-8"))
    if WINDOW_STUDY.exists():
        results["window_study"] = json.loads(WINDOW_STUDY.read_text(encoding="utf-8"))
    if FAST_ROWS.exists():
        results["fast_rows"] = json.loads(FAST_ROWS.read_text(encoding="utf-8"))
    results["total_seconds"] = round(time.perf_counter() - start, 1)
    results["quick"] = args.quick
    return results


def write(results: dict[str, Any], out_dir: Path) -> str:
    """Write BENCHMARKS.json and BENCHMARKS.md; return the markdown."""
    from train.bench.markdown import render

    out_dir.mkdir(parents=True, exist_ok=True)
    text = render(results)
    (out_dir / "BENCHMARKS.json").write_text(
        json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    (out_dir / "BENCHMARKS.md").write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    """Entry point; user errors print one line and exit 1."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s bench: %(message)s", stream=sys.stderr
    )
    try:
        if args.work_dir:
            args.work_dir.mkdir(parents=True, exist_ok=True)
            results = run(args, args.work_dir.resolve())
        else:
            with tempfile.TemporaryDirectory(prefix="threat-tagger-bench-") as workdir:
                results = run(args, Path(workdir))
    except ThreatTaggerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(write(results, args.out_dir))
    print(f"wrote {args.out_dir / 'BENCHMARKS.md'} and BENCHMARKS.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
