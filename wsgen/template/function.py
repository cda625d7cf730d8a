"""The Lambda side: the runtime layer, the one function serving every route, its logs."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Output, Ref, Sub, Template
from troposphere.apigatewayv2 import Api
from troposphere.awslambda import Environment
from troposphere.logs import LogGroup
from troposphere.serverless import Function, LayerVersion

from runtime.contract import ENDPOINT_ENV

from ..settings import Settings, is_statement
from .arns import api_url, execute_api_arn, var

HANDLER = "app.app"


def add_layer(t: Template, content_uri: str, settings: Settings) -> LayerVersion:
    """The `runtime` package, staged by `wsgen template` as `{content_uri}/python/runtime/`."""
    return t.add_resource(
        LayerVersion(
            "WsgenRuntimeLayer",
            ContentUri=content_uri,
            CompatibleRuntimes=[settings.runtime],
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


def add_function(
    t: Template, api: Api, layer: LayerVersion, code_uri: str, handler: str, settings: Settings
) -> Function:
    """One function for every route (`Handler: app.app`); the app dispatches by route key."""
    statements = [p for p in settings.policies if is_statement(p)]
    others = [p for p in settings.policies if not is_statement(p)]
    policies = [manage_connections_policy(api, settings.stage)]
    if statements:
        policies.append({"Statement": statements})
    environment = {ENDPOINT_ENV: api_url(api, "https", settings.stage), **settings.environment}
    return t.add_resource(
        Function(
            "WebsocketHandler",
            CodeUri=code_uri,
            Handler=handler,
            Runtime=settings.runtime,
            MemorySize=settings.memory_size,
            Timeout=settings.timeout,
            Layers=[Ref(layer)],
            Environment=Environment(Variables=environment),
            Policies=policies + others,
            **({"Tags": settings.tags} if settings.tags else {}),
        )
    )


def add_log_group(t: Template, function: Function, days: int) -> LogGroup:
    """The function's log group, made before Lambda makes it, to set its retention."""
    return t.add_resource(
        LogGroup(
            "WebsocketHandlerLogGroup",
            LogGroupName=Sub(f"/aws/lambda/{var(function)}"),
            RetentionInDays=days,
        )
    )


def add_outputs(t: Template, api: Api, function: Function, stage: str) -> None:
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
            Output("WebsocketHandlerName", Description="The function", Value=Ref(function)),
            Output("WebsocketHandlerArn", Value=GetAtt(function, "Arn")),
        ]
    )
