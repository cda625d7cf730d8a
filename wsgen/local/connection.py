"""One accepted WebSocket connection: frames in, messages queued in order, frames out.

The socket is driven through websockets' Sans-I/O `ServerProtocol`, which enforces the
32 KB frame and 128 KB message limits (closing with 1009). Complete messages go to a
per-connection queue that one task drains in arrival order, so one connection's handlers
never overlap while different connections run concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from runtime.contract import MAX_FRAME_BYTES

from ..gateway.events import Peer, now_ms
from ..gateway.outcomes import ABNORMAL_CLOSE, GOING_AWAY, NO_STATUS_REASON

CLOSE_TIMEOUT_S = 3.0
"""How long a closing handshake may take before the TCP connection is dropped."""


@dataclass
class Message:
    """One complete client message."""

    data: bytes
    text: bool
    received_ms: int


class GoneError(Exception):
    """The connection cannot take frames any more (the management API's 410)."""


class Connection:
    """An open connection and what the management API needs of it."""

    def __init__(
        self,
        client: Peer,
        protocol: ServerProtocol,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.client = client
        self.protocol = protocol
        self.reader = reader
        self.writer = writer
        self.last_active_ms = client.connected_at
        self._last_active = time.monotonic()
        self._queue: asyncio.Queue[Message | None] = asyncio.Queue()
        self._fragments: list[bytes] = []
        self._fragment_text = False
        self._server_close: tuple[int, str] | None = None

    @property
    def id(self) -> str:
        return self.client.connection_id

    @property
    def is_open(self) -> bool:
        return self.protocol.state is State.OPEN

    # Outgoing

    def send(self, data: bytes, text: bool) -> None:
        """Queue one message for the client, in frames of at most 32 KB.

        Raises:
            GoneError: the connection is closing or closed.
        """
        if not self.is_open:
            raise GoneError(self.id)
        if len(data) <= MAX_FRAME_BYTES:
            (self.protocol.send_text if text else self.protocol.send_binary)(data)
        else:
            chunks = [data[i : i + MAX_FRAME_BYTES] for i in range(0, len(data), MAX_FRAME_BYTES)]
            first = self.protocol.send_text if text else self.protocol.send_binary
            first(chunks[0], fin=False)
            for index, chunk in enumerate(chunks[1:], start=2):
                self.protocol.send_continuation(chunk, fin=index == len(chunks))
        self._flush()

    async def drain(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake from the server side (idle, max duration, DELETE, stop)."""
        if not self.is_open:
            return
        self._server_close = (code, reason)
        self.protocol.send_close(code, reason)
        self._flush()
        asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_S, self._abort)

    def _abort(self) -> None:
        if not self.writer.transport.is_closing():
            self.writer.transport.abort()

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if self.writer.transport.is_closing():
                return
            if data:
                self.writer.write(data)
            elif self.writer.can_write_eof():
                self.writer.write_eof()

    # Incoming

    async def run(
        self,
        handle: Callable[[Connection, Message], Awaitable[None]],
        idle_timeout: float,
        max_duration: float,
    ) -> tuple[int, str]:
        """Serve the connection until it is closed; the `$disconnect` code and reason.

        Messages are handed to `handle` one at a time; those received before the close are
        all handled before this returns.
        """
        worker = asyncio.create_task(self._drain_queue(handle))
        watchdog = asyncio.create_task(self._watch(idle_timeout, max_duration))
        try:
            await self._read_loop()
        finally:
            watchdog.cancel()
            self._queue.put_nowait(None)
            await worker
            if not self.writer.transport.is_closing():
                self.writer.close()  # flushes the close frame, unlike abort()
        return self.disconnect_status()

    async def _read_loop(self) -> None:
        while self.protocol.state is not State.CLOSED:
            try:
                data = await self.reader.read(65536)
            except (ConnectionError, OSError):
                data = b""
            if not data:
                self.protocol.receive_eof()
                self._flush()
                return
            self.protocol.receive_data(data)
            for frame in self.protocol.events_received():
                if isinstance(frame, Frame):
                    self._on_frame(frame.opcode, bytes(frame.data), frame.fin)
            self._flush()
            if self.protocol.close_expected():
                asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_S, self._abort)

    def _on_frame(self, opcode: Opcode, data: bytes, fin: bool) -> None:
        if opcode in (Opcode.TEXT, Opcode.BINARY):
            self._fragments = [data]
            self._fragment_text = opcode is Opcode.TEXT
        elif opcode is Opcode.CONT:
            self._fragments.append(data)
        else:
            return  # ping (answered by the protocol), pong, close
        if not fin:
            return
        payload = b"".join(self._fragments)
        self._fragments = []
        if self._fragment_text:
            try:
                payload.decode("utf-8")
            except UnicodeDecodeError:
                self.protocol.fail(1007, "invalid UTF-8 in a text message")
                return
        # Only data messages count as activity: pings do not keep a connection alive on AWS
        # (community reports, see AWS-FACTS A3 "Keep-alive").
        self.last_active_ms = now_ms()
        self._last_active = time.monotonic()
        self._queue.put_nowait(Message(payload, self._fragment_text, self.last_active_ms))

    async def _drain_queue(self, handle: Callable[[Connection, Message], Awaitable[None]]) -> None:
        while (message := await self._queue.get()) is not None:
            await handle(self, message)

    async def _watch(self, idle_timeout: float, max_duration: float) -> None:
        """Close with 1001 at the idle timeout or the maximum connection duration."""
        hard_deadline = time.monotonic() + max_duration
        while self.is_open:
            now = time.monotonic()
            deadline = min(self._last_active + idle_timeout, hard_deadline)
            if now >= deadline:
                self.close(*GOING_AWAY)
                return
            await asyncio.sleep(deadline - now)

    def disconnect_status(self) -> tuple[int, str]:
        """`disconnectStatusCode` and `disconnectReason` for this connection's close."""
        protocol = self.protocol
        server_first = protocol.close_sent is not None and not protocol.close_rcvd_then_sent
        if server_first and protocol.close_sent is not None:
            if self._server_close is not None:
                return self._server_close
            return int(protocol.close_sent.code), protocol.close_sent.reason
        if protocol.close_rcvd is not None:
            code = int(protocol.close_rcvd.code)
            return code, NO_STATUS_REASON if code == 1005 else protocol.close_rcvd.reason
        return ABNORMAL_CLOSE
