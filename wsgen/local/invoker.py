"""Runs the user's app through its real Lambda entry point, `app(event, context)`, in threads.

Handlers run on worker threads so that a handler calling `send()`, which is an HTTP request
back to the emulator's event loop, cannot block that loop.

At most `workers` invocations run at once. An invocation that runs past its `TimeLimit` (the
function's timeout or API Gateway's 29 seconds, `wsgen.gateway.timeouts`), counted from when
its handler starts, is answered with that limit's error at once and stops counting: its
thread runs on outside the `workers` capacity, on a thread of its own. Stuck handlers
therefore never starve other connections, new handshakes or the `$disconnect` runs of a
shutdown.

Past the function's own timeout Lambda stops the function, so nothing it would do next
happens: the invoker raises `HandlerStopped` in the handler's thread, which Python delivers
at the thread's next bytecode (a call blocked in C, such as `time.sleep`, ends first). Past
API Gateway's 29 seconds the function runs on, as on AWS, until it returns.

Handing work to threads and back is most of what an invocation costs the emulator (a thread
wake-up, a switch of the GIL and a wake-up of the event loop each way), so it is batched
without holding any invocation back: invocations wait in one queue, and an awake worker
that finishes a handler takes the next one rather than sleeping while another is woken. A
thread is woken only when no awake worker will come for the queue, once per turn of the
event loop for every invocation that turn queued, and a worker that takes one while others
wait wakes the next: every invocation still starts at once, even while every other one is
blocked in its handler. Outcomes go back the same way: one wake-up of the event loop hands
over every outcome that came in meanwhile.

`submit` is the callback form, with no future, task, coroutine or semaphore per invocation
(the emulator's messages use it); `invoke` awaits the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from ..gateway.authorizer import refuses
from ..gateway.context import LambdaContext
from ..gateway.events import new_uuid
from ..gateway.outcomes import Outcome
from ..gateway.timeouts import TimeLimit
from .log import EventLog, app_frame, serving

Wakeups = queue.SimpleQueue[bool]
"""How a sleeping worker is woken: True to look for work, False to end."""


STOPPING = "the emulator is stopping"


class HandlerStopped(BaseException):
    """Raised in a handler's thread once its function's timeout passed, as Lambda stops the
    function there. A BaseException, so that the handler's `except Exception` does not go on."""


class Ticket:
    """One submitted invocation until it is settled: given its outcome or its limit's error,
    or abandoned. Settled, it no longer counts against the invoker's `workers`."""

    __slots__ = (
        "app",
        "deadline",
        "event",
        "function_name",
        "limit",
        "loop",
        "settled",
        "started",
        "then",
    )

    def __init__(
        self,
        app: Callable[..., Any],
        function_name: str,
        event: Any,
        limit: TimeLimit | None,
        loop: asyncio.AbstractEventLoop,
        then: Callable[[Outcome], None],
    ) -> None:
        self.app = app
        self.function_name = function_name
        self.event = event
        self.limit = limit
        self.loop = loop
        self.then = then
        self.started = False
        """Handed to the workers: it holds one of `workers` until settled."""
        self.settled = False
        self.deadline = 0.0
        """When, on the loop's clock, its limit's error is due (with a limit): set by the
        worker as the handler starts (0 until then)."""


