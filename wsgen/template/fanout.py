"""`App(..., fan_out=True)` in the template: the fan-out queue, its dead-letter queue, access.

Shards of a large fan-out (`runtime.fanout`) go through `WsgenFanOutQueue` to the fan-out
function (`WsgenFanOutFunction`, `[functions.wsgen_fan_out]`), whose SAM `SQS` event polls it
ten messages at a time and reports partial batch failures. A message delivered
`FAN_OUT_MAX_RECEIVES` times without success moves to `WsgenFanOutDeadLetterQueue` (the
queue's redrive policy; SQS's console or `StartMessageMoveTask` moves it back). Every
function of the app may send to the queue, and only to it (`sqs:SendMessage`, which also
authorizes `SendMessageBatch`), and finds it by `WSGEN_FAN_OUT_QUEUE_URL`.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
"""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Output, Ref, Template
from troposphere.sqs import Queue, RedrivePolicy

from runtime.contract import (
    FAN_OUT_BATCH_SIZE,
    FAN_OUT_FUNCTION,
    FAN_OUT_MAX_RECEIVES,
    FAN_OUT_QUEUE_ENV,
)
from runtime.spec import AppSpec

from ..settings import Settings
from .queues import MAX_VISIBILITY_TIMEOUT, failure_queue, queue


def add_fan_out_queue(t: Template, settings: Settings, spec: AppSpec) -> Queue | None:
    """The fan-out queue and its dead-letter queue, for an app with `fan_out=True`."""
    function = spec.function(FAN_OUT_FUNCTION)
    if function is None:
        return None
    timeout = settings.handler_settings(function).timeout
    # Kept 14 days: time to look at a shard that could not be sent, and redrive it.
    dead_letters = failure_queue(t, "WsgenFanOutDeadLetterQueue", settings.tags)
    shards = queue(
        t,
        "WsgenFanOutQueue",
        settings.tags,
        # Lambda refuses a mapping whose queue's visibility timeout is shorter than the
        # function's timeout; AWS recommends six times it (docs/aws-facts.md#event-sources).
        VisibilityTimeout=min(MAX_VISIBILITY_TIMEOUT, 6 * timeout),
        RedrivePolicy=RedrivePolicy(
            deadLetterTargetArn=GetAtt(dead_letters, "Arn"),
            maxReceiveCount=FAN_OUT_MAX_RECEIVES,
        ),
    )
    t.add_output(
        [
            Output(
                "WsgenFanOutQueueURL",
                Description="Where the shards of large fan-outs wait for WsgenFanOutFunction",
                Value=Ref(shards),
            ),
            Output(
                "WsgenFanOutDeadLetterQueueURL",
                Description="Shards the fan-out function failed on every delivery",
                Value=Ref(dead_letters),
            ),
        ]
    )
    return shards


def fan_out_access(queue: Queue) -> tuple[dict[str, Any], dict[str, Any]]:
    """The policy sending to the fan-out queue, and the environment naming it."""
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": GetAtt(queue, "Arn")}
        ]
    }
    return policy, {FAN_OUT_QUEUE_ENV: Ref(queue)}


def fan_out_source(queue: Queue, maximum_concurrency: int | None = None) -> dict[str, Any]:
    """The fan-out function's SAM `SQS` event: the queue, ten at a time, partial failures,
    and the poller's cap when `[functions.wsgen_fan_out] maximum_concurrency` sets one."""
    properties: dict[str, Any] = {
        "Queue": GetAtt(queue, "Arn"),
        "BatchSize": FAN_OUT_BATCH_SIZE,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }
    if maximum_concurrency is not None:
        properties["ScalingConfig"] = {"MaximumConcurrency": maximum_concurrency}
    return {"Type": "SQS", "Properties": properties}
