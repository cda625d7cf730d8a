"""Broadcast: a serial `send()` loop vs `broadcast()` to 1,000 clients of `wsgen local`.

The emulator (its own process) adds 20 ms to every management call, standing in for AWS's
round trip. One extra control connection triggers the handler; the clients count what they
receive, so every message must arrive exactly once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

from websockets.asyncio.client import ClientConnection

from .clients import close_all, open_many
from .harness import APPS, Row, alternate, ms
from .servers import raise_fd_limit, server

CLIENTS = 1000
LOOP_SUBSET = 200
"""The serial loop at 20 ms a call would take 20 s for 1,000: timed over 200, scaled by 5."""
DELAY_MS = 20
TIMEOUT_S = 60


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


def run(rounds: int, smoke: bool = False) -> list[Row]:
    raise_fd_limit()
    clients, subset = (20, 10) if smoke else (CLIENTS, LOOP_SUBSET)
    rounds = min(rounds, 3)  # each loop round is ~4.5 s of 20 ms calls
    with server("emulator", str(APPS / "wsgen_load"), str(DELAY_MS)) as (url, _):
        loop = asyncio.new_event_loop()
        try:
            control = loop.run_until_complete(open_many(url, 1))
            audience = loop.run_until_complete(Audience.open(url, clients))
            tags = iter(range(1_000_000))
            sent: list[tuple[str, int]] = []

            def sample(route: str, count: int) -> float:
                tag = f"{route}{next(tags)}"
                sent.append((tag, count))
                return loop.run_until_complete(audience.trigger(control[0], route, tag, count))

            sample("loop", 1)  # untimed: the handler's first send() opens its connection
            sample("broadcast", clients)  # untimed: starts broadcast's thread pool
            medians = alternate(
                {
                    "loop": lambda: sample("loop", subset) * clients / subset,
                    "broadcast": lambda: sample("broadcast", clients),
                },
                rounds,
            )
            loop.run_until_complete(asyncio.sleep(0.2))  # room for a duplicate to show up
            once = all(audience.exactly_once(tag, count) for tag, count in sent)
            loop.run_until_complete(audience.close())
            loop.run_until_complete(close_all(control))
        finally:
            loop.close()
    speedup = medians["loop"] / medians["broadcast"]
    return [
        Row(
            f"broadcast to {clients:,} clients of `wsgen local`, {DELAY_MS} ms per call",
            f"`broadcast()` {ms(medians['broadcast'])}; serial `send()` loop "
            f"{medians['loop']:.2f} s (timed over {subset}, scaled x{clients // subset}); "
            f"{speedup:.1f}x faster; every message delivered exactly once: "
            f"{'yes' if once else '**no**'}",
            "≤ 0.6 s and ≥ 10x faster than the loop; each message exactly once",
            medians["broadcast"] <= 0.6 and speedup >= 10 and once,
        )
    ]
