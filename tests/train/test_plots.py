"""The model card's plots (issue 15 point 9): labelled axes, tick labels a reader can read."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from infer.taxonomy import INCIDENT_TYPES
from train import plots


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The figures the plot functions draw, kept open instead of saved."""
    drawn: list[Any] = []

    def keep(fig: Any, path: Path) -> None:
        fig.tight_layout()
        fig.canvas.draw()
        drawn.append(fig)

    monkeypatch.setattr(plots, "_save", keep)
    yield drawn
    for fig in drawn:
        plots._pyplot().close(fig)


def _visible_labels(axis: Any) -> list[Any]:
    """The tick labels drawn on an axis (major and minor) that show any text."""
    ticks = axis.get_majorticklabels() + axis.get_minorticklabels()
    lo, hi = sorted(axis.get_view_interval())
    return [
        t
        for t, loc in zip(
            ticks, [*axis.get_majorticklocs(), *axis.get_minorticklocs()], strict=True
        )
        if t.get_visible() and t.get_text() and lo <= loc <= hi
    ]


def _overlapping(labels: list[Any]) -> list[tuple[str, str]]:
    boxes = [(t.get_text(), t.get_window_extent()) for t in labels]
    return [
        (a, b)
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
        if box_a.overlaps(box_b)
    ]


def test_the_precision_recall_plot_labels_its_y_axis_and_marks_unannotated_labels(figures):
    per_label = {
        label: {"precision": 0.8, "recall": 0.7, "f1": 0.75, "support": 40, "annotated_records": 90}
        for label in INCIDENT_TYPES
    }
    per_label["hijacking"] = {
        "precision": None,
        "recall": None,
        "f1": None,
        "support": 0,
        "annotated_records": 0,
    }
    plots.plot_precision_recall(Path("unused.png"), per_label, "satp:satp.csv")
    [fig] = figures
    [ax] = fig.axes
    assert ax.get_ylabel()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[-1] == "hijacking\n(not annotated)" and ticks[0] == "bombing\n(n=40)"
    assert not _overlapping(_visible_labels(ax.yaxis))


@pytest.mark.parametrize(
    "bin_counts",
    [
        [48_000, 9_000, 2_100, 700, 260, 90, 31, 12, 6, 3],  # many decades
        # under two decades: log axes label the minor ticks too (2x10^2, 3x10^2, ...)
        [5_000, 600, 300, 200, 150, 140, 130, 160, 220, 900],
    ],
)
def test_the_calibration_plot_tick_labels_do_not_overlap(figures, bin_counts):
    reliability = [
        {
            "low": k / 10,
            "high": (k + 1) / 10,
            "confidence": k / 10 + 0.05,
            "frequency": k / 10 + 0.04,
            "count": count,
        }
        for k, count in enumerate(bin_counts)
    ]
    plots.plot_calibration(Path("unused.png"), reliability, 0.021, "Dev split")
    [fig] = figures
    reliability_axes, counts = fig.axes
    for ax in (reliability_axes, counts):
        assert ax.get_ylabel()
        assert not _overlapping(_visible_labels(ax.yaxis)), ax.get_ylabel()
    assert counts.get_xlabel()
    assert not _overlapping(_visible_labels(counts.xaxis))
