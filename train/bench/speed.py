"""The speed benchmark (issues 5 and 11): docs/s, load time, model size and peak RSS of the
three systems (threat-tagger twice: full.toml's features and fast.toml's word-only ones, same
records), on RAND descriptions and on SATP's long stories, plus `score` end to end.

Every measurement runs in its own fresh subprocess (`python -m train.bench.speed --worker ...`)
so peak RSS (ru_maxrss) and load time belong to that system alone. fastText is compared on two
bases: raw (its input lowercased and one-lined before its clock starts) and fair (that
preparation inside its clock, since threat-tagger normalises inside its own); ratios on either
basis divide docs per CPU-second (user + system time of the scoring call, all threads).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from train.bench import REPO_ROOT, cli_executable
from train.bench.baselines import FastTextModel, NaiveModel, fasttext_text
from train.bench.data import Corpora, write_jsonl
from train.bench.procwatch import high_water_mb, watch
from train.bench.tagger import config_path, train_cli

log = logging.getLogger("train.bench")
SYSTEMS = ("naive", "fasttext", "threat-tagger")
FAST = "threat-tagger-fast"  # threat-tagger trained with train/configs/fast.toml
LOAD_REPEATS = 5
LONG_WORDS = 250  # SATP stories of at least this many words: the long-stories rows
# alternating `score --jobs 1` / `--jobs 2` runs; the ratio uses the medians (3 rounds until
# 2026-12-02: single runs moved 5.2-7.6 s for --jobs 1 within one bench)
JOBS_ROUNDS = 5
# in-process runs per system and document set, systems alternating: a single run of fastText
# moved between 50k and 85k docs/CPU-s from one run to the next on this VM, and threat-tagger's
# long-story runs by up to 1.5x within one bench (3 rounds until 2026-12-02)
IN_PROCESS_ROUNDS = 5
# Issue 11's goals (ratios on the fair basis, docs per CPU-second).
GOALS = {
    "full_vs_fasttext_fair": ">= 0.5",
    "long_vs_fasttext_fair": ">= 0.3",
    "fast_vs_fasttext_fair": ">= 1.0",
    "jobs2_vs_jobs1": ">= 1.8",
    "load_s": "<= 0.3",
    "first_predict_s": "<= 1.0",
    "score_1m_peak_rss_mb": "<= 300",
}


def _cpu() -> float:
    """User + system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker(system: str, model: str, docs: str | None) -> dict[str, Any]:
    """Load one system (and score the docs when given); the numbers of this process alone."""
    start = time.perf_counter()
    if system == "naive":
        # imported first so that the load time is the unpickling alone
        import sklearn.linear_model
        import sklearn.pipeline  # noqa: F401

        load = NaiveModel.load
    elif system == "fasttext":
        import fasttext

        load = fasttext.load_model
    else:
        from infer.predictor import Predictor

        load = Predictor.load
    imported = time.perf_counter()
    loaded_model = load(model)
    out: dict[str, Any] = {"import_s": imported - start, "load_s": time.perf_counter() - imported}
    if docs:
        with open(docs, encoding="utf-8") as handle:
            texts = [json.loads(line)["text"] for line in handle]
        if system == "threat-tagger":  # the pause of a first call (JIT import, cached kernels)
            cpu, clock = _cpu(), time.perf_counter()
            loaded_model.predict(texts[:1])
            out.update(
                first_predict_s=time.perf_counter() - clock, first_predict_cpu_s=_cpu() - cpu
            )
        cpu, clock = _cpu(), time.perf_counter()
        if system == "fasttext":  # timed apart: the raw basis leaves it out, the fair one not
            texts = [fasttext_text(t) for t in texts]
            out.update(prepare_s=time.perf_counter() - clock, prepare_cpu_s=_cpu() - cpu)
            cpu, clock = _cpu(), time.perf_counter()
        if system == "naive":
            loaded_model.predict_proba(texts)
        elif system == "fasttext":
            loaded_model.predict(texts, k=-1, threshold=0.5)
        else:
            loaded_model.predict(texts)
        out.update(n=len(texts), predict_s=time.perf_counter() - clock, cpu_s=_cpu() - cpu)
        if system == "threat-tagger":
            from infer import kernels

            out["kernels"] = kernels.backend()  # compiled ahead of time, or numba's JIT
    # VmHWM, not ru_maxrss: after fork+exec ru_maxrss still holds the parent's peak.
    out["peak_rss_mb"] = high_water_mb(os.getpid())
    return out


