"""fast.toml on the accuracy rows: is the fast profile more accurate than fastText on each?

Issue 11 asks the fast profile to reach fastText's speed "while staying more accurate than
fastText on every accuracy row". The accuracy section measures models/full (full.toml); this
study trains threat-tagger with fast.toml instead wherever a row trains with full.toml (rows
3-8: fast.toml is full.toml without char n-grams, word unigrams only) on the same records,
scores the same test sets, and sets each figure beside fastText's and full.toml's from the
accuracy section. Rows 1 and 2 train with satp.toml, which has no fast variant, so they are
not run.

Run `python -m train.bench.fast_rows [--rows 3,4] [--work-dir DIR]`; it writes
train/bench/fast_rows.json, which `make bench` renders in BENCHMARKS.md ("fast.toml on the
accuracy rows").
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from train.bench import REPO_ROOT

log = logging.getLogger("train.bench")
STUDY_FILE = REPO_ROOT / "train" / "bench" / "fast_rows.json"
ROWS = ("3", "4", "5", "6", "7", "8")
LOWER_IS_BETTER = ("false_tag_share",)  # metric-name prefixes


def run(work_dir: Path, rows: Sequence[str] = ROWS) -> dict[str, Any]:
    """The rows' metrics of threat-tagger trained with fast.toml where they use full.toml."""
    from train.bench.accuracy import run_accuracy
    from train.bench.data import Corpora
    from train.bench.systems import Systems

    systems = Systems(Corpora(), work_dir, ("threat-tagger",), configs={"full": "fast"})
    measured = run_accuracy(systems, list(rows))
    if measured.get("errors"):
        raise RuntimeError(f"rows failed: {measured['errors']}")
    return {
        "rows": {
            name: {
                "title": row["title"],
                "n_test": row["n_test"],
                "metrics": {m: v["threat-tagger"] for m, v in row["metrics"].items()},
            }
            for name, row in measured["rows"].items()
        },
        "trainings": measured.get("trainings", {}),
    }


def better(metric: str, ours: float, theirs: float) -> bool:
    """Whether `ours` beats `theirs` on the metric (lower is better for false-tag shares)."""
    if metric.startswith(LOWER_IS_BETTER):
        return ours < theirs
    return ours > theirs


def comparison(study: dict[str, Any], accuracy: dict[str, Any] | None) -> list[list[Any]]:
    """Per row and metric: fast.toml, fastText and full.toml (from the accuracy section's
    rows, when there) and whether fast.toml beats fastText."""
    out = []
    for name, row in study["rows"].items():
        reference = ((accuracy or {}).get("rows", {}).get(name) or {}).get("metrics", {})
        for metric, value in row["metrics"].items():
            others = reference.get(metric, {})
            fasttext, full = others.get("fasttext"), others.get("threat-tagger")
            verdict = (
                "–" if fasttext is None else "yes" if better(metric, value, fasttext) else "**no**"
            )
            out.append([name, row["title"], metric, fasttext, full, value, verdict])
    return out


def fast_rows_section(study: dict[str, Any], accuracy: dict[str, Any] | None) -> list[str]:
    """The study's section of BENCHMARKS.md."""
    rows = comparison(study, accuracy)
    beaten = [r for r in rows if r[-1] == "**no**"]
    later = [
        f"Row {name} re-measured {row['generated']} at commit {row.get('commit', '?')} "
        "(`--merge`). "
        for name, row in study["rows"].items()
        if row.get("generated") and row["generated"] != study.get("generated")
    ]
    lines = [
        "## fast.toml on the accuracy rows (train/bench/fast_rows.json)",
        "",
        "threat-tagger trained with fast.toml (full.toml without char n-grams, word unigrams "
        "only) in place of "
        f"full.toml on the rows that train with full.toml, same records and test sets; "
        f"generated {study.get('generated', '?')} at commit {study.get('commit', '?')} by "
        "`python -m train.bench.fast_rows`. fastText and full.toml: the accuracy section above. "
        "Rows 1 and 2 train with satp.toml (no fast variant) and are not run. "
        + "".join(later)
        + (
            f"fast.toml is behind fastText on {len(beaten)} of {len(rows)} figures."
            if beaten
            else f"fast.toml is ahead of fastText on all {len(rows)} figures."
        ),
        "",
        "| # | setting | metric | fastText | threat-tagger full.toml | threat-tagger fast.toml "
        "| fast.toml better than fastText |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, title, metric, fasttext, full, value, verdict in rows:
        cells = ["–" if v is None else f"{v:.4f}" for v in (fasttext, full, value)]
        lines.append(f"| {name} | {title} | {metric} | {' | '.join(cells)} | {verdict} |")
    return [*lines, ""]


def merged(previous: dict[str, Any], fresh: dict[str, Any], stamp: dict[str, str]):
    """`previous` with the rows (and trainings) of `fresh` in place of its own, each fresh row
    stamped with when and at which commit it was measured; the file's own stamp stays."""
    rows = dict(previous.get("rows", {}))
    for name, row in fresh["rows"].items():
        rows[name] = {**row, **stamp}
    trainings = {**previous.get("trainings", {}), **fresh.get("trainings", {})}
    ordered = dict(sorted(rows.items(), key=lambda item: ROWS.index(item[0])))
    return {**previous, "rows": ordered, "trainings": trainings}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=",".join(ROWS), help="rows to run, e.g. 3,6")
    parser.add_argument("--work-dir", type=Path, help="keep the models and temp files here")
    parser.add_argument("--out", type=Path, default=STUDY_FILE, help="the JSON file to write")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other rows of --out; the rows run now carry their own date and commit",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    rows = [r for r in args.rows.split(",") if r]
    unknown = sorted(set(rows) - set(ROWS))
    if unknown:
        parser.error(f"rows {', '.join(unknown)} train with satp.toml or do not exist")
    with tempfile.TemporaryDirectory() as scratch:
        work_dir = args.work_dir or Path(scratch)
        work_dir.mkdir(parents=True, exist_ok=True)
        study = run(work_dir, rows)
    from train.bench.__main__ import git_commit

    stamp = {
        "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": git_commit(),
    }
    if args.merge and args.out.exists():
        study = merged(json.loads(args.out.read_text(encoding="utf-8")), study, stamp)
    else:
        study = {**stamp, **study}
    args.out.write_text(json.dumps(study, indent=2) + "\n", encoding="utf-8")
    accuracy = None
    benchmarks = REPO_ROOT / "BENCHMARKS.json"
    if benchmarks.exists():
        accuracy = json.loads(benchmarks.read_text(encoding="utf-8")).get("accuracy")
    print("\n".join(fast_rows_section(study, accuracy)))


if __name__ == "__main__":
    main()
