"""The two front ends behind one small interface, so a shared behaviour is written once.

`SocketFrontend` talks to a running emulator (`wsgen local`) with websockets' own client
over loopback; `MemoryFrontend` drives `wsgen.testing.Client`. Both answer a refused
handshake with `Refused(status)`, and hand back a `Link`: send text or bytes, receive a
frame, and the close code the client saw once the server closed the connection.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any, Protocol
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from runtime import App
from wsgen.gateway.outcomes import Frame
from wsgen.local import Emulator
from wsgen.testing import Client, Connection, ConnectionRejected

WAIT_S = 10.0
"""How long a socket read may block: a bound for a hung test, not a timing assertion."""


class Refused(Exception):  # noqa: N818  (what the test reads)
    """The handshake was answered with `status` instead of 101."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Link(Protocol):
    """One open connection, as the client side sees it."""

    def send_text(self, text: str) -> None: ...
    def send_bytes(self, data: bytes) -> None: ...
    def receive(self) -> Frame: ...
    def close_code(self) -> int:
        """The code of the close frame the server sent (the connection must be closing)."""
        ...

    def close(self) -> None: ...


class Frontend(Protocol):
    name: str

    def connect(self, **query: str) -> Link:
        """Open a connection with these query parameters; raises `Refused`."""
        ...

    def close(self) -> None:
        """Close whatever is still open."""


class SocketFrontend:
    """The emulator, through websockets' synchronous client."""

    name = "emulator"

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._sockets = ExitStack()

    def connect(self, **query: str) -> Link:
        url = f"{self.emulator.url}?{urlencode(query)}" if query else self.emulator.url
        try:
            socket = self._sockets.enter_context(
                ws_connect(url, open_timeout=WAIT_S, max_size=None)
            )
        except InvalidStatus as exc:
            raise Refused(exc.response.status_code) from exc
        return _SocketLink(socket)

    def close(self) -> None:
        self._sockets.close()
        # Wait for each connection's $disconnect, which the emulator runs after the close:
        # run later, it would land among the next test's events.
        deadline = time.monotonic() + WAIT_S
        while self.emulator.open_sessions and time.monotonic() < deadline:
            time.sleep(0.01)


class _SocketLink:
    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket

    def send_text(self, text: str) -> None:
        self.socket.send(text)

    def send_bytes(self, data: bytes) -> None:
        self.socket.send(data)

    def receive(self) -> Frame:
        return self.socket.recv(timeout=WAIT_S)

    def close_code(self) -> int:
        try:
            unexpected = self.socket.recv(timeout=WAIT_S)
        except ConnectionClosed as closed:
            if closed.rcvd is None:
                message = "the server dropped the connection without a close frame"
                raise AssertionError(message) from closed
            return int(closed.rcvd.code)
        raise AssertionError(f"expected the server to close, received {unexpected!r}")

    def close(self) -> None:
        self.socket.close()


class MemoryFrontend:
    """`wsgen.testing.Client` on the same app, keeping handler errors as frames only."""

    name = "test client"

    def __init__(self, app: App, **options: Any) -> None:
        self.client = Client(app, raise_errors=False, **options)

    def connect(self, **query: str) -> Link:
        try:
            return _MemoryLink(self.client.connect(query=query))
        except ConnectionRejected as exc:
            raise Refused(exc.status_code) from exc

    def close(self) -> None:
        self.client.close()


class _MemoryLink:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def send_text(self, text: str) -> None:
        self.connection.send_text(text)

    def send_bytes(self, data: bytes) -> None:
        self.connection.send_bytes(data)

    def receive(self) -> Frame:
        return self.connection.receive()

    def close_code(self) -> int:
        if not self.connection.closed or self.connection.close_code is None:
            raise AssertionError(f"expected the server to close, {self.connection!r}")
        return self.connection.close_code

    def close(self) -> None:
        self.connection.close()
