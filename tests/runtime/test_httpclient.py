"""runtime.httpclient on raw sockets: responses in any pieces, framing, timeouts, reuse."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from runtime.httpclient import Pool

pytestmark = pytest.mark.slow  # real sockets

HEAD = b"GET /p HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


ACCEPTED: dict[int, int] = {}
"""Port -> how many connections its raw server accepted."""


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], int]]:
    """Starts a loopback server whose every accepted connection `serve(conn)` handles."""
    listeners: list[socket.socket] = []

    def start(serve: Callable[[socket.socket], None]) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)
        port = int(listener.getsockname()[1])
        ACCEPTED[port] = 0

        def accept() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                ACCEPTED[port] += 1
                threading.Thread(target=_serve, args=(serve, conn), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        return port

    yield start
    for listener in listeners:
        listener.close()


@pytest.fixture
def pool() -> Iterator[Pool]:
    """A pool whose idle connections are closed after the test (a process's pool lives as
    long as the process: a test's would be left open until the interpreter exits)."""
    pool = Pool()
    yield pool
    pool.clear()


def _serve(serve: Callable[[socket.socket], None], conn: socket.socket) -> None:
    with conn, contextlib.suppress(OSError):
        serve(conn)


def _request_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(4096)
        if not piece:
            return b""
        data += piece
    return data


def _pieces(*pieces: bytes, requests: int = 1) -> Callable[[socket.socket], None]:
    """Answer `requests` requests, each with `pieces` written one at a time."""

    def serve(conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(requests):
            if not _request_head(conn):
                return
            for piece in pieces:
                conn.sendall(piece)
                time.sleep(0.01)  # each piece its own segment: the client reads it apart
        conn.recv(1)  # until the client closes

    return serve


def get(pool: Pool, port: int, timeout: float = 5.0):
    return pool.request("http", "127.0.0.1", port, HEAD, b"", "GET", timeout)


def test_a_response_arriving_in_pieces_is_read_whole(raw_server, pool):
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-A: 1\r\nX-A: 2\r\n\r\n0123456789"
    port = raw_server(_pieces(*(answer[i : i + 7] for i in range(0, len(answer), 7)), requests=2))
    first = get(pool, port)
    assert (first.status, first.reason, first.body) == (200, "OK", b"0123456789")
    assert first.headers == {"content-length": "10", "x-a": "1, 2"}
    assert get(pool, port).body == b"0123456789"
    assert ACCEPTED[port] == 1  # the same connection, kept alive


def test_chunked_bare_lf_and_until_close_bodies(raw_server, pool):
    chunked = raw_server(
        _pieces(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
            b"2;x\r\nde\r\n0\r\n\r\n",
        )
    )
    assert get(pool, chunked).body == b"abcde"
    bare_lf = raw_server(_pieces(b"HTTP/1.1 201 Created\nContent-Length: 2\n\nhi"))
    response = get(pool, bare_lf)
    assert (response.status, response.body) == (201, b"hi")
    until_close = raw_server(
        lambda conn: (_request_head(conn), conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nall"))
    )
    assert get(pool, until_close).body == b"all"
    assert get(pool, until_close).body == b"all"
    assert ACCEPTED[until_close] == 2  # its end framed it: a new connection for the next


def test_bytes_past_the_response_keep_the_connection_out_of_the_pool(raw_server, pool):
    stray = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n"
    port = raw_server(_pieces(stray, requests=2))
    assert get(pool, port).body == b"x"
    assert get(pool, port).body == b"x"  # not the stray bytes taken for its answer
    assert ACCEPTED[port] == 2


def test_interim_responses_are_skipped_for_the_final_one(raw_server, pool):
    port = raw_server(
        _pieces(
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n",
            b"Content-Length: 2\r\n\r\nok",
            requests=2,
        )
    )
    first = get(pool, port)
    assert (first.status, first.headers, first.body) == (200, {"content-length": "2"}, b"ok")
    second = get(pool, port)  # on the same connection: not the first one's final answer
    assert (second.status, second.body) == (200, b"ok")
    assert ACCEPTED[port] == 1


@pytest.mark.parametrize(
    "answer, error",
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", "response body ended after 2 of 5"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "the connection ended within the HTTP response head"),
        (b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "malformed HTTP response header line"),
        (b"HTTP/1.1 OK\r\n\r\n", "malformed HTTP status line"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk size"),
    ],
)
def test_malformed_or_cut_responses_are_connection_errors(raw_server, answer, error, pool):
    port = raw_server(lambda conn: (_request_head(conn), conn.sendall(answer)))
    with pytest.raises(ConnectionError, match=error):
        get(pool, port)


HOLD_S = 20.0
"""How long a silent test server waits before it hangs up itself: under DEFAULT_TIMEOUT's 60 s
and a pooled connection's old 30 s, so a client on either sees the server close, not a timeout."""


def _silent(answered: int, hung_up: threading.Event) -> Callable[[socket.socket], None]:
    """Answer `answered` requests with 204, never the next one; set `hung_up` when the client
    closes the connection first (the server's own hang-up at HOLD_S does not set it)."""

    def serve(conn: socket.socket) -> None:
        for _ in range(answered):
            _request_head(conn)
            conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
        _request_head(conn)
        conn.settimeout(HOLD_S)
        if conn.recv(1) == b"":
            hung_up.set()

    return serve


def test_a_server_that_never_answers_times_out(raw_server, pool):
    hung_up = threading.Event()
    port = raw_server(_silent(0, hung_up))
    with pytest.raises(TimeoutError):  # the 0.2 s given, not DEFAULT_TIMEOUT's 60 s
        get(pool, port, timeout=0.2)
    assert hung_up.wait(HOLD_S)  # and the client closed the timed-out connection


def test_a_changed_timeout_applies_to_a_pooled_connection(raw_server, pool):
    hung_up = threading.Event()
    port = raw_server(_silent(1, hung_up))  # the second request is never answered
    assert get(pool, port, timeout=30).status == 204
    with pytest.raises(TimeoutError):  # the new 0.2 s, not the connection's old 30 s
        get(pool, port, timeout=0.2)
    assert ACCEPTED[port] == 1  # on the pooled connection
    assert hung_up.wait(HOLD_S)  # closed once timed out: the pool does not keep it


def test_a_server_that_never_reads_times_out_the_send(raw_server, pool):
    release = threading.Event()
    # Reads nothing, so the buffers fill; hangs up at HOLD_S, which a client on DEFAULT_TIMEOUT
    # would see as a reset, not a timeout.
    port = raw_server(lambda conn: release.wait(HOLD_S))
    body = b"x" * (64 * 1024 * 1024)  # past what loopback's socket buffers hold
    head = b"PUT /p HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body)
    try:
        with pytest.raises(TimeoutError):  # the 0.2 s given, on the send
            pool.request("http", "127.0.0.1", port, head, body, "PUT", 0.2)
    finally:
        release.set()
