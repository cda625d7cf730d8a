"""The event handlers' functions: one per handler, with its SAM event source, queue or topic.

Each runs the app's code and layer like the route functions do (the management endpoint in
its environment, `ManageConnections` on this stage's `@connections`), with
`Handler: runtime.entry.handler` and the handler's name in `WSGEN_FUNCTION`. The source's own
permissions are SAM's: an invoke permission for a schedule, rule or topic, the managed
execution role policy for a queue or stream. SAM event sources:
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-eventsource.html
"""

from __future__ import annotations

import dataclasses
from typing import Any

from troposphere import GetAtt, Output, Ref, Sub, Tags, Template
from troposphere.apigatewayv2 import Api
from troposphere.dynamodb import Table
from troposphere.logs import LogGroup
from troposphere.serverless import Function, LayerVersion
from troposphere.sns import Topic
from troposphere.sqs import Queue

from runtime.contract import (
    APP_ENV,
    CW_EVENT,
    DYNAMODB,
    FAN_OUT,
    FUNCTION_ENV,
    FUNCTION_HANDLER,
    SCHEDULE,
    SNS,
    SQS,
    TASK,
)
from runtime.spec import AppSpec, FunctionSpec

from ..settings import FunctionSettings, Settings
from ..sources.checks import content_based_deduplication, is_fifo
from .fanout import fan_out_source
from .function import add_function, log_group_attributes
from .names import logical_id
from .queues import MAX_VISIBILITY_TIMEOUT, queue
from .tasks import add_failure_queue, task_names, task_properties
from .waivers import (
    ASYNC_DEAD_LETTER_QUEUE,
    POLLED_DEAD_LETTER_QUEUE,
    TASK_DEAD_LETTER_QUEUE,
)

SNS_MANAGED_KEY = "alias/aws/sns"


def stack_scoped(name: str) -> Sub:
    """`${AWS::StackName}-{name}`: a queue's or topic's name in the account and region.

    A queue or topic name is unique per account and region, so the bare name given to
    `on_sqs_message(queue=...)` or `on_sns_message(...)` would make a second stack of the app
    (another stage, another copy) fail to create it, or, for a topic, share it. The stack's
    name keeps each stack's own, still readable (`jobs-prod-jobs`, `...-ordered.fifo`: the
    suffix a FIFO queue's name needs stays last) (docs/aws-facts.md#cloudformation).
    """
    return Sub("${AWS::StackName}-" + name)


def add_event_functions(
    t: Template,
    api: Api,
    layer: LayerVersion,
    code_uri: str,
    app_handler: str,
    settings: Settings,
    spec: AppSpec,
    connections_table: Table | None = None,
    fan_out_queue: Queue | None = None,
) -> dict[str, Function]:
    """A function per event handler, by handler name; queues and topics it names by name.

    `app_handler` is the App object as Lambda names a handler (`app.app`): `WSGEN_APP`.
    """
    made = {}
    tasks = task_names(spec)
    failures = add_failure_queue(t, settings) if tasks else None
    for function in spec.functions:
        plan = settings.handler_settings(function)
        if function.kind == TASK:
            # delay() invokes the function unqualified ($LATEST); SnapStart and the alias's
            # EventInvokeConfig would apply to the alias only.
            plan = dataclasses.replace(plan, snap_start=False)
        days = settings.log_retention_days
        log_group = (
            t.add_resource(
                LogGroup(
                    logical_id("FunctionLogGroup", handler=function.name),
                    RetentionInDays=days,
                    **log_group_attributes("Delete"),
                )
            )
            if days
            else None
        )
        source = (
            fan_out_source(fan_out_queue, plan.maximum_concurrency)
            if function.kind == FAN_OUT and fan_out_queue is not None
            else _event_source(t, function, plan, settings)
        )
        made[function.name] = add_function(
            t,
            api,
            layer,
            code_uri,
            FUNCTION_HANDLER,
            settings,
            function.name,
            plan,
            log_group,
            title=logical_id("Function", handler=function.name),
            environment={APP_ENV: app_handler, FUNCTION_ENV: function.name},
            events={_EVENT_NAMES[function.kind]: source} if source else None,
            dead_letter_queue=(
                POLLED_DEAD_LETTER_QUEUE
                if function.kind in _POLLED
                else TASK_DEAD_LETTER_QUEUE
                if function.kind == TASK
                else ASYNC_DEAD_LETTER_QUEUE
            ),
            tasks=tasks,
            properties=(
                task_properties(function.name, plan, failures)
                if function.kind == TASK and failures is not None
                else None
            ),
            connections_table=connections_table,
            fan_out_queue=fan_out_queue,
        )
        t.add_output(
            Output(
                logical_id("FunctionName", handler=function.name),
                Description=(
                    "The function sending the shards of large fan-outs"
                    if function.kind == FAN_OUT
                    else f"The function of @app.{function.kind} handler {function.name}"
                ),
                Value=Ref(made[function.name]),
            )
        )
    return made


