"""The app's event handlers under `wsgen local`: schedules on their clock, invocations on demand.

Each handler runs as its own Lambda function would, through `app.function_handler(name)`, on
the invoker's worker threads, so its `send()`, `broadcast()`, `close()` and `info()` reach the
emulator's `@connections` like a WebSocket handler's. The log has one line per invocation,
like a WebSocket event's: `(schedule)  heartbeat  ok  (1.2 ms)`.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from runtime import App
from runtime.contract import CW_EVENT, DYNAMODB, FAN_OUT, LAMBDA_FUNCTION, SCHEDULE, SNS, SQS, TASK
from runtime.spec import AppSpec

from ..gateway.timeouts import TimeLimit
from ..sources.events import Where, build_event, check_event
from ..sources.schedule import parse
from .invoker import Invoker
from .log import EventLog

LABELS = {
    SCHEDULE: "(schedule)",
    SQS: "(sqs)",
    SNS: "(sns)",
    CW_EVENT: "(eventbridge)",
    DYNAMODB: "(dynamodb)",
    LAMBDA_FUNCTION: "(function)",
    TASK: "(task)",
    FAN_OUT: "(fan-out)",
}
"""What the log's route column shows for each kind."""


class UnknownFunctionError(LookupError):
    """No event handler of that name; `known` lists the app's."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name, known)
        self.name, self.known = name, known

    def __str__(self) -> str:
        have = ", ".join(self.known) or "none"
        return f"the app has no event handler named '{self.name}'; its event handlers: {have}"


@dataclass
class Invocation:
    """What one invocation gave: the handler's result, or its exception."""

    name: str
    kind: str
    result: Any = None
    error: BaseException | None = None

    def to_json(self) -> dict[str, Any]:
        error = None if self.error is None else f"{type(self.error).__name__}: {self.error}"
        return {
            "function": self.name,
            "kind": self.kind,
            "result": _jsonable(self.result),
            "error": error,
        }


class Functions:
    """Runs one app's event handlers; `use` serves a reloaded app (schedules restart)."""

    def __init__(
        self,
        invoker: Invoker,
        log: EventLog,
        where: Where,
        *,
        schedules: bool = True,
        clock_speed: float = 1.0,
    ) -> None:
        self.invoker = invoker
        self.log = log
        self.where = where
        self.schedules = schedules
        self.clock_speed = clock_speed
        """How many times faster than the wall clock schedules run (tests use > 1)."""
        self.app: App | None = None
        self.spec: AppSpec | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._timeouts: dict[str, float] = {}

    def use(self, app: App, spec: AppSpec, timeouts: dict[str, float] | None = None) -> None:
        """Serve `app`; its schedules start now (when schedules are on and a loop runs).

        `timeouts` are the handlers' function timeouts in seconds (none: no limit).
        """
        self.app, self.spec = app, spec
        self._timeouts = dict(timeouts or {})
        self.stop()
        if not self.schedules:
            return
        for function in spec.functions:
            if function.kind == SCHEDULE:
                task = asyncio.get_running_loop().create_task(self._run_schedule(function.name))
                self._tasks[function.name] = task

    @property
    def running_schedules(self) -> list[str]:
        """The names of the schedules running on their clock."""
        return [name for name, task in self._tasks.items() if not task.done()]

    def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()

    async def invoke(
        self, name: str, event: Any = None, body: str | None = None, at: datetime | None = None
    ) -> Invocation:
        """Invoke `name` with `event`, or with the event AWS would send for `body`.

        Raises:
            UnknownFunctionError: the app has no event handler `name`.
            ConfigError: `body` is not what the handler's kind needs.
        """
        assert self.app is not None and self.spec is not None, "use() comes first"
        app, function = self.app, self.spec.function(name)
        if function is None:
            raise UnknownFunctionError(name, self.spec.invocable())
        if event is None:
            event = build_event(function, body, self.where, at)
        else:
            check_event(function, event)
        start = time.perf_counter()
        handler = app.function_handler(name)
        seconds = self._timeouts.get(name)
        limit = None if seconds is None else TimeLimit(seconds, integration=False)
        outcome = await self.invoker.invoke(handler, f"{app.app_name}-{name}", event, limit)
        invocation = Invocation(name, function.kind, outcome.result, outcome.error)
        self.log.event(LABELS[function.kind], name, _summary(invocation, event), start)
        return invocation

    async def _run_schedule(self, name: str) -> None:
        assert self.spec is not None
        function = self.spec.function(name)
        assert function is not None
        schedule = parse(function.options["expression"])
        started = datetime.now(UTC)
        moment = started
        while True:
            following = schedule.next_time(moment)
            if following is None:
                self.log.info(f"wsgen local: schedule {name} will not fire again")
                return
            wait = (following - moment).total_seconds() / self.clock_speed
            await asyncio.sleep(max(0.0, wait))
            moment = following
            await self.invoke(name, at=following)  # EventBridge's `time`: the scheduled one


def _summary(invocation: Invocation, event: Any) -> str:
    if invocation.error is not None:
        return f"error ({type(invocation.error).__name__}: {invocation.error})"
    result = invocation.result
    if invocation.kind in (SQS, FAN_OUT) and isinstance(result, dict):
        failed = len(result.get("batchItemFailures") or [])
        total = len(event.get("Records", [])) if isinstance(event, dict) else 0
        if failed:
            return f"{failed} of {total} message(s) failed: SQS would deliver them again"
        return f"ok, {total} message(s)"
    return "ok"


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value
