"""The second stage of search: reorder the best fused candidates with a logistic model.

Fusion ranks by two rank lists (dense and BM25) and knows nothing else. On the pooled dev questions
that reach the search route, the right chunk was second or third for a third of the misses, and the
most common wrong first hit was a maatschappelijke opgave where a goal or action was asked for. The
model sees what search already knows of each candidate (its fused score, its dense cosine and BM25
score against the best, whether a child matched, how much of the question its best line covers
(assistant.coverage), which kind of unit it is, and whether that kind is what the question's type asks for) and nothing of any question set: its weights are fitted by `python -m evals.tune` with k-fold cross-validation and read
from assistant/calibration.json.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from pydantic import BaseModel, model_validator

from ingest.models import Chunk

# The kinds of unit a candidate can be, one indicator each.
UNIT_KINDS = ("actie", "doel", "resultaten", "opgave", "sectie", "programmalijn")
# The question's type (assistant.intent.QUESTION_TYPES) against the kinds of unit that answer it: "wat is er
# bereikt" is answered by behaalde resultaten and the 2023 article, "wie" and "wanneer" by an action's
# uitvoerder and result columns, a yes/no question by a goal or action that states the plan.
TYPE_MATCHES = (("bereikt", ("resultaten", "sectie")), ("wie", ("actie",)), ("wanneer", ("actie",)), ("janee", ("actie", "doel")))
FEATURES = (
    "fused_share", "fused_rank", "dense", "dense_gap", "lexical_share", "child_matched", "line_coverage", "line_coverage_gap",
    *UNIT_KINDS,
    *(f"{kind}_{'_'.join(units)}" for kind, units in TYPE_MATCHES),
)
# How many fused candidates are reordered. 5-fold CV on the search-route dev questions: depth 5 gave
# hit@1 0.799, 10 gave 0.817, 20 gave 0.799 (fused order: 0.769). Ten is also what an answer reads.
RERANK_DEPTH = 10


class RerankParams(BaseModel):
    """[intercept, one weight per FEATURES]; no weights: the fused order stands."""

    weights: list[float] = []
    depth: int = RERANK_DEPTH

    @model_validator(mode="after")
    def _one_weight_per_feature(self) -> RerankParams:
        if self.weights and len(self.weights) != len(FEATURES) + 1:
            raise ValueError(
                f"De herordening in calibration.json heeft {len(self.weights)} gewichten, maar verwacht er "
                f"{len(FEATURES) + 1}; stem opnieuw af met `python -m evals.tune --write`."
            )
        return self


class Candidate(Protocol):
    chunk: Chunk
    score: float
    dense: float
    lexical: float
    child: object | None
    coverage: float


def candidate_features(hits: Sequence[Candidate], dense_top: float, lexical_top: float, question_type: str = "open") -> np.ndarray:
    """One row of FEATURES per hit, in fused order (the first hit has the best fused score)."""
    if not hits:
        return np.zeros((0, len(FEATURES)))
    best = max(hits[0].score, 1e-12)
    best_coverage = max(h.coverage for h in hits)
    rows = [
        [
            h.score / best, 1.0 / (rank + 1), h.dense, h.dense - dense_top, h.lexical / max(lexical_top, 1e-9),
            float(h.child is not None), h.coverage, h.coverage - best_coverage, *(float(h.chunk.soort == kind) for kind in UNIT_KINDS),
            *(float(question_type == kind and h.chunk.soort in units) for kind, units in TYPE_MATCHES),
        ]
        for rank, h in enumerate(hits)
    ]
    return np.asarray(rows, dtype=float)


def rerank_order(
    hits: Sequence[Candidate], dense_top: float, lexical_top: float, params: RerankParams, question_type: str = "open",
) -> list[int]:
    """Positions of `hits` in the new order: the first `depth` by the model, the rest as they were."""
    if not params.weights or len(hits) < 2:
        return list(range(len(hits)))
    head = min(params.depth, len(hits))
    weights = np.asarray(params.weights)
    scores = weights[0] + candidate_features(hits[:head], dense_top, lexical_top, question_type) @ weights[1:]
    return [*(int(i) for i in np.argsort(-scores, kind="stable")), *range(head, len(hits))]