class Invoker:
    """Calls `app(event, context)` on a worker thread and awaits the outcome."""

    def __init__(
        self, workers: int, region: str, account_id: str, log: EventLog | None = None
    ) -> None:
        self._log = log
        self._free = workers
        """How many more invocations may start now, of `workers`."""
        self._waiting: deque[Ticket] = deque()
        """Submitted invocations waiting for one of `workers` (used on the event loop only)."""
        self._due: dict[tuple[asyncio.AbstractEventLoop, float], deque[Ticket]] = {}
        """Started tickets with a limit, per loop and limit, in the order they are due; a
        line's timer is armed for its first (used on that event loop only)."""
        self._keep_idle = workers
        self._region = region
        self._account_id = account_id
        self._lock = threading.Lock()
        self._pending: deque[Ticket] = deque()
        """Invocations no worker has taken yet."""
        self._looking = 0
        """Awake workers outside a handler: each takes a pending job before it sleeps."""
        self._sleeping: list[Wakeups] = []
        self._flushing: set[asyncio.AbstractEventLoop] = set()
        """The loops whose next iteration wakes a worker for the jobs queued meanwhile."""
        self._outboxes: dict[asyncio.AbstractEventLoop, list[tuple[Ticket, Outcome]]] = {}
        """Per event loop, the outcomes its next wake-up settles."""
        self._running = 0
        self._threads = 0
        self._closed = False
        self._handling: dict[Ticket, int] = {}
        """Tickets whose handler is running, with the thread's id: the expiry of a function's
        timeout and the end of the handler each pop it, and only the first does anything."""

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
        limit: TimeLimit | None = None,
    ) -> Outcome:
        """The invocation's outcome; past `limit`, the limit's error (the handler runs on).

        Cancelled, it is abandoned (`abandon`).
        """
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        ticket = self.submit(app, function_name, event, limit, functools.partial(_give, future))
        try:
            return await future
        except asyncio.CancelledError:
            self.abandon(ticket)
            raise

    def submit(
        self,
        app: Callable[..., Any],
        function_name: str,
        event: Any,
        limit: TimeLimit | None,
        then: Callable[[Outcome], None],
    ) -> Ticket:
        """Call `app(event, context)` on a worker thread; `then` gets the outcome on this
        event loop, never before this returns. Past `limit` it gets the limit's error at
        once and the handler runs on; while `workers` invocations are unsettled, this one
        waits for one of them. Its limit counts from when its handler starts, as Lambda counts a
        function's time: the hand-over to a worker thread is the emulator's own time."""
        loop = asyncio.get_running_loop()
        ticket = Ticket(app, function_name, event, limit, loop, then)
        if self._closed:
            loop.call_soon(self._settle, ticket, Outcome(error=RuntimeError(STOPPING)))
        elif self._free:
            self._free -= 1
            self._start(ticket)
        else:
            self._waiting.append(ticket)
        return ticket

    def abandon(self, ticket: Ticket) -> None:
        """Stop waiting for `ticket`: its outcome is dropped, its handler (if it started)
        runs on, and it no longer counts against `workers`. On the ticket's event loop."""
        self._settle(ticket, None)

    def _start(self, ticket: Ticket) -> None:
        """Hand `ticket` to the workers; it holds one of `workers` until settled."""
        ticket.started = True
        self._submit(ticket)
        if ticket.limit is None:
            return
        # Past the limit it gets the limit's error (the handler's own outcome is then
        # dropped) and the handler runs on. Tickets of one limit are due in the order they
        # start (their handlers start in that order: the workers take them first come,
        # first served): one line and one timer per limit, rather than a timer per
        # invocation. The timer is armed for the soonest the first could be due; the worker
        # that starts its handler sets its deadline (`_expire` looks again until then).
        loop = ticket.loop
        key = (loop, ticket.limit.seconds)
        line = self._due.get(key)
        if line is None:
            line = self._due[key] = deque()
            loop.call_at(loop.time() + ticket.limit.seconds, self._expire, key)
        line.append(ticket)

    def _expire(self, key: tuple[asyncio.AbstractEventLoop, float]) -> None:
        """Give the tickets of a line that are due their limit's error; come back for the
        next one (or, while the first one's handler has not started, a limit from now)."""
        line = self._due[key]
        loop, seconds = key
        now = loop.time()
        while line:
            ticket = line[0]
            if not ticket.settled:
                deadline = ticket.deadline  # once: a worker may set it meanwhile
                if not deadline:  # not started yet: due a whole limit after it starts
                    loop.call_at(now + seconds, self._expire, key)
                    return
                if deadline > now:
                    loop.call_at(deadline, self._expire, key)
                    return
            line.popleft()  # before settling it: `_settle` pops the settled ones behind it
            if not ticket.settled:
                assert ticket.limit is not None, "only a ticket with a limit is in a line"
                self._settle(ticket, Outcome(error=ticket.limit.error()))
                if not ticket.limit.integration:
                    self._stop(ticket)
        del self._due[key]

    def _stop(self, ticket: Ticket) -> None:
        """Raise `HandlerStopped` in the thread of `ticket`'s handler, unless it returned."""
        with self._lock:  # held until raised: a handler that returns meanwhile waits for it
            thread = self._handling.pop(ticket, None)
            if thread is None:
                return
            _raise_in(thread, HandlerStopped)

    def _settle(self, ticket: Ticket, outcome: Outcome | None) -> None:
        """Give `ticket` its outcome (None: abandoned, it gets none), unless it is settled
        already (past its limit, or abandoned); a started one gives its place to the next."""
        if ticket.settled:
            return
        ticket.settled = True
        if ticket.limit is not None and ticket.started:
            # Settled ones leave the front of their line at once (most settle in the
            # order they started); one behind an unsettled one, when that one expires.
            line = self._due.get((ticket.loop, ticket.limit.seconds))
            while line and line[0].settled:
                line.popleft()
        if ticket.started:
            self._next()
        if outcome is not None:
            ticket.then(outcome)

    def _next(self) -> None:
        """One of `workers` is free: the first waiting invocation takes it."""
        while self._waiting:
            ticket = self._waiting.popleft()
            if ticket.settled:  # abandoned while waiting
                continue
            if self._closed:
                self._settle(ticket, Outcome(error=RuntimeError(STOPPING)))
                continue
            self._start(ticket)
            return
        self._free += 1

    def shutdown(self) -> None:
        """Let idle threads end; don't wait for running ones (a handler may be stuck)."""
        with self._lock:
            self._closed = True
            sleeping, self._sleeping = self._sleeping, []
        for wakeups in sleeping:
            wakeups.put(False)

    def _submit(self, job: Ticket) -> None:
        """Queue `job`; unless an awake worker will take it, wake one at the loop's next
        iteration, for every job this iteration queues: one wake-up for a batch."""
        with self._lock:
            self._pending.append(job)
            if self._looking or job.loop in self._flushing:
                return
            self._flushing.add(job.loop)
        job.loop.call_soon(self._flush, job.loop)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._flushing.discard(loop)
            wake, wakeups = self._someone_looking()
        if wake:
            self._wake(wakeups)

    def _someone_looking(self) -> tuple[bool, Wakeups | None]:
        """With the lock held: whether a worker must be woken (or started, when the second
        is None) so that an awake worker will take what is pending."""
        if not self._pending or self._looking:
            return False, None
        self._looking += 1  # counted from now: further jobs need no other wake-up
        if self._sleeping:
            return True, self._sleeping.pop()  # the most recent: its memory is warm
        self._threads += 1
        return True, None

    def _wake(self, wakeups: Wakeups | None) -> None:
        if wakeups is not None:
            wakeups.put(True)
            return
        thread = threading.Thread(
            target=self._work, args=(queue.SimpleQueue(),), name="wsgen-handler", daemon=True
        )
        try:
            thread.start()
        except RuntimeError as error:  # "can't start new thread": out of threads or memory
            self._not_started(error)

    def _not_started(self, error: RuntimeError) -> None:
        """A worker `_someone_looking` counted could not start: count it no more, and fail
        the invocations no awake worker will take now, rather than leave them waiting."""
        with self._lock:
            self._looking -= 1
            self._threads -= 1
            if self._looking or not self._pending:
                stranded: list[Ticket] = []
            elif self._sleeping:
                self._looking += 1
                self._sleeping.pop().put(True)
                stranded = []
            else:
                stranded = list(self._pending)
                self._pending.clear()
        for job in stranded:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits
                job.loop.call_soon_threadsafe(self._settle, job, Outcome(error=error))

    def _work(self, wakeups: Wakeups) -> None:
        """A worker thread, awake (looking) when it starts: run pending jobs; sleep when
        there are none; end when told to, or when enough others sleep already.

        Each worker stands for one of Lambda's execution environments: its invocations
        share its log stream, and each one's time counts from when its handler starts.
        """
        stream = f"wsgen-local/[$LATEST]{new_uuid().replace('-', '')}"
        serving(self._log)  # the runtime's log records from this thread go to that log
        while True:
            with self._lock:
                self._looking -= 1
                if self._pending:
                    job = self._pending.popleft()
                    self._running += 1
                    if job.limit is not None:  # its time counts from here, as Lambda's
                        job.deadline = job.loop.time() + job.limit.seconds
                    self._handling[job] = threading.get_ident()
                    # More are waiting and nobody else awake will come for them.
                    wake, successor = self._someone_looking()
                elif self._closed or len(self._sleeping) >= self._keep_idle:
                    self._threads -= 1  # a thread a stuck handler held: not needed any more
                    return
                else:
                    self._sleeping.append(wakeups)
                    job = None
            if job is None:
                if not wakeups.get():
                    with self._lock:
                        self._threads -= 1
                    return
                continue  # whoever woke this worker counted it as looking
            if wake:
                self._wake(successor)
            timeout = {} if job.limit is None else {"timeout_s": job.limit.seconds}
            context = LambdaContext(
                job.function_name, self._region, self._account_id, stream, **timeout
            )
            outcome = self._call(job, context)
            job.event = None  # not needed any more; a ticket may wait in its line a while
            with self._lock:
                # Idle again before the loop hears of the outcome: its next invocation then
                # finds this worker awake, rather than waking another one.
                self._running -= 1
                self._looking += 1
                outbox = self._outboxes.get(job.loop)
                first = outbox is None
                if outbox is None:
                    outbox = self._outboxes[job.loop] = []
                outbox.append((job, outcome))
            if first:
                try:
                    job.loop.call_soon_threadsafe(self._deliver, job.loop)
                except RuntimeError:  # a closed loop: nobody waits
                    with self._lock:
                        self._outboxes.pop(job.loop, None)

    def _deliver(self, loop: asyncio.AbstractEventLoop) -> None:
        """On `loop`: settle every outcome its workers gave since the last delivery."""
        with self._lock:
            outbox = self._outboxes.pop(loop, [])
        for ticket, outcome in outbox:
            try:
                self._settle(ticket, outcome)
            except Exception as error:  # a bug in a `then`: the others still get theirs
                loop.call_exception_handler(
                    {"message": "an invocation's outcome callback failed", "exception": error}
                )

    def _call(self, job: Ticket, context: LambdaContext) -> Outcome:
        """Run `job`'s handler. A `HandlerStopped` raised in this thread past its timeout
        lands in the handler or in the two handlers of exceptions here, never after."""
        try:
            try:
                outcome = Outcome(result=job.app(job.event, context))
            except BaseException as exc:
                outcome = Outcome(error=exc)
        except BaseException as exc:  # the stop, landing in the first handler
            outcome = Outcome(error=exc)
        if self._handling.pop(job, None) is None:  # its timeout came first: stopped
            self._stopped(job, outcome.error)
            return outcome
        error = outcome.error
        if error is not None and self._log is not None and not _refusal(job.event, error):
            # The handler's failure is the invocation's outcome, as in Lambda, even
            # `sys.exit()` (SystemExit) or KeyboardInterrupt: it must not stop the emulator.
            # Lambda logs its traceback; the emulator's log is that log. An authorizer's
            # Unauthorized is its everyday refusal: no traceback for it.
            self._log.failure(error)
        return outcome

    def _stopped(self, job: Ticket, error: BaseException | None) -> None:
        """After `_stop` stopped `job`'s handler: a stop that has not landed yet (the handler
        returned meanwhile) never lands in the worker's own code; one that landed is logged."""
        try:
            with self._lock:  # `_stop` raises it holding the lock
                pass
            _raise_in(threading.get_ident(), None)  # not landed yet: it never will
        except HandlerStopped as exc:
            error = exc
        if isinstance(error, HandlerStopped) and self._log is not None:
            self._log.info(
                f"wsgen local: {job.function_name} was stopped at its timeout{app_frame(error)}: "
                "nothing it would have done next (a send(), a task) is done, as on AWS"
            )


def _raise_in(thread: int, exception: type[BaseException] | None) -> None:
    """Have `thread` raise `exception` at its next bytecode (None: no longer)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread), None if exception is None else ctypes.py_object(exception)
    )


def _refusal(event: Any, error: BaseException) -> bool:
    """Whether `error` is an authorizer (its event has a `methodArn`) refusing a client."""
    return isinstance(event, dict) and "methodArn" in event and refuses(error)


def _give(future: asyncio.Future[Outcome], outcome: Outcome) -> None:
    if not future.done():  # else cancelled: nobody waits
        future.set_result(outcome)
