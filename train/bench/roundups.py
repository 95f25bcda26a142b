"""Long stories for the benchmark: short attack reports joined with ordinary news into round-ups."""

from __future__ import annotations

import random
from collections.abc import Sequence

MIN_FILLER_WORDS = 40
MAX_FILLER_WORDS = 250
EVENTS_PER_STORY = (2, 2, 3, 3, 4)  # drawn uniformly: two to four reports, mostly two or three
MAX_FILLERS = 4
CAPITALS_SHARE = 0.2  # old wire style: the whole story in capitals


def fillers(news: Sequence[dict]) -> list[dict]:
    """The ordinary news items of a round-up's length (40-250 words)."""
    return [r for r in news if MIN_FILLER_WORDS <= len(r["text"].split()) <= MAX_FILLER_WORDS]


def round_ups(
    events: Sequence[dict], news: Sequence[dict], n: int, seed: int, prefix: str
) -> list[dict]:
    """`n` round-ups: 2-4 attack reports and 1-4 ordinary news items in random order, one
    paragraph each, a fifth of them in capitals; the truth is the union of the reports' labels.
    Deterministic for a seed; empty when there are too few reports or news items."""
    attacks = [r for r in events if r["incident_types"]]
    padding = fillers(news)
    if len(attacks) < max(EVENTS_PER_STORY) or len(padding) < MAX_FILLERS:
        return []
    rng = random.Random(seed)
    stories = []
    for index in range(n):
        chosen = rng.sample(attacks, rng.choice(EVENTS_PER_STORY))
        parts = [r["text"] for r in chosen]
        parts += [r["text"] for r in rng.sample(padding, rng.randint(1, MAX_FILLERS))]
        rng.shuffle(parts)
        text = "\n\n".join(parts)
        if rng.random() < CAPITALS_SHARE:
            text = text.upper()
        stories.append(
            {
                "id": f"{prefix}-{index:04d}",
                "text": text,
                "incident_types": sorted({t for r in chosen for t in r["incident_types"]}),
                "region": None,
                "country": None,
                "source": prefix,
                "split": None,
                "date": None,
            }
        )
    return stories
