"""How much of a question's subject one line of a chunk covers: a signal for the reranker.

BM25 scores a whole parent, and a long action that mentions each question word once somewhere ranks with
one whose single result line holds them all. The lines are what an answer quotes, so the reranker also sees
the best line's share of the question's terms (idf-weighted, assistant.analysis.DutchAnalyzer.coverage).
A parent's lines are its children (result items, indicators, sentences); a parent without children is one
line. Term sets are read on first use and a bounded number kept: at 100x the corpus, reading all 89,100
children's terms when the index opens would cost seconds that no question needs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from assistant.analysis import DutchAnalyzer

# Chunks whose line terms are kept; a question reads ten (the rerank depth), the corpus has 200 parents.
LINE_TERMS_CACHE = 4096


class LineCoverage:
    def __init__(self, analyzer: DutchAnalyzer, lines: Callable[[str], Sequence[str]], size: int = LINE_TERMS_CACHE):
        self.analyzer = analyzer
        self.lines = lines  # chunk id → its lines' texts
        self.size = size
        self._terms: OrderedDict[str, list[set[str]]] = OrderedDict()
        self._lock = threading.Lock()  # the chat answers sessions in parallel threads

    def line_terms(self, chunk_id: str) -> list[set[str]]:
        with self._lock:
            found = self._terms.get(chunk_id)
            if found is not None:
                self._terms.move_to_end(chunk_id)
                return found
        found = [set(self.analyzer.document_terms(text)) for text in self.lines(chunk_id)]
        with self._lock:
            self._terms[chunk_id] = found
            while len(self._terms) > self.size:
                self._terms.popitem(last=False)
        return found

    def best_line(self, question_terms: Iterable[str], chunk_id: str) -> float:
        """The largest share of the question's terms that one line of the chunk holds (0 to 1)."""
        terms = list(question_terms)
        return max((self.analyzer.coverage(terms, line) for line in self.line_terms(chunk_id)), default=0.0)
