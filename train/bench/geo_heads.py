"""Narrower geography heads (issue 11): what a pruned or low-rank country head costs.

In models/full the region (12 classes) and country (163 classes) heads are multiplied as one
union of 175 classes, the largest single cost of `Predictor.predict` on short texts. The issue
suggests narrowing the country head. This study measures both ways on a model trained with
full.toml (which keeps RAND out of training), on row 6's test set (RAND, unseen places):

- pruned: all but a share of the country weights set to 0.0, the smallest first by |weight| x
  the column's mean |value| over the training texts. The union stays dense (a sparse product
  kernel was tried and was slower at these densities: the kept weights sit on the columns
  that texts contain), so the product time is unchanged;
- low rank: the head as training stores it with `model.country_rank` (`train.heads.
  factorise_head`): its scores projected on their top r principal directions, here over the
  texts of full.toml's training corpora (training uses the head's own training records), so
  the union is 12 + r wide, plus the compiled (texts x r) @ (r x 163) mix.

For each: country and region accuracy, how many (region, country) predictions changed, the
union's product alone (compiled kernel, CPU ms, median of alternating rounds over the same
batches of RAND texts) at that width, and for the ranks the whole `predict` with the union
run factorised, against the model as fitted, in the same rounds. full.toml ships rank 80,
chosen on dev (train/bench/experiments.json, round full@country-rank); this is its cost on
the test set, beside the alternatives.

Run `python -m train.bench.geo_heads --model DIR` (a folder trained by full.toml with
`--set model.country_rank=0`; without --model one is trained so in --work-dir, about 5
minutes). Writes train/bench/geo_heads.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from train.bench import REPO_ROOT

STUDY_FILE = REPO_ROOT / "train" / "bench" / "geo_heads.json"
KEEPS = (0.1, 0.2, 0.3)
RANKS = (32, 48, 64, 80, 96)
TIMED_TEXTS = 8192
PREDICT_TEXTS = 20000
BATCH = 1024


def pruned(coef: np.ndarray, column_mean: np.ndarray, keep: float) -> np.ndarray:
    """`coef` (classes x columns) with only its `keep` share of weights left (rounded up), the
    largest by |weight| x the column's mean |value|; ties keep the earlier weight."""
    importance = (np.abs(coef) * column_mean).ravel()
    kept = np.argsort(-importance, kind="stable")[: int(np.ceil(keep * coef.size))]
    out = np.zeros(coef.size)
    out[kept] = np.asarray(coef, dtype=np.float64).ravel()[kept]
    return out.reshape(coef.shape)


def _geo(predictor: Any, texts: list[str]) -> list[tuple[str | None, str | None]]:
    return [(p.region, p.country) for p in predictor.predict(texts)]


def _accuracy(pairs: list[tuple], test: list[dict]) -> dict[str, float]:
    with_country = [i for i, r in enumerate(test) if r["country"]]
    with_region = [i for i, r in enumerate(test) if r["region"]]
    return {
        "country_accuracy": round(
            sum(pairs[i][1] == test[i]["country"] for i in with_country) / len(with_country), 4
        ),
        "region_accuracy": round(
            sum(pairs[i][0] == test[i]["region"] for i in with_region) / len(with_region), 4
        ),
    }


def _with_country(model_dir: Path, coef: np.ndarray, intercept: np.ndarray) -> Any:
    """A fresh predictor of the model whose country head has these weights (the union of
    region and country is built from them on first use)."""
    from infer.predictor import Predictor

    predictor = Predictor.load(model_dir)
    head = predictor.model.country
    member = next(h for h in head.shared.rows.heads if h.classes == head.classes)
    for item in (head, member):  # frozen dataclasses: a study patches them in place
        object.__setattr__(item, "coef", np.asarray(coef, dtype=np.float32))
        object.__setattr__(item, "intercept", np.asarray(intercept, dtype=np.float64))
        item.__dict__.pop("rows", None)
    return predictor


