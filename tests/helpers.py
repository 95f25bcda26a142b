"""Helpers shared by several test modules (test modules never import each other).

Synthetic corpora written for the tests (team-written sentences, no real data), a fast training
config, and the plain per-row restatement of the scoring rules that the vectorised code is
checked against.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from infer.artifact import sealed, sha256_file
from infer.predictor import Prediction, Predictor
from infer.scoring import (
    PLACES_OUTVOTE_BELOW,
    REGION_MIN_ODDS_RATIO,
    decision_scores,
    sigmoid,
    softmax,
)
from infer.taxonomy import COUNTRIES, region_of
from train.config import load_config

EVENTS = {
    ("bombing",): [
        "A bomb exploded near the crowded {city} market, killing {n} people.",
        "A car bomb detonated outside a police station in {city}.",
        "An improvised explosive device blew up beside a bus stop in {city}.",
    ],
    ("armed_assault",): [
        "Gunmen opened fire on shoppers in a {city} mall, killing {n}.",
        "Attackers armed with rifles shot at worshippers leaving a {city} mosque.",
        "A man with a machete attacked passers-by in central {city}.",
    ],
    ("armed_assault", "ambush"): [
        "Militants lying in wait ambushed a military convoy on the road out of {city}.",
        "Fighters hidden in the hills ambushed a police patrol returning to {city}.",
        "Insurgents concealed along the roadside ambushed army trucks near {city}.",
    ],
    ("kidnap",): [
        "Armed men abducted {n} aid workers near {city} and demanded a ransom.",
        "Kidnappers seized a businessman from his car in {city} overnight.",
        "Gunmen kidnapped {n} schoolchildren from a village outside {city}.",
    ],
    ("assassination",): [
        "The mayor of {city} was shot dead by a hired killer outside his home.",
        "A prominent judge was assassinated in {city} by a motorcycle gunman.",
        "Assassins killed the provincial governor as he left a {city} office.",
    ],
    ("facility_attack",): [
        "Attackers set fire to a telecom tower on the edge of {city}.",
        "Saboteurs destroyed an electricity pylon and a pumping station near {city}.",
        "Arsonists burned down a rail depot in {city}.",
    ],
    ("hijacking",): [
        "Armed men hijacked a passenger bus on the highway to {city}.",
        "Hijackers seized control of an airliner bound for {city}.",
        "Pirates hijacked a cargo ship shortly after it left {city} port.",
    ],
    (): [
        "The central bank in {city} raised interest rates by a quarter point.",
        "Heavy rains flooded several districts of {city}, officials said.",
        "A football club from {city} won the national cup final on penalties.",
    ],
}


CITIES = [
    ("Bogota", "Colombia", "CO"),
    ("Medellin", "Colombia", "CO"),
    ("Lagos", "Nigeria", "NG"),
    ("Kano", "Nigeria", "NG"),
    ("Karachi", "Pakistan", "PK"),
    ("Peshawar", "Pakistan", "PK"),
    ("Lyon", "France", "FR"),
    ("Marseille", "France", "FR"),
    ("Manila", "Philippines", "PH"),
    ("Davao", "Philippines", "PH"),
]


FILLERS = [
    "Officials said an investigation was under way.",
    "No group claimed responsibility.",
    "Witnesses described scenes of panic in the streets.",
    "Security forces sealed off the area for several hours.",
    "The interior ministry promised a full inquiry.",
    "Local television showed damaged vehicles and debris.",
    "Residents said tension had been rising for weeks.",
    "The government condemned the incident in a statement.",
    "Hospitals appealed for blood donations.",
    "Schools in the area were closed on Monday.",
]


def make_records(n_per_label: int = 14, seed: int = 7, skip: tuple[str, ...] = ()) -> list[dict]:
    """Deterministic canonical records covering every label, none, and ten places."""
    rng = random.Random(seed)
    records = []
    for labels, templates in EVENTS.items():
        if any(label in skip for label in labels):
            continue
        for k in range(n_per_label):
            city, country, code = CITIES[(k + len(records)) % len(CITIES)]
            event = rng.choice(templates).format(city=city, n=rng.randint(2, 40))
            text = " ".join([f"{city}, {country} -", event, *rng.sample(FILLERS, 3)])
            records.append(
                {
                    "id": f"t-{len(records):04d}",
                    "text": text,
                    "incident_types": list(labels),
                    "region": region_of(code),
                    "country": code,
                    "source": "demo",
                    "split": None,
                    "date": None,
                }
            )
    return records


def write_corpus(path: Path, records: list[dict]) -> Path:
    """Write records as JSONL and return the path."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def tiny_config(corpus: Path, out: Path, *extra: str):
    """A fast config on one corpus."""
    return load_config(
        None,
        corpora=[str(corpus)],
        out=str(out),
        overrides=["features.min_df=1", "split.dev_size=0.25", "features.gazetteer=false", *extra],
    )


