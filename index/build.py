"""The ingest pipeline: corpus → chunks → embeddings → a new Chroma build → switch the pointer.

Unchanged documents are copied with their stored embeddings; a changed document replaces its own
chunks and nothing else; a document that cannot be read keeps its previous chunks (nothing lost).
Two ingests at once are serialised by a lock file under the data dir. Embedded batches go straight
into the new build, so a killed ingest leaves an unfinished build beside the active one; the next
ingest drops it. `--rebuild` on a damaged local store moves it aside and starts fresh.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, Field
from tqdm import tqdm

from index.cache import KnownVectors, previous_vectors, shipped_cache
from index.embeddings import EmbedderSpec, ingest_threads, load_embedding, parse_embedder
from index.manifest import IndexedDocument, IndexManifest, check_embedder
from index.store import ChunkCollection, IndexStore, IndexUnavailableError, check_data_dir, quarantine_local_store
from ingest.corpus import CorpusError, SourceFile, add_extra, chunks_for_source, load_extras, load_manifest, source_for_path
from ingest.chunking import child_chunks
from ingest.models import Chunk
from ingest.readers import UnreadableDocumentError

EMBED_BATCH = 16
STORE_BATCH = 256  # known vectors per ChunkCollection.add
LOCK_NAME = "ingest.lock"


class IngestReport(BaseModel):
    documents: int
    chunks: int
    embedded: int  # texts run through the model
    cached: int = 0  # vectors taken from the shipped embedding cache
    reused: int = 0  # vectors of unchanged chunks of a changed document, from the previous build
    added: list[str] = Field(default_factory=list)
    replaced: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)  # Dutch messages about files that were skipped
    seconds: float
    embedder: str
    build: str
    quarantined: str | None = None  # where a damaged local store was moved by --rebuild


@contextmanager
def ingest_lock(
    data_dir: Path, wait: bool = True, log: Callable[[str], None] = lambda _msg: None,
) -> Iterator[None]:
    """Serialise ingests: a second one waits (or fails fast) instead of racing on the pointer.

    The kernel drops a flock when its process dies, so a killed ingest never leaves a stale lock.
    """
    check_data_dir(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / LOCK_NAME, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            if not wait:
                raise CorpusError("Er loopt al een ingest op deze index; probeer het zo opnieuw.") from exc
            log("Er loopt al een ingest op deze index; wachten tot die klaar is …")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def collect_sources(corpus_dir: Path, data_dir: Path) -> list[SourceFile]:
    sources = load_manifest(corpus_dir) + load_extras(data_dir)
    seen: set[str] = set()
    unique = []
    for source in sources:
        if source.info.id not in seen:
            seen.add(source.info.id)
            unique.append(source)
    return unique


class EmbedCounts(BaseModel):
    embedded: int = 0  # run through the model
    cached: int = 0  # from the shipped embedding cache (index/cache.py)
    reused: int = 0  # the same text in the previous build (a changed document's unchanged chunks)


def embed_chunks(
    embedding, chunks: Sequence[Chunk], progress: bool, into: ChunkCollection, known: KnownVectors | None = None,
) -> EmbedCounts:
    """Embed in batches, each stored at once: memory stays flat as the corpus grows.

    A text whose vector is already known (see KnownVectors) is stored without the model; the rest
    is embedded on every core (ingest_threads).
    """
    known = known or KnownVectors()
    counts = EmbedCounts()
    bar = tqdm(total=len(chunks), desc="Embedden", unit="chunk", disable=not progress)
    with ingest_threads(embedding):
        first_cached = next((c.embed_text for c in chunks if known.lookup(c.embed_text)[1] == "cache"), None)
        if first_cached is not None:
            known.verify(embedding, first_cached)
        todo: list[Chunk] = []
        ready: list[tuple[Chunk, list[float]]] = []
        for chunk in chunks:
            vector, origin = known.lookup(chunk.embed_text)
            if vector is None:
                todo.append(chunk)
                continue
            ready.append((chunk, vector))
            counts.cached += origin == "cache"
            counts.reused += origin == "previous"
            if len(ready) >= STORE_BATCH:
                into.add([c for c, _ in ready], [v for _, v in ready])
                bar.update(len(ready))
                ready = []
        if ready:
            into.add([c for c, _ in ready], [v for _, v in ready])
            bar.update(len(ready))
        for start in range(0, len(todo), EMBED_BATCH):
            batch = todo[start : start + EMBED_BATCH]
            into.add(batch, embedding.get_text_embedding_batch([c.embed_text for c in batch]))
            counts.embedded += len(batch)
            bar.update(len(batch))
    bar.close()
    return counts


def known_vectors(spec: EmbedderSpec, previous: ChunkCollection | None, changed: Sequence[str]) -> KnownVectors:
    """What a changed document keeps from its previous build, plus the shipped cache."""
    return KnownVectors(cache=shipped_cache(spec), previous=previous_vectors(previous, changed))


def run_ingest(
    data_dir: Path,
    corpus_dir: Path,
    embedder: str,
    server: tuple[str, int] | None = None,
    paths: Sequence[Path] = (),
    rebuild: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = lambda _msg: None,
    use_cache: bool = True,
) -> IngestReport:
    started = time.perf_counter()
    spec = parse_embedder(embedder)
    with ingest_lock(data_dir, log=log):
        store, quarantined = _open_store(data_dir, server, rebuild, log)
        previous = None if rebuild else _active_or_none(store)
        if previous is not None:
            check_embedder(previous.manifest, spec.key)
        problems: list[str] = []
        for path in paths:
            problems.extend(_register_extra(data_dir, corpus_dir, Path(path)))
        sources = collect_sources(corpus_dir, data_dir)

        embedding = load_embedding(spec)
        new_docs: dict[str, IndexedDocument] = {}
        to_embed: list[Chunk] = []
        plan: dict[str, list[str]] = {"added": [], "replaced": [], "unchanged": []}
        copies: list[str] = []
        for source in tqdm(sources, desc="Documenten lezen", unit="doc", disable=not progress):
            fingerprint = source.fingerprint()
            old = previous.manifest.documents.get(source.info.id) if previous else None
            entry = IndexedDocument(
                id=source.info.id, title=source.info.title, file=source.info.file,
                fingerprint=fingerprint, chunks=0, source_url=source.info.source_url,
            )
            if old and old.fingerprint == fingerprint:
                copies.append(source.info.id)
                new_docs[source.info.id] = entry.model_copy(update={"chunks": old.chunks})
                plan["unchanged"].append(source.info.id)
                continue
            try:
                chunks = chunks_for_source(source)
            except (UnreadableDocumentError, CorpusError, ValueError) as exc:
                problems.append(f"{source.info.file}: {exc}")
                if old:  # keep what we had rather than lose the document
                    copies.append(source.info.id)
                    new_docs[source.info.id] = old
                continue
            to_embed.extend(chunks)
            to_embed.extend(child_chunks(chunks))  # indexed for search, never cited (DESIGN.md)
            new_docs[source.info.id] = entry.model_copy(update={"chunks": len(chunks)})
            plan["replaced" if old else "added"].append(source.info.id)

        dimension = previous.manifest.dimension if previous else _dimension(embedding)
        manifest = IndexManifest(embedder=spec.key, dimension=dimension, documents=new_docs)
        build = store.create_build(manifest)
        try:
            for doc_id in copies:
                build.copy_document(previous, doc_id)
            known = known_vectors(spec, previous, plan["replaced"]) if use_cache and to_embed else None
            counts = embed_chunks(embedding, to_embed, progress, into=build, known=known)
            store.activate(build)
        except BaseException:
            _drop_quietly(store, build.name)  # a failed build must not linger; a killed one is dropped next time
            raise
        store.drop_inactive()  # also unfinished builds of earlier, killed ingests
        removed = sorted(set(previous.manifest.documents) - set(new_docs)) if previous else []
        return IngestReport(
            documents=len(new_docs), chunks=sum(d.chunks for d in new_docs.values()), **counts.model_dump(),
            removed=removed, problems=problems, seconds=round(time.perf_counter() - started, 2),
            embedder=spec.key, build=build.name, quarantined=str(quarantined) if quarantined else None, **plan,
        )


def _open_store(
    data_dir: Path, server: tuple[str, int] | None, rebuild: bool, log: Callable[[str], None],
) -> tuple[IndexStore, Path | None]:
    """The store to build into; on --rebuild a damaged local store is moved aside, not deleted."""
    try:
        store = IndexStore.open(data_dir, server)
        if rebuild:
            store.check()
        return store, None
    except IndexUnavailableError:
        if not rebuild or server:  # a server's storage is not ours to move
            raise
    moved = quarantine_local_store(data_dir)
    log(f"De beschadigde index is verplaatst naar {moved}; er wordt een nieuwe gebouwd.")
    return IndexStore.open(data_dir), moved


def _drop_quietly(store: IndexStore, name: str) -> None:
    try:
        store.drop_build(name)
    except Exception:  # the store may be what failed; the next ingest drops the build instead
        pass


def _active_or_none(store: IndexStore) -> ChunkCollection | None:
    return store.active()


def _dimension(embedding) -> int:
    return len(embedding.get_text_embedding("dimensie"))


def _register_extra(data_dir: Path, corpus_dir: Path, path: Path) -> list[str]:
    """Validate a user's file by parsing it before it joins the corpus; report problems in Dutch."""
    try:
        source = source_for_path(path)
        if source.info.id in {s.info.id for s in load_manifest(corpus_dir)}:
            return [f"{path}: de naam '{source.info.id}' is al in gebruik door een brondocument; hernoem het bestand."]
        chunks_for_source(source)
        add_extra(data_dir, path)
        return []
    except (UnreadableDocumentError, CorpusError, ValueError) as exc:
        return [f"{path}: {exc}"]
