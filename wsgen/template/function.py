"""The Lambda side: the runtime layer, the functions serving the routes, their logs."""

from __future__ import annotations

import dataclasses
from typing import Any

from troposphere import GetAtt, Output, Ref, Template
from troposphere.apigatewayv2 import Api
from troposphere.awslambda import Environment, LoggingConfig, SnapStart
from troposphere.dynamodb import Table
from troposphere.logs import LogGroup
from troposphere.serverless import Function, LayerVersion
from troposphere.sqs import Queue

from runtime.contract import CONNECTIONS_TABLE_ENV, ENDPOINT_ENV
from runtime.spec import AppSpec

from ..settings import FunctionSettings, Settings, is_statement
from .arns import api_url, execute_api_arn
from .connections import connections_policy
from .fanout import fan_out_access
from .names import logical_id
from .quotas import shares_invocation
from .tasks import task_access, task_names
from .waivers import (
    DEAD_LETTER_QUEUE,
    LOG_GROUP_WAIVERS,
    Waiver,
    function_waivers,
    metadata,
)

SNAP_START_ALIAS = "live"
"""The alias SAM publishes for a `snap_start` function (`AutoPublishAlias`): API Gateway
invokes it, SAM's `{Function}Aliaslive` resource."""

HANDLER = "app.app"


def add_layer(t: Template, content_uri: str, settings: Settings) -> LayerVersion:
    """The `runtime` package, staged by `wsgen template` as `{content_uri}/python/runtime/`."""
    return t.add_resource(
        LayerVersion(
            logical_id("RuntimeLayer", prefix="Wsgen"),
            ContentUri=content_uri,
            CompatibleRuntimes=[settings.runtime],
            CompatibleArchitectures=[settings.architecture],
            Description="wsgen runtime: the Lambda side of a wsgen WebSocket app",
            RetentionPolicy="Delete",
        )
    )


def manage_connections_policy(api: Api, stage: str) -> dict[str, Any]:
    """`execute-api:ManageConnections` on this API and stage's `@connections` only.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html
    """
    return {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "execute-api:ManageConnections",
                "Resource": [
                    execute_api_arn(api, stage, method, "@connections", "*")
                    for method in ("DELETE", "GET", "POST")
                ],
            }
        ]
    }


@dataclasses.dataclass(frozen=True)
class Functions:
    """The template's functions: who serves each route key, and the authorizer."""

    all: dict[str | None, Function]
    """By `[functions.NAME]` name; None is the default function."""
    by_route: dict[str, Function]
    authorizer: Function | None

    def routes(self, function: Function) -> list[str]:
        """The route keys `function` serves."""
        return [key for key, server in self.by_route.items() if server is function]

    def shares_invocation(self, function: Function) -> bool:
        """Whether `function`'s routes share one integration and one invoke permission."""
        return shares_invocation(len(self.routes(function)), function is self.authorizer)


def add_functions(
    t: Template,
    api: Api,
    layer: LayerVersion,
    code_uri: str,
    handler: str,
    settings: Settings,
    spec: AppSpec,
    connections_table: Table | None = None,
    fan_out_queue: Queue | None = None,
) -> Functions:
    """One function per `[functions.NAME]`, and the default one for every other route.

    Every function runs the same code (`Handler: app.app`), which dispatches by route key,
    so each gets the connections table (when the app tracks connections) and access to it.
    """
    made: dict[str | None, Function] = {}
    by_route: dict[str, Function] = {}
    authorizer = None
    for name, plan in settings.function_settings(spec):
        days = settings.log_retention_days
        log_group = add_log_group(t, name, days) if days else None
        function = add_function(
            t,
            api,
            layer,
            code_uri,
            handler,
            settings,
            name,
            plan,
            log_group,
            connections_table=connections_table,
            tasks=task_names(spec),
            fan_out_queue=fan_out_queue,
        )
        made[name] = function
        by_route.update(dict.fromkeys(plan.routes, function))
        if plan.authorizer:
            authorizer = function
    return Functions(made, by_route, authorizer)


