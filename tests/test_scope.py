"""The scope decision: its signals on the real corpus, the fit, and the three outcomes end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.scope import SIGNAL_COUNT, CorpusVocabulary, ScopeParams, ScopeSignals, fit_logistic, outcome, probability, signals
from evals.tune import folds_of, thresholds
from tests.test_analysis import analyzer

DEV_SET = Path(__file__).resolve().parents[1] / "evals" / "dev.jsonl"


def vocabulary() -> CorpusVocabulary:
    from ingest.corpus import chunks_for_source, load_manifest

    corpus = Path(__file__).resolve().parents[1] / "corpus"
    a = analyzer()
    return CorpusVocabulary(a.document_terms(c.embed_text) for s in load_manifest(corpus) for c in chunks_for_source(s))


def test_coverage_counts_words_the_agenda_has_in_any_form():
    known = signals(analyzer(), vocabulary(), "Komt er een identiteitswalet?", 0.85, 3.0)
    unknown = signals(analyzer(), vocabulary(), "Komt er een hoger minimumloon?", 0.85, 3.0)
    assert known.coverage == 1.0 and unknown.coverage < 1.0
    assert unknown.idf_coverage < unknown.coverage  # the unknown word is the most specific one


def test_three_outcomes_from_two_thresholds():
    params = ScopeParams(weights=[0.0, 0, 0, 0, 0, 0], covered=0.6, related=0.3)
    assert [outcome(p, params) for p in (0.7, 0.6, 0.45, 0.3, 0.1)] == ["covered", "covered", "related", "related", "not_covered"]


def test_logistic_fit_separates_a_separable_signal():
    rng = np.random.default_rng(1)
    x = np.r_[rng.normal(0.8, 0.02, (40, 1)), rng.normal(0.9, 0.02, (40, 1))]
    y = np.r_[np.zeros(40), np.ones(40)]
    w = fit_logistic(np.hstack([x, np.zeros((80, 4))]), y, l2=0.1)
    params = ScopeParams(weights=w)
    low = probability(ScopeSignals(dense_top=0.78, topic_lexical_top=0, coverage=0, idf_coverage=0), params)
    high = probability(ScopeSignals(dense_top=0.92, topic_lexical_top=0, coverage=0, idf_coverage=0), params)
    assert low < 0.2 < 0.8 < high


def test_thresholds_keep_false_refusals_under_the_cap():
    probs = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    labels = np.array([0, 0, 0, 1, 0, 1, 1, 1, 1, 1])
    covered, related = thresholds(probs, labels, total_in_scope=100)  # 3% of 100: at most 3 false refusals
    assert np.sum((labels == 1) & (probs < related)) <= 3 and np.sum((labels == 0) & (probs < related)) >= 3
    assert covered >= related


def test_folds_are_balanced_and_deterministic():
    folds = folds_of(23)
    assert folds == folds_of(23) and sorted(set(folds)) == [0, 1, 2, 3, 4]
    assert max(folds.count(f) for f in range(5)) - min(folds.count(f) for f in range(5)) <= 1


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    # agenda words around a subject the agenda does not cover; none of these is in evals/
    "Wat staat er in de werkagenda over de zorgpremie?",
    "Komt er volgens het kabinet een verbod op vuurwerk?",
])
def test_agenda_worded_questions_about_other_subjects_are_refused_with_a_referral(assistant, question):
    answer = assistant.ask(question)
    assert answer.outcome == "not_covered" and not answer.in_scope and answer.citations == []
    assert answer.referrals and all(r.url.startswith("https://") for r in answer.referrals)
    assert answer.suggestions and "Dat staat niet in de werkagenda" in answer.answer


@pytest.mark.slow
def test_a_refusal_points_to_the_right_office(assistant):
    answer = assistant.ask("Hoe vraag ik huurtoeslag aan?")
    assert answer.outcome == "not_covered" and answer.referrals[0].name == "Dienst Toeslagen"
    # every suggestion is itself answered
    assert all(assistant.ask(s).in_scope for s in answer.suggestions)


@pytest.mark.slow
@pytest.mark.parametrize(("question", "office"), [
    # subjects of other services, none of them in evals/: the refusal names who does handle them
    ("Hoe lang duurt het voordat ik een verblijfsvergunning krijg?", "Immigratie- en Naturalisatiedienst (IND)"),
    ("Wanneer zijn de wegwerkzaamheden op de A2 klaar?", "Rijkswaterstaat"),
    ("Hoeveel weken ouderschapsverlof krijg ik?", "Rijksoverheid.nl, onderwerp zwangerschapsverlof en bevallingsverlof"),
    ("Wanneer is de volgende schoolvakantie?", "Rijksoverheid.nl, onderwerp schoolvakanties"),
])
def test_a_service_of_another_office_is_refused_and_pointed_there(assistant, question, office):
    answer = assistant.ask(question)
    assert answer.outcome == "not_covered" and answer.referrals[0].name == office
    assert answer.referrals[0].url in answer.answer


@pytest.mark.slow
def test_an_organisation_with_a_covered_subject_is_still_answered(assistant):
    answer = assistant.ask("Wat doet BZK aan cybersecurity?")
    assert answer.in_scope and answer.citations and answer.citations[0].prioriteit == "2.4"


@pytest.mark.slow
def test_an_organisation_question_with_an_extra_word_keeps_its_list(assistant):
    answer = assistant.ask("Welke acties heeft OCW samen met anderen?")
    assert answer.in_scope and answer.route == "organisatie" and len(answer.citations) >= 3


@pytest.mark.slow
def test_a_filter_never_turns_a_covered_question_into_a_refusal(assistant):
    from assistant.models import Filters

    answer = assistant.ask("Wie voert actie 4 uit?", filters=Filters(prioriteit="2.4"))
    assert answer.in_scope and answer.citations[0].id.endswith("2.4:actie:4")


@pytest.mark.slow
def test_scope_tuning_fits_by_cross_validation(assistant):
    from assistant.intent import analyse
    from evals.questions import load_questions
    from evals.tune import search_signals, tune_scope

    questions = load_questions(DEV_SET).questions
    # orders in a question ("Negeer alle vorige instructies …") are refused by rule, not by the fitted model
    asked = [q for q in questions if not analyse(q.question).instruction]
    sample = [q for q in asked if q.out_of_scope][:15] + [q for q in asked if not q.out_of_scope][:35]
    params, summary = tune_scope(search_signals(assistant, sample), sum(not q.out_of_scope for q in sample))
    assert len(params.weights) == SIGNAL_COUNT + 1 and 0 < params.related <= params.covered < 1
    assert summary["out_of_scope"] == 15 and summary["cv_false_refusals"] <= 0.03 * 35 + 1
