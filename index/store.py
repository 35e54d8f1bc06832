"""The Chroma store, used through chromadb's own client for writes and reads alike.

Every ingest builds a new collection aside and then moves a pointer to it in one write, so a
killed ingest leaves the previous index untouched. The pointer and each build's manifest live
in Chroma itself (collection metadata), so a local store and a shared Chroma server behave the same.

Why chromadb directly and not llama-index's ChromaVectorStore: search needs ids and cosine distances
only (`ChunkCollection.query`; reading each candidate's stored node cost ~15x the search itself), and
reads need our own chunk JSON, the document id and the stored vectors (copying a document, reusing
vectors). Writing through ChromaVectorStore only wrapped each chunk in a TextNode that every read then
unwrapped, and stored a second copy of it (`_node_content`) that nothing read. One client for both
sides keeps the stored form ours: `chunk_json` (the Chunk), its flat metadata for `where` filters,
`document_id`, and the embedded text as the Chroma document. An index written by the earlier
ChromaVectorStore path has the same keys (plus the unread extras), so it stays readable.
"""

from __future__ import annotations

import errno
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import chromadb
import httpx
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError

from index.manifest import IndexManifest
from ingest.errors import WerkagendaError
from ingest.models import Chunk

log = logging.getLogger(__name__)
T = TypeVar("T")

POINTER_COLLECTION = "werkagenda_pointer"
BUILD_PREFIX = "werkagenda_build_"
CHROMA_SUBDIR = "chroma"
DAMAGED_SUFFIX = ".beschadigd-"
SERVER_RETRY_PAUSE_S = 1.0  # one retry rides out a server restart or a dropped keep-alive connection


class IndexUnavailableError(WerkagendaError):
    """No usable index; the message (Dutch) says how to build or rebuild it."""


class IngestFailedError(WerkagendaError):
    """An ingest stopped by its storage (full disk, lost server, removed build); the active index is unchanged.

    The storage's own errors (chromadb, SQLite, httpx, OSError) are translated into this one where they
    happen (`store_failure_message`), so the front doors need not know them.
    """


class BuildReplacedError(IndexUnavailableError):
    """The build being read was replaced by a newer ingest (another process); reopen the active one."""


def check_data_dir(data_dir: Path) -> None:
    """A data dir that is a file cannot hold an index; say so before Chroma fails obscurely."""
    if data_dir.exists() and not data_dir.is_dir():
        raise IndexUnavailableError(
            f"De datamap {data_dir} is een bestand, geen map. Verplaats dat bestand of kies een andere map "
            "(--data-dir of WERKAGENDA_DATA_DIR) en bouw de index met `werkagenda ingest --rebuild`."
        )


def describe(data_dir: Path, server: tuple[str, int] | None) -> str:
    return f"de Chroma-server op {server[0]}:{server[1]}" if server else f"de index in {data_dir}"


def make_client(data_dir: Path, server: tuple[str, int] | None = None) -> chromadb.ClientAPI:
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if not server:
        check_data_dir(data_dir)
    try:
        if server:
            host, port = server
            return chromadb.HttpClient(host=host, port=port, settings=settings)
        path = data_dir / CHROMA_SUBDIR
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception as exc:  # chroma raises many types for unreachable servers and damaged files
        raise IndexUnavailableError(
            f"Kan {describe(data_dir, server)} niet openen ({type(exc).__name__}: {exc}). "
            + ("Controleer of de server draait." if server else "Bouw de index opnieuw met `werkagenda ingest --rebuild`.")
        ) from exc


def quarantine_local_store(data_dir: Path) -> Path:
    """Move a damaged local Chroma dir aside (never delete it) so a rebuild can start fresh."""
    path = data_dir / CHROMA_SUBDIR
    _forget_local_client(path)
    stem = f"{CHROMA_SUBDIR}{DAMAGED_SUFFIX}{time.strftime('%Y%m%d-%H%M%S')}"
    target, n = data_dir / stem, 1
    while target.exists():  # two rebuilds within one second
        target, n = data_dir / f"{stem}-{n}", n + 1
    path.rename(target)
    log.info("beschadigde index verplaatst naar %s", target)
    return target


