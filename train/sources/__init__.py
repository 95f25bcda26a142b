"""Source converters: turn each raw labelled corpus into canonical records."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from infer.errors import ThreatTaggerError
from train.sources import acled, case, gtd, ordinary_news, rand, satp, wikipedia
from train.sources.base import Conversion

SOURCES: dict[str, Callable[[Path], Conversion]] = {
    "wikipedia": wikipedia.convert,
    "satp": satp.convert,
    "case": case.convert,
    "rand": rand.convert,
    "gtd": gtd.convert,
    "acled": acled.convert,
    "ordinary_news": ordinary_news.convert,
}


def convert(source: str, path: str | Path) -> Conversion:
    """Convert the raw file at path with the named source's converter."""
    converter = SOURCES.get(source)
    if converter is None:
        raise ThreatTaggerError(
            f"unknown source {source!r}; known sources: {', '.join(sorted(SOURCES))}"
        )
    return converter(Path(path))


__all__ = ["SOURCES", "Conversion", "convert"]
