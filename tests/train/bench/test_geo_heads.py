"""The narrower-geography-heads study: its pruning and low-rank projections."""

from __future__ import annotations

import numpy as np

from train.bench.geo_heads import low_rank, pruned, table


def test_pruning_keeps_the_weights_that_add_most_to_an_average_row():
    coef = np.array([[0.5, 3.0, 100.0], [-0.1, 0.2, -50.0]])
    column_mean = np.array([4.0, 0.5, 0.0])  # column 2 never occurs: its weights add nothing
    # importances 2.0, 1.5, 0 / 0.4, 0.1, 0: half of six weights is a0, a1, b0
    assert pruned(coef, column_mean, 0.5).tolist() == [[0.5, 3.0, 0.0], [-0.1, 0.0, 0.0]]
    assert np.count_nonzero(pruned(coef, np.ones(3), 0.3)) == 2  # ceil(1.8)


def test_a_full_rank_projection_gives_the_same_head():
    rng = np.random.default_rng(1)
    coef, intercept = rng.standard_normal((5, 40)), rng.standard_normal(5)
    scores = rng.standard_normal((200, 40)) @ coef.T
    weights, bias = low_rank(coef, intercept, scores, rank=5)
    assert np.allclose(weights, coef) and np.allclose(bias, intercept)


def test_a_low_rank_head_keeps_the_scores_in_the_kept_directions_and_their_mean():
    rng = np.random.default_rng(2)
    coef, intercept = rng.standard_normal((6, 30)), np.zeros(6)
    features = rng.standard_normal((300, 30))
    scores = features @ coef.T
    weights, bias = low_rank(coef, intercept, scores, rank=2)
    approx = features @ weights.T + bias
    assert np.linalg.matrix_rank(weights, tol=1e-9) == 2
    assert np.allclose(approx.mean(axis=0), scores.mean(axis=0))
    # the best rank-2 fit of the centred scores (Eckart-Young): no other rank-2 map does better
    centred = scores - scores.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    best = (u[:, :2] * s[:2]) @ vt[:2]
    assert np.allclose(approx - scores.mean(axis=0), best)


def test_the_table_has_a_row_per_variant():
    study = {
        "timed_texts": 8192,
        "predict_texts": 20000,
        "rows": [
            {
                "variant": "as trained",
                "width": 175,
                "country_accuracy": 0.81,
                "region_accuracy": 0.89,
                "product_ms": 100.0,
            },
            {
                "variant": "rank 64",
                "width": 76,
                "country_accuracy": 0.80,
                "region_accuracy": 0.89,
                "changed": 279,
                "product_ms": 80.0,
                "predict_s": 0.8,
                "predict_speedup": 1.1,
            },
        ],
    }
    lines = table(study).splitlines()
    assert len(lines) == 4
    assert lines[2] == "| as trained | 175 | 0.81 | 0.89 | - | 100.0 | - | - |"
    assert lines[3] == "| rank 64 | 76 | 0.8 | 0.89 | 279 | 80.0 | 0.8 | 1.1 |"
