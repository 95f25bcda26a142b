"""Group exact and near-duplicate texts (MinHash LSH on word 3-shingles, union-find)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from datasketch import MinHash, MinHashLSH
from scipy.cluster.hierarchy import DisjointSet

NUM_PERM = 128
SHINGLE = 3
RECALL_MARGIN = 0.2
"""LSH looks for candidates this far below the threshold; exact Jaccard then decides."""

_CITATION = re.compile(r"\[\s*(?:\d+|[a-z]|citation needed|note \d+)\s*\]", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_NON_WORD = re.compile(r"[^\w\s]+|_")
_SPACE = re.compile(r"\s+")


def _normalise_sentence(sentence: str) -> str:
    """Lowercase, drop punctuation (keep digits) and collapse whitespace."""
    return _SPACE.sub(" ", _NON_WORD.sub(" ", sentence.lower())).strip()


def normalise(text: str) -> str:
    """Canonical form for duplicate detection; a sentence repeated later in the text counts once."""
    seen: set[str] = set()
    kept: list[str] = []
    for sentence in _SENTENCE_END.split(_CITATION.sub(" ", text or "")):
        norm = _normalise_sentence(sentence)
        if norm and norm not in seen:
            seen.add(norm)
            kept.append(norm)
    return " ".join(kept)


def _shingles(norm: str) -> list[bytes]:
    """Distinct word 3-shingles (the whole text when shorter), as bytes."""
    words = norm.split()
    if len(words) <= SHINGLE:
        return [norm.encode()]
    grams = {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
    return [g.encode() for g in sorted(grams)]


def duplicate_groups(texts: Sequence[str], *, threshold: float = 0.8, seed: int = 13) -> list[int]:
    """Group id per text (0..k-1, numbered by first member); near-duplicates share a group."""
    norms = [normalise(t) for t in texts]
    sets = DisjointSet(range(len(norms)))
    first_by_norm: dict[str, int] = {}
    unique: list[int] = []
    for i, norm in enumerate(norms):
        j = first_by_norm.setdefault(norm, i)
        if j == i:
            unique.append(i)
        else:
            sets.merge(j, i)
    candidates = [i for i in unique if len(norms[i].split()) >= SHINGLE]
    if threshold < 1.0 and len(candidates) > 1:
        _merge_near_duplicates(norms, candidates, sets, threshold, seed)
    ids: dict[int, int] = {}
    out: list[int] = []
    for i in range(len(norms)):
        out.append(ids.setdefault(sets[i], len(ids)))
    return out


def _merge_near_duplicates(
    norms: list[str], candidates: list[int], sets: DisjointSet, threshold: float, seed: int
) -> None:
    """Merge pairs that LSH proposes and whose exact shingle Jaccard reaches threshold."""
    lsh_threshold = max(0.1, threshold - RECALL_MARGIN)
    lsh = MinHashLSH(threshold=lsh_threshold, num_perm=NUM_PERM)
    shingles = [_shingles(norms[i]) for i in candidates]
    hashes = dict(
        zip(candidates, MinHash.bulk(shingles, num_perm=NUM_PERM, seed=seed), strict=True)
    )
    for i in candidates:
        lsh.insert(i, hashes[i], check_duplication=False)
    sets_of = {i: set(s) for i, s in zip(candidates, shingles, strict=True)}
    for i in candidates:
        for j in sorted(lsh.query(hashes[i])):
            if j > i and not sets.connected(i, j) and _jaccard(sets_of[i], sets_of[j]) >= threshold:
                sets.merge(i, j)


def _jaccard(a: set[bytes], b: set[bytes]) -> float:
    """Exact Jaccard similarity of two shingle sets."""
    return len(a & b) / len(a | b)
