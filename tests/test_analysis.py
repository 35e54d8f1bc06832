"""Dutch normalisation on the real corpus vocabulary: lemmas, compounds, typos, thesaurus."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from assistant.analysis import DutchAnalyzer, thesaurus
from assistant.text import tokens
from ingest.corpus import chunks_for_source, load_manifest

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@lru_cache(maxsize=1)
def analyzer() -> DutchAnalyzer:
    return DutchAnalyzer(c.embed_text for s in load_manifest(CORPUS) for c in chunks_for_source(s))


def meets(question_words: str, agenda_word: str) -> bool:
    a = analyzer()
    return bool(set(a.question_terms(question_words)) & set(a.document_terms(agenda_word)))


@pytest.mark.parametrize(("question", "agenda"), [
    ("verhuisd", "verhuizing"),  # inflection via the lemma
    ("strategie voor data", "datastrategie"),  # compound split on the agenda side
    ("gegevens uitwisselen", "gegevensuitwisseling"),
    ("identiteitswalet", "wallet"),  # typo inside a compound
    ("overhied", "overheid"),  # swapped letters
    ("privasy", "privacy"),
    ("oma", "ouderen"),  # thesaurus
    ("hackers", "cybersecurity"),
    ("nepnieuws", "desinformatie"),
    ("nepvideo's", "deepfakes"),  # the apostrophe form is read as the question's token "nepvideo"
    ("waakhond", "toezichthouder"),
    ("mijn oma heeft geen computer", "apparaten"),  # a phrase of the thesaurus
    ("alles op papier", "alternatief"),  # a phrase whose words are stop words on their own
    ("een nep-sms gehad", "phishing"),  # a hyphenated word is read as two tokens, so as a phrase
])
def test_everyday_words_meet_the_agendas_words(question, agenda):
    assert meets(question, agenda)


@pytest.mark.parametrize(("question", "agenda"), [
    ("agent", "agenda"),  # short words are not typo-corrected
    ("zorgpremie", "zorg"),  # "premie" is no agenda word, so the compound is not split
    ("belangrijk", "rijk"),  # a tail of four letters does not split
])
def test_no_false_meetings(question, agenda):
    assert not meets(question, agenda)


def test_unknown_subject_words_are_the_ones_the_agenda_lacks():
    a = analyzer()
    assert a.unknown_subject_words("Komt er volgens de werkagenda een hoger minimumloon?") == ["minimumloon"]
    assert a.unknown_subject_words("Komt er een identiteitswalet?") == []
    assert "windmolens" in a.unknown_subject_words("Wie voert de actie uit om windmolens op zee te bouwen?")


def test_a_phrase_counts_only_as_a_whole():
    assert meets("op papier", "alternatief") and not meets("papier", "alternatief")
    assert meets("nep-sms", "phishing") and not meets("sms", "phishing")


def test_every_thesaurus_word_is_read_as_the_question_reads_it():
    from assistant.analysis import PHRASE_MAX

    assert all(key == " ".join(tokens(key)) and len(key.split()) <= PHRASE_MAX for key in thesaurus())


def test_every_thesaurus_target_is_an_agenda_word():
    a = analyzer()
    missing = {t for targets in thesaurus().values() for target in targets for t in tokens(target)
               if not a.read_word(t)[1]}
    assert not missing, f"thesaurus-doelwoorden die de agenda niet kent: {sorted(missing)}"
