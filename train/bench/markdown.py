"""Render the benchmark results (BENCHMARKS.json's content) as BENCHMARKS.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from train.bench.accuracy import goal_met
from train.bench.speed import LONG_WORDS

SYSTEM_NAMES = {
    "naive": "naive (sklearn TF-IDF + OvR LR)",
    "fasttext": "fastText",
    "threat-tagger": "threat-tagger `Predictor.predict`",
    "threat-tagger-fast": "threat-tagger fast.toml `Predictor.predict`",
}
COLUMNS = ("naive", "fasttext", "threat-tagger")
SPEED_GOALS = {
    "full_vs_fasttext_fair": "full.toml in process vs fastText, RAND (x, fair basis)",
    "long_vs_fasttext_fair": "full.toml in process vs fastText, SATP 250+ words (x, fair basis)",
    "fast_vs_fasttext_fair": "fast.toml in process vs fastText, RAND (x, fair basis; its "
    'accuracy: section "fast.toml on the accuracy rows")',
    "jobs2_vs_jobs1": "`score --jobs 2` vs `--jobs 1`, files to files (x)",
    "load_s": "`Predictor.load` (s, median of fresh processes)",
    "first_predict_s": (
        "first `predict` after load: loading the kernels (compiled ahead of time, or numba's "
        "import and cache) and the batch (CPU s, median of fresh processes)"
    ),
    "score_1m_peak_rss_mb": "peak RSS of any process scoring 1M docs (MB)",
}


def table(header: Sequence[str], rows: list[Sequence[Any]]) -> list[str]:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in r) + " |" for r in rows]
    return lines


def _cell(value: Any) -> str:
    """Format one table cell."""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "–" if value is None else str(value).replace("|", "\\|")


def _met(value: float, goal: str) -> str:
    """'met' or 'missed' for a goal like '>= 0.92'."""
    return "met" if goal_met(value, goal) else "**missed**"


def machine_section(machine: dict[str, Any]) -> list[str]:
    """Where and how the numbers were measured."""
    rows = [[key, value] for key, value in machine.items()]
    return ["## Machine", "", *table(["", "value"], rows), ""]


def speed_section(speed: dict[str, Any]) -> list[str]:
    """Issues 5 and 11: throughput, ratios (raw and fair), size, load time and memory."""
    systems = speed["systems"]
    rows = [
        [
            SYSTEM_NAMES[name],
            s["docs_per_s"],
            s["vs_fasttext"],
            s["vs_naive"],
            s["docs_per_cpu_s"],
            s.get("vs_fasttext_raw"),
            s.get("vs_fasttext_fair"),
            s["model_mb"],
            s["load_s"],
            s["startup_s"],
            s["peak_rss_mb"],
        ]
        for name, s in systems.items()
    ]
    for key, name, system in (
        ("score", "threat-tagger `score --jobs 2`", "threat-tagger"),
        ("score_jobs1", "threat-tagger `score --jobs 1`", "threat-tagger"),
        ("score_fast", "threat-tagger fast.toml `score --jobs 2`", "threat-tagger-fast"),
    ):
        if key in speed:
            run = speed[key]
            rows.append(
                [
                    f"{name} (subprocess, end to end)",
                    run["docs_per_s"],
                    run["vs_fasttext"],
                    run["vs_naive"],
                    run.get("docs_per_cpu_s"),
                    None,
                    None,
                    systems[system]["model_mb"],
                    None,
                    None,
                    " / ".join(f"{k} {v}" for k, v in run["peak_rss_mb"].items()),
                ]
            )
    million = speed["score_1m"]
    goals = [
        [
            SPEED_GOALS[key],
            g["goal"],
            g["value"],
            _round_range(g.get("rounds", []), g["goal"]),
            _met(g["value"], g["goal"]),
        ]
        for key, g in speed["goals"].items()
    ]
    load = speed["load_average"]
    fasttext = systems["fasttext"]
    fair = (
        ""
        if "fair_docs_per_cpu_s" not in fasttext
        else (
            f" fastText's own rate with that preparation inside its clock (the fair basis): "
            f"{fasttext['fair_docs_per_cpu_s']:,.0f} docs/CPU-s against "
            f"{fasttext['docs_per_cpu_s']:,.0f} without it (the raw basis)."
        )
    )
    long_rows = [
        [
            SYSTEM_NAMES[name],
            s["n"],
            s["docs_per_cpu_s"],
            s.get("vs_fasttext_raw"),
            s.get("vs_fasttext_fair"),
        ]
        for name, s in speed.get("long_stories", {}).items()
    ]
    return [
        "## Speed (issues 5 and 11)",
        "",
        f"{speed['docs']:,} documents (the RAND `Description` column taken twice, read with csv);"
        f" all three systems trained on the same {speed['training_records']:,} records "
        "(Wikipedia converter output + data/demo). Each in-process row is the median of "
        f"{speed.get('in_process_rounds', 1)} fresh subprocesses (by docs/CPU-s; the systems'"
        " order reversed every other round; every run's rate is in BENCHMARKS.json); load time"
        " is the median of 5 fresh subprocesses (the load call only;"
        " start-up adds the imports). docs/CPU-s divides by the process's user+system CPU time,"
        " which is steadier than wall time on a shared machine; the raw and fair ratios divide"
        " docs/CPU-s. fastText's texts are lowercased and one-lined by Python first."
        + fair
        + " The fast.toml rows are threat-tagger trained on the same records with word unigrams"
        " only (no bigrams, no char n-grams in any head)." + _kernels_sentence(systems),
        "",
        *table(
            [
                "system",
                "docs/s",
                "vs fastText (wall)",
                "vs naive",
                "docs/CPU-s",
                "vs fastText raw (CPU)",
                "vs fastText fair (CPU)",
                "model (MB)",
                "load (s)",
                "start-up (s)",
                "peak RSS (MB)",
            ],
            rows,
        ),
        "",
        *(
            [
                f"Long stories: SATP stories of {LONG_WORDS}+ words, each taken twice, in process:",
                "",
                *table(
                    ["system", "docs", "docs/CPU-s", "vs fastText raw", "vs fastText fair"],
                    long_rows,
                ),
                "",
            ]
            if long_rows
            else []
        ),
        f"Memory while scoring {million['n']:,} documents with `threat-tagger score --jobs 2`"
        f" ({million['docs_per_s']:,.0f} docs/s, {million['wall_s']:.1f} s): peak RSS per process"
        " (VmHWM, polled every 0.1 s): "
        + ", ".join(f"{k} {v} MB" for k, v in million["peak_rss_mb"].items())
        + ".",
        "",
        *table(["goal", "target", "measured", "round by round", ""], goals),
        "",
        "The measured ratio divides the systems' median runs. Round by round: each round's"
        " threat-tagger run over the same round's fastText run (the jobs row: each round's"
        " `--jobs 1` wall time over its `--jobs 2` one), lowest to highest, with how many"
        " rounds meet the goal; the code is the same in every round, so the spread is the"
        " machine's noise.",
        "",
        *_jobs_lines(speed.get("score_rounds")),
        f"Load average (1/5/15 min) before: {load['before']}, after: {load['after']}"
        f" on {speed.get('cores', '?')} cores (above the core count, other jobs competed for the"
        f" CPU and wall-clock figures are pessimistic); section took {speed['seconds']:.0f} s"
        + (f" (run: `{speed['command']}`, {speed['measured']})." if "command" in speed else "."),
        "",
    ]


def _round_range(ratios: Sequence[float], goal: str) -> str:
    """'low-high (k of n meet the goal)' of per-round ratios, or '' when there are none."""
    if not ratios:
        return ""
    meeting = sum(goal_met(ratio, goal) for ratio in ratios)
    return f"{min(ratios)}-{max(ratios)} ({meeting} of {len(ratios)} meet it)"


def _jobs_lines(rounds: dict[str, Any] | None) -> list[str]:
    """What the alternating `score --jobs` rounds imply (none if they were not run)."""
    if not rounds:
        return []
    pair = (
        ""
        if "two_processes_vs_jobs1" not in rounds
        else (
            " Two `score --jobs 1` processes started together, one on each half of the"
            f" documents (wall s {rounds['pair_wall_s']}), finish"
            f" {rounds['two_processes_vs_jobs1']}x as fast as one on all of them: what this"
            " machine gives two independent processes, start-up included, with no"
            " coordination at all."
        )
    )
    return [
        f"`score --jobs 1` / `--jobs 2` rounds, alternating (wall s): {rounds['jobs1_wall_s']}"
        f" / {rounds['jobs2_wall_s']}; a one-document `score` (the serial start-up):"
        f" {rounds['startup_wall_s']}. After the start-up `--jobs 2` is"
        f" {rounds['jobs2_vs_jobs1_after_startup']}x `--jobs 1`; with the start-up once and"
        f" then the work halved it would be {rounds['jobs2_vs_jobs1_without_overhead']}x." + pair,
        "",
    ]


def accuracy_section(accuracy: dict[str, Any]) -> list[str]:
    """Issue 6: the rows, the trainings behind them and the cross-corpus matrix."""
    lines = [
        "## Accuracy (issue 6)",
        "",
        "Every system trained on the same records per row; naive and fastText tag at "
        "probability 0.5, threat-tagger uses its tuned per-label thresholds. SATP rows and "
        "the cross-corpus matrix restrict predictions to bombing, armed_assault, kidnap; "
        "false-tag shares count any tag at all.",
        "",
    ]
    rows = []
    for key in sorted(accuracy.get("rows", {}), key=int):
        r = accuracy["rows"][key]
        for metric, values in r["metrics"].items():
            goal = r["goals"].get(metric, "")
            tagger = values.get("threat-tagger")
            rows.append(
                [
                    r["row"],
                    r["title"],
                    r["n_test"],
                    metric,
                    *[values.get(c) for c in COLUMNS],
                    goal,
                    _met(tagger, goal) if goal and tagger is not None else None,
                ]
            )
    lines += table(
        [
            "#",
            "setting",
            "n test",
            "metric",
            "naive",
            "fastText",
            "threat-tagger",
            "goal",
            "threat-tagger vs goal",
        ],
        rows,
    )
    for key in sorted(accuracy.get("rows", {}), key=int):
        lines += details_section(accuracy["rows"][key])
    trainings = accuracy.get("trainings", {})
    if trainings:
        lines += ["", "Training sets (seconds to train each system):", ""]
        lines += table(
            ["training set", "what", "records", *COLUMNS],
            [
                [k, t["describe"], t["records"], *[t["seconds"].get(c) for c in COLUMNS]]
                for k, t in trainings.items()
            ],
        )
    if "matrix" in accuracy:
        lines += ["", *matrix_section(accuracy["matrix"])]
    for name, error in accuracy.get("errors", {}).items():
        lines += ["", f"**Row {name} failed in this run:** `{error}`"]
    return [*lines, ""]


def details_section(row: dict[str, Any]) -> list[str]:
    """A row's breakdowns ({title: {group: {item: {system: value}}}}), one table each."""
    lines: list[str] = []
    for title, groups in (row.get("details") or {}).items():
        rows = [
            [group, item, *[values.get(c) for c in COLUMNS]]
            for group, items in groups.items()
            for item, values in items.items()
        ]
        lines += ["", f"Row {row['row']}, {title}:", "", *table(["", "", *COLUMNS], rows)]
    return lines


