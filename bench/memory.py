"""Emulator memory: resident memory with 1,000 idle connections, `wsgen local` vs bare server."""

from __future__ import annotations

import asyncio
import time

from .clients import close_all, open_many
from .harness import APPS, Row, alternate
from .servers import raise_fd_limit, rss_kib, server

CONNECTIONS = 1000
SETTLE_S = 0.3


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def run(rounds: int, smoke: bool = False) -> list[Row]:
    raise_fd_limit()
    count = 20 if smoke else CONNECTIONS
    rounds = min(rounds, 3)
    baseline: dict[str, list[int]] = {"bare": [], "emulator": []}

    def sample(kind: str, *args: str) -> float:
        """VmRSS with `count` idle connections open, in KiB; the baseline goes aside."""
        with server(kind, *args) as (url, pid):
            time.sleep(SETTLE_S)
            baseline[kind].append(rss_kib(pid))
            loop = asyncio.new_event_loop()
            try:
                conns = loop.run_until_complete(open_many(url, count))
                loop.run_until_complete(asyncio.sleep(SETTLE_S))
                loaded = rss_kib(pid)
                loop.run_until_complete(close_all(conns))
            finally:
                loop.close()
        return loaded

    medians = alternate(
        {
            "bare": lambda: sample("bare"),
            "emulator": lambda: sample("emulator", str(APPS / "wsgen_load")),
        },
        rounds,
    )
    base = {kind: sorted(values)[len(values) // 2] for kind, values in baseline.items()}
    ratio = medians["emulator"] / medians["bare"]
    per_conn = {k: (medians[k] - base[k]) / count for k in medians}
    return [
        Row(
            f"`wsgen local` resident memory, {count:,} idle connections",
            f"emulator {_mib(medians['emulator'])} (baseline {_mib(base['emulator'])}, "
            f"{per_conn['emulator']:.1f} KiB per connection), bare `websockets` server "
            f"{_mib(medians['bare'])} (baseline {_mib(base['bare'])}, "
            f"{per_conn['bare']:.1f} KiB per connection); ratio {ratio:.2f}",
            "≤ 3x the bare server",
            ratio <= 3,
        )
    ]
