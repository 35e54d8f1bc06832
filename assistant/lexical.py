"""BM25 over the chunks with Dutch stemming and stop words (bm25s + PyStemmer)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from assistant.text import STOPWORDS, fold, stemmer
from ingest.models import Chunk

# bm25s sets its own logger to DEBUG on import, which would print to users' terminals.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    def __init__(self, chunks: Sequence[Chunk]):
        self.ids = [c.id for c in chunks]
        self.tokenizer = bm25s.tokenization.Tokenizer(stemmer=stemmer(), stopwords=list(STOPWORDS), lower=True)
        corpus = self.tokenizer.tokenize([fold(c.embed_text) for c in chunks], return_as="ids", show_progress=False)
        self.bm25 = bm25s.BM25()
        self.bm25.index(corpus, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk (aligned with self.ids); zeros when no query word is known."""
        ids = self.tokenizer.tokenize([fold(query)], update_vocab=False, return_as="ids", show_progress=False)[0]
        ids = [i for i in ids if i != 0] if "" in self.tokenizer.get_vocab_dict() else ids
        if not ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(ids), dtype=np.float32)

    # -- persisted beside the index (index/artifacts.py) -----------------------------------------
    @classmethod
    def load_or_build(cls, chunks: Sequence[Chunk], cache_dir: Path | None) -> LexicalIndex:
        """The index over `chunks`, loaded from `cache_dir` when it was built from exactly these
        chunks by this code, else built (and stored there). None: always build."""
        from index import artifacts

        chunks = list(chunks)
        code = artifacts.code_digest(Path(__file__).parent, ARTIFACT_LIBRARIES)
        key = artifacts.chunks_key("lexical", LEXICAL_VERSION, code, chunks)
        return artifacts.load_or_build(cache_dir, "lexical", key, lambda: cls(chunks), shared={"stemmer": stemmer()})


# Bump when what LexicalIndex derives from chunks changes in a way assistant/*.py does not show (a data file).
LEXICAL_VERSION = 1
ARTIFACT_LIBRARIES = ("bm25s", "PyStemmer")
