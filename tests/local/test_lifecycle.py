"""Limits, timeouts, abrupt drops and shutdown: each accepted connection gets one $disconnect."""

from __future__ import annotations

import asyncio

import websockets

from .conftest import recorder_module, run, start
from .rawclient import RawClient


def disconnect_statuses(rec) -> list[tuple[int, str]]:
    return [
        (e["requestContext"]["disconnectStatusCode"], e["requestContext"]["disconnectReason"])
        for e in rec.of_type("DISCONNECT")
    ]


def test_frame_over_32_kb_closes_with_1009(emulator, rec):
    async def body():
        async with websockets.connect(emulator.url, max_size=None) as ws:
            await ws.send("x" * (32 * 1024))  # exactly the limit: fine
            assert len(await ws.recv()) == 32 * 1024
            await ws.send("x" * (32 * 1024 + 1))
            await ws.wait_closed()
            return ws.close_code

    assert run(body) == 1009
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    assert disconnect_statuses(rec)[0][0] == 1009


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
    with start(idle_timeout=5, max_duration=0.6) as emulator:
        rec = recorder_module()
        rec.reset()

        async def body():
            async with websockets.connect(emulator.url) as ws:
                loop = asyncio.get_running_loop()
                started = loop.time()
                while ws.close_code is None and loop.time() - started < 5:
                    try:
                        await ws.send("keep busy")
                        await ws.recv()
                    except websockets.ConnectionClosed:
                        break
                    await asyncio.sleep(0.05)
                await ws.wait_closed()
                return ws.close_code, loop.time() - started

        code, elapsed = run(body, timeout=10)
        assert code == 1001
        assert 0.5 < elapsed < 3
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
