"""Runs the user's app through its real Lambda entry point, `app(event, context)`, in threads.

Handlers run in a worker pool so that a handler calling `send()`, which is an HTTP request
back to the emulator's event loop, cannot block that loop.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..gateway.context import LambdaContext
from ..gateway.outcomes import Outcome


class Invoker:
    """Calls `app(event, context)` on a worker thread and awaits the outcome."""

    def __init__(self, workers: int, region: str, account_id: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wsgen-handler")
        self._region = region
        self._account_id = account_id
        self._lock = threading.Lock()
        self._running = 0

    @property
    def running(self) -> int:
        """How many handler calls are running now (stuck ones included)."""
        with self._lock:
            return self._running

    async def invoke(self, app: Callable[..., Any], function_name: str, event: Any) -> Outcome:
        stream = f"wsgen-local/[$LATEST]{uuid.uuid4().hex}"
        context = LambdaContext(function_name, self._region, self._account_id, stream)
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self._pool, self._call, app, event, context)
        except RuntimeError as exc:  # shut down: the emulator is stopping
            return Outcome(error=exc)
        return await future

    def shutdown(self) -> None:
        """Drop calls not started yet; don't wait for running ones (a handler may be stuck)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _call(self, app: Callable[..., Any], event: Any, context: LambdaContext) -> Outcome:
        with self._lock:
            self._running += 1
        try:
            return Outcome(result=app(event, context))
        except BaseException as exc:
            # The handler's failure is the invocation's outcome, as in Lambda, even
            # `sys.exit()` (SystemExit) or KeyboardInterrupt: it must not stop the emulator.
            return Outcome(error=exc)
        finally:
            with self._lock:
                self._running -= 1
