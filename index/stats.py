"""What an index holds, counted from its chunks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel

from index.manifest import IndexManifest
from ingest.models import Chunk


class IndexStats(BaseModel):
    documents: int
    programmalijnen: int
    prioriteiten: int
    doelen: int
    acties: int
    chunks: int
    per_soort: dict[str, int]
    embedder: str
    dimension: int
    corpus_fingerprint: str
    built_at: str


def index_stats(chunks: Sequence[Chunk], manifest: IndexManifest) -> IndexStats:
    soorten = Counter(c.soort for c in chunks)
    return IndexStats(
        documents=len({c.document for c in chunks} | set(manifest.documents)),
        programmalijnen=len({(c.document, c.programmalijn) for c in chunks if c.programmalijn}),
        prioriteiten=len({(c.document, c.prioriteit) for c in chunks if c.prioriteit}),
        doelen=soorten["doel"],
        acties=soorten["actie"],
        chunks=len(chunks),
        per_soort=dict(sorted(soorten.items())),
        embedder=manifest.embedder,
        dimension=manifest.dimension,
        corpus_fingerprint=manifest.corpus_fingerprint,
        built_at=manifest.built_at,
    )
