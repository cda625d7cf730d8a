"""Read-only wrappers over the events of the app's other AWS sources, named as in Chalice.

A schedule and an EventBridge rule deliver a `CloudWatchEvent`, SNS an `SNSEvent`, SQS an
`SQSEvent` of `SQSRecord`s and a DynamoDB stream a `DynamoDBEvent` of `DynamoDBRecord`s.
Each wraps the dict Lambda passed (`to_dict()` returns it); a key AWS always sends is read
with `[...]`, one it may leave out reads as None. Shapes:
https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (and with-sns, with-ddb,
services-cloudwatchevents).
"""

from __future__ import annotations

from .app import chain
from .contract import DYNAMODB, LAMBDA_FUNCTION, SNS, SQS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime
    from typing import Any


class _Key:
    """An attribute reading `raw[path...]`; with `optional`, a missing last key reads as None.

    One line per attribute instead of a property each: the runtime's source is compiled at
    every cold start, so its size is start-up time.
    """

    __slots__ = ("optional", "path")

    def __init__(self, *path: str | int, optional: bool = False) -> None:
        self.path = path
        self.optional = optional

    def __get__(self, event: Any, owner: Any = None) -> Any:
        if event is None:
            return self
        value = event.raw
        for key in self.path[:-1]:
            value = value[key]
        return value.get(self.path[-1]) if self.optional else value[self.path[-1]]


class _SourceEvent:
    __slots__ = ("context", "raw")

    def __init__(self, raw: dict[str, Any], context: Any = None) -> None:
        self.raw = raw
        self.context = context
        """The Lambda context object passed to the function, as in Chalice."""

    def to_dict(self) -> dict[str, Any]:
        """The raw event dict, as AWS sent it (not a copy)."""
        return self.raw


class LambdaFunctionEvent(_SourceEvent):
    """What middleware gets for an `@app.lambda_function` handler: the event dict, wrapped."""

    __slots__ = ()

    @property
    def event(self) -> dict[str, Any]:
        """The event dict (Chalice's name for it)."""
        return self.raw


class CloudWatchEvent(_SourceEvent):
    """An EventBridge event: what a schedule (`rate()`, `cron()`) or an `on_cw_event` rule sends."""

    __slots__ = ()
    version = _Key("version")
    account = _Key("account")
    region = _Key("region")
    detail = _Key("detail")
    detail_type = _Key("detail-type")
    source = _Key("source")
    time = _Key("time")
    """ISO 8601 text, as EventBridge sends it (`2026-12-01T10:00:00Z`)."""
    event_id = _Key("id")
    resources = _Key("resources")


class SNSEvent(_SourceEvent):
    """An SNS notification; Lambda delivers one message per invocation."""

    __slots__ = ()
    message = _Key("Records", 0, "Sns", "Message")
    subject = _Key("Records", 0, "Sns", "Subject", optional=True)
    message_attributes = _Key("Records", 0, "Sns", "MessageAttributes", optional=True)
    message_id = _Key("Records", 0, "Sns", "MessageId")
    topic_arn = _Key("Records", 0, "Sns", "TopicArn")
    timestamp = _Key("Records", 0, "Sns", "Timestamp")


class _Records(_SourceEvent):
    __slots__ = ()
    _record: type[_SourceEvent]

    def __iter__(self) -> Iterator[Any]:
        for record in self.raw["Records"]:
            yield self._record(record, self.context)

    def __len__(self) -> int:
        return len(self.raw["Records"])


class SQSRecord(_SourceEvent):
    """One SQS message of a batch."""

    __slots__ = ()
    body = _Key("body")
    receipt_handle = _Key("receiptHandle")
    message_id = _Key("messageId")
    message_attributes = _Key("messageAttributes")
    """`{name: {"dataType": ..., "stringValue": ...}}`, empty when the sender set none."""
    attributes = _Key("attributes")
    event_source_arn = _Key("eventSourceARN")


class SQSEvent(_Records):
    """A batch of SQS messages: iterate it for `SQSRecord`s.

    When the handler raises, the message it was handling and the ones after it are
    reported as failed (Lambda's partial batch response), so only those are retried; the
    ones it had finished with are deleted from the queue.
    """

    __slots__ = ("_next",)
    _record = SQSRecord

    def __init__(self, raw: dict[str, Any], context: Any = None) -> None:
        super().__init__(raw, context)
        self._next = -1  # index of the record being handled; -1 before the first

    def __iter__(self) -> Iterator[SQSRecord]:
        for index, record in enumerate(self.raw["Records"]):
            self._next = index
            yield SQSRecord(record, self.context)
        self._next = len(self.raw["Records"])

    def unfinished(self) -> list[str] | None:
        """The message ids from the one being handled on; None when that cannot be told.

        That is before the handler took a record, or after it took them all.
        """
        records = self.raw["Records"]
        if not 0 <= self._next < len(records):
            return None
        return [record["messageId"] for record in records[self._next :]]


