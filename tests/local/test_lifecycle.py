"""Limits, timeouts, abrupt drops and shutdown: each accepted connection gets one $disconnect."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from types import ModuleType
from typing import Any

import websockets

from tests.support.local import open_sockets_on, recorder_module, run, start
from tests.support.rawclient import RawClient


def disconnect_statuses(rec) -> list[tuple[int, str]]:
    return [
        (e["requestContext"]["disconnectStatusCode"], e["requestContext"]["disconnectReason"])
        for e in rec.of_type("DISCONNECT")
    ]


def test_message_over_128_kb_in_small_frames_closes_with_1009(emulator, rec):
    chunk = "y" * (32 * 1024)

    async def body():
        async with websockets.connect(emulator.url, max_size=None) as ws:
            await ws.send([chunk] * 4)  # 128 KB in four frames: fine
            assert len(await ws.recv()) == 128 * 1024
            await ws.send([chunk] * 4 + ["y"])
            await ws.wait_closed()
            return ws.close_code

    assert run(body) == 1009
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    assert [code for code, _ in disconnect_statuses(rec)] == [1009]


def test_idle_timeout_closes_with_1001():
    with start(idle_timeout=0.3) as emulator:
        rec = recorder_module()
        rec.reset()

        async def body():
            async with websockets.connect(emulator.url) as ws:
                await ws.ping()  # pings do not count as activity
                await ws.wait_closed()
                return ws.close_code

        assert run(body, timeout=10) == 1001
        rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
        assert disconnect_statuses(rec) == [(1001, "Going away")]


def test_max_duration_closes_an_active_connection_with_1001():
    # The idle timeout is far off: only the maximum duration can close a busy connection.
    with start(idle_timeout=3600, max_duration=0.6) as emulator:
        rec = recorder_module()
        rec.reset()

        async def body():
            async with websockets.connect(emulator.url) as ws:
                echoed = 0
                while True:  # busy until closed (run()'s bound fails a close that never comes)
                    try:
                        await ws.send("keep busy")
                        await ws.recv()
                    except websockets.ConnectionClosed:
                        break
                    echoed += 1
                    await asyncio.sleep(0.05)
                await ws.wait_closed()
                return ws.close_code, echoed

        code, echoed = run(body, timeout=30)
        assert code == 1001
        assert echoed > 0  # it served messages first: activity does not keep it open
        rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
        assert disconnect_statuses(rec) == [(1001, "Going away")]


def test_abrupt_drop_runs_disconnect_with_1006(emulator, rec):
    async def body():
        client = await RawClient.connect(emulator)
        assert client.status == 101
        client.drop()

    run(body)
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    assert disconnect_statuses(rec) == [(1006, "Connection closed abnormally")]


def test_messages_received_before_close_are_all_handled_then_disconnect(emulator, rec):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            for n in range(20):
                await ws.send(f'{{"action": "boom", "n": {n}}}')

    run(body)
    events = rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    types = [e["requestContext"]["eventType"] for e in events]
    assert types == ["CONNECT"] + ["MESSAGE"] * 20 + ["DISCONNECT"]


def test_stop_closes_every_connection_with_1001_and_runs_each_disconnect():
    codes = []
    with start() as emulator:
        rec = recorder_module()
        rec.reset()

        async def connect_all():
            sockets = [await websockets.connect(emulator.url) for _ in range(5)]
            for ws in sockets:
                await ws.send("hi")
                await ws.recv()
            return sockets

        loop = asyncio.new_event_loop()
        sockets = loop.run_until_complete(connect_all())
    # The block's end stopped the emulator, as Ctrl-C does.
    for ws in sockets:
        loop.run_until_complete(asyncio.wait_for(ws.wait_closed(), 10))
        codes.append(ws.close_code)
    loop.close()
    assert codes == [1001] * 5
    assert disconnect_statuses(rec) == [(1001, "Going away")] * 5


def test_stop_with_a_stuck_handler_drops_queued_messages_and_runs_each_disconnect_once(
    monkeypatch,
):
    """With --serial-messages, a message queues behind the stuck one, and is dropped."""
    from wsgen.local import server

    monkeypatch.setattr(server, "HANDLER_GRACE_S", 0.5)
    ready, result = threading.Event(), {}

    async def clients(url):
        stuck = await websockets.connect(url)
        idle = await websockets.connect(url)
        await stuck.send('{"action": "stuck"}')
        await stuck.send("queued behind the stuck handler")
        ready.set()
        for ws in (stuck, idle):
            await asyncio.wait_for(ws.wait_closed(), 10)
        result["codes"] = [stuck.close_code, idle.close_code]

    rec = _stopped_with_a_stuck_handler(clients, ready, serial_messages=True, probe=True)
    assert result["codes"] == [1001, 1001]
    disconnects = rec.of_type("DISCONNECT")
    assert len({e["requestContext"]["connectionId"] for e in disconnects}) == len(disconnects) == 2
    assert [e["body"] for e in rec.of_type("MESSAGE")] == ['{"action": "stuck"}']
    # The management API still answered the $disconnect handlers (410: closed).
    assert rec.DISCONNECT_PROBES == ["gone", "gone"]


def test_stop_with_every_worker_stuck_in_a_message_still_runs_its_disconnect(monkeypatch):
    """The abandoned handler stops counting against `workers`: `$disconnect` gets its place."""
    from wsgen.local import server

    monkeypatch.setattr(server, "HANDLER_GRACE_S", 0.5)
    ready, result = threading.Event(), {}

    async def client(url):
        ws = await websockets.connect(url)
        await ws.send('{"action": "stuck"}')
        ready.set()
        await asyncio.wait_for(ws.wait_closed(), 10)
        result["code"] = ws.close_code

    rec = _stopped_with_a_stuck_handler(client, ready, workers=1)
    assert result["code"] == 1001
    assert disconnect_statuses(rec) == [(1001, "Going away")]


def test_upgrade_during_stop_is_refused_with_503(monkeypatch):
    from wsgen.local import server

    monkeypatch.setattr(server, "HANDLER_GRACE_S", 1.0)
    statuses = []
    try:
        with start() as emulator:
            rec = recorder_module()
            rec.reset()

            async def stuck():
                ws = await websockets.connect(emulator.url)
                await ws.send('{"action": "stuck"}')
                return ws

            loop = asyncio.new_event_loop()
            ws = loop.run_until_complete(stuck())
            rec.wait_for(lambda _: rec.of_type("MESSAGE"))
            host, port = "127.0.0.1", emulator.port
            raw = socket.create_connection((host, port), timeout=5)  # connected before the stop

            def upgrade_while_stopping():
                time.sleep(0.3)
                raw.sendall(
                    b"GET /local HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    b"Sec-WebSocket-Version: 13\r\n\r\n"
                )
                statuses.append(raw.recv(4096).split(b" ")[1])

            probe = threading.Thread(target=upgrade_while_stopping)
            probe.start()
        probe.join(5)
        raw.close()
        loop.run_until_complete(ws.close())
        loop.close()
    finally:
        _release_stuck_handlers()
    assert statuses == [b"503"]


def _stopped_with_a_stuck_handler(
    clients: Callable[[str], Coroutine[Any, Any, None]],
    ready: threading.Event,
    *,
    probe: bool = False,
    **options: Any,
) -> ModuleType:
    """Run `clients(url)` on a thread of its own against an emulator started with `options`
    (`probe`: its `$disconnect` handlers call the management API), and stop the emulator, as
    Ctrl-C does, once `ready` is set and a message is in: the recorder.

    The stop must end after its grace with the `stuck` handler still held (it waits 60 s for
    RELEASE, set only afterwards) and every `$disconnect` already run. Neither time limit
    ends the stuck invocation first: only the grace can let the stop go on without it."""
    options.update(integration_timeout=3600, function_timeout=3600)
    try:
        with start(**options) as emulator:
            rec = recorder_module()
            rec.reset()
            rec.PROBE_ON_DISCONNECT = probe
            thread = threading.Thread(target=asyncio.run, args=(clients(emulator.url),))
            thread.start()
            assert ready.wait(10)
            rec.wait_for(lambda _: rec.of_type("MESSAGE"))
        assert rec.STUCK_RETURNED == []  # stopped without waiting for the stuck handler
        assert rec.of_type("DISCONNECT")  # and ran $disconnect while it was held
        thread.join(10)
    finally:
        _release_stuck_handlers()
    return rec


def _release_stuck_handlers() -> None:
    rec = sys.modules.get("recorder")
    if rec is not None:
        rec.RELEASE.set()


def test_running_handlers_counts_a_handler_until_it_returns(emulator, rec):
    """What `wsgen local` reads at exit to know whether a stuck handler's thread is left."""

    async def body():
        async with websockets.connect(emulator.url) as ws:
            await ws.send('{"action": "stuck"}')
            await asyncio.get_running_loop().run_in_executor(
                None, rec.wait_for, lambda events: rec.of_type("MESSAGE")
            )
            during = emulator.running_handlers
            rec.RELEASE.set()
            # A connection's messages run concurrently, so wait for the count itself.
            for _ in range(500):
                if not emulator.running_handlers:
                    break
                await asyncio.sleep(0.01)
            return during, emulator.running_handlers

    assert run(body) == (1, 0)


def test_a_stopped_emulator_leaves_no_socket_open_on_its_port():
    """Neither its side of a WebSocket or management connection nor the handlers' pooled
    keep-alive connections to it (runtime.aws's, for send()), which would stay open, their
    server gone, until the process ends (a ResourceWarning then)."""
    with start() as emulator:
        port = emulator.port

        async def body() -> None:
            async with websockets.connect(emulator.url) as ws:
                for n in range(3):
                    await ws.send(f"m{n}")  # $default sends it back through send()
                    assert await ws.recv() == f"m{n}"

        run(body)
        assert open_sockets_on(port)  # the listener at least: the check sees this port
    assert open_sockets_on(port) == []