def product_times(model_dir: Path, texts: list[str], widths: Sequence[int], rounds: int = 5):
    """CPU ms of the union's product over `texts` (batches of BATCH) at each width, through
    the scoring path (`Head.product`, then the compiled `mix_product` for a factorised
    country part): the real union's rows for its own width, random float32 rows of the same
    height otherwise (the kernels' time does not depend on the values)."""
    from infer.kernels import load
    from infer.linear import BlockRows
    from infer.predictor import Predictor

    mix_product = load("tokenkernels").mix_product
    predictor = Predictor.load(model_dir)
    union = predictor.model.country.shared.rows.union
    n_region = len(predictor.model.region.classes)
    n_country = len(predictor.model.country.classes)
    batches = [
        BlockRows(predictor.model.featurizer, texts[start : start + BATCH])
        for start in range(0, len(texts), BATCH)
    ]
    for blocks in batches:  # count every block once, outside the clock
        union.product(blocks, union.rows)
    rng = np.random.default_rng(0)
    variants: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
    for width in widths:
        if width == union.rows.shape[1]:
            variants[width] = (union.rows, None)
            continue
        rows = rng.standard_normal((union.rows.shape[0], width)).astype(np.float32)
        mix = rng.standard_normal((width - n_region, n_country)).astype(np.float32)
        rows.setflags(write=False)
        mix.setflags(write=False)
        variants[width] = (rows, mix)

    def run(rows: np.ndarray, mix: np.ndarray | None) -> None:
        for blocks in batches:
            total = union.product(blocks, rows)
            if mix is not None:
                mix_product(np.ascontiguousarray(total[:, n_region:]), mix)

    times: dict[int, list[float]] = {width: [] for width in widths}
    for round_ in range(rounds):
        order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
        for width in order:
            start = time.process_time()
            run(*variants[width])
            times[width].append(time.process_time() - start)
    return {width: round(statistics.median(t) * 1000, 1) for width, t in times.items()}


def factorised(model_dir: Path, matrix: Any, rank: int) -> Any:
    """A predictor of the model with its country head stored at rank `rank` as training does
    it (`train.heads.factorise_head` over `matrix`, the head's training rows): scoring runs
    the 12 + rank wide union and the compiled mix, the shipped path."""
    from infer.predictor import Predictor
    from train.heads import factorise_head

    model = Predictor.load(model_dir).model
    head = factorise_head(dataclasses.replace(model.country, shared=None), matrix, rank)
    assert head.mix is not None
    # as a model folder stores and loads them: float32 (float64 rows would double the traffic)
    head = dataclasses.replace(
        head,
        coef=np.asfortranarray(head.coef, dtype=np.float32),
        mix=np.ascontiguousarray(head.mix, dtype=np.float32),
    )
    return Predictor(dataclasses.replace(model, country=head))


def predict_seconds(predictors: dict[str, Any], texts: list[str], rounds: int = 5):
    """Median CPU seconds of `predict` over the texts per predictor, rounds alternating."""
    times: dict[str, list[float]] = {name: [] for name in predictors}
    for predictor in predictors.values():
        predictor.predict(texts[:200])  # first-use builds (token caches, place matcher)
    for round_ in range(rounds):
        names = list(predictors) if round_ % 2 == 0 else list(reversed(predictors))
        for name in names:
            start = time.process_time()
            predictors[name].predict(texts)
            times[name].append(time.process_time() - start)
    return {name: round(statistics.median(t), 3) for name, t in times.items()}


