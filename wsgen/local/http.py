"""Just enough HTTP/1.1 to tell a WebSocket upgrade from a management API call and serve it.

The management API and the WebSocket endpoint share one port, as on API Gateway. The
server reads each request head here; an upgrade goes to websockets' Sans-I/O protocol, any
other request to the management API, over a keep-alive connection (botocore reuses them).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from functools import cached_property
from http import HTTPStatus

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

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        return self._first.get(name.lower())

    @cached_property
    def _first(self) -> dict[str, str]:
        """Lowercased name -> first value; built once, as several checks ask per request."""
        first: dict[str, str] = {}
        for key, value in self.headers:
            first.setdefault(key.lower(), value)
        return first

    @property
    def is_upgrade(self) -> bool:
        return _is_upgrade(self.headers)

    @property
    def keep_alive(self) -> bool:
        connection = (self.header("Connection") or "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """The next request head, or None when the peer closed, or sent nothing for
    `IDLE_TIMEOUT_S` (an idle keep-alive connection is closed without a word, RFC 9112 9.6).

    Raises:
        HttpError: a malformed, oversized or too slow request head.
    """
    # asyncio.timeout, not wait_for: wait_for runs the read as a task of its own (a task,
    # its registration and a wake-up per read, on every management call).
    try:
        async with asyncio.timeout(IDLE_TIMEOUT_S):
            first = await reader.readexactly(1)
    except (asyncio.IncompleteReadError, TimeoutError):
        return None
    head = bytearray(first)
    try:
        async with asyncio.timeout(HEAD_TIMEOUT_S):
            await _read_head(reader, head)
    except asyncio.IncompleteReadError as exc:
        if not (head + exc.partial).strip():
            return None
        raise HttpError(400, "incomplete request head") from exc
    except asyncio.LimitOverrunError as exc:
        raise HttpError(431, f"request head over {MAX_HEAD_BYTES} bytes") from exc
    except TimeoutError as exc:
        raise HttpError(408, "request head not received in time") from exc
    return parse_head(bytes(head))


async def _read_head(reader: asyncio.StreamReader, head: bytearray) -> None:
    """Read the rest of a request head into `head`, a line at a time.

    Every line must end with CRLF: a bare LF is answered 400 at once (RFC 9112 2.2 lets a
    server reject it), rather than waiting for a CRLF CRLF that never comes.
    """
    while True:
        head += await reader.readuntil(b"\n")
        if len(head) > MAX_HEAD_BYTES:
            raise HttpError(431, f"request head over {MAX_HEAD_BYTES} bytes")
        if not head.endswith(b"\r\n"):
            raise HttpError(400, "bare LF in the request head: HTTP lines end with CRLF")
        if head == b"\r\n":  # an empty line before the request line (RFC 9112 2.2)
            head.clear()
            head += await reader.readexactly(1)
        elif head.endswith(b"\r\n\r\n"):
            return


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
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or not name.isprintable():
            raise HttpError(400, "malformed header line")
        headers.append((name, value.strip()))
    # RFC 9112 3.2: 400 for an HTTP/1.1 request without Host, or with more than one (a
    # WebSocket upgrade needs one whatever the version, RFC 6455 4.1).
    hosts = sum(1 for name, _ in headers if name.lower() == "host")
    if hosts > 1:
        raise HttpError(400, "more than one Host header")
    if hosts == 0 and (parts[2] != "HTTP/1.0" or _is_upgrade(headers)):
        raise HttpError(400, "no Host header")
    return HttpRequest(parts[0], parts[1], parts[2], headers, head)


def _is_upgrade(headers: list[tuple[str, str]]) -> bool:
    return any(k.lower() == "upgrade" and v.lower() == "websocket" for k, v in headers)


async def read_body(reader: asyncio.StreamReader, request: HttpRequest, limit: int) -> bytes:
    """The request body (Content-Length or chunked), at most `limit` bytes.

    Raises:
        BodyTooLargeError: over `limit`; drained when it was small enough to read and drop.
        HttpError: a malformed length or chunk (400), or a body that takes over
            `BODY_TIMEOUT_S` (408).
    """
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            return await _read_body(reader, request, limit)
    except TimeoutError as exc:
        raise HttpError(408, "request body not received in time") from exc
    except asyncio.LimitOverrunError as exc:
        raise HttpError(400, "chunk line too long") from exc


async def _read_body(reader: asyncio.StreamReader, request: HttpRequest, limit: int) -> bytes:
    # RFC 9112 6.3: both framings, or conflicting lengths, could smuggle a second request.
    lengths = {v.strip() for k, v in request.headers if k.lower() == "content-length"}
    encodings = [v for k, v in request.headers if k.lower() == "transfer-encoding"]
    if encodings and lengths:
        raise HttpError(400, "both Transfer-Encoding and Content-Length")
    if len(lengths) > 1:
        raise HttpError(400, "conflicting Content-Length headers")
    if encodings:
        if [e.strip().lower() for e in encodings] != ["chunked"]:
            raise HttpError(400, "unsupported Transfer-Encoding: only chunked is")
        return await _read_chunked(reader, limit)
    if not lengths:
        return b""
    length_text = lengths.pop()
    # str.isdigit() alone takes "²" and other Unicode digits, which int() refuses.
    if not (length_text.isascii() and length_text.isdigit()):
        raise HttpError(400, "invalid Content-Length")
    length = int(length_text)
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


_REASONS = {status.value: status.phrase for status in HTTPStatus}


EMULATOR_HEADER = "X-Wsgen-Local"
"""On the emulator's own answers (`wsgen invoke`'s): how the CLI tells it from another server."""


def response_bytes(
    status: int, headers: list[tuple[str, str]] | None = None, body: bytes = b""
) -> bytes:
    """A serialized HTTP/1.1 response; Content-Length is always set."""
    reason = _REASONS.get(status, "Unknown")
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers or []]
    if status != 204 and not any(k.lower() == "content-length" for k, _ in headers or []):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
