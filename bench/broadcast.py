"""Broadcast: a serial `send()` loop vs `broadcast()` to 1,000 clients of `wsgen local`.

The emulator (its own process) adds 20 ms to every management call, standing in for AWS's
round trip. One extra control connection triggers the handler; the clients count what they
receive, so every message must arrive exactly once.
"""

from __future__ import annotations

from .clients import deliveries
from .harness import APPS, Row, ms
from .servers import raise_fd_limit, server

CLIENTS = 1000
LOOP_SUBSET = 200
"""The serial loop at 20 ms a call would take 20 s for 1,000: timed over 200, scaled by 5."""
DELAY_MS = 20


def run(rounds: int, smoke: bool = False) -> list[Row]:
    raise_fd_limit()
    clients, subset = (20, 10) if smoke else (CLIENTS, LOOP_SUBSET)
    rounds = min(rounds, 3)  # each loop round is ~4.5 s of 20 ms calls
    with server("emulator", str(APPS / "wsgen_load"), str(DELAY_MS)) as (url, _):
        medians, once = deliveries(
            url,
            url,
            clients,
            # Untimed: the handler's first send() opens its connection; the first broadcast
            # starts broadcast's thread pool.
            warm=[("loop", 1), ("broadcast", clients)],
            timed={"loop": ("loop", subset), "broadcast": ("broadcast", clients)},
            rounds=rounds,
        )
    medians["loop"] *= clients / subset
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
