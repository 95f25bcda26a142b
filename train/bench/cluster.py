"""Issue 12's cluster benchmark: `score --engine dask|spark` on local clusters beside
`score --jobs 2`, on N documents (the RAND `Description` cells repeated; default 1,000,000).

Each run is a fresh `threat-tagger score` process, watched for wall time and for the peak RSS
(VmHWM) and CPU time of every process it starts, sorted into roles by command line: Dask worker
processes, Spark's Python workers and its JVM. The engine's fixed overhead is the wall time of
the same command on 8 documents (cluster start-up, model loading, scheduling, publishing the
output). CPU milliseconds per document (all processes, and the workers alone) say what a
document costs each engine whatever else the machine runs; wall-clock ratios need it idle.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from infer.errors import ThreatTaggerError
from train.bench import REPO_ROOT, cli_executable
from train.bench.procwatch import descendants, high_water_mb
from train.bench.tagger import train_cli

log = logging.getLogger("train.bench")
DOCS = 1_000_000
TINY = 8
UDF_DOCS = 50_000
POLL_S = 0.2
GOALS = {"speedup_1_to_2_workers": ">= 1.7"}
RUNS = (("local", 1), ("local", 2), ("dask", 1), ("dask", 2), ("spark", 1), ("spark", 2))


def write_docs(texts: list[str], n: int, path: Path) -> Path:
    """A JSONL file of n documents: `texts` repeated (ids d0, d1, ...)."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            handle.write(json.dumps({"id": f"d{i}", "text": texts[i % len(texts)]}) + "\n")
    return path


