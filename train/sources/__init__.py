"""Source converters: turn each raw labelled corpus into canonical records."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from infer.errors import ThreatTaggerError
from infer.taxonomy import INCIDENT_TYPES
from train.sources import acled, case, gtd, ordinary_news, rand, satp, wikipedia
from train.sources.base import Annotation, Conversion

SOURCES: dict[str, Callable[[Path], Conversion]] = {
    "wikipedia": wikipedia.convert,
    "satp": satp.convert,
    "case": case.convert,
    "rand": rand.convert,
    "gtd": gtd.convert,
    "acled": acled.convert,
    "ordinary_news": ordinary_news.convert,
}

# What each record source annotates (each converter declares it next to its mapping table).
ANNOTATIONS: dict[str, Annotation] = {
    **acled.ANNOTATIONS,
    **case.ANNOTATIONS,
    **gtd.ANNOTATIONS,
    **ordinary_news.ANNOTATIONS,
    **rand.ANNOTATIONS,
    **satp.ANNOTATIONS,
    **wikipedia.ANNOTATIONS,
}
EVERY_TYPE = Annotation(INCIDENT_TYPES, negatives=True)


def annotation_of(source: str | None) -> Annotation:
    """What a record's `source` annotates: its own entry (satp:other), else its prefix's
    (ordinary_news:ag_news), else every type with negatives (the team's and your own data)."""
    if source is None:
        return EVERY_TYPE
    return ANNOTATIONS.get(source) or ANNOTATIONS.get(source.split(":", 1)[0]) or EVERY_TYPE


def convert(source: str, path: str | Path) -> Conversion:
    """Convert the raw file at path with the named source's converter."""
    converter = SOURCES.get(source)
    if converter is None:
        raise ThreatTaggerError(
            f"unknown source {source!r}; known sources: {', '.join(sorted(SOURCES))}"
        )
    return converter(Path(path))


__all__ = ["ANNOTATIONS", "SOURCES", "Annotation", "Conversion", "annotation_of", "convert"]
