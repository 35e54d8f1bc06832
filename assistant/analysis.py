"""Dutch normalisation for search and scope: the same index terms for questions and agenda text.

A word becomes its index term as folded → lemma (simplemma, offline) → Snowball stem, so "verhuisd"
(lemma "verhuizen") meets "verhuizing" (stem "verhuiz"). Two steps use the corpus's own vocabulary:
- compound splitting: "datastrategie" also yields "data" and "strategie", but only when both parts are
  words the agenda itself contains, so a question's "strategie voor data" meets it;
- typo tolerance: a question word the agenda does not contain, one edit (or one swap of neighbours)
  from a word it does, is read as that word ("overhied" → "overheid", "identiteitswalet").
Plus an everyday-Dutch thesaurus (assistant/lexicon/thesaurus.yaml), written from the agenda: a
question's "oma" also searches the agenda's "ouderen".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import simplemma
import yaml

from assistant.text import QUESTION_WORDS, STOPWORDS, YEAR_RE, fold, stemmer, tokens

THESAURUS_FILE = Path(__file__).parent / "lexicon" / "thesaurus.yaml"
# Parts of a compound: a head of at least 4 letters and a tail of at least 5, both agenda words and
# not stop words. Shorter tails split ordinary words ("belang|rijk", "over|heid").
MIN_HEAD, MIN_TAIL = 4, 5
LINKING = ("", "s", "e", "en")  # Dutch linking sounds between parts: identiteit-s-wallet
# Typos are corrected only on words of at least this length: one edit on a short word makes another
# word ("agent" → "agend").
MIN_TYPO = 5
COMMON_TAIL = 10  # a short tail ("zorg", "data", "wet") must occur this often in the agenda to split off


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    try:
        return fold(simplemma.lemmatize(word, lang="nl"))
    except ValueError:  # simplemma refuses some inputs (digits only); keep them as they are
        return word


@lru_cache(maxsize=200_000)
def term(word: str) -> str:
    """The index term of one folded word: the stem of its lemma."""
    return stemmer().stemWord(lemma(word))


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@lru_cache(maxsize=1)
def thesaurus(path: Path = THESAURUS_FILE) -> dict[str, tuple[str, ...]]:
    """Everyday word (folded) → agenda words it should also search for."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    table: dict[str, tuple[str, ...]] = {}
    for entry in data.get("entries", []):
        targets = tuple(fold(t) for t in entry["agenda"])
        for word in entry["words"]:
            # Keyed by the question's own tokens: "id-kaart" and "geen computer" are read as two tokens
            # ("id kaart"), and "nepvideo's" as "nepvideo"; see DutchAnalyzer.phrase_targets.
            key = " ".join(tokens(word))
            table[key] = tuple(dict.fromkeys(table.get(key, ()) + targets))
    return table


PHRASE_MAX = 3  # the longest thesaurus phrase, in tokens ("kamer van koophandel")


