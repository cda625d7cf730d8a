"""Just enough HTTP/1.1 to tell a WebSocket upgrade from a management API call and serve it.

The management API and the WebSocket endpoint share one port, as on API Gateway. Every
connection starts with `KeepAliveProtocol`, which serves plain management calls straight
from the socket's bytes over a keep-alive connection (botocore and the runtime reuse them);
anything else is handed to asyncio streams, where `read_request` and `read_body` read it:
an upgrade then goes to websockets' Sans-I/O protocol.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal

MAX_HEAD_BYTES = 16 * 1024
HEAD_TIMEOUT_S = 10.0
"""How long a request head may take once its first byte arrived (then 408)."""
IDLE_TIMEOUT_S = 60.0
"""How long a keep-alive connection may wait for its next request (then closed silently)."""
BODY_TIMEOUT_S = 10.0
"""How long a request body may take (then 408)."""
MAX_CHUNK_LINE_BYTES = 1024
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
DISCARD_LIMIT = 16 * 1024 * 1024
"""An oversized body up to this size is read and dropped so the connection can be reused."""
HEAD_TOO_SLOW = "request head not received in time"
BODY_TOO_SLOW = "request body not received in time"
BARE_LF = "bare LF in the request head: HTTP lines end with CRLF"


class HttpError(Exception):
    """A request that cannot be served; answered with `status` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return f"{self.status} {self.message}"


class BodyTooLargeError(Exception):
    """The body was over the limit; `drained` tells whether it was read to its end."""

    def __init__(self, size: int, drained: bool) -> None:
        super().__init__(size, drained)
        self.size = size
        self.drained = drained


@dataclass
class HttpRequest:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    head: bytes
    """The raw request head, handed on unchanged to the WebSocket handshake."""
    first: dict[str, str]
    """Lowercase name -> its first value."""
    repeated: set[str]
    """The lowercase names that come more than once."""

    @functools.cached_property
    def lowered(self) -> list[tuple[str, str]]:
        """`headers` with lowercase names (the checks that read every header of a request)."""
        return [(name.lower(), value) for name, value in self.headers]

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        return self.first.get(name.lower())

    @property
    def is_upgrade(self) -> bool:
        return "upgrade" in self.first and _is_upgrade(self.lowered)

    @property
    def keep_alive(self) -> bool:
        connection = self.first.get("connection")
        if self.version == "HTTP/1.0":
            return connection is not None and "keep-alive" in connection.lower()
        return connection is None or "close" not in connection.lower()


Wait = Literal["idle", "head", "body"]
"""What a connection waits for: its next request's first byte, the rest of its head, its body."""


def wait_limit(wait: Wait) -> tuple[float, HttpError | None]:
    """How long `wait` may take, and the answer past it (None: the connection is closed
    without a word, as an idle keep-alive connection is, RFC 9112 9.6).

    The stream readers (`read_request`, `read_body`) and `KeepAliveProtocol` both ask here.
    """
    if wait == "idle":
        return IDLE_TIMEOUT_S, None
    if wait == "head":
        return HEAD_TIMEOUT_S, HttpError(408, HEAD_TOO_SLOW)
    return BODY_TIMEOUT_S, HttpError(408, BODY_TOO_SLOW)


def find_head(data: bytes | bytearray) -> tuple[int, int] | None:
    """Where the request head at the start of `data` is, `(start, end)`: past the empty lines
    a client may send before it (RFC 9112 2.2), through its blank line. None while incomplete.

    Every line must end with CRLF: a bare LF is answered 400 at once (RFC 9112 2.2 lets a
    server reject it), rather than waiting for a CRLF CRLF that never comes.

    Raises:
        HttpError: a bare LF (400); a head, with the empty lines before it, over
            `MAX_HEAD_BYTES` (431).
    """
    start = 0
    while data.startswith(b"\r\n", start):
        start += 2
    end = data.find(b"\r\n\r\n", start)
    stop = len(data) if end < 0 else end + 4
    if data.count(b"\n", start, stop) != data.count(b"\r\n", start, stop):
        raise HttpError(400, BARE_LF)
    if stop > MAX_HEAD_BYTES:
        raise HttpError(431, f"request head over {MAX_HEAD_BYTES} bytes")
    return None if end < 0 else (start, stop)


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """The next request head, or None when the peer closed, or sent nothing for
    `IDLE_TIMEOUT_S` (an idle keep-alive connection is closed without a word, RFC 9112 9.6).

    Raises:
        HttpError: a malformed, oversized or too slow request head.
    """
    # asyncio.timeout, not wait_for: wait_for runs the read as a task of its own (a task,
    # its registration and a wake-up per read, on every management call).
    try:
        async with asyncio.timeout(wait_limit("idle")[0]):
            first = await reader.readexactly(1)
    except (asyncio.IncompleteReadError, TimeoutError):
        return None
    head = bytearray(first)
    seconds, too_slow = wait_limit("head")
    try:
        async with asyncio.timeout(seconds):
            start, end = await _read_head(reader, head)
    except asyncio.IncompleteReadError as exc:
        if not (head + exc.partial).strip():
            return None
        raise HttpError(400, "incomplete request head") from exc
    except asyncio.LimitOverrunError as exc:
        raise HttpError(431, f"request head over {MAX_HEAD_BYTES} bytes") from exc
    except TimeoutError as exc:
        assert too_slow is not None
        raise too_slow from exc
    return parse_head(bytes(head[start:end]))


