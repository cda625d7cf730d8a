"""Fan-out through the emulator's in-process queue, to real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from tests.support.local import run, start

CLIENTS = 2000
"""Connections of the big fan-out: a few thousand, on one event loop."""


@pytest.fixture
def announcer(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("WSGEN_FAN_OUT_THRESHOLD", "100")
    with start("announcer", workers=16) as emulator:
        yield emulator


async def ask(ws: Any, action: str, **fields: Any) -> Any:
    await ws.send(json.dumps({"action": action, **fields}))
    return json.loads(await ws.recv())


def test_a_fan_out_to_thousands_delivers_each_message_once_and_prunes_the_gone(announcer):
    async def body() -> None:
        sockets = []
        for _ in range(0, CLIENTS, 200):  # handshakes in waves, not all at once
            sockets += await asyncio.gather(
                *(websockets.connect(announcer.url, max_queue=None) for _n in range(200))
            )
        try:
            await asyncio.gather(*(ask(ws, "follow") for ws in sockets))
            publisher = sockets[0]
            stale = [f"c3RhbGUtaWQtMDAw{i}=" for i in range(5)]
            assert await ask(publisher, "stale", ids=stale) == {"members": CLIENTS + 5}
            reply = await ask(publisher, "publish", text="breaking")
            assert (reply["sent"], reply["enqueued"]) == (0, CLIENTS - 1 + 5)

            async def first_and_nothing_more(ws: Any) -> str:
                message = await ws.recv()
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(ws.recv(), 0.5)
                return str(message)

            got = await asyncio.gather(*(first_and_nothing_more(ws) for ws in sockets[1:]))
            assert got == ["breaking"] * (CLIENTS - 1)
            status = await ask(publisher, "status", id=reply["id"])
            while status["delivered"] + status["gone"] + status["failed"] < status["enqueued"]:
                await asyncio.sleep(0.05)
                status = await ask(publisher, "status", id=reply["id"])
            assert status == {
                "enqueued": CLIENTS + 4,
                "delivered": CLIENTS - 1,
                "gone": 5,
                "failed": 0,
            }
            # the gone ids are forgotten, record and membership
            assert await ask(publisher, "stale", ids=[]) == {"members": CLIENTS}
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets))

    run(body, timeout=240)
