"""The bundled corpus as the ingest package's pure functions parse it: parents, children, one analyzer.

No index, no embedding model: parsing the two documents takes about two seconds, once per session.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from assistant.analysis import DutchAnalyzer
from assistant.compose import Composer
from assistant.text import content_stems
from ingest.chunking import child_chunks
from ingest.corpus import chunks_for_source, load_manifest
from ingest.models import Chunk
from tests.test_analysis import analyzer as shared_analyzer  # the one analyzer of the fast modules

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@lru_cache(maxsize=1)
def parents() -> tuple[Chunk, ...]:
    """The citable chunks, in the order `index/build.py` stores them."""
    return tuple(c for source in load_manifest(CORPUS) for c in chunks_for_source(source))


@lru_cache(maxsize=1)
def children() -> tuple[Chunk, ...]:
    return tuple(child_chunks(list(parents())))


@lru_cache(maxsize=1)
def by_id() -> dict[str, Chunk]:
    return {c.id: c for c in parents()}


def analyzer() -> DutchAnalyzer:
    return shared_analyzer()


def composer_for(question: str) -> Composer:
    """A Composer as the engine makes one for a question (its subject words' index terms)."""
    a = analyzer()
    return Composer(question_stems=content_stems(question), analyzer=a,
                    question_terms=set(a.question_terms(" ".join(a.subject_words(question)))))
