"""BM25 over the citable chunks (bm25s), on the index terms of assistant.analysis.

Questions and chunks go through the same Dutch normalisation (lemma, stem, compound parts; typos and
the thesaurus on the question side), so "verhuisd" meets "verhuizing" and "strategie voor data" meets
"datastrategie". Stop words are dropped on both sides.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import bm25s
import numpy as np

from assistant.analysis import DutchAnalyzer
from ingest.models import Chunk

# bm25s sets its own logger to DEBUG on import, which would print to users' terminals.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    def __init__(self, chunks: Sequence[Chunk], analyzer: DutchAnalyzer | None = None):
        self.ids = [c.id for c in chunks]
        self.analyzer = analyzer or DutchAnalyzer(c.embed_text for c in chunks)
        corpus = [self.analyzer.document_terms(c.embed_text) or ["-"] for c in chunks]
        self.bm25 = bm25s.BM25()
        self.bm25.index(corpus, show_progress=False)
        self.vocabulary = set(self.bm25.vocab_dict)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk (aligned with self.ids); zeros when no query word is known."""
        return self.scores_of_terms(self.analyzer.question_terms(query))

    def scores_of_terms(self, terms: Sequence[str]) -> np.ndarray:
        known = [t for t in terms if t in self.vocabulary]
        if not known:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)
