"""DutchAnalyzer against the real corpus vocabulary, part by part: lemmas, index terms, compound
splits, one-typo corrections, thesaurus targets, idf. (tests/test_analysis.py checks that question
and agenda words meet; this module pins each step's own output.)"""

from __future__ import annotations

import math

import pytest

from assistant.analysis import MIN_TYPO, lemma, term
from tests.unit_corpus import analyzer, parents

# word → (lemma, index term)
LEMMAS = [
    ("verhuisd", "verhuizen", "verhuiz"),  # a participle meets "verhuizing" through its infinitive
    ("kijkt", "kijken", "kijk"),
    ("gebruikt", "gebruiken", "gebruik"),
    ("gemeenten", "gemeente", "gemeent"),
    ("regels", "regel", "regel"),
    ("digitale", "digitaal", "digital"),
]


@pytest.mark.parametrize(("word", "expected_lemma", "expected_term"), LEMMAS)
def test_lemma_and_term(word, expected_lemma, expected_term):
    assert lemma(word) == expected_lemma
    assert term(word) == expected_term


# word → its split into two agenda words, () when there is none
SPLITS = [
    ("datastrategie", ("data", "strategie")),
    ("cloudbeleid", ("cloud", "beleid")),
    ("algoritmeregister", ("algoritme", "register")),
    ("gegevensuitwisseling", ("gegevens", "uitwisseling")),  # the most even split wins
    ("cyberveiligheid", ("cyber", "veiligheid")),
    ("zorgpremie", ()),  # "premie" is no agenda word
    ("belangrijk", ()),  # "rijk" is a tail under MIN_TAIL letters
    ("overheid", ()),  # "heid" is no word
    ("privacywet", ()),  # the agenda side needs a tail of MIN_TAIL letters ...
]


@pytest.mark.parametrize(("word", "parts"), SPLITS)
def test_compound_split_on_the_agenda_side(word, parts):
    assert analyzer().split(word) == parts


SHORT_TAILS = [
    ("privacywet", ("privacy", "wet")),  # ... a question's short tail splits when the agenda uses it often
    ("overheidsdata", ("overheid", "data")),  # linking s dropped from the head
    ("burgerzorg", ("burger", "zorg")),
    ("gemeentewet", ()),  # the agenda has "gemeenten", not "gemeente": no head
]


@pytest.mark.parametrize(("word", "parts"), SHORT_TAILS)
def test_compound_split_with_a_short_common_tail(word, parts):
    assert analyzer().split_short_tail(word) == parts


# question word → the agenda word one edit away (None: no correction)
TYPOS = [
    ("privasy", "privacy"),  # a substitution
    ("wallett", "wallet"),  # an insertion
    ("gegevensbeschermng", "gegevensbescherming"),  # a deletion
    ("desinformatei", "desinformatie"),  # two neighbours swapped
    ("algoritmen", "algoritmes"),  # the most frequent of the candidates
    ("cybersecurity", None),  # an agenda word itself is not "corrected"
    ("dta", None),  # under MIN_TYPO letters ("data" is one edit away): one edit makes another word
]


@pytest.mark.parametrize(("word", "fixed"), TYPOS)
def test_one_typo_correction(word, fixed):
    assert analyzer().correct(word) == fixed


def test_short_words_are_never_corrected():
    a = analyzer()
    assert all(a.correct(w) is None for w in a.words if len(w) < MIN_TYPO)  # the rule itself, on every short word


# question word → (index terms, known to the agenda)
READS = [
    ("identiteitswalet", (["identiteitswallet", "identiteit", "wallet"], True)),  # typo, then its split
    ("verhuisd", (["verhuiz"], True)),  # inflection: its term is an agenda term
    ("overheidsdata", (["overheidsdata", "over", "datum"], True)),  # short-tail split; "data" lemmatises to "datum"
    ("minimumloon", (["minimumlon"], False)),
    ("windmolens", (["windmol"], False)),
]


@pytest.mark.parametrize(("word", "read"), READS)
def test_read_word(word, read):
    assert analyzer().read_word(word) == read


THESAURUS = [
    ("oma", ("ouderen", "senioren", "digivaardigheden")),
    ("hackers", ("cybersecurity", "cybercrime", "phishing", "weerbaarheid")),
    ("nepnieuws", ("desinformatie",)),
    ("minimumloon", ()),
]


@pytest.mark.parametrize(("word", "targets"), THESAURUS)
def test_thesaurus_targets(word, targets):
    assert analyzer().targets(word) == targets


def test_question_terms_add_thesaurus_targets_and_drop_stop_words():
    terms = analyzer().question_terms("Komt er iets tegen nepnieuws?")
    assert "desinformatie" in terms and "er" not in terms and "tegen" not in terms


def test_subject_and_unknown_words():
    a = analyzer()
    assert a.subject_words("Wat doet de werkagenda aan privacy?") == ["privacy"]
    assert a.unknown_subject_words("Wat kost een paspoort?") == ["paspoort"]  # the thesaurus does not make it known
    assert a.unknown_subject_words("Wat doet de werkagenda aan privasy?") == []


def test_idf_counts_chunks():
    a = analyzer()
    assert a.texts == len(parents())
    assert a.idf("zzzz") == pytest.approx(math.log(a.texts + 1))  # unknown: the highest weight
    assert a.idf(a.term("digitale")) < 0.1 < 3 < a.idf(a.term("gezichtsherkenning"))


def test_normalise_off_is_plain_snowball():
    from assistant.analysis import DutchAnalyzer

    plain = DutchAnalyzer((c.embed_text for c in parents()[:20]), normalise=False, use_thesaurus=False)
    assert plain.term("verhuisd") == "verhuisd" and plain.split("datastrategie") == () and plain.correct("privasy") is None
    assert plain.targets("oma") == ()


def test_subject_terms_keep_a_year_and_drop_an_age():
    a = analyzer()
    assert "85" not in a.subject_terms("Mijn buurman van 85 kan niet online, wat nu?")
    assert "2025" in a.subject_terms("Wat moet er in 2025 klaar zijn voor de wallet?")
    assert a.term("wallet") in a.subject_terms("Komt er een wallet?")


def test_coverage_weighs_a_rare_term_above_a_common_one():
    a = analyzer()
    question = [a.term("digitale"), a.term("gezichtsherkenning")]
    rare_only, common_only = a.coverage(question, {question[1]}), a.coverage(question, {question[0]})
    assert rare_only > 0.9 > 0.1 > common_only
    assert a.coverage(question, set(question)) == pytest.approx(1.0)
    assert a.coverage([], set(question)) == 0.0 and a.coverage(question, set()) == 0.0
