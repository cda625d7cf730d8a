"""The emulator's console: one line per event (time, route, connection id, outcome, duration)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class EventLog:
    """Writes event lines and notices; `quiet` keeps only errors (for tests and benchmarks)."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self._stream = stream
        self.quiet = quiet
        self._lock = threading.Lock()

    def _write(self, line: str) -> None:
        stream = self._stream or sys.stdout
        with self._lock:
            print(line, file=stream, flush=True)

    def event(self, route: str, connection_id: str, outcome: str, started: float) -> None:
        """Log one event; `started` is the `time.perf_counter()` when it began."""
        if self.quiet:
            return
        duration = (time.perf_counter() - started) * 1000
        now = time.time()
        stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"
        self._write(f"{stamp}  {route:<12} {connection_id}  {outcome}  ({duration:.1f} ms)")

    def info(self, message: str) -> None:
        if not self.quiet:
            self._write(message)

    def error(self, message: str) -> None:
        self._write(message)
