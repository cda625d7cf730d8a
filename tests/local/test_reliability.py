"""Bounded load and abuse: every message once and in order, every drop a $disconnect, and
malformed traffic answered with a 4xx or a close while other clients keep being served."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import time

import pytest
import websockets

from tests.support.local import management_client, run, start
from tests.support.rawclient import RawClient

CLIENTS = 500
MESSAGES = 50


@pytest.mark.timeout(180)
def test_500_clients_50_messages_each_all_echoed_exactly_once():
    with start("echoer", workers=32) as emulator:

        async def client(ws, index: int) -> list[str]:
            for n in range(MESSAGES):
                await ws.send(f"{index}:{n}")
            return [await ws.recv() for _ in range(MESSAGES)]

        async def body():
            sockets = await asyncio.gather(
                *(websockets.connect(emulator.url, open_timeout=60) for _ in range(CLIENTS))
            )
            started = time.perf_counter()
            results = await asyncio.gather(*(client(ws, i) for i, ws in enumerate(sockets)))
            elapsed = time.perf_counter() - started
            await asyncio.gather(*(ws.close() for ws in sockets))
            return results, elapsed

        results, elapsed = run(body, timeout=170)
    for index, received in enumerate(results):
        # Each message is its own invocation, as on AWS: echoes need not be in order.
        assert sorted(received) == sorted(f"{index}:{n}" for n in range(MESSAGES))
    total = CLIENTS * MESSAGES
    print(f"\n{total} echoes through send() in {elapsed:.1f} s ({total / elapsed:.0f}/s)")
    assert sys.modules["echoer"].wait_for_disconnects(CLIENTS, 30) == CLIENTS


@pytest.mark.timeout(120)
def test_100_abrupt_drops_give_100_disconnects():
    with start("echoer") as emulator:
        echoer = sys.modules["echoer"]
        echoer.DISCONNECTS.clear()

        async def body():
            clients = await asyncio.gather(*(RawClient.connect(emulator) for _ in range(100)))
            assert {c.status for c in clients} == {101}
            for client in clients:
                client.drop()

        run(body)
        assert echoer.wait_for_disconnects(100, 30) == 100
        assert len(set(echoer.DISCONNECTS)) == 100


GARBAGE = [
    b"\x00\x01\x02 garbage \xff\r\n\r\n",
    b"GET /local HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",  # no key, no version
    b"GET /local HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: bad\r\nSec-WebSocket-Version: 13\r\n\r\n",
    b"POST /local HTTP/1.1\r\nUpgrade: websocket\r\nContent-Length: 3\r\n\r\nabc",
    b"GET /local/../../etc/passwd HTTP/1.1\r\n\r\n",
    b"BREW /local/@connections/x HTTP/1.1\r\n\r\n",
    b"POST /local/@connections/x HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
    b"POST /local/@connections/x HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n",
    b"POST /local/@connections/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n\r\n",
    b"GET /local HTTP/1.1\r\nbroken header line\r\n\r\n",
]


def send_raw(port: int, data: bytes) -> bytes:
    """Send bytes; what came back before the server closed (or b'' after 5 s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close before reading everything
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
        return b"".join(chunks)


@pytest.mark.timeout(120)
def test_malformed_traffic_gets_4xx_or_close_while_others_are_served():
    with start("echoer") as emulator:
        mgmt = management_client(emulator)

        async def body():
            async with websockets.connect(emulator.url) as ws:
                for data in GARBAGE:
                    reply = await asyncio.to_thread(send_raw, emulator.port, data)
                    if reply:
                        status = int(reply.split(b" ", 2)[1])
                        assert 400 <= status < 500, (data[:60], reply[:100])
                    text = data[:200].decode("latin-1")  # meanwhile, a good client is served
                    await ws.send(text)
                    assert await ws.recv() == text
                for frame in ((0x3, b"reserved opcode"), (0x1, b"\xff\xfe invalid utf-8")):
                    abuser = await RawClient.connect(emulator)
                    await abuser.send_frame(*frame)
                    opcode, payload = await abuser.read_frame()
                    assert opcode == 0x8 and int.from_bytes(payload[:2], "big") in (1002, 1007)
                    await abuser.wait_eof()
                with pytest.raises(mgmt.exceptions.GoneException):
                    await asyncio.to_thread(
                        mgmt.post_to_connection, ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x"
                    )
                await ws.send("still served")
                assert await ws.recv() == "still served"

        run(body, timeout=100)


STUCK = 64


@pytest.mark.timeout(120)
def test_64_handlers_stuck_past_their_timeout_hold_up_nobody_and_stop_disconnects_all():
    """More stuck handlers than workers (32): each is answered at its timeout and stops
    counting, so every other client is served, new handshakes complete, and stopping (what
    Ctrl-C does) closes every connection with 1001 and runs each one's $disconnect."""
    ready, result = threading.Event(), {}

    async def clients(url, running_handlers):
        stuck = await asyncio.gather(*(websockets.connect(url) for _ in range(STUCK)))
        for ws in stuck:
            await ws.send('{"action": "stall"}')
        result["frames"] = [json.loads(await ws.recv())["message"] for ws in stuck]
        result["running"] = running_handlers()
        late = await asyncio.gather(*(websockets.connect(url) for _ in range(20)))
        for index, ws in enumerate(stuck + late):
            await ws.send(f"echo {index}")
        result["echoes"] = [await ws.recv() for ws in stuck + late]
        ready.set()
        for ws in stuck + late:
            await asyncio.wait_for(ws.wait_closed(), 30)
        result["codes"] = [ws.close_code for ws in stuck + late]

    stalling = None
    try:
        # 2 s: every $connect and echo must finish inside it even on a loaded machine (a
        # $connect queued behind thread start-ups under load 9 once passed 0.5 s).
        with start("stalling", workers=32, function_timeout=2.0) as emulator:
            stalling = sys.modules["stalling"]
            stalling.reset()
            thread = threading.Thread(
                target=asyncio.run, args=(clients(emulator.url, lambda: emulator.running_handlers),)
            )
            thread.start()
            assert ready.wait(60)
            accepted = list(stalling.CONNECTED)
        # Leaving the block stopped the emulator, as Ctrl-C does, with 64 handlers stuck.
        thread.join(30)
    finally:
        if stalling is not None:
            stalling.RELEASE.set()
    assert result["frames"] == ["Internal server error"] * STUCK  # each at its Lambda timeout
    assert result["running"] == STUCK  # their threads still run: nobody can stop a thread
    assert result["echoes"] == [f"echo {index}" for index in range(STUCK + 20)]
    assert result["codes"] == [1001] * (STUCK + 20)
    assert len(accepted) == STUCK + 20
    assert sorted(stalling.DISCONNECTED) == sorted(accepted)  # each exactly once