def run_worker(system: str, model: Path, docs: Path | None = None) -> dict[str, Any]:
    """Run `worker` in a fresh interpreter and return its JSON answer."""
    command = [
        sys.executable,
        "-m",
        "train.bench.speed",
        "--worker",
        system,
        "--model",
        str(model),
    ] + (["--docs", str(docs)] if docs else [])
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def train_models(corpora: Corpora, workdir: Path, quick: bool) -> dict[str, Any]:
    """Train the three systems (threat-tagger with full.toml and fast.toml) once on the same
    records (Wikipedia + demo); return paths. A --work-dir that holds them from an earlier
    run of the same size (trained.json) is reused."""
    records = corpora.wikipedia[:2000] if quick else corpora.wikipedia
    records = records + corpora.demo
    texts, labels = [r["text"] for r in records], [r["incident_types"] for r in records]
    paths = {
        "naive": workdir / "naive.joblib",
        "fasttext": workdir / "fasttext.bin",
        "threat-tagger": workdir / "threat-tagger",
        FAST: workdir / FAST,
    }
    done = workdir / "trained.json"
    if done.is_file() and all(p.exists() for p in paths.values()):
        earlier = json.loads(done.read_text(encoding="utf-8"))
        if earlier["records"] == len(records):
            log.info("speed: reusing the models trained in %s", workdir)
            return {**earlier, "paths": paths}
    seconds = {}
    for system, model_class in (("naive", NaiveModel), ("fasttext", FastTextModel)):
        clock = time.perf_counter()
        model_class().fit(texts, labels).save(paths[system])
        seconds[system] = round(time.perf_counter() - clock, 1)
    corpus = write_jsonl(records, workdir / "speed-train.jsonl")
    for system, config in (("threat-tagger", "full"), (FAST, "fast")):
        seconds[system] = round(train_cli(config_path(config), paths[system], [corpus]), 1)
    trained = {"records": len(records), "train_seconds": seconds}
    done.write_text(json.dumps(trained), encoding="utf-8")
    return {**trained, "paths": paths}


def disk_mb(path: Path) -> float:
    """Size on disk of a file or of every file in a folder, in MB."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return round(sum(p.stat().st_size for p in files) / 1e6, 2)


def score_command(model: Path, docs: Path, out: Path, jobs: int) -> list[str]:
    """The `threat-tagger score DOCS --model MODEL --jobs N -o OUT` command line."""
    return [
        *cli_executable(),
        "score",
        str(docs),
        "--model",
        str(model),
        "--jobs",
        str(jobs),
        "-o",
        str(out),
    ]


def score_run(model: Path, docs: Path, out: Path, jobs: int = 2) -> dict[str, Any]:
    """`threat-tagger score DOCS --jobs N -o OUT` as a subprocess: wall time and per-process
    RSS."""
    command = score_command(model, docs, out, jobs)
    watched = watch(command, cwd=REPO_ROOT)
    if watched["returncode"] != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {watched['returncode']}: {watched['stderr'][-500:]}"
        )
    with out.open(encoding="utf-8") as handle:
        lines = sum(1 for _ in handle)
    out.unlink()
    return {**watched, "n": lines}


def score_pair(model: Path, halves: tuple[Path, Path], workdir: Path) -> float:
    """Wall seconds of two `score --jobs 1` processes started together, one on each half of
    the docs, until both are done: what two independent processes get out of this machine's
    cores, start-up included (each pays its own, side by side)."""
    outs = [workdir / f"score-half{at}.jsonl" for at in range(len(halves))]
    commands = [score_command(model, half, out, 1) for half, out in zip(halves, outs, strict=True)]
    for out in outs:
        out.unlink(missing_ok=True)
    started = time.perf_counter()
    processes = [
        subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for command in commands
    ]
    errors = [process.communicate()[1] for process in processes]  # both done
    wall = time.perf_counter() - started
    failures = [
        f"{' '.join(command)} exited {process.returncode}: {error.decode()[-500:]}"
        for command, process, error in zip(commands, processes, errors, strict=True)
        if process.returncode != 0
    ]
    if failures:
        raise RuntimeError("; ".join(failures))
    for out in outs:
        out.unlink()
    return wall


def split_jsonl(docs: Path, workdir: Path) -> tuple[Path, Path]:
    """The docs' lines in two files: the first half, then the rest."""
    lines = docs.read_bytes().splitlines(keepends=True)
    middle = len(lines) // 2
    halves = (workdir / "docs-half0.jsonl", workdir / "docs-half1.jsonl")
    for path, part in zip(halves, (lines[:middle], lines[middle:]), strict=True):
        path.write_bytes(b"".join(part))
    return halves


