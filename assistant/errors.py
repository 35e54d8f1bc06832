"""Turn any exception into a Dutch message a user can act on (never a stack trace)."""

from __future__ import annotations

from pydantic import ValidationError

# Exceptions whose message is already written in Dutch for users.
_DUTCH_MESSAGE_TYPES: tuple[type[BaseException], ...] = ()


def _dutch_types() -> tuple[type[BaseException], ...]:
    global _DUTCH_MESSAGE_TYPES
    if not _DUTCH_MESSAGE_TYPES:
        from index.embeddings import EmbedderUnavailableError
        from index.manifest import EmbedderMismatchError
        from index.store import IndexUnavailableError
        from ingest.corpus import CorpusError
        from ingest.readers import UnreadableDocumentError

        _DUTCH_MESSAGE_TYPES = (
            EmbedderMismatchError, IndexUnavailableError, CorpusError, UnreadableDocumentError,
            EmbedderUnavailableError, UserInputError,
        )
    return _DUTCH_MESSAGE_TYPES


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
    if isinstance(exc, OSError):
        return f"Bestandsfout: {exc.strerror or exc}."
    return f"Er ging iets onverwachts mis ({type(exc).__name__}). Probeer het opnieuw; zet WERKAGENDA_DEBUG=1 voor details."
