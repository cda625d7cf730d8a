"""One accepted WebSocket connection: frames in, messages handed to their handlers, frames out.

Once the handshake is done the connection is its transport's asyncio protocol: frames are read
in its callbacks, into one buffer of its own, and fed to websockets' Sans-I/O `ServerProtocol`,
which enforces the 32 KB frame and 128 KB message limits (closing with 1009): no stream
reader, no reading task and no per-read buffer allocated. Each complete message is handed
to its handler at once, concurrently with the connection's other messages, as API Gateway
invokes each message on its own (docs/aws-facts.md#routing): their replies need not come
back in order. With `serial=True` (`wsgen local --serial-messages`, for debugging) one task
hands them over one at a time, in arrival order, instead.

What is received but not handled yet is bounded (`MAX_QUEUED_MESSAGES`, `MAX_QUEUED_BYTES`,
running handlers included): while that is full the connection stops reading from its
socket, so TCP pushes back on a client that sends faster than its handlers run. So it does
while the client reads nothing and over `SEND_BUFFER_BYTES` wait for it (pongs to its pings
included). When the server ends the connection (stop, `@connections` DELETE, the idle or
duration limit, a protocol error) the messages still queued are dropped, so `$disconnect`
runs promptly; after a client's own close they are still handled, as API Gateway invokes
every message it received.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from runtime.contract import MAX_FRAME_BYTES, MAX_MESSAGE_BYTES

from ..gateway.events import Peer, now_ms
from ..gateway.outcomes import ABNORMAL_CLOSE, GOING_AWAY, MESSAGE_TOO_BIG, NO_STATUS_REASON
from ..gateway.state import ConnectionState

CLOSE_TIMEOUT_S = 3.0
"""How long a closing handshake may take before the TCP connection is dropped."""
MAX_QUEUED_MESSAGES = 1000
MAX_QUEUED_BYTES = 1024 * 1024
"""Received messages not handled yet (waiting or running), per connection, before reading
pauses."""
SEND_BUFFER_BYTES = 1024 * 1024
"""Unsent bytes for a client beyond which `@connections` POST answers 429
LimitExceededException, as API Gateway does when "the WebSocket client side buffer is full"
(docs/aws-facts.md#management-api). The frame is then not queued; below the limit it is
queued and POST answers at once, without waiting for the client to read it."""


@dataclass(slots=True, eq=False)
class Message:
    """One complete client message."""

    data: bytes | str
    """A text message decoded (it was checked to be UTF-8 as it arrived), a binary one as is."""
    size: int
    """Its bytes, as received."""
    received_ms: int

    @property
    def text(self) -> bool:
        return isinstance(self.data, str)


class GoneError(Exception):
    """The connection cannot take frames any more (the management API's 410)."""


class BufferFullError(Exception):
    """The client is not reading: over `SEND_BUFFER_BYTES` wait to be written (429)."""


class Handling(Protocol):
    """A message's handling under way, as `Handle` started it."""

    def abandon(self) -> None:
        """Stop it: its outcome is dropped, and it no longer calls its `done`."""


Handle = Callable[["Connection", Message, Callable[[], None]], Handling]
"""Starts handling a message; the callable it is given is called once that is over (maybe
before it returns)."""

_STATES = {
    State.CONNECTING: ConnectionState.CONNECTING,
    State.OPEN: ConnectionState.OPEN,
    State.CLOSING: ConnectionState.CLOSING,
    State.CLOSED: ConnectionState.CLOSED,
}
_TAKES_POSTS = frozenset(state for state, ours in _STATES.items() if ours.takes_posts)
"""The websockets states in which a connection takes posts (`ConnectionState.takes_posts`)."""


class GatewayProtocol(ServerProtocol):
    """websockets' server protocol, closing on an oversized frame or message as API
    Gateway does: 1009 with `MESSAGE_TOO_BIG`'s reason, the test client's too."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_size=(MAX_MESSAGE_BYTES, MAX_FRAME_BYTES), **kwargs)

    def fail(self, code: int, reason: str = "") -> None:
        if code == MESSAGE_TOO_BIG[0]:
            reason = MESSAGE_TOO_BIG[1]
        super().fail(code, reason)


def message_frames(data: bytes, text: bool) -> bytes:
    """One outgoing message as its frames' bytes: a text or binary frame, then continuation
    frames, each of at most `MAX_FRAME_BYTES`, the last one final (RFC 6455 5.2, 5.4).

    A server's frames are not masked, and no extension is ever negotiated (API Gateway
    offers no compression, and `GatewayProtocol` none), so these are the bytes websockets'
    protocol would write for them, made without a frame object, a buffer and a list each.
    """
    size = len(data)
    opcode = 0x1 if text else 0x2
    if size <= MAX_FRAME_BYTES:
        return _frame_head(0x80 | opcode, size) + data
    parts: list[bytes] = []
    for start in range(0, size, MAX_FRAME_BYTES):
        chunk = data[start : start + MAX_FRAME_BYTES]
        fin = 0x80 if start + MAX_FRAME_BYTES >= size else 0
        parts += (_frame_head(fin | opcode, len(chunk)), chunk)
        opcode = 0x0  # continuation
    return b"".join(parts)


def _frame_head(first: int, size: int) -> bytes:
    """A frame's header: FIN and opcode, then the payload's length (7 or 7+16 bits: a frame
    here is at most 32 KB)."""
    if size < 126:
        return bytes((first, size))
    return bytes((first, 126, size >> 8, size & 0xFF))


READ_BYTES = 64 * 1024
"""What one read from the socket takes at most (the size of a `Connection`'s `read_buffer`)."""


class Connection(asyncio.BufferedProtocol):
    """An open connection and what the management API needs of it: the asyncio protocol of
    its transport from the end of the handshake on."""

    def __init__(
        self,
        client: Peer,
        protocol: ServerProtocol,
        transport: asyncio.Transport,
        read_buffer: memoryview,
        serial: bool = False,
    ) -> None:
        """`read_buffer`: where the socket's reads go, shared by the event loop's connections
        (`buffer_updated` copies each read out before the next can come)."""
        self.client = client
        self.serial = serial
        """Hand messages to their handlers one at a time, in arrival order (debugging)."""
        self.protocol = protocol
        self.transport = transport
        self._view = read_buffer
        self._early = bytearray()  # received before `run` (none from a well-behaved client)
        self._eof = False  # the socket's end came (its EOF, a reset, or the transport closed)
        self._ended: asyncio.Future[None] | None = None  # `run` waits on it: reading is over
        self._paused = False  # reading paused: see `_pace`
        self._draining = False  # over `SEND_BUFFER_BYTES` waits for the client
        # Writing paused by the transport (`pause_writing`); a buffer that is not empty when
        # the handshake hands it over counts as such, as it may be over the mark.
        self._write_paused = transport.get_write_buffer_size() > 0
        self.last_active_ms = client.connected_at
        self.dropped = 0
        """Messages received but never handled because the server ended the connection."""
        self._last_active = time.monotonic()
        self._queue: deque[Message] = deque()
        self._unhandled = 0  # messages queued or running
        self._queued_bytes = 0  # their bytes
        self._handling: dict[Message, Handling | None] = {}
        """The messages being handled (not with `serial`)."""
        self._starting: list[Message] = []  # complete in this read: started once it is processed
        self._idle: asyncio.Future[None] | None = None  # `run` waits on it for `_handling`
        self._queued = asyncio.Event()  # something queued, or reading is over
        self._reading = True
        self._discard = False
        self._accepting = True
        self._worker: asyncio.Task[None] | None = None  # with `serial`
        self._handle: Handle | None = None
        self._abort_timer: asyncio.TimerHandle | None = None
        self._fragments = bytearray()  # zero-length continuation frames add nothing
        self._fragment_text = False
        self._server_close: tuple[int, str] | None = None

    @property
    def id(self) -> str:
        return self.client.connection_id

    @property
    def state(self) -> ConnectionState:
        """Open until either side starts the closing handshake; closed once it is done.

        The transitions are websockets' protocol's: `close()` here, a client's close frame,
        a protocol failure or a dropped socket. An emulator connection exists only once
        the handshake succeeded, so it is never `CONNECTING`.
        """
        return _STATES[self.protocol.state]

    @property
    def is_open(self) -> bool:
        return self.protocol.state in _TAKES_POSTS

    @property
    def unhandled(self) -> int:
        """Messages received and not handled yet: queued, or their handler running (the
        connection stops reading at `MAX_QUEUED_MESSAGES`)."""
        return self._unhandled

    # Outgoing

    def send(self, data: bytes, text: bool) -> None:
        """Queue one message for the client, in frames of at most 32 KB, in one write.

        Raises:
            GoneError: the connection is closing or closed.
            BufferFullError: the client has over `SEND_BUFFER_BYTES` unread; nothing queued.
        """
        if not self.is_open:
            raise GoneError(self.id)
        if self._write_paused and self.transport.get_write_buffer_size() > SEND_BUFFER_BYTES:
            raise BufferFullError(self.id)
        if self.protocol.debug:
            self._log_frames(data, text)
        self.transport.write(message_frames(data, text))

    def _log_frames(self, data: bytes, text: bool) -> None:
        """Log the frames `send` writes as websockets' protocol logs those it writes."""
        opcode = Opcode.TEXT if text else Opcode.BINARY
        for start in range(0, max(len(data), 1), MAX_FRAME_BYTES):
            fin = start + MAX_FRAME_BYTES >= len(data)
            frame = Frame(opcode, data[start : start + MAX_FRAME_BYTES], fin)
            self.protocol.logger.debug("> %s", frame)
            opcode = Opcode.CONT

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake from the server side (idle, max duration, DELETE, stop).

        Messages still queued are dropped: the server ended the connection.
        """
        self._stop_dispatching()
        if not self.is_open:
            return
        self._server_close = (code, reason)
        self.protocol.send_close(code, reason)
        self._flush()
        self._abort_later()

    def abandon_handler(self) -> None:
        """Stop waiting for the running handlers (at shutdown, when they take too long).

        Their threads run on; their results are ignored, and `run` goes on to `$disconnect`.
        """
        self._stop_dispatching()
        handling, self._handling = self._handling, {}
        for message, started in handling.items():
            if started is not None:
                started.abandon()
            self._handled(message)
        self._no_more_handling()
        if self._worker is not None:
            self._worker.cancel()

    def _abort_later(self) -> None:
        if self._abort_timer is None:
            loop = asyncio.get_running_loop()
            self._abort_timer = loop.call_later(CLOSE_TIMEOUT_S, self._abort)

    def _abort(self) -> None:
        if not self.transport.is_closing():
            self.transport.abort()

    def _flush(self) -> None:
        transport = self.transport
        for data in self.protocol.data_to_send():
            if transport.is_closing():
                return
            if data:
                transport.write(data)
            elif transport.can_write_eof():
                # The client may have reset the connection meanwhile (a closed browser tab):
                # shutdown() then fails with ENOTCONN, and there is nothing left to end.
                with contextlib.suppress(OSError):
                    transport.write_eof()

    # Incoming

    async def run(
        self,
        handle: Handle,
        idle_timeout: float,
        max_duration: float,
        received: bytes = b"",
        eof: bool = False,
    ) -> None:
        """Serve the connection until it is closed and its running handlers have returned.

        `received` is what came after the handshake's request before this connection was
        its transport's protocol, and `eof` whether the client's end came meanwhile. Each
        message is handed to `handle` as it arrives (one at a time with `serial`); see
        `disconnect_status` for the `$disconnect` code and reason.
        """
        self._handle = handle
        self._ended = asyncio.get_running_loop().create_future()
        if self.serial:
            self._worker = asyncio.create_task(self._dispatch(handle))
        watchdog = asyncio.create_task(self._watch(idle_timeout, max_duration))
        try:
            early, self._early = bytes(received) + bytes(self._early), bytearray()
            if early:
                self._receive(early)
            if eof or self.transport.is_closing():
                self._eof = True
            if self._eof:
                self._end_of_stream()
            else:
                self._pace()
            await self._ended
        finally:
            watchdog.cancel()
            self._reading = False
            self._queued.set()
            # These return, never raise, even if cancelled (`abandon_handler`).
            if self._worker is not None:
                await asyncio.wait({self._worker})
            if self._handling:
                self._idle = asyncio.get_running_loop().create_future()
                await asyncio.wait({self._idle})
            if self._abort_timer is not None:
                self._abort_timer.cancel()
            if not self.transport.is_closing():
                self.transport.close()  # flushes the close frame, unlike abort()

    # The transport's callbacks

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        data = bytes(self._view[:nbytes])
        if self._ended is None:  # before `run`: kept for it
            self._early += data
            if len(self._early) > READ_BYTES:
                self._pause(True)
            return
        self._receive(data)
        self._pace()

    def eof_received(self) -> bool:
        self._eof = True
        if self._ended is not None:
            self._end_of_stream()
        return True  # the transport stays open for what is still to be written

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        if self._ended is not None:
            self._end_of_stream()

    def pause_writing(self) -> None:
        # Over the transport's high-water mark (64 KiB): from now on `send` and `_pace` ask
        # for the buffer's size, which is below it while writing is not paused.
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._draining:
            self._draining = False
            self._pace()

    # Incoming

    def _receive(self, data: bytes) -> None:
        """Take bytes from the socket: frames to messages, and what the protocol answers."""
        if self._over():
            return  # the connection is over: nothing more counts
        # Data frames count only while the connection is open: not after the server's
        # close frame, nor after a close or a failure earlier in this same read.
        self._accepting = self.is_open
        self.protocol.receive_data(data)
        for frame in self.protocol.events_received():
            if isinstance(frame, Frame):
                self._on_frame(frame.opcode, bytes(frame.data), frame.fin)
        self._flush()
        if self.protocol.close_sent is not None and not self.protocol.close_rcvd_then_sent:
            self._stop_dispatching()  # the server failed the connection (1007, 1009)
        if self._starting:
            starting, self._starting = self._starting, []
            for message in starting:
                self._start(message)
        if self.protocol.close_expected():
            self._abort_later()
        if self._over():
            self._end()

    def _over(self) -> bool:
        return self.protocol.state is State.CLOSED

    def _end_of_stream(self) -> None:
        """The client's end came, or the socket is gone: no more data will come."""
        if self._ended is None or self._ended.done():
            return
        self.protocol.receive_eof()
        self._flush()
        self._end()

    def _end(self) -> None:
        """Reading is over: what the client sends from now on stays unread."""
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)
        self._pause(True)

    def _pace(self) -> None:
        """Read on, unless the queue is full, or the client reads nothing and over
        `SEND_BUFFER_BYTES` waits for it (say it only pings, and every ping queues a pong):
        unread data then stays in the socket buffers and TCP's window closes until the
        handlers, or the client, catch up."""
        if self._ended is None or self._ended.done():
            return
        if (
            self._write_paused
            and not self._draining
            and self.transport.get_write_buffer_size() > SEND_BUFFER_BYTES
        ):
            self._draining = True  # until `resume_writing`
        self._pause(self._draining or self._full())

    def _pause(self, paused: bool) -> None:
        if paused == self._paused or self.transport.is_closing():
            return
        self._paused = paused
        (self.transport.pause_reading if paused else self.transport.resume_reading)()

    def _on_frame(self, opcode: Opcode, data: bytes, fin: bool) -> None:
        if opcode is Opcode.CLOSE:
            self._accepting = False
            return
        if opcode not in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT) or not self._accepting:
            return  # ping (answered by the protocol), pong; anything after a close
        if opcode is not Opcode.CONT:
            self._fragment_text = opcode is Opcode.TEXT
            if not fin:
                self._fragments = bytearray(data)
                return
            payload = data  # a message in one frame, the usual case: no copy
        else:
            self._fragments += data  # at most 128 KB: the protocol closes with 1009 past it
            if not fin:
                return
            payload = bytes(self._fragments)
            self._fragments = bytearray()
        message_data: bytes | str = payload
        if self._fragment_text:
            try:
                message_data = payload.decode("utf-8")
            except UnicodeDecodeError:
                self.protocol.fail(1007, "invalid UTF-8 in a text message")
                self._accepting = False
                return
        # Only data messages count as activity: pings do not keep a connection alive on AWS
        # (community reports, docs/aws-facts.md#keep-alive).
        self.last_active_ms = now_ms()
        self._last_active = time.monotonic()
        message = Message(message_data, len(payload), self.last_active_ms)
        self._unhandled += 1
        self._queued_bytes += message.size
        if self.serial:
            self._queue.append(message)
            self._queued.set()
        else:
            self._starting.append(message)

    def _full(self) -> bool:
        return self._unhandled >= MAX_QUEUED_MESSAGES or self._queued_bytes >= MAX_QUEUED_BYTES

    def _stop_dispatching(self) -> None:
        """Drop what is queued, and whatever else arrives: the server ended the connection."""
        self._discard = True
        self.dropped += len(self._queue)
        while self._queue:
            self._handled(self._queue.popleft())

    def _handled(self, message: Message) -> None:
        """`message` is off the books: handled, or dropped."""
        self._unhandled -= 1
        self._queued_bytes -= message.size
        if self._paused:
            self._pace()

    def _start(self, message: Message) -> None:
        """Hand `message` to its handler now, beside the connection's other messages, once
        the read it came in is processed: a server close meanwhile drops it, as it drops
        what is queued."""
        if self._discard:
            self.dropped += 1
            self._handled(message)
            return
        assert self._handle is not None, "run() sets it before reading"
        self._handling[message] = None  # `_finished` may come before `handle` returns
        started = self._handle(self, message, functools.partial(self._finished, message))
        if message in self._handling:
            self._handling[message] = started

    def _finished(self, message: Message) -> None:
        if self._handling.pop(message, False) is not False:
            self._handled(message)
            if not self._handling:
                self._no_more_handling()

    def _no_more_handling(self) -> None:
        if self._idle is not None and not self._idle.done():
            self._idle.set_result(None)

    async def _dispatch(self, handle: Handle) -> None:
        """With `serial`: hand the queued messages over one at a time, in arrival order."""
        loop = asyncio.get_running_loop()
        while True:
            while not self._queue:
                if not self._reading:
                    return
                self._queued.clear()
                await self._queued.wait()
            message = self._queue.popleft()
            if self._discard:
                self.dropped += 1
                self._handled(message)
                continue
            over = loop.create_future()
            started = handle(self, message, functools.partial(_over, over))
            try:
                await over
            except asyncio.CancelledError:  # `abandon_handler`
                started.abandon()
                raise
            finally:
                self._handled(message)

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


def _over(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
