"""Checks of the event handlers' decorator arguments, against what AWS accepts.

The runtime only records what the decorators were given (it runs at every cold start);
`wsgen template`, `wsgen local` and `wsgen.testing` refuse, through `check_functions`, what
CloudFormation or the event source mapping would refuse at deploy time.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

from runtime.contract import CW_EVENT, DYNAMODB, SCHEDULE, SNS, SQS
from runtime.spec import AppSpec, FunctionSpec

from ..exceptions import EventHandlerError

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_QUEUE_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:([A-Za-z0-9_.-]{1,80})$")
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,254}$")
"""A topic name the template makes, `${AWS::StackName}-name`, is at most 256 characters."""
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$")
_STREAM_ARN = re.compile(
    r"^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/[A-Za-z0-9_.-]{3,255}/stream/\S+$"
)
MAX_DESCRIPTION = 512  # an EventBridge rule's description
SQS_MAX_BATCH, SQS_MAX_FIFO_BATCH, SQS_MAX_WINDOW = 10000, 10, 300
SQS_MAX_MESSAGE_BYTES = 1048576
"""1 MiB: SQS's largest message (and batch of messages), what the template's queues take and
local SQS and the test client accept (docs/aws-facts.md#local-sqs)."""
DYNAMODB_MAX_BATCH = 10000
STARTING_POSITIONS = ("LATEST", "TRIM_HORIZON")


def check_functions(spec: AppSpec) -> None:
    """Refuse an event handler whose arguments would fail at deploy time.

    Raises:
        EventHandlerError: names the handler, the argument and what AWS accepts.
    """
    for function in spec.functions:
        problem = _problem(function)
        if problem:
            where = _defined_at(function.handler_name)
            raise EventHandlerError(function.kind, function.name, problem, where)


def _defined_at(handler_name: str) -> str:
    """`file:line` of a handler's first decorator (its code's first line), from its
    `module.qualname` when that module is loaded; the file relative to the working directory
    when under it. Empty when it cannot be found (a lambda, a nested function)."""
    parts = handler_name.split(".")
    for cut in range(len(parts) - 1, 0, -1):  # a package's module names hold dots too
        found: Any = sys.modules.get(".".join(parts[:cut]))
        if found is None:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute, None)
        code = getattr(found, "__code__", None)
        if code is None:
            return ""
        relative = os.path.relpath(code.co_filename)
        path = code.co_filename if relative.startswith("..") else relative
        return f"{path}:{code.co_firstlineno}"
    return ""


def queue_name(function: FunctionSpec) -> str:
    """The SQS queue's name, from `queue` or the name at the end of `queue_arn`."""
    queue = function.options["queue"]
    return str(queue) if queue is not None else str(function.options["queue_arn"]).split(":")[-1]


def is_fifo(function: FunctionSpec) -> bool:
    return queue_name(function).endswith(".fifo")


def content_based_deduplication(function: FunctionSpec) -> bool | None:
    """Whether `function`'s FIFO queue takes a send without a `MessageDeduplicationId`, the
    body's SHA-256 standing for it: not one the template makes (its `ContentBasedDeduplication`
    is false, CreateQueue's default, so that two sends of one body are two messages, and a send
    without an id fails at once rather than dropping a repeat); None for a `queue_arn=` queue,
    whose setting wsgen cannot see (docs/aws-facts.md#local-sqs)."""
    return None if function.options["queue_arn"] is not None else False


def _problem(function: FunctionSpec) -> str | None:
    if not isinstance(function.name, str) or not _NAME.match(function.name):
        return "its name must be 1-64 letters, digits, '-' and '_'; pass name='...'"
    options = function.options
    if function.kind == SCHEDULE:
        from .schedule import ScheduleError, parse  # calendar, datetime: for schedules only

        try:
            parse(options["expression"])
        except ScheduleError as exc:
            return f"expression {exc}"
        description = options["description"]
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            return f"description must be a string of at most {MAX_DESCRIPTION} characters"
    elif function.kind == SQS:
        return _sqs_problem(function)
    elif function.kind == SNS:
        topic = options["topic"]
        if not isinstance(topic, str) or not (_TOPIC_ARN.match(topic) or _TOPIC_NAME.match(topic)):
            return (
                f"topic {topic!r} is neither a topic name (1-254 letters, digits, '-', '_': "
                "deployed after the stack's name and '-', 256 at most) nor an SNS topic ARN"
            )
    elif function.kind == CW_EVENT:
        pattern = options["event_pattern"]
        if not isinstance(pattern, dict) or not pattern:
            return "event_pattern must be a non-empty dict, such as {'source': ['my.app']}"
        try:
            json.dumps(pattern)
        except (TypeError, ValueError):
            return "event_pattern must hold only JSON values (str, numbers, lists, dicts)"
    elif function.kind == DYNAMODB:
        return _dynamodb_problem(options)
    return None


def _sqs_problem(function: FunctionSpec) -> str | None:
    options = function.options
    queue, arn = options["queue"], options["queue_arn"]
    if (queue is None) == (arn is None):
        return "give exactly one of queue='name' (the template creates it) and queue_arn='arn:...'"
    if queue is not None:
        base = queue.removesuffix(".fifo") if isinstance(queue, str) else None
        # Deployed as `${AWS::StackName}-name` (template.sources.stack_scoped), 80 at most.
        if base is None or not _QUEUE_NAME.match(base) or len(queue) > 78:
            return (
                f"queue {queue!r} must be 1-78 letters, digits, '-' and '_' (optionally .fifo; "
                "deployed after the stack's name and '-', 80 at most)"
            )
    elif not isinstance(arn, str) or not _QUEUE_ARN.match(arn):
        return f"queue_arn {arn!r} is not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)"
    batch, window = options["batch_size"], options["maximum_batching_window_in_seconds"]
    limit = SQS_MAX_FIFO_BATCH if is_fifo(function) else SQS_MAX_BATCH
    if not _whole(batch) or not 1 <= batch <= limit:
        return f"batch_size must be 1-{limit}" + (" for a FIFO queue" if is_fifo(function) else "")
    if not _whole(window) or not 0 <= window <= SQS_MAX_WINDOW:
        return f"maximum_batching_window_in_seconds must be 0-{SQS_MAX_WINDOW}"
    if batch > 10 and window < 1:
        # docs/aws-facts.md#event-sources
        return "a batch_size over 10 needs maximum_batching_window_in_seconds of at least 1"
    return None


def _dynamodb_problem(options: dict[str, Any]) -> str | None:
    arn = options["stream_arn"]
    if not isinstance(arn, str) or not _STREAM_ARN.match(arn):
        return (
            f"stream_arn {arn!r} is not a DynamoDB stream ARN "
            "(arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL)"
        )
    batch = options["batch_size"]
    if not _whole(batch) or not 1 <= batch <= DYNAMODB_MAX_BATCH:
        return f"batch_size must be 1-{DYNAMODB_MAX_BATCH}"
    if options["starting_position"] not in STARTING_POSITIONS:
        return f"starting_position must be {' or '.join(STARTING_POSITIONS)}"
    return None


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
