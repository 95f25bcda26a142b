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


# Every trial is compared with "baseline" (the shipped config as it is) on each dataset.
TRIALS: tuple[Trial, ...] = (
    Trial("baseline", "shipped config as is"),
    Trial("naive", "word 1-2 grams only: no char n-grams, NB scaling, boilerplate removal, "
          "gazetteer, windows or place fallback; country from 0.5; threshold 0.5",
          ("features.char=false", "model.nb_scaling=false", "features.strip_boilerplate=false",
           "features.gazetteer=false", "model.window_sentences=0",
           "model.country_min_probability=0.5", "model.place_fallback_share=0.0",
           "thresholds.floor=0.5", "thresholds.ceiling=0.5")),
    Trial("char", "add char_wb 3-5 grams", ("features.char=true",)),
    Trial("no-char", "drop char n-grams", ("features.char=false",)),
    Trial("word-1-3", "word 1-3 grams", ("features.word_ngram_range=[1, 3]",)),
    Trial("C=1", "weaker C (stronger regularisation)", ("model.C=1.0",)),
    Trial("C=16", "larger C", ("model.C=16.0",)),
    Trial("unweighted", "no class weighting", ("model.class_weight=\"none\"",)),
    Trial("fixed-0.5", "threshold 0.5 for every label (no tuning)",
          ("thresholds.floor=0.5", "thresholds.ceiling=0.5")),
    Trial("tuned-thresholds", "per-label thresholds tuned for F1 on the inner dev split "
          "(within [0.1, 0.9])", ("thresholds.floor=0.1", "thresholds.ceiling=0.9")),
    Trial("no-boilerplate-removal", "keep datelines and agency tags",
          ("features.strip_boilerplate=false",)),
    Trial("no-windows", "no sentence-window max pooling", ("model.window_sentences=0",)),
    Trial("windows-from-250", "window pooling only for texts of 250+ words",
          ("model.window_min_words=250",)),
    Trial("windows-from-150", "window pooling for texts of 150+ words",
          ("model.window_min_words=150",)),
    Trial("windows-2", "max pooling over 2-sentence windows", ("model.window_sentences=2",)),
    Trial("no-gazetteer", "no place-name block", ("features.gazetteer=false",)),
    Trial("gazetteer-w2", "place block weight 2", ("features.gazetteer_weight=2.0",)),
    Trial("thresholds-0.3-0.7", "tuned thresholds clipped to [0.3, 0.7]",
          ("thresholds.floor=0.3", "thresholds.ceiling=0.7")),
    Trial("char+fixed-0.5", "char_wb 3-5 grams and threshold 0.5",
          ("features.char=true", "thresholds.floor=0.5", "thresholds.ceiling=0.5")),
    Trial("geo-C=16", "larger C for the region and country heads", ("model.geo_C=16.0",)),
    Trial("country-min-0.3", "report the country from probability 0.3 (was 0.5)",
          ("model.country_min_probability=0.3",)),
    Trial("nb-scaling", "NB-SVM scaling of the features for each incident head",
          ("model.nb_scaling=true",)),
    Trial("char+nb", "char_wb 3-5 grams and NB-SVM scaling",
          ("features.char=true", "model.nb_scaling=true")),
    Trial("char+floor-0.5", "char_wb 3-5 grams, tuned thresholds never below 0.5",
          ("features.char=true", "thresholds.floor=0.5")),
    Trial("no-nb", "no NB-SVM scaling", ("model.nb_scaling=false",)),
    Trial("tune-from-30", "tune a label's threshold only with >= 30 dev positives (else 0.5)",
          ("thresholds.min_dev_positives=30",)),
    Trial("floor-0.5", "tuned thresholds never below 0.5", ("thresholds.floor=0.5",)),
    Trial("windows-3", "max pooling over 3-sentence windows", ("model.window_sentences=3",)),
    Trial("country-min-0.5", "report the country only from probability 0.5",
          ("model.country_min_probability=0.5",)),
    Trial("no-place-fallback", "no place-name fallback for the country",
          ("model.place_fallback_share=0.0",)),
    Trial("place-fallback", "unsure country head: report the country named by >= half of "
          "the place mentions", ("model.place_fallback_share=0.5",)),
    Trial("geo-all-columns", "region and country heads read every block and every word term "
          "(the heavy heads of format 1)",
          ('model.region_blocks=["word", "char", "places"]',
           'model.country_blocks=["word", "char", "places"]',
           "model.region_block_columns={}", "model.country_block_columns={}")),
    Trial("country-no-char", "country head reads 5k word terms and place names, no char n-grams",
          ('model.country_blocks=["word", "places"]',)),
    Trial("country-char-5000", "country head keeps 5k char n-grams (10k by default)",
          ("model.country_block_columns={word = 5000, char = 5000}",)),
    Trial("geo-by-chi2", "geo heads keep their blocks' best terms by chi2 against their "
          "labels (not the most frequent)", ('model.geo_selection="chi2"',)),
    Trial("gate", "attack gate: P(label) = P(attack) * P(label | attack), type heads fitted "
          "on attack records only", ("model.gate=true",)),
    Trial("gate-unweighted", "attack gate without class weighting (type heads balanced)",
          ("model.gate=true", "model.gate_class_weight=\"none\"")),
    Trial("satp-other-0", "SATP Other-only stories (attacks of an unnamed type) weigh 0 "
          "instead of being negatives", ("corpora.source_weights={\"satp:other\" = 0}",)),
    Trial("gate+satp-other-0", "attack gate, SATP Other-only stories weigh 0",
          ("model.gate=true", "corpora.source_weights={\"satp:other\" = 0}")),
    Trial("false-tag-limit-0.05", "thresholds raised until <= 5% of the inner dev split's "
          "non-attack records get a tag", ("thresholds.max_false_tag_share=0.05",)),
    Trial("gate+false-tag-limit-0.05", "attack gate and the 5% false-tag limit",
          ("model.gate=true", "thresholds.max_false_tag_share=0.05")),
    Trial("gate+false-tag-limit-0.03", "attack gate and a 3% false-tag limit",
          ("model.gate=true", "thresholds.max_false_tag_share=0.03")),
    Trial("gate-unweighted+limit-0.03", "unweighted attack gate and a 3% false-tag limit",
          ("model.gate=true", "model.gate_class_weight=\"none\"",
           "thresholds.max_false_tag_share=0.03")),
    Trial("fast", "train/configs/fast.toml: no char n-grams in any head, geo heads on 5k word "
          "terms + place names (for bulk scoring)",
          ("features.char=false", 'model.region_blocks=["word", "places"]',
           'model.country_blocks=["word", "places"]', "model.region_block_columns={word = 5000}",
           "model.country_block_columns={word = 5000}")),
    Trial("sgd", "incident and gate heads: SGDClassifier(log_loss), alpha = 1 / (C * n)",
          ('model.estimator="sgd"',)),
    Trial("svc", "incident and gate heads: LinearSVC + Platt sigmoid fitted on 3 held-out "
          "folds, folded into (w, b)", ('model.estimator="svc"',)),
)


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


