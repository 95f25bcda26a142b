"""Issue 6's accuracy table (rows 1-6) and the cross-corpus matrix, for all three systems."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from infer.taxonomy import INCIDENT_TYPES
from train.bench import THREE_TYPES
from train.bench.data import LONG_STORY_WORDS, PUBLISHERS, has_any
from train.bench.roundups import round_ups
from train.bench.systems import TRAININGS, Systems, wikipedia_split
from train.metrics import incident_metrics

log = logging.getLogger("train.bench")
NEWS_GOAL = "<= 0.005"  # issue 10: false-tag share on ordinary news, per held-out publisher
MIN_CATEGORY = 100  # smaller categories are reported together
OTHER_CATEGORIES = "other categories"
ROUND_UPS = 400  # round-ups per source in the long-stories row
LONG_STORY_TRAINING = "full-minus-reuters21578"  # its fillers come from the held-out Reuters
MATRIX_CORPORA = ("wikipedia", "satp", "case", "rand")
MATRIX_TRAINING = {"wikipedia": "wikipedia", "satp": "satp-all", "case": "case", "rand": "rand"}


def restrict(predictions: list[list[str]], labels: tuple[str, ...]) -> list[list[str]]:
    """Keep only the given labels in each prediction."""
    return [[label for label in p if label in labels] for p in predictions]


def tag_share(predictions: list[list[str]]) -> float:
    """Share of records given any tag at all."""
    return round(sum(bool(p) for p in predictions) / len(predictions), 4) if predictions else 0.0


def scores(
    records: list[dict], predictions: list[list[str]], labels: tuple[str, ...], metric: str
) -> float:
    """One incident metric over `labels` (truth and predictions restricted to them)."""
    truth = [r["incident_types"] for r in records]
    return incident_metrics(truth, restrict(predictions, labels), labels)[metric]


def per_system(
    records: list[dict], tags: dict[str, list[list[str]]], labels: tuple[str, ...], metric: str
) -> dict[str, float]:
    """One incident metric over `labels` for each system's predictions."""
    return {k: scores(records, v, labels, metric) for k, v in tags.items()}


def attacks_and_false_tags(
    records: list[dict], tags: dict[str, list[list[str]]], negatives: list[int]
) -> dict[str, dict[str, float]]:
    """Per system, 3-type micro-F1 and the share of the non-attacks (`negatives`, record
    indices) given any tag."""
    return {
        "micro_f1": per_system(records, tags, THREE_TYPES, "micro_f1"),
        "false_tag_share": {k: tag_share([v[i] for i in negatives]) for k, v in tags.items()},
    }


def row(
    number: int,
    title: str,
    train: str,
    test: str,
    n_test: int,
    metrics: dict[str, dict[str, float]],
    goals: dict[str, str],
) -> dict[str, Any]:
    """One row of the table as plain data."""
    return {
        "row": number,
        "title": title,
        "train": train,
        "test": test,
        "n_test": n_test,
        "metrics": metrics,
        "goals": goals,
    }


def row1(s: Systems) -> dict[str, Any]:
    """SATP relevant setting: samples-F1 over the 3 types (Other-only stories should get none)."""
    test = s.corpora.satp_split(("test",), relevant_only=True)
    tags = s.tags("satp-relevant", "satp-relevant-test", test)
    return row(
        1,
        "SATP relevant (ConfliBERT's setting)",
        "satp-relevant",
        "SATP test stories with any SATP label",
        len(test),
        {"samples_f1": per_system(test, tags, THREE_TYPES, "samples_f1")},
        {"samples_f1": ">= 0.92"},
    )


def row2(s: Systems) -> dict[str, Any]:
    """SATP all stories: 3-type micro-F1 and the false-tag share on unlabelled stories."""
    test = s.corpora.satp_split(("test",), relevant_only=False)
    unlabelled = s.corpora.satp_unlabelled_ids()
    tags = s.tags("satp-all", "satp-all-test", test)
    negatives = [i for i, r in enumerate(test) if r["id"] in unlabelled]
    return row(
        2,
        "SATP all stories",
        "satp-all",
        "every SATP test story",
        len(test),
        attacks_and_false_tags(test, tags, negatives),
        {"micro_f1": ">= 0.80", "false_tag_share": "<= 0.05"},
    )


def row3(s: Systems) -> dict[str, Any]:
    """Wikipedia grouped 80/20 split, all 7 types: micro and macro F1."""
    _train, test = wikipedia_split(s.corpora)
    tags = s.tags("wikipedia-80", "wikipedia-20", test)
    return row(
        3,
        "Wikipedia grouped 80/20 split, 7 types",
        "wikipedia-80",
        "Wikipedia, test side of the grouped split",
        len(test),
        {
            "micro_f1": per_system(test, tags, INCIDENT_TYPES, "micro_f1"),
            "macro_f1": per_system(test, tags, INCIDENT_TYPES, "macro_f1"),
        },
        {"micro_f1": ">= 0.93", "macro_f1": ">= 0.85"},
    )