def matrix_section(matrix: dict[str, Any]) -> list[str]:
    """Cross-corpus 3-type micro-F1, one cell per (train, test) as naive / fastText / ours."""
    names = matrix["corpora"]
    rows = []
    for source in names:
        cells = matrix["cells"][source]
        rows.append(
            [f"{source} ({matrix['training'][source]})"]
            + [
                " / ".join(_cell(cells[t].get(c)) for c in COLUMNS) if t in cells else "–"
                for t in names
            ]
        )
    header = ["train \\ test", *[f"{t} (n={matrix['n'][t]:,})" for t in names]]
    return [
        "### Cross-corpus matrix: 3-type micro-F1 (naive / fastText / threat-tagger)",
        "",
        *table(header, rows),
    ]


def experiments_section(experiments: Any) -> list[str]:
    """The accuracy engineer's trial table (train/bench/experiments.json: {"rows": [...]})."""
    trials = experiments.get("rows") if isinstance(experiments, dict) else experiments
    if not isinstance(trials, list) or not trials or not all(isinstance(t, dict) for t in trials):
        return []
    rows = [
        [
            t.get("dataset"),
            t.get("trial"),
            t.get("what"),
            _flat(t.get("dev")),
            None if t.get("delta") is None else f"{t.get('primary')} {t['delta']:+.4f}",
            t.get("kept"),
        ]
        for t in trials
    ]
    stamp = experiments.get("generated", "?") if isinstance(experiments, dict) else "?"
    return [
        "## Accuracy experiments (train/bench/experiments.json)",
        "",
        f"Trials judged on grouped dev splits carved from the training data (never a test "
        f"split), losers included; generated {stamp} by `python -m train.bench.experiments`."
        " Δ is against the shipped config's baseline.",
        "",
        *table(["dataset", "trial", "what changed", "dev metrics", "Δ primary", "kept"], rows),
        "",
    ]


