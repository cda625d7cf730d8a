"""The app's asynchronous invocations as the front ends run them: in their own process.

On AWS `$connect` starts `@app.on_ws_connected` with an asynchronous invocation of its own
function, and `task.delay()` one of the task's function (`runtime.background`). The emulator
and the test client install `HeldBackground` instead (`app.use_background`):

- `$connect`'s start is held until the front end has finished the handshake, then the front
  end invokes the entry point with the same payload, so the handler runs right after the
  handshake, through the same code as on AWS;
- a task's start goes to `on_task(name, payload)`, which the front end sets: it runs the
  payload through the task's `function_handler`, as the task's own function would;
- a fan-out's shard messages go to `on_shards(bodies, delay_s)`, the front end's
  `wsgen.gateway.fanout.ShardQueue.put`, instead of SQS.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from runtime.background import Background
from runtime.contract import CONNECTED_KEY
from runtime.events import RawEvent


class HeldBackground(Background):
    """Holds each connection's connected step until its front end runs it (`take_connected`)."""

    def __init__(
        self,
        on_task: Callable[[str, dict[str, Any]], None] | None = None,
        on_shards: Callable[[list[str], int], dict[int, Exception]] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, RawEvent] = {}
        self.on_task = on_task
        """Runs (or queues) a task's payload; the front end sets it."""
        self.on_shards = on_shards
        """Queues a fan-out's shard messages; the front end sets it."""

    def shards(self, bodies: list[str], delay_s: int = 0) -> dict[int, Exception]:
        if self.on_shards is None:
            raise RuntimeError("this front end runs no fan-out")
        return self.on_shards(bodies, delay_s)

    def task(self, name: str, payload: dict[str, Any]) -> None:
        if self.on_task is None:
            raise RuntimeError("this front end runs no tasks")
        self.on_task(name, payload)

    def connected(self, event: RawEvent) -> None:
        with self._lock:
            self._held[event["requestContext"]["connectionId"]] = event

    def take_connected(self, connection_id: str) -> dict[str, Any] | None:
        """The payload of `connection_id`'s connected step, once (None: there is none)."""
        with self._lock:
            event = self._held.pop(connection_id, None)
        return None if event is None else {CONNECTED_KEY: event}