async def _read_head(reader: asyncio.StreamReader, head: bytearray) -> tuple[int, int]:
    """Read the rest of a request head into `head`, a line at a time; where it is in `head`
    (`find_head`, which also refuses a bare LF as soon as its line arrives)."""
    while True:
        found = find_head(head)
        if found is not None:
            return found
        head += await reader.readuntil(b"\n")


def parse_head(head: bytes) -> HttpRequest:
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError as exc:  # pragma: no cover - latin-1 decodes anything
        raise HttpError(400, "undecodable request head") from exc
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[2].startswith("HTTP/1."):
        raise HttpError(400, "malformed request line")
    headers: list[tuple[str, str]] = []
    first: dict[str, str] = {}
    repeated: set[str] = set()
    for line in lines[1:]:  # every management call: kept to one pass and few calls
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or not name.isprintable() or name != name.strip():
            raise HttpError(400, "malformed header line")
        value = value.strip()
        headers.append((name, value))
        lname = name.lower()
        if lname in first:
            repeated.add(lname)
        else:
            first[lname] = value
    request = HttpRequest(parts[0], parts[1], parts[2], headers, head, first, repeated)
    # RFC 9112 3.2: 400 for an HTTP/1.1 request without Host, or with more than one (a
    # WebSocket upgrade needs one whatever the version, RFC 6455 4.1).
    if "host" in repeated:
        raise HttpError(400, "more than one Host header")
    if "host" not in first and (parts[2] != "HTTP/1.0" or request.is_upgrade):
        raise HttpError(400, "no Host header")
    return request


def _is_upgrade(lowered: list[tuple[str, str]]) -> bool:
    return any(k == "upgrade" and v.lower() == "websocket" for k, v in lowered)


async def read_body(reader: asyncio.StreamReader, request: HttpRequest, limit: int) -> bytes:
    """The request body (Content-Length or chunked), at most `limit` bytes.

    Raises:
        BodyTooLargeError: over `limit`; drained when it was small enough to read and drop.
        HttpError: a malformed length or chunk (400), or a body that takes over
            `BODY_TIMEOUT_S` (408).
    """
    seconds, too_slow = wait_limit("body")
    try:
        async with asyncio.timeout(seconds):
            return await _read_body(reader, request, limit)
    except TimeoutError as exc:
        assert too_slow is not None
        raise too_slow from exc
    except asyncio.LimitOverrunError as exc:
        raise HttpError(400, "chunk line too long") from exc


def body_length(request: HttpRequest) -> int | None:
    """The body's `Content-Length` (0 without one), or None for a chunked body.

    Raises:
        HttpError: both framings, conflicting or invalid lengths, another coding (400).
    """
    # RFC 9112 6.3: both framings, or conflicting lengths, could smuggle a second request.
    first = request.first
    if "transfer-encoding" not in first and "content-length" not in request.repeated:
        length_text = first.get("content-length")  # the everyday case: one length or none
        if length_text is None:
            return 0
    else:
        lengths = {v for k, v in request.lowered if k == "content-length"}
        encodings = [v for k, v in request.lowered if k == "transfer-encoding"]
        if encodings and lengths:
            raise HttpError(400, "both Transfer-Encoding and Content-Length")
        if len(lengths) > 1:
            raise HttpError(400, "conflicting Content-Length headers")
        if encodings:
            if [e.lower() for e in encodings] != ["chunked"]:
                raise HttpError(400, "unsupported Transfer-Encoding: only chunked is")
            return None
        length_text = lengths.pop()
    # str.isdigit() alone takes "²" and other Unicode digits, which int() refuses.
    if not (length_text.isascii() and length_text.isdigit()):
        raise HttpError(400, "invalid Content-Length")
    return int(length_text)


