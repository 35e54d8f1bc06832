"""Dutch text helpers shared by BM25, look-ups, scope and composition: one tokenizer, one stemmer."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_DUTCH

TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")
# A name as the agenda writes one: an abbreviation ("CBS", "RvIG") or a word with a capital inside ("DigiD").
NAME_RE = re.compile(r"\b[A-Z][A-Za-z]*[A-Z][A-Za-z]*\b")
YEAR_RE = re.compile(r"\b(?:19|20)\d\d\b")
# Words that make up questions but say nothing about their subject.
QUESTION_WORDS = frozenset(
    """wat wie waar wanneer welke welk hoe waarom komt komen gaat gaan doet doen wordt worden is zijn
    er een de het van voor over met kan kunnen mag moet willen wil zal zullen ik je jij u we wij
    mijn onze ons hun nog ook al dan dus eigenlijk precies graag vertel uitleg leg zeg noem geef
    werkagenda agenda kabinet regering plan plannen staat staan iets meer vallen valt horen hoort
    bevat bevatten noemt noemen genoemd beschreven omschreven onder houdt houden inhoudt inhouden betekent
    betekenen betreft betreffen om""".split()
)
# Everyday words that colour a question but never name its subject ("mag de overheid zomaar …",
# "wat is er gepland"): general Dutch, not taken from any question set.
FILLER_WORDS = frozenset(
    """zomaar gewoon echt even eens straks binnenkort later vroeger nu meteen gauw snel ooit altijd nooit vaak
    soms misschien waarschijnlijk zeker heel erg best wel zo zoals zelf zelfs iemand iets niemand niets ergens
    overal bang blij benieuwd vraag vragen vroeg weet weten snap vind vinden denk denken hoop hopen gepland
    plannen gebeuren gebeurt gebeurd regelen geregeld goed beter slecht ok oke hoi hallo beste bedankt
    dank alstublieft aub svp ff mn m'n nou enzo ofzo hoor zeg trouwens toch allemaal dingen ding soort beetje
    ongeveer jullie uitlegt uitleggen""".split()
)
QUESTION_WORDS = QUESTION_WORDS | FILLER_WORDS
STOPWORDS = frozenset(STOPWORDS_DUTCH) | {"en", "of", "t/m"}


@lru_cache(maxsize=1)
def stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("dutch")


def fold(text: str) -> str:
    """Lowercase without accents, so 'financiën' and 'financien' meet."""
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


def as_list(value) -> list[str]:
    """A chunk field as its non-blank items: a field holds one text or a list of texts."""
    values = value if isinstance(value, list) else [value] if value else []
    return [str(v) for v in values if str(v).strip()]


# "ict'ers", "pc's", "app'je": an apostrophe before a plural or diminutive ending; the word is the part before it
APOSTROPHE_ENDING_RE = re.compile(r"(?<=\w)['’](?:s|ers|tje|tjes|je|jes)\b")


def tokens(text: str) -> list[str]:
    return TOKEN_RE.findall(APOSTROPHE_ENDING_RE.sub("", fold(text)))


def content_words(text: str) -> list[str]:
    """The words that carry meaning (no stop words, no question words), folded."""
    return [w for w in tokens(text) if w not in STOPWORDS and w not in QUESTION_WORDS]


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry meaning (no stop words, no question words)."""
    return stemmer().stemWords(content_words(text))


SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"'(])")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_RE.split(text) if s.strip()]


def clip(text: str, limit: int) -> str:
    """Shorten at a word boundary, marking the cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:(") + " …"


# Function words that are English and never Dutch: enough of them means the question is English.
# Words both languages use ("is", "in", "me", "of", "was", "over", "want", "men") count for neither.
ENGLISH_WORDS = frozenset(
    """the what which who whom whose how why when where does do did will would should could can there be
    been being about and to for with from this that these those are were it its you your my our their they
    government any please tell i a an on has have""".split()
)
DUTCH_WORDS = (STOPWORDS | QUESTION_WORDS) - {"me", "of", "was", "over", "in", "is", "had", "want", "men"}


def looks_english(text: str) -> bool:
    """True when a question is plainly English (two or more English function words, more than Dutch ones)."""
    words = re.findall(r"(?u)\b\w+\b", fold(text))  # with one-letter words ("a", "I"), unlike tokens()
    english = sum(1 for w in words if w in ENGLISH_WORDS)
    dutch = sum(1 for w in words if w in DUTCH_WORDS)
    return english >= 2 and english > dutch