# The kinds whose events an event source mapping polls and invokes synchronously; the others
# are invoked asynchronously (a schedule, a rule, a topic) or by name.
_POLLED = (SQS, DYNAMODB, FAN_OUT)

# The key of each kind's event in the function's `Events`; SAM names the resources it makes
# after it (`HeartbeatFunctionSchedule`, the rule; `JobsFunctionQueue`, the mapping).
_EVENT_NAMES = {
    SCHEDULE: "Schedule",
    SQS: "Queue",
    SNS: "Topic",
    CW_EVENT: "Rule",
    DYNAMODB: "Stream",
    FAN_OUT: "Queue",
}


def _event_source(
    t: Template, function: FunctionSpec, plan: FunctionSettings, settings: Settings
) -> dict[str, Any] | None:
    options = function.options
    if function.kind == SCHEDULE:
        properties: dict[str, Any] = {"Schedule": options["expression"]}
        if options["description"]:
            properties["Description"] = options["description"]
        return {"Type": "Schedule", "Properties": properties}
    if function.kind == SQS:
        return {"Type": "SQS", "Properties": _sqs(t, function, plan, settings)}
    if function.kind == SNS:
        return {"Type": "SNS", "Properties": {"Topic": _topic(t, function, settings)}}
    if function.kind == CW_EVENT:
        return {"Type": "EventBridgeRule", "Properties": {"Pattern": options["event_pattern"]}}
    if function.kind == DYNAMODB:
        return {
            "Type": "DynamoDB",
            "Properties": {
                "Stream": options["stream_arn"],
                "StartingPosition": options["starting_position"],
                "BatchSize": options["batch_size"],
            },
        }
    return None  # lambda_function: invoked by name only


def _sqs(
    t: Template, function: FunctionSpec, plan: FunctionSettings, settings: Settings
) -> dict[str, Any]:
    """The SQS event's properties; the queue is made here when given by name.

    Lambda refuses a mapping whose queue's visibility timeout is shorter than the function's
    timeout; AWS recommends six times the timeout, plus the batching window
    (docs/aws-facts.md#event-sources).
    """
    options = function.options
    window = options["maximum_batching_window_in_seconds"]
    arn: Any = options["queue_arn"]
    if options["queue"] is not None:
        resource = queue(
            t,
            logical_id("Queue", handler=function.name),
            settings.tags,
            QueueName=stack_scoped(options["queue"]),
            VisibilityTimeout=min(MAX_VISIBILITY_TIMEOUT, 6 * plan.timeout + window),
            **(
                {
                    "FifoQueue": True,
                    # Local SQS follows the same answer (wsgen.gateway.sqs.send_fifo).
                    "ContentBasedDeduplication": content_based_deduplication(function),
                }
                if is_fifo(function)
                else {}
            ),
        )
        arn = GetAtt(resource, "Arn")
        t.add_output(
            Output(
                logical_id("QueueURL", handler=function.name),
                Description=f"The queue of handler {function.name}",
                Value=Ref(resource),
            )
        )
    properties = {
        "Queue": arn,
        "BatchSize": options["batch_size"],
        # Lambda then retries only the messages the response lists (see runtime/functions.py).
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }
    if window:
        properties["MaximumBatchingWindowInSeconds"] = window
    if plan.maximum_concurrency is not None:
        # The poller's own cap: reserved concurrency would throttle its invocations, which
        # returns their messages to the queue, a receive each (docs/aws-facts.md#fan-out).
        properties["ScalingConfig"] = {"MaximumConcurrency": plan.maximum_concurrency}
    return properties


def _topic(t: Template, function: FunctionSpec, settings: Settings) -> Any:
    """The topic's ARN: as given, or the `Ref` of a topic made here for a name.

    Encrypted with the account's AWS managed SNS key; publishers in the account need no key
    policy of their own for it.
    """
    topic = function.options["topic"]
    if topic.startswith("arn:"):
        return topic
    resource = t.add_resource(
        Topic(
            logical_id("Topic", handler=function.name),
            TopicName=stack_scoped(topic),
            KmsMasterKeyId=SNS_MANAGED_KEY,
            **({"Tags": Tags(settings.tags)} if settings.tags else {}),
        )
    )
    t.add_output(
        Output(
            logical_id("TopicARN", handler=function.name),
            Description=f"The topic of handler {function.name}",
            Value=Ref(resource),
        )
    )
    return Ref(resource)