def score_rounds(
    model: Path, docs: Path, one_doc: Path, workdir: Path, rounds: int
) -> dict[str, Any]:
    """`score --jobs 1` and `--jobs 2` on the same docs, alternating, `rounds` times (single runs
    on this VM move by up to 20% from minute to minute); `score` of one document: the serial
    start-up both pay (python, imports, model load, kernel warm-up, exit); and two `--jobs 1`
    processes at once on the two halves of the docs (`score_pair`). The median run of each
    (`jobs1`, `jobs2`), and every wall time with what they imply (`rounds`)."""
    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    startup, pairs = [], []
    halves = split_jsonl(docs, workdir)
    for _ in range(rounds):
        for jobs in (1, 2):
            runs[jobs].append(score_run(model, docs, workdir / f"score-jobs{jobs}.jsonl", jobs))
        startup.append(score_run(model, one_doc, workdir / "score-one.jsonl", 1)["wall_s"])
        pairs.append(score_pair(model, halves, workdir))
    for half in halves:
        half.unlink()
    jobs1, jobs2 = (sorted(runs[j], key=lambda run: run["wall_s"])[rounds // 2] for j in (1, 2))
    return {"jobs1": jobs1, "jobs2": jobs2, "rounds": jobs_rounds(runs, startup, pairs)}


def jobs_rounds(
    runs: dict[int, list[dict[str, Any]]], startup: list[float], pairs: list[float] | None = None
) -> dict[str, Any]:
    """The wall times of the alternating `score` rounds, and what they imply: each round's
    --jobs 1 / --jobs 2 ratio, the --jobs ratio of the work after the serial start-up, the
    ratio that a --jobs 2 run without any overhead would reach (start-up once, then the
    --jobs 1 work halved), and (given the `score_pair` times) the ratio of two independent
    `--jobs 1` processes on the halves, side by side: what this machine gives two processes,
    with no coordination at all."""
    one, two = (statistics.median(run["wall_s"] for run in runs[j]) for j in (1, 2))
    start = statistics.median(startup)
    out = {
        "jobs1_wall_s": [round(run["wall_s"], 2) for run in runs[1]],
        "jobs2_wall_s": [round(run["wall_s"], 2) for run in runs[2]],
        "startup_wall_s": [round(s, 2) for s in startup],
        "jobs2_vs_jobs1_rounds": [
            round(a["wall_s"] / b["wall_s"], 2) for a, b in zip(runs[1], runs[2], strict=True)
        ],
        "jobs2_vs_jobs1_after_startup": round((one - start) / max(two - start, 1e-9), 2),
        "jobs2_vs_jobs1_without_overhead": round(one / (start + (one - start) / 2), 2),
    }
    if pairs:
        out["pair_wall_s"] = [round(p, 2) for p in pairs]
        out["two_processes_vs_jobs1"] = round(one / statistics.median(pairs), 2)
    return out


def load_stats(system: str, model: Path, first_doc: Path | None = None) -> dict[str, float]:
    """Median load and start-up (imports + load) seconds over fresh subprocesses; given a
    document, threat-tagger's processes predict it after loading, and the medians of that first
    `predict` pause (wall and CPU) are added (one process's pause varies with the machine)."""
    runs = [run_worker(system, model, first_doc) for _ in range(LOAD_REPEATS)]
    out = {
        "load_s": round(statistics.median(r["load_s"] for r in runs), 4),
        "startup_s": round(statistics.median(r["import_s"] + r["load_s"] for r in runs), 4),
    }
    if all("first_predict_s" in r for r in runs):
        out["first_predict_s"] = round(statistics.median(r["first_predict_s"] for r in runs), 3)
        out["first_predict_cpu_s"] = round(
            statistics.median(r["first_predict_cpu_s"] for r in runs), 3
        )
    return out


def repeat_jsonl(texts: list[str], n: int, path: Path) -> Path:
    """A JSONL of n docs made by repeating the texts."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps({"id": str(i), "text": texts[i % len(texts)]}) + "\n")
    return path


def _in_process(result: dict[str, Any]) -> dict[str, Any]:
    """The rates of one worker run (fastText: also with its preparation inside the clock)."""
    out = {
        "n": result["n"],
        "docs_per_s": round(result["n"] / result["predict_s"], 1),
        "docs_per_cpu_s": round(result["n"] / max(result["cpu_s"], 1e-9), 1),
        "predict_s": round(result["predict_s"], 2),
        "peak_rss_mb": round(result["peak_rss_mb"], 1),
    }
    if "prepare_cpu_s" in result:
        out["fair_docs_per_cpu_s"] = round(
            result["n"] / max(result["cpu_s"] + result["prepare_cpu_s"], 1e-9), 1
        )
    if "first_predict_s" in result:
        out["first_predict_s"] = round(result["first_predict_s"], 3)
        out["first_predict_cpu_s"] = round(result["first_predict_cpu_s"], 3)
    if "kernels" in result:
        out["kernels"] = result["kernels"]
    return out


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median docs/CPU-s (a real run, every figure from the same process),
    with every run's docs/CPU-s (`rounds_docs_per_cpu_s`, in the order run; fastText's also
    on the fair basis, `rounds_fair_docs_per_cpu_s`)."""
    ordered = sorted(runs, key=lambda run: run["docs_per_cpu_s"])
    fair = [run["fair_docs_per_cpu_s"] for run in runs if "fair_docs_per_cpu_s" in run]
    return {
        **ordered[(len(ordered) - 1) // 2],
        "rounds_docs_per_cpu_s": [run["docs_per_cpu_s"] for run in runs],
        **({"rounds_fair_docs_per_cpu_s": fair} if len(fair) == len(runs) else {}),
    }


def round_ratios(system: dict[str, Any], fasttext: dict[str, Any]) -> list[float]:
    """The system's rate over fastText's fair one, round by round (the two ran in the same
    round, one after the other): how far the noise moves the median ratio. Empty when
    either lacks its rounds."""
    mine = system.get("rounds_docs_per_cpu_s", [])
    theirs = fasttext.get("rounds_fair_docs_per_cpu_s", [])
    if not mine or len(mine) != len(theirs):
        return []
    return [round(a / b, 3) for a, b in zip(mine, theirs, strict=True)]


def in_process_rounds(
    paths: dict[str, Path], docs: Path, long_docs: Path, rounds: int
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Every system's in-process rates on the documents and (all but naive) on the long
    stories, `rounds` fresh processes each, the systems' order reversed every other round;
    the median run of each (`median_run`)."""
    order = (*SYSTEMS, FAST)
    runs: dict[str, list[dict[str, Any]]] = {system: [] for system in order}
    long_runs: dict[str, list[dict[str, Any]]] = {system: [] for system in order[1:]}
    for round_ in range(rounds):
        for system in order if round_ % 2 == 0 else order[::-1]:
            kind = "threat-tagger" if system == FAST else system
            runs[system].append(_in_process(run_worker(kind, paths[system], docs)))
            if system != "naive":
                long_runs[system].append(_in_process(run_worker(kind, paths[system], long_docs)))
    return (
        {system: median_run(found) for system, found in runs.items()},
        {system: median_run(found) for system, found in long_runs.items()},
    )


def run_speed(corpora: Corpora, workdir: Path, quick: bool = False) -> dict[str, Any]:
    """The whole speed section as plain data (every figure from this run)."""
    started = time.perf_counter()
    load_before = os.getloadavg()
    descriptions = corpora.rand_descriptions()
    if quick:
        descriptions = descriptions[:5000]
    texts = descriptions * 2
    docs = repeat_jsonl(texts, len(texts), workdir / "speed-docs.jsonl")
    stories = [r["text"] for r, _ in corpora.satp if len(r["text"].split()) >= LONG_WORDS]
    long_docs = repeat_jsonl(stories, 2 * len(stories), workdir / "speed-long.jsonl")
    first_doc = repeat_jsonl(texts, 1, workdir / "speed-first.jsonl")  # the first-predict pause
    log.info("speed: training the three systems")
    trained = train_models(corpora, workdir, quick)
    rounds = 1 if quick else IN_PROCESS_ROUNDS
    log.info(
        "speed: every system in process on %d docs and %d long SATP stories, %d rounds",
        len(texts),
        2 * len(stories),
        rounds,
    )
    systems, long = in_process_rounds(trained["paths"], docs, long_docs, rounds)
    for system in (*SYSTEMS, FAST):
        path = trained["paths"][system]
        kind = "threat-tagger" if system == FAST else system
        systems[system].update(
            model_mb=disk_mb(path),
            train_s=trained["train_seconds"][system],
            **load_stats(kind, path, first_doc if kind == "threat-tagger" else None),
        )
    model = trained["paths"]["threat-tagger"]
    log.info("speed: score --jobs 1 and 2 on %d docs, %d rounds", len(texts), JOBS_ROUNDS)
    measured = score_rounds(model, docs, first_doc, workdir, JOBS_ROUNDS)
    runs = {"score": measured["jobs2"], "score_jobs1": measured["jobs1"]}
    log.info("speed: %s score --jobs 2 on %d docs", trained["paths"][FAST].name, len(texts))
    runs["score_fast"] = score_run(trained["paths"][FAST], docs, workdir / "score_fast.jsonl")
    million = 50_000 if quick else 1_000_000
    log.info("speed: threat-tagger score --jobs 2 on %d docs (memory)", million)
    big = repeat_jsonl(texts, million, workdir / "speed-1m.jsonl")
    score_1m = score_run(model, big, workdir / "scored-1m.jsonl")
    big.unlink()
    summary = _summarise(
        systems,
        runs["score"],
        score_1m,
        len(texts),
        trained["records"],
        quick,
        load_before,
        time.perf_counter() - started,
        runs["score_fast"],
        long=long,
        score_jobs1=runs["score_jobs1"],
        score_rounds=measured["rounds"],
    )
    return {**summary, "in_process_rounds": rounds}


def _ratios(
    rows: dict[str, Any],
    fasttext: dict[str, Any],
    naive: dict[str, Any] | None,
) -> None:
    """Add each row's ratios (in place): wall-clock ones as before, and per CPU-second on the
    raw and the fair basis."""
    for row in rows.values():
        row["vs_fasttext"] = round(row["docs_per_s"] / fasttext["docs_per_s"], 2)
        if naive is not None:
            row["vs_naive"] = round(row["docs_per_s"] / naive["docs_per_s"], 2)
        if "fair_docs_per_cpu_s" in fasttext:
            row["vs_fasttext_raw"] = round(row["docs_per_cpu_s"] / fasttext["docs_per_cpu_s"], 3)
            row["vs_fasttext_fair"] = round(
                row["docs_per_cpu_s"] / fasttext["fair_docs_per_cpu_s"], 3
            )


def _summarise(
    systems: dict[str, Any],
    score: dict[str, Any],
    score_1m: dict[str, Any],
    n_docs: int,
    n_train: int,
    quick: bool,
    load_before: tuple[float, ...],
    seconds: float,
    score_fast: dict[str, Any] | None = None,
    *,
    long: dict[str, Any] | None = None,
    score_jobs1: dict[str, Any] | None = None,
    score_rounds: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Add ratios and goals to the raw figures (the fast config's rows when measured)."""
    fasttext = dict(systems["fasttext"])
    _ratios(systems, fasttext, systems["naive"])
    if long:
        _ratios(long, dict(long["fasttext"]), None)
    scores = {"score": _score_figures(score, systems)}
    if score_fast is not None:
        scores["score_fast"] = _score_figures(score_fast, systems)
    if score_jobs1 is not None:
        scores["score_jobs1"] = _score_figures(score_jobs1, systems)
    peak_1m = max(score_1m["peak_rss_mb"].values())
    tagger = systems["threat-tagger"]
    figures = {
        "full_vs_fasttext_fair": tagger.get("vs_fasttext_fair"),
        "long_vs_fasttext_fair": (long or {}).get("threat-tagger", {}).get("vs_fasttext_fair"),
        "fast_vs_fasttext_fair": systems.get(FAST, {}).get("vs_fasttext_fair"),
        "jobs2_vs_jobs1": None
        if score_jobs1 is None
        else round(scores["score"]["docs_per_s"] / scores["score_jobs1"]["docs_per_s"], 2),
        "load_s": tagger["load_s"],
        # CPU seconds: a compile pause is CPU work; wall time on a loaded machine is not it
        "first_predict_s": tagger.get("first_predict_cpu_s", tagger.get("first_predict_s")),
        "score_1m_peak_rss_mb": peak_1m,
    }
    rounds = {
        "full_vs_fasttext_fair": round_ratios(tagger, fasttext),
        "long_vs_fasttext_fair": round_ratios(
            (long or {}).get("threat-tagger", {}), (long or {}).get("fasttext", {})
        ),
        "fast_vs_fasttext_fair": round_ratios(systems.get(FAST, {}), fasttext),
        "jobs2_vs_jobs1": (score_rounds or {}).get("jobs2_vs_jobs1_rounds", []),
    }
    return {
        "docs": n_docs,
        "training_records": n_train,
        "quick": quick,
        "systems": systems,
        **({"long_stories": long} if long else {}),
        **scores,
        **({"score_rounds": score_rounds} if score_rounds else {}),
        "score_1m": {
            "n": score_1m["n"],
            "wall_s": round(score_1m["wall_s"], 2),
            "docs_per_s": round(score_1m["n"] / score_1m["wall_s"], 1),
            "docs_per_cpu_s": round(score_1m["n"] / max(score_1m["cpu_s"], 1e-9), 1),
            "peak_rss_mb": score_1m["peak_rss_mb"],
        },
        "goals": {
            key: {
                "goal": goal,
                "value": figures[key],
                **({"rounds": rounds[key]} if rounds.get(key) else {}),
            }
            for key, goal in GOALS.items()
            if figures[key] is not None
        },
        "load_average": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "seconds": round(seconds, 1),
    }


def _score_figures(score: dict[str, Any], systems: dict[str, Any]) -> dict[str, Any]:
    """Rate, CPU rate and ratios of one `score --jobs 2` run."""
    rate = round(score["n"] / score["wall_s"], 1)
    return {
        "n": score["n"],
        "wall_s": round(score["wall_s"], 2),
        "docs_per_s": rate,
        "docs_per_cpu_s": round(score["n"] / max(score["cpu_s"], 1e-9), 1),
        "vs_fasttext": round(rate / systems["fasttext"]["docs_per_s"], 2),
        "vs_naive": round(rate / systems["naive"]["docs_per_s"], 2),
        "peak_rss_mb": score["peak_rss_mb"],
    }


def main() -> None:
    """Entry point of the measurement subprocesses."""
    parser = argparse.ArgumentParser(description="one speed measurement (internal)")
    parser.add_argument("--worker", choices=SYSTEMS, required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--docs")
    args = parser.parse_args()
    print(json.dumps(worker(args.worker, args.model, args.docs)))


if __name__ == "__main__":
    main()
