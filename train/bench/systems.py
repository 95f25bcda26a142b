"""The three systems compared, each trained once per training set and reused by every row."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from train.bench import SEED
from train.bench.baselines import FastTextModel, NaiveModel
from train.bench.data import PUBLISHERS, Corpora
from train.bench.tagger import ThreatTaggerModel, config_path

log = logging.getLogger("train.bench")
SYSTEMS = ("naive", "fasttext", "threat-tagger")
BASELINES = {"naive": NaiveModel, "fasttext": FastTextModel}


@dataclass(frozen=True)
class Training:
    """A training set: its records, the threat-tagger config, and whether geo heads matter."""

    describe: str
    records: Callable[[Corpora], list[dict]]
    config: str = "full"
    from_config: bool = False  # threat-tagger trains on the config's own corpora
    geo: bool = False


def wikipedia_split(corpora: Corpora) -> tuple[list[dict], list[dict]]:
    """Wikipedia's grouped 80/20 split (near-duplicates kept on one side, fixed seed)."""
    from train.dedup import duplicate_groups
    from train.splits import grouped_split

    records = corpora.wikipedia
    groups = duplicate_groups([r["text"] for r in records])
    train_idx, test_idx = grouped_split(records, groups, test_size=0.2, seed=SEED)
    return [records[i] for i in train_idx], [records[i] for i in test_idx]


def publisher_held_out(corpora: Corpora, publisher: str) -> list[dict]:
    """full.toml's records without one ordinary-news publisher and without Wikipedia's grouped
    20% test side (the long-stories row builds its round-ups from that side)."""
    wikipedia_test = {r["id"] for r in wikipedia_split(corpora)[1]}
    return [
        r
        for r in corpora.full_training
        if r["source"] != f"ordinary_news:{publisher}" and r["id"] not in wikipedia_test
    ]


TRAININGS: dict[str, Training] = {
    "satp-relevant": Training(
        "SATP train+dev stories with any SATP label (Other-only ones untagged)",
        lambda c: c.satp_split(("train", "dev"), relevant_only=True),
        config="satp",
    ),
    "satp-all": Training(
        "every SATP train+dev story",
        lambda c: c.satp_split(("train", "dev"), relevant_only=False),
        config="satp",
    ),
    "wikipedia-80": Training(
        "Wikipedia, train side of the grouped 80/20 split", lambda c: wikipedia_split(c)[0]
    ),
    "wikipedia": Training("all of Wikipedia", lambda c: c.wikipedia),
    "full": Training(
        "train/configs/full.toml's corpora (Wikipedia + SATP train/dev + ordinary news + demo)",
        lambda c: c.full_training,
        from_config=True,
        geo=True,
    ),
    "case": Training("all of CASE 2021 (converted)", lambda c: c.case),
    "rand": Training("all of RAND (weak labels from Weapon)", lambda c: c.rand),
    **{
        f"full-minus-{name}": Training(
            f"full.toml's records minus ordinary news from {name} "
            "and minus Wikipedia's 20% test side",
            lambda c, name=name: publisher_held_out(c, name),
        )
        for name in PUBLISHERS
    },
}


class BaselineSystem:
    """A baseline's incident-type model plus, when asked, country and region classifiers."""

    def __init__(self, name: str, records: list[dict], geo: bool) -> None:
        model_class = BASELINES[name]
        self.name = name
        texts = [r["text"] for r in records]
        self.tags = model_class().fit(texts, [r["incident_types"] for r in records])
        self.country = self.region = None
        if geo:
            with_country = [r for r in records if r["country"]]
            with_region = [r for r in records if r["region"]]
            self.country = model_class(multi_label=False).fit(
                [r["text"] for r in with_country], [r["country"] for r in with_country]
            )
            self.region = model_class(multi_label=False).fit(
                [r["text"] for r in with_region], [r["region"] for r in with_region]
            )

    def predict(self, texts: list[str]) -> list[list[str]]:
        """Incident types over 0.5 per text."""
        return self.tags.predict(texts)

    def predict_geo(self, texts: list[str]) -> list[tuple[str | None, str | None]]:
        """(region, country) per text from the two separate classifiers."""
        assert self.country is not None and self.region is not None, "trained without geo"
        return list(zip(self.region.predict(texts), self.country.predict(texts), strict=True))


class Systems:
    """Trains each (training set, system) pair on first use and caches models and predictions."""

    def __init__(
        self,
        corpora: Corpora,
        workdir: Path,
        systems: tuple[str, ...] = SYSTEMS,
        *,
        quick: bool = False,
        configs: dict[str, str] | None = None,
    ) -> None:
        self.corpora = corpora
        # threat-tagger's config in place of a training's (e.g. {"full": "fast"}: fast.toml)
        self.configs = configs or {}
        self.quick = quick  # quick: even config-defined trainings use the thinned records
        self.workdir = workdir
        self.systems = systems
        self.models: dict[tuple[str, str], object] = {}
        self.train_seconds: dict[str, dict[str, float]] = {}
        self.train_sizes: dict[str, int] = {}
        self._cache: dict[tuple[str, str, str, str], list] = {}

    def model(self, key: str, system: str) -> object:
        """The trained model of `system` on training set `key`."""
        if (key, system) not in self.models:
            training = TRAININGS[key]
            records = training.records(self.corpora)
            self.train_sizes[key] = len(records)
            log.info("training %s on %s (%d records)", system, key, len(records))
            start = time.perf_counter()
            if system == "threat-tagger":
                config = self.configs.get(training.config, training.config)
                model = ThreatTaggerModel(config_path(config), self.workdir, key)
                if training.from_config and not self.quick:
                    model = model.fit_config()
                else:
                    model = model.fit_records(records)
            else:
                model = BaselineSystem(system, records, training.geo)
            seconds = time.perf_counter() - start
            self.train_seconds.setdefault(key, {})[system] = round(seconds, 1)
            self.models[key, system] = model
        return self.models[key, system]

    def tags(self, key: str, target: str, records: list[dict]) -> dict[str, list[list[str]]]:
        """Incident types per system for the named target records (cached by name)."""
        return {s: self._predict(key, s, target, "tags", records) for s in self.systems}

    def geo(self, key: str, target: str, records: list[dict]) -> dict[str, list[tuple]]:
        """(region, country) per system for the named target records (cached by name)."""
        return {s: self._predict(key, s, target, "geo", records) for s in self.systems}

    def _predict(self, key: str, system: str, target: str, kind: str, records: list[dict]) -> list:
        """One system's predictions, computed once per (training, target, kind)."""
        cache_key = (key, system, target, kind)
        if cache_key not in self._cache:
            model = self.model(key, system)
            texts = [r["text"] for r in records]
            out = model.predict(texts) if kind == "tags" else model.predict_geo(texts)
            self._cache[cache_key] = out
        return self._cache[cache_key]
