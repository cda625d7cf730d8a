"""What every benchmark shares: alternating timed runs, medians, and the result rows."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = Path(__file__).resolve().parent / "apps"
EVENTS = ROOT / "tests" / "events"


@dataclass
class Row:
    """One line of the results table."""

    what: str
    measured: str
    target: str
    met: bool | None  # None: informational, no target

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: "-"}[self.met]


def alternate(samplers: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Median of each sampler, run in turn round after round so drift hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in samplers}
    for _ in range(rounds):
        for name, sample in samplers.items():
            samples[name].append(sample())
    return {name: statistics.median(values) for name, values in samples.items()}


def wall_time(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Seconds one process takes from spawn to exit."""
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} µs"


def machine() -> str:
    """One line describing where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores{memory}; "
        f"Python {platform.python_version()} ({sys.implementation.name})"
    )


def table(rows: list[Row]) -> str:
    lines = ["| what | measured (medians) | target | verdict |", "|---|---|---|---|"]
    lines += [f"| {r.what} | {r.measured} | {r.target} | {r.verdict} |" for r in rows]
    return "\n".join(lines) + "\n"
