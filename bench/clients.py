"""The load generator's side: many WebSocket clients in the benchmark's own process."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

from websockets.asyncio.client import ClientConnection, connect

from .harness import alternate

CONNECT_BATCH = 50
"""Connections opened at once: the server's listen backlog is 100."""
TIMEOUT_S = 60


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


class Audience:
    """The clients, counting each tag they receive."""

    def __init__(self, conns: list[ClientConnection]) -> None:
        self.conns = conns
        self.received: dict[str, Counter[int]] = {}
        self._waiting: tuple[str, int, asyncio.Event] | None = None
        self._readers = [asyncio.create_task(self._read(i, ws)) for i, ws in enumerate(conns)]

    async def _read(self, index: int, ws: ClientConnection) -> None:
        async for tag in ws:
            counts = self.received.setdefault(str(tag), Counter())
            counts[index] += 1
            waiting = self._waiting
            if waiting and waiting[0] == tag and len(counts) >= waiting[1]:
                waiting[2].set()

    async def trigger(self, control: ClientConnection, route: str, tag: str, count: int) -> float:
        """Seconds from the request until all `count` clients have the tag and the reply."""
        done = asyncio.Event()
        self._waiting = (tag, count, done)
        start = time.perf_counter()
        request = {"action": route, "tag": tag, "count": count if count < len(self.conns) else 0}
        await control.send(json.dumps(request))
        reply = json.loads(await asyncio.wait_for(control.recv(), TIMEOUT_S))
        await asyncio.wait_for(done.wait(), TIMEOUT_S)
        elapsed = time.perf_counter() - start
        if reply["sent"] != count:
            raise RuntimeError(f"{route} sent {reply['sent']} of {count}")
        return elapsed

    def exactly_once(self, tag: str, count: int) -> bool:
        counts = self.received.get(tag, Counter())
        return len(counts) == count and set(counts.values()) == {1}

    @classmethod
    async def open(cls, url: str, count: int) -> Audience:
        return cls(await open_many(url, count))

    async def close(self) -> None:
        for reader in self._readers:
            reader.cancel()
        await close_all(self.conns)


def deliveries(
    url: str,
    audience_url: str,
    clients: int,
    warm: list[tuple[str, int]],
    timed: dict[str, tuple[str, int]],
    rounds: int,
) -> tuple[dict[str, float], bool]:
    """Median seconds of each `timed` sampler, and whether every message arrived exactly once.

    `clients` connections to `audience_url` listen; one control connection to `url` sends
    each trigger, a `(route, count)`: the app's `route` sends a fresh tag to `count` of them,
    and the sample ends when they all have it. The `warm` triggers run first, untimed.
    """
    loop = asyncio.new_event_loop()
    try:
        control = loop.run_until_complete(open_many(url, 1))
        audience = loop.run_until_complete(Audience.open(audience_url, clients))
        tags = iter(range(1_000_000))
        sent: list[tuple[str, int]] = []

        def sample(route: str, count: int) -> float:
            tag = f"{route}{next(tags)}"
            sent.append((tag, count))
            return loop.run_until_complete(audience.trigger(control[0], route, tag, count))

        for route, count in warm:
            sample(route, count)
        medians = alternate(
            {name: lambda trigger=trigger: sample(*trigger) for name, trigger in timed.items()},
            rounds,
        )
        loop.run_until_complete(asyncio.sleep(0.2))  # room for a duplicate to show up
        once = all(audience.exactly_once(tag, count) for tag, count in sent)
        loop.run_until_complete(audience.close())
        loop.run_until_complete(close_all(control))
    finally:
        loop.close()
    return medians, once