def _forget_local_client(path: Path) -> None:
    # chromadb caches one System per path, even one whose start failed on a damaged file; without
    # this, the next PersistentClient on the same path would get the broken (or moved) store back.
    # chromadb has no public way to drop one path's System: `client.close()` needs the client that a
    # failed start never returned, and only releases our reference (a chat in the same process may
    # hold another); `clear_system_cache()` forgets every path's System, which breaks every other
    # open client in the process (their `_system` is looked up in that cache). Hence the private maps.
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        system = SharedSystemClient._identifier_to_system.pop(str(path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    except (ImportError, AttributeError):  # pragma: no cover - a chromadb without this cache
        return
    if system is not None:
        try:
            system.stop()
        except Exception:  # a system that never started cannot stop cleanly; it is dropped anyway
            pass


class ChunkCollection:
    """One built collection: chunks with their embeddings and the manifest that describes them."""

    def __init__(
        self, collection: chromadb.Collection, manifest: IndexManifest, server: tuple[str, int] | None = None,
    ):
        self.collection = collection
        self.manifest = manifest
        self.server = server

    @property
    def name(self) -> str:
        return self.collection.name

    def add(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        """Store chunks with their vectors (callers batch: a build adds a few hundred at a time)."""
        pairs = list(zip(chunks, embeddings, strict=True))
        if pairs:
            self.collection.add(
                ids=[c.id for c, _ in pairs],
                embeddings=[list(map(float, e)) for _, e in pairs],
                metadatas=[stored_metadata(c) for c, _ in pairs],
                documents=[c.embed_text for c, _ in pairs],
            )

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

    def chunks(self, children: bool = False) -> list[Chunk]:
        """The citable chunks (with children too, when asked), in document order, read back from Chroma."""
        out: list[Chunk] = []
        batch = 5000  # chroma caps the size of one get
        offset = 0
        while True:
            with self._reading():
                got = self.collection.get(include=["metadatas"], limit=batch, offset=offset)
            out.extend(Chunk.model_validate_json(m["chunk_json"]) for m in got["metadatas"] if children or not m.get("parent"))
            if len(got["ids"]) < batch:
                break
            offset += batch
        order = {doc_id: i for i, doc_id in enumerate(self.manifest.documents)}
        return sorted(out, key=lambda c: (order.get(c.document, len(order)), c.seq))

    def query(self, embedding: Sequence[float], top_k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """Dense search: (chunk id, cosine similarity) best first.

        Asks chromadb for ids and distances only: the stored chunk JSON is not needed to rank, and
        reading it for every candidate cost ~15x the search itself (112 ms against 7 ms for 160
        candidates). Raises IndexUnavailableError (Dutch) when the Chroma server stays unreachable
        or the build was replaced by a newer ingest; one retry rides out a server restart.
        """
        kwargs = {"where": where} if where else {}
        with self._reading():
            result = self._with_retry(lambda: self.collection.query(
                query_embeddings=[list(map(float, embedding))], n_results=max(1, top_k), include=["distances"], **kwargs
            ))
        # The collection uses cosine space: distance = 1 - cosine.
        return [(node_id, 1.0 - float(d)) for node_id, d in zip(result["ids"][0], result["distances"][0])]

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Chroma's errors while reading this build, as the Dutch errors a user can act on."""
        try:
            yield
        except NotFoundError as exc:
            raise BuildReplacedError(
                f"De index '{self.name}' is intussen vervangen door een nieuwe ingest. "
                "Start de assistent opnieuw om de nieuwe index te laden."
            ) from exc
        except httpx.TransportError as exc:
            if not self.server:
                raise
            raise IndexUnavailableError(
                f"De Chroma-server op {self.server[0]}:{self.server[1]} is niet bereikbaar ({type(exc).__name__}). "
                "Controleer of de server draait en probeer het opnieuw."
            ) from exc

    def _with_retry(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except httpx.TransportError:
            if not self.server:
                raise
            # httpx opens a fresh connection on the retry, so a restarted server is picked up.
            time.sleep(SERVER_RETRY_PAUSE_S)
            return call()


def stored_metadata(chunk: Chunk) -> dict[str, str | int | float | bool]:
    """What Chroma keeps beside a chunk's vector: its filter fields, its document (to copy or reuse a
    document's vectors by `where`) and the chunk itself, read back by `ChunkCollection.chunks`."""
    return {**chunk.metadata(), "document_id": chunk.document, "chunk_json": chunk.model_dump_json()}


class IndexStore:
    """All builds in one Chroma client, and the pointer to the active one."""

    def __init__(self, client: chromadb.ClientAPI, server: tuple[str, int] | None = None, data_dir: Path | None = None):
        self.client = client
        self.server = server
        self.data_dir = data_dir

    @classmethod
    def open(cls, data_dir: Path, server: tuple[str, int] | None = None) -> IndexStore:
        return cls(make_client(data_dir, server), server, data_dir)

    def check(self) -> None:
        """Read the pointer and list the builds: raises IndexUnavailableError when the store is unreadable."""
        self.active_name()
        self._readable(self.build_names)

    def _readable(self, read: Callable[[], T]) -> T:
        """`read()`, with any failure told as an unreadable index (Dutch, with what to do)."""
        try:
            return read()
        except Exception as exc:
            raise IndexUnavailableError(
                f"De index is onleesbaar ({type(exc).__name__}: {exc}). "
                "Bouw hem opnieuw met `werkagenda ingest --rebuild`."
            ) from exc

    def _pointer(self) -> chromadb.Collection:
        return self.client.get_or_create_collection(POINTER_COLLECTION, embedding_function=None)

    def active_name(self) -> str | None:
        def read() -> dict | None:
            try:
                # get, not get_or_create: reading a store that has no index yet writes nothing to it
                return self.client.get_collection(POINTER_COLLECTION, embedding_function=None).metadata or {}
            except NotFoundError:
                return None

        meta = self._readable(read)
        if meta is None:
            return None
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
        return ChunkCollection(collection, manifest, self.server)

    def create_build(self, manifest: IndexManifest) -> ChunkCollection:
        name = BUILD_PREFIX + uuid.uuid4().hex[:12]
        collection = self.client.create_collection(
            name,
            embedding_function=None,
            metadata={"hnsw:space": "cosine", "manifest": manifest.model_dump_json()},
        )
        return ChunkCollection(collection, manifest, self.server)

    def activate(self, build: ChunkCollection) -> None:
        """The one write that switches readers to the new build."""
        build.save_manifest()
        self._pointer().modify(metadata={"active": build.name})

    def build_names(self) -> list[str]:
        names = [c if isinstance(c, str) else c.name for c in self.client.list_collections()]
        return [n for n in names if n.startswith(BUILD_PREFIX)]

    def drop_build(self, name: str) -> None:
        self.client.delete_collection(name)

    def drop_inactive(self, keep: Iterable[str] = ()) -> list[str]:
        """Delete builds that are not active (left by a finished or a killed ingest)."""
        active = self.active_name()
        dropped = []
        for name in self.build_names():
            if name != active and name not in set(keep):
                self.client.delete_collection(name)
                dropped.append(name)
        return dropped


    def compact(self) -> dict[str, int] | None:
        """Reclaim the space of dropped builds in a local store; a server manages its own storage.

        Chroma deletes a collection's rows but leaves its vector segment folder on disk, and SQLite
        keeps freed pages: without this, every ingest left ~1 MB of folders and the file kept growing.
        """
        if self.server or self.data_dir is None:
            return None
        return compact_local_store(self.data_dir / CHROMA_SUBDIR)


# VACUUM rewrites the whole file; only worth it when at least this share, and 1 MB, of it is free pages.
VACUUM_FREE_RATIO = 0.2
VACUUM_MIN_FREE_BYTES = 1_000_000
_FTS_TABLE = "embedding_fulltext_search"
_SEGMENT_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def compact_local_store(chroma_dir: Path) -> dict[str, int]:
    """Remove segment folders no collection uses and VACUUM chroma.sqlite3 when it pays."""
    import shutil
    import sqlite3

    db = chroma_dir / "chroma.sqlite3"
    if not db.is_file():
        return {"folders_removed": 0, "bytes_freed": 0}
    before = _tree_size(chroma_dir)
    with sqlite3.connect(db, timeout=30) as conn:
        live = {row[0] for row in conn.execute("SELECT id FROM segments")}
    removed = 0
    for child in chroma_dir.iterdir():
        if child.is_dir() and _SEGMENT_DIR.match(child.name) and child.name not in live:
            shutil.rmtree(child, ignore_errors=True)
            removed += 1
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        # Chroma's full-text index (FTS5) keeps the entries of deleted collections in its segments until
        # they are merged: 5.9 of 12.8 MB after 20 ingests here, 0.5 MB after 'optimize'.
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (_FTS_TABLE,)).fetchone():
            conn.execute(f"INSERT INTO {_FTS_TABLE}({_FTS_TABLE}) VALUES('optimize')")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0] * page_size
        total = conn.execute("PRAGMA page_count").fetchone()[0] * page_size
        if free >= VACUUM_MIN_FREE_BYTES and free >= VACUUM_FREE_RATIO * total:
            conn.execute("VACUUM")
    except sqlite3.OperationalError as exc:  # busy (a reader in another process): the next ingest tries again
        log.info("VACUUM overgeslagen: %s", exc)
    finally:
        conn.close()
    return {"folders_removed": removed, "bytes_freed": max(0, before - _tree_size(chroma_dir))}


def _tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


_DISK_FULL_TEXTS = ("database or disk is full", "no space left on device", "disk is full", "os error 28")


def store_failure_message(exc: BaseException, data_dir: Path, server: tuple[str, int] | None) -> str | None:
    """A Dutch message for the storage failures a user can act on during an ingest, else None."""
    chain = _exception_chain(exc)
    text = " ".join(str(e).lower() for e in chain)
    unchanged = "De actieve index is niet veranderd"
    if any(isinstance(e, OSError) and e.errno == errno.ENOSPC for e in chain) or any(t in text for t in _DISK_FULL_TEXTS):
        where = f"de Chroma-server op {server[0]}:{server[1]}" if server else f"de schijf van {data_dir}"
        return (f"De ingest is gestopt: {where} is vol. {unchanged}; de halve nieuwe opbouw is weggegooid. "
                f"Maak ruimte vrij (bekijk het met: df -h {data_dir}) en draai `werkagenda ingest` opnieuw.")
    if server and any(isinstance(e, (httpx.TransportError, ConnectionError)) for e in chain):
        return (f"De verbinding met de Chroma-server op {server[0]}:{server[1]} ging verloren tijdens de ingest. "
                f"{unchanged} (voor zover de server hem bewaard heeft). Controleer of de server draait en draai "
                "`werkagenda ingest` opnieuw; de onvoltooide opbouw wordt dan opgeruimd.")
    if any(isinstance(e, NotFoundError) for e in chain) or "does not exist" in text:
        return ("De nieuwe index werd tijdens de ingest verwijderd door een ander proces (bijvoorbeeld een ingest "
                f"vanaf een andere machine op dezelfde Chroma-server). {unchanged}. Laat maar één ingest tegelijk "
                "lopen en draai `werkagenda ingest` opnieuw.")
    return None


def _exception_chain(exc: BaseException) -> list[BaseException]:
    chain, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain

