"""The emulator's driver of `wsgen.gateway.session`'s sequences (the authorizer and
`$connect`, messages, `$disconnect`): it invokes the app through the invoker, writes what the
sequence decided to the connection, and logs each event.

What API Gateway does and in which order is `wsgen.gateway`'s; this module only awaits the
app, writes to the connection and logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from runtime import App
from runtime.contract import CONNECT, DISCONNECT
from runtime.responses import Dropped
from runtime.spec import AppSpec

from ..gateway import outcomes
from ..gateway.access import ConnectAccess
from ..gateway.events import Api, Peer, UpgradeRequest
from ..gateway.outcomes import Outcome, Step, Verdict
from ..gateway.routing import Router
from ..gateway.session import Answer, Event, Session, Steps
from ..gateway.throttle import Throttle
from ..gateway.timeouts import INTEGRATION_TIMEOUT_S, TimeLimit, time_limit
from .connection import BufferFullError, Connection, GoneError, Message
from .invoker import Invoker, Ticket
from .log import EventLog

API_ID = "wsgenlocal"
"""The emulated API's id: ten lowercase characters, like a real one."""

T = TypeVar("T")

DROPPED = "result dropped (one-way route)"
"""In the event line of a one-way route whose handler returned a value (`_note_dropped`)."""


@dataclass(frozen=True)
class Timeouts:
    """How long each invocation may run: its function's timeout (wsgen.toml's `timeout`,
    per `[functions.NAME]`) against API Gateway's integration timeout."""

    default: float
    routes: dict[str, float] = field(default_factory=dict)
    """Route keys served by a function whose timeout is not `default`."""
    authorizer: float | None = None
    """The authorizer's function's timeout, when it is not `default`."""
    integration: float = INTEGRATION_TIMEOUT_S
    _routes: dict[str, TimeLimit] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Each route key's limit, worked out at its first event."""

    def limit(self, event: Event) -> TimeLimit:
        if "methodArn" in event:  # the authorizer's input (its routeKey is $connect)
            seconds = self.default if self.authorizer is None else self.authorizer
            return time_limit(seconds, self.integration)
        key = event["requestContext"]["routeKey"]
        found = self._routes.get(key)
        if found is None:
            found = self._routes[key] = time_limit(
                self.routes.get(key, self.default), self.integration
            )
        return found

    def asynchronous(self, route_key: str) -> TimeLimit:
        """An asynchronous invocation of the function serving `route_key`: its own timeout
        only, as no API Gateway waits for it."""
        return TimeLimit(self.routes.get(route_key, self.default), integration=False)


class Driver:
    """Runs one app's sequences for every connection; `swap` serves a reloaded app."""

    def __init__(
        self,
        app: App,
        spec: AppSpec,
        invoker: Invoker,
        log: EventLog,
        api: Api,
        accept_binary_frames: bool = False,
        timeouts: Timeouts | None = None,
        throttle: Throttle | None = None,
        access: ConnectAccess | None = None,
    ):
        self.invoker = invoker
        self.log = log
        self.app = app
        self.session = Session(api, Router(spec), accept_binary_frames, throttle, access)
        self.timeouts = timeouts or Timeouts(INTEGRATION_TIMEOUT_S)
        self._dropped_noted: set[str] = set()
        """The routes whose dropped result the log explained: once each, not per message."""

    @property
    def api(self) -> Api:
        return self.session.api

    @property
    def spec(self) -> AppSpec:
        return self.session.spec

    def swap(
        self,
        app: App,
        spec: AppSpec,
        timeouts: Timeouts | None = None,
        throttle: Throttle | None = None,
        access: ConnectAccess | None = None,
    ) -> None:
        """Serve a reloaded app (and its wsgen.toml's limits and keys) from the next event on."""
        self.app = app
        self.session.use_spec(spec)
        self._dropped_noted.clear()  # the new code may still drop: say so once again
        if timeouts is not None:
            self.timeouts = timeouts
        self.session.throttle = throttle
        if access is not None:
            self.session.access = access

    # Every sequence is driven one way, by a `Sequence` the invoker's callbacks advance: a
    # message's as it is (no task or coroutine: messages are most of what the emulator
    # runs), `$connect`'s and `$disconnect`'s awaited by their connection's task (`_run`).

    def submit(self, event: Event, then: Callable[[Outcome], None]) -> Ticket:
        """Invoke the app with one event of a sequence, under its limit; `then` gets the
        outcome on the event loop (`Invoker.submit`)."""
        event_limit = self.timeouts.limit(event)
        return self.invoker.submit(self.app, self.app.app_name, event, event_limit, then)

    def abandon(self, ticket: Ticket) -> None:
        """Stop waiting for a submitted event's outcome (its handler, if it started, runs on)."""
        self.invoker.abandon(ticket)

    def _run(self, steps: Steps[T]) -> Awaitable[T]:
        """The decision of `steps`, driven as a message's are, to await; cancelled, the
        sequence is abandoned (`Sequence.abandon`), and an error driving it is raised."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        sequence = _Awaited(self, steps, future)
        sequence.start()
        return _outcome_of(future, sequence)

    # $connect

    async def open(self, peer: Peer, request: UpgradeRequest) -> Verdict:
        """Run the authorizer (if any) and `$connect`; the handshake's verdict."""
        start = time.perf_counter()

        def authorized(verdict: Verdict) -> None:
            nonlocal start
            if verdict.accepted:
                principal = (verdict.authorizer or {}).get("principalId")
                what = f"allowed principal {principal!r}"
            else:
                what = f"{verdict.status} refused: {verdict.reason}"
            self.log.event("(authorizer)", peer.connection_id, what, start)
            start = time.perf_counter()

        verdict = await self._run(self.session.open(peer, request, authorized))
        if verdict.step is Step.THROTTLED:
            self.log.event("(throttled)", peer.connection_id, f"429 {verdict.reason}", start)
            return verdict
        if verdict.step in (Step.IAM, Step.API_KEY):
            what = f"{verdict.status} refused: {verdict.reason}"
            self.log.event(f"({verdict.step.value})", peer.connection_id, what, start)
            return verdict
        if verdict.step.before_connect:
            return verdict  # refused before $connect: logged by `authorized`
        if verdict.step is Step.NO_CONNECT_ROUTE:
            what = "200 accepted (no $connect)"
            offered = request.header("Sec-WebSocket-Protocol")
            if mismatch := outcomes.subprotocol_mismatch(offered, None, connect=False):
                what += f", but {mismatch}"
        elif verdict.failure is not None:
            what = f"{verdict.status} rejected: {type(verdict.error).__name__}: {verdict.error}"
        elif verdict.message is not None:  # API Gateway's own answer to a bad result
            what = f"{verdict.status} rejected: {verdict.reason}"
        elif verdict.accepted:
            what = f"{verdict.status} accepted"
            offered = request.header("Sec-WebSocket-Protocol")
            if mismatch := outcomes.subprotocol_mismatch(offered, verdict.subprotocol):
                what += f", but {mismatch}"
        else:  # the handler's refusal: its ClientError, or the status it returned
            what = f"{verdict.status} refused: {verdict.reason}"
        self.log.event(CONNECT, peer.connection_id, what, start)
        return verdict

    async def connected(self, peer: Peer, payload: dict[str, Any]) -> None:
        """The asynchronous invocation `$connect` started for `@app.on_ws_connected`."""
        start = time.perf_counter()
        event_limit = self.timeouts.asynchronous(CONNECT)
        outcome = await self.invoker.invoke(self.app, self.app.app_name, payload, event_limit)
        if outcome.error is not None:
            what = f"error ({type(outcome.error).__name__}: {outcome.error})"
        else:
            what = "ok"
        self.log.event("(connected)", peer.connection_id, what, start)

    # Messages

    def message(self, conn: Connection, message: Message, done: Callable[[], None]) -> Sequence:
        """Handle `message` (`Connection`'s `Handle`): with no task or coroutine, as
        messages are most of what the emulator runs; `done` is called once it is over."""
        start = time.perf_counter()
        steps = self.session.message(
            conn.client, message.data, not message.text, message.received_ms
        )

        def then(answer: Answer) -> None:
            self._answered(conn, message, answer, start)

        sequence = Sequence(self, steps, then, done)
        sequence.start()
        return sequence

    def _answered(self, conn: Connection, message: Message, answer: Answer, start: float) -> None:
        if answer.close is not None:
            conn.close(*answer.close)
            what = (
                "binary frame: closed with 1003, as API Gateway does "
                "(run with --binary-frames accept to deliver it instead)"
            )
            self.log.event("(binary)", conn.id, what, start)
            return
        if answer.frame is not None:
            _send(conn, answer.frame)
        if self.log.quiet:
            return  # nothing below is written: no line to format
        if answer.throttled:
            self.log.event("(throttled)", conn.id, f"{answer.route_key}: Too Many Requests", start)
        elif answer.route_key is None:
            why = self.session.router.unmatched(message.data, not message.text)
            self.log.event("(no route)", conn.id, f"Forbidden frame: {why}", start)
        elif answer.error is not None:
            what = f"error ({type(answer.error).__name__}: {answer.error})"
            self.log.event(answer.route_key, conn.id, what, start)
        elif answer.refusal is not None:
            told = "got the error frame" if answer.refusal_delivered else "had gone: no frame"
            what = f"refused ({outcomes.described(answer.refusal)}): the client {told}"
            self.log.event(answer.route_key, conn.id, what, start)
        elif answer.dropped is not None:
            self.log.event(answer.route_key, conn.id, f"ok, {DROPPED}", start)
            self._note_dropped(answer.dropped)
        else:
            frame = answer.frame
            what = "ok" if frame is None else f"ok, replied {len(frame)} {_unit(frame)}"
            self.log.event(answer.route_key, conn.id, what, start)

    def _note_dropped(self, dropped: Dropped) -> None:
        """Explain a dropped result, the first time its route drops one (a busy route would
        otherwise repeat the same line at every message)."""
        if dropped.route_key not in self._dropped_noted:
            self._dropped_noted.add(dropped.route_key)
            self.log.info(f"wsgen local: {outcomes.dropped_note(dropped)}")

    # $disconnect

    async def close(self, peer: Peer, code: int, reason: str, dropped: int = 0) -> None:
        """Run `$disconnect`; `dropped` counts messages left unhandled by a server close."""
        start = time.perf_counter()
        if dropped:
            what = f"{dropped} queued message(s) dropped: the connection was closed by the server"
            self.log.event("(dropped)", peer.connection_id, what, start)
        answer = await self._run(self.session.close(peer, code, reason))
        if answer.route_key is None:
            self.log.event(DISCONNECT, peer.connection_id, f"{code} (no $disconnect)", start)
            return
        what = f"{code} {reason!r}".rstrip()
        if answer.error is not None:
            what += f", error ({type(answer.error).__name__}: {answer.error})"
        elif answer.refusal is not None:
            what += f", refused ({outcomes.described(answer.refusal)})"
        elif answer.dropped is not None:
            what += f", {DROPPED}"
        self.log.event(DISCONNECT, peer.connection_id, what, start)
        if answer.dropped is not None:
            self._note_dropped(answer.dropped)


