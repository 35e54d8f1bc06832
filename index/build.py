"""The ingest pipeline: corpus → chunks → embeddings → a new Chroma build → switch the pointer.

Unchanged documents are copied with their stored embeddings; a changed document replaces its own
chunks and nothing else; a document that cannot be read keeps its previous chunks (nothing lost).
Two ingests at once are serialised by a lock file under the data dir. Embedded batches go straight
into the new build, so a killed ingest leaves an unfinished build beside the active one; the next
ingest drops it. `--rebuild` on a damaged local store moves it aside and starts fresh.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout
from pydantic import BaseModel, Field
from tqdm import tqdm

from index.cache import KnownVectors, previous_vectors, shipped_cache
from index.embeddings import EmbedderSpec, embedding_dimension, ingest_threads, load_embedding, parse_embedder
from index.manifest import IndexedDocument, IndexManifest, check_embedder
from index.store import (
    ChunkCollection,
    IndexStore,
    IndexUnavailableError,
    IngestFailedError,
    check_data_dir,
    quarantine_local_store,
    store_failure_message,
)
from ingest.chunking import child_chunks
from ingest.corpus import (
    MANIFEST_NAME,
    CorpusError,
    SourceFile,
    StagedExtra,
    chunks_for_source,
    extra_entries,
    load_extras,
    load_manifest,
    prune_extras,
    register_extras,
    stage_extra,
    used_ids,
)
from ingest.errors import WerkagendaError
from ingest.limits import IngestLimits
from ingest.models import Chunk
from ingest.readers import UnreadableDocumentError

EMBED_BATCH = 16
STORE_BATCH = 256  # known vectors per ChunkCollection.add
LOCK_NAME = "ingest.lock"


class IndexBusyError(WerkagendaError):
    """Another ingest holds this data dir's lock (raised only when the caller asked not to wait)."""


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
    notes: list[str] = Field(default_factory=list)  # Dutch remarks that refuse nothing (an id with a suffix)
    seconds: float
    embedder: str
    build: str
    new_build: bool = False  # a new build was activated (False: nothing changed, the active one was kept)
    quarantined: str | None = None  # where a damaged local store was moved by --rebuild
    compacted: dict[str, int] | None = None  # what the store's clean-up removed (segment folders, bytes)


