"""The one place that turns an exception into the Dutch message a user reads (never a stack trace).

Every error a user can meet is a WerkagendaError (ingest/errors.py) and carries its own Dutch
`user_message`. What is left are errors of the environment that no layer of ours raised: a pydantic
ValidationError of the settings, an OSError, and the storage errors that escaped the translation at
the I/O edge (index/store.py, index/build.py). `translate` names those; anything else is a bug, which
the front doors log with its traceback before they show GENERIC_MESSAGE.
"""

from __future__ import annotations

import errno

from pydantic import ValidationError

from ingest.errors import WerkagendaError

__all__ = ["GENERIC_MESSAGE", "UserInputError", "WerkagendaError", "is_bug", "translate", "user_message"]

GENERIC_MESSAGE = "Er ging iets onverwachts mis ({kind}). Probeer het opnieuw; zet WERKAGENDA_DEBUG=1 voor details."

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


class UserInputError(WerkagendaError, ValueError):
    """Bad input from a user (question, filter, option); the message is Dutch.

    Also a ValueError: pydantic validators call the same checks (feedback's rating), and pydantic turns
    only a ValueError into its ValidationError.
    """


def user_message(exc: BaseException) -> str:
    """The Dutch message for any exception: its own for the family, a translation, or GENERIC_MESSAGE."""
    return translate(exc) or GENERIC_MESSAGE.format(kind=type(exc).__name__)


def is_bug(exc: BaseException) -> bool:
    """Neither ours nor a known error of the environment: log it with its traceback."""
    return translate(exc) is None


def translate(exc: BaseException) -> str | None:
    if isinstance(exc, WerkagendaError):
        return exc.user_message
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
    return None


def _os_error_message(exc: OSError) -> str:
    name = getattr(exc, "filename", None)
    what = f"'{name}'" if name else "een bestand"
    problem = _ERRNO_DUTCH.get(exc.errno or 0)
    if problem:
        return f"{what[0].upper()}{what[1:]} {problem}."
    return f"Bestandsfout bij {what} (foutcode {exc.errno}). Controleer het pad en de rechten."


def _storage_message(exc: BaseException) -> str | None:
    """A full disk, a lost Chroma server or a removed collection that no I/O edge translated.

    Matched by type name, so this module imports neither chromadb nor httpx (the CLI starts faster).
    """
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
