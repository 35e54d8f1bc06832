"""Covered, related or not covered: does the agenda speak to this question?

The decision rests on the corpus and the question only (DESIGN.md, "Answer outcomes"), never on
labelled eval questions. Four cheap signals:
- how close the best dense hit is (cosine of the best chunk or child line);
- the best BM25 score of the question's subject words (question words such as "werkagenda",
  "welke", "acties" match the agenda whatever the subject, so they do not count);
- the share of subject words the agenda contains in some form (lemma, stem, compound parts, one
  typo away, or through the everyday-Dutch thesaurus);
- that share weighted by how specific each word is (idf; a word the agenda lacks weighs most).
A logistic model over them is fitted by `python -m evals.tune` with k-fold cross-validation and
stored in calibration.json. Two thresholds make three outcomes: at or above `covered` the answer is
given as the agenda's; between `related` and `covered` it is given as the closest the agenda comes;
below `related` the assistant refuses and says where to go instead.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, field_validator

from assistant.analysis import DutchAnalyzer
from assistant.referrals import handled_elsewhere

Outcome = Literal["covered", "related", "not_covered"]


class ScopeSignals(BaseModel):
    dense_top: float
    topic_lexical_top: float  # best BM25 score of the subject words alone
    coverage: float  # share of subject words the agenda contains in some form
    idf_coverage: float  # the same, weighted by specificity
    # 1 when a subject word the agenda lacks is one the referral table sends elsewhere ("paspoort",
    # "kinderbijslag"): the question is about a service, not about the agenda's plans.
    elsewhere: float = 0.0

    def features(self) -> list[float]:
        return [self.dense_top, math.log1p(self.topic_lexical_top), self.coverage, self.idf_coverage, self.elsewhere]


SIGNAL_COUNT = len(ScopeSignals(dense_top=0, topic_lexical_top=0, coverage=0, idf_coverage=0).features())


class ScopeParams(BaseModel):
    # Intercept then one weight per feature (ScopeSignals.features); fitted by evals.tune.
    weights: list[float] = [-40.0, 45.0, 1.0, 2.0, 2.0, -2.0]
    covered: float = 0.5  # probability at or above which the question is covered
    related: float = 0.2  # below this: not covered (refused)

    @field_validator("weights")
    @classmethod
    def _one_weight_per_signal(cls, weights: list[float]) -> list[float]:
        if len(weights) != SIGNAL_COUNT + 1:  # a weight would silently fall away, or an old file would lack one
            raise ValueError(
                f"de scopedrempel heeft {len(weights)} gewichten, maar er zijn {SIGNAL_COUNT} signalen plus een intercept; "
                "stem opnieuw af met `python -m evals.tune --write`"
            )
        return weights


class CorpusVocabulary:
    """Document frequencies of the corpus's index terms, for the specificity of a question's words."""

    def __init__(self, terms_per_chunk: Iterable[Iterable[str]]):
        self.document_frequency: Counter[str] = Counter()
        self.chunks = 0
        for terms in terms_per_chunk:
            self.chunks += 1
            self.document_frequency.update(set(terms))

    def idf(self, term: str) -> float:
        """log((N+1)/df); a term the corpus lacks gets the highest weight, log(N+1)."""
        df = self.document_frequency.get(term, 0)
        return math.log((self.chunks + 1) / df) if df else math.log(self.chunks + 1)


def signals(
    analyzer: DutchAnalyzer, vocabulary: CorpusVocabulary, question: str, dense_top: float, topic_lexical_top: float,
) -> ScopeSignals:
    """The scope signals of a question, given its best dense cosine and its subject words' best BM25.

    Tried and not kept (5-fold CV on the pooled dev questions, out-of-scope refused at the same false
    refusals): whether the best hits contain the subject words (63 against 67 of 87), whether any
    subject word is unknown (65), the best parent and best child cosine apart (65), the gap between
    the best and the 11th-30th cosine (67), and coverage that counts thesaurus words as known (69
    against 69, so the simpler one stays)."""
    words = [w for w in analyzer.subject_words(question) if not w.isdigit()]
    if not words:
        return ScopeSignals(dense_top=dense_top, topic_lexical_top=topic_lexical_top, coverage=0.0, idf_coverage=0.0)
    weighted = []
    elsewhere = False
    for word in words:
        found, known = analyzer.read_word(word)
        weighted.append((vocabulary.idf(found[0]) if known else vocabulary.idf(""), known))
        elsewhere = elsewhere or (not known and handled_elsewhere(word))
    total = sum(w for w, _ in weighted)
    return ScopeSignals(
        dense_top=dense_top, topic_lexical_top=topic_lexical_top,
        coverage=sum(1 for _, known in weighted if known) / len(weighted),
        idf_coverage=sum(w for w, known in weighted if known) / total if total > 0 else 0.0,
        elsewhere=float(elsewhere),
    )


def probability(signals: ScopeSignals, params: ScopeParams) -> float:
    z = params.weights[0] + sum(w * x for w, x in zip(params.weights[1:], signals.features()))
    return 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))


def outcome(p: float, params: ScopeParams) -> Outcome:
    if p >= params.covered:
        return "covered"
    return "related" if p >= params.related else "not_covered"


def fit_logistic(features: Sequence[Sequence[float]], labels: Sequence[int], l2: float, iterations: int = 50) -> list[float]:
    """L2-regularised logistic regression by Newton's method on standardised features; returns
    [intercept, *weights] on the raw features. Balanced classes, so neither label dominates."""
    import numpy as np

    x = np.asarray(features, dtype=float)
    y = np.asarray(labels, dtype=float)
    mu, sigma = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mu) / sigma])
    positives = max(y.sum(), 1.0)
    negatives = max(len(y) - y.sum(), 1.0)
    sample_weight = np.where(y == 1, len(y) / (2 * positives), len(y) / (2 * negatives))
    beta = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * l2
    penalty[0, 0] = 0.0  # the intercept is not regularised
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(z @ beta, -50, 50)))
        gradient = z.T @ (sample_weight * (p - y)) + penalty @ beta
        hessian = (z * (sample_weight * p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = beta[1:] / sigma
    intercept = beta[0] - float(np.sum(beta[1:] * mu / sigma))
    return [float(intercept), *map(float, weights)]
