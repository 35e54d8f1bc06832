"""The scope model on synthetic signals: the logistic fit, the probability, the three outcomes; and
the coverage signals of real questions against the corpus vocabulary (no index, no model)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest

from assistant.referrals import asks_an_office
from assistant.scope import CorpusVocabulary, ScopeParams, ScopeSignals, fit_logistic, outcome, probability, signals
from tests.unit_corpus import analyzer, parents


def sig(dense: float = 0.0, lexical: float = 0.0, coverage: float = 0.0, idf: float = 0.0, elsewhere: float = 0.0) -> ScopeSignals:
    return ScopeSignals(dense_top=dense, topic_lexical_top=lexical, coverage=coverage, idf_coverage=idf, elsewhere=elsewhere)


# (weights, signals) → probability, written out: z = w0 + w1·dense + w2·log(1+bm25) + w3·coverage + w4·idf + w5·elsewhere
PROBABILITIES = [
    ([0.0, 0, 0, 0, 0, 0], sig(0.9, 5, 1, 1), 0.5),
    ([-2.0, 2, 1, 0.5, 0.5, 0], sig(0.5, math.e - 1, 1, 0), 1 / (1 + math.exp(-0.5))),
    ([-40.0, 45, 1, 2, 2, -2], sig(0.8, 0, 0.5, 0.5), 1 / (1 + math.exp(-(-40 + 36 + 1 + 1)))),
    ([-40.0, 45, 1, 2, 2, -2], sig(0.8, 0, 0.5, 0.5, 1), 1 / (1 + math.exp(-(-40 + 36 + 1 + 1 - 2)))),
    ([1000.0, 0, 0, 0, 0, 0], sig(), 1 / (1 + math.exp(-50))),  # z is clamped: no overflow, not exactly 1
    ([-1000.0, 0, 0, 0, 0, 0], sig(), 1 / (1 + math.exp(50))),
]


@pytest.mark.parametrize(("weights", "signals_", "p"), PROBABILITIES)
def test_probability(weights, signals_, p):
    assert probability(signals_, ScopeParams(weights=weights)) == pytest.approx(p, rel=1e-12)


CALIBRATED = ScopeParams(covered=0.74, related=0.24)
OUTCOMES = [(1.0, "covered"), (0.74, "covered"), (0.7399, "related"), (0.5, "related"), (0.24, "related"),
            (0.2399, "not_covered"), (0.0, "not_covered")]


@pytest.mark.parametrize(("p", "expected"), OUTCOMES)
def test_outcome_thresholds_are_inclusive_from_below(p, expected):
    assert outcome(p, CALIBRATED) == expected


def two_classes(shift: float = 0.0, scale: float = 1.0, negatives: int = 60, positives: int = 60, seed: int = 3):
    """Out of scope: dense ~0.80; in scope: dense ~0.88 and coverage higher. Other features noise."""
    rng = np.random.default_rng(seed)
    low = np.c_[rng.normal(0.80, 0.02, negatives), rng.normal(1, 0.3, negatives), rng.normal(0.5, 0.1, negatives), rng.normal(0.5, 0.1, negatives)]
    high = np.c_[rng.normal(0.88, 0.02, positives), rng.normal(1, 0.3, positives), rng.normal(0.8, 0.1, positives), rng.normal(0.5, 0.1, positives)]
    x = np.r_[low, high] * scale + shift
    return x, np.r_[np.zeros(negatives), np.ones(positives)]


def predict(weights: list[float], x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(weights[0] + x @ np.asarray(weights[1:]))))


def test_fit_separates_the_classes_and_signs_follow_the_signal():
    x, y = two_classes()
    w = fit_logistic(x, y, l2=0.1)
    p = predict(w, x)
    assert ((p >= 0.5) == (y == 1)).mean() >= 0.97
    assert w[1] > 0 and w[3] > 0  # more dense similarity and more coverage: more in scope


def test_fit_weights_are_on_the_raw_features():
    """Standardising is internal: a feature in other units gets a weight in those units."""
    x, y = two_classes()
    w = fit_logistic(x, y, l2=0.1)
    scaled = fit_logistic(x * 10, y, l2=0.1)
    shifted = fit_logistic(x + 5, y, l2=0.1)
    assert scaled[1:] == pytest.approx([v / 10 for v in w[1:]], rel=1e-6) and scaled[0] == pytest.approx(w[0], rel=1e-6)
    assert shifted[1:] == pytest.approx(w[1:], rel=1e-6) and shifted[0] == pytest.approx(w[0] - 5 * sum(w[1:]), rel=1e-6)


def test_fit_balances_the_classes():
    """Ten in-scope questions against ninety out of scope: the boundary stays between the classes."""
    x, y = two_classes(negatives=90, positives=10)
    w = fit_logistic(x, y, l2=0.1)
    middle = np.array([[0.84, 1.0, 0.65, 0.5]])
    assert 0.25 < predict(w, middle)[0] < 0.75


def test_stronger_regularisation_shrinks_the_weights():
    x, y = two_classes()
    loose, tight = fit_logistic(x, y, l2=0.01), fit_logistic(x, y, l2=100.0)
    assert abs(tight[1]) < abs(loose[1]) and abs(tight[3]) < abs(loose[3])


def test_a_constant_feature_gets_no_weight():
    x, y = two_classes()
    x[:, 3] = 0.5
    w = fit_logistic(x, y, l2=0.1)
    assert w[4] == 0.0 and all(math.isfinite(v) for v in w)


@lru_cache(maxsize=1)
def vocabulary() -> CorpusVocabulary:
    a = analyzer()
    return CorpusVocabulary(a.document_terms(c.embed_text) for c in parents())


# question → (coverage, idf_coverage below coverage?)
COVERAGE = [
    ("Komt er een identiteitswalet?", 1.0, False),  # a typo of an agenda word is known
    ("Welke acties zijn er in 2025?", 1.0, False),
    ("Komt er een hoger minimumloon?", 0.5, True),  # the unknown word is the more specific one
    ("Wat kost een paspoort?", 0.5, True),
    ("Wat doet de overheid aan privacy en windmolens?", 2 / 3, True),
    ("Wat is er?", 0.0, False),  # no subject words: no coverage
]


@pytest.mark.parametrize(("question", "coverage", "idf_lower"), COVERAGE)
def test_coverage_signals_of_real_questions(question, coverage, idf_lower):
    s = signals(analyzer(), vocabulary(), question, dense_top=0.8, topic_lexical_top=2.0)
    assert s.coverage == pytest.approx(coverage)
    assert (s.idf_coverage < s.coverage) is idf_lower
    assert (s.dense_top, s.topic_lexical_top) == (0.8, 2.0)


def test_a_weight_for_every_signal_or_a_dutch_error():
    with pytest.raises(ValueError, match="evals.tune --write"):
        ScopeParams(weights=[0.0, 1, 1, 1, 1])  # a calibration.json from before the referral signal


@pytest.mark.parametrize(("question", "elsewhere"), [
    ("Wat kost een nieuw paspoort dit jaar?", 1.0),  # not in the agenda; the gemeente's
    ("Hoeveel kinderbijslag krijg ik?", 1.0),  # not in the agenda; the SVB's
    ("Missen mensen hun huurtoeslag?", 0.0),  # a referral word, but the agenda has it (opgave 1.2)
    ("Komt er een digitale identiteitswallet?", 0.0),
])
def test_a_subject_the_agenda_lacks_and_the_referrals_send_elsewhere(question, elsewhere):
    assert signals(analyzer(), vocabulary(), question, 0.85, 3.0).elsewhere == elsewhere


# question → the office it asks after as one's own case, or None; none of these is in evals/
OWN_CASE = [
    ("Hoe vraag ik een parkeervergunning aan bij de gemeente?", "de gemeente"),
    ("Wat kost een stempas bij de verkiezingen?", "Kiesraad"),
    ("Hoeveel kinderbijslag krijgen we voor een tweeling?", "Sociale Verzekeringsbank (SVB)"),
    ("Hoe verleng ik mijn verblijfsvergunning?", "Immigratie- en Naturalisatiedienst (IND)"),
    ("Hoe betaal ik mijn motorrijtuigenbelasting?", "Belastingdienst"),
    ("Wat doet de overheid aan de verblijfsvergunning?", None),  # no question after one's own case
    ("Hoe vraag ik hulp aan met mijn computer?", None),  # the Informatiepunt: the agenda builds it
    ("Hoe vraag ik een ID-wallet aan?", None),  # no office of the table
    ("Hoe krijg ik mijn fout in de BRP hersteld?", None),  # "hoe krijg ik" also asks after the agenda's plans
]


@pytest.mark.parametrize(("question", "office"), OWN_CASE)
def test_a_question_after_ones_own_case_at_an_office(question, office):
    found = asks_an_office(question)
    assert (found.name if found else None) == office
