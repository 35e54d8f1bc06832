"""The search structures over one build: its chunks (parents and children), the Dutch analyzer, BM25,
the scope vocabulary and which 2023-article sections report on which priority. Derived once per build
and stored beside the index (index/artifacts.py).

An ingest that activates a new build derives them right away (`prepare_search`), so no later start pays
for it; `Assistant.open` runs the same function and then only loads. At 100x the corpus, deriving them
means reading 20,000 chunks from Chroma and stemming every word: tens of seconds that used to fall on
the first start after an ingest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from assistant.analysis import DutchAnalyzer
from assistant.lexical import LexicalIndex
from assistant.scope import CorpusVocabulary
from index import artifacts
from index.store import ChunkCollection
from ingest.models import ChildLine, Chunk

# Bump when what search_structures derives changes in a way its code digest cannot see.
SEARCH_STRUCTURES_VERSION = 2  # 2: the progress links are stored too
# A 2023 article section reports on the priorities its words match best; a second or third priority
# counts when it scores at least this share of the best (the article's sections each span a few).
PROGRESS_LINK_RATIO = 0.7
MAX_PROGRESS_LINKS = 3
LEXICON_DIR = Path(__file__).parent / "lexicon"  # the hand-written word lists: thesaurus, referrals


class SearchParts(BaseModel):
    """Which parts of search are on. All are on in the product; evals switch one off at a time to
    measure what it adds (`werkagenda eval --config zonder-kinderen zonder-normalisatie zonder-thesaurus`)."""

    children: bool = True
    normalisation: bool = True
    thesaurus: bool = True


class SearchStructures(BaseModel, arbitrary_types_allowed=True):
    parents: list[Chunk]
    children: list[ChildLine]  # empty when the children are switched off
    analyzer: DutchAnalyzer
    lexical: LexicalIndex
    vocabulary: CorpusVocabulary
    progress_sections: dict[str, list[str]]  # priority code → ids of the sections that report on it


def agenda_document(chunks: Sequence[Chunk]) -> str:
    """The werkagenda itself: the document whose chunks are actions."""
    return next((c.document for c in chunks if c.soort == "actie"), "")


def link_progress_sections(chunks: Sequence[Chunk], lexical: LexicalIndex) -> dict[str, list[str]]:
    """Priority code → the sections of other documents (the 2023 article) that report on it.

    A section is linked to the priorities whose chunks its own words match best (BM25 of the
    section's text over the agenda): the best, and any within PROGRESS_LINK_RATIO of it."""
    agenda_doc = agenda_document(chunks)
    by_id = {c.id: c for c in chunks}
    codes = [by_id[i].prioriteit if by_id[i].document == agenda_doc else "" for i in lexical.ids]
    priorities = sorted({code for code in codes if code})
    if not priorities:
        return {}
    column = {code: n for n, code in enumerate(priorities)}
    rows = np.array([n for n, code in enumerate(codes) if code])  # the agenda's chunks with a priority
    owner = np.array([column[codes[n]] for n in rows])
    links: dict[str, list[str]] = {}
    for section in chunks:
        if section.document == agenda_doc or section.soort != "sectie":
            continue
        best_per_priority = np.zeros(len(priorities))
        np.maximum.at(best_per_priority, owner, lexical.scores(section.text)[rows])
        best = best_per_priority.max()
        if best <= 0:
            continue
        for n in sorted(range(len(priorities)), key=lambda n: -best_per_priority[n])[:MAX_PROGRESS_LINKS]:
            if best_per_priority[n] > 0 and best_per_priority[n] >= PROGRESS_LINK_RATIO * best:
                links.setdefault(priorities[n], []).append(section.id)
    return links


def search_structures(
    chunks: Sequence[Chunk], parts: SearchParts, cache_dir: Path | None,
) -> tuple[DutchAnalyzer, LexicalIndex, CorpusVocabulary, dict[str, list[str]]]:
    """The analyzer, BM25, the scope vocabulary and the progress links over the parents, loaded from
    beside the index when they were derived from exactly these chunks by this code, these data files
    (thesaurus) and these search parts; else built and stored."""

    def build() -> tuple[DutchAnalyzer, LexicalIndex, CorpusVocabulary, dict[str, list[str]]]:
        analyzer = DutchAnalyzer((c.embed_text for c in chunks), normalise=parts.normalisation, use_thesaurus=parts.thesaurus)
        lexical = LexicalIndex(chunks, analyzer)
        vocabulary = CorpusVocabulary(analyzer.document_terms(c.embed_text) for c in chunks)
        return analyzer, lexical, vocabulary, link_progress_sections(chunks, lexical)

    code = artifacts.code_digest(Path(__file__).parent, ("bm25s", "PyStemmer", "simplemma"))
    data = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(LEXICON_DIR.glob("*.yaml")))).hexdigest()
    key = artifacts.chunks_key("search", SEARCH_STRUCTURES_VERSION, f"{code}\0{data}\0{parts.model_dump_json()}", list(chunks))
    return artifacts.load_or_build(cache_dir, "search", key, build)


def prepare_search(collection: ChunkCollection, data_dir: Path | None, parts: SearchParts | None = None) -> SearchStructures:
    """Everything search needs from one build: loaded from `data_dir` when stored, else derived and stored."""
    parts = parts or SearchParts()
    parents, children = artifacts.build_chunks(collection, data_dir)
    children = children if parts.children else []
    analyzer, lexical, vocabulary, links = search_structures(parents, parts, data_dir)
    return SearchStructures(
        parents=parents, children=children, analyzer=analyzer, lexical=lexical, vocabulary=vocabulary, progress_sections=links,
    )
