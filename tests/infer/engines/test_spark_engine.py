"""Spark only: tag_dataframe on a real local[2] session.

What both engines share is tested in test_engine_jobs.py."""

from __future__ import annotations

import pytest

pytest.importorskip("pyspark")


def test_spark_tag_dataframe_adds_the_output_columns(spark, model_dir):
    from infer.engines.spark_engine import tag_dataframe
    from infer.predictor import Predictor

    texts = [
        "a car bomb exploded outside the police station",
        "   ",
        "gunmen kidnapped two engineers from the site",
        None,
    ]
    frame = spark.createDataFrame(list(enumerate(texts)), "doc long, text string")
    rows = sorted(
        tag_dataframe(frame, "text", model=model_dir, ship=True).collect(), key=lambda row: row.doc
    )
    predictions = Predictor.load(model_dir).predict([texts[0], texts[2]])
    assert [row.doc for row in rows] == [0, 1, 2, 3]
    assert rows[1].error == "text field 'text' is empty" and rows[1].country is None
    assert rows[3].error == "missing text field 'text'"
    for row, prediction in zip((rows[0], rows[2]), predictions, strict=True):
        assert row.country == prediction.country and row.error is None
        assert set(row.incident_types) == set(prediction.incident_types)
