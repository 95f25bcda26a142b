"""What a model card says about a model's limits and the terms of its training data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LICENCES = {
    "demo": "written by the project team for this repository; same licence as the project (MIT)",
    "wikipedia": "CC BY-SA (Wikipedia text): give attribution, and share adaptations of the "
    "text under the same licence",
    "satp": "South Asia Terrorism Portal: no licence stated by its source; research use only, "
    "no open licence",
    "case": "CASE 2021 shared task: no licence stated; research use only, no open licence",
    "rand": "RAND Database of Worldwide Terrorism Incidents: RAND's terms; research use only, "
    "no open licence",
    "gtd": "Global Terrorism Database (START): GTD terms of use; no redistribution",
    "acled": "ACLED: ACLED terms of use (attribution; redistribution restricted)",
}
OPEN_SOURCES = frozenset({"demo", "wikipedia"})


def training_sources(meta: Mapping[str, Any]) -> list[str]:
    """Every source the training records came from."""
    return sorted({s for c in meta["corpora"] for s in c["sources"]})


def limitations(meta: Mapping[str, Any]) -> list[str]:
    """What the model cannot know or do."""
    sources = training_sources(meta)
    lines = ["## Known limitations", ""]
    if "demo" in sources:
        lines.append(
            "- The demo corpus is small (hundreds of records) and was written by the "
            "team: its style is cleaner and more regular than real news, so its dev "
            "scores overstate accuracy on real text."
        )
    lines += [
        "- The model only knows what the words of the text say: it cannot know facts that "
        "are not stated (who was really behind an attack, whether a claim is true, events after "
        "the text was written), and it does not understand negation, time or who did what to "
        'whom ("the bombing was foiled" still looks like a bombing).',
        "- One set of tags per text: an article that reports several incidents gets the union "
        "of their tags, and a single country/region even when it covers several places.",
        f"- Only the {len(meta['countries'])} countries and {len(meta['regions'])} regions "
        "seen in training can be predicted. "
        + (
            "A place that is neither in the training texts nor in the gazetteer (or whose name "
            "is ambiguous) gives the country head nothing to work with."
            if any(b.get("analyzer") == "places" for b in meta["features"])
            else "A place name never seen in training gives the country head nothing to work with."
        ),
        "- Rare labels have few dev examples: their thresholds and scores are noisy.",
        "- English only; not validated on other languages, on social-media text or on "
        "machine translations.",
    ]
    if meta.get("constant_labels"):
        lines.append(
            "- No training example for "
            + ", ".join(meta["constant_labels"])
            + ": the model never gives these labels."
        )
    return [*lines, ""]


def licences(meta: Mapping[str, Any]) -> list[str]:
    """The terms of every training source, and what they mean for this model."""
    sources = training_sources(meta)
    lines = [
        "## Licences of the training data",
        "",
        *[f"- `{s}`: {LICENCES.get(s, 'see the terms of the source corpus')}" for s in sources],
        "",
    ]
    restricted = [s for s in sources if s not in OPEN_SOURCES]
    if restricted:
        lines += [
            f"This model was fitted on {', '.join(restricted)}, which carry no open "
            "licence: treat the model folder as research material and check those terms "
            "before sharing it or using it commercially.",
            "",
        ]
    if "wikipedia" in sources:
        lines += [
            "Wikipedia text is CC BY-SA: credit Wikipedia's contributors when sharing "
            "the model, and share derived text datasets under the same licence.",
            "",
        ]
    return lines
