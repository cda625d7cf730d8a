"""A loopback HTTP server playing one of AWS's APIs: it records every POST and answers each
with what the test's `answer` function gives (Lambda's Invoke, SSM, `@connections`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Request:
    path: str
    headers: Message
    """Read case-insensitively, as HTTP's are: `headers["X-Amz-Target"]`."""
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] | None = None
    body: bytes = b""


class StubServer(ThreadingHTTPServer):
    """Its `url`, and the `requests` it was sent, in order."""

    def __init__(self, answer: Callable[[Request], Answer]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.requests: list[Request] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _Handler(BaseHTTPRequestHandler):
    server: StubServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        request = Request(self.path, self.headers, body)
        self.server.requests.append(request)
        answer = self.server.answer(request)
        self.send_response(answer.status)
        for name, value in (answer.headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def stub_server(answer: Callable[[Request], Answer]) -> Iterator[StubServer]:
    """The server, serving on a thread of its own until the block ends."""
    server = StubServer(answer)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
