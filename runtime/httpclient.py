"""A small HTTP/1.1 client on sockets, with keep-alive connections pooled per host.

It exists for cold starts: `http.client` imports `email`, `urllib` and `ssl` (about 35 ms on
a 2-core machine, more on Lambda's CPU share), while this needs `_socket` (the C module) for
`http`, and `ssl` (which imports `socket`) only for `https`. `socket` itself, its enums and
`selectors`, would cost about 10 ms of such a machine's CPU before an `http` request to
`wsgen local`. It speaks what AWS's JSON and REST-JSON APIs answer: a status line, headers, and a
body framed by `Content-Length`, chunked, or the connection's end. Use it through
`runtime.aws.request`, which signs and retries; this module neither signs nor retries
(except a request on a pooled connection the server had already closed, which is resent
once on a new connection: the server never saw it).
"""

from __future__ import annotations

import _socket
from _thread import allocate_lock
from io import BufferedReader, RawIOBase  # loaded at every interpreter's start

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_IDLE_PER_HOST = 64
"""Idle connections kept per host; `broadcast()` keeps at most this many posts in flight."""

DEFAULT_TIMEOUT = 60.0
"""Seconds for connecting and for each read, as botocore's defaults."""

_MAX_LINE = 65536
_MAX_HEADERS = 200
_NO_BODY = (204, 304)


class Response:
    """An HTTP response read whole: status, headers (lowercase names) and body."""

    __slots__ = ("body", "headers", "reason", "status")

    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        return f"Response({self.status} {self.reason}, {len(self.body)} bytes)"


class Connection:
    """One socket to a host, reused for request after request while the server allows."""

    def __init__(self, scheme: str, host: str, port: int, timeout: float) -> None:
        # An ASCII host as bytes: a str would load the idna codec (unicodedata, re, stringprep)
        name = host.encode("ascii") if host.isascii() else host
        sock: _socket.socket
        if scheme == "https":
            import socket  # ssl imports it anyway

            sock = socket.create_connection((name, port), timeout)  # type: ignore[arg-type]
        else:
            sock = _connect(name, port, timeout)
        try:
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            if scheme == "https":
                sock = _tls_context().wrap_socket(sock, server_hostname=name)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.timeout = timeout
        """The socket's timeout now (settimeout is a system call: made only on a change)."""
        self.reader = BufferedReader(_SocketReader(sock))
        self.reused = False
        """Whether a request already went over this connection (the server may have closed it)."""

    def exchange(self, head: bytes, body: bytes, method: str) -> tuple[Response, bool]:
        """Send one request and read its response; also whether the connection stays open.

        Raises:
            StaleConnectionError: a reused connection the server had closed before answering.
            OSError: the network failed otherwise.
        """
        try:
            self.sock.sendall(head + body)  # one write: at most 128 KiB here
            status_line = self.reader.readline(_MAX_LINE + 1)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as exc:
            if self.reused:
                raise StaleConnectionError() from exc
            raise
        if not status_line:
            if self.reused:
                raise StaleConnectionError()
            raise ConnectionResetError("the server closed the connection without answering")
        version, status, reason = _status(status_line)
        headers = self._headers()
        if method == "HEAD" or status in _NO_BODY or status < 200:
            data = b""
            length_known = True
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            data = self._chunked()
            length_known = True
        elif "content-length" in headers:
            data = self._exactly(_length(headers["content-length"]))
            length_known = True
        else:
            data = self.reader.read()
            length_known = False
        connection = headers.get("connection", "").lower()
        keep = length_known and (
            "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
        )
        self.reused = True
        return Response(status, reason, headers, data), keep

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS):
            line = self.reader.readline(_MAX_LINE + 1)
            if line in (b"\r\n", b"\n"):
                return headers
            if not line or len(line) > _MAX_LINE:
                raise ConnectionError("malformed HTTP response headers")
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise ConnectionError(f"malformed HTTP response header line {line[:40]!r}")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        raise ConnectionError(f"more than {_MAX_HEADERS} HTTP response headers")

    def _exactly(self, size: int) -> bytes:
        data = self.reader.read(size)
        if len(data) != size:
            raise ConnectionError(f"response body ended after {len(data)} of {size} bytes")
        return data

    def _chunked(self) -> bytes:
        parts = []
        while True:
            line = self.reader.readline(_MAX_LINE + 1)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ConnectionError(f"malformed chunk size {line[:40]!r}") from None
            if size == 0:
                break
            parts.append(self._exactly(size))
            self._exactly(2)
        while self.reader.readline(_MAX_LINE + 1) not in (b"\r\n", b"\n", b""):
            pass  # trailers: not used by AWS
        return b"".join(parts)


class _SocketReader(RawIOBase):
    """A socket as a raw stream for `BufferedReader`: `makefile("rb")` without `socket`."""

    def __init__(self, sock: _socket.socket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._sock.recv_into(buffer)


def _connect(host: bytes | str, port: int, timeout: float) -> _socket.socket:
    """A TCP connection to the first of `host`'s addresses that answers, as
    `socket.create_connection` makes it (`timeout` for connecting and each read).

    Raises:
        OSError: no address could be resolved or connected (the last address's error).
    """
    last: OSError | None = None
    for family, kind, proto, _, address in _socket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        return sock
    raise last or OSError(f"getaddrinfo returned no address for {host!r}")


class StaleConnectionError(ConnectionError):
    """A pooled connection the server had closed; the request never reached it."""


class Pool:
    """Idle keep-alive connections per (scheme, host, port); safe to use from many threads."""

    def __init__(self, max_idle: int = MAX_IDLE_PER_HOST) -> None:
        self.max_idle = max_idle
        self._idle: dict[tuple[str, str, int], list[Connection]] = {}
        self._lock = allocate_lock()

    def request(
        self,
        scheme: str,
        host: str,
        port: int,
        head: bytes,
        body: bytes,
        method: str,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Response:
        """Send `head` (request line and headers, ending in a blank line) and `body`."""
        key = (scheme, host, port)
        while True:
            connection = self._take(key)
            if connection is None:
                connection = Connection(scheme, host, port, timeout)
            try:
                if connection.timeout != timeout:
                    connection.sock.settimeout(timeout)
                    connection.timeout = timeout
                response, keep = connection.exchange(head, body, method)
            except StaleConnectionError:
                connection.close()
                continue  # the server closed it while idle; a new one, not a retry
            except BaseException:
                connection.close()
                raise
            if keep:
                self._give(key, connection)
            else:
                connection.close()
            return response

    def clear(self) -> None:
        """Close every idle connection (after a fork, or a SnapStart restore, say)."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def _take(self, key: tuple[str, str, int]) -> Connection | None:
        with self._lock:
            connections = self._idle.get(key)
            return connections.pop() if connections else None

    def _give(self, key: tuple[str, str, int], connection: Connection) -> None:
        with self._lock:
            connections = self._idle.setdefault(key, [])
            if len(connections) < self.max_idle:
                connections.append(connection)
                return
        connection.close()


def _status(line: bytes) -> tuple[str, int, str]:
    version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or len(code) != 3 or not code.isdigit():
        raise ConnectionError(f"malformed HTTP status line {line[:40]!r}")
    return version, int(code), reason


def _length(value: str) -> int:
    if not value.isdigit():
        raise ConnectionError(f"malformed Content-Length {value[:40]!r}")
    return int(value)


_tls: Any = None


def _tls_context() -> Any:
    """The process's TLS client context (system CA certificates), made on first use."""
    global _tls
    if _tls is None:
        import ssl

        _tls = ssl.create_default_context()
    return _tls
