"""How long stories are pooled: window size, chosen on dev data only (issue 10).

One full.toml model is trained without the Reuters news, without Wikipedia's grouped test side
(bench row 8's stories), without a grouped 15% tuning part of Wikipedia's training side, and
without SATP's dev split. It is then scored, with each window size, on what it never saw:
- round-ups of the Wikipedia tuning part's reports with Reuters filler (7 types);
- SATP dev's long stories and round-ups of its reports with Reuters filler (3 types);
- SATP dev's stories with no SATP label and the Reuters news: the share given any tag.

No test split is read. Run `python -m train.bench.window_study [--work-dir DIR]`; it prints a
Markdown table and writes train/bench/window_study.json, which `make bench` renders in
BENCHMARKS.md ("Long stories: window size").
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from infer.predictor import Predictor
from infer.taxonomy import INCIDENT_TYPES
from train.bench import REPO_ROOT, THREE_TYPES
from train.bench.accuracy import ROUND_UPS, every_type_share, scores, tag_share
from train.bench.data import LONG_STORY_WORDS, Corpora, has_any
from train.bench.roundups import round_ups
from train.bench.systems import publisher_held_out, wikipedia_split
from train.bench.tagger import ThreatTaggerModel, config_path

log = logging.getLogger("train.bench")
HELD_OUT_PUBLISHER = "reuters21578"
TUNING_SHARE = 0.15
TUNING_SEED = 7
WINDOW_SIZES = (0, 1, 2, 3)  # 0: no windows, the whole text only
STUDY_FILE = REPO_ROOT / "train" / "bench" / "window_study.json"


def tuning_sets(corpora: Corpora) -> tuple[list[dict], dict[str, list[dict]]]:
    """The study's training records and its dev sets (see the module docstring)."""
    from train.dedup import duplicate_groups
    from train.splits import grouped_split

    wikipedia_train, _test = wikipedia_split(corpora)
    groups = duplicate_groups([r["text"] for r in wikipedia_train])
    _keep, tune_idx = grouped_split(
        wikipedia_train, groups, test_size=TUNING_SHARE, seed=TUNING_SEED
    )
    tune = [wikipedia_train[i] for i in tune_idx]
    satp_dev = corpora.satp_split(("dev",), relevant_only=False)
    left_out = {r["id"] for r in tune} | {r["id"] for r in satp_dev}
    training = [
        r for r in publisher_held_out(corpora, HELD_OUT_PUBLISHER) if r["id"] not in left_out
    ]
    news = corpora.publisher(HELD_OUT_PUBLISHER)
    satp_reports = [r for r in satp_dev if has_any(r)]
    satp_long = [r for r in satp_reports if len(r["text"].split()) >= LONG_STORY_WORDS]
    return training, {
        "wikipedia_roundups": round_ups(tune, news, ROUND_UPS, 1, "wikipedia-tune-roundup"),
        "satp_long": satp_long + round_ups(satp_reports, news, ROUND_UPS, 2, "satp-dev-roundup"),
        "satp_no_label": [r for r in satp_dev if not has_any(r)],
        "reuters": news,
    }


def measure(predictor: Predictor, sets: dict[str, list[dict]]) -> dict[str, float]:
    """The study's figures for one predictor."""

    def tags(records: list[dict]) -> list[list[str]]:
        return [list(p.incident_types) for p in predictor.predict([r["text"] for r in records])]

    wiki, satp = sets["wikipedia_roundups"], sets["satp_long"]
    wiki_tags, satp_tags = tags(wiki), tags(satp)
    return {
        "wikipedia_micro_f1": scores(wiki, wiki_tags, INCIDENT_TYPES, "micro_f1"),
        "wikipedia_every_type": every_type_share(wiki, wiki_tags, INCIDENT_TYPES),
        "satp_micro_f1": scores(satp, satp_tags, THREE_TYPES, "micro_f1"),
        "satp_every_type": every_type_share(satp, satp_tags, THREE_TYPES),
        "satp_no_label_false_tags": tag_share(tags(sets["satp_no_label"])),
        "reuters_false_tags": tag_share(tags(sets["reuters"])),
    }


def run(work_dir: Path) -> dict[str, Any]:
    """Train the study's model once and measure every window size."""
    corpora = Corpora()
    training, sets = tuning_sets(corpora)
    log.info("window study: training on %d records", len(training))
    trained = ThreatTaggerModel(config_path("full"), work_dir, "window-study").fit_records(training)
    model = trained.predictor.model
    results = {}
    for size in WINDOW_SIZES:
        log.info("window study: windows of %d sentences", size)
        variant = dataclasses.replace(model, window_sentences=size)
        results[str(size)] = measure(Predictor(variant), sets)
    return {
        "training_records": len(training),
        "window_min_words": model.window_min_words,
        "shipped_window_sentences": model.window_sentences,
        "n": {k: len(v) for k, v in sets.items()},
        "results": results,
    }


def table(study: dict[str, Any]) -> str:
    """The study as a Markdown table."""
    n = study["n"]
    lines = [
        f"Windows from {study['window_min_words']} words; a model trained on "
        f"{study['training_records']:,} records (full.toml's, less Reuters, Wikipedia's test "
        "side and tuning part, and SATP dev). Shipped: "
        f"{study['shipped_window_sentences']} sentences.",
        "",
        "| window (sentences) | Wikipedia round-ups micro-F1 / every type "
        f"(n={n['wikipedia_roundups']}) | SATP dev long micro-F1 / every type "
        f"(n={n['satp_long']}) | false tags: SATP dev no label (n={n['satp_no_label']}) "
        f"/ Reuters (n={n['reuters']}) |",
        "|---|---|---|---|",
    ]
    for size, r in study["results"].items():
        name = "none (whole text)" if size == "0" else size
        lines.append(
            f"| {name} | {r['wikipedia_micro_f1']:.4f} / {r['wikipedia_every_type']:.3f} "
            f"| {r['satp_micro_f1']:.4f} / {r['satp_every_type']:.3f} "
            f"| {r['satp_no_label_false_tags']:.4f} / {r['reuters_false_tags']:.4f} |"
        )
    return "\n".join(lines)


def window_study_section(study: dict[str, Any]) -> list[str]:
    """The study's section of BENCHMARKS.md."""
    return [
        "## Long stories: window size (train/bench/window_study.json)",
        "",
        f"Dev data only (no test split); generated {study.get('generated', '?')} at commit "
        f"{study.get('commit', '?')} by `python -m train.bench.window_study`.",
        "",
        table(study),
        "",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", type=Path, help="keep the model and temp files here")
    parser.add_argument("--out", type=Path, default=STUDY_FILE, help="the JSON file to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory() as scratch:
        work_dir = args.work_dir or Path(scratch)
        work_dir.mkdir(parents=True, exist_ok=True)
        study = run(work_dir)
    from train.bench.__main__ import git_commit

    stamp = {
        "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": git_commit(),
    }
    study = {**stamp, **study}
    args.out.write_text(json.dumps(study, indent=2) + "\n", encoding="utf-8")
    print(table(study))


if __name__ == "__main__":
    main()