class DutchAnalyzer:
    """Index terms for chunks and questions, against one corpus vocabulary."""

    def __init__(self, corpus_texts: Iterable[str], normalise: bool = True, use_thesaurus: bool = True):
        # normalise=False (plain Snowball stems, no lemmas, compounds or typos) and use_thesaurus=False
        # exist to measure what each part adds (`werkagenda eval --config zonder-normalisatie …`).
        self.normalise, self.use_thesaurus = normalise, use_thesaurus
        self.frequency: Counter[str] = Counter()
        self.term_frequency: Counter[str] = Counter()  # in how many texts a term occurs
        self.texts = 0
        for text in corpus_texts:
            words = tokens(text)
            self.frequency.update(words)
            self.term_frequency.update({self.term(w) for w in words if w not in STOPWORDS})
            self.texts += 1
        self.words = {w for w in self.frequency if w not in STOPWORDS}
        self.terms = {self.term(w) for w in self.words}
        self._parts = {w for w in self.words if len(w) >= MIN_HEAD and not w.isdigit()}
        self._deleted: dict[str, set[str]] = {}
        for word in self.words:
            if len(word) >= MIN_TYPO and not word.isdigit():
                for d in _deletions(word) | {word}:
                    self._deleted.setdefault(d, set()).add(word)
        self._split_cache: dict[str, tuple[str, ...]] = {}

    def term(self, word: str) -> str:
        return term(word) if self.normalise else stemmer().stemWord(word)

    def targets(self, word: str) -> tuple[str, ...]:
        if not self.use_thesaurus:
            return ()
        return thesaurus().get(word, ()) or thesaurus().get(lemma(word), ())

    def idf(self, index_term: str) -> float:
        """How specific a term is: log((N+1)/df); a term the corpus lacks weighs most."""
        df = self.term_frequency.get(index_term, 0)
        return math.log((self.texts + 1) / df) if df else math.log(self.texts + 1)

    def coverage(self, question_terms: Iterable[str], text_terms: set[str]) -> float:
        """The idf-weighted share of the question's terms that a text contains: "gezichtsherkenning" says
        more about a line than "overheid" does."""
        weights = {t: self.idf(t) for t in set(question_terms)}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in text_terms) / total if total else 0.0

    # -- the corpus side -----------------------------------------------------------------------
    def split(self, word: str) -> tuple[str, ...]:
        """Two agenda words that make up a compound, or () when there is no such split."""
        cached = self._split_cache.get(word)
        if cached is not None:
            return cached
        if not self.normalise:
            return ()
        best: tuple[str, ...] = ()
        if len(word) >= MIN_HEAD + MIN_TAIL and not word.isdigit():
            for cut in range(MIN_HEAD, len(word) - MIN_TAIL + 1):
                head = word[:cut]
                for link in LINKING:
                    if link and not head.endswith(link):
                        continue
                    stem_head = head[: len(head) - len(link)] if link else head
                    tail = word[cut:]
                    if stem_head in self._parts and tail in self._parts and stem_head not in STOPWORDS:
                        # prefer the most even split: "gegevens|uitwisseling" over shorter heads
                        if not best or min(len(stem_head), len(tail)) > min(len(best[0]), len(best[1])):
                            best = (stem_head, tail)
        self._split_cache[word] = best
        return best

    def split_short_tail(self, word: str) -> tuple[str, ...]:
        """Question side only: a compound whose tail is a short but common agenda word
        ("gezondheids|zorg", "klant|data"); the agenda side keeps the stricter MIN_TAIL."""
        if not self.normalise:
            return ()
        for cut in range(len(word) - MIN_TAIL + 1, len(word) - 2):
            head, tail = word[:cut], word[cut:]
            if self.frequency[tail] >= COMMON_TAIL and tail not in STOPWORDS:
                stem_head = head[:-1] if head.endswith("s") and head[:-1] in self._parts else head
                if stem_head in self._parts and len(stem_head) >= MIN_HEAD:
                    return (stem_head, tail)
        return ()

    def document_terms(self, text: str) -> list[str]:
        """BM25 terms of a chunk: every content word's term, plus the terms of its compound parts."""
        out: list[str] = []
        for word in tokens(text):
            if word in STOPWORDS:
                continue
            out.append(self.term(word))
            out.extend(self.term(p) for p in self.split(word))
        return out

    # -- the question side ---------------------------------------------------------------------
    def correct(self, word: str) -> str | None:
        """The agenda word one typo away (the most frequent if several), or None."""
        if len(word) < MIN_TYPO or word.isdigit() or not self.normalise:
            return None
        candidates: set[str] = set()
        for d in _deletions(word) | {word}:
            candidates |= self._deleted.get(d, set())
        candidates.discard(word)
        return max(sorted(candidates), key=lambda c: self.frequency[c]) if candidates else None

    def read_word(self, word: str) -> tuple[list[str], bool]:
        """(index terms, known) for one question word: exact, lemma/stem, compound parts or typo."""
        if word in self.words:
            return [self.term(word), *(self.term(p) for p in self.split(word))], True
        fixed = self.correct(word)
        # An inflected form the agenda has in another form ("verhuisd" → "verhuiz"), unless stemming
        # ate most of the word, which a typo does ("overhied" → "over"; the agenda's "overheid" is meant).
        if self.term(word) in self.terms and (fixed is None or len(self.term(word)) >= len(word) - 3):
            return [self.term(word)], True
        parts = self.split(word) or self.split_short_tail(word)
        if parts:
            return [self.term(word), *(self.term(p) for p in parts)], True
        if fixed is not None:
            return [self.term(fixed), *(self.term(p) for p in self.split(fixed))], True
        # a compound with a typo in one part: "identiteitswalet" → identiteit + wallet
        for cut in range(MIN_HEAD, len(word) - MIN_HEAD + 1) if self.normalise else ():
            head, tail = word[:cut], word[cut:]
            head_ok = head in self._parts or (head.endswith("s") and head[:-1] in self._parts)
            if head_ok:
                tail_fixed = tail if tail in self._parts else self.correct(tail)
                if tail_fixed:
                    return [self.term(head.rstrip("s") if head not in self._parts else head), self.term(tail_fixed)], True
        return [self.term(word)], False

    def phrase_targets(self, words: Sequence[str]) -> list[str]:
        """Agenda words for the thesaurus phrases of 2 to PHRASE_MAX tokens in a question ("geen computer",
        "id-kaart", "kamer van koophandel"); stop words count here, since they are part of the phrase."""
        if not self.use_thesaurus:
            return []
        table = thesaurus()
        return [target for n in range(2, PHRASE_MAX + 1) for i in range(len(words) - n + 1)
                for target in table.get(" ".join(words[i : i + n]), ())]

    def question_terms(self, text: str, drop: frozenset[str] = STOPWORDS) -> list[str]:
        """BM25 terms of a question: normalised words, compound parts, corrected typos, thesaurus."""
        out: list[str] = []
        words = tokens(text)
        targets: list[str] = self.phrase_targets(words)
        for word in words:
            if word in drop:
                continue
            found, _ = self.read_word(word)
            out.extend(found)
            targets.extend(self.targets(word))
        for target in targets:
            for part in tokens(target):
                if part not in drop:
                    out.extend(self.read_word(part)[0])
        return out

    def subject_terms(self, text: str) -> list[str]:
        """The index terms of a question's subject: an age or a count in it ("mijn buurman van 85") is no
        reason to prefer a line with "85%", a year ("in 2025") is."""
        return self.question_terms(" ".join(w for w in self.subject_words(text) if not w.isdigit() or YEAR_RE.fullmatch(w)))

    def subject_words(self, text: str) -> list[str]:
        """The words of a question that carry its subject (no stop or question words), folded."""
        return [w for w in tokens(text) if w not in STOPWORDS and w not in QUESTION_WORDS]

    def unknown_subject_words(self, text: str) -> list[str]:
        """Subject words the agenda does not contain in any form (the thesaurus does not count: it
        widens search, but "paspoort" is still not a word of the agenda)."""
        return [w for w in self.subject_words(text) if not w.isdigit() and not self.read_word(w)[1]]
