"""One connection's flow control: back-pressure both ways, and no data after a close."""

from __future__ import annotations

import base64
import collections
import os
import socket
import struct
import threading
import time
from collections.abc import Callable

from botocore.exceptions import ClientError

from tests.support.local import management_client, recorder_module, start
from tests.support.rawclient import client_frame as frame
from wsgen.local.connection import MAX_QUEUED_MESSAGES


def connect(
    emulator, rcvbuf: int | None = None, sndbuf: int | None = None, then: bytes = b""
) -> socket.socket:
    """A bare blocking client socket after the handshake; `then` is sent with its request."""
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if sndbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    sock.settimeout(5)
    sock.connect(("127.0.0.1", emulator.port))
    key = base64.b64encode(os.urandom(16))
    sock.sendall(
        b"GET /local HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n" + then
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101")
    return sock


def read_frames(sock: socket.socket, quiet_s: float = 1.0) -> list[tuple[int, int, bytes]]:
    """Every complete frame until the socket is quiet or closed: its first byte (FIN and
    opcode), its mask bit and its payload (read as is: a server's frames are not masked)."""
    sock.settimeout(quiet_s)
    data = b""
    try:
        while chunk := sock.recv(1 << 20):
            data += chunk
    except (TimeoutError, ConnectionError):
        pass
    frames, at = [], 0
    while at + 2 <= len(data):
        first, second = data[at], data[at + 1]
        length, at = second & 0x7F, at + 2
        if length == 126:
            (length,) = struct.unpack("!H", data[at : at + 2])
            at += 2
        elif length == 127:
            (length,) = struct.unpack("!Q", data[at : at + 8])
            at += 8
        if at + length > len(data):
            break
        frames.append((first, second & 0x80, data[at : at + length]))
        at += length
    return frames


def read_messages(sock: socket.socket, quiet_s: float = 1.0) -> list[bytes]:
    """Every complete message until the socket is quiet or closed."""
    messages, current = [], b""
    for first, _, payload in read_frames(sock, quiet_s):
        current += payload
        if first & 0x80:
            messages.append(current)
            current = b""
    return messages


def test_posts_reach_the_client_in_unmasked_frames_of_at_most_32_kb(emulator, rec, mgmt):
    sock = connect(emulator)
    connection_id = rec.wait_for(lambda e: e)[0]["requestContext"]["connectionId"]
    text, binary = "é" * (64 * 1024), b"\xff" * (80 * 1024)  # 128 KB, and 2.5 frames
    for data in (b"hi", b"\x80", b"x" * 200, text.encode(), binary):
        mgmt.post_to_connection(ConnectionId=connection_id, Data=data)
    frames = read_frames(sock)
    sock.close()
    full = 32 * 1024
    assert (
        frames
        == [
            (0x81, 0, b"hi"),  # FIN and text: valid UTF-8
            (0x82, 0, b"\x80"),  # FIN and binary
            (0x81, 0, b"x" * 200),  # a 16-bit length
            *[(0x01, 0, text.encode()[:full])],  # text, not final
            *[(0x00, 0, text.encode()[n * full : (n + 1) * full]) for n in (1, 2)],
            (0x80, 0, text.encode()[3 * full :]),  # the final continuation
            (0x02, 0, binary[:full]),
            (0x00, 0, binary[full : 2 * full]),
            (0x80, 0, binary[2 * full :]),  # a last frame of half the size
        ]
    )


def test_post_to_a_client_that_does_not_read_is_429_and_never_duplicated(emulator, rec):
    sock = connect(emulator, rcvbuf=4096)
    connection_id = rec.wait_for(lambda e: e)[0]["requestContext"]["connectionId"]
    mgmt = management_client(emulator)
    posted, error = 0, None
    # A POST that waited for the client to read would never be answered (it never reads):
    # botocore's read timeout would raise instead of the 429.
    for n in range(60):
        try:
            mgmt.post_to_connection(ConnectionId=connection_id, Data=f"{n:05d}".encode() * 20000)
        except ClientError as exc:
            error = exc
            break
        posted += 1
    assert error is not None and error.response["Error"]["Code"] == "LimitExceededException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    numbers = [message[:5] for message in read_messages(sock)]
    sock.close()
    assert len(numbers) == posted
    assert collections.Counter(numbers).most_common(1)[0][1] == 1


def test_full_queue_stops_reading_so_tcp_pushes_back(emulator, rec):
    sock = connect(emulator, sndbuf=64 * 1024)
    # Every handler waits (messages run concurrently, so one stuck message would not do).
    message = frame(1, b'{"action": "stuck", "pad": "' + b"x" * 970 + b'"}')
    stream = memoryview(message * 4096)  # sent round and round: whole frames at every wrap
    try:
        sock.sendall(frame(1, b'{"action": "stuck"}'))
        rec.wait_for(lambda _: rec.of_type("MESSAGE"))
        connection = next(iter(emulator.connections.values()))
        sock.setblocking(False)
        # Send until TCP takes nothing more, 20 tries in a row, while the emulator's queue is
        # full. However large the kernel's buffers (Linux grows them while the reader keeps
        # up) and however slow this machine, that ends only if the emulator stops reading;
        # an emulator reading on would take more messages than the queue holds.
        limit = MAX_QUEUED_MESSAGES + 66  # one 64 KiB read past it, and the part frame before
        sent, refused = 0, 0
        while refused < 20 and connection.unhandled <= limit and sent < 200 * len(stream):
            try:
                at = sent % len(stream)
                sent += sock.send(stream[at : at + 65536])
                refused = 0
            except BlockingIOError:
                refused = refused + 1 if connection.unhandled >= MAX_QUEUED_MESSAGES else 0
                time.sleep(0.01)
        assert refused == 20  # TCP pushed back: the emulator stopped reading
        assert MAX_QUEUED_MESSAGES <= connection.unhandled <= limit  # queued or running
        assert connection.unhandled * len(message) < sent  # the rest waits in TCP's buffers
    finally:
        rec.RELEASE.set()
        sock.close()
    # Every message TCP took is handled first (a few thousand): a bound for a busy machine.
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"), timeout=60)


def test_serial_messages_delete_drops_queued_messages_and_disconnects_promptly():
    with start(serial_messages=True) as emulator:
        rec = recorder_module()
        rec.reset()
        mgmt = management_client(emulator)
        sock = connect(emulator)
        try:
            sock.sendall(frame(1, b'{"action": "stuck"}'))
            rec.wait_for(lambda _: rec.of_type("MESSAGE"))
            connection = next(iter(emulator.connections.values()))
            sock.sendall(frame(1, b"queued") * 500)  # one at a time: behind the stuck one
            connection_id = rec.of_type("MESSAGE")[0]["requestContext"]["connectionId"]
            _until(lambda: connection.unhandled == 501)  # all read, and queued
            mgmt.delete_connection(ConnectionId=connection_id)
            assert connection.dropped == 500
            assert _exactly(sock, 1) == b"\x88"  # the server's close frame came
            sock.sendall(frame(1, b"after the server's close frame"))
        finally:
            rec.RELEASE.set()
        rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
        sock.close()
    assert [e["body"] for e in rec.of_type("MESSAGE")] == ['{"action": "stuck"}']


def _until(condition: Callable[[], bool], bound_s: float = 20) -> None:
    """Wait until `condition()` holds; `bound_s` only keeps a broken emulator from hanging."""
    deadline = time.monotonic() + bound_s
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def test_a_connections_messages_run_concurrently_a_stuck_one_holds_up_none(emulator, rec):
    sock = connect(emulator)
    try:
        sock.sendall(frame(1, b'{"action": "stuck"}') + frame(1, b'{"action": "echo"}'))
        # The echo's reply comes while the first message's handler still runs, as on AWS,
        # where each message is its own invocation (docs/aws-facts.md#routing).
        assert read_messages(sock, 1) == [b'{"action": "echo"}']
        assert emulator.running_handlers == 1
    finally:
        rec.RELEASE.set()
        sock.close()
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))


