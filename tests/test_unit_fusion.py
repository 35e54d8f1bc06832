"""Fusion and the parent/child collapse as pure functions on hand-made ranked lists, and one search
through HybridRetriever with a stand-in for Chroma (no index, no model)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval import FusionParams, HybridRetriever, collapse_to_parents, fuse
from tests.unit_corpus import analyzer, by_id, children, parents

# Four parents: dense found 0, 1 and 3 (0 best); BM25 found 1, 2 and 3 (1 best).
DENSE = np.array([0.9, 0.8, 0.0, 0.7], dtype=np.float32)
IN_DENSE = np.array([True, True, False, True])
LEXICAL = np.array([0.0, 5.0, 3.0, 1.0])


def rrf(k: int, w: float) -> list[float]:
    """Weighted RRF written out by hand for the lists above: ranks dense 0,1,3 and lexical 1,2,3."""
    dense = [1 / (k + 1), 1 / (k + 2), 0.0, 1 / (k + 3)]
    lexical = [0.0, 1 / (k + 1), 1 / (k + 2), 1 / (k + 3)]
    return [w * d + (1 - w) * b for d, b in zip(dense, lexical)]


# params → (expected scores, expected order best first)
FUSIONS = [
    (FusionParams(method="rrf", rrf_k=10, dense_weight=0.6), rrf(10, 0.6), [1, 3, 0, 2]),
    (FusionParams(method="rrf", rrf_k=60, dense_weight=0.6), rrf(60, 0.6), [1, 3, 0, 2]),
    (FusionParams(method="rrf", rrf_k=10, dense_weight=0.95), rrf(10, 0.95), [0, 1, 3, 2]),  # dense leads
    (FusionParams(method="rrf", rrf_k=10, dense_weight=0.1), rrf(10, 0.1), [1, 3, 2, 0]),  # found by both beats one rank higher in one
    (FusionParams(method="dense"), [0.9, 0.8, 0.0, 0.7], [0, 1, 3, 2]),
    (FusionParams(method="bm25"), [0.0, 5.0, 3.0, 1.0], [1, 2, 3, 0]),
]


@pytest.mark.parametrize(("params", "scores", "order"), FUSIONS)
def test_fusion_scores_and_order(params, scores, order):
    fused = fuse(params, DENSE, IN_DENSE, LEXICAL)
    assert fused == pytest.approx(scores, abs=1e-6)
    assert list(np.argsort(-fused, kind="stable")) == order


def test_rrf_gives_nothing_to_a_parent_neither_search_found():
    fused = fuse(FusionParams(method="rrf"), DENSE, np.array([True, True, False, False]), np.array([0.0, 2.0, 0.0, 0.0]))
    assert fused[2] == fused[3] == 0.0 and fused[1] > fused[0] > 0


def test_rrf_ties_keep_the_stored_order():
    fused = fuse(FusionParams(method="rrf", rrf_k=10, dense_weight=1.0), np.array([0.5, 0.5, 0.5]),
                 np.ones(3, dtype=bool), np.zeros(3))
    assert fused == pytest.approx([1 / 11, 1 / 12, 1 / 13])


def test_weak_lexical_evidence_shifts_the_weight_to_dense():
    params = FusionParams(method="rrf", rrf_k=10, dense_weight=0.2, weak_lexical_below=2.0, weak_lexical_dense_weight=0.9)
    assert params.dense_weight_for(1.5) == 0.9 and params.dense_weight_for(2.0) == 0.2
    weak = fuse(params, DENSE, IN_DENSE, LEXICAL / 5)  # best BM25 1.0: below 2.0
    strong = fuse(params, DENSE, IN_DENSE, LEXICAL)  # best BM25 5.0
    assert weak == pytest.approx(rrf(10, 0.9)) and strong == pytest.approx(rrf(10, 0.2))


UNIT_PARENT = {"p0": 0, "p1": 1, "p1:deel:1": 1, "p1:deel:2": 1, "p2": 2}
# matches in Chroma's order → (dense, in_dense, best unit per parent)
COLLAPSES = [
    ([("p1:deel:2", 0.9), ("p0", 0.8), ("p1", 0.85), ("p1:deel:1", 0.95)],
     ([0.8, 0.95, 0.0], [True, True, False], {0: "p0", 1: "p1:deel:1"})),  # the best line lifts its parent
    ([("p1", 0.7), ("p1:deel:1", 0.7)], ([0.0, 0.7, 0.0], [False, True, False], {1: "p1"})),  # a tie keeps the first
    ([("elders", 0.99), ("p2", 0.4)], ([0.0, 0.0, 0.4], [False, False, True], {2: "p2"})),  # unknown ids are skipped
    ([], ([0.0, 0.0, 0.0], [False, False, False], {})),
]


@pytest.mark.parametrize(("matches", "expected"), COLLAPSES)
def test_children_collapse_to_their_parent(matches, expected):
    dense, in_dense, best = collapse_to_parents(matches, UNIT_PARENT, 3)
    assert dense.tolist() == pytest.approx(expected[0]) and in_dense.tolist() == expected[1] and best == expected[2]


class StandInCollection:
    """Answers every query with the same ranked (id, cosine) list, and remembers what it was asked."""

    def __init__(self, matches: list[tuple[str, float]]):
        self.matches, self.asked = matches, []

    def query(self, vector, k, where):
        self.asked.append((k, where))
        return self.matches[:k]


class StandInEmbedding:
    def get_query_embedding(self, query: str) -> list[float]:
        return [float(len(query))]


def test_search_reports_the_child_that_matched_and_fuses_with_bm25():
    chunks = list(parents())
    wallet_goal = by_id()["wwd-2022:3.2:doel:3"]
    line = next(c for c in children() if c.parent == wallet_goal.id)
    other = by_id()["wwd-2022:1.1:opgave"]
    collection = StandInCollection([(line.id, 0.91), (other.id, 0.90), (wallet_goal.id, 0.80)])
    retriever = HybridRetriever(chunks, collection, StandInEmbedding(), FusionParams(method="rrf", rrf_k=10, dense_weight=0.6),
                                children=children(), analyzer=analyzer())
    result = retriever.search("Komt er een digitale identiteitswallet?", top_k=5)
    assert result.hits[0].chunk.id == wallet_goal.id  # first in dense (through its line) and high in BM25
    assert result.hits[0].child is not None and result.hits[0].child.id == line.id
    assert result.hits[0].dense == pytest.approx(0.91)
    assert result.dense_top == pytest.approx(0.91) and result.lexical_top > 0
    assert all(h.score > 0 for h in result.hits) and len(result.hits) == 5
    k, where = collection.asked[0]
    assert where is None and k == 40 * 4  # dense_candidates, times (1 + CHILDREN_PER_CANDIDATE) with children
