"""Open the active index for reading (never builds), or build it first (only chat, ask and ingest do).

Opening is not building: a read (`stats`, `eval`, the library's `Assistant.open`) must not start an
ingest, and must not write to the data dir or the Chroma server either.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.search_structures import prepare_search
from assistant.settings import Settings
from index.build import IngestReport, run_ingest
from index.embeddings import parse_embedder
from index.manifest import check_embedder
from index.store import CHROMA_SUBDIR, ChunkCollection, IndexStore, IndexUnavailableError, check_data_dir
from ingest.errors import WerkagendaError

BUILDING_NOTICE = "Nog geen index gevonden; de index wordt nu eenmalig opgebouwd …"


def ingest(
    settings: Settings, paths=(), rebuild: bool = False, progress: bool = True,
    notify: Callable[[str], None] = lambda _msg: None, use_cache: bool = True, limits=None, remove=(),
) -> IngestReport:
    """Build the index, then derive the new build's search structures, so no later start pays for them."""
    report = run_ingest(
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
    if report.new_build:
        _prepare_search_quietly(settings, notify)
    return report


def _prepare_search_quietly(settings: Settings, notify: Callable[[str], None]) -> None:
    """The new build is active already: if its structures cannot be stored now, the first start derives them."""
    try:
        prepare_search(open_index(settings), settings.data_dir)
    except (WerkagendaError, OSError) as exc:
        notify(f"De zoekstructuren zijn niet vooraf opgebouwd ({exc}); de eerste start doet dat alsnog.")


def open_index(settings: Settings) -> ChunkCollection:
    """The active build; raises IndexUnavailableError (none yet, or damaged) or EmbedderMismatchError, in Dutch."""
    active = active_build(settings)
    if active is None:
        raise _no_index(settings)
    check_embedder(active.manifest, parse_embedder(settings.embedder).key)
    return active


def open_or_build_index(
    settings: Settings, progress: bool = True, notify: Callable[[str], None] = print,
) -> ChunkCollection:
    """The active build, after building one (with a notice and a progress bar) when there is none yet.

    Only a damaged store is refused: that one is never papered over (`werkagenda ingest --rebuild`).
    """
    if active_build(settings) is None:
        notify(BUILDING_NOTICE)
        ingest(settings, progress=progress, notify=notify)
    return open_index(settings)


def active_build(settings: Settings) -> ChunkCollection | None:
    """The active build as it is (no embedder check), or None; reading a store without one writes nothing."""
    server = settings.chroma_server()
    if not server:
        check_data_dir(settings.data_dir)
        if not (settings.data_dir / CHROMA_SUBDIR).exists():
            return None  # decided without opening Chroma, which would create its files here
    return IndexStore.open(settings.data_dir, server).active()


def _no_index(settings: Settings) -> IndexUnavailableError:
    server = settings.chroma_server()
    where = f"op de Chroma-server {server[0]}:{server[1]}" if server else f"in {settings.data_dir}"
    return IndexUnavailableError(
        f"Er is nog geen index {where}. Bouw hem met `werkagenda ingest` "
        "(of met `werkagenda ingest --rebuild` om helemaal opnieuw te beginnen)."
    )