class Sequence:
    """One of `wsgen.gateway.session`'s sequences driven by the invoker's callbacks, with no
    task, coroutine or future: each outcome advances it. `then` gets the decision, and
    `done` is called once at the end, whatever happened; `abandon` stops it. It invokes
    through the driver's `submit` and `abandon`; `$connect` and `$disconnect` await one
    (`Driver._run`)."""

    __slots__ = ("_done", "_driver", "_steps", "_then", "_ticket")

    def __init__(
        self,
        driver: Driver,
        steps: Steps[T],
        then: Callable[[T], None],
        done: Callable[[], None],
    ) -> None:
        self._driver = driver
        self._steps: Steps[Any] = steps
        self._then: Callable[[Any], None] = then
        self._done = done
        self._ticket: Ticket | None = None

    def start(self) -> None:
        self._advance(None)

    def abandon(self) -> None:
        """Stop: the running invocation's outcome is dropped and `done` is not called (its
        handler, if it started, runs on)."""
        if self._ticket is not None:
            self._driver.abandon(self._ticket)
            self._ticket = None
        self._steps.close()

    def _advance(self, outcome: Outcome | None) -> None:
        self._ticket = None
        try:
            event = next(self._steps) if outcome is None else self._steps.send(outcome)
        except StopIteration as stop:
            try:
                self._then(stop.value)
            except Exception as error:
                self._failed(error)
        except Exception as error:
            self._failed(error)
        else:
            self._ticket = self._driver.submit(event, self._advance)
            return
        self._done()

    def _failed(self, error: Exception) -> None:
        """A bug in the driver: the event loop's handler reports it; the connection goes on."""
        _report(error)


class _Awaited(Sequence):
    """A sequence whose decision, or the error driving it, goes to a future (`Driver._run`)."""

    __slots__ = ("_future",)

    def __init__(self, driver: Driver, steps: Steps[T], future: asyncio.Future[T]) -> None:
        super().__init__(driver, steps, self._resolve, _nothing)
        self._future: asyncio.Future[Any] = future

    def _resolve(self, decision: Any) -> None:
        if not self._future.done():  # else cancelled: `_outcome_of` abandons the sequence
            self._future.set_result(decision)

    def _failed(self, error: Exception) -> None:
        if not self._future.done():
            self._future.set_exception(error)


def _nothing() -> None:
    pass


async def _outcome_of(future: asyncio.Future[T], sequence: Sequence) -> T:
    try:
        return await future
    except asyncio.CancelledError:
        sequence.abandon()
        raise


def _report(error: Exception) -> None:
    """A bug in the driver: the event loop's handler reports it; the connection goes on."""
    asyncio.get_running_loop().call_exception_handler(
        {"message": "wsgen local failed handling a message", "exception": error}
    )


def _unit(frame: outcomes.Frame) -> str:
    return "chars" if isinstance(frame, str) else "bytes"


def _send(conn: Connection, frame: outcomes.Frame) -> None:
    text = isinstance(frame, str)
    data = frame.encode() if isinstance(frame, str) else frame
    # The client left meanwhile, or reads nothing: the frame is dropped.
    with contextlib.suppress(GoneError, BufferFullError):
        conn.send(data, text=text)
