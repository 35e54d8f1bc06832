"""The Chroma store, through llama-index's ChromaVectorStore.

Every ingest builds a new collection aside and then moves a pointer to it in one write, so a
killed ingest leaves the previous index untouched. The pointer and each build's manifest live
in Chroma itself (collection metadata), so a local store and a shared Chroma server behave the same.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import MetadataFilters, VectorStoreQuery
from llama_index.vector_stores.chroma import ChromaVectorStore

from index.manifest import IndexManifest
from ingest.models import Chunk

log = logging.getLogger(__name__)

POINTER_COLLECTION = "werkagenda_pointer"
BUILD_PREFIX = "werkagenda_build_"
CHROMA_SUBDIR = "chroma"


class IndexUnavailableError(Exception):
    """No usable index; the message (Dutch) says how to build or rebuild it."""


def make_client(data_dir: Path, server: tuple[str, int] | None = None) -> chromadb.ClientAPI:
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    try:
        if server:
            host, port = server
            return chromadb.HttpClient(host=host, port=port, settings=settings)
        path = data_dir / CHROMA_SUBDIR
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception as exc:  # chroma raises many types for unreachable servers and damaged files
        where = f"de Chroma-server op {server[0]}:{server[1]}" if server else f"de index in {data_dir}"
        raise IndexUnavailableError(
            f"Kan {where} niet openen ({type(exc).__name__}: {exc}). "
            + ("Controleer of de server draait." if server else "Bouw de index opnieuw met `werkagenda ingest --rebuild`.")
        ) from exc


class ChunkCollection:
    """One built collection: chunks with their embeddings and the manifest that describes them."""

    def __init__(self, collection: chromadb.Collection, manifest: IndexManifest):
        self.collection = collection
        self.manifest = manifest
        self.vector_store = ChromaVectorStore(chroma_collection=collection)

    @property
    def name(self) -> str:
        return self.collection.name

    def add(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        nodes = [_to_node(chunk, list(embedding)) for chunk, embedding in zip(chunks, embeddings, strict=True)]
        if nodes:
            self.vector_store.add(nodes)

    def copy_document(self, source: ChunkCollection, document_id: str) -> int:
        """Copy one document's chunks with their stored embeddings (no re-embedding)."""
        got = source.collection.get(where={"document_id": document_id}, include=["embeddings", "metadatas", "documents"])
        if got["ids"]:
            self.collection.add(
                ids=got["ids"], embeddings=got["embeddings"], metadatas=got["metadatas"], documents=got["documents"]
            )
        return len(got["ids"])

    def save_manifest(self) -> None:
        self.collection.modify(metadata={"manifest": self.manifest.model_dump_json()})

    def count(self) -> int:
        return self.collection.count()

    def chunks(self) -> list[Chunk]:
        """All chunks, in document order (as ingested), read back from Chroma."""
        out: list[Chunk] = []
        batch = 5000  # chroma caps the size of one get
        offset = 0
        while True:
            got = self.collection.get(include=["metadatas"], limit=batch, offset=offset)
            out.extend(Chunk.model_validate_json(m["chunk_json"]) for m in got["metadatas"])
            if len(got["ids"]) < batch:
                break
            offset += batch
        order = {doc_id: i for i, doc_id in enumerate(self.manifest.documents)}
        return sorted(out, key=lambda c: (order.get(c.document, len(order)), c.seq))

    def query(
        self, embedding: Sequence[float], top_k: int, filters: MetadataFilters | None = None,
        where: dict | None = None,
    ) -> list[tuple[str, float]]:
        """Dense search: (chunk id, cosine similarity) best first."""
        kwargs = {"where": where} if where and not filters else {}
        result = self.vector_store.query(
            VectorStoreQuery(query_embedding=list(embedding), similarity_top_k=top_k, filters=filters), **kwargs
        )
        # ChromaVectorStore reports exp(-distance); with cosine space distance = 1 - cos.
        return [(node_id, 1.0 + math.log(max(sim, 1e-12))) for node_id, sim in zip(result.ids, result.similarities)]


def _to_node(chunk: Chunk, embedding: list[float]) -> TextNode:
    node = TextNode(
        id_=chunk.id,
        text=chunk.embed_text,
        embedding=embedding,
        metadata={**chunk.metadata(), "chunk_json": chunk.model_dump_json()},
        excluded_embed_metadata_keys=["chunk_json"],
        excluded_llm_metadata_keys=["chunk_json"],
    )
    # Chroma's llama-index store keys deletes on the source document id.
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=chunk.document)
    return node


class IndexStore:
    """All builds in one Chroma client, and the pointer to the active one."""

    def __init__(self, client: chromadb.ClientAPI):
        self.client = client

    @classmethod
    def open(cls, data_dir: Path, server: tuple[str, int] | None = None) -> IndexStore:
        return cls(make_client(data_dir, server))

    def _pointer(self) -> chromadb.Collection:
        return self.client.get_or_create_collection(POINTER_COLLECTION, embedding_function=None)

    def active_name(self) -> str | None:
        try:
            meta = self._pointer().metadata or {}
        except Exception as exc:
            raise IndexUnavailableError(
                f"De index is onleesbaar ({type(exc).__name__}: {exc}). "
                "Bouw hem opnieuw met `werkagenda ingest --rebuild`."
            ) from exc
        return meta.get("active") or None

    def active(self) -> ChunkCollection | None:
        name = self.active_name()
        if not name:
            return None
        try:
            collection = self.client.get_collection(name, embedding_function=None)
            manifest = IndexManifest.model_validate_json((collection.metadata or {})["manifest"])
        except Exception as exc:
            raise IndexUnavailableError(
                f"De actieve index '{name}' is beschadigd of onvolledig ({type(exc).__name__}). "
                "Bouw hem opnieuw met `werkagenda ingest --rebuild`."
            ) from exc
        return ChunkCollection(collection, manifest)

    def create_build(self, manifest: IndexManifest) -> ChunkCollection:
        name = BUILD_PREFIX + uuid.uuid4().hex[:12]
        collection = self.client.create_collection(
            name,
            embedding_function=None,
            metadata={"hnsw:space": "cosine", "manifest": manifest.model_dump_json()},
        )
        return ChunkCollection(collection, manifest)

    def activate(self, build: ChunkCollection) -> None:
        """The one write that switches readers to the new build."""
        build.save_manifest()
        self._pointer().modify(metadata={"active": build.name})

    def build_names(self) -> list[str]:
        names = [c if isinstance(c, str) else c.name for c in self.client.list_collections()]
        return [n for n in names if n.startswith(BUILD_PREFIX)]

    def drop_inactive(self, keep: Iterable[str] = ()) -> list[str]:
        """Delete builds that are not active (left by a finished or a killed ingest)."""
        active = self.active_name()
        dropped = []
        for name in self.build_names():
            if name != active and name not in set(keep):
                self.client.delete_collection(name)
                dropped.append(name)
        return dropped


def manifest_summary(manifest: IndexManifest) -> dict:
    return json.loads(manifest.model_dump_json())
