"""Hybrid retrieval: dense search in Chroma plus BM25, fused; metadata filters on both sides.

Fusion is a convex combination of per-query normalised scores (dense cosine rescaled against the
best hit, BM25 divided by its maximum). Unlike plain reciprocal-rank fusion it keeps how far apart
scores are, so a strong dense hit is not pulled down by a mediocre lexical rank. The weights are
tuned on the dev set (`python -m evals.tune`), see FusionParams.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters
from pydantic import BaseModel

from assistant.lexical import LexicalIndex
from assistant.models import Filters
from assistant.organisations import Organisation, by_code, mentions
from index.store import ChunkCollection
from ingest.models import Chunk


QUERY_CACHE_SIZE = 2048
_QUERY_CACHE: dict[tuple[int, str], list[float]] = {}  # shared by retrievers over the same model


def clear_query_cache() -> None:
    """Forget embedded questions, so a measurement sees a new user's question (model included)."""
    _QUERY_CACHE.clear()


class FusionParams(BaseModel):
    method: str = "convex"  # "convex" | "rrf" | "dense" | "bm25"
    dense_weight: float = 0.7
    rrf_k: int = 60
    dense_candidates: int = 40
    # Long free-text sections (article, front matter, programme-line intros) touch many topics and
    # so match many questions loosely; users mostly need the specific goal or action.
    section_weight: float = 1.0
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


@dataclass
class SearchResult:
    hits: list[Scored]
    dense_top: float
    dense_gap: float  # best cosine minus the mean of the 11th..30th: how much the best stands out
    lexical_top: float
    timings_ms: dict[str, float]


class HybridRetriever:
    def __init__(
        self, chunks: Sequence[Chunk], collection: ChunkCollection, embedding, params: FusionParams,
        artifacts_dir: Path | None = None,  # where BM25 is stored between starts (index/artifacts.py); None: build
    ):
        self.chunks = list(chunks)
        self.by_id = {c.id: c for c in self.chunks}
        self.position = {c.id: i for i, c in enumerate(self.chunks)}
        self.collection = collection
        self.embedding = embedding
        self.lexical = LexicalIndex.load_or_build(self.chunks, artifacts_dir)
        self.params = params
        self.is_section = np.array([c.soort in ("sectie", "programmalijn") for c in self.chunks], dtype=bool)

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

    def chroma_filters(self, filters: Filters | None, mask: np.ndarray | None) -> MetadataFilters | None:
        if mask is None:
            return None
        conditions: list[MetadataFilter] = []
        if filters.uitvoerder:  # organisation names are matched in Python; Chroma gets the resulting ids
            ids = [c.id for c, ok in zip(self.chunks, mask) if ok]
            return MetadataFilters(filters=[MetadataFilter(key="chunk_id", value=ids or ["-"], operator=FilterOperator.IN)])
        for key in ("document", "programmalijn", "prioriteit", "soort"):
            value = getattr(filters, key)
            if value:
                conditions.append(MetadataFilter(key=key, value=value))
        return MetadataFilters(filters=conditions)

    # -- search ------------------------------------------------------------------------------
    def embed_query(self, query: str) -> list[float]:
        # Repeated questions (example buttons, eval configurations, follow-ups) skip the model.
        key = (id(self.embedding), query)
        vector = _QUERY_CACHE.get(key)
        if vector is None:
            vector = self.embedding.get_query_embedding(query)
            if len(_QUERY_CACHE) >= QUERY_CACHE_SIZE:
                _QUERY_CACHE.pop(next(iter(_QUERY_CACHE)))
            _QUERY_CACHE[key] = vector
        return vector

    def search(self, query: str, filters: Filters | None = None, top_k: int = 10) -> SearchResult:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        mask = self.allowed(filters)
        n = len(self.chunks)
        dense = np.zeros(n, dtype=np.float32)
        in_dense = np.zeros(n, dtype=bool)
        if mask is None or mask.any():
            vector = self.embed_query(query)
            timings["embed"] = _ms(t0)
            t1 = time.perf_counter()
            k = min(self.params.dense_candidates, int(mask.sum()) if mask is not None else n)
            for chunk_id, cosine in self.collection.query(vector, k, self.chroma_filters(filters, mask)):
                i = self.position.get(chunk_id)
                if i is not None:
                    dense[i], in_dense[i] = cosine, True
            timings["dense"] = _ms(t1)
        t2 = time.perf_counter()
        lexical = self.lexical.scores(query)
        if mask is not None:
            lexical = np.where(mask, lexical, 0.0)
        timings["bm25"] = _ms(t2)
        fused = self.fuse(dense, in_dense, lexical)
        fused = np.where(self.is_section, fused * self.params.section_weight, fused)
        if mask is not None:
            fused = np.where(mask, fused, -np.inf)
        order = [i for i in np.argsort(-fused, kind="stable")[:top_k] if np.isfinite(fused[i]) and fused[i] > 0]
        hits = [Scored(self.chunks[i], float(fused[i]), float(dense[i]), float(lexical[i])) for i in order]
        timings["retrieval"] = _ms(t0)
        ranked_dense = np.sort(dense[in_dense])[::-1]
        tail = ranked_dense[10:30]
        gap = float(ranked_dense[0] - tail.mean()) if len(tail) else 0.0  # too few candidates: no signal
        return SearchResult(hits, float(dense.max(initial=0.0)), gap, float(lexical.max(initial=0.0)), timings)

    def fuse(self, dense: np.ndarray, in_dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        p = self.params
        dense_weight = p.dense_weight_for(float(lexical.max(initial=0.0)))
        if p.method == "dense":
            return np.where(in_dense, dense, 0.0)
        if p.method == "bm25":
            return lexical.copy()
        if p.method == "rrf":
            return _rrf(np.where(in_dense, dense, -np.inf), p.rrf_k) * dense_weight + _rrf(
                np.where(lexical > 0, lexical, -np.inf), p.rrf_k
            ) * (1 - dense_weight)
        # convex: dense rescaled so the best candidate is 1 and the weakest candidate ~0
        dense_norm = np.zeros_like(dense)
        if in_dense.any():
            top, low = dense[in_dense].max(), dense[in_dense].min()
            span = max(top - low, 1e-6)
            dense_norm = np.where(in_dense, (dense - low) / span, 0.0)
        lex_norm = lexical / lexical.max() if lexical.max() > 0 else lexical
        return dense_weight * dense_norm + (1 - dense_weight) * lex_norm + 1e-9 * in_dense


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