def test_data_after_the_servers_close_frame_is_not_dispatched(emulator, rec, mgmt):
    sock = connect(emulator)
    connection_id = rec.wait_for(lambda e: e)[0]["requestContext"]["connectionId"]
    mgmt.delete_connection(ConnectionId=connection_id)
    assert _exactly(sock, 1) == b"\x88"  # the server's close frame came
    sock.sendall(frame(1, b"too late"))  # before answering it
    sock.sendall(frame(8, struct.pack("!H", 1000)))
    sock.close()
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    assert rec.of_type("MESSAGE") == []


def test_data_after_invalid_utf8_in_the_same_read_is_not_dispatched(emulator, rec):
    sock = connect(emulator)
    sock.sendall(frame(1, b"\xff") + frame(1, b"after the invalid one"))
    sock.close()
    events = rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    assert rec.of_type("MESSAGE") == []
    assert events[-1]["requestContext"]["disconnectStatusCode"] == 1007


def test_messages_before_a_clients_close_in_the_same_read_are_handled(emulator, rec):
    sock = connect(emulator)
    sock.sendall(frame(1, b"one") + frame(1, b"two") + frame(8, struct.pack("!H", 1000)))
    sock.close()
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    assert sorted(e["body"] for e in rec.of_type("MESSAGE")) == ["one", "two"]  # concurrent