@contextmanager
def ingest_lock(
    data_dir: Path, wait: bool = True, log: Callable[[str], None] = lambda _msg: None,
) -> Iterator[None]:
    """Serialise ingests: a second one waits (or fails fast) instead of racing on the pointer.

    filelock holds an flock on Unix, which the kernel drops when its process dies, so a killed ingest
    never leaves a stale lock. Each call takes its own FileLock (not a shared, reentrant one), so a
    second ingest in the same process waits too.
    """
    check_data_dir(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(data_dir / LOCK_NAME)
    try:
        lock.acquire(blocking=False)
    except Timeout as exc:
        if not wait:
            raise IndexBusyError("Er loopt al een ingest op deze index; probeer het zo opnieuw.") from exc
        log("Er loopt al een ingest op deze index; wachten tot die klaar is …")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


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
    limits: IngestLimits | None = None,
    remove: Sequence[str] = (),
) -> IngestReport:
    """Build the index from the corpus, the registered extras, `paths` (new extras) minus `remove`.

    A user's file is registered (and a removed one unregistered) only after the new build is active,
    so a killed ingest leaves neither a half-embedded file in the corpus nor a document the index lacks.
    Nothing changed → no new build at all (repeated ingests do not grow the store).
    """
    started = time.perf_counter()
    spec = parse_embedder(embedder)
    limits = limits or IngestLimits()
    with ingest_lock(data_dir, log=log):
        store, quarantined = _open_store(data_dir, server, rebuild, log)
        previous = None if rebuild else store.active()
        if previous is not None:
            check_embedder(previous.manifest, spec.key)
        prune_extras(data_dir)  # copies left by a killed ingest
        problems: list[str] = []
        notes: list[str] = []
        corpus_sources = load_manifest(corpus_dir)
        registered = {e.info.id for e in extra_entries(data_dir)}
        unknown = [doc_id for doc_id in remove if doc_id not in registered]
        if unknown:
            raise CorpusError(_not_removable(unknown, corpus_sources, registered))
        taken = used_ids(corpus_sources, data_dir)
        staged: list[StagedExtra] = []
        staged_chunks: dict[str, list[Chunk]] = {}
        for path in paths:
            extra = None
            try:
                extra = stage_extra(data_dir, Path(path), taken, limits)
                chunks = chunks_for_source(extra.source)
                _check_chunk_count(Path(path), len(chunks), limits)
            except (UnreadableDocumentError, CorpusError, ValueError) as exc:
                problems.append(f"{path}: {exc}")
                if extra is not None:  # refused: its staged copy goes again
                    extra.source.path.unlink(missing_ok=True)
                continue
            staged.append(extra)
            staged_chunks[extra.source.info.id] = chunks
            if extra.note:
                notes.append(extra.note)
        sources = _merge_sources(corpus_sources, load_extras(data_dir), staged, set(remove))

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
                chunks = staged_chunks.get(source.info.id) or chunks_for_source(source)
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

        removed = sorted(set(previous.manifest.documents) - set(new_docs)) if previous else []
        if previous is not None and not to_embed and not removed and set(copies) == set(previous.manifest.documents):
            # Nothing to change: keep the active build instead of copying it into an identical new one.
            if staged:  # the same file again, unchanged
                register_extras(data_dir, staged)
            try:
                store.drop_inactive()  # unfinished builds of earlier, killed ingests
            except Exception as exc:
                raise _store_failure(exc, store, data_dir, server) from exc
            compacted = _compact_quietly(store)
            return IngestReport(
                documents=len(new_docs), chunks=sum(d.chunks for d in new_docs.values()), embedded=0, problems=problems, notes=notes,
                seconds=round(time.perf_counter() - started, 2), embedder=spec.key, build=previous.name,
                quarantined=str(quarantined) if quarantined else None, compacted=compacted, **plan,
            )
        known = known_vectors(spec, previous, plan["replaced"]) if use_cache and to_embed else None
        # the ETA counts only what the model must embed: cached and reused vectors cost nothing
        _announce_eta(data_dir, sum(1 for c in to_embed if known is None or known.lookup(c.embed_text)[0] is None), log)
        embedding = load_embedding(spec)
        dimension = previous.manifest.dimension if previous else embedding_dimension(embedding)
        manifest = IndexManifest(embedder=spec.key, dimension=dimension, documents=new_docs)
        try:
            build = store.create_build(manifest)
        except Exception as exc:
            raise _store_failure(exc, store, data_dir, server) from exc
        try:
            for doc_id in copies:
                build.copy_document(previous, doc_id)
            embed_started = time.perf_counter()
            counts = embed_chunks(embedding, to_embed, progress, into=build, known=known)
            _remember_rate(data_dir, counts.embedded, time.perf_counter() - embed_started)
            store.activate(build)
        except BaseException as exc:
            _drop_quietly(store, build.name)  # a failed build must not linger; a killed one is dropped next time
            if isinstance(exc, Exception):
                raise _store_failure(exc, store, data_dir, server) from exc
            raise
        register_extras(data_dir, staged, set(remove))  # only now: the index holds their chunks
        try:
            store.drop_inactive()  # also unfinished builds of earlier, killed ingests
        except Exception as exc:
            raise _store_failure(exc, store, data_dir, server) from exc
        compacted = _compact_quietly(store)
        return IngestReport(
            documents=len(new_docs), chunks=sum(d.chunks for d in new_docs.values()), **counts.model_dump(),
            removed=removed, problems=problems, notes=notes, seconds=round(time.perf_counter() - started, 2),
            embedder=spec.key, build=build.name, new_build=True, quarantined=str(quarantined) if quarantined else None,
            compacted=compacted, **plan,
        )


