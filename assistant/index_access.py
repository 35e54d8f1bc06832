"""Open the active index for reading, building it first when there is none yet."""

from __future__ import annotations

from collections.abc import Callable

from assistant.settings import Settings
from index.build import IngestReport, run_ingest
from index.embeddings import parse_embedder
from index.manifest import check_embedder
from index.store import ChunkCollection, IndexStore, IndexUnavailableError


def ingest(
    settings: Settings, paths=(), rebuild: bool = False, progress: bool = True,
    notify: Callable[[str], None] = lambda _msg: None, use_cache: bool = True, limits=None, remove=(),
) -> IngestReport:
    return run_ingest(
        data_dir=settings.data_dir,
        corpus_dir=settings.corpus_dir,
        embedder=settings.embedder,
        server=settings.chroma_server(),
        paths=paths,
        rebuild=rebuild,
        progress=progress,
        log=notify,
        use_cache=use_cache,
        limits=limits,
        remove=remove,
    )


def open_index(
    settings: Settings, build_if_missing: bool = True, progress: bool = True,
    notify: Callable[[str], None] = print,
) -> ChunkCollection:
    """The active build; raises IndexUnavailableError or EmbedderMismatchError with Dutch advice."""
    store = IndexStore.open(settings.data_dir, settings.chroma_server())
    active = store.active()
    if active is None:
        if not build_if_missing:
            server = settings.chroma_server()
            where = f"op de Chroma-server {server[0]}:{server[1]}" if server else f"in {settings.data_dir}"
            raise IndexUnavailableError(
                f"Er is nog geen index {where}. Bouw hem met `werkagenda ingest` "
                "(of met `werkagenda ingest --rebuild` om helemaal opnieuw te beginnen)."
            )
        notify("Nog geen index gevonden; de index wordt nu eenmalig opgebouwd …")
        ingest(settings, progress=progress, notify=notify)
        active = store.active()
        if active is None:  # pragma: no cover - ingest always activates a build
            raise IndexUnavailableError("Het opbouwen van de index is mislukt.")
    check_embedder(active.manifest, parse_embedder(settings.embedder).key)
    return active
