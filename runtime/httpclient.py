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
import sys
from _thread import allocate_lock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_IDLE_PER_HOST = 64
"""Idle connections kept per host; `broadcast()` keeps at most this many posts in flight."""

DEFAULT_TIMEOUT = 60.0
"""Seconds for connecting and for each read, as botocore's defaults.

On plain (`http`) sockets it bounds each send and receive call, not a whole request: a peer
that drains a large body slowly, a little within every timeout, can stretch a send past it."""

_MAX_LINE = 65536
_MAX_HEADERS = 200
_MAX_HEAD = 256 * 1024
_RECV_BYTES = 65536
_NO_BODY = (204, 304)

_KERNEL_TIMEOUTS = sys.platform == "linux" and sys.maxsize > 2**32
"""Whether plain sockets time out in the kernel (`SO_RCVTIMEO`, `SO_SNDTIMEO`: a `timeval`
of two 64-bit longs) rather than in Python: a socket with a Python timeout polls before
every send and receive, a system call and a release of the GIL each, on every request."""


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
        self._kernel = scheme == "http" and _KERNEL_TIMEOUTS
        """Whether `timeout` is the kernel's (a plain socket on Linux) or Python's (TLS)."""
        try:
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            if scheme == "https":
                sock = _tls_context().wrap_socket(sock, server_hostname=name)
            elif self._kernel:
                sock.settimeout(None)  # connected: from now on the kernel times out
                _set_kernel_timeout(sock, timeout)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.timeout = timeout
        """The socket's timeout now (setting one is a system call: made only on a change)."""
        self._buffer = bytearray()
        """Bytes received and not consumed yet: the response being read."""
        self.reused = False
        """Whether a request already went over this connection (the server may have closed it)."""

    def set_timeout(self, timeout: float) -> None:
        """Seconds for each send and receive from now on."""
        if timeout == self.timeout:
            return
        if self._kernel:
            _set_kernel_timeout(self.sock, timeout)
        else:
            self.sock.settimeout(timeout)
        self.timeout = timeout

    def exchange(self, head: bytes, body: bytes, method: str) -> tuple[Response, bool]:
        """Send one request and read its response; also whether the connection stays open.

        Raises:
            StaleConnectionError: a reused connection the server had closed before answering.
            TimeoutError: a send or a receive took over `timeout` seconds.
            OSError: the network failed otherwise.
        """
        try:
            self.sock.sendall(head + body)  # one write: at most 128 KiB here
            received = self._receive()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as exc:
            if self.reused:
                raise StaleConnectionError() from exc
            raise
        except BlockingIOError:  # the kernel's timeout (SO_SNDTIMEO) on a send
            raise TimeoutError("timed out") from None
        if not received:
            if self.reused:
                raise StaleConnectionError()
            raise ConnectionResetError("the server closed the connection without answering")
        self.reused = True
        return self._response(method)

    def close(self) -> None:
        self.sock.close()

    def _receive(self) -> bool:
        """Add what the socket has (waiting up to `timeout`) to the buffer; False at its end."""
        try:
            data = self.sock.recv(_RECV_BYTES)
        except BlockingIOError:  # the kernel's timeout (SO_RCVTIMEO)
            raise TimeoutError("timed out") from None
        self._buffer += data
        return bool(data)

    def _response(self, method: str) -> tuple[Response, bool]:
        """The response whose first bytes are in the buffer, read whole; whether to keep.

        Interim responses (1xx but 101: `100 Continue`, `103 Early Hints`) come before the
        final one to the same request and are skipped, or the final one would be read as
        the next request's answer.
        """
        buffer = self._buffer
        version, status, reason, headers = self._head()
        while 100 <= status < 200 and status != 101:
            version, status, reason, headers = self._head()
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
            while self._receive():
                pass
            data = bytes(buffer)
            buffer.clear()
            length_known = False
        connection = headers.get("connection", "").lower()
        keep = (
            length_known
            and not buffer  # bytes past the response: not a server to send another request to
            and ("keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection)
        )
        return Response(status, reason, headers, data), keep

    def _head(self) -> tuple[str, int, str, dict[str, str]]:
        """The next response head in the buffer (received as needed), consumed."""
        buffer = self._buffer
        end = _head_end(buffer)
        while end < 0:
            if len(buffer) > _MAX_HEAD:
                raise ConnectionError(f"HTTP response head over {_MAX_HEAD} bytes")
            if not self._receive():
                raise ConnectionError("the connection ended within the HTTP response head")
            end = _head_end(buffer)
        lines = buffer[:end].decode("latin-1").split("\n")
        del buffer[:end]
        version, status, reason = _status(lines[0])
        return version, status, reason, _headers(lines[1:-2])  # the last two: the blank line's

    def _exactly(self, size: int) -> bytes:
        buffer = self._buffer
        while len(buffer) < size:
            if not self._receive():
                raise ConnectionError(f"response body ended after {len(buffer)} of {size} bytes")
        data = bytes(buffer[:size])
        del buffer[:size]
        return data

    def _line(self) -> bytes:
        """The next line (LF included), or what is left at the connection's end."""
        buffer = self._buffer
        while (end := buffer.find(b"\n")) < 0:
            if len(buffer) > _MAX_LINE or not self._receive():
                end = len(buffer) - 1
                break
        line = bytes(buffer[: end + 1])
        del buffer[: end + 1]
        return line

    def _chunked(self) -> bytes:
        parts = []
        while True:
            line = self._line()
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ConnectionError(f"malformed chunk size {line[:40]!r}") from None
            if size == 0:
                break
            parts.append(self._exactly(size))
            self._exactly(2)
        while self._line() not in (b"\r\n", b"\n", b""):
            pass  # trailers: not used by AWS
        return b"".join(parts)


def _head_end(buffer: bytearray) -> int:
    """The length of the response head in `buffer`, blank line included; -1 if incomplete.

    Lines end with CRLF or, tolerated as HTTP clients do, a bare LF.
    """
    crlf = buffer.find(b"\n\r\n")
    lf = buffer.find(b"\n\n", 0, crlf + 2 if crlf >= 0 else len(buffer))
    if lf >= 0:
        return lf + 2
    return crlf + 3 if crlf >= 0 else -1


def _headers(lines: list[str]) -> dict[str, str]:
    """Header lines as lowercase names -> values (repeated names joined with commas)."""
    if len(lines) > _MAX_HEADERS:
        raise ConnectionError(f"more than {_MAX_HEADERS} HTTP response headers")
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or len(line) > _MAX_LINE:
            if sep:
                raise ConnectionError("malformed HTTP response headers")
            raise ConnectionError(f"malformed HTTP response header line {line[:40]!r}")
        key = name.strip().lower()
        if key in headers:
            headers[key] = f"{headers[key]}, {value.strip()}"
        else:
            headers[key] = value.strip()
    return headers


def _set_kernel_timeout(sock: _socket.socket, timeout: float) -> None:
    seconds = int(timeout)
    micros = int((timeout - seconds) * 1_000_000) or (0 if seconds else 1)  # 0, 0: never
    value = seconds.to_bytes(8, sys.byteorder) + micros.to_bytes(8, sys.byteorder)
    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVTIMEO, value)
    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_SNDTIMEO, value)


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
                connection.set_timeout(timeout)
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

    def clear(self, server: tuple[str, str, int] | None = None) -> None:
        """Close every idle connection (after a fork, or a SnapStart restore, say), or only
        those to `server`, a (scheme, host, port) that went away."""
        with self._lock:
            if server is None:
                idle, self._idle = self._idle, {}
            else:
                idle = {server: self._idle.pop(server, [])}
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


def _status(line: str) -> tuple[str, int, str]:
    version, _, rest = line.rstrip("\r").partition(" ")
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
