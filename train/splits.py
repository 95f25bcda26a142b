"""Train/test splits that keep each duplicate group on one side, stratified where possible."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold


def stratification_key(record: Mapping[str, Any]) -> str:
    """Per-record stratum: its first incident type, or "none" for non-attack reports."""
    labels = record.get("incident_types") or []
    return str(labels[0]) if labels else "none"


def grouped_split(
    records: Sequence[Mapping[str, Any]],
    groups: Sequence[int],
    *,
    test_size: float,
    seed: int,
    stratify: bool = True,
) -> tuple[list[int], list[int]]:
    """Sorted (train_idx, test_idx); no group straddles the two sides."""
    if len(records) != len(groups):
        raise ValueError(f"{len(records)} records but {len(groups)} group ids")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    n_groups = len(set(groups))
    if n_groups < 2:
        raise ValueError("need at least two duplicate groups to split")
    x = np.zeros((len(records), 1))
    g = np.asarray(groups)
    n_splits = max(2, round(1.0 / test_size))
    if stratify and n_groups >= n_splits:
        y = np.asarray([stratification_key(r) for r in records])
        if len(set(y.tolist())) > 1:
            cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # rare classes: best effort
                train, test = next(cv.split(x, y, g))
            if len(test) and len(train):
                return sorted(train.tolist()), sorted(test.tolist())
    cv = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    train, test = next(cv.split(x, groups=g))
    return sorted(train.tolist()), sorted(test.tolist())
