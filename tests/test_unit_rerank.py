"""The second-stage reranker: its features, its reordering inside the search, its fit by CV."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.rerank import FEATURES, UNIT_KINDS, RerankParams, candidate_features, rerank_order
from assistant.retrieval import FusionParams, HybridRetriever, Scored
from evals.tune import tune_rerank
from tests.test_unit_fusion import StandInCollection, StandInEmbedding
from tests.unit_corpus import analyzer, by_id, children, parents

OPGAVE = "wwd-2022:1.1:opgave"
ACTION = "wwd-2022:1.1:actie:1"
GOAL = "wwd-2022:1.1:doel:5"


def weights_for(**named: float) -> list[float]:
    """[intercept, …] with the given feature weights and 0 for the rest."""
    return [0.0, *(named.get(f, 0.0) for f in FEATURES)]


def hit(chunk_id: str, score: float, dense: float = 0.8, lexical: float = 5.0, child=None) -> Scored:
    return Scored(by_id()[chunk_id], score, dense, lexical, child)


def test_features_are_relative_to_the_best_candidate():
    hits = [hit(OPGAVE, 0.10, dense=0.85, lexical=8.0), hit(ACTION, 0.05, dense=0.80, lexical=2.0, child=object())]
    x = candidate_features(hits, dense_top=0.85, lexical_top=8.0)
    assert x.shape == (2, len(FEATURES))
    row = dict(zip(FEATURES, x[1]))
    assert row["fused_share"] == pytest.approx(0.5) and row["fused_rank"] == pytest.approx(0.5)
    assert row["dense_gap"] == pytest.approx(-0.05) and row["lexical_share"] == pytest.approx(0.25)
    assert row["child_matched"] == 1.0 and row["actie"] == 1.0
    assert sum(row[k] for k in UNIT_KINDS) == 1.0
    assert dict(zip(FEATURES, x[0]))["opgave"] == 1.0 and dict(zip(FEATURES, x[0]))["fused_share"] == 1.0


def test_the_question_type_marks_the_kinds_of_unit_that_answer_it():
    hits = [hit(OPGAVE, 0.10), hit(ACTION, 0.09), hit("wwd-2022:1.1:resultaten", 0.08)]
    who = dict(zip(FEATURES, candidate_features(hits, 0.8, 5.0, "wie")[1]))
    assert who["wie_actie"] == 1.0 and who["janee_actie_doel"] == 0.0
    achieved = candidate_features(hits, 0.8, 5.0, "bereikt")[:, FEATURES.index("bereikt_resultaten_sectie")]
    assert achieved.tolist() == [0.0, 0.0, 1.0]
    assert not candidate_features(hits, 0.8, 5.0)[:, len(FEATURES) - 4:].any()  # an open question: none


def test_without_weights_the_fused_order_stands():
    hits = [hit(OPGAVE, 0.10), hit(ACTION, 0.09), hit(GOAL, 0.08)]
    assert rerank_order(hits, 0.8, 5.0, RerankParams()) == [0, 1, 2]


def test_the_model_reorders_only_the_first_depth_candidates():
    hits = [hit(OPGAVE, 0.10), hit(GOAL, 0.09), hit(ACTION, 0.08), hit(ACTION.replace(":1", ":2"), 0.07)]
    params = RerankParams(weights=weights_for(actie=2.0, doel=1.0), depth=3)
    assert rerank_order(hits, 0.8, 5.0, params) == [2, 1, 0, 3]  # the fourth is past the depth: it stays fourth


def test_a_weight_list_that_does_not_fit_the_features_is_refused():
    with pytest.raises(ValueError, match="evals.tune --write"):
        RerankParams(weights=[0.0, 1.0, 2.0])


def retriever(rerank: RerankParams) -> HybridRetriever:
    # The opgave is the best dense match and so the fused first; the action is close behind.
    collection = StandInCollection([(OPGAVE, 0.90), (ACTION, 0.89), (GOAL, 0.70)])
    return HybridRetriever(list(parents()), collection, StandInEmbedding(), FusionParams(method="dense"),
                           children=children(), analyzer=analyzer(), rerank=rerank)


def test_search_returns_the_reranked_order_and_keeps_each_fused_score():
    fused = retriever(RerankParams()).search("iemand die niet goed met de computer kan", top_k=3)
    assert [h.chunk.id for h in fused.hits] == [OPGAVE, ACTION, GOAL]
    reranked = retriever(RerankParams(weights=weights_for(opgave=-5.0))).search("iemand die niet goed met de computer kan", top_k=3)
    assert [h.chunk.id for h in reranked.hits] == [ACTION, GOAL, OPGAVE]
    assert {h.chunk.id: h.score for h in reranked.hits} == {h.chunk.id: h.score for h in fused.hits}


def test_a_short_search_is_reranked_over_the_full_depth():
    # top_k=1 must give the model's first of the ten, not the fused first alone
    found = retriever(RerankParams(weights=weights_for(opgave=-5.0, actie=-5.0))).search("computer", top_k=1)
    assert [h.chunk.id for h in found.hits] == [GOAL]


def test_tune_rerank_learns_what_marks_the_relevant_candidate_out_of_fold():
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(40):  # the relevant candidate is never the fused first, but always an action
        x = np.zeros((4, len(FEATURES)))
        x[:, FEATURES.index("fused_share")] = [1.0, 0.9, 0.8, 0.7]
        kinds = rng.permutation(["opgave", "doel", "sectie"]).tolist()
        relevant = int(rng.integers(1, 4))
        kinds.insert(relevant, "actie")
        for row, kind in enumerate(kinds[:4]):
            x[row, FEATURES.index(kind)] = 1.0
        y = np.array([float(k == "actie") for k in kinds[:4]])
        samples.append((x, y))
    samples[5:5] = [None, None]  # questions that did not reach the search route
    asked = []

    def answer(params, members):  # stands in for the whole answer: is the first hit (by these weights) an action?
        asked.append(members)
        w = np.asarray(params.weights[1:]) if params.weights else np.zeros(len(FEATURES))
        return [(float(samples[i][1][int(np.argmax(samples[i][0] @ w))]), 1.0) for i in members if samples[i] is not None]

    params, summary = tune_rerank(samples, answer)
    assert summary["questions"] == 40 and summary["fused_hit@1"] == 0.0 and summary["cv_reranked_hit@1"] == 1.0
    assert summary["answers_fused"]["hit@1"] == 0.0 and summary["answers_cv_reranked"]["hit@1"] == 1.0
    assert sorted(i for members in asked for i in members) == sorted(list(range(42)) * 2)  # every question, both ways
    assert params.weights[1 + FEATURES.index("actie")] > 0


@pytest.mark.parametrize("held_out", ["evals/holdout.jsonl", "evals/blind-dev7.jsonl"])
def test_tuning_refuses_the_held_out_sets(held_out, capsys):
    from evals.tune import main

    assert main([held_out]) == 2  # before anything is opened or fitted
    assert "apart gehouden" in capsys.readouterr().err
