"""The narrower-geography-heads study: its pruning and its table (the low-rank factors are
train.heads.factorise_head's, tested in tests/train/test_factorise_head.py)."""

from __future__ import annotations

import numpy as np

from train.bench.geo_heads import pruned, table


def test_pruning_keeps_the_weights_that_add_most_to_an_average_row():
    coef = np.array([[0.5, 3.0, 100.0], [-0.1, 0.2, -50.0]])
    column_mean = np.array([4.0, 0.5, 0.0])  # column 2 never occurs: its weights add nothing
    # importances 2.0, 1.5, 0 / 0.4, 0.1, 0: half of six weights is a0, a1, b0
    assert pruned(coef, column_mean, 0.5).tolist() == [[0.5, 3.0, 0.0], [-0.1, 0.0, 0.0]]
    assert np.count_nonzero(pruned(coef, np.ones(3), 0.3)) == 2  # ceil(1.8)


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