def test_two_connections_reads_in_turn_are_not_mixed(emulator, rec):
    """Their socket reads share a buffer (one per event loop): each keeps its own bytes."""
    first, second = connect(emulator), connect(emulator)
    ids = [e["requestContext"]["connectionId"] for e in rec.of_type("CONNECT")]  # in turn
    one, two = frame(1, b"a" * 3000), frame(1, b"b" * 3000)
    for at in range(0, len(one), 1000):  # each piece its own read, in turn
        first.sendall(one[at : at + 1000])
        time.sleep(0.05)
        second.sendall(two[at : at + 1000])
        time.sleep(0.05)
    rec.wait_for(lambda _: len(rec.of_type("MESSAGE")) == 2 or None)
    bodies = {e["requestContext"]["connectionId"]: e["body"] for e in rec.of_type("MESSAGE")}
    assert bodies == {ids[0]: "a" * 3000, ids[1]: "b" * 3000}
    first.close()
    second.close()


def _send_until_blocked(sock: socket.socket, stream: bytes, seconds: float = 3) -> int:
    sock.setblocking(False)
    sent, deadline = 0, time.monotonic() + seconds
    while sent < len(stream) and time.monotonic() < deadline:
        try:
            sent += sock.send(stream[sent : sent + 65536])
        except BlockingIOError:
            time.sleep(0.05)
    return sent


def test_a_client_that_pings_and_never_reads_is_read_no_more(emulator, rec):
    from wsgen.local.connection import SEND_BUFFER_BYTES

    sock = connect(emulator, rcvbuf=4096, sndbuf=64 * 1024)
    try:
        stream = frame(9, b"p" * 125) * 200_000  # 26 MB of pings, each answered by a pong
        sent = _send_until_blocked(sock, stream)
        connection = next(iter(emulator.connections.values()))
        waiting = connection.transport.get_write_buffer_size()
        assert waiting <= SEND_BUFFER_BYTES + 2 * 65536  # pongs are bounded like frames
        assert sent < len(stream) / 2  # the emulator stopped reading the pings
    finally:
        sock.close()
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"), timeout=20)


def _pong(sock: socket.socket) -> bytes:
    """The payload of the next frame from the emulator, which must be a pong (opcode 10)."""
    sock.settimeout(60)  # a bound for a busy machine (tracing allocations slows the emulator)
    head = _exactly(sock, 2)
    assert head[0] == 0x8A, head  # FIN and pong, unmasked: a short payload
    return _exactly(sock, head[1])


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "the emulator closed the connection"
        data += chunk
    return data


