"""The long-stories row's round-ups and its every-type share."""

from __future__ import annotations

from train.bench.accuracy import every_type_share
from train.bench.roundups import round_ups


def report(i: int, labels: list[str]) -> dict:
    """A short stand-in attack report."""
    return {
        "id": f"r{i}",
        "text": f"Report number {i} about an incident.",
        "incident_types": labels,
    }


EVENTS = [
    report(i, [["bombing"], ["kidnap"], ["ambush", "armed_assault"]][i % 3]) for i in range(12)
]
NEWS = [
    {"id": f"n{i}", "text": " ".join(["word"] * (30 + 20 * i)), "incident_types": []}
    for i in range(12)
]


def test_round_ups_join_reports_and_news_and_take_the_union_of_labels():
    stories = round_ups(EVENTS, NEWS, 30, seed=1, prefix="test")
    assert len(stories) == 30
    for story in stories:
        reports = [e for e in EVENTS if e["text"].lower() in story["text"].lower()]
        assert 2 <= len(reports) <= 4
        assert story["incident_types"] == sorted({t for e in reports for t in e["incident_types"]})
        assert story["text"].count("\n\n") >= len(reports)  # at least one news paragraph
    assert any(story["text"].isupper() for story in stories)
    assert round_ups(EVENTS, NEWS, 30, seed=1, prefix="test") == stories


def test_round_ups_use_only_news_of_round_up_length():
    stories = round_ups(EVENTS, NEWS, 20, seed=2, prefix="test")
    paragraphs = [p for s in stories for p in s["text"].split("\n\n") if "word" in p.lower()]
    assert all(40 <= len(p.split()) <= 250 for p in paragraphs)


def test_too_few_reports_give_no_round_ups():
    assert round_ups(EVENTS[:3], NEWS, 5, seed=1, prefix="test") == []


def test_every_type_share_counts_stories_given_all_their_types():
    records = [
        {"incident_types": ["bombing", "kidnap"]},
        {"incident_types": ["bombing"]},
        {"incident_types": []},
    ]
    predictions = [["bombing"], ["bombing", "hijacking"], ["kidnap"]]
    assert every_type_share(records, predictions, ("bombing", "kidnap")) == 0.5
