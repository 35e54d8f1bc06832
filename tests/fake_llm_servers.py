"""Small local servers on 127.0.0.1 that speak the real Ollama and OpenAI chat HTTP protocols.

They stand in for an LLM service (none can run here). The reply text is set per test; a delay
makes a server "slow". Both protocols stream the way the real servers do: Ollama as NDJSON lines,
OpenAI as server-sent events ending in `data: [DONE]`.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLLMServer:
    def __init__(self, protocol: str, reply: str = "", delay: float = 0.0):
        self.protocol = protocol  # "ollama" | "openai"
        self.reply = reply
        self.delay = delay
        self.requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A short poll: shutdown() waits for the loop to notice, 0.5 s per server with the default.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}" + ("/v1" if self.protocol == "openai" else "")

    def __enter__(self) -> FakeLLMServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _pieces(self) -> list[str]:
        words = self.reply.split(" ")
        return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                time.sleep(fake.delay)
                if fake.protocol == "ollama" and self.path == "/api/chat":
                    return self._ollama(body)
                if fake.protocol == "openai" and self.path == "/v1/chat/completions":
                    return self._openai(body)
                self.send_error(404)

            def _ollama(self, body):
                model = body.get("model", "fake")
                if not body.get("stream", True):
                    return self._json({"model": model, "created_at": "2026-01-01T00:00:00Z", "done": True,
                                       "message": {"role": "assistant", "content": fake.reply}, "done_reason": "stop"})
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                for piece in fake._pieces():
                    line = {"model": model, "created_at": "2026-01-01T00:00:00Z", "done": False,
                            "message": {"role": "assistant", "content": piece}}
                    self.wfile.write((json.dumps(line) + "\n").encode())
                    self.wfile.flush()
                done = {"model": model, "created_at": "2026-01-01T00:00:00Z", "done": True, "done_reason": "stop",
                        "message": {"role": "assistant", "content": ""}, "eval_count": 1, "prompt_eval_count": 1}
                self.wfile.write((json.dumps(done) + "\n").encode())

            def _openai(self, body):
                model = body.get("model", "fake")
                base = {"id": "chatcmpl-fake", "created": 1700000000, "model": model}
                if not body.get("stream"):
                    return self._json({**base, "object": "chat.completion", "choices": [
                        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": fake.reply}}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for i, piece in enumerate(fake._pieces()):
                    delta = {"content": piece} if i else {"role": "assistant", "content": piece}
                    event = {**base, "object": "chat.completion.chunk",
                             "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                end = {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())

            def _json(self, payload):
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
