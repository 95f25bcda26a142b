"""Plots of a model folder or an evaluation report (matplotlib, Agg backend, imported lazily)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PR_PLOT = "precision_recall.png"
CALIBRATION_PLOT = "calibration.png"


def _pyplot() -> Any:
    """matplotlib.pyplot on the non-interactive Agg backend (imported only when plotting)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> None:
    """Save a figure without a timestamp or version stamp (byte-stable output)."""
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    _pyplot().close(fig)


def short_title(spec: str, limit: int = 40) -> str:
    """A corpus spec short enough for a plot title: SOURCE:file name, or the file name."""
    source, sep, rest = spec.partition(":")
    name = f"{source}:{Path(rest).name}" if sep and "/" not in source else Path(spec).name
    name = name or spec
    return name if len(name) <= limit else "…" + name[-(limit - 1) :]


def plot_precision_recall(
    path: Path, per_label: Mapping[str, Mapping[str, Any]], title: str = "Dev split"
) -> None:
    """Grouped precision/recall/F1 bars per label, with the support under each label (no bar
    for a figure measured on nothing; "not annotated" under a label the corpus never names)."""
    plt = _pyplot()
    labels = list(per_label)
    x = range(len(labels))
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    for offset, key in ((-0.27, "precision"), (0.0, "recall"), (0.27, "f1")):
        heights = [
            float("nan") if per_label[lb][key] is None else per_label[lb][key] for lb in labels
        ]
        ax.bar([i + offset for i in x], heights, width=0.27, label=key)

    def tick(label: str) -> str:
        scores = per_label[label]
        if scores.get("annotated_records", 1) == 0:
            return f"{label}\n(not annotated)"
        return f"{label}\n(n={scores['support']})"

    ax.set_xticks(list(x), [tick(lb) for lb in labels], rotation=30, ha="right")
    ax.set_ylim(0, 1.18)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylabel("score (0 to 1)")
    ax.set_title(f"{short_title(title)}: precision / recall / F1 per incident type")
    ax.legend(loc="upper center", ncol=3, frameon=False)
    _save(fig, path)


def plot_calibration(
    path: Path,
    reliability: Sequence[Mapping[str, Any]],
    ece: float | None,
    title: str = "Dev split",
) -> None:
    """Reliability diagram of the pooled incident-type probabilities, with bin counts below."""
    plt = _pyplot()
    from matplotlib import ticker

    used = [b for b in reliability if b["count"]]
    fig, (ax, counts) = plt.subplots(
        2, 1, figsize=(5, 6), dpi=100, sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    ax.plot(
        [b["confidence"] for b in used],
        [b["frequency"] for b in used],
        marker="o",
        label="model" if ece is None else f"model (ECE {ece:.3f})",
    )
    ax.set_ylabel("observed frequency")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(f"{short_title(title)}: reliability\n(all labels pooled)")
    ax.legend(loc="upper left")
    counts.bar(
        [(b["low"] + b["high"]) / 2 for b in used],
        [b["count"] for b in used],
        width=0.09,
        color="grey",
    )
    counts.set_yscale("log")
    # decades only: minor-tick labels (2x10^1, 3x10^1, ...) overlap on the short panel
    counts.yaxis.set_major_locator(ticker.LogLocator(base=10, numticks=4))
    counts.yaxis.set_minor_formatter(ticker.NullFormatter())
    counts.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    counts.set_xlabel("predicted probability")
    counts.set_ylabel("(record, label) pairs")
    _save(fig, path)


def write_evaluation_plots(
    metrics: Mapping[str, Any], calibration: Mapping[str, Any], folder: Path, title: str
) -> list[Path]:
    """The per-label bars and the reliability diagram of one evaluated corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    plot_precision_recall(folder / PR_PLOT, metrics["incident_types"]["per_label"], title)
    plot_calibration(
        folder / CALIBRATION_PLOT, calibration["reliability"], calibration["overall_ece"], title
    )
    return [folder / PR_PLOT, folder / CALIBRATION_PLOT]
