"""Lambda's SQS poller under `wsgen local`: a queue's batches sent to its function in-process.

`App(..., fan_out=True)` queues its shard messages through the app's background; the
emulator's is a `wsgen.gateway.fanout.ShardQueue`, and so is each queue of an
`@app.on_sqs_message(queue=...)` (`wsgen.local.sqs`). `ShardConsumer` is Lambda's SQS poller
for one: it takes each batch once due (the queue's batch size and window), invokes the
function (`wsgen_fan_out`, or the queue's handler) with it on the invoker's worker threads,
as any event handler (its timeout enforced, a log line), and settles the batch with the
function's partial batch response. At most `maximum_concurrency`
batches run at once when it is set (`[functions.wsgen_fan_out] maximum_concurrency`, the
mapping's `ScalingConfig`; a queue handler's `maximum_concurrency` likewise); unset, every
due batch starts (AWS's poller ramps up from 5).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from runtime.contract import FAN_OUT_FUNCTION

from ..gateway.fanout import ShardQueue
from .functions import Functions, UnknownFunctionError


class ShardConsumer:
    """Polls `queue` on the emulator's event loop until `stop()`."""

    def __init__(
        self,
        queue: ShardQueue,
        functions: Callable[[], Functions | None],
        function: str = FAN_OUT_FUNCTION,
    ) -> None:
        self.queue = queue
        self.function = function
        """The event handler the batches go to."""
        self._functions = functions
        self._ready = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._runs: set[asyncio.Task[None]] = set()
        self.maximum_concurrency: int | None = None
        """Batches run at once at most (None: no cap)."""
        self._poller = self._loop.create_task(self._poll())
        queue.on_put = self._wake

    def _wake(self) -> None:
        """Messages were queued (from any thread): look again."""
        self._loop.call_soon_threadsafe(self._ready.set)

    async def _poll(self) -> None:
        while True:
            self._ready.clear()
            cap = self.maximum_concurrency
            if cap is not None and len(self._runs) >= cap:
                await self._ready.wait()  # a run ending sets it
                continue
            batch = self.queue.take()
            if batch is not None:
                run = self._loop.create_task(self._run(batch))
                self._runs.add(run)
                run.add_done_callback(self._done)
                continue
            due = self.queue.next_due()
            wait = None if due is None else max(0.0, due - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), wait)

    def _done(self, run: asyncio.Task[None]) -> None:
        self._runs.discard(run)
        self._ready.set()

    async def _run(self, batch: dict[str, Any]) -> None:
        functions = self._functions()
        if functions is None:
            self.queue.settle(batch, None, RuntimeError("the emulator is stopping"))
            return
        try:
            invocation = await functions.invoke(self.function, batch)
        except UnknownFunctionError as exc:  # a reload dropped the handler: logged there
            self.queue.settle(batch, None, exc)
            return
        self.queue.settle(batch, invocation.result, invocation.error)

    async def stop(self) -> None:
        self._poller.cancel()
        for run in list(self._runs):
            run.cancel()
        await asyncio.gather(self._poller, *self._runs, return_exceptions=True)
