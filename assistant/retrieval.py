"""Hybrid retrieval: dense search in Chroma plus BM25, fused; metadata filters on both sides.

Small-to-big: Chroma holds the citable chunks (parents) and their children (one result item,
indicator or sentence each). A parent's dense score is the best cosine of itself and its children,
and the child that matched is kept, so the answer can quote the line the question is about. BM25
runs over the parents (their text holds every child's). The two rankings are fused with weighted
reciprocal-rank fusion (FusionParams; the weights are fitted by `python -m evals.tune`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from assistant.analysis import DutchAnalyzer
from assistant.lexical import LexicalIndex
from assistant.models import Filters
from assistant.organisations import Organisation, by_code, mentions
from index.store import ChunkCollection
from ingest.models import Chunk


QUERY_CACHE_SIZE = 2048
# With children in the index, the dense candidates are lines, several per parent: ask Chroma for
# this many more, so about as many distinct parents come back as without children.
CHILDREN_PER_CANDIDATE = 3
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
    child: Chunk | None = None  # the child (line) whose embedding matched best, if not the parent itself


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
        children: Sequence[Chunk] = (), analyzer: DutchAnalyzer | None = None, lexical: LexicalIndex | None = None,
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
        fused = np.where(self.is_section, fused * self.params.section_weight, fused)
        if mask is not None:
            fused = np.where(mask, fused, -np.inf)
        order = [i for i in np.argsort(-fused, kind="stable")[:top_k] if np.isfinite(fused[i]) and fused[i] > 0]
        hits = [
            Scored(self.chunks[i], float(fused[i]), float(dense[i]), float(lexical[i]), self.children.get(best_unit.get(i, "")))
            for i in order
        ]
        timings["retrieval"] = _ms(t0)
        ranked_dense = np.sort(dense[in_dense])[::-1]
        tail = ranked_dense[10:30]
        gap = float(ranked_dense[0] - tail.mean()) if len(tail) else 0.0  # too few candidates: no signal
        return SearchResult(hits, float(dense.max(initial=0.0)), gap, float(lexical.max(initial=0.0)), timings)


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