def run(model_dir: Path) -> dict[str, Any]:
    """Every variant's accuracy on RAND and the union's product time at its width."""
    from infer.linear import input_matrix
    from infer.predictor import Predictor
    from train.bench.data import Corpora

    corpora = Corpora()
    test = corpora.rand
    texts = [r["text"] for r in test]
    fit_texts = [
        *(r["text"] for r in corpora.wikipedia),
        *(r["text"] for r, _ in corpora.satp),
        *(r["text"] for r in corpora.ordinary_news),
    ]
    base = Predictor.load(model_dir)
    head = base.model.country
    if head.mix is not None:
        raise SystemExit(f"{model_dir}: its country head is factorised; train one as fitted")
    base_pairs = _geo(base, texts)
    matrix = input_matrix(base.model.featurizer.transform(fit_texts), head.inputs)
    coef = np.asarray(head.coef, dtype=np.float64)
    column_mean = np.asarray(abs(matrix).mean(axis=0), dtype=np.float64).ravel()
    union_width = len(base.model.region.classes) + len(head.classes)
    rows = [{"variant": "as trained", "width": union_width, **_accuracy(base_pairs, test)}]
    variants = [(f"pruned, keep {k:.0%}", union_width, pruned(coef, column_mean, k)) for k in KEEPS]
    for name, width, weights in variants:
        pairs = _geo(_with_country(model_dir, weights, head.intercept), texts)
        changed = sum(a != b for a, b in zip(pairs, base_pairs, strict=True))
        rows.append({"variant": name, "width": width, **_accuracy(pairs, test), "changed": changed})
    factorised_predictors = {rank: factorised(model_dir, matrix, rank) for rank in RANKS}
    for rank, predictor in factorised_predictors.items():
        pairs = _geo(predictor, texts)
        changed = sum(a != b for a, b in zip(pairs, base_pairs, strict=True))
        width = len(base.model.region.classes) + rank
        rows.append(
            {
                "variant": f"rank {rank}",
                "width": width,
                **_accuracy(pairs, test),
                "changed": changed,
            }
        )
    times = product_times(model_dir, texts[:TIMED_TEXTS], sorted({r["width"] for r in rows}))
    for row in rows:
        row["product_ms"] = times[row["width"]]
    # whole predict, as trained vs each rank (what shipping it gives), the same rounds
    predictors = {"as trained": Predictor.load(model_dir)}
    predictors.update({f"rank {rank}": p for rank, p in factorised_predictors.items()})
    seconds = predict_seconds(predictors, texts[:PREDICT_TEXTS])
    for row in rows:
        if row["variant"] in seconds:
            row["predict_s"] = seconds[row["variant"]]
            row["predict_speedup"] = round(seconds["as trained"] / seconds[row["variant"]], 3)
    return {
        "model": str(model_dir),
        "n_test": len(test),
        "timed_texts": TIMED_TEXTS,
        "predict_texts": min(len(texts), PREDICT_TEXTS),
        "rows": rows,
    }


def table(study: dict[str, Any]) -> str:
    """The study as a markdown table."""
    lines = [
        "| country head | union width | country accuracy | region accuracy | (region, country) "
        f"changed | product, {study['timed_texts']:,} texts (CPU ms) | predict, "
        f"{study.get('predict_texts', 0):,} texts (CPU s) | predict speed-up |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in study["rows"]:
        lines.append(
            f"| {row['variant']} | {row['width']} | {row['country_accuracy']} | "
            f"{row['region_accuracy']} | {row.get('changed', '-')} | {row['product_ms']} | "
            f"{row.get('predict_s', '-')} | {row.get('predict_speedup', '-')} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a model folder trained by full.toml")
    parser.add_argument("--work-dir", type=Path, help="train the model here when --model is unset")
    parser.add_argument("--out", type=Path, default=STUDY_FILE, help="the JSON file to write")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        model_dir = args.model
        if model_dir is None:
            from train.config import load_config
            from train.fit import train_model

            out = (args.work_dir or Path(scratch)) / "full"
            config = load_config(
                REPO_ROOT / "train" / "configs" / "full.toml",
                out=str(out),
                overrides=["model.country_rank=0"],
            )
            model_dir = train_model(config).folder
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):  # one core, as the speed section measures
            study = run(model_dir)
    from train.bench.__main__ import git_commit

    study = {
        "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": git_commit(),
        **study,
    }
    args.out.write_text(json.dumps(study, indent=2) + "\n", encoding="utf-8")
    print(table(study))


if __name__ == "__main__":
    main()
