"""models/full (trained on the real corpora) on the README example and the long Makhmour story.

The Makhmour story is written by the team for this test (tests/fixtures/stories), pasted twice
as a reader copying it from a news site would. Skipped when no trained full model is present
(`make train-full`, or THREAT_TAGGER_FULL_MODEL naming a model folder).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infer.predictor import Predictor

REPO = Path(__file__).resolve().parents[2]
STORY = (REPO / "tests" / "fixtures" / "stories" / "makhmour_truffles.txt").read_text(
    encoding="utf-8"
)
README_EXAMPLE = "Gunmen ambushed a convoy near Makhmour and seized a driver."
EVERY_TYPE = {"ambush", "armed_assault", "kidnap"}


@pytest.fixture(scope="module")
def full_model() -> Predictor:
    """The trained full model, or a skip saying how to get one."""
    folder = Path(os.environ.get("THREAT_TAGGER_FULL_MODEL", REPO / "models" / "full"))
    if not (folder / "meta.json").is_file():
        pytest.skip(f"no trained full model at {folder} (make train-full)")
    return Predictor.load(folder)


@pytest.mark.parametrize("text", [README_EXAMPLE, STORY], ids=["readme-example", "makhmour-story"])
def test_full_model_gives_the_makhmour_texts_exactly_the_types_they_report(full_model, text):
    [prediction] = full_model.predict([text])
    assert set(prediction.incident_types) == EVERY_TYPE, prediction.probabilities
    assert prediction.country == "IQ"


def test_full_model_keeps_every_type_of_the_makhmour_story_pasted_twice(full_model):
    # why only "keeps": pasted twice, the story is long enough for window pooling, and one
    # window (pickup trucks, a car shot at, a man taken) also gives hijacking (issue 10).
    [prediction] = full_model.predict([STORY + "\n\n" + STORY])
    assert set(prediction.incident_types) >= EVERY_TYPE, prediction.probabilities
