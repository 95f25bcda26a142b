"""The model card (README.md) and plots written into every model folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

LICENCES = {
    "demo": "written by the project team for this repository (same licence as the code)",
    "wikipedia": "CC BY-SA (Wikipedia text): attribution and share-alike",
    "satp": "South Asia Terrorism Portal: no licence stated by its source; research use only",
    "case": "CASE 2021 shared task: no licence stated; research use only",
    "rand": "RAND Database of Worldwide Terrorism Incidents: RAND's terms; research use only",
    "gtd": "Global Terrorism Database (START): GTD terms of use; no redistribution",
    "acled": "ACLED: ACLED terms of use (attribution; redistribution restricted)",
}
PR_PLOT = "precision_recall.png"
CALIBRATION_PLOT = "calibration.png"


def _plot_precision_recall(path: Path, per_label: dict[str, dict[str, Any]]) -> None:
    """Grouped precision/recall/F1 bars per label."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(per_label)
    x = range(len(labels))
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    for offset, key in ((-0.27, "precision"), (0.0, "recall"), (0.27, "f1")):
        ax.bar([i + offset for i in x], [per_label[lb][key] for lb in labels], width=0.27,
               label=key)
    ax.set_xticks(list(x), labels, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_title("Dev split: precision / recall / F1 per incident type")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def _plot_calibration(path: Path, reliability: Sequence[dict[str, Any]], ece: float) -> None:
    """Reliability diagram of the pooled incident-type probabilities."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    used = [b for b in reliability if b["count"]]
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    ax.plot([b["confidence"] for b in used], [b["frequency"] for b in used], marker="o",
            label=f"model (ECE {ece:.3f})")
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title("Dev split reliability (all labels pooled)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def model_card(meta: dict[str, Any], metrics: dict[str, Any]) -> str:
    """The README.md of a model folder."""
    dev, calibration = metrics["dev"], metrics["calibration"]
    incident = dev["incident_types"]
    training = meta["training"]
    sources = sorted({s for c in meta["corpora"] for s in c["sources"]})
    ece = calibration["overall_ece"]
    lines = [
        f"# Model card: `{meta['name']}`", "",
        f"Created {meta['created_at']} by threat-tagger "
        f"{meta['versions'].get('threat-tagger')} (scikit-learn "
        f"{meta['versions'].get('scikit-learn')}).", "",
        "## Intended use", "",
        "Tagging English news articles and threat reports with incident types "
        f"({', '.join(meta['labels'])}; none = not an attack report), a GTD region and an ISO "
        "country, to triage and search large collections. Not for decisions about individuals, "
        "not a substitute for analyst judgement, not validated on non-English text.", "",
        "## Data", "",
        *_table(["corpus", "records used", "left out by split", "sha256 (canonical records)"],
                [(f"`{c['spec']}`", c["records"], c["excluded_by_split"], c["sha256"][:16])
                 for c in meta["corpora"]]),
        "",
        f"{training['records']} records: {training['train']} train / {training['dev']} dev "
        f"(grouped split: near-duplicates stay on one side); "
        f"{training['no_incident_type']} have no incident type.", "",
        *_table(["label", "training records"], list(training["per_label"].items())), "",
        training["refit"], "",
    ]
    if meta["constant_labels"]:
        lines += ["Labels with no positive training example (probability always 0): "
                  + ", ".join(meta["constant_labels"]) + ".", ""]
    lines += [
        "## Dev metrics", "",
        f"micro F1 {incident['micro_f1']}, macro F1 {incident['macro_f1']}, samples F1 "
        f"{incident['samples_f1']}, false-tag rate {incident['false_tag_rate']} "
        f"(share of non-attack reports given any tag). Region accuracy "
        f"{dev['region']['accuracy']} (n={dev['region']['n']}), country accuracy "
        f"{dev['country']['accuracy']} (n={dev['country']['n']}).", "",
        *_table(["label", "precision", "recall", "f1", "support", "threshold"],
                [(label, s["precision"], s["recall"], s["f1"], s["support"],
                  meta["thresholds"][label]) for label, s in incident["per_label"].items()]),
        "", f"![precision and recall]({PR_PLOT})", "",
        "## Calibration", "",
        f"Expected calibration error (10 bins, dev split, all labels pooled): {ece}: on "
        f"average the predicted probabilities are about {ece * 100:.1f} percentage points away "
        "from the observed frequency of the label. Per label: "
        + ", ".join(f"{k} {v}" for k, v in calibration["per_label_ece"].items())
        + ". Class-weighted training pushes probabilities of rare labels upwards; read scores "
        "as rankings, not as calibrated chances.", "",
        f"![reliability diagram]({CALIBRATION_PLOT})", "",
        "## Region and country", "",
        meta["consistency_rule"]["text"]
        + f" (country_min_probability = {meta['consistency_rule']['country_min_probability']},"
        f" region_min_probability = {meta['consistency_rule']['region_min_probability']}).",
        "",
        "## Known limitations", "",
        "- Bag-of-n-grams model: no understanding of negation, time or who did what to whom.",
        "- Only countries and regions present in the training data can be predicted "
        f"({len(meta['countries'])} countries, {len(meta['regions'])} regions).",
        "- Dev metrics come from the same sources as the training data; expect lower scores on "
        "other sources (evaluate on a held-out corpus).",
        "- Rare labels have few dev examples: their thresholds and scores are noisy.", "",
        "## Licences of the training data", "",
        *[f"- `{source}`: {LICENCES.get(source, 'see the source corpus')}" for source in sources],
        "",
    ]
    return "\n".join(lines)


def write_report(folder: Path, meta: dict[str, Any], metrics: dict[str, Any]) -> None:
    """Write README.md and the plots into the (staged) model folder."""
    per_label = metrics["dev"]["incident_types"]["per_label"]
    _plot_precision_recall(folder / PR_PLOT, per_label)
    _plot_calibration(folder / CALIBRATION_PLOT, metrics["calibration"]["reliability"],
                      metrics["calibration"]["overall_ece"])
    (folder / "README.md").write_text(model_card(meta, metrics), encoding="utf-8")
