"""In or out of scope: does the agenda cover this question?

Three signals, each cheap: how close the best dense hit is (cosine), how much of the question's
vocabulary the corpus knows at all (coverage), and the best BM25 score. The thresholds are tuned
on the dev set by `python -m evals.tune` and stored in calibration.json; no phrases are listed.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from pydantic import BaseModel


class ScopeParams(BaseModel):
    dense_min: float = 0.80  # below this best cosine, refuse unless the vocabulary clearly matches
    dense_high: float = 0.86  # at or above this, answer whatever the vocabulary says
    coverage_min: float = 0.5  # share of the question's content words that occur in the corpus
    lexical_min: float = 0.0  # best BM25 score needed besides coverage


class ScopeSignals(BaseModel):
    dense_top: float
    lexical_top: float
    coverage: float


def coverage(question_stems: list[str], vocabulary: Collection[str]) -> float:
    if not question_stems:
        return 0.0
    return sum(1 for s in question_stems if s in vocabulary) / len(question_stems)


def in_scope(signals: ScopeSignals, params: ScopeParams) -> bool:
    if signals.dense_top >= params.dense_high:
        return True
    return (
        signals.dense_top >= params.dense_min
        and signals.coverage >= params.coverage_min
        and signals.lexical_top >= params.lexical_min
    )


def confidence(signals: ScopeSignals, params: ScopeParams) -> float:
    """A 0..1 number for display/eval: how far above the dense floor the best hit is."""
    return 1 / (1 + math.exp(-40 * (signals.dense_top - params.dense_min)))
