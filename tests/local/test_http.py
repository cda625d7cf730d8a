"""The management port's HTTP/1.1 reader against malformed, slow and idle clients."""

from __future__ import annotations

import re
import socket
import time

import pytest

from tests.support.local import start
from tests.support.rawclient import SIGNED, exchange
from wsgen.local import http

PATH = b"/local/@connections/AAAAAAAAAAAAAAA%3D"


def post(headers: bytes, body: bytes = b"") -> bytes:
    return b"POST " + PATH + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + SIGNED + headers + b"\r\n" + body


@pytest.mark.parametrize(
    "request_bytes",
    [
        post(b"Content-Length: \xb2\r\n", b"ab"),  # a Unicode digit: str.isdigit() takes it
        post(b"Content-Length: +2\r\n", b"ab"),
        post(b"Transfer-Encoding: chunked\r\n", b"-5\r\nabc\r\n0\r\n\r\n"),
        post(b"Transfer-Encoding: chunked\r\n", b"0x2\r\nab\r\n0\r\n\r\n"),
        post(b"Transfer-Encoding: chunked\r\n", b"1" * 70_000 + b"\r\n"),
        post(b"Transfer-Encoding: chunked\r\n", b"2\r\nabcd\r\n0\r\n\r\n"),
        post(b"Transfer-Encoding: gzip\r\n", b"ab"),
        post(b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", b"2\r\nab\r\n0\r\n\r\n"),
        post(b"Content-Length: 2\r\nContent-Length: 3\r\n", b"abc"),
    ],
    ids=[
        "unicode-digit-length",
        "signed-length",
        "negative-chunk",
        "0x-chunk",
        "long-chunk-line",
        "chunk-over-size",
        "unknown-coding",
        "length-and-chunked",
        "conflicting-lengths",
    ],
)
def test_malformed_body_framing_is_400_and_close(emulator, request_bytes):
    data, closed = exchange(emulator, request_bytes)
    assert data.startswith(b"HTTP/1.1 400 "), data[:80]
    assert closed


def test_idle_keep_alive_connection_is_closed_silently(emulator, monkeypatch):
    monkeypatch.setattr(http, "IDLE_TIMEOUT_S", 0.5)
    data, closed = exchange(
        emulator, b"GET " + PATH + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + SIGNED + b"\r\n"
    )
    assert closed  # by the emulator, within exchange()'s wait: not the 60 s default
    assert data.count(b"HTTP/1.1 ") == 1 and data.startswith(b"HTTP/1.1 410 ")  # no 408


def test_body_that_never_completes_is_408_and_close(emulator, monkeypatch):
    monkeypatch.setattr(http, "BODY_TIMEOUT_S", 0.5)
    data, closed = exchange(emulator, post(b"Content-Length: 10\r\n", b"ab"))
    assert data.startswith(b"HTTP/1.1 408 ") and closed


def test_head_response_has_no_body(emulator):
    data, closed = exchange(
        emulator,
        b"HEAD "
        + PATH
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + SIGNED
        + b"\r\n",
    )
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403 ") and b"x-amzn-ErrorType: ForbiddenException" in head
    assert body == b"" and closed


def test_emulator_serves_on_after_malformed_requests(emulator, mgmt):
    for request_bytes in (post(b"Content-Length: \xb2\r\n"), b"\x16\x03\x01garbage\r\n\r\n"):
        exchange(emulator, request_bytes)
    with pytest.raises(mgmt.exceptions.GoneException):
        mgmt.get_connection(ConnectionId="AAAAAAAAAAAAAAA=")


UPGRADE = (
    b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)


def test_head_over_16_kib_is_431(emulator):
    data, closed = exchange(emulator, post(b"X-Big: " + b"a" * 17_000 + b"\r\n"))
    assert data.startswith(b"HTTP/1.1 431 ") and closed
    data, _ = exchange(emulator, post(b"X-Big: " + b"a" * 15_000 + b"\r\n"))
    assert data.startswith(b"HTTP/1.1 410 ")  # under the limit: served


def test_bare_lf_request_is_400_not_a_wait_for_crlf(emulator, monkeypatch):
    monkeypatch.setattr(http, "HEAD_TIMEOUT_S", 0.5)  # the old reader answered 408 after it
    for request_bytes in (
        b"GET " + PATH + b" HTTP/1.1\nHost: 127.0.0.1\n\n",
        b"GET /local HTTP/1.1\r\nHost: 127.0.0.1\n" + UPGRADE + b"\r\n",
    ):
        data, closed = exchange(emulator, request_bytes)
        assert data.startswith(b"HTTP/1.1 400 ") and b"bare LF" in data and closed


@pytest.mark.parametrize(
    "hosts",
    [b"", b"Host: 127.0.0.1\r\nHost: evil.example\r\n"],
    ids=["no-host", "two-hosts"],
)
def test_upgrade_without_exactly_one_host_is_400(emulator, hosts):
    for version in (b"HTTP/1.1", b"HTTP/1.0"):
        data, closed = exchange(
            emulator, b"GET /local " + version + b"\r\n" + hosts + UPGRADE + b"\r\n"
        )
        assert data.startswith(b"HTTP/1.1 400 ") and b"Host header" in data and closed
    data, _ = exchange(emulator, b"GET " + PATH + b" HTTP/1.1\r\n" + hosts + b"\r\n")
    assert data.startswith(b"HTTP/1.1 400 ")  # management calls too (RFC 9112 3.2)


def test_empty_line_before_the_request_line_is_ignored(emulator):
    data, _ = exchange(
        emulator, b"\r\nGET " + PATH + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + SIGNED + b"\r\n"
    )
    assert data.startswith(b"HTTP/1.1 410 ")


GONE = b"GET " + PATH + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + SIGNED + b"\r\n"
UNSIGNED = b"GET " + PATH + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def statuses(data: bytes) -> list[bytes]:
    """The status codes of the responses in `data`, in order."""
    return re.findall(rb"HTTP/1\.1 (\d{3}) ", data)


def test_pipelined_calls_are_answered_in_order(emulator):
    data, closed = exchange(emulator, GONE + GONE + UNSIGNED)
    assert statuses(data) == [b"410", b"410", b"403"] and closed
    assert data.rindex(b"Missing Authentication Token") > data.rindex(b"GoneException")


def test_pipelined_calls_wait_for_a_delayed_answer():
    with start(management_delay_ms=100) as emulator:
        data, closed = exchange(emulator, GONE + UNSIGNED)
    assert statuses(data) == [b"410", b"403"] and closed


def test_malformed_request_after_calls_on_one_connection_is_400(emulator):
    data, closed = exchange(emulator, GONE + post(b"Content-Length: +2\r\n", b"ab"))
    assert statuses(data) == [b"410", b"400"] and closed


def test_body_arriving_after_its_head_is_awaited(emulator):
    request = post(b"Content-Length: 5\r\nConnection: close\r\n", b"hello")
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as sock:
        sock.sendall(request[:-3])
        time.sleep(0.2)
        sock.sendall(request[-3:])
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert statuses(data) == [b"410"]


def test_bodies_arriving_in_many_pieces_are_each_read_whole(emulator):
    """A 100 KB post in 8 pieces, a short one in 2, then a call: each framed by its head."""
    large = post(b"Content-Length: 100000\r\n", b"x" * 100_000)
    small = post(b"Content-Length: 3\r\n", b"abc")
    pieces = [large[i : i + 12_800] for i in range(0, len(large), 12_800)]
    pieces += [small[:-2], small[-2:], UNSIGNED]
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(0.02)  # each its own read
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert statuses(data) == [b"410", b"410", b"403"]


def test_head_that_never_completes_is_408_and_close(emulator, monkeypatch):
    monkeypatch.setattr(http, "HEAD_TIMEOUT_S", 0.5)
    data, closed = exchange(emulator, GONE[:-2])
    assert data.startswith(b"HTTP/1.1 408 ") and b"request head not received" in data and closed


def test_upgrade_after_a_call_on_one_connection_is_a_websocket(emulator):
    upgrade = b"GET /local HTTP/1.1\r\nHost: 127.0.0.1\r\n" + UPGRADE + b"\r\n"
    data, _ = exchange(emulator, GONE + upgrade, wait_s=1.0)
    assert statuses(data) == [b"410", b"101"]
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in data


@pytest.mark.parametrize(
    ("method", "target", "host", "status"),
    [
        (b"POST", PATH, b"127.0.0.1", b"410"),  # a management call: no such connection
        (b"POST", b"/local/@connections/" + b"a" * 4100, b"127.0.0.1", b"414"),
        (b"POST", PATH, b"evil.example", b"403"),  # a Host not of this machine
        (b"POST", b"/_wsgen/invoke/missing", b"127.0.0.1", b"404"),  # no such function
        (b"GET", b"/local", b"127.0.0.1", b"426"),  # the WebSocket endpoint, no upgrade
    ],
    ids=["call", "too-long", "refused", "invoke", "websocket"],
)
def test_a_request_is_served_alike_from_the_callbacks_and_from_streams(
    emulator, method, target, host, status
):
    # With a Content-Length body, the callbacks (KeepAliveProtocol) see the request first;
    # a chunked one is read with asyncio streams (_client). Both ask Emulator._classify.
    head = method + b" " + target + b" HTTP/1.1\r\nHost: " + host + b"\r\n" + SIGNED
    head += b"Connection: close\r\n"
    for framing in (
        b"Content-Length: 2\r\n\r\n{}",
        b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    ):
        data, closed = exchange(emulator, head + framing)
        assert statuses(data) == [status], (framing, data[:200])
        assert closed
