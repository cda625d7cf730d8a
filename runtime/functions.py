"""The app's event handlers: schedules, queues, topics, EventBridge rules, streams, functions.

The decorators (Chalice's, with its parameters) are mixed into `App`. Each handler becomes a
Lambda function of its own whose handler is `runtime.entry.handler`; `function_handler(name)`
is what that function calls per event: it wraps the event in its class, calls the handler
and shapes the result (`runtime.sources.source_handler`, loaded by those functions only).
The WebSocket entry point (`App.__call__`) does not change: these functions never reach it.
`Rate` and `Cron` are `runtime.schedules`' (loaded by the apps that use them).
"""

from __future__ import annotations

from .common_errors import EVENT_ONLY, refuse_async, refuse_uncalled, refuse_wrong_signature
from .contract import CW_EVENT, DYNAMODB, FAN_OUT, LAMBDA_FUNCTION, SCHEDULE, SNS, SQS, TASK

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Never, TypeVar

    from .schedules import Cron, Rate

    H = TypeVar("H", bound=Callable[..., Any])
    LambdaHandler = Callable[[Any, Any], Any]


class _Function:
    __slots__ = ("handler", "kind", "name", "options")

    def __init__(self, name: str, kind: str, handler: Any, options: dict[str, Any]) -> None:
        self.name = name
        self.kind = kind
        self.handler = handler
        self.options = options


# The decorator of each kind, and what its handler is called with (a task: its delay()'s
# arguments, known only then; the fan-out's handler is wsgen's own).
_DECORATORS = {
    SCHEDULE: "schedule",
    SQS: "on_sqs_message",
    SNS: "on_sns_message",
    CW_EVENT: "on_cw_event",
    DYNAMODB: "on_dynamodb_record",
    LAMBDA_FUNCTION: "lambda_function",
}
_CALLED_WITH = {LAMBDA_FUNCTION: ("event", "context")}
"""What a kind's handler is called with, if not the event alone."""

# Chalice's middleware event type of each kind (`@app.middleware("sqs")`).
_MIDDLEWARE_TYPES = {
    SCHEDULE: "scheduled",
    SQS: "sqs",
    SNS: "sns",
    CW_EVENT: "cloudwatch",
    DYNAMODB: "dynamodb",
    LAMBDA_FUNCTION: "pure_lambda",
}