def test_endless_zero_length_continuation_frames_take_no_memory(emulator, rec):
    import tracemalloc

    sock = connect(emulator)
    empties = frame(0, b"", fin=False) * 50_000 + frame(9, b"read")
    try:
        sock.sendall(frame(1, b'{"action": "ec', fin=False))
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            sock.sendall(empties)
            assert _pong(sock) == b"read"  # the ping's answer: every frame before it was read
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        # Not one entry per frame: 50,000 entries would hold 400 KB at least.
        assert grown < 200 * 1024, grown
        sock.sendall(frame(0, b'ho"}', fin=True))
        assert read_messages(sock, 5) == [b'{"action": "echo"}']  # still one message
    finally:
        sock.close()
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))


def test_reading_resumes_once_the_full_queue_has_room_again(emulator, rec):
    sock = connect(emulator)
    stuck = frame(1, b'{"action": "stuck"}')
    total = MAX_QUEUED_MESSAGES + 200
    sender = threading.Thread(
        target=sock.sendall, args=(stuck * total + frame(1, b'{"action": "echo"}'),)
    )
    try:
        sender.start()
        connection = rec.wait_for(lambda e: e) and next(iter(emulator.connections.values()))
        deadline = time.monotonic() + 20
        while connection.transport.is_reading() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not connection.transport.is_reading()  # full: paused
        assert connection.unhandled >= MAX_QUEUED_MESSAGES
        rec.RELEASE.set()
        # The echo, sent last, is read only if reading resumed once handlers returned.
        assert read_messages(sock, 5) == [b'{"action": "echo"}']
    finally:
        rec.RELEASE.set()
        sender.join(10)
        sock.close()
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    assert len(rec.of_type("MESSAGE")) == total + 1


def test_frames_sent_with_the_upgrade_request_are_handled(emulator, rec):
    sock = connect(emulator, then=frame(1, b'{"action": "echo"}'))
    try:
        assert read_messages(sock, 2) == [b'{"action": "echo"}']
    finally:
        sock.close()
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))


def test_a_client_that_ends_its_side_with_the_upgrade_request_gets_its_message_handled(
    emulator, rec
):
    """Its end came before the connection read anything itself: the message is still
    handled (the client sent it before closing), and `$disconnect` says 1006."""
    sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=5)
    key = base64.b64encode(os.urandom(16))
    sock.sendall(
        b"GET /local HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: "
        + key
        + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
        + frame(1, b'{"action": "echo"}')
    )
    sock.shutdown(socket.SHUT_WR)
    try:
        events = rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    finally:
        sock.close()
    assert [e["body"] for e in rec.of_type("MESSAGE")] == ['{"action": "echo"}']
    assert events[-1]["requestContext"]["disconnectStatusCode"] == 1006


def test_frames_posted_are_logged_as_websockets_logs_them_when_debugging(emulator, rec, mgmt):
    import logging

    from websockets.frames import Frame, Opcode

    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("wsgen.local.websockets")
    collect = Collect()
    logger.addHandler(collect)
    logger.setLevel(logging.DEBUG)  # read when the connection's protocol is made
    try:
        sock = connect(emulator)
        connection_id = rec.wait_for(lambda e: e)[0]["requestContext"]["connectionId"]
        mgmt.post_to_connection(ConnectionId=connection_id, Data=b"x" * (40 * 1024))
        assert len(read_frames(sock)) == 2
        sock.close()
    finally:
        logger.removeHandler(collect)
        logger.setLevel(logging.NOTSET)
    first = Frame(Opcode.TEXT, b"x" * (32 * 1024), fin=False)
    last = Frame(Opcode.CONT, b"x" * (8 * 1024), fin=True)
    assert f"> {first}" in records and f"> {last}" in records