def _merge_sources(
    corpus: list[SourceFile], extras: list[SourceFile], staged: list[StagedExtra], remove: set[str],
) -> list[SourceFile]:
    """Corpus first, then the registered extras (a staged new version in place of its old one), then new ones."""
    by_id = {s.source.info.id: s.source for s in staged}
    seen: set[str] = set()
    out: list[SourceFile] = []
    for source in [*corpus, *extras, *by_id.values()]:
        doc_id = source.info.id
        if doc_id in seen or doc_id in remove:
            continue
        seen.add(doc_id)
        out.append(by_id.get(doc_id, source))  # corpus ids never collide with staged ones (used_ids)
    return out


def _check_chunk_count(path: Path, count: int, limits: IngestLimits) -> None:
    if count == 0:
        raise CorpusError(
            f"'{path.name}' levert geen tekst op om te doorzoeken (0 stukken, bijvoorbeeld alleen lege kopjes); "
            "het is niet toegevoegd."
        )
    if count > limits.max_chunks:
        raise CorpusError(
            f"'{path.name}' zou {_number(count)} stukken opleveren; de grens is {_number(limits.max_chunks)} per "
            f"bestand (inbedden zou hier ongeveer {_duration(count / _DEFAULT_RATE)} duren). Splits het bestand, of "
            "verhoog de grens met --max-chunks (of WERKAGENDA_MAX_CHUNKS)."
        )


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Dutch thousands separator


def _not_removable(unknown: list[str], corpus: list[SourceFile], registered: set[str]) -> str:
    corpus_ids = {s.info.id for s in corpus}
    parts = []
    for doc_id in unknown:
        if doc_id in corpus_ids:
            parts.append(f"'{doc_id}' is een brondocument uit {MANIFEST_NAME}, geen toegevoegd document; haal het daar weg")
        else:
            parts.append(f"'{doc_id}' is geen toegevoegd document")
    known = ", ".join(sorted(registered)) or "geen"
    return "; ".join(parts) + f". Toegevoegde documenten: {known} (zie werkagenda list)."


# Embedding speed when no ingest has been measured in this data dir yet: 2.9 chunks/s (README, Benchmark).
_DEFAULT_RATE = 2.9
RATE_FILE = "ingest-snelheid.json"
ETA_NOTICE_S = 30  # below this the progress bar says enough
_RATE_MIN_CHUNKS = 32  # a rate from fewer chunks is mostly start-up time


def _announce_eta(data_dir: Path, chunks: int, log: Callable[[str], None]) -> None:
    rate = _DEFAULT_RATE
    try:
        rate = float(json.loads((data_dir / RATE_FILE).read_text())["chunks_per_s"]) or rate
    except (OSError, ValueError, KeyError, TypeError):
        pass
    seconds = chunks / rate
    if seconds >= ETA_NOTICE_S:
        log(f"{chunks} stukken in te bedden; dat duurt naar schatting {_duration(seconds)} ({rate:.1f} stukken/s). "
            "Afbreken met Ctrl+C laat de huidige index intact.")


def _remember_rate(data_dir: Path, chunks: int, seconds: float) -> None:
    if chunks >= _RATE_MIN_CHUNKS and seconds > 0:
        try:
            (data_dir / RATE_FILE).write_text(json.dumps({"chunks_per_s": round(chunks / seconds, 2)}))
        except OSError:
            pass


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} uur".replace(".", ",")


def _store_failure(exc: Exception, store: IndexStore, data_dir: Path, server: tuple[str, int] | None) -> Exception:
    """A Dutch IngestFailedError for a full disk, a lost server or a build removed by another process."""
    message = store_failure_message(exc, data_dir, server)
    return IngestFailedError(message) if message else exc


def _compact_quietly(store: IndexStore) -> dict[str, int] | None:
    try:
        return store.compact()
    except Exception as exc:  # compaction only saves space; the new index is already active
        logging.getLogger(__name__).warning("opruimen van de opslag mislukt: %s", exc)
        return None


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
