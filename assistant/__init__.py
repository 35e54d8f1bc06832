"""werkagenda-assistent: Dutch answers about the Werkagenda Waardengedreven Digitaliseren, each claim cited.

The public API::

    from assistant import Assistant, Settings

    assistant = Assistant.open(Settings())            # reads the index; `werkagenda ingest` builds it
    answer = assistant.ask("Komt er een digitale identiteitswallet?")
    print(answer.answer, [c.label for c in answer.citations])

Every error a user can meet is a `WerkagendaError` with a Dutch `user_message`. The names load on first use,
so that `import assistant` (and `werkagenda --help`) stays fast; the front doors are `assistant.cli` and
`assistant.web`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_PUBLIC = {
    "Assistant": "assistant.engine",
    "Answer": "assistant.models",
    "Citation": "assistant.models",
    "Filters": "assistant.models",
    "Turn": "assistant.models",
    "Settings": "assistant.settings",
    "WerkagendaError": "assistant.errors",
    "UserInputError": "assistant.errors",
}
__all__ = ["Answer", "Assistant", "Citation", "Filters", "Settings", "Turn", "UserInputError", "WerkagendaError"]

if TYPE_CHECKING:  # for type checkers and editors; at run time the names load lazily below
    from assistant.engine import Assistant
    from assistant.errors import UserInputError, WerkagendaError
    from assistant.models import Answer, Citation, Filters, Turn
    from assistant.settings import Settings


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
