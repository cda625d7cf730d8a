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

from runtime.aws import dns_suffix
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

from ..arns import arn
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


BODY_NEEDED = (SQS, SNS)
"""The kinds whose event is a message, which has no sensible default: a body is required."""


def build_event(
    function: FunctionSpec,
    body: str | None,
    where: Where,
    at: datetime | None = None,
    *,
    python: bool = False,
) -> Any:
    """What AWS would send `function` for a message (or item, or detail) `body`.

    For a schedule the body is ignored unless given, then it is the event's `detail` (a JSON
    object); for an EventBridge rule it is the `detail`, with `source` and `detail-type` the
    first of the rule's pattern; for SQS and SNS it is the message; for a DynamoDB stream it
    is the new item as plain JSON (an INSERT; its first attribute is the key); for a plain
    function it is the event itself, as JSON. `at` is a schedule's time (default: now).
    `python`: the errors name `body=` (`Client.invoke`) rather than `--body`.

    Raises:
        ConfigError: the body is not what this kind needs (a JSON object, JSON), or an SQS
            or SNS handler was given none.
    """
    if body is None and function.kind in BODY_NEEDED:
        raise ConfigError(
            f"@app.{function.kind} handler '{function.name}' needs the message to deliver: "
            f"{_body_form(function.kind, python, function.name)}"
        )
    if function.kind == SCHEDULE:
        return eventbridge_event(
            "Scheduled Event",
            "aws.events",
            {} if body is None else _json_object(body, function, python),
            where,
            [arn("events", where.region, where.account, f"rule/{where.app_name}-{function.name}")],
        )
    if function.kind == CW_EVENT:
        pattern = function.options["event_pattern"]
        return eventbridge_event(
            _first(pattern.get("detail-type"), "Local Event"),
            _first(pattern.get("source"), "wsgen.local"),
            {} if body is None else _json_object(body, function, python),
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
        item = {} if body is None else _json_object(body, function, python)
        return {"Records": [dynamodb_record(function, item, where)]}
    if function.kind == LAMBDA_FUNCTION:
        if body is None:
            return {}
        try:
            return json.loads(body)
        except ValueError:
            given = "body" if python else "--body"
            quoted = "body='\"text\"'" if python else "--body '\"text\"'"
            raise ConfigError(
                f"the event of lambda_function '{function.name}' is its {given} as JSON, "
                f"and {body[:40]!r} is not JSON; quote a string: {quoted}"
            ) from None
    if function.kind == TASK:
        return _task_payload(function, body, python)
    raise ConfigError(f"'{function.name}' is a {function.kind} handler, which wsgen cannot invoke")


def _task_payload(function: FunctionSpec, body: str | None, python: bool) -> dict[str, Any]:
    """A task's payload: `body` is its arguments as JSON, a list (positional) or an object
    (keyword arguments)."""
    value: Any = None
    if body is not None:
        try:
            value = json.loads(body)
        except ValueError:
            value = ...
    if value is ... or not isinstance(value, list | dict | None):
        if python:
            raise ConfigError(
                f"the body of task '{function.name}' is its arguments as JSON: a list of "
                "positional ones (body='[1, \"a\"]') or an object of keyword ones "
                "(body='{\"n\": 1}'); or call the task itself: "
                f"client.invoke('{function.name}', event=...) takes the payload"
            )
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
        or arn("sqs", where.region, where.account, queue_name(function)),
        "awsRegion": where.region,
    }


def sns_record(function: FunctionSpec, message: str, where: Where) -> dict[str, Any]:
    topic = function.options["topic"]
    topic_arn = (
        topic if topic.startswith("arn:") else arn("sns", where.region, where.account, topic)
    )
    subscription = f"{topic_arn}:{uuid.uuid4()}"
    host = f"https://sns.{where.region}.{dns_suffix(where.region)}"
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


def _json_object(body: str, function: FunctionSpec, python: bool) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        example = 'body=json.dumps({"key": "value"})' if python else '--body \'{"key": "value"}\''
        raise ConfigError(
            f"the body for @app.{function.kind} handler '{function.name}' must be a JSON "
            f"object (it is {body[:40]!r}), such as {example}"
        )
    return value


def _body_form(kind: str, python: bool, name: str) -> str:
    """How to give a handler of `kind` its body, in the caller's terms."""
    text = "TEXT" if kind in BODY_NEEDED else '{"key": "value"}'
    if python:
        return f"client.invoke('{name}', body='{text}')"
    return f"wsgen invoke {name} --body '{text}'"


def invoke_form(function: FunctionSpec) -> str:
    """The `wsgen invoke` command that fires `function` (its body, when it needs one)."""
    if function.kind in BODY_NEEDED:
        return _body_form(function.kind, False, function.name)
    if function.kind == TASK:  # its arguments: a list (positional) or an object (keywords)
        return f"wsgen invoke {function.name} --body '[...]'"
    return f"wsgen invoke {function.name}"


EVENT_KEYS = {SCHEDULE: "detail", CW_EVENT: "detail"}
"""The key a hand-made event of these kinds must have (each kind's runtime wrapper reads it)."""
RECORDS = (SQS, SNS, DYNAMODB, FAN_OUT)
"""The kinds whose event is a batch: a `Records` list."""


def check_event(function: FunctionSpec, event: Any, *, python: bool = False) -> None:
    """Refuse a hand-made event (`wsgen invoke --event`, `client.invoke(event=)`) that the
    handler's kind cannot read, in one line, rather than a traceback from inside the runtime
    (which, in Lambda, trusts the event AWS sends and checks nothing).

    Raises:
        ConfigError: the event is not an object, or lacks the key its kind reads.
    """
    kind = function.kind
    if kind in (LAMBDA_FUNCTION, TASK):  # any JSON / checked by the task's own runner
        return
    given = "event=" if python else "--event"
    body = _body_form(kind, python, function.name)
    fix = f"pass the whole event as AWS sends it, or only its body with {body}"
    what = f"the event for @app.{kind} handler '{function.name}'"
    if not isinstance(event, dict):
        raise ConfigError(f"{what} ({given}) must be a JSON object, not {_json_type(event)}; {fix}")
    key = EVENT_KEYS.get(kind)
    if key is not None and key not in event:
        raise ConfigError(f'{what} ({given}) has no "{key}", which EventBridge events have; {fix}')
    if kind in RECORDS and not isinstance(event.get("Records"), list):
        raise ConfigError(
            f'{what} ({given}) has no "Records" list, which every {_source(kind)} event has; {fix}'
        )


def _source(kind: str) -> str:
    return {SQS: "SQS", FAN_OUT: "SQS", SNS: "SNS", DYNAMODB: "DynamoDB stream"}[kind]


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else type(value).__name__


def _first(values: Any, default: str) -> str:
    """The first plain value of an event pattern's list, as a matching event would carry."""
    if isinstance(values, list):
        for value in values:
            if isinstance(value, str):
                return value
    return default