async def _read_body(reader: asyncio.StreamReader, request: HttpRequest, limit: int) -> bytes:
    length = body_length(request)
    if length is None:
        return await _read_chunked(reader, limit)
    if not length:
        return b""
    if length > limit:
        if length > DISCARD_LIMIT:
            raise BodyTooLargeError(length, drained=False)
        await reader.readexactly(length)
        raise BodyTooLargeError(length, drained=True)
    return await reader.readexactly(length)


async def _read_chunked(reader: asyncio.StreamReader, limit: int) -> bytes:
    body = bytearray()
    total = 0
    while True:
        token = (await _line(reader)).split(b";", 1)[0].strip()
        if not _HEX.fullmatch(token):  # int(..., 16) would take "-5", "0x5" and "1_0"
            raise HttpError(400, "malformed chunk size")
        size = int(token, 16)
        if size == 0:
            while (await _line(reader)) != b"\r\n":  # trailers
                pass
            break
        total += size
        if total > DISCARD_LIMIT:
            raise BodyTooLargeError(total, drained=False)
        chunk = await reader.readexactly(size + 2)
        if chunk[-2:] != b"\r\n":
            raise HttpError(400, "chunk longer than its size")
        if total <= limit:
            body += chunk[:-2]
    if total > limit:
        raise BodyTooLargeError(total, drained=True)
    return bytes(body)


async def _line(reader: asyncio.StreamReader) -> bytes:
    """One CRLF-terminated line of a chunked body, at most `MAX_CHUNK_LINE_BYTES`."""
    line = await reader.readuntil(b"\r\n")
    if len(line) > MAX_CHUNK_LINE_BYTES:
        raise HttpError(400, "chunk line too long")
    return line


_STATUS_LINES = {
    status.value: f"HTTP/1.1 {status.value} {status.phrase}\r\n" for status in HTTPStatus
}


EMULATOR_HEADER = "X-Wsgen-Local"
"""On the emulator's own answers (`wsgen invoke`'s): how the CLI tells it from another server."""