def score(dataset: str, dev: list[dict], predictor: Predictor,
          unlabelled: set[str]) -> dict[str, float]:
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
        known = [(r["country"], p.country) for r, p in zip(dev, predictions, strict=True)
                 if r.get("country")]
        if known:
            out["country_accuracy"] = sum(a == b for a, b in known) / len(known)
        regions = [(r["region"], p.region) for r, p in zip(dev, predictions, strict=True)
                   if r.get("region")]
        if regions:
            out["region_accuracy"] = sum(a == b for a, b in regions) / len(regions)
        # records without a type that are not attacks (SATP non-attack stories, demo negatives)
        negatives = [i for i, r in enumerate(dev)
                     if not r["incident_types"] and r["source"] != OTHER_SOURCE]
        if negatives:
            out["false_tag_share"] = sum(bool(tags[i]) for i in negatives) / len(negatives)
    return {k: round(float(v), 4) for k, v in out.items()}


def run(datasets: Sequence[str], trials: Sequence[Trial],
        progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
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
                row = {"dataset": dataset, "config": f"{config_name}.toml", "trial": trial.name,
                       "what": trial.what, "overrides": list(trial.overrides),
                       "n_train": len(train), "n_dev": len(dev), "dev": metrics,
                       "seconds": round(time.perf_counter() - start, 1)}
                rows.append(row)
                progress(json.dumps(row))
    return judge(rows)


PRIMARY = {"satp-relevant": "samples_f1", "satp-all": "micro_f1", "wikipedia": "micro_f1",
           "wikipedia->satp": "micro_f1", "full": "micro_f1"}


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
    values (the baseline already includes it), else "no"."""
    baseline = {r["dataset"]: r["dev"] for r in rows if r["trial"] == "baseline"}
    for r in rows:
        metric = PRIMARY[r["dataset"].split("@")[0]]
        base = baseline.get(r["dataset"], {}).get(metric)
        value = r["dev"].get(metric)
        r["primary"] = metric
        r["delta"] = None if base is None or value is None else round(value - base, 4)
        if r["trial"] == "baseline":
            r["kept"] = "round baseline" if "@" in r["dataset"] else "shipped"
        else:
            r["kept"] = "yes" if shipped(r["config"], r["overrides"]) else "no"
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
    lines = ["| dataset | trial | what changed | dev metrics | Δ primary | kept |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in r["dev"].items())
        delta = "" if r["delta"] is None else f"{r['primary']} {r['delta']:+.3f}"
        lines.append(f"| {r['dataset']} | {r['trial']} | {r['what']} | {metrics} | {delta} "
                     f"| {r['kept']} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m train.bench.experiments")
    parser.add_argument("--only", action="append", choices=DATASETS, help="dataset(s) to run")
    parser.add_argument("--trials", help="comma-separated trial names (default: all)")
    parser.add_argument("--out", default=str(OUTPUT), help="JSON file to write")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other rows already in --out (replace same trial+dataset)")
    parser.add_argument("--rejudge", action="store_true",
                        help="run nothing: recompute deltas and 'kept' of --out")
    args = parser.parse_args(argv)
    out_path = Path(args.out)
    chosen = [t for t in TRIALS if not args.trials or t.name in args.trials.split(",")]
    if args.rejudge:
        rows = merge(out_path, [])
    else:
        rows = run(args.only or DATASETS, chosen)
        if args.merge:
            rows = merge(out_path, rows)
    order = {t.name: i for i, t in enumerate(TRIALS)}
    rows.sort(key=lambda r: ("@" in r["dataset"], DATASETS.index(r["dataset"].split("@")[0]),
                             r["dataset"], order.get(r["trial"], 99)))
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump({"generated": datetime.now(UTC).isoformat(timespec="seconds"),
                   "command": "python -m train.bench.experiments", "dev_size": DEV_SIZE,
                   "seed": SEED, "rows": rows}, out, indent=2)
        out.write("\n")
    print(table(rows))


if __name__ == "__main__":
    main()
