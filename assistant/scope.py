"""In or out of scope: does the agenda cover this question?

Four cheap signals: how close the best dense hit is (cosine), how far it stands out from the
also-rans (a question about something else is about equally far from everything), how much of the
question's vocabulary the corpus knows (stems, or a shared 5-letter prefix for spelling variants and
inflections), and the best BM25 score. A logistic model over them is fitted on the dev set by
`python -m evals.tune` and stored in calibration.json; no phrases are listed anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from pydantic import BaseModel

PREFIX = 5


class ScopeSignals(BaseModel):
    dense_top: float
    dense_gap: float
    coverage: float
    lexical_top: float

    def features(self) -> list[float]:
        return [self.dense_top, self.dense_gap, self.coverage, math.log1p(self.lexical_top)]


class ScopeParams(BaseModel):
    # Intercept then one weight per feature (see ScopeSignals.features); fitted by evals.tune.
    weights: list[float] = [-120.0, 130.0, 60.0, 4.0, 1.5]
    threshold: float = 0.5


def known_prefixes(vocabulary: Collection[str]) -> set[str]:
    return {v[:PREFIX] for v in vocabulary if len(v) >= PREFIX}


def coverage(question_stems: list[str], vocabulary: Collection[str], prefixes: Collection[str]) -> float:
    """Share of the question's content stems the corpus knows (exactly or by a shared prefix)."""
    if not question_stems:
        return 0.0
    known = sum(1 for s in question_stems if s in vocabulary or (len(s) >= PREFIX and s[:PREFIX] in prefixes))
    return known / len(question_stems)


def probability(signals: ScopeSignals, params: ScopeParams) -> float:
    z = params.weights[0] + sum(w * x for w, x in zip(params.weights[1:], signals.features()))
    return 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))


def in_scope(signals: ScopeSignals, params: ScopeParams) -> bool:
    return probability(signals, params) >= params.threshold