class EventSources:
    """The event-handler decorators of `App`; each registers a function of its own."""

    _functions: dict[str, _Function]

    def middleware_for(self, event_type: str) -> tuple[Any, ...]:
        """The middleware of `event_type` (`App` has the registry)."""
        return ()

    def schedule(
        self,
        expression: str | Rate | Cron,
        name: str | None = None,
        description: str = "",
        **unknown: Never,
    ) -> Callable[[H], H]:
        """Run the handler on a `rate(...)` or `cron(...)` schedule; it gets a `CloudWatchEvent`."""
        refuse_uncalled("schedule", expression, '"rate(5 minutes)"', unknown=unknown)
        if not isinstance(expression, str):
            expression = expression.to_string()
        return self._function(SCHEDULE, name, expression=expression, description=description)

    def on_sqs_message(
        self,
        queue: str | None = None,
        batch_size: int = 1,
        name: str | None = None,
        queue_arn: str | None = None,
        maximum_batching_window_in_seconds: int = 0,
        **unknown: Never,
    ) -> Callable[[H], H]:
        """Handle batches of an SQS queue (`queue` by name, created by the template, or
        `queue_arn`); the handler gets an `SQSEvent`."""
        refuse_uncalled("on_sqs_message", queue, 'queue="NAME"', unknown=unknown)
        return self._function(
            SQS,
            name,
            queue=queue,
            queue_arn=queue_arn,
            batch_size=batch_size,
            maximum_batching_window_in_seconds=maximum_batching_window_in_seconds,
        )

    def on_sns_message(
        self, topic: str, name: str | None = None, **unknown: Never
    ) -> Callable[[H], H]:
        """Handle an SNS topic's messages (a name, created by the template, or an ARN)."""
        refuse_uncalled("on_sns_message", topic, 'topic="NAME"', unknown=unknown)
        return self._function(SNS, name, topic=topic)

    def on_cw_event(
        self, event_pattern: dict[str, Any], name: str | None = None, **unknown: Never
    ) -> Callable[[H], H]:
        """Handle the EventBridge events matching `event_pattern`; it gets a `CloudWatchEvent`."""
        refuse_uncalled("on_cw_event", event_pattern, "event_pattern={...}", unknown=unknown)
        return self._function(CW_EVENT, name, event_pattern=event_pattern)

    def on_dynamodb_record(
        self,
        stream_arn: str,
        batch_size: int = 100,
        starting_position: str = "LATEST",
        name: str | None = None,
        **unknown: Never,
    ) -> Callable[[H], H]:
        """Handle a DynamoDB stream's records; the handler gets a `DynamoDBEvent`."""
        refuse_uncalled("on_dynamodb_record", stream_arn, 'stream_arn="ARN"', unknown=unknown)
        return self._function(
            DYNAMODB,
            name,
            stream_arn=stream_arn,
            batch_size=batch_size,
            starting_position=starting_position,
        )

    def lambda_function(self, name: str | None = None, **unknown: Never) -> Callable[[H], H]:
        """A plain Lambda function of the app: the handler takes `(event, context)`."""
        refuse_uncalled("lambda_function", name, unknown=unknown)
        return self._function(LAMBDA_FUNCTION, name)

    def _function(self, kind: str, name: str | None, **options: Any) -> Callable[[H], H]:
        def register(handler: H) -> H:
            key = handler.__name__ if name is None else name
            existing = self._functions.get(key)
            if existing is not None:
                from .exceptions import RegistrationError

                raise RegistrationError(
                    f"{kind} registered a second handler named '{key}' (already "
                    f"{existing.handler.__qualname__}); give one another name=..."
                )
            decorator = _DECORATORS.get(kind)
            if decorator is not None:
                called_with = _CALLED_WITH.get(kind, EVENT_ONLY)
                refuse_wrong_signature(decorator, handler, called_with)
            else:  # a task: called with its own arguments, but never awaited either
                refuse_async(kind, handler)
            self._functions[key] = _Function(key, kind, handler, options)
            return handler

        return register

    def function_handler(self, name: str) -> LambdaHandler:
        """What the Lambda function of the event handler `name` runs per event.

        Raises:
            FunctionNotFoundError: the app has no event handler of that name.
        """
        entry = self._functions.get(name)
        if entry is None:
            from .exceptions import FunctionNotFoundError

            raise FunctionNotFoundError(name, sorted(self._functions))
        handler = entry.handler
        if entry.kind == TASK:  # no Chalice kind, so no middleware
            from .tasks import run

            return lambda event, context: run(name, handler, event)
        if entry.kind == FAN_OUT:  # wsgen's own queue consumer: no middleware either
            from .fanout import consume

            return lambda event, context: consume(self, event, context)
        # Chalice's middleware of the kind, and "all": `middleware(event, get_response)`
        # around the handler, the first registered outermost; none: the handler itself.
        middleware = self.middleware_for(_MIDDLEWARE_TYPES[entry.kind])
        # Here, not at import: only an event handler's own function reads these events.
        from .sources import source_handler

        return source_handler(name, entry.kind, handler, middleware)


def load(app_path: str, name: str) -> LambdaHandler:
    """The handler of the event handler `name` of the App at `app_path` (`module.attribute`)."""
    import sys

    module_name, _, attribute = app_path.rpartition(".")
    __import__(module_name)
    app = getattr(sys.modules[module_name], attribute)
    return app.function_handler(name)  # type: ignore[no-any-return]
