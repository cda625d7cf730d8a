"""Runtime fixtures: an AWS-free environment for management calls."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from runtime import aws


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A region and dummy credentials; no endpoint configured anywhere."""
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("WSGEN_WEBSOCKET_ENDPOINT", raising=False)


class Script:
    """Answers queued for the server, and what it received (with each client's port)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str], bytes] | str] = []
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.respond: Callable[[dict[str, Any]], Any] | None = None
        """Answers by request instead of in order (for concurrent requests)."""

    def next(self, request: dict[str, Any]) -> Any:
        if self.respond is not None:
            return self.respond(request)
        with self.lock:
            return self.answers.pop(0) if self.answers else (200, {}, b"")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    script: Script

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        request = {
            "method": self.command,
            "path": self.path,
            "headers": dict(self.headers.items()),
            "body": body,
            "port": self.client_address[1],
        }
        with self.script.lock:
            self.script.received.append(request)
        answer = self.script.next(request)
        if answer == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            self.close_connection = True
            self.connection.close()
            return
        status, headers, payload = answer
        headers = dict(headers)
        self.send_response(status)
        chunked = headers.pop("chunked", None) is not None
        # "drop": close the connection after answering, without saying so, as a server's
        # idle timeout does between two requests
        self.close_connection = headers.pop("drop", None) is not None
        for name, value in headers.items():
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (payload[:3], payload[3:]):
                if piece:
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _answer  # noqa: N815 (http.server's names)


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    """A scripted HTTP/1.1 server on loopback (keep-alive), as AWS endpoints answer."""
    script = Script()
    handler = type("H", (Handler,), {"script": script})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    aws.reset()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    finally:
        httpd.shutdown()
        httpd.server_close()
        aws.reset()


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """runtime.aws's back-off sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # runtime.aws sleeps through `time`
    return slept
