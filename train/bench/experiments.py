"""Issue 6's accuracy experiments: each trial judged on grouped dev splits of training data.

Run `python -m train.bench.experiments [--only DATASET] [--trials NAME,...]`. Every trial is
a set of config overrides on top of the shipped config (satp.toml for the SATP sets,
full.toml for the rest). The pipeline is the real one: `fit_model` on the train side of an
inner grouped split, thresholds tuned on its dev side, then scored on the outer dev split,
which is carved (grouped by near-duplicates) from training data only; no test split is read.
Writes train/bench/experiments.json and prints the table (losers included). Rows whose
dataset carries a suffix ("satp-all@explore-1") come from an earlier exploration round, judged
against that round's own baseline row; "kept" always compares with today's shipped configs.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from infer.predictor import Predictor
from infer.taxonomy import INCIDENT_TYPES
from train.bench import REPO_ROOT, THREE_TYPES
from train.bench.data import Corpora
from train.bench.systems import wikipedia_split
from train.config import Config, load_config, parse_set
from train.dedup import duplicate_groups
from train.fit import dev_evaluation, fit_model
from train.metrics import incident_metrics
from train.sources.satp import OTHER_SOURCE  # SATP Other-only stories: unnamed attacks
from train.splits import grouped_split

log = logging.getLogger("train.bench.experiments")
OUTPUT = REPO_ROOT / "train" / "bench" / "experiments.json"
CONFIGS = REPO_ROOT / "train" / "configs"
DEV_SIZE = 0.2
SEED = 13


@dataclass(frozen=True)
class Trial:
    """One change to try: config overrides (`section.key=value`) and what it means."""

    name: str
    what: str
    overrides: tuple[str, ...] = ()


TRIALS_FILE = REPO_ROOT / "train" / "bench" / "trials.json"


def load_trials(path: Path = TRIALS_FILE) -> tuple[Trial, ...]:
    """The trial table (a data file: name, what it changes, its config overrides). Every
    trial is compared with "baseline" (the shipped config as it is) on each dataset."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return tuple(Trial(row["name"], row["what"], tuple(row["overrides"])) for row in rows)


class Data:
    """The experiment datasets: (config name, outer train records, outer dev records)."""

    def __init__(self, corpora: Corpora) -> None:
        self.corpora = corpora

    @staticmethod
    def carve(records: list[dict]) -> tuple[list[dict], list[dict]]:
        """Grouped train/dev split (near-duplicates on one side)."""
        groups = duplicate_groups([r["text"] for r in records])
        train_idx, dev_idx = grouped_split(records, groups, test_size=DEV_SIZE, seed=SEED)
        return [records[i] for i in train_idx], [records[i] for i in dev_idx]

    @cache  # noqa: B019 - one Data per run
    def get(self, name: str) -> tuple[str, list[dict], list[dict]]:
        """A dataset by name."""
        c = self.corpora
        if name == "satp-all":
            return ("satp", *self.carve(c.satp_split(("train", "dev"), relevant_only=False)))
        if name == "satp-relevant":
            return ("satp", *self.carve(c.satp_split(("train", "dev"), relevant_only=True)))
        if name == "wikipedia":
            return ("full", *self.carve(wikipedia_split(c)[0]))
        if name == "full":
            return ("full", *self.carve(c.full_training))
        if name == "wikipedia->satp":
            wiki_train = self.get("wikipedia")[1]
            satp_dev = self.get("satp-all")[2]
            return ("full", wiki_train, [r for r in satp_dev if r["incident_types"]])
        raise KeyError(name)


DATASETS = ("satp-relevant", "satp-all", "wikipedia", "wikipedia->satp", "full")


def fit_with_thresholds(records: list[dict], config: Config) -> Predictor:
    """fit_model on an inner grouped split's train side, thresholds tuned on its dev side."""
    inner_train, inner_dev = Data.carve(records)
    model, _ = fit_model(inner_train, config)
    thresholds, _ = dev_evaluation(model, inner_dev, config)
    import dataclasses

    return Predictor(dataclasses.replace(model, thresholds=thresholds))


def score(
    dataset: str, dev: list[dict], predictor: Predictor, unlabelled: set[str]
) -> dict[str, float]:
    """The dev metrics that matter for a dataset."""
    predictions = predictor.predict([r["text"] for r in dev])
    tags = [list(p.incident_types) for p in predictions]
    truth = [r["incident_types"] for r in dev]
    out: dict[str, float] = {}
    if dataset.startswith("satp") or dataset.endswith("satp"):
        three = [[t for t in tag if t in THREE_TYPES] for tag in tags]
        m = incident_metrics(truth, three, THREE_TYPES)
        out["micro_f1"] = m["micro_f1"]
        out["samples_f1"] = m["samples_f1"]
        negatives = [i for i, r in enumerate(dev) if r["id"] in unlabelled]
        if negatives:
            out["false_tag_share"] = sum(bool(tags[i]) for i in negatives) / len(negatives)
        if dataset.endswith("->satp"):  # attack stories only: micro-F1 is the metric
            out = {"micro_f1": out["micro_f1"]}
    else:
        m = incident_metrics(truth, tags, INCIDENT_TYPES)
        out["micro_f1"], out["macro_f1"] = m["micro_f1"], m["macro_f1"]
        known = [
            (r["country"], p.country)
            for r, p in zip(dev, predictions, strict=True)
            if r.get("country")
        ]
        if known:
            out["country_accuracy"] = sum(a == b for a, b in known) / len(known)
        regions = [
            (r["region"], p.region)
            for r, p in zip(dev, predictions, strict=True)
            if r.get("region")
        ]
        if regions:
            out["region_accuracy"] = sum(a == b for a, b in regions) / len(regions)
        # records without a type that are not attacks (SATP non-attack stories, demo negatives)
        negatives = [
            i for i, r in enumerate(dev) if not r["incident_types"] and r["source"] != OTHER_SOURCE
        ]
        if negatives:
            out["false_tag_share"] = sum(bool(tags[i]) for i in negatives) / len(negatives)
    return {k: round(float(v), 4) for k, v in out.items()}


