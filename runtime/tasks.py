"""Background tasks: `@app.task()` makes a function one; `task.delay(...)` starts it.

A task is a Lambda function of its own (`runtime.entry.handler`, like the event handlers),
started with an asynchronous invocation (docs/aws-facts.md#async-invocation): `delay()`
returns as soon as Lambda has queued the event, and the task runs up to its function's own
timeout (at most 15 minutes; wsgen.toml's `[functions.NAME] timeout`), well past API
Gateway's 29 seconds, free to `send()` its progress and result. A run that fails is retried
by Lambda (`[functions.NAME] retry_attempts`, 2 by default), then recorded in the failure
queue the template declares.

The payload is `{"wsgen.task": name, "args": [...], "kwargs": {...}}`, JSON.
"""

from __future__ import annotations

from .contract import TASK_KEY
from .exceptions import InvalidEventError, TaskArgumentsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol

    from .background import Background

    class HasBackground(Protocol):
        @property
        def background(self) -> Background: ...


class Task:
    """A function registered with `@app.task()`: call it to run it here, `delay` to start it
    in its own Lambda invocation."""

    def __init__(self, app: HasBackground, name: str, function: Callable[..., Any]) -> None:
        self._app = app
        self.name = name
        """The task's name: its function's, and its `[functions.NAME]` in wsgen.toml."""
        self.function = function
        self.__name__ = getattr(function, "__name__", name)
        self.__qualname__ = getattr(function, "__qualname__", name)
        self.__module__ = getattr(function, "__module__", "?")
        self.__doc__ = getattr(function, "__doc__", None)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task now, in this invocation (no Lambda of its own)."""
        return self.function(*args, **kwargs)

    def delay(self, *args: Any, **kwargs: Any) -> None:
        """Start the task with these (JSON-serialisable) arguments; returns at once.

        Raises:
            TaskArgumentsError: an argument is not JSON-serialisable (nothing is started).
            BackgroundInvokeError: Lambda refused the invocation (over 1 MB, say).
        """
        self._app.background.task(self.name, payload(self.name, args, kwargs))

    def __repr__(self) -> str:
        return f"Task({self.name!r})"


def payload(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The invocation's payload, its arguments checked to survive JSON as they are."""
    import json

    try:
        body = {TASK_KEY: name, "args": list(args), "kwargs": dict(kwargs)}
        copied: dict[str, Any] = json.loads(json.dumps(body))
    except (TypeError, ValueError) as exc:
        raise TaskArgumentsError(name, str(exc)) from None
    return copied


def run(name: str, handler: Callable[..., Any], event: Any) -> None:
    """Run the task `name` for an invocation's payload (its function's `function_handler`).

    Raises:
        InvalidEventError: the payload is not this task's.
        Exception: what the task raised (Lambda retries it, then the failure queue gets it).
    """
    if not isinstance(event, dict) or event.get(TASK_KEY) != name:
        raise InvalidEventError(f"{TASK_KEY} (this function runs task {name!r})")
    args = event.get("args") or []
    kwargs = event.get("kwargs") or {}
    try:
        handler(*args, **kwargs)
    except Exception as exc:
        import logging

        logging.getLogger("runtime").error(
            "task %s failed: %s: %s", name, type(exc).__name__, exc, extra={"raised": True}
        )
        raise
