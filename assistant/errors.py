"""Turn any exception into a Dutch message a user can act on (never a stack trace)."""

from __future__ import annotations

import errno

from pydantic import ValidationError

# Exceptions whose message is already written in Dutch for users.
_DUTCH_MESSAGE_TYPES: tuple[type[BaseException], ...] = ()


def _dutch_types() -> tuple[type[BaseException], ...]:
    global _DUTCH_MESSAGE_TYPES
    if not _DUTCH_MESSAGE_TYPES:
        from assistant.llm import LLMConfigError
        from index.embeddings import EmbedderUnavailableError
        from index.manifest import EmbedderMismatchError
        from index.store import IndexUnavailableError
        from ingest.corpus import CorpusError
        from ingest.readers import UnreadableDocumentError

        _DUTCH_MESSAGE_TYPES = (
            EmbedderMismatchError, IndexUnavailableError, CorpusError, UnreadableDocumentError,
            EmbedderUnavailableError, UserInputError, LLMConfigError,
        )
    return _DUTCH_MESSAGE_TYPES


# The OS's own texts (strerror) are English; these are the ones a user can cause and fix.
_ERRNO_DUTCH = {
    errno.ENOENT: "bestaat niet",
    errno.EISDIR: "is een map, geen bestand",
    errno.ENOTDIR: "ligt niet in een map (een deel van het pad is een bestand)",
    errno.ENOSPC: "kan niet worden geschreven: de schijf is vol",
    errno.EROFS: "kan niet worden geschreven: de schijf is alleen-lezen",
    errno.ENAMETOOLONG: "heeft een te lange naam",
    errno.EMFILE: "kan niet worden geopend: te veel open bestanden",
}


class UserInputError(ValueError):
    """Bad input from a user (question, filter); the message is Dutch."""


def user_message(exc: BaseException) -> str:
    if isinstance(exc, _dutch_types()):
        return str(exc)
    if isinstance(exc, ValidationError):
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return f"Ongeldige instelling of invoer ({fields}). Controleer de WERKAGENDA_-variabelen en opties."
    if isinstance(exc, PermissionError):
        return f"Geen toegang tot {getattr(exc, 'filename', '') or 'een bestand'}. Controleer de rechten of kies een andere --data-dir."
    storage = _storage_message(exc)
    if storage:
        return storage
    if isinstance(exc, OSError):
        return _os_error_message(exc)
    return f"Er ging iets onverwachts mis ({type(exc).__name__}). Probeer het opnieuw; zet WERKAGENDA_DEBUG=1 voor details."


def _os_error_message(exc: OSError) -> str:
    name = getattr(exc, "filename", None)
    what = f"'{name}'" if name else "een bestand"
    problem = _ERRNO_DUTCH.get(exc.errno or 0)
    if problem:
        return f"{what[0].upper()}{what[1:]} {problem}."
    return f"Bestandsfout bij {what} (foutcode {exc.errno}). Controleer het pad en de rechten."


def _storage_message(exc: BaseException) -> str | None:
    """Chroma and SQLite report a full disk, a lost server or a removed collection in English types."""
    text = str(exc).lower()
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "disk is full" in text or "no space left" in text:
        return ("De schijf is vol: er kon niets worden opgeslagen. Wat er al was, is niet veranderd. "
                "Maak ruimte vrij (bekijk het met: df -h) en probeer het opnieuw.")
    kind = type(exc).__name__
    if kind in ("ConnectError", "ConnectTimeout", "RemoteProtocolError", "ReadError", "ReadTimeout"):
        return ("De Chroma-server is niet bereikbaar. Controleer of hij draait (WERKAGENDA_CHROMA_HOST/_PORT) "
                "en probeer het opnieuw.")
    if kind == "NotFoundError":
        return ("De index is intussen door een ander proces verwijderd of vervangen. Start de opdracht opnieuw; "
                "helpt dat niet, bouw de index dan met `werkagenda ingest`.")
    return None