def geography_row(
    predictor: Predictor, region_p: np.ndarray, country_p: np.ndarray, place: str | None
) -> tuple:
    """The country/region rule for one row, written plainly."""
    model = predictor.model
    countries, regions = model.country.classes, model.region.classes
    best = int(np.argmax(country_p)) if len(country_p) else None
    top = float(country_p[best]) if best is not None else 0.0
    if (
        best is not None
        and top >= model.country_min_probability
        and (place in (None, countries[best]) or top >= PLACES_OUTVOTE_BELOW)
    ):
        region = model.country_regions[best]
        region_prob = sum(
            float(p) for p, r in zip(country_p, model.country_regions, strict=True) if r == region
        )
        return region, region_prob, countries[best], top
    if place is not None:
        region = COUNTRIES[place].region
        return (
            region,
            float(region_p[regions.index(region)]) if region in regions else 0.0,
            place,
            float(country_p[countries.index(place)]) if place in countries else 0.0,
        )
    if not len(region_p):
        return None, 0.0, None, top
    r = int(np.argmax(region_p))
    p = float(region_p[r])
    # the head's answer for a text with no features; odds = p / (1 - p)
    empty = np.exp(model.region.intercept - np.max(model.region.intercept))
    empty = empty / empty.sum()
    odds_ratio = (p / (1.0 - p)) / (empty[r] / (1.0 - empty[r])) if p < 1.0 else math.inf
    kept = (
        p >= model.region_min_probability
        and p > float(empty.max())
        and odds_ratio >= REGION_MIN_ODDS_RATIO
    )
    return (regions[r] if kept else None), p, None, top


def reference(predictor: Predictor, texts: list[str], threshold: float | None) -> list:
    """The predictions computed row by row from the rules (texts too short for windows)."""
    model = predictor.model
    matrix = model.featurizer.transform(texts)
    incident = sigmoid(decision_scores(model.incident, matrix))
    if model.gate is not None:
        incident = incident * sigmoid(decision_scores(model.gate, matrix))
    aa, ambush = predictor.labels.index("armed_assault"), predictor.labels.index("ambush")
    incident[:, aa] = np.maximum(incident[:, aa], incident[:, ambush])  # ambush implies it
    cut = model.thresholds if threshold is None else np.full(len(predictor.labels), threshold)
    region_p = softmax(decision_scores(model.region, matrix))
    country_p = softmax(decision_scores(model.country, matrix))
    places = predictor.scorer.place_majority(matrix)
    out = []
    for row in range(len(texts)):
        scores = {label: float(p) for label, p in zip(predictor.labels, incident[row], strict=True)}
        assigned = sorted(
            (
                (label, float(p))
                for label, p, t in zip(predictor.labels, incident[row], cut, strict=True)
                if p >= t and p > 0.0
            ),
            key=lambda kv: (-kv[1], predictor.labels.index(kv[0])),
        )
        out.append(
            Prediction(
                dict(assigned),
                scores,
                *geography_row(predictor, region_p[row], country_p[row], places[row]),
            )
        )
    return out


def assert_same(fast: list[Prediction], slow: list[Prediction]) -> None:
    """Equal predictions; the region probability (a sum) may differ in summation order only."""
    for a, b in zip(fast, slow, strict=True):
        assert a.region_probability == pytest.approx(b.region_probability, rel=1e-12, abs=1e-15)
        assert dataclasses.replace(a, region_probability=0.0) == dataclasses.replace(
            b, region_probability=0.0
        )
        assert list(a.incident_types) == list(b.incident_types)  # the order too
    assert len(fast) == len(slow)


def rehash(folder: Path, name: str) -> None:
    """Update meta.json's sha256 for one file, as an attacker able to edit the folder could."""
    meta = json.loads((folder / "meta.json").read_text())
    meta["files"][name] = sha256_file(folder / name)
    (folder / "meta.json").write_text(json.dumps(sealed(meta)))


ACCURACY_TEXTS = {
    ("bombing",): "A bomb exploded in the market of {place}, killing {n} people.",
    ("armed_assault",): "Gunmen opened fire on shoppers in {place}, killing {n}.",
    (): "The council of {place} approved {n} new schools and a road.",
}


ACCURACY_PLACES = [("Mosul", "IQ"), ("Peshawar", "PK"), ("Kano", "NG"), ("Medellin", "CO")]


def accuracy_records() -> list[dict]:
    out = []
    for k in range(40):
        for labels, template in ACCURACY_TEXTS.items():
            place, country = ACCURACY_PLACES[k % len(ACCURACY_PLACES)]
            out.append(
                {
                    "id": f"r{len(out)}",
                    "text": template.format(place=place, n=k + 2),
                    "incident_types": list(labels),
                    "country": country,
                    "region": None,
                    "source": "a" if k % 2 else "b",
                }
            )
    return out


DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def demo_texts() -> list[str]:
    """The texts of the team-written demo corpus (data/demo), in file order."""
    return [
        json.loads(line)["text"]
        for path in sorted(DEMO.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def bench_summary(systems: dict, score: dict, score_1m: dict, **keywords) -> dict:
    """The speed section's summary (`train.bench.speed._summarise`) of a made-up run: 1,000
    documents, 50 training records, quick, an idle machine, 3 seconds."""
    from train.bench.speed import _summarise

    return _summarise(systems, score, score_1m, 1000, 50, True, (1.0, 1.0, 1.0), 3.0, **keywords)