def _role(pid: int, driver: int) -> str:
    """What a process of a scoring run is, from its command line (read at every poll: Spark's
    launcher script execs into the JVM under the same pid)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return "other"
    line = b" ".join(argv)
    if pid == driver:
        return "driver"
    if argv and argv[0].endswith(b"java"):
        return "spark-jvm"
    if b"pyspark.daemon" in line or b"pyspark/daemon" in line:
        return "spark-python"  # the daemon and the workers it forks
    if b"python" in line and b"resource_tracker" not in line and parent == driver:
        return "worker"  # Dask worker processes, the local pool's processes
    return "other"


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a live process so far; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watch(command: list[str]) -> dict[str, Any]:
    """Run a command; its wall time, exit status, stderr tail, and the peak RSS and CPU
    seconds (as last seen, up to one poll short) per process role."""
    peaks: dict[int, tuple[str, float]] = {}
    cpu: dict[int, tuple[str, float]] = {}
    with tempfile.TemporaryFile(mode="w+") as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=errors)
        while process.poll() is None:
            for pid in [process.pid, *descendants(process.pid)]:
                value, used = high_water_mb(pid), cpu_seconds(pid)
                if value is not None and used is not None:
                    role = _role(pid, process.pid)
                    peaks[pid] = (role, max(peaks.get(pid, (role, 0.0))[1], value))
                    cpu[pid] = (role, used)
            time.sleep(POLL_S)
        wall = time.perf_counter() - start
        errors.seek(0)
        stderr = errors.read()
    by_role: dict[str, list[float]] = {}
    for role, peak in peaks.values():
        by_role.setdefault(role, []).append(round(peak, 1))
    cpu_by_role: dict[str, float] = {}
    for role, used in cpu.values():
        cpu_by_role[role] = round(cpu_by_role.get(role, 0.0) + used, 2)
    return {
        "returncode": process.returncode,
        "wall_s": round(wall, 2),
        "stderr_tail": stderr.strip().splitlines()[-3:],
        "peak_rss_mb": by_role,
        "cpu_s": cpu_by_role,
    }


def score_command(engine: str, workers: int, docs: Path, out: Path, model: Path) -> list[str]:
    """The `threat-tagger score` command of one run."""
    command = [*cli_executable(), "score", str(docs), "--model", str(model), "-o", str(out)]
    if engine == "local":
        return [*command, "--jobs", str(workers)]
    return [*command, "--engine", engine, "--workers", str(workers)]


def measure(
    engine: str, workers: int, docs: Path, tiny: Path, model: Path, n: int, workdir: Path
) -> dict[str, Any]:
    """One engine at one worker count: the big run and the fixed-overhead run."""
    results = {}
    for name, data in (("overhead", tiny), ("run", docs)):
        out = workdir / f"out-{engine}-{workers}-{name}"
        shutil.rmtree(out, ignore_errors=True)
        out.unlink(missing_ok=True) if out.is_file() else None
        log.info("cluster bench: %s with %d worker(s) on %s", engine, workers, data.name)
        watched = watch(score_command(engine, workers, data, out, model))
        if watched["returncode"] != 0:
            raise ThreatTaggerError(f"{engine} x{workers} failed: {watched['stderr_tail']}")
        results[name] = watched
        if out.is_dir():
            done = json.loads((out / "_SUCCESS").read_text())["records"]
            shutil.rmtree(out)
        else:
            with out.open("rb") as handle:
                done = sum(1 for _ in handle)
            out.unlink()
        expected = n if name == "run" else TINY
        if done != expected:
            raise ThreatTaggerError(f"{engine} x{workers} wrote {done} records, not {expected}")
    run, overhead = results["run"], results["overhead"]
    steady = run["wall_s"] - overhead["wall_s"]  # <= 0 when the noise is bigger than the work
    workers_cpu = sum(
        used for role, used in run["cpu_s"].items() if role in ("worker", "spark-python")
    )
    if engine == "local" and workers == 1:  # --jobs 1 scores in the driver process
        workers_cpu = run["cpu_s"].get("driver", 0.0)
    return {
        "engine": engine,
        "workers": workers,
        "wall_s": run["wall_s"],
        "docs_per_s": round(n / run["wall_s"], 1),
        "overhead_s": overhead["wall_s"],
        "steady_docs_per_s": round(n / steady, 1) if steady > 0 else None,
        "peak_rss_mb": run["peak_rss_mb"],
        "cpu_s": run["cpu_s"],
        "cpu_ms_per_doc": round(sum(run["cpu_s"].values()) * 1000 / n, 3),
        "worker_cpu_ms_per_doc": round(workers_cpu * 1000 / n, 3),
    }


def run_cluster(
    corpora: Any, workdir: Path, docs: int = DOCS, model: Path | None = None
) -> dict[str, Any]:
    """Every run of RUNS; speed-ups from 1 to 2 workers per engine."""
    start = time.perf_counter()
    texts = corpora.rand_descriptions()
    if not texts:
        raise ThreatTaggerError("no RAND descriptions found for the cluster benchmark")
    data = write_docs(texts, docs, workdir / "cluster-docs.jsonl")
    tiny = write_docs(texts, TINY, workdir / "cluster-tiny.jsonl")
    if model is None:
        model = workdir / "cluster-model"
        if not (model / "meta.json").is_file():
            train_cli(REPO_ROOT / "train" / "configs" / "default.toml", model)
    rows = [measure(engine, workers, data, tiny, model, docs, workdir) for engine, workers in RUNS]
    udf_docs = min(max(docs // 3, 1), UDF_DOCS)
    log.info("cluster bench: mapInArrow vs mapInPandas on %d docs", udf_docs)
    udfs = compare_spark_udfs(model, texts, udf_docs)
    speedups = {}
    for engine in ("local", "dask", "spark"):
        one, two = (
            next(r for r in rows if r["engine"] == engine and r["workers"] == w) for w in (1, 2)
        )
        steady = (
            two["steady_docs_per_s"] / one["steady_docs_per_s"]
            if one["steady_docs_per_s"] and two["steady_docs_per_s"]
            else None
        )
        speedups[engine] = {
            "raw": round(one["wall_s"] / two["wall_s"], 2),
            "steady": None if steady is None else round(steady, 2),
        }
    return {
        "docs": docs,
        "model": str(model),
        "rows": rows,
        "speedups": speedups,
        "spark_udfs": udfs,
        "goals": GOALS,
        "load_average": list(os.getloadavg()),
        "seconds": round(time.perf_counter() - start, 1),
    }


def cluster_section(cluster: dict[str, Any]) -> list[str]:
    """The BENCHMARKS.md section of the cluster benchmark."""
    from train.bench.markdown import table

    rows = []
    for row in cluster["rows"]:
        peaks = row["peak_rss_mb"]
        worker = max(peaks.get("worker", []) + peaks.get("spark-python", []), default=None)
        worker = worker if row["engine"] != "local" or row["workers"] > 1 else None
        rows.append(
            [
                f"{row['engine']}" + (" (score --jobs)" if row["engine"] == "local" else ""),
                row["workers"],
                f"{row['docs_per_s']:,.0f}",
                "n/a" if row["steady_docs_per_s"] is None else f"{row['steady_docs_per_s']:,.0f}",
                f"{row['overhead_s']:.1f}",
                "-" if worker is None else f"{worker:.0f}",
                f"{max(peaks.get('driver', [0])):.0f}",
                f"{max(peaks['spark-jvm']):.0f}" if "spark-jvm" in peaks else "-",
                _ms(row.get("cpu_ms_per_doc")),
                _ms(row.get("worker_cpu_ms_per_doc")),
            ]
        )
    speed = cluster["speedups"]
    return [
        "## Scoring on a cluster (issue 12)",
        "",
        f"{cluster['docs']:,} documents (RAND `Description` cells repeated) scored by "
        f"`threat-tagger score` with model `{Path(cluster['model']).name}`; each run a fresh "
        "process, peak RSS (VmHWM) per process.",
        "",
        *table(
            [
                "engine",
                "workers",
                "docs/s",
                "docs/s without overhead",
                "fixed overhead (s)",
                "peak MB per worker",
                "driver MB",
                "JVM MB",
                "CPU ms/doc, all processes",
                "CPU ms/doc in workers",
            ],
            rows,
        ),
        "",
        "Speed-up from 1 to 2 workers (goal >= 1.7): "
        + ", ".join(
            f"{engine} {s['raw']:.2f}x ("
            + ("n/a" if s["steady"] is None else f"{s['steady']:.2f}x")
            + " without the fixed overhead)"
            for engine, s in speed.items()
        )
        + ".",
        f"Spark, tagging {cluster['spark_udfs']['docs']:,} documents of a cached DataFrame on "
        "local[2] (best of 2 after a warm-up): "
        + ", ".join(f"{name} {s:.1f} s" for name, s in cluster["spark_udfs"]["seconds"].items())
        + "; `tag_dataframe` uses mapInArrow.",
        "CPU ms/doc: user + system CPU time of every process of the run (as last polled) per "
        "document; in workers: the scoring processes alone (the driver process for `--jobs 1`). "
        "They hold however loaded the machine is; wall-clock figures and speed-ups need it idle.",
        f"Fixed overhead = the same command on {TINY} documents. Load average at the end: "
        + ", ".join(f"{x:.1f}" for x in cluster["load_average"])
        + f"; section took {cluster['seconds']:.0f} s.",
        "",
    ]


def _ms(value: float | None) -> str:
    """A CPU-milliseconds cell."""
    return "-" if value is None else f"{value:.3f}"


def compare_spark_udfs(model: Path, texts: list[str], n: int, repeats: int = 2) -> dict[str, Any]:
    """Seconds to tag n texts on local[2] with mapInArrow (what tag_dataframe uses) and with
    the same scoring in mapInPandas (best of `repeats`, interleaved; the model is warm)."""
    from infer.engines.frames import OUTPUT_COLUMNS, tag_texts
    from infer.engines.job import model_path
    from infer.engines.spark_engine import OUTPUT_SCHEMA, spark_session, tag_dataframe
    from infer.engines.worker import predictor_for

    path = model_path(str(model))
    spark = spark_session(None, 2)
    try:
        rows = [(texts[i % len(texts)],) for i in range(n)]
        frame = spark.createDataFrame(rows, "text string").repartition(2).cache()
        frame.count()

        def with_pandas(frames: Any) -> Any:
            predictor = predictor_for(path)
            for pdf in frames:
                columns = tag_texts(pdf["text"].tolist(), predictor)
                yield pdf.assign(**{c: columns[c] for c in OUTPUT_COLUMNS})

        ways = {
            "mapInArrow": lambda: tag_dataframe(frame, "text", model=path),
            "mapInPandas": lambda: frame.mapInPandas(with_pandas, f"text string, {OUTPUT_SCHEMA}"),
        }
        seconds: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(repeats + 1):  # the first round warms the workers up
            for name, make in ways.items():
                start = time.perf_counter()
                make().write.format("noop").mode("overwrite").save()
                seconds[name].append(time.perf_counter() - start)
        best = {name: round(min(times[1:]), 2) for name, times in seconds.items()}
    finally:
        spark.stop()
    return {"docs": n, "seconds": best, "chosen": min(best, key=best.get)}  # type: ignore[arg-type]
