"""Emulator throughput: echo round trips per second through `wsgen local` vs a bare server.

Each server runs in its own process and the load generator (asyncio `websockets` clients)
in the benchmark's, so on two cores each side has one. The bare `websockets` echo server
is this stack's ceiling: the emulator adds routing, a Lambda event, a thread-pool call of
`app(event, context)` and, for `send()`, an HTTP management call back to itself.
"""

from __future__ import annotations

import asyncio
import json
import statistics

from websockets.asyncio.client import ClientConnection

from .clients import close_all, open_many, round_trips
from .harness import APPS, Row, alternate
from .servers import cpu_seconds, raise_fd_limit, server

CONCURRENT = 200
MESSAGE = json.dumps({"action": "echo", "data": "hello"})
SEND = json.dumps({"action": "send", "data": "hello"})


def _rate(per_second: float) -> str:
    return f"{per_second:,.0f}/s"


def _cpu(
    cpu: dict[tuple[str, str, int], list[float]], side: str, message: str, clients: int
) -> str:
    """The median of a sampler's server CPU per round trip. The kernel counts it in ticks
    (10 ms): a sample of 2,000 round trips resolves about 5 µs, one of 400 (`send()`) 25 µs."""
    return f"{statistics.median(cpu[side, message, clients]) * 1e6:.0f} µs"


def run(rounds: int, smoke: bool = False) -> list[Row]:
    raise_fd_limit()
    concurrent, each_one, each_many = (5, 5, 2) if smoke else (CONCURRENT, 300, 10)
    rounds = min(rounds, 5)
    loop = asyncio.new_event_loop()
    conns: dict[str, list[ClientConnection]] = {}
    pids: dict[str, int] = {}
    cpu: dict[tuple[str, str, int], list[float]] = {}
    """(side, message, clients) -> the server's CPU seconds per round trip, each sample."""
    try:
        with (
            server("bare") as (bare_url, pids["bare"]),
            server("emulator", str(APPS / "wsgen_load")) as (url, pids["emulator"]),
        ):
            conns["bare"] = loop.run_until_complete(open_many(bare_url, concurrent))
            conns["emulator"] = loop.run_until_complete(open_many(url, concurrent))

            def rate(side: str, message: str, clients: int, each: int) -> float:
                before = cpu_seconds(pids[side])
                per_second = loop.run_until_complete(
                    round_trips(conns[side][:clients], message, each)
                )
                used = (cpu_seconds(pids[side]) - before) / (clients * each)
                cpu.setdefault((side, message, clients), []).append(used)
                return per_second

            rate("emulator", SEND, concurrent, 2)  # untimed: the client's first connections
            rate("emulator", MESSAGE, concurrent, 2)
            rate("bare", MESSAGE, concurrent, 2)
            results = {}
            for clients, each in ((1, each_one), (concurrent, each_many)):
                results[clients] = alternate(
                    {
                        "bare": lambda c=clients, e=each: rate("bare", MESSAGE, c, e),
                        "reply": lambda c=clients, e=each: rate("emulator", MESSAGE, c, e),
                        # send() is ~5x slower: fewer round trips keep the sample near 1 s.
                        "send": lambda c=clients, e=each: rate("emulator", SEND, c, -(-e // 5)),
                    },
                    rounds,
                )
            for side in conns.values():
                loop.run_until_complete(close_all(side))
    finally:
        loop.close()
    rows = []
    for clients, medians in results.items():
        share = medians["reply"] / medians["bare"]
        send_share = medians["send"] / medians["bare"]
        many = clients > 1
        server_cpu = (
            f"; server CPU per round trip: bare {_cpu(cpu, 'bare', MESSAGE, clients)}, reply "
            f"route {_cpu(cpu, 'emulator', MESSAGE, clients)}, `send()` "
            f"{_cpu(cpu, 'emulator', SEND, clients)}"
            if many
            else ""
        )
        rows.append(
            Row(
                f"`wsgen local` echo round trips, {clients} client{'s' if many else ''}",
                f"two-way reply route {_rate(medians['reply'])} ({share:.0%} of bare), "
                f"handler calling `send()` {_rate(medians['send'])} "
                f"({send_share:.0%}); bare `websockets` echo server "
                f"{_rate(medians['bare'])}{server_cpu}",
                # 200 clients: the fast path's targets; 1 client: the earlier one
                "reply route ≥ 60%, `send()` ≥ 25% of the bare server"
                if many
                else "reply route ≥ 25% of the bare server",
                share >= 0.60 and send_share >= 0.25 if many else share >= 0.25,
            )
        )
    return rows
