"""The model card (README.md) of a model folder, and its plots (drawn by train.plots)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from train.card_terms import licences, limitations
from train.plots import CALIBRATION_PLOT, PR_PLOT, plot_calibration, plot_precision_recall


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join("n/a" if cell is None else str(cell) for cell in row) + " |"
        for row in rows
    ]
    return lines


def _pct(value: float | None) -> str:
    """0.1234 -> '12.3%' (None, measured on nothing: 'n/a')."""
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _block(spec: Mapping[str, Any]) -> str:
    """One feature block in words."""
    if spec.get("analyzer") == "places":
        return (
            "place names matched against a gazetteer (GeoNames towns and the taxonomy's "
            "country names), each turned into a feature for its country"
        )
    low, high = spec.get("ngram_range", (1, 1))
    unit = "character (within words)" if spec.get("analyzer") == "char_wb" else "word"
    return f"TF-IDF of {unit} {low}-{high}-grams"


def _how_it_works(meta: Mapping[str, Any]) -> list[str]:
    """Features, heads and pooling in a few lines."""
    lines = [
        "## How it works",
        "",
        "- Features: " + "; ".join(_block(spec) for spec in meta["features"]) + ".",
        "- Incident types: one logistic regression per label on the shared features, each "
        "with its own threshold tuned on the dev split (a text can get several tags).",
        "- Region and country: one multinomial logistic regression each, tied together by "
        "the consistency rule below.",
        "- Every tag can be explained: `Predictor.explain` lists the n-grams whose weight x "
        "TF-IDF value pushed it, and they add up exactly to the decision score.",
    ]
    pooling = meta.get("pooling") or {}
    if pooling.get("window_sentences"):
        lines.append(
            f"- Long texts (at least {pooling['window_min_words']} words) are also "
            f"scored in windows of {pooling['window_sentences']} sentences; each "
            "label's probability is the larger of the whole text's and the best "
            "window's, so one paragraph about an attack is not diluted by the rest."
        )
    return [*lines, ""]


def _data_section(meta: Mapping[str, Any]) -> list[str]:
    """Corpora with counts and fingerprints, and the label counts."""
    training = meta["training"]
    per_label = training["per_label"]
    return [
        "## Data",
        "",
        *_table(
            [
                "corpus",
                "sources",
                "records used",
                "left out (own test split)",
                "sha256 of the canonical records",
            ],
            [
                (
                    f"`{c['spec']}`",
                    ", ".join(f"{k} {v}" for k, v in c["sources"].items()),
                    c["records"],
                    c["excluded_by_split"],
                    f"`{c['sha256'][:16]}…`",
                )
                for c in meta["corpora"]
            ],
        ),
        "",
        f"{training['records']} records in all, split {training['train']} train / "
        f"{training['dev']} dev by duplicate group (near-duplicates never straddle the split). "
        f"{training['no_incident_type']} records are not attack reports (no incident type). "
        "The full fingerprints are in `meta.json`; the same config on the same data gives the "
        "same model.",
        "",
        *_table(
            ["label", "training records"],
            [
                *((label, per_label[label]) for label in meta["labels"]),
                ("(none)", training["no_incident_type"]),
            ],
        ),
        "",
        training["refit"],
        "",
    ]


def _metrics_section(meta: Mapping[str, Any], dev: Mapping[str, Any]) -> list[str]:
    """The dev metrics table, averages and geography."""
    incident = dev["incident_types"]
    per_label = incident["per_label"]
    rows = [
        (
            label,
            per_label[label]["precision"],
            per_label[label]["recall"],
            per_label[label]["f1"],
            per_label[label]["support"],
            meta["thresholds"][label],
        )
        for label in meta["labels"]
    ]
    return [
        "## Metrics (grouped dev split)",
        "",
        *_table(["label", "precision", "recall", "F1", "support", "threshold"], rows),
        "",
        *_table(
            ["summary", "value"],
            [
                ("micro F1", incident["micro_f1"]),
                ("macro F1", incident["macro_f1"]),
                ("samples F1", incident["samples_f1"]),
                ("false-tag rate (non-attack reports given any tag)", incident["false_tag_rate"]),
                (f"region accuracy (n={dev['region']['n']})", dev["region"]["accuracy"]),
                (f"region macro F1 (n={dev['region']['n']})", dev["region"]["macro_f1"]),
                (f"country accuracy (n={dev['country']['n']})", dev["country"]["accuracy"]),
            ],
        ),
        "",
        f"Dev records: {dev['n']}. Scores on a corpus from another source will be lower; "
        "measure them with `threat-tagger evaluate MODEL CORPUS`.",
        "",
        f"![precision, recall and F1 per label]({PR_PLOT})",
        "",
    ]


def _ece_reading(ece: float | None) -> str:
    """A rough verbal reading of an ECE value."""
    if ece is None:
        return "not measured (no dev record annotates this label)"
    if ece < 0.05:
        return "close: probabilities can be read as frequencies"
    if ece < 0.15:
        return "somewhat off: fine for ranking, not as exact chances"
    return "far off: use only for ranking"


def _leaning(bins: Sequence[Mapping[str, Any]]) -> str:
    """Which way the probabilities lean below 0.5 and from 0.5 up (the two often differ)."""
    parts = []
    for name, part in (
        ("Below 0.5", [b for b in bins if b["high"] <= 0.5]),
        ("From 0.5 up", [b for b in bins if b["low"] >= 0.5]),
    ):
        count = sum(b["count"] for b in part)
        if not count:
            continue
        gap = sum(b["count"] * (b["confidence"] - b["frequency"]) for b in part) / count
        if abs(gap) < 0.01:
            how = "about right"
        elif gap > 0:
            how = "over-confident (labels are right less often than their probability says)"
        else:
            how = "under-confident (labels are right more often than their probability says)"
        parts.append(
            f"{name} the probabilities are {how}: mean gap {gap:+.3f} over "
            f"{count} (record, label) pairs."
        )
    return " ".join(parts)


def _calibration_section(calibration: Mapping[str, Any]) -> list[str]:
    """ECE per label, what it means, and which way the probabilities lean."""
    ece = calibration["overall_ece"]
    bins = [b for b in calibration["reliability"] if b["count"]]
    if ece is None:
        return ["## Calibration", "", "Not measured: no dev record annotates a label.", ""]
    return [
        "## Calibration",
        "",
        f"Expected calibration error (ECE, {calibration['bins']} equal-width bins, all labels "
        f"pooled): **{ece}**. On average a predicted probability is about "
        f"{ece * 100:.1f} percentage points away from how often the label is actually right "
        f"for texts given that probability. {_leaning(bins)}",
        "",
        *_table(
            ["label", "ECE", "reading"],
            [
                (label, value, _ece_reading(value))
                for label, value in calibration["per_label_ece"].items()
            ],
        ),
        "",
        *_table(
            ["predicted probability", "pairs", "mean predicted", "observed"],
            [
                (f"{b['low']:.1f}–{b['high']:.1f}", b["count"], b["confidence"], b["frequency"])
                for b in bins
            ],
        ),
        "",
        "Training weights classes to balance them, which pushes the probabilities of rare "
        "labels upwards, and thresholds are tuned per label. Use the probabilities to rank "
        "texts and the tags (probability over the label's threshold) to decide; do not read "
        "a probability as a calibrated chance.",
        "",
        f"![reliability diagram]({CALIBRATION_PLOT})",
        "",
    ]


def _benchmark_section(meta: Mapping[str, Any]) -> list[str]:
    """For models/full: the issue-6 figures of the last `make bench` (BENCHMARKS.json)."""
    if meta.get("name") != "full":
        return []
    from train.bench.card import accuracy_section, load_benchmarks

    return accuracy_section(load_benchmarks())


def model_card(meta: Mapping[str, Any], metrics: Mapping[str, Any]) -> str:
    """The README.md of a model folder."""
    dev, calibration = metrics["dev"], metrics["calibration"]
    incident = dev["incident_types"]
    rule = meta["consistency_rule"]
    lines = [
        f"# Model card: `{meta['name']}`",
        "",
        "A TF-IDF + linear model that tags English news articles and threat reports with "
        "incident types, a GTD region and an ISO country, and can explain every tag by the "
        f"n-grams behind it. On its grouped dev split: micro F1 {incident['micro_f1']}, "
        f"false tags on {_pct(incident['false_tag_rate'])} of non-attack reports, region "
        f"accuracy {dev['region']['accuracy']}, country accuracy {dev['country']['accuracy']}.",
        "",
        f"Created {meta['created_at']} with threat-tagger "
        f"{meta['versions'].get('threat-tagger')} (scikit-learn "
        f"{meta['versions'].get('scikit-learn')}, Python {meta['versions'].get('python')}).",
        "",
        "## Intended use",
        "",
        "Triage and search of large collections of English news and threat reports: flag "
        "which texts report an attack, of which types "
        f"({', '.join(f'`{label}`' for label in meta['labels'])}; no tag = not an attack "
        "report), and where. A human analyst reads what the model flags.",
        "",
        "Out of scope: decisions about individuals, automated alerting without review, "
        "counting casualties or attributing attacks, non-English text.",
        "",
        *_how_it_works(meta),
        *_data_section(meta),
        *_metrics_section(meta, dev),
        *_benchmark_section(meta),
        *_calibration_section(calibration),
        "## Region and country",
        "",
        rule["text"] + f" Here country_min_probability = {rule['country_min_probability']} "
        f"and region_min_probability = {rule['region_min_probability']}. So a missing country "
        'means "not sure", not "no country".',
        "",
        *limitations(meta),
        *licences(meta),
    ]
    return "\n".join(lines)


def write_report(folder: Path, meta: dict[str, Any], metrics: dict[str, Any]) -> None:
    """Write README.md and the plots into the (staged) model folder."""
    plot_precision_recall(folder / PR_PLOT, metrics["dev"]["incident_types"]["per_label"])
    plot_calibration(
        folder / CALIBRATION_PLOT,
        metrics["calibration"]["reliability"],
        metrics["calibration"]["overall_ece"],
    )
    (folder / "README.md").write_text(model_card(meta, metrics), encoding="utf-8")
