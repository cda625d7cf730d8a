"""The events AWS delivers to each kind of event handler, built from a body alone.

`wsgen local` (its schedules, and `wsgen invoke --body`) and `wsgen.testing.Client.invoke`
build them here, key for key in the shapes of AWS's documented examples (tests/events has
one of each): https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, with-sns.html,
with-ddb.html, and EventBridge's event structure
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from runtime.contract import (
    CW_EVENT,
    DYNAMODB,
    FAN_OUT,
    FAN_OUT_FUNCTION,
    LAMBDA_FUNCTION,
    SCHEDULE,
    SNS,
    SQS,
    TASK,
    TASK_KEY,
)
from runtime.spec import FunctionSpec

from ..exceptions import ConfigError
from .checks import is_fifo, queue_name

FAN_OUT_QUEUE = "wsgen-fan-out"
"""The fan-out queue's name in local events' `eventSourceARN` (deployed, its name is made)."""
FAN_OUT_SPEC = FunctionSpec(FAN_OUT_FUNCTION, SQS, "", {"queue": FAN_OUT_QUEUE, "queue_arn": None})
"""The fan-out function as the SQS consumer its local events name."""


@dataclass(frozen=True)
class Where:
    """The account and region the events come from, and the app they are for."""

    region: str
    account: str
    app_name: str


def build_event(
    function: FunctionSpec, body: str | None, where: Where, at: datetime | None = None
) -> Any:
    """What AWS would send `function` for a message (or item, or detail) `body`.

    For a schedule the body is ignored unless given, then it is the event's `detail` (a JSON
    object); for an EventBridge rule it is the `detail`, with `source` and `detail-type` the
    first of the rule's pattern; for SQS and SNS it is the message; for a DynamoDB stream it
    is the new item as plain JSON (an INSERT; its first attribute is the key); for a plain
    function it is the event itself, as JSON. `at` is a schedule's time (default: now).

    Raises:
        ConfigError: the body is not what this kind needs (a JSON object, JSON).
    """
    if function.kind == SCHEDULE:
        return eventbridge_event(
            "Scheduled Event",
            "aws.events",
            {} if body is None else _json_object(body, function),
            where,
            [
                f"arn:aws:events:{where.region}:{where.account}:rule/{where.app_name}-{function.name}"
            ],
        )
    if function.kind == CW_EVENT:
        pattern = function.options["event_pattern"]
        return eventbridge_event(
            _first(pattern.get("detail-type"), "Local Event"),
            _first(pattern.get("source"), "wsgen.local"),
            {} if body is None else _json_object(body, function),
            where,
            [],
        )
    text = "" if body is None else body
    if function.kind == SQS:
        return {"Records": [sqs_record(function, text, where)]}
    if function.kind == FAN_OUT:  # a shard message of the fan-out queue
        return {"Records": [sqs_record(FAN_OUT_SPEC, text, where)]}
    if function.kind == SNS:
        return {"Records": [sns_record(function, text, where)]}
    if function.kind == DYNAMODB:
        item = {} if body is None else _json_object(body, function)
        return {"Records": [dynamodb_record(function, item, where)]}
    if function.kind == LAMBDA_FUNCTION:
        if body is None:
            return {}
        try:
            return json.loads(body)
        except ValueError:
            raise ConfigError(
                f"the event of lambda_function '{function.name}' is its --body as JSON, "
                f"and {body[:40]!r} is not JSON; quote a string: --body '\"text\"'"
            ) from None
    if function.kind == TASK:
        return _task_payload(function, body)
    raise ConfigError(f"'{function.name}' is a {function.kind} handler, which wsgen cannot invoke")


def _task_payload(function: FunctionSpec, body: str | None) -> dict[str, Any]:
    """A task's payload: `body` is its arguments as JSON, a list (positional) or an object
    (keyword arguments)."""
    value: Any = None
    if body is not None:
        try:
            value = json.loads(body)
        except ValueError:
            value = ...
    if value is ... or not isinstance(value, list | dict | None):
        raise ConfigError(
            f"the --body of task '{function.name}' is its arguments as JSON: a list of "
            "positional ones (--body '[1, \"a\"]') or an object of keyword ones "
            "(--body '{\"n\": 1}')"
        )
    args = value if isinstance(value, list) else []
    kwargs = value if isinstance(value, dict) else {}
    return {TASK_KEY: function.name, "args": args, "kwargs": kwargs}


def eventbridge_event(
    detail_type: str,
    source: str,
    detail: dict[str, Any],
    where: Where,
    resources: list[str],
    at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": where.account,
        "time": (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": where.region,
        "resources": resources,
        "detail": detail,
    }


def sqs_record(function: FunctionSpec, body: str, where: Where) -> dict[str, Any]:
    sent = str(time.time_ns() // 1_000_000)
    attributes = {
        "ApproximateReceiveCount": "1",
        "SentTimestamp": sent,
        "SenderId": f"AIDA{where.account}LOCAL",
        "ApproximateFirstReceiveTimestamp": sent,
    }
    if is_fifo(function):
        attributes.update(
            SequenceNumber=str(time.time_ns()),
            MessageGroupId="wsgen-local",
            MessageDeduplicationId=hashlib.sha256(body.encode()).hexdigest(),
        )
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": base64.b64encode(os.urandom(96)).decode(),
        "body": body,
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # SQS's own digest of the body
        "eventSource": "aws:sqs",
        "eventSourceARN": function.options["queue_arn"]
        or f"arn:aws:sqs:{where.region}:{where.account}:{queue_name(function)}",
        "awsRegion": where.region,
    }


def sns_record(function: FunctionSpec, message: str, where: Where) -> dict[str, Any]:
    topic = function.options["topic"]
    topic_arn = (
        topic if topic.startswith("arn:") else f"arn:aws:sns:{where.region}:{where.account}:{topic}"
    )
    subscription = f"{topic_arn}:{uuid.uuid4()}"
    host = f"https://sns.{where.region}.amazonaws.com"
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription,
        "Sns": {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic_arn,
            "Subject": None,  # a publish without a subject
            "Message": message,
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{time.time_ns() // 1_000_000 % 1000:03d}Z",
            "SignatureVersion": "1",
            "Signature": base64.b64encode(os.urandom(64)).decode(),
            "SigningCertUrl": f"{host}/SimpleNotificationService-wsgenlocal.pem",
            "UnsubscribeUrl": f"{host}/?Action=Unsubscribe&SubscriptionArn={subscription}",
            "MessageAttributes": {},
        },
    }


def dynamodb_record(function: FunctionSpec, item: dict[str, Any], where: Where) -> dict[str, Any]:
    """An INSERT of `item` (plain JSON) in DynamoDB's typed JSON; its first attribute is the key."""
    image = {name: typed(value) for name, value in item.items()}
    keys = dict(list(image.items())[:1])
    stream_arn = function.options["stream_arn"]
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": where.region,
        "dynamodb": {
            "ApproximateCreationDateTime": int(time.time()),
            "Keys": keys,
            "NewImage": image,
            "SequenceNumber": str(time.time_ns()),
            "SizeBytes": len(json.dumps(image)),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": stream_arn,
    }


def typed(value: Any) -> dict[str, Any]:
    """A plain JSON value as a DynamoDB attribute value: `"x"` is `{"S": "x"}`, 1 `{"N": "1"}`."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list):
        return {"L": [typed(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: typed(v) for k, v in value.items()}}
    raise TypeError(f"not a JSON value: {value!r}")


def _json_object(body: str, function: FunctionSpec) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ConfigError(
            f"the body for @app.{function.kind} handler '{function.name}' must be a JSON "
            f'object, such as --body \'{{"key": "value"}}\''
        )
    return value


def _first(values: Any, default: str) -> str:
    """The first plain value of an event pattern's list, as a matching event would carry."""
    if isinstance(values, list):
        for value in values:
            if isinstance(value, str):
                return value
    return default