def row4(s: Systems) -> dict[str, Any]:
    """The full model on CASE 2021: 3-type micro-F1 and the false-tag share on non-attacks."""
    test = s.corpora.case
    tags = s.tags("full", "case", test)
    negatives = [i for i, r in enumerate(test) if not r["incident_types"]]
    return row(
        4,
        "Full model on CASE 2021 snippets",
        "full",
        "CASE 2021 (converted)",
        len(test),
        attacks_and_false_tags(test, tags, negatives),
        {"micro_f1": ">= 0.80", "false_tag_share": "<= 0.10"},
    )


def row5(s: Systems) -> dict[str, Any]:
    """Trained on Wikipedia alone, scored on SATP attack stories: 3-type micro-F1."""
    satp = [r for r, _labelled in s.corpora.satp]
    tags = s.tags("wikipedia", "satp", satp)
    keep = [i for i, r in enumerate(satp) if has_any(r)]
    test = [satp[i] for i in keep]
    return row(
        5,
        "Wikipedia -> SATP attack stories",
        "wikipedia",
        "SATP stories (all splits) with any of the 3 types",
        len(test),
        {
            "micro_f1": per_system(
                test, {k: [v[i] for i in keep] for k, v in tags.items()}, THREE_TYPES, "micro_f1"
            )
        },
        {"micro_f1": ">= 0.92"},
    )


def row6(s: Systems) -> dict[str, Any]:
    """Country and region from text on RAND, whose places the full model never saw."""
    test = s.corpora.rand
    geo = s.geo("full", "rand", test)
    with_country = [i for i, r in enumerate(test) if r["country"]]
    with_region = [i for i, r in enumerate(test) if r["region"]]

    def accuracy(pairs: list[tuple], field: int, name: str, idx: list[int]) -> float:
        hits = sum(pairs[i][field] == test[i][name] for i in idx)
        return round(hits / len(idx), 4) if idx else 0.0

    return row(
        6,
        "Country from text on RAND (unseen places)",
        "full",
        "RAND (converted, dateline stripped)",
        len(with_country),
        {
            "country_accuracy": {
                k: accuracy(v, 1, "country", with_country) for k, v in geo.items()
            },
            "region_accuracy": {k: accuracy(v, 0, "region", with_region) for k, v in geo.items()},
            # a region withheld (no evidence above the head's base rate) is a miss above and
            # left out here: the precision of the regions given
            "region_accuracy_when_given": {
                k: accuracy(v, 0, "region", [i for i in with_region if v[i][0]])
                for k, v in geo.items()
            },
        },
        {"country_accuracy": ">= 0.95", "region_accuracy": ">= 0.97"},
    )


def row7(s: Systems) -> dict[str, Any]:
    """Ordinary news (no attacks): the false-tag share on a publisher held out of training,
    for each publisher, overall and per category."""
    metrics: dict[str, dict[str, float]] = {}
    per_category: dict[str, dict[str, dict[str, float]]] = {}
    n_test = 0
    for name in PUBLISHERS:
        test = s.corpora.publisher(name)
        n_test += len(test)
        tags = s.tags(f"full-minus-{name}", f"news-{name}", test)
        metrics[f"false_tag_share_{name}"] = {k: tag_share(v) for k, v in tags.items()}
        by_category: dict[str, list[int]] = {}
        for i, record in enumerate(test):
            by_category.setdefault(record["category"], []).append(i)
        small = [c for c, rows in by_category.items() if len(rows) < MIN_CATEGORY]
        for category in small:  # Reuters has ~100 topics, most of them a handful of stories
            by_category.setdefault(OTHER_CATEGORIES, []).extend(by_category.pop(category))
        per_category[name] = {
            f"{category} (n={len(rows)})": {
                k: tag_share([v[i] for i in rows]) for k, v in tags.items()
            }
            for category, rows in sorted(by_category.items(), key=lambda kv: -len(kv[1]))
        }
    out = row(
        7,
        "Ordinary news, publisher held out of training",
        "full-minus-<publisher>",
        "the held-out publisher's items (AG News, Reuters-21578; all non-attacks)",
        n_test,
        metrics,
        dict.fromkeys(metrics, NEWS_GOAL),
    )
    out["details"] = {"false_tag_share per category": per_category}
    return out