def run(
    datasets: Sequence[str], trials: Sequence[Trial], progress: Callable[[str], None] = print
) -> list[dict[str, Any]]:
    """Run every trial on every dataset; one result row each."""
    corpora = Corpora()
    data = Data(corpora)
    unlabelled = corpora.satp_unlabelled_ids()
    rows = []
    # datasets that share a training set (wikipedia, wikipedia->satp) share each trial's fit
    groups: dict[int, list[str]] = {}
    for dataset in datasets:
        groups.setdefault(id(data.get(dataset)[1]), []).append(dataset)
    for members in groups.values():
        config_name, train, _dev = data.get(members[0])
        for trial in trials:
            config = load_config(CONFIGS / f"{config_name}.toml", overrides=list(trial.overrides))
            start = time.perf_counter()
            predictor = fit_with_thresholds(train, config)
            for dataset in members:
                dev = data.get(dataset)[2]
                metrics = score(dataset, dev, predictor, unlabelled)
                row = {
                    "dataset": dataset,
                    "config": f"{config_name}.toml",
                    "trial": trial.name,
                    "what": trial.what,
                    "overrides": list(trial.overrides),
                    "n_train": len(train),
                    "n_dev": len(dev),
                    "dev": metrics,
                    "seconds": round(time.perf_counter() - start, 1),
                }
                rows.append(row)
                progress(json.dumps(row))
    return judge(rows)


PRIMARY = {
    "satp-relevant": "samples_f1",
    "satp-all": "micro_f1",
    "wikipedia": "micro_f1",
    "wikipedia->satp": "micro_f1",
    "full": "micro_f1",
}


def shipped(config_name: str, overrides: Sequence[str]) -> bool:
    """Whether the shipped config already has every value a trial sets."""
    config = load_config(CONFIGS / config_name)
    for item in overrides:
        section, key, value = parse_set(item)
        if getattr(getattr(config, section), key) != value:
            return False
    return True


def judge(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Delta of the primary metric against the baseline, and whether the change is kept:
    "shipped" for the baseline itself, "yes" when the shipped config carries the trial's
    values (the baseline already includes it), "in fast.toml" when only fast.toml (which
    extends full.toml) carries them, else "no"."""
    baseline = {r["dataset"]: r["dev"] for r in rows if r["trial"] == "baseline"}
    for r in rows:
        metric = PRIMARY[r["dataset"].split("@")[0]]
        base = baseline.get(r["dataset"], {}).get(metric)
        value = r["dev"].get(metric)
        r["primary"] = metric
        r["delta"] = None if base is None or value is None else round(value - base, 4)
        if r["trial"] == "baseline":
            r["kept"] = "round baseline" if "@" in r["dataset"] else "shipped"
        elif shipped(r["config"], r["overrides"]):
            r["kept"] = "yes"
        elif r["config"] == "full.toml" and shipped("fast.toml", r["overrides"]):
            r["kept"] = "in fast.toml"
        else:
            r["kept"] = "no"
    return rows


def merge(path: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of an earlier run in `path`, replaced by this run's rows of the same
    (dataset, trial), then re-judged against the current configs."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))["rows"]
    except (OSError, ValueError, KeyError):
        old = []
    fresh = {(r["dataset"], r["trial"]) for r in rows}
    return judge([r for r in old if (r["dataset"], r["trial"]) not in fresh] + rows)


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown table of the results."""
    lines = [
        "| dataset | trial | what changed | dev metrics | Δ primary | kept |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in r["dev"].items())
        delta = "" if r["delta"] is None else f"{r['primary']} {r['delta']:+.3f}"
        lines.append(
            f"| {r['dataset']} | {r['trial']} | {r['what']} | {metrics} | {delta} | {r['kept']} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m train.bench.experiments")
    parser.add_argument("--only", action="append", choices=DATASETS, help="dataset(s) to run")
    parser.add_argument("--trials", help="comma-separated trial names (default: all)")
    parser.add_argument("--out", default=str(OUTPUT), help="JSON file to write")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other rows already in --out (replace same trial+dataset)",
    )
    parser.add_argument(
        "--rejudge", action="store_true", help="run nothing: recompute deltas and 'kept' of --out"
    )
    args = parser.parse_args(argv)
    out_path = Path(args.out)
    trials = load_trials()
    chosen = [t for t in trials if not args.trials or t.name in args.trials.split(",")]
    if args.rejudge:
        rows = merge(out_path, [])
    else:
        rows = run(args.only or DATASETS, chosen)
        if args.merge:
            rows = merge(out_path, rows)
    order = {t.name: i for i, t in enumerate(trials)}
    rows.sort(
        key=lambda r: (
            "@" in r["dataset"],
            DATASETS.index(r["dataset"].split("@")[0]),
            r["dataset"],
            order.get(r["trial"], 99),
        )
    )
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(
            {
                "generated": datetime.now(UTC).isoformat(timespec="seconds"),
                "command": "python -m train.bench.experiments",
                "dev_size": DEV_SIZE,
                "seed": SEED,
                "rows": rows,
            },
            out,
            indent=2,
        )
        out.write("\n")
    print(table(rows))


if __name__ == "__main__":
    main()