def add_function(
    t: Template,
    api: Api,
    layer: LayerVersion,
    code_uri: str,
    handler: str,
    settings: Settings,
    name: str | None,
    plan: FunctionSettings,
    log_group: LogGroup | None,
    *,
    title: str | None = None,
    environment: dict[str, Any] | None = None,
    events: dict[str, Any] | None = None,
    dead_letter_queue: Waiver = DEAD_LETTER_QUEUE,
    connections_table: Table | None = None,
    tasks: tuple[str, ...] = (),
    properties: dict[str, Any] | None = None,
    fan_out_queue: Queue | None = None,
) -> Function:
    """A function running the app: the same layer, endpoint, `ManageConnections` (and the
    connections table of a tracked app) for all.

    `title` defaults to the route function's id, `environment` adds to the endpoint's and
    comes before the settings' own, and `events` are SAM event sources; `dead_letter_queue`
    is why it has none (see `waivers`). With `tasks` (the app's `@app.task()` names) it may
    start each (`tasks.task_access`); with `fan_out_queue` it may send to it
    (`fanout.fan_out_access`); `properties` are more of the function's own.
    """
    statements = [p for p in plan.policies if is_statement(p)]
    others = [p for p in plan.policies if not is_statement(p)]
    policies = [manage_connections_policy(api, settings.stage)]
    if connections_table is not None:
        policies.append(connections_policy(connections_table))
    if statements:
        policies.append({"Statement": statements})
    if tasks:
        task_policy, task_variables = task_access(tasks)
        policies.append(task_policy)
    if fan_out_queue is not None:
        fan_out_policy, fan_out_variables = fan_out_access(fan_out_queue)
        policies.append(fan_out_policy)
    variables: dict[str, Any] = {ENDPOINT_ENV: api_url(api, "https", settings.stage)}
    if connections_table is not None:
        variables[CONNECTIONS_TABLE_ENV] = Ref(connections_table)
    if tasks:
        variables.update(task_variables)
    if fan_out_queue is not None:
        variables.update(fan_out_variables)
    variables.update(environment or {})
    variables.update(plan.environment)
    optional: dict[str, Any] = {"Events": events} if events else {}
    optional.update(properties or {})
    if plan.reserved_concurrency is not None:
        optional["ReservedConcurrentExecutions"] = plan.reserved_concurrency
    if settings.tags:
        optional["Tags"] = settings.tags
    if log_group is not None:
        optional["LoggingConfig"] = LoggingConfig(LogGroup=Ref(log_group))
    if plan.tracing:
        optional["Tracing"] = "Active"  # SAM adds the role's X-Ray write permission
    if plan.snap_start:
        # SAM publishes a version on each code or configuration change and points the
        # alias at it; SnapStart snapshots published versions only.
        optional["AutoPublishAlias"] = SNAP_START_ALIAS
        optional["SnapStart"] = SnapStart(ApplyOn="PublishedVersions")
    return t.add_resource(
        Function(
            title or logical_id("Handler", function=name),
            Metadata=metadata(function_waivers(plan.reserved_concurrency, dead_letter_queue)),
            CodeUri=code_uri,
            Handler=handler,
            Runtime=settings.runtime,
            Architectures=[settings.architecture],
            MemorySize=plan.memory_size,
            Timeout=plan.timeout,
            Layers=[Ref(layer)],
            Environment=Environment(Variables=variables),
            Policies=policies + others,
            **optional,
        )
    )


def add_log_group(t: Template, name: str | None, days: int) -> LogGroup:
    """The log group of the function `name`, with a retention; the function logs to it.

    It has no fixed name: Lambda makes `/aws/lambda/{function}` itself the first time a
    function without a log group of its own logs, so a template creating that name fails
    ("already exists") on an app already deployed and used. The function's `LoggingConfig`
    points at this group instead (the name CloudFormation gives it, from the stack's).
    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
    """
    return t.add_resource(
        LogGroup(
            logical_id("HandlerLogGroup", function=name),
            RetentionInDays=days,
            **log_group_attributes("Delete"),
        )
    )


def log_group_attributes(policy: str) -> dict[str, Any]:
    """A log group's `DeletionPolicy` and `UpdateReplacePolicy` (both `policy`), and the
    `Metadata` with its waivers."""
    return {
        "DeletionPolicy": policy,
        "UpdateReplacePolicy": policy,
        "Metadata": metadata(LOG_GROUP_WAIVERS),
    }


def add_outputs(t: Template, api: Api, functions: Functions, stage: str) -> None:
    t.add_output(
        [
            Output(
                "WebsocketConnectEndpointURL",
                Description="The URL clients connect to",
                Value=api_url(api, "wss", stage),
            ),
            Output(
                "WebsocketManagementEndpointURL",
                Description=f"The @connections endpoint the function calls ({ENDPOINT_ENV})",
                Value=api_url(api, "https", stage),
            ),
            Output("WebsocketAPIId", Description="The API's id", Value=Ref(api)),
        ]
    )
    for name, function in functions.all.items():
        t.add_output(
            [
                Output(
                    logical_id("HandlerName", function=name),
                    Description="The function" if name is None else f"The function {name}",
                    Value=Ref(function),
                ),
                Output(logical_id("HandlerArn", function=name), Value=GetAtt(function, "Arn")),
            ]
        )