def every_type_share(
    records: list[dict], predictions: list[list[str]], labels: tuple[str, ...]
) -> float:
    """Share of the stories reporting any of `labels` that get every one they report."""
    pairs = [
        (set(r["incident_types"]) & set(labels), set(p))
        for r, p in zip(records, predictions, strict=True)
    ]
    wanted = [truth <= got for truth, got in pairs if truth]
    return round(sum(wanted) / len(wanted), 4) if wanted else 0.0


def long_stories(s: Systems) -> tuple[list[dict], list[dict]]:
    """Round-ups of Wikipedia's test-side reports, and SATP's long test stories plus round-ups
    of its test-split reports; the filler is Reuters news the training never saw."""
    news = s.corpora.publisher("reuters21578")
    _train, wikipedia = wikipedia_split(s.corpora)
    satp_test = s.corpora.satp_split(("test",), relevant_only=True)
    satp = [r for r in satp_test if len(r["text"].split()) >= LONG_STORY_WORDS and has_any(r)]
    satp += round_ups([r for r in satp_test if has_any(r)], news, ROUND_UPS, 2, "satp-roundup")
    return round_ups(wikipedia, news, ROUND_UPS, 1, "wikipedia-roundup"), satp


def row8(s: Systems) -> dict[str, Any]:
    """Long multi-event stories: micro-F1 and the share of stories given every type reported."""
    wikipedia, satp = long_stories(s)
    wiki_tags = s.tags(LONG_STORY_TRAINING, "long-wikipedia", wikipedia)
    satp_tags = s.tags(LONG_STORY_TRAINING, "long-satp", satp)
    return row(
        8,
        "Long stories (round-ups of held-out reports + unseen news)",
        LONG_STORY_TRAINING,
        "Wikipedia test-side round-ups (7 types); SATP test long stories and round-ups (3 types)",
        len(wikipedia) + len(satp),
        {
            "wikipedia_micro_f1": per_system(wikipedia, wiki_tags, INCIDENT_TYPES, "micro_f1"),
            "wikipedia_every_type": {
                k: every_type_share(wikipedia, v, INCIDENT_TYPES) for k, v in wiki_tags.items()
            },
            "satp_micro_f1": per_system(satp, satp_tags, THREE_TYPES, "micro_f1"),
            "satp_every_type": {
                k: every_type_share(satp, v, THREE_TYPES) for k, v in satp_tags.items()
            },
        },
        {},
    )


ROWS: dict[str, Callable[[Systems], dict[str, Any]]] = {
    "1": row1,
    "2": row2,
    "3": row3,
    "4": row4,
    "5": row5,
    "6": row6,
    "7": row7,
    "8": row8,
}


def matrix_targets(s: Systems) -> dict[str, list[dict]]:
    """What each corpus is scored on: every record (SATP: converter output, all splits)."""
    return {
        "wikipedia": s.corpora.wikipedia,
        "satp": [r for r, _labelled in s.corpora.satp],
        "case": s.corpora.case,
        "rand": s.corpora.rand,
    }


def cross_corpus(s: Systems) -> dict[str, Any]:
    """Train on each shared corpus, score every other one: 3-type micro-F1 per system."""
    targets = matrix_targets(s)
    cells: dict[str, dict[str, dict[str, float]]] = {}
    for source in MATRIX_CORPORA:
        key = MATRIX_TRAINING[source]
        cells[source] = {}
        for target in MATRIX_CORPORA:
            if target == source:
                continue
            tags = s.tags(key, target, targets[target])
            cells[source][target] = per_system(targets[target], tags, THREE_TYPES, "micro_f1")
    return {
        "corpora": list(MATRIX_CORPORA),
        "training": MATRIX_TRAINING,
        "n": {name: len(records) for name, records in targets.items()},
        "cells": cells,
    }


def run_accuracy(s: Systems, rows: list[str]) -> dict[str, Any]:
    """Compute the selected rows (and "matrix") and return them with timings."""
    start = time.perf_counter()
    out: dict[str, Any] = {"rows": {}}
    for name in rows:
        log.info("accuracy row %s", name)
        try:
            if name == "matrix":
                out["matrix"] = cross_corpus(s)
            else:
                out["rows"][name] = ROWS[name](s)
        except Exception as error:  # one failing row must not lose the others
            log.exception("accuracy row %s failed", name)
            out.setdefault("errors", {})[name] = f"{type(error).__name__}: {error}"
    out["trainings"] = {
        key: {
            "describe": TRAININGS[key].describe,
            "records": s.train_sizes.get(key),
            "seconds": seconds,
        }
        for key, seconds in s.train_seconds.items()
    }
    out["seconds"] = round(time.perf_counter() - start, 1)
    return out


def goal_met(value: float, goal: str) -> bool:
    """Whether a figure meets a goal written as '>= 0.92' or '<= 0.05'."""
    op, target = goal.split()
    return value >= float(target) if op == ">=" else value <= float(target)