async def answers_as_emulator(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether `host:port` answers as wsgen local does (`EMULATOR_HEADER` on a plain GET of
    `wsgen invoke`'s path): what holds a port the emulator could not listen on."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError):
        return False
    try:
        name = f"[{host}]" if ":" in host else host
        head = f"GET /_wsgen/invoke/ HTTP/1.1\r\nHost: {name}:{port}\r\nConnection: close\r\n\r\n"
        writer.write(head.encode())
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return False
    finally:
        writer.close()
    return f"\r\n{EMULATOR_HEADER.lower()}:".encode() in answer.lower()


def response_bytes(
    status: int, headers: list[tuple[str, str]] | None = None, body: bytes = b""
) -> bytes:
    """A serialized HTTP/1.1 response; Content-Length is always set."""
    head = _STATUS_LINES.get(status) or f"HTTP/1.1 {status} Unknown\r\n"
    length = status != 204
    for name, value in headers or ():
        head += f"{name}: {value}\r\n"
        if length and name.lower() == "content-length":
            length = False
    if length:
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode("latin-1") + body


Reply = Callable[[bytes, bool], None]
"""Writes a serialized response; the flag says whether the connection stays open."""
Serve = Callable[[HttpRequest, bytes, Reply], bool]
"""Takes one complete request and calls `Reply` (at once or later); False to decline it."""
Handover = Callable[[asyncio.Transport, bytes, bool], None]
"""Takes over a connection: its transport, the bytes not consumed yet, whether EOF came."""
_MAX_BUFFERED = 256 * 1024
"""Bytes received ahead of the request being answered before reading pauses."""
RECEIVE_BYTES = 16 * 1024
"""The most one read of a connection takes from its socket (the size of `receiving`)."""


class KeepAliveProtocol(asyncio.BufferedProtocol):
    """An HTTP/1.1 connection served from the event loop's callbacks, request after request.

    The everyday request, a well-formed head and a `Content-Length` body of at most `limit`
    bytes, is parsed from the bytes as they arrive and given to `serve`, with no task,
    future or timeout object of its own: the stream readers above (`read_request`,
    `read_body`) cost a management call about twice as much CPU. Everything else (an
    upgrade, a chunked or oversized body, a malformed head, a request `serve` declines)
    goes to `handover` with the bytes not consumed yet, which serves the connection from
    then on with asyncio streams and those readers. The rules both share are decided once:
    where a head ends and which heads are refused outright (`find_head`), how long each
    wait may take and what is answered past it (`wait_limit`: here on one timer per
    connection, moved only when it fires early).

    A buffered protocol: the transport receives into a buffer of the connection's own,
    rather than into a new 256 KiB `bytes` per read (a mapping of fresh memory, its page
    faults and its unmapping, on every management call).
    """

    def __init__(
        self,
        serve: Serve,
        handover: Handover,
        refuse: Callable[[int, str], bytes],
        limit: int,
        live: set[KeepAliveProtocol],
        receiving: memoryview,
    ) -> None:
        """`receiving`: where the socket's reads go, shared by the event loop's connections
        (`buffer_updated` copies each read out before the next can come)."""
        self._serve = serve
        self._handover = handover
        self._refuse = refuse
        """The answer, before closing, to a request too slow to arrive (408)."""
        self._limit = limit
        self._live = live
        """The connections this protocol serves now (`close_all` at shutdown)."""
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._eof = False
        self._busy = False  # a request taken, its answer not written yet
        self._paused = False  # the client reads slower than it is answered
        self._reading = True
        self._processing = False
        self._waiting: Wait | None = None  # what `_deadline` is for
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._receiving = receiving
        self._pending: tuple[HttpRequest, int, int] | None = None
        """The request whose body is still arriving: it, its head's end and its body's length,
        found once rather than at every read."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._live.add(self)
        self._expect("idle")

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._receiving

    def buffer_updated(self, nbytes: int) -> None:
        self._buffer += self._receiving[:nbytes]
        if (self._busy or self._paused) and len(self._buffer) > _MAX_BUFFERED:
            self._read(False)
        self._process()

    def eof_received(self) -> bool:
        self._eof = True
        self._process()
        return True  # the transport stays open until the answer is written

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._stop_timer()
        self._live.discard(self)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._process()

    def close(self) -> None:
        """Close the connection, whatever it was doing (at shutdown)."""
        if self._transport is not None:
            self._transport.close()

    def _process(self) -> None:
        """Serve what the buffer holds, one request at a time, while it can be answered."""
        if self._processing:
            return  # a reply given from within `serve`: the loop below goes on
        self._processing = True
        try:
            while not self._busy and not self._paused and self._transport is not None:
                if self._transport.is_closing():
                    return
                if not self._next():
                    break
            if not self._reading and not self._busy and not self._paused:
                self._read(True)
        finally:
            self._processing = False

    def _next(self) -> bool:
        """Take the next request if it is complete; whether to look for another."""
        buffer = self._buffer
        if not buffer:
            if self._eof:
                self.close()
                return False
            self._expect("idle")
            return False
        if self._pending is not None:
            request, size, length = self._pending
        else:
            try:
                found = find_head(buffer)
            except HttpError as exc:
                self._refuse_and_close(exc)
                return False
            if found is None:
                if self._eof:
                    self._give_up()
                else:
                    self._expect("head")
                return False
            start, size = found
            try:
                request = parse_head(bytes(buffer[start:size]))
                found_length = body_length(request)
            except HttpError:
                found_length = None
            if found_length is None or found_length > self._limit:
                self._give_up()
                return False
            length = found_length
        if len(buffer) < size + length:
            if self._eof:
                self._give_up()
            else:
                self._pending = (request, size, length)  # the buffer only grows until then
                self._expect("body")
            return False
        self._pending = None
        self._busy = True
        self._waiting = None
        if not self._serve(request, bytes(buffer[size : size + length]), self._reply):
            self._busy = False
            self._give_up()
            return False
        del buffer[: size + length]
        return True

    def _reply(self, data: bytes, keep: bool) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.write(data)
        self._busy = False
        if not keep:
            self.close()
            return
        self._process()

    def _give_up(self) -> None:
        """Hand the connection over, from the first byte not consumed."""
        transport, self._transport = self._transport, None
        self._stop_timer()
        self._live.discard(self)
        data = bytes(self._buffer)
        self._buffer.clear()
        if transport is not None:
            if not self._reading:
                transport.resume_reading()
            self._handover(transport, data, self._eof)

    def _read(self, on: bool) -> None:
        if self._transport is not None and on != self._reading:
            self._reading = on
            (self._transport.resume_reading if on else self._transport.pause_reading)()

    def _refuse_and_close(self, error: HttpError) -> None:
        if self._transport is not None:
            self._transport.write(self._refuse(error.status, error.message))
        self.close()

    def _expect(self, waiting: Wait) -> None:
        """Start waiting for `waiting`, at most as long as `wait_limit` says."""
        if self._waiting == waiting:
            return
        self._waiting = waiting
        self._deadline = self._loop.time() + wait_limit(waiting)[0]
        if self._timer is not None and self._timer.when() <= self._deadline:
            return  # it fires early and moves itself
        self._stop_timer()
        self._timer = self._loop.call_at(self._deadline, self._expire)

    def _expire(self) -> None:
        self._timer = None
        if self._waiting is None or self._transport is None:
            return
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._expire)
            return
        too_slow = wait_limit(self._waiting)[1]
        if too_slow is None:
            self.close()
        else:
            self._refuse_and_close(too_slow)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
