"""The one error family: every error a user can meet is a WerkagendaError.

It lives in the lowest layer so that ingest/, index/ and assistant/ can all raise it without an
import loop. Its `user_message` is Dutch and says what happened and what to do; the front doors
(CLI, API, UI) show it as it is. Any other exception reaching a front door is a bug: it is logged
with its traceback and the user gets a generic Dutch message (assistant.errors.user_message).
"""

from __future__ import annotations


class WerkagendaError(Exception):
    """Base of every user-facing error; str(exc) is the Dutch message a user reads."""

    @property
    def user_message(self) -> str:
        return str(self)
