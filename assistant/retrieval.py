"""Hybrid retrieval: dense search in Chroma plus BM25, fused; metadata filters on both sides.

Small-to-big: Chroma holds the citable chunks (parents) and their children (one result item,
indicator or sentence each). A parent's dense score is the best cosine of itself and its children,
and the child that matched is kept, so the answer can quote the line the question is about. BM25
runs over the parents (their text holds every child's). The two rankings are fused with weighted
reciprocal-rank fusion (FusionParams; the weights are fitted by `python -m evals.tune` and shipped in
assistant/calibration.json); "dense" and "bm25" alone exist to measure what each side adds.

Each retriever keeps its own bounded cache of embedded questions (QueryCache), so repeated questions
skip the model and two retrievers (two eval configurations, a bench run) never share one.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel

from assistant.analysis import DutchAnalyzer
from assistant.coverage import LineCoverage
from assistant.lexical import LexicalIndex
from assistant.models import Filters
from assistant.organisations import Organisation, by_code, mentions
from assistant.rerank import RerankParams, rerank_order
from index.store import ChunkCollection
from ingest.models import ChildLine, Chunk


# Embedded questions kept per retriever: the example buttons, follow-ups and eval configurations
# repeat questions; 2048 vectors of 384 Python floats are at most ~25 MB per retriever.
QUERY_CACHE_SIZE = 2048
# With children in the index, the dense candidates are lines, several per parent: ask Chroma for
# this many more, so about as many distinct parents come back as without children.
CHILDREN_PER_CANDIDATE = 3


class QueryCache:
    """The most recently embedded questions of one retriever, at most `size` of them (0: none)."""

    def __init__(self, size: int = QUERY_CACHE_SIZE):
        self.size = size
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()  # the chat answers sessions in parallel threads

    def vector(self, query: str, embed) -> list[float]:
        with self._lock:
            vector = self._vectors.get(query)
            if vector is not None:
                self._vectors.move_to_end(query)
                return vector
        vector = embed(query)
        with self._lock:
            self._vectors[query] = vector
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vector

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()


class FusionParams(BaseModel):
    """How dense and BM25 are combined. The defaults are only a fallback: the shipped values are
    fitted by `python -m evals.tune` and read from assistant/calibration.json."""

    method: Literal["rrf", "dense", "bm25"] = "rrf"  # "dense"/"bm25": one side alone, to measure it
    dense_weight: float = 0.6  # RRF weight of the dense ranking; BM25 gets the rest
    rrf_k: int = 10  # RRF's rank offset: small, so the first few ranks dominate
    dense_candidates: int = 40  # parents asked of Chroma: past the 10 an answer reads (30 for a list)
    # When even the best BM25 score is weak, the question's words are not the agenda's words (plain
    # citizen phrasing, synonyms) and the lexical ranking is mostly noise: lean on dense search.
    weak_lexical_below: float = 0.0
    weak_lexical_dense_weight: float = 0.8

    def dense_weight_for(self, lexical_top: float) -> float:
        return self.weak_lexical_dense_weight if lexical_top < self.weak_lexical_below else self.dense_weight


@dataclass
class Scored:
    chunk: Chunk
    score: float
    dense: float  # cosine similarity (0 when not among the dense candidates)
    lexical: float  # raw BM25
    child: ChildLine | None = None  # the child (line) whose embedding matched best, if not the parent itself
    coverage: float = 0.0  # the best line's share of the question's terms (assistant.coverage), for the reranker


@dataclass
class SearchResult:
    hits: list[Scored]
    dense_top: float
    lexical_top: float
    timings_ms: dict[str, float]


class HybridRetriever:
    def __init__(
        self, chunks: Sequence[Chunk], collection: ChunkCollection, embedding, params: FusionParams,
        children: Sequence[ChildLine] = (), analyzer: DutchAnalyzer | None = None, lexical: LexicalIndex | None = None,
        rerank: RerankParams | None = None,
    ):
        self.chunks = list(chunks)
        self.by_id = {c.id: c for c in self.chunks}
        self.position = {c.id: i for i, c in enumerate(self.chunks)}
        self.children = {c.id: c for c in children if c.parent in self.position}
        # Every Chroma id (parent or child) → the position of the parent it counts for.
        self.unit_parent = {**self.position, **{cid: self.position[c.parent] for cid, c in self.children.items()}}
        self.children_of: dict[str, list[str]] = {}
        for cid, c in self.children.items():
            self.children_of.setdefault(c.parent, []).append(cid)
        self.collection = collection
        self.embedding = embedding
        self.analyzer = analyzer or DutchAnalyzer(c.embed_text for c in self.chunks)
        self.lexical = lexical or LexicalIndex(self.chunks, self.analyzer)
        self.params = params
        self.rerank = rerank or RerankParams()
        self.query_cache = QueryCache()
        self.line_coverage = LineCoverage(self.analyzer, self.lines_of)

    def lines_of(self, chunk_id: str) -> list[str]:
        """A parent's lines: its children's, or its own text when it has none."""
        children = self.children_of.get(chunk_id)
        return [self.children[c].text for c in children] if children else [self.by_id[chunk_id].text]

    # -- filters -----------------------------------------------------------------------------
    def allowed(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean mask over chunks, or None for no filtering."""
        if filters is None or filters.is_empty():
            return None
        org = by_code(filters.uitvoerder) if filters.uitvoerder else None

        def keep(c: Chunk) -> bool:
            return (
                (not filters.document or c.document == filters.document)
                and (not filters.programmalijn or c.programmalijn == filters.programmalijn)
                and (not filters.prioriteit or c.prioriteit == filters.prioriteit)
                and (not filters.soort or c.soort == filters.soort)
                and (not filters.uitvoerder or names_organisation(c, org, filters.uitvoerder))
            )

        return np.array([keep(c) for c in self.chunks], dtype=bool)

    def chroma_where(self, filters: Filters | None, mask: np.ndarray | None) -> dict | None:
        """The filter as a chromadb `where` clause (children carry their parent's metadata)."""
        if mask is None:
            return None
        if filters.uitvoerder:  # organisation names are matched in Python; Chroma gets the resulting ids
            ids = [cid for c, ok in zip(self.chunks, mask) if ok for cid in (c.id, *self.children_of.get(c.id, ()))]
            return {"chunk_id": {"$in": ids or ["-"]}}
        conditions = [{key: getattr(filters, key)} for key in ("document", "programmalijn", "prioriteit", "soort") if getattr(filters, key)]
        return conditions[0] if len(conditions) == 1 else {"$and": conditions}

    # -- search ------------------------------------------------------------------------------
    def embed_query(self, query: str) -> list[float]:
        return self.query_cache.vector(query, self.embedding.get_query_embedding)

    def search(self, query: str, filters: Filters | None = None, top_k: int = 10, question_type: str = "open") -> SearchResult:
        """The best `top_k` parents for the query; `question_type` (assistant.intent) informs the reranker."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        mask = self.allowed(filters)
        n = len(self.chunks)
        dense = np.zeros(n, dtype=np.float32)
        in_dense = np.zeros(n, dtype=bool)
        best_unit: dict[int, str] = {}
        if mask is None or mask.any():
            vector = self.embed_query(query)
            timings["embed"] = _ms(t0)
            t1 = time.perf_counter()
            units = len(self.unit_parent) if mask is None else int(mask.sum()) * (1 + len(self.children) // max(n, 1))
            k = min(self.params.dense_candidates * (1 + CHILDREN_PER_CANDIDATE * bool(self.children)), max(units, 1))
            matches = self.collection.query(vector, k, self.chroma_where(filters, mask))
            dense, in_dense, best_unit = collapse_to_parents(matches, self.unit_parent, n)
            timings["dense"] = _ms(t1)
        t2 = time.perf_counter()
        lexical = self.lexical.scores(query)
        if mask is not None:
            lexical = np.where(mask, lexical, 0.0)
        timings["bm25"] = _ms(t2)
        fused = fuse(self.params, dense, in_dense, lexical)
        if mask is not None:
            fused = np.where(mask, fused, -np.inf)
        depth = max(top_k, self.rerank.depth if self.rerank.weights else 0)
        order = [i for i in np.argsort(-fused, kind="stable")[:depth] if np.isfinite(fused[i]) and fused[i] > 0]
        hits = [
            Scored(self.chunks[i], float(fused[i]), float(dense[i]), float(lexical[i]), self.children.get(best_unit.get(i, "")))
            for i in order
        ]
        dense_top, lexical_top = float(dense.max(initial=0.0)), float(lexical.max(initial=0.0))
        terms = self.analyzer.subject_terms(query)
        for h in hits:  # read by the reranker (and by evals.tune, which fits it on searches without one)
            h.coverage = self.line_coverage.best_line(terms, h.chunk.id)
        hits = [hits[i] for i in rerank_order(hits, dense_top, lexical_top, self.rerank, question_type)][:top_k]
        timings["retrieval"] = _ms(t0)
        return SearchResult(hits, dense_top, lexical_top, timings)


def collapse_to_parents(
    matches: Iterable[tuple[str, float]], unit_parent: Mapping[str, int], n: int,
) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Dense matches (Chroma id, cosine) of parents and children, per parent: the best cosine of itself
    and its children, whether it was among the candidates, and the id of the unit that matched best.
    Ids that count for no parent (filtered out, or of another index) are skipped."""
    dense = np.zeros(n, dtype=np.float32)
    in_dense = np.zeros(n, dtype=bool)
    best_unit: dict[int, str] = {}
    for unit_id, cosine in matches:
        i = unit_parent.get(unit_id)
        if i is not None and (not in_dense[i] or cosine > dense[i]):
            dense[i], in_dense[i] = cosine, True
            best_unit[i] = unit_id
    return dense, in_dense, best_unit


def fuse(p: FusionParams, dense: np.ndarray, in_dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
    """One fused score per parent from its dense cosine (where `in_dense`) and its BM25 score."""
    dense_weight = p.dense_weight_for(float(lexical.max(initial=0.0)))
    if p.method == "dense":
        return np.where(in_dense, dense, 0.0)
    if p.method == "bm25":
        return lexical.copy()
    return _rrf(np.where(in_dense, dense, -np.inf), p.rrf_k) * dense_weight + _rrf(
        np.where(lexical > 0, lexical, -np.inf), p.rrf_k
    ) * (1 - dense_weight)


def names_organisation(chunk: Chunk, org: Organisation | None, code: str = "") -> bool:
    """Does the chunk's uitvoerder cell name the organisation (or, for unknown codes, the text)?"""
    cell = str(chunk.fields.get("uitvoerder_tekst") or " ".join(chunk.uitvoerders))
    if not cell:
        return False
    return mentions(cell, org) if org else code.lower() in cell.lower()


def _rrf(scores: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty_like(order)
    ranks[order] = np.arange(1, len(scores) + 1)
    return np.where(np.isfinite(scores), 1.0 / (k + ranks), 0.0)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
