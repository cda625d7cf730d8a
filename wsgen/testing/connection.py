"""One client connection of the test client: what it sent, received and how it closed.

A `Connection` reaches API Gateway's side only through its `Link` (the `Client` that opened
it); the client moves it through its `ConnectionState`s with `mark_open`, `mark_closing`
and `mark_closed`, and hands it what the app sent with `deliver`.
"""

from __future__ import annotations

import json
from contextlib import suppress
from types import TracebackType
from typing import Any, Protocol

from ..gateway.events import Peer
from ..gateway.outcomes import Frame
from ..gateway.state import ConnectionState
from .exceptions import ConnectionClosedError, NoMessageError, UnexpectedFrameError

CLOSE_NORMAL = 1000


class Link(Protocol):
    """What a `Connection` asks of the client that opened it."""

    def handle_message(
        self, connection: Connection, data: bytes, *, binary: bool, fragments: int = 1
    ) -> None:
        """Take one message from `connection` as API Gateway would."""

    def handle_close(self, connection: Connection, code: int, reason: str) -> None:
        """`connection` closed from the client side: run `$disconnect`."""


class Connection:
    """One client connection; use it as a context manager to close it (1000) on exit."""

    def __init__(self, client: Link, peer: Peer) -> None:
        self.client = client
        self.peer = peer
        self._state = ConnectionState.CONNECTING
        self.subprotocol: str | None = None
        """The subprotocol the `$connect` handler chose, or None."""
        self.received: list[Frame] = []
        """Every frame the app sent to this connection, in order (also those already read)."""
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.last_active_at = peer.connected_at
        self._read = 0

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._state is not ConnectionState.OPEN:
            return
        if exc_type is None:
            self.close()
        else:
            # Don't hide the test's own failure behind a $disconnect error (it is in errors).
            with suppress(Exception):
                self.close()

    @property
    def connection_id(self) -> str:
        return self.peer.connection_id

    @property
    def state(self) -> ConnectionState:
        """connecting, open, closing (deleted by the app, $disconnect pending) or closed."""
        return self._state

    @property
    def closed(self) -> bool:
        return self._state is ConnectionState.CLOSED

    # Transitions: the client calls these as API Gateway's side of the connection changes.

    def mark_open(self, subprotocol: str | None) -> None:
        """The handshake succeeded with `subprotocol` (what `$connect` chose)."""
        self._move(ConnectionState.OPEN, ConnectionState.CONNECTING)
        self.subprotocol = subprotocol

    def mark_closing(self) -> None:
        """The server closed the connection (`@connections` DELETE); `$disconnect` is pending."""
        self._move(ConnectionState.CLOSING, ConnectionState.OPEN)

    def mark_closed(self, code: int | None = None, reason: str | None = None) -> None:
        """The connection is closed (with `code` and `reason`, unless the handshake failed)."""
        self._move(ConnectionState.CLOSED, *ConnectionState)
        self.close_code, self.close_reason = code, reason

    def deliver(self, frame: Frame) -> None:
        """A frame the app sent to this connection: `receive()` returns it in turn."""
        self.received.append(frame)

    def _move(self, to: ConnectionState, *allowed: ConnectionState) -> None:
        if self._state not in allowed:
            raise AssertionError(f"connection {self.connection_id}: {self._state} -> {to}")
        self._state = to

    @property
    def authorizer(self) -> dict[str, Any]:
        """`requestContext.authorizer` of this connection's events; empty without an authorizer."""
        return self.peer.authorizer or {}

    def send_text(self, text: str, *, fragments: int = 1) -> None:
        """Send a text message; the app gets it as `event.body`.

        A message goes as one frame, as browsers send it, and API Gateway closes the
        connection with 1009 when a frame is over 32 KB (or a message over 128 KB).
        `fragments=N` sends it as N frames of about equal size instead, as clients that
        fragment do, so that up to 128 KB gets through.
        """
        self._check_open()
        self.client.handle_message(self, text.encode(), binary=False, fragments=fragments)

    def send_json(self, value: Any, *, fragments: int = 1) -> None:
        """Send `value` as JSON in a text message (see `send_text` for `fragments`)."""
        self.send_text(json.dumps(value), fragments=fragments)

    def send_bytes(self, data: bytes, *, fragments: int = 1) -> None:
        """Send a binary message; the app gets it base64-encoded, with `isBase64Encoded` true.

        One frame by default; see `send_text` for the frame limit and `fragments`.
        """
        self._check_open()
        self.client.handle_message(self, bytes(data), binary=True, fragments=fragments)

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Close from the client side; `$disconnect` gets `code` and `reason`."""
        if self._state is ConnectionState.OPEN:
            self.client.handle_close(self, code, reason)

    def receive(self) -> Frame:
        """The next frame the app sent: str (text) or bytes (binary).

        Raises:
            NoMessageError: nothing is waiting (the app has not sent anything more).
            ConnectionClosedError: nothing is waiting and the connection is closed.
        """
        if self._read < len(self.received):
            self._read += 1
            return self.received[self._read - 1]
        if self.closed:
            raise ConnectionClosedError(self.connection_id, self.close_code, self.close_reason)
        raise NoMessageError(self.connection_id, len(self.received))

    def receive_all(self) -> list[Frame]:
        """Every frame received and not read yet, in order (empty when there is none)."""
        frames = self.received[self._read :]
        self._read = len(self.received)
        return frames

    def receive_text(self) -> str:
        frame = self.receive()
        if not isinstance(frame, str):
            raise UnexpectedFrameError(f"expected a text frame, received binary {frame!r}")
        return frame

    def receive_bytes(self) -> bytes:
        frame = self.receive()
        return frame.encode() if isinstance(frame, str) else frame

    def receive_json(self) -> Any:
        """The next frame, parsed as JSON."""
        return json.loads(self.receive())

    def _check_open(self) -> None:
        if self._state is not ConnectionState.OPEN:
            raise ConnectionClosedError(self.connection_id, self.close_code, self.close_reason)

    def __repr__(self) -> str:
        return f"Connection({self.connection_id!r}, {self._state})"
