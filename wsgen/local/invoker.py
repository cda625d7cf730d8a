"""Runs the user's app through its real Lambda entry point, `app(event, context)`, in threads.

Handlers run on worker threads so that a handler calling `send()`, which is an HTTP request
back to the emulator's event loop, cannot block that loop.

At most `workers` invocations run at once. An invocation that runs past its `Limit` (the
function's timeout or API Gateway's 29 seconds, `wsgen.gateway.timeouts`) is answered with
that limit's error at once and stops counting: Python cannot stop a thread, so its thread
runs on until the handler returns, but outside the `workers` capacity, on a thread of its
own. Stuck handlers therefore never starve other connections, new handshakes or the
`$disconnect` runs of a shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any

from ..gateway.authorizer import refuses
from ..gateway.context import LambdaContext
from ..gateway.events import new_uuid
from ..gateway.outcomes import Outcome
from ..gateway.timeouts import Limit
from .log import EventLog

Job = Callable[[], Callable[[], None]]
"""Runs a handler on a worker thread; returns what hands its outcome to the event loop."""


class Invoker:
    """Calls `app(event, context)` on a worker thread and awaits the outcome."""

    def __init__(
        self, workers: int, region: str, account_id: str, log: EventLog | None = None
    ) -> None:
        self._log = log
        self._capacity = asyncio.Semaphore(workers)
        self._keep_idle = workers
        self._region = region
        self._account_id = account_id
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[Job | None]] = []
        self._running = 0
        self._threads = 0
        self._closed = False

    @property
    def running(self) -> int:
        """How many handler calls are running now (stuck ones included)."""
        with self._lock:
            return self._running

    @property
    def threads(self) -> int:
        """How many worker threads exist now, idle ones included."""
        with self._lock:
            return self._threads

    async def invoke(
        self,
        app: Callable[..., Any],
        function_name: str,
        event: Any,
        limit: Limit | None = None,
    ) -> Outcome:
        """The invocation's outcome; past `limit`, the limit's error (the handler runs on)."""
        if self._closed:
            return Outcome(error=RuntimeError("the emulator is stopping"))
        stream = f"wsgen-local/[$LATEST]{new_uuid().replace('-', '')}"
        timeout = {} if limit is None else {"timeout_s": limit.seconds}
        context = LambdaContext(function_name, self._region, self._account_id, stream, **timeout)
        loop = asyncio.get_running_loop()
        async with self._capacity:
            future: asyncio.Future[Outcome] = loop.create_future()

            def job() -> Callable[[], None]:
                outcome = self._call(app, event, context)

                def settle() -> None:
                    with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits
                        loop.call_soon_threadsafe(_settle, future, outcome)

                return settle

            self._submit(job)
            if limit is None:
                return await future
            try:
                # Past the limit the future is cancelled (`_settle` then drops the outcome)
                # and the handler runs on: no task or shield per invocation, as wait_for has.
                async with asyncio.timeout(limit.seconds):
                    return await future
            except TimeoutError:
                return Outcome(error=limit.error())

    def shutdown(self) -> None:
        """Let idle threads end; don't wait for running ones (a handler may be stuck)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for jobs in idle:
            jobs.put(None)

    def _submit(self, job: Job) -> None:
        with self._lock:
            jobs = self._idle.pop() if self._idle else None
            if jobs is None:
                self._threads += 1
        if jobs is None:
            jobs = queue.SimpleQueue()
            thread = threading.Thread(
                target=self._work, args=(jobs,), name="wsgen-handler", daemon=True
            )
            thread.start()
        jobs.put(job)

    def _work(self, jobs: queue.SimpleQueue[Job | None]) -> None:
        """A worker thread: run jobs until told to stop, or until enough others are idle."""
        while (job := jobs.get()) is not None:
            settle = job()
            # Idle again before the loop hears of the outcome: its next invocation then
            # finds this thread, rather than starting one while this one is about to wait.
            with self._lock:
                stay = not self._closed and len(self._idle) < self._keep_idle
                if stay:
                    self._idle.append(jobs)
            settle()
            if not stay:
                break  # a thread a stuck handler held: not needed any more
        with self._lock:
            self._threads -= 1

    def _call(self, app: Callable[..., Any], event: Any, context: LambdaContext) -> Outcome:
        with self._lock:
            self._running += 1
        try:
            return Outcome(result=app(event, context))
        except BaseException as exc:
            # The handler's failure is the invocation's outcome, as in Lambda, even
            # `sys.exit()` (SystemExit) or KeyboardInterrupt: it must not stop the emulator.
            # Lambda logs its traceback; the emulator's log is that log. An authorizer's
            # Unauthorized is its everyday refusal: no traceback for it.
            if self._log is not None and not _refusal(event, exc):
                self._log.failure(exc)
            return Outcome(error=exc)
        finally:
            with self._lock:
                self._running -= 1


def _refusal(event: Any, error: BaseException) -> bool:
    """Whether `error` is an authorizer (its event has a `methodArn`) refusing a client."""
    return isinstance(event, dict) and "methodArn" in event and refuses(error)


def _settle(future: asyncio.Future[Outcome], outcome: Outcome) -> None:
    if not future.done():
        future.set_result(outcome)
