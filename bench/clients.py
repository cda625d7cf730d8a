"""The load generator's side: many WebSocket clients in the benchmark's own process."""

from __future__ import annotations

import asyncio
import time

from websockets.asyncio.client import ClientConnection, connect

CONNECT_BATCH = 50
"""Connections opened at once: the server's listen backlog is 100."""


async def open_many(url: str, count: int) -> list[ClientConnection]:
    """`count` open connections, without keepalive pings or compression (idle is idle)."""
    conns: list[ClientConnection] = []
    try:
        for first in range(0, count, CONNECT_BATCH):
            batch = range(first, min(first + CONNECT_BATCH, count))
            conns += await asyncio.gather(
                *(connect(url, ping_interval=None, compression=None, max_queue=None) for _ in batch)
            )
    except BaseException:
        await close_all(conns)
        raise
    return conns


async def close_all(conns: list[ClientConnection]) -> None:
    for first in range(0, len(conns), CONNECT_BATCH):
        await asyncio.gather(*(c.close() for c in conns[first : first + CONNECT_BATCH]))


async def round_trips(conns: list[ClientConnection], message: str, each: int) -> float:
    """Round trips per second: every client sends and awaits the answer, `each` times."""

    async def client(ws: ClientConnection) -> None:
        for _ in range(each):
            await ws.send(message)
            await ws.recv()

    start = time.perf_counter()
    await asyncio.gather(*(client(ws) for ws in conns))
    return len(conns) * each / (time.perf_counter() - start)
