"""The API Gateway WebSocket API: the Api, its routes, integrations and authorizer.

Resource reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/AWS_ApiGatewayV2.html
"""

from __future__ import annotations

from typing import Any

from troposphere import AWSObject, Join, Ref, Template
from troposphere.apigatewayv2 import Api, Authorizer, Integration, Route, RouteResponse
from troposphere.awslambda import Permission

from runtime.contract import CONNECT, DEFAULT
from runtime.spec import AppSpec, AuthorizerSpec, RouteSpec

from ..exceptions import QuotaError
from .arns import execute_api_arn, invocations_uri, invoked_function
from .function import Functions
from .names import logical_id

MAX_API_NAME_CHARS = 128
"""API Gateway's limit on an API's name (docs/aws-facts.md#deploy-time-limits)."""
API_NAME_SUFFIX = "-websocket-api"
API_KEY_SELECTION = "$request.header.x-api-key"
"""Where API Gateway reads a WebSocket client's API key: its `x-api-key` header
(docs/aws-facts.md#access-control)."""


def api_name(spec: AppSpec) -> str:
    """The API's name, `{app_name}-websocket-api` (Chalice's).

    Raises:
        QuotaError: it is over API Gateway's 128 characters.
    """
    name = f"{spec.app_name}{API_NAME_SUFFIX}"
    if len(name) > MAX_API_NAME_CHARS:
        raise QuotaError(
            f"the API's name {spec.app_name[:20]}...{API_NAME_SUFFIX} is {len(name)} characters, "
            f"over API Gateway's {MAX_API_NAME_CHARS}; shorten App(app_name=...) to at most "
            f"{MAX_API_NAME_CHARS - len(API_NAME_SUFFIX)} characters"
        )
    return name


def add_api(t: Template, spec: AppSpec, tags: dict[str, Any]) -> Api:
    return t.add_resource(
        Api(
            logical_id("API"),
            Name=api_name(spec),
            ProtocolType="WEBSOCKET",
            RouteSelectionExpression=spec.route_selection_expression,
            **({"ApiKeySelectionExpression": API_KEY_SELECTION} if spec.api_key_required else {}),
            **({"Tags": tags} if tags else {}),
        )
    )


def add_integrations(
    t: Template, api: Api, functions: Functions, content_handling: str | None = None
) -> dict[str, Integration]:
    """An `AWS_PROXY` integration for each route, by route key.

    Each calls the function serving its route and has Chalice's id,
    `Websocket<Route>APIIntegration`. A function serving many routes (see
    `quotas.shares_invocation`) has one integration for all of them instead, named after
    the function: `WebsocketHandlerAPIIntegration`, `WebsocketWorkerHandlerAPIIntegration`.
    `content_handling` is the `ContentHandlingStrategy` (`CONVERT_TO_TEXT` or
    `CONVERT_TO_BINARY`), if any.
    """
    optional = {"ContentHandlingStrategy": content_handling} if content_handling else {}

    def add(title: str, function: AWSObject) -> Integration:
        return t.add_resource(
            Integration(
                title,
                ApiId=Ref(api),
                IntegrationType="AWS_PROXY",
                IntegrationUri=invocations_uri(function),
                **optional,
            )
        )

    integrations: dict[str, Integration] = {}
    for name, function in functions.all.items():
        keys = functions.routes(function)
        if functions.shares_invocation(function):
            shared = add(logical_id("HandlerAPIIntegration", function=name), function)
            integrations.update(dict.fromkeys(keys, shared))
        else:
            integrations.update({k: add(logical_id("APIIntegration", k), function) for k in keys})
    return integrations


def add_authorizer(
    t: Template, api: Api, function: AWSObject, authorizer: AuthorizerSpec
) -> Authorizer:
    """The REQUEST authorizer guarding `$connect`, and its scoped invoke permission."""
    resource = t.add_resource(
        Authorizer(
            logical_id("Authorizer"),
            ApiId=Ref(api),
            AuthorizerType="REQUEST",
            AuthorizerUri=invocations_uri(function),
            IdentitySource=list(authorizer.identity_sources),
            Name=authorizer.handler_name.rpartition(".")[2],
        )
    )
    t.add_resource(
        Permission(
            logical_id("AuthorizerInvokePermission"),
            Action="lambda:InvokeFunction",
            FunctionName=invoked_function(function),
            Principal="apigateway.amazonaws.com",
            SourceArn=execute_api_arn(api, "authorizers", resource),
        )
    )
    return resource


def add_routes(
    t: Template,
    api: Api,
    integrations: dict[str, Integration],
    spec: AppSpec,
    authorizer: Authorizer | None,
) -> dict[str, Route]:
    """A route per registered handler, by route key; two-way routes also get their response."""
    routes = {}
    for route in spec.routes:
        resource = t.add_resource(
            Route(
                logical_id("Route", route.key),
                ApiId=Ref(api),
                RouteKey=route.key,
                Target=Join("/", ["integrations", Ref(integrations[route.key])]),
                **_route_auth(route, authorizer, spec),
                **({"RouteResponseSelectionExpression": DEFAULT} if route.reply else {}),
            )
        )
        if route.reply:
            t.add_resource(
                RouteResponse(
                    logical_id("RouteResponse", route.key),
                    ApiId=Ref(api),
                    RouteId=Ref(resource),
                    RouteResponseKey=DEFAULT,
                )
            )
        routes[route.key] = resource
    return routes


def _route_auth(route: RouteSpec, authorizer: Authorizer | None, spec: AppSpec) -> dict[str, Any]:
    # API Gateway authorizes a WebSocket API's $connect only (docs/aws-facts.md#authorizer);
    # the app has IAM or a Lambda authorizer there, never both (runtime.App refuses it).
    if route.key != CONNECT:
        return {"AuthorizationType": "NONE"}
    auth: dict[str, Any] = {"AuthorizationType": "NONE"}
    if spec.iam_authorization:
        auth = {"AuthorizationType": "AWS_IAM"}
    elif authorizer is not None:
        auth = {"AuthorizationType": "CUSTOM", "AuthorizerId": Ref(authorizer)}
    if spec.api_key_required:
        auth["ApiKeyRequired"] = True
    return auth


def add_permissions(t: Template, api: Api, functions: Functions, stage: str) -> list[Permission]:
    """Let API Gateway invoke each route's function, for this API, stage and route only.

    Each has Chalice's id, `Websocket<Route>InvokePermission`.

    A function whose routes share one integration gets one permission for every route of
    this API's stage (`{api id}/{stage}/*`) instead, since Lambda caps a function's policy
    at 20 KB (see `quotas.PERMISSIONS_PER_FUNCTION`).
    """
    grants = []
    for name, function in functions.all.items():
        if functions.shares_invocation(function):
            grants.append((logical_id("HandlerInvokePermission", function=name), function, "*"))
        else:
            grants += [
                (logical_id("InvokePermission", k), function, k) for k in functions.routes(function)
            ]
    return [
        t.add_resource(
            Permission(
                title,
                Action="lambda:InvokeFunction",
                FunctionName=invoked_function(function),
                Principal="apigateway.amazonaws.com",
                SourceArn=execute_api_arn(api, f"{stage}/{route_key}"),
            )
        )
        for title, function, route_key in grants
    ]
