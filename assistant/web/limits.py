"""ASGI guards in front of the Gradio app: bounded request bodies, no uploads, throttled logins, Dutch 4xx.

Gradio reads a request body whole before it looks at it, so without a limit eight 200 MB POSTs to
`/ask` held 3.8 GB; it accepts uploads although the app has no upload field; it answers wrong
passwords at full speed; and a missing or unknown API argument became an English 500 with a
traceback. `RequestGuard` sits outside Gradio's routes and answers those cases itself, in Dutch.
"""

from __future__ import annotations

import inspect
import ipaddress
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

# The largest body a real client sends: a question (at most 2,000 characters, ~8 kB as escaped JSON)
# with its history and filters, or a feedback comment of 2,000 characters. 64 kB leaves ample room.
MAX_BODY_BYTES = 64 * 1024
# Login: 5 wrong passwords per client are free; then each further attempt waits twice as long
# (1 s, 2 s, 4 s, … up to 15 min), so 300 guesses take days instead of 3.6 s.
LOGIN_FREE_FAILURES = 5
LOGIN_BASE_DELAY_S = 1.0
LOGIN_MAX_DELAY_S = 15 * 60
LOGIN_TRACKED_CLIENTS = 10_000  # oldest forgotten first: an attacker with many addresses cannot fill memory

_BODY_METHODS = {"POST", "PUT", "PATCH"}
_UPLOAD_PATH = re.compile(r"^(?:/gradio_api)?/upload/?$|^/gradio_api/process_recording/?$")
_LOGIN_PATH = re.compile(r"^/login/?$")
_API_PATH = re.compile(r"^/gradio_api/(?:(?P<v2>call/v2)|call|run|api)/(?P<name>[^/]+)/?$")


def _json(status: int, detail: str, headers: Mapping[str, str] | None = None) -> tuple[int, bytes, list]:
    body = json.dumps({"detail": detail, "error": detail}, ensure_ascii=False).encode()
    extra = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    return status, body, [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()), *extra]


