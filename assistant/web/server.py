"""Serving the app: the Dutch-page middleware, `serve` and `launch` (the login comes from `Settings.login`)."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from assistant.errors import UserInputError
from assistant.settings import Settings
from assistant.web.backend import ChatBackend
from assistant.web.blocks import CSS, HEAD, build_app, make_theme
from assistant.web.feedback import FeedbackStore
from assistant.web.limits import RequestGuard, exposure_problem, is_loopback

DEFAULT_CONCURRENCY = 4

# --------------------------------------------------------------------------------------------
# Serving
# --------------------------------------------------------------------------------------------
class DutchHtmlMiddleware:
    """Serve HTML pages with lang="nl": Gradio's page template hard-codes lang="en" (WCAG 3.1.1)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        body: list[bytes] = []

        async def patched_send(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                if headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers:
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                data = b"".join(body).replace(b'lang="en"', b'lang="nl"', 1)
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(data)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": data})
                return
            await send(message)

        await self.app(scope, receive, patched_send)


def serve(
    demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, concurrency: int = DEFAULT_CONCURRENCY,
    auth: tuple[str, str] | None = None, block: bool = True, data_dir: Path | None = None,
) -> str:
    """Start the server; returns the local URL (and, with block=True, serves until Ctrl+C)."""
    from starlette.middleware import Middleware

    backend: ChatBackend = demo.backend
    demo.queue(default_concurrency_limit=max(1, int(concurrency)), max_size=max(16, 16 * int(concurrency)))
    blocked = [str(Path(data_dir or backend.assistant.settings.data_dir).resolve())]
    _, url, _ = demo.launch(
        server_name=host, server_port=port, share=False, auth=auth,
        auth_message="Log in om de Werkagenda-assistent te gebruiken." if auth else None,
        prevent_thread_lock=True, quiet=True, show_error=False, footer_links=[], run_history=False,
        enable_monitoring=False, mcp_server=False, ssr_mode=False, pwa=False, max_file_size=0,
        allowed_paths=[], blocked_paths=blocked,
        # RequestGuard (limits.py): body limit, no uploads, login back-off, Dutch 4xx for the API
        app_kwargs={"middleware": [
            Middleware(RequestGuard, signatures=lambda: getattr(backend, "api_signatures", {})),
            Middleware(DutchHtmlMiddleware),
        ]},
        theme=make_theme(), css=CSS, head=HEAD,
    )
    if block:
        try:
            demo.block_thread()
        finally:
            demo.close()
    return url


def exit_on_sigterm() -> None:
    """Let SIGTERM end the process like Ctrl+C, so that the server closes and `finally` blocks run."""
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def launch(
    settings: Settings | None = None, host: str = "127.0.0.1", port: int = 7860,
    concurrency: int = DEFAULT_CONCURRENCY, block: bool = True, auth: tuple[str, str] | None = None,
    notify: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True),
    on_ready: Callable[[str], None] | None = None, open_without_login: bool = False, build_if_missing: bool = False,
) -> tuple[gr.Blocks, str]:
    """Open the assistant and serve the app. With `build_if_missing` (what `werkagenda chat` passes) a
    missing index is built first, with a notice and progress; otherwise a missing index is an error.

    A network address without a login is refused, before anything is opened or built, unless
    `open_without_login` (`--open-zonder-login`).
    """
    from assistant.engine import Assistant

    settings = settings or Settings()
    # Read from a fresh Settings on purpose: a caller may set the environment after building its settings.
    auth = auth if auth is not None else Settings().login()
    problem = exposure_problem(host, auth, open_without_login)
    if problem:
        raise UserInputError(problem)
    if block:
        exit_on_sigterm()
    started = time.perf_counter()
    notify("De assistent wordt gestart …")
    assistant = Assistant.open(settings, progress=True, notify=notify, build_if_missing=build_if_missing)
    demo = build_app(assistant, FeedbackStore.in_data_dir(settings.data_dir))
    url = serve(demo, host, port, concurrency, auth, block=False, data_dir=settings.data_dir)
    notify(f"De Werkagenda-assistent draait op {url} (klaar in {time.perf_counter() - started:.1f} s). Stoppen: Ctrl+C.")
    if open_without_login and not auth and not is_loopback(host):
        notify("Let op: de app is vanaf het netwerk bereikbaar zonder inloggen (--open-zonder-login).")
    if on_ready:
        on_ready(url)
    if block:
        try:
            demo.block_thread()
        except KeyboardInterrupt:
            notify("De assistent is gestopt.")
        finally:
            demo.close()
    return demo, url
