"""The scope decision's labelled questions, embedded once per embedder.

The vectors for the default embedder ship next to calibration.json (written by `python -m
evals.tune --write`), so starting the assistant costs nothing. Another embedder embeds the
questions on first use (a few seconds) and keeps them in the data dir for the next start.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.scope import ExemplarVotes, ScopeExemplar, ScopeParams

SHIPPED_VECTORS = Path(__file__).with_name("scope_exemplars.npz")
CACHE_NAME = "scope_exemplars.npz"


def digest(exemplars: Sequence[ScopeExemplar]) -> str:
    """Identifies the labelled set: vectors of another set (or order) must not be reused."""
    text = "\n".join(f"{int(e.in_scope)}\t{e.question}" for e in exemplars)
    return hashlib.sha256(text.encode()).hexdigest()


def save_vectors(path: Path, embedder_key: str, exemplars: Sequence[ScopeExemplar], vectors: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp.npz")  # write then rename: a reader never sees half a file
    np.savez_compressed(tmp, embedder=np.array(embedder_key), digest=np.array(digest(exemplars)),
                        vectors=np.asarray(vectors, dtype=np.float32))
    tmp.replace(path)


def load_vectors(path: Path, embedder_key: str, exemplars: Sequence[ScopeExemplar]) -> np.ndarray | None:
    """The stored vectors, or None when absent, unreadable, or made for another embedder or set."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["embedder"]) != embedder_key or str(stored["digest"]) != digest(exemplars):
                return None
            vectors = np.asarray(stored["vectors"], dtype=np.float32)
    except (OSError, KeyError, ValueError):
        return None
    return vectors if vectors.shape[0] == len(exemplars) else None


def embed_exemplars(embed_query: Callable[[str], Sequence[float]], exemplars: Sequence[ScopeExemplar]) -> np.ndarray:
    """Exemplar vectors, embedded as questions (tuning passes the retriever's cached embed_query)."""
    return np.array([embed_query(e.question) for e in exemplars], dtype=np.float32)


def exemplar_votes(params: ScopeParams, embedding, embedder_key: str, data_dir: Path) -> ExemplarVotes:
    exemplars = params.exemplars
    labels = [e.in_scope for e in exemplars]
    if not exemplars:
        return ExemplarVotes(np.zeros((0, 1), dtype=np.float32), labels, params.neighbours)
    cache = data_dir / CACHE_NAME
    for path in (SHIPPED_VECTORS, cache):
        vectors = load_vectors(path, embedder_key, exemplars)
        if vectors is not None:
            return ExemplarVotes(vectors, labels, params.neighbours)
    vectors = embed_exemplars(embedding.get_query_embedding, exemplars)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        save_vectors(cache, embedder_key, exemplars, vectors)
    except OSError:
        pass  # a read-only data dir: embed again at the next start, answers are the same
    return ExemplarVotes(vectors, labels, params.neighbours)