class DynamoDBRecord(_SourceEvent):
    """One change of a DynamoDB stream (images in DynamoDB's typed JSON, `{"S": "..."}`)."""

    __slots__ = ()
    event_name = _Key("eventName")
    """`INSERT`, `MODIFY` or `REMOVE`."""
    event_id = _Key("eventID")
    event_source_arn = _Key("eventSourceARN")
    aws_region = _Key("awsRegion")
    keys = _Key("dynamodb", "Keys", optional=True)
    new_image = _Key("dynamodb", "NewImage", optional=True)
    old_image = _Key("dynamodb", "OldImage", optional=True)
    sequence_number = _Key("dynamodb", "SequenceNumber")
    size_bytes = _Key("dynamodb", "SizeBytes")
    stream_view_type = _Key("dynamodb", "StreamViewType", optional=True)

    @property
    def timestamp(self) -> datetime | None:
        """`ApproximateCreationDateTime` (epoch seconds) as a timezone-aware datetime."""
        seconds = self.raw["dynamodb"].get("ApproximateCreationDateTime")
        if seconds is None:
            return None
        from datetime import UTC, datetime

        return datetime.fromtimestamp(seconds, tz=UTC)

    @property
    def table_name(self) -> str:
        """The table, from `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`."""
        resource = self.event_source_arn.split(":", 5)[-1].split("/")
        return resource[1] if len(resource) > 1 else ""


class DynamoDBEvent(_Records):
    """A batch of stream records: iterate it for `DynamoDBRecord`s."""

    __slots__ = ()
    _record = DynamoDBRecord


# What an event handler's function runs per event (`App.function_handler`, for every kind
# but tasks and the fan-out, which read no event of these).


def source_handler(
    name: str, kind: str, handler: Callable[..., Any], middleware: tuple[Any, ...]
) -> Callable[[Any, Any], Any]:
    """The Lambda handler of the event handler `name` of `kind`: the event wrapped in its
    class, through Chalice's `middleware` (the first outermost), and the result shaped."""
    if kind == LAMBDA_FUNCTION:
        if not middleware:
            return handler
        # Middleware takes one event, as in Chalice: the dict and context wrapped.
        plain = chain(lambda wrapped: handler(wrapped.raw, wrapped.context), middleware)
        return lambda event, context: plain(LambdaFunctionEvent(event, context))
    chained = chain(handler, middleware)
    if kind == SQS:
        return lambda event, context: _sqs(name, chained, SQSEvent(event, context))
    wrap = SNSEvent if kind == SNS else DynamoDBEvent if kind == DYNAMODB else CloudWatchEvent

    def call(event: Any, context: Any) -> Any:
        try:
            return chained(wrap(event, context))
        except Exception as exc:
            _logger().error(
                "handler %s failed: %s: %s", name, type(exc).__name__, exc, extra={"raised": True}
            )
            raise

    return call


def _sqs(name: str, handler: Any, batch: SQSEvent) -> dict[str, Any]:
    """Call an SQS handler; report the messages it did not finish as the batch's failures.

    The function's event source mapping has `FunctionResponseTypes: [ReportBatchItemFailures]`:
    Lambda deletes every message of the batch but those listed, which the queue delivers
    again. When the failure cannot be tied to a message (the handler raised before taking
    one, or after taking them all), the exception propagates and the whole batch is retried.
    docs/aws-facts.md#event-sources
    """
    try:
        result = handler(batch)
    except Exception:
        failed = batch.unfinished()
        if failed is None:
            raise
        _logger().exception(
            "handler %s failed on message %s; %d of %d messages will be retried",
            name,
            failed[0],
            len(failed),
            len(batch),
        )
        return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}
    if isinstance(result, dict) and "batchItemFailures" in result:
        return result  # the handler reported its failures itself
    return {"batchItemFailures": []}


def _logger() -> Any:
    import logging  # only on failure: Lambda's bootstrap has it loaded anyway

    return logging.getLogger("runtime")