async def _respond(send, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
    status, body, raw_headers = _json(status, detail, headers)
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


# --------------------------------------------------------------------------------------------
# API arguments
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApiSignature:
    """The parameters of one named API endpoint, to check a call before Gradio does (in English)."""

    name: str
    params: tuple[str, ...]
    required: tuple[str, ...]

    @classmethod
    def of(cls, name: str, fn: Callable) -> ApiSignature:
        sig = inspect.signature(fn)
        params = tuple(sig.parameters)
        required = tuple(n for n, p in sig.parameters.items() if p.default is inspect.Parameter.empty)
        return cls(name, params, required)

    def usage(self) -> str:
        shown = [p if p in self.required else f"{p} (optioneel)" for p in self.params]
        return f"/{self.name} verwacht: {', '.join(shown) or 'geen argumenten'}"

    def problem(self, body: object, keyword: bool) -> str | None:
        """Why this body cannot be a call of the endpoint (Dutch), or None."""
        if keyword:
            if not isinstance(body, dict):
                return f"De aanvraag moet een JSON-object met argumenten zijn. {self.usage()}."
            unknown = [k for k in body if k not in self.params and k != "oauth_token"]
            if unknown:
                return f"Onbekend argument: {', '.join(map(str, unknown))}. {self.usage()}."
            missing = [p for p in self.required if p not in body]
            if missing:
                return f"Argument ontbreekt: {', '.join(missing)}. {self.usage()}."
            return None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            return f'De aanvraag moet een JSON-object zijn met "data": een lijst met argumenten. {self.usage()}.'
        count = len(body["data"])
        if count < len(self.required) or count > len(self.params):
            return f"Er zijn {count} argumenten meegegeven. {self.usage()}."
        return None


def api_signatures(functions: Mapping[str, Callable]) -> dict[str, ApiSignature]:
    return {name: ApiSignature.of(name, fn) for name, fn in functions.items()}


# --------------------------------------------------------------------------------------------
# Login throttling
# --------------------------------------------------------------------------------------------
@dataclass
class _Failures:
    count: int = 0
    blocked_until: float = 0.0


@dataclass
class LoginThrottle:
    """Failed logins per client address, with exponential back-off after the free attempts."""

    free: int = LOGIN_FREE_FAILURES
    base_delay_s: float = LOGIN_BASE_DELAY_S
    max_delay_s: float = LOGIN_MAX_DELAY_S
    max_clients: int = LOGIN_TRACKED_CLIENTS
    clock: Callable[[], float] = time.monotonic
    _clients: OrderedDict[str, _Failures] = field(default_factory=OrderedDict)

    def wait_s(self, client: str) -> float:
        """Seconds this client must wait before its next attempt (0: it may try now)."""
        state = self._clients.get(client)
        return max(0.0, state.blocked_until - self.clock()) if state else 0.0

    def failed(self, client: str) -> None:
        state = self._clients.pop(client, None) or _Failures()
        state.count += 1
        if state.count >= self.free:
            delay = min(self.max_delay_s, self.base_delay_s * 2 ** (state.count - self.free))
            state.blocked_until = self.clock() + delay
        self._clients[client] = state
        while len(self._clients) > self.max_clients:
            self._clients.popitem(last=False)

    def succeeded(self, client: str) -> None:
        self._clients.pop(client, None)


def _wait_text(seconds: float) -> str:
    seconds = max(1, round(seconds))
    return f"{seconds} seconde{'n' if seconds != 1 else ''}" if seconds < 120 else f"{round(seconds / 60)} minuten"


# --------------------------------------------------------------------------------------------
# The middleware
# --------------------------------------------------------------------------------------------
class RequestGuard:
    """Bounded bodies (413), no uploads (403), login back-off (429) and Dutch 4xx for bad API calls."""

    def __init__(
        self, app, max_body: int = MAX_BODY_BYTES, throttle: LoginThrottle | None = None,
        signatures: Mapping[str, ApiSignature] | Callable[[], Mapping[str, ApiSignature]] | None = None,
    ):
        self.app = app
        self.max_body = max_body
        self.throttle = throttle if throttle is not None else LoginThrottle()
        self._signatures = signatures

    @property
    def signatures(self) -> Mapping[str, ApiSignature]:
        sigs = self._signatures() if callable(self._signatures) else self._signatures
        return sigs or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path", ""), scope.get("method", "GET")
        if _UPLOAD_PATH.match(path):
            await _drain(receive)
            await _respond(send, 403, "Deze app neemt geen bestanden aan: er is geen uploadveld.")
            return
        if method not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await _drain(receive)
            await _respond(send, 413, self._too_large())
            return
        body = await self._read_body(receive)
        if body is None:
            await _respond(send, 413, self._too_large())
            return
        replay = _replaying(body, receive)
        if _LOGIN_PATH.match(path):
            await self._login(scope, replay, send)
            return
        api = _API_PATH.match(path)
        if api:
            await self._api(scope, replay, send, body, api)
            return
        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return (f"De aanvraag is te groot (meer dan {self.max_body // 1024} kB). Een vraag mag hoogstens 2.000 tekens "
                "lang zijn.")

    async def _read_body(self, receive) -> bytes | None:
        """The whole body, or None as soon as it exceeds the limit (the rest is never read or kept)."""
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            parts.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(parts)

    async def _login(self, scope, receive, send) -> None:
        client = (scope.get("client") or ("?", 0))[0]
        wait = self.throttle.wait_s(client)
        if wait > 0:
            await _respond(send, 429, f"Te veel mislukte inlogpogingen. Probeer het over {_wait_text(wait)} opnieuw.",
                           {"retry-after": str(max(1, round(wait)))})
            return
        status: list[int] = []

        async def watch(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] == 200:
            self.throttle.succeeded(client)
        elif status and 400 <= status[0] < 500:
            self.throttle.failed(client)

    async def _api(self, scope, receive, send, body: bytes, match: re.Match) -> None:
        signatures = self.signatures
        name = match.group("name")
        signature = signatures.get(name)  # None: an endpoint we do not know (Gradio decides, errors stay Dutch)
        if signature is not None:
            try:
                parsed = json.loads(body or b"null")
            except ValueError:
                parsed = None
                problem = "De aanvraag is geen geldige JSON."
            else:
                problem = signature.problem(parsed, keyword=bool(match.group("v2")))
            if problem:
                await _respond(send, 400, problem)
                return
        started = False

        async def watch(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # an argument Gradio could not use; never an English 500 with a traceback
            if started:
                raise
            log.warning("API-aanroep %s geweigerd: %s: %s", name, type(exc).__name__, exc)
            if signature is None:
                known = ", ".join("/" + n for n in sorted(signatures)) or "zie /gradio_api/info"
                await _respond(send, 404, f"Onbekend API-eindpunt '/{name}' of ongeldige argumenten. Beschikbaar: {known}.")
            else:
                await _respond(send, 400, f"De argumenten van deze aanroep zijn ongeldig. {signature.usage()}.")


def _content_length(scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# A refused body is read and thrown away up to this many bytes before the answer goes out: a client that
# is still sending would otherwise meet a closed connection (a broken pipe) instead of the Dutch 4xx.
# Nothing is kept, so memory stays flat; past this the connection is answered and closed anyway.
DRAIN_MAX_BYTES = 4 << 20


async def _drain(receive, limit: int = DRAIN_MAX_BYTES) -> None:
    size = 0
    while size <= limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            return


def _replaying(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # afterwards: the client's disconnect

    return replay


# --------------------------------------------------------------------------------------------
# Who may reach the app
# --------------------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_problem(host: str, auth: object, open_without_login: bool) -> str | None:
    """Dutch refusal for a network address without a login, unless the user opted in explicitly."""
    if auth or open_without_login or is_loopback(host):
        return None
    return (f"De app zou op {host} vanaf het netwerk bereikbaar zijn zonder inloggen. Zet WERKAGENDA_USERNAME en "
            "WERKAGENDA_PASSWORD voor een login, of start met --open-zonder-login als iedereen erbij mag.")