def _flat(value: Any) -> Any:
    """Nested values as compact `key=value` text."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    return value


def _kernels_sentence(systems: dict[str, Any]) -> str:
    """Where threat-tagger's kernels came from in this run (`infer.kernels.backend`)."""
    backend = systems.get("threat-tagger", {}).get("kernels")
    if backend is None:
        return ""
    where = {
        "aot": "compiled ahead of time by `threat-tagger warm` (no numba import)",
        "jit": "numba's JIT cache",
    }
    return f" threat-tagger's kernels: {where.get(backend, backend)}."


def render(results: dict[str, Any]) -> str:
    """The whole BENCHMARKS.md."""
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{results['command']}` on {results['date']}; every figure in a section"
        " was measured in the same run (see the `measured` stamps in BENCHMARKS.json, which"
        " holds every number). Fixed seeds throughout.",
        "",
    ]
    stamps = {_stamp(section) for section in _sections(results)}
    if len(stamps) > 1:
        lines += [
            "> Sections come from different runs: " + "; ".join(sorted(stamps)) + ".",
            "",
        ]
    lines += machine_section(results["machine"])
    if "speed" in results:
        lines += speed_section(results["speed"])
    if "serve" in results:
        from train.bench.serve import serve_section

        lines += serve_section(results["serve"])
    if "accuracy" in results:
        lines += accuracy_section(results["accuracy"])
    if "cluster" in results:
        from train.bench.cluster import cluster_section

        lines += cluster_section(results["cluster"])
    if results.get("fast_rows"):
        from train.bench.fast_rows import fast_rows_section

        lines += fast_rows_section(results["fast_rows"], results.get("accuracy"))
    if results.get("window_study"):
        from train.bench.window_study import window_study_section

        lines += window_study_section(results["window_study"])
    if results.get("experiments"):
        lines += experiments_section(results["experiments"])
    if "total_seconds" in results:
        lines += [f"Total benchmark time: {results['total_seconds'] / 60:.1f} min.", ""]
    return "\n".join(lines)


def _stamp(section: dict[str, Any]) -> str:
    """When a part was measured, and at which commit when the run recorded it."""
    commit = section.get("commit")
    return f"{section.get('measured')}" + (f" (commit {commit})" if commit else "")


def _sections(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The separately measured parts (speed, each accuracy row, the matrix)."""
    accuracy = results.get("accuracy", {})
    parts = [results[key] for key in ("speed", "serve", "cluster") if key in results]
    parts += list(accuracy.get("rows", {}).values())
    return parts + ([accuracy["matrix"]] if "matrix" in accuracy else [])
