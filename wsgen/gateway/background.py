"""The app's asynchronous invocations as the front ends run them: in their own process.

On AWS `$connect` starts `@app.on_ws_connected` with an asynchronous invocation of its own
function (`runtime.background`). The emulator and the test client install `HeldBackground`
instead (`app.use_background`): `$connect`'s start is held until the front end has finished
the handshake, then the front end invokes the entry point with the same payload, so the
handler runs right after the handshake, through the same code as on AWS.
"""

from __future__ import annotations

import threading
from typing import Any

from runtime.background import Background
from runtime.contract import CONNECTED_KEY
from runtime.events import RawEvent


class HeldBackground(Background):
    """Holds each connection's connected step until its front end runs it (`take_connected`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, RawEvent] = {}

    def connected(self, event: RawEvent) -> None:
        with self._lock:
            self._held[event["requestContext"]["connectionId"]] = event

    def take_connected(self, connection_id: str) -> dict[str, Any] | None:
        """The payload of `connection_id`'s connected step, once (None: there is none)."""
        with self._lock:
            event = self._held.pop(connection_id, None)
        return None if event is None else {CONNECTED_KEY: event}
