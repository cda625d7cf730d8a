"""The template's resources, checked on the dict wsgen produces."""

from __future__ import annotations

import pytest

from runtime.spec import AppSpec, AuthorizerSpec, RouteSpec
from tests.support.templates import PREFIX, ROUTES, build, of_type, ref


@pytest.fixture
def spec() -> AppSpec:
    return AppSpec("chat", (*ROUTES, RouteSpec("join", "app.join", reply=True)))


def test_every_route_has_its_integration_and_scoped_permission(spec: AppSpec) -> None:
    template = build(spec, stage="dev")
    routes = of_type(template, "AWS::ApiGatewayV2::Route")
    integrations = of_type(template, "AWS::ApiGatewayV2::Integration")
    permissions = of_type(template, "AWS::Lambda::Permission")
    assert sorted(r["RouteKey"] for r in routes.values()) == sorted(r.key for r in spec.routes)
    for route in routes.values():
        target = route["Target"]["Fn::Join"][1]
        assert target[0] == "integrations"
        integration = integrations[ref(target[1])]
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert "${WebsocketHandler.Arn}/invocations" in integration["IntegrationUri"]["Fn::Sub"]
    arns = sorted(p["SourceArn"]["Fn::Sub"] for p in permissions.values())
    assert arns == sorted(f"{PREFIX}/dev/{route.key}" for route in spec.routes)


def test_iam_allows_manage_connections_on_this_stage_only(spec: AppSpec) -> None:
    function = build(spec, stage="dev")["Resources"]["WebsocketHandler"]["Properties"]
    [policy] = function["Policies"]
    [statement] = policy["Statement"]
    assert statement["Action"] == "execute-api:ManageConnections"
    resources = sorted(r["Fn::Sub"] for r in statement["Resource"])
    assert resources == [
        f"{PREFIX}/dev/{method}/@connections/*" for method in ("DELETE", "GET", "POST")
    ]


def test_a_two_way_route_has_a_default_route_response(spec: AppSpec) -> None:
    template = build(spec)
    join = template["Resources"]["WebsocketJoinRoute"]["Properties"]
    assert join["RouteResponseSelectionExpression"] == "$default"
    [response] = of_type(template, "AWS::ApiGatewayV2::RouteResponse").values()
    assert (ref(response["RouteId"]), response["RouteResponseKey"]) == (
        "WebsocketJoinRoute",
        "$default",
    )
    assert (
        "RouteResponseSelectionExpression"
        not in (template["Resources"]["WebsocketMessageRoute"]["Properties"])
    )


def test_stage_auto_deploys_so_an_added_route_goes_live() -> None:
    before = build(AppSpec("chat", ROUTES))
    after = build(AppSpec("chat", (*ROUTES, RouteSpec("join", "app.join"))))
    assert set(after["Resources"]) - set(before["Resources"]) == {
        "WebsocketJoinRoute",
        "WebsocketJoinAPIIntegration",
        "WebsocketJoinInvokePermission",
    }
    for template in (before, after):
        [stage] = of_type(template, "AWS::ApiGatewayV2::Stage").values()
        assert stage["AutoDeploy"] is True
        assert not of_type(template, "AWS::ApiGatewayV2::Deployment")


def test_route_selection_expression_goes_on_the_api() -> None:
    spec = AppSpec("chat", ROUTES, route_selection_expression="$request.body.type")
    [api] = of_type(build(spec), "AWS::ApiGatewayV2::Api").values()
    assert api["RouteSelectionExpression"] == "$request.body.type"
    assert api["ProtocolType"] == "WEBSOCKET"


def test_an_authorizer_guards_connect_with_its_own_permission() -> None:
    spec = AppSpec(
        "chat",
        ROUTES,
        authorizer=AuthorizerSpec("app.authorize", ("route.request.querystring.token",)),
    )
    template = build(spec, stage="dev")
    [(name, authorizer)] = of_type(template, "AWS::ApiGatewayV2::Authorizer").items()
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["IdentitySource"] == ["route.request.querystring.token"]
    assert "${WebsocketHandler.Arn}/invocations" in authorizer["AuthorizerUri"]["Fn::Sub"]
    connect = template["Resources"]["WebsocketConnectRoute"]["Properties"]
    assert (connect["AuthorizationType"], ref(connect["AuthorizerId"])) == ("CUSTOM", name)
    message = template["Resources"]["WebsocketMessageRoute"]["Properties"]
    assert message["AuthorizationType"] == "NONE"
    permission = template["Resources"]["WebsocketAuthorizerInvokePermission"]["Properties"]
    assert permission["SourceArn"]["Fn::Sub"].endswith(f"${{WebsocketAPI}}/authorizers/${{{name}}}")


def test_without_an_authorizer_there_is_none() -> None:
    assert not of_type(build(AppSpec("chat", ROUTES)), "AWS::ApiGatewayV2::Authorizer")


def test_a_route_key_with_a_dollar_brace_stays_literal_in_the_source_arn() -> None:
    template = build(AppSpec("chat", (RouteSpec("${x}", "app.x"),)))
    [permission] = of_type(template, "AWS::Lambda::Permission").values()
    assert permission["SourceArn"]["Fn::Sub"].endswith("/api/${!x}")


def test_function_serves_every_route_with_the_endpoint_and_settings(spec: AppSpec) -> None:
    template = build(
        spec,
        stage="dev",
        memory_size=512,
        timeout=10,
        environment={"TABLE": {"Ref": "Table"}},
        policies=[
            "AmazonS3ReadOnlyAccess",
            {"Effect": "Allow", "Action": "s3:Get*", "Resource": "x"},
        ],
        tags={"team": "chat"},
        log_retention_days=14,
    )
    [function] = of_type(template, "AWS::Serverless::Function").values()
    assert (function["Handler"], function["MemorySize"], function["Timeout"]) == (
        "app.app",
        512,
        10,
    )
    variables = function["Environment"]["Variables"]
    assert variables["TABLE"] == {"Ref": "Table"}
    assert variables["WSGEN_WEBSOCKET_ENDPOINT"] == {
        "Fn::Sub": "https://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/dev"
    }
    assert function["Policies"][1:] == [
        {"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "x"}]},
        "AmazonS3ReadOnlyAccess",
    ]
    assert function["Tags"] == {"team": "chat"}
    # No fixed name: Lambda has made /aws/lambda/<function> already if the app has run.
    logs = of_type(template, "AWS::Logs::LogGroup")["WebsocketHandlerLogGroup"]
    assert logs == {"RetentionInDays": 14}
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "WebsocketHandlerLogGroup"}}
    assert ref(function["Layers"][0]) in of_type(template, "AWS::Serverless::LayerVersion")


def test_without_a_retention_lambda_makes_the_functions_log_group(spec: AppSpec) -> None:
    template = build(spec)
    [function] = of_type(template, "AWS::Serverless::Function").values()
    assert "LoggingConfig" not in function
    assert "WebsocketHandlerLogGroup" not in template["Resources"]


def test_outputs_name_the_endpoints_the_api_and_the_function(spec: AppSpec) -> None:
    outputs = build(spec, stage="dev")["Outputs"]
    assert outputs["WebsocketConnectEndpointURL"]["Value"]["Fn::Sub"].startswith("wss://")
    assert outputs["WebsocketManagementEndpointURL"]["Value"]["Fn::Sub"].startswith("https://")
    assert set(outputs) >= {"WebsocketAPIId", "WebsocketHandlerName", "WebsocketHandlerArn"}
