"""Duplicate groups (exact and near) and grouped, stratified train/test splits."""

from __future__ import annotations

import random

import pytest

from train.dedup import duplicate_groups, normalise
from train.splits import grouped_split, stratification_key

ARTICLE = (
    "Gunmen on motorcycles opened fire on a police checkpoint outside the provincial capital "
    "late on Tuesday, killing three officers and wounding two passers-by, officials said. "
    "The attackers fled towards the hills before reinforcements arrived at the scene. "
    "No group has claimed responsibility, but security forces have blamed a local militia "
    "that has carried out similar raids on remote posts in recent months."
)


def filler(i: int) -> str:
    """A distinct text of about 40 words (a deterministic word salad)."""
    rng = random.Random(i)
    words = [
        "army",
        "village",
        "market",
        "council",
        "river",
        "bridge",
        "school",
        "officials",
        "report",
        "election",
        "harvest",
        "storm",
        "road",
        "minister",
        "court",
        "station",
        "festival",
        "budget",
        "airport",
        "hospital",
        "union",
        "strike",
        "police",
        "port",
    ]
    return " ".join(rng.choice(words) for _ in range(40)) + f" item {i}."


def test_normalise_drops_case_punctuation_citations_and_extra_space() -> None:
    assert normalise("Bomb  KILLS 12,\tin Kabul![3][citation needed]") == "bomb kills 12 in kabul"


def test_exact_duplicates_after_normalisation_share_a_group() -> None:
    texts = [ARTICLE, ARTICLE.upper(), ARTICLE.replace(",", "") + " [12]", filler(1)]
    groups = duplicate_groups(texts)
    assert groups[0] == groups[1] == groups[2]
    assert groups[3] != groups[0]


def test_digits_distinguish_short_texts() -> None:
    groups = duplicate_groups(["Bomb kills 12 in Kabul.", "Bomb kills 13 in Kabul."])
    assert groups[0] != groups[1]


def test_article_pasted_twice_groups_with_single_version() -> None:
    groups = duplicate_groups([ARTICLE, filler(1), ARTICLE + "\n\n" + ARTICLE, filler(2)])
    assert groups[0] == groups[2]
    assert len({groups[0], groups[1], groups[3]}) == 3


def test_repeated_sentence_groups_with_single_version() -> None:
    first, rest = ARTICLE.split(". ", 1)
    doubled = f"{first}. {first}. {rest}"
    assert duplicate_groups([ARTICLE, doubled])[0] == duplicate_groups([ARTICLE, doubled])[1]


def test_near_duplicate_with_one_word_changed_shares_a_group() -> None:
    edited = ARTICLE.replace("three officers", "four officers")
    groups = duplicate_groups([ARTICLE, filler(5), edited])
    assert groups[0] == groups[2] != groups[1]


def test_unrelated_texts_stay_apart() -> None:
    texts = [filler(i) for i in range(50)]
    assert duplicate_groups(texts) == list(range(50))


def test_group_ids_are_deterministic_and_numbered_by_first_member() -> None:
    texts = [filler(1), ARTICLE, filler(1), filler(2), ARTICLE + " " + ARTICLE]
    groups = duplicate_groups(texts)
    assert groups == [0, 1, 0, 2, 1]
    assert duplicate_groups(texts, seed=99) == groups


def test_empty_input_has_no_groups() -> None:
    assert duplicate_groups([]) == []


def labelled(n: int) -> list[dict]:
    """n records cycling through three labels and none."""
    cycle = [["bombing"], ["kidnap"], ["armed_assault", "ambush"], []]
    return [{"id": str(i), "incident_types": cycle[i % 4]} for i in range(n)]


def test_stratification_key_is_first_label_or_none() -> None:
    assert stratification_key({"incident_types": ["armed_assault", "ambush"]}) == "armed_assault"
    assert stratification_key({"incident_types": []}) == "none"


def test_grouped_split_keeps_every_group_on_one_side() -> None:
    records = labelled(200)
    groups = [i // 3 for i in range(200)]
    train, test = grouped_split(records, groups, test_size=0.2, seed=1)
    assert sorted(train + test) == list(range(200))
    assert not {groups[i] for i in train} & {groups[i] for i in test}
    assert 0.1 < len(test) / 200 < 0.3


def test_grouped_split_keeps_pasted_twice_article_with_its_original() -> None:
    texts = [filler(i) for i in range(40)]
    texts[7] = ARTICLE
    texts[31] = ARTICLE + " " + ARTICLE
    records = labelled(40)
    groups = duplicate_groups(texts)
    for seed in range(10):
        train, _ = grouped_split(records, groups, test_size=0.25, seed=seed)
        assert (7 in train) == (31 in train)


def test_grouped_split_stratifies_labels_into_test() -> None:
    records = labelled(400)
    groups = list(range(400))
    _, test = grouped_split(records, groups, test_size=0.25, seed=3)
    keys = [stratification_key(records[i]) for i in test]
    for key in ("bombing", "kidnap", "armed_assault", "none"):
        assert 20 <= keys.count(key) <= 30


def test_grouped_split_is_deterministic_for_a_seed() -> None:
    records, groups = labelled(120), [i // 2 for i in range(120)]
    first = grouped_split(records, groups, test_size=0.2, seed=7)
    assert grouped_split(records, groups, test_size=0.2, seed=7) == first
    assert grouped_split(records, groups, test_size=0.2, seed=8) != first


def test_grouped_split_falls_back_when_stratifying_is_impossible() -> None:
    records = [{"incident_types": ["bombing"]} for _ in range(30)]
    groups = [i // 3 for i in range(30)]
    train, test = grouped_split(records, groups, test_size=0.3, seed=0)
    assert test and train
    assert not {groups[i] for i in train} & {groups[i] for i in test}


def test_grouped_split_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="test_size"):
        grouped_split(labelled(10), list(range(10)), test_size=1.5, seed=0)
    with pytest.raises(ValueError, match="group ids"):
        grouped_split(labelled(10), list(range(9)), test_size=0.2, seed=0)
