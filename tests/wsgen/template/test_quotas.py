"""Quotas: a function's 20 KB policy, CloudFormation's 500 resources, 300 routes per API,
Lambda's 4 KB environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runtime.spec import AppSpec, AuthorizerSpec, RouteSpec
from tests.support.golden import GOLDEN_RUNTIME
from tests.support.templates import PREFIX, ROUTES, build, of_type, ref
from wsgen.exceptions import QuotaError
from wsgen.settings import settings_from
from wsgen.template import generate
from wsgen.template.names import logical_id
from wsgen.template.quotas import (
    ENVIRONMENT_BYTES,
    PERMISSIONS_PER_FUNCTION,
    RESOURCES_PER_STACK,
    check_environment_size,
    check_resource_quota,
    environment_size,
    route_quota_warning,
    transformed_count,
)

N = PERMISSIONS_PER_FUNCTION
AUTHORIZER = AuthorizerSpec("app.authorize", ("route.request.querystring.token",))


def spec(count: int, authorizer: AuthorizerSpec | None = None) -> AppSpec:
    routes = (
        RouteSpec("$connect", "app.c"),
        *(RouteSpec(f"r{i}", "app.r") for i in range(count - 1)),
    )
    return AppSpec("many", routes, authorizer=authorizer)


def targets(template: dict[str, Any]) -> dict[str, str]:
    """Each route key's integration, by logical id."""
    return {
        route["RouteKey"]: ref(route["Target"]["Fn::Join"][1][1])
        for route in of_type(template, "AWS::ApiGatewayV2::Route").values()
    }


def route_permissions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    permissions = of_type(template, "AWS::Lambda::Permission")
    permissions.pop("WebsocketAuthorizerInvokePermission", None)
    return permissions


def test_the_threshold_leaves_room_in_lambdas_20_kb_policy() -> None:
    """The arithmetic of quotas.py's comment, on the longest statement CloudFormation makes."""
    arn = "arn:aws-us-gov:{}:ap-southeast-2:123456789012:"
    statement = {
        "Sid": "s" * 100,
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn.format("lambda") + "function:" + "f" * 64,
        "Condition": {
            "ArnLike": {
                "AWS:SourceArn": arn.format("execute-api")
                + "a1b2c3d4e5/"
                + "s" * 128
                + "/"
                + "k" * 128
            }
        },
    }
    policy = {"Version": "2012-10-17", "Id": "default", "Statement": [statement] * N}
    size = len(json.dumps(policy, separators=(",", ":")))
    assert size < 20480 * 0.9, size


@pytest.mark.parametrize(("routes", "authorizer"), [(N, None), (N - 1, AUTHORIZER)])
def test_up_to_the_threshold_each_route_has_its_integration_and_permission(
    routes: int, authorizer: AuthorizerSpec | None
) -> None:
    template = build(spec(routes, authorizer), stage="dev")
    assert len(set(targets(template).values())) == routes
    permissions = route_permissions(template)
    arns = sorted(p["SourceArn"]["Fn::Sub"] for p in permissions.values())
    assert arns == sorted(f"{PREFIX}/dev/{route.key}" for route in spec(routes).routes)
    assert "WebsocketHandlerAPIIntegration" not in template["Resources"]


@pytest.mark.parametrize(("routes", "authorizer"), [(N + 1, None), (N, AUTHORIZER)])
def test_past_the_threshold_the_routes_share_one_integration_and_permission(
    routes: int, authorizer: AuthorizerSpec | None
) -> None:
    template = build(spec(routes, authorizer), stage="dev")
    assert len(targets(template)) == routes
    assert set(targets(template).values()) == {"WebsocketHandlerAPIIntegration"}
    [integration] = of_type(template, "AWS::ApiGatewayV2::Integration").values()
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert "${WebsocketHandler.Arn}/invocations" in integration["IntegrationUri"]["Fn::Sub"]
    [(name, permission)] = route_permissions(template).items()
    assert name == "WebsocketHandlerInvokePermission"
    assert ref(permission["FunctionName"]) == "WebsocketHandler"
    # Scoped to this API and stage: neither the API id nor the stage is a wildcard.
    assert permission["SourceArn"] == {"Fn::Sub": f"{PREFIX}/dev/*"}
    if authorizer:
        arn = template["Resources"]["WebsocketAuthorizerInvokePermission"]["Properties"][
            "SourceArn"
        ]
        assert "/authorizers/${WebsocketAuthorizer}" in arn["Fn::Sub"]


def test_each_function_chooses_its_layout_by_its_own_routes() -> None:
    many = spec(2 * N)
    worker = [f"r{i}" for i in range(N + 1)]
    template = build(many, stage="dev", functions={"worker": {"routes": worker}})
    routes = targets(template)
    assert {routes[key] for key in worker} == {"WebsocketWorkerHandlerAPIIntegration"}
    rest = [route.key for route in many.routes if route.key not in worker]
    assert len(rest) == N - 1
    assert [routes[key] for key in rest] == [logical_id("APIIntegration", key) for key in rest]
    permissions = route_permissions(template)
    assert permissions["WebsocketWorkerHandlerInvokePermission"]["SourceArn"]["Fn::Sub"].endswith(
        "/dev/*"
    )
    assert len(permissions) == 1 + len(rest)


def test_a_route_key_spelling_another_resources_id_gets_ids_of_its_own() -> None:
    routes = (RouteSpec("$connect", "app.c"), RouteSpec("authorizer", "app.a"))
    template = build(AppSpec("clash", routes, authorizer=AUTHORIZER), stage="dev")
    permissions = of_type(template, "AWS::Lambda::Permission")
    assert permissions["WebsocketAuthorizerInvokePermission"]["SourceArn"]["Fn::Sub"].endswith(
        "/authorizers/${WebsocketAuthorizer}"
    )
    mine = permissions[logical_id("InvokePermission", "authorizer")]
    assert mine["SourceArn"]["Fn::Sub"] == f"{PREFIX}/dev/authorizer"
    assert targets(template)["authorizer"] == logical_id("APIIntegration", "authorizer")


def test_route_keys_spelling_a_shared_integrations_id_get_ids_of_their_own() -> None:
    """`handler` beside the default function's shared integration, `workerHandler` beside
    the worker's: each route has its own integration and permission."""
    many = spec(N + 1)  # the default function shares its integration
    worker = [f"w{i}" for i in range(N + 1)]  # and so does the worker
    routes = (
        *many.routes,
        *(RouteSpec(key, "app.w") for key in worker),
        RouteSpec("handler", "app.h"),
        RouteSpec("workerHandler", "app.w"),
    )
    functions = {
        "worker": {"routes": worker},
        "solo": {"routes": ["handler", "workerHandler"]},
    }
    template = build(AppSpec("clash", routes), stage="dev", functions=functions)
    by_key = targets(template)
    assert by_key["r0"] == "WebsocketHandlerAPIIntegration"
    assert by_key["w0"] == "WebsocketWorkerHandlerAPIIntegration"
    for key in ("handler", "workerHandler"):
        assert by_key[key] == logical_id("APIIntegration", key)
        assert by_key[key] not in (
            "WebsocketHandlerAPIIntegration",
            "WebsocketWorkerHandlerAPIIntegration",
        )
        permission = route_permissions(template)[logical_id("InvokePermission", key)]
        assert permission["SourceArn"]["Fn::Sub"] == f"{PREFIX}/dev/{key}"


def test_a_logical_id_made_twice_is_an_error_not_a_silent_overwrite() -> None:
    from troposphere.sns import Topic

    from wsgen.exceptions import LogicalIdError
    from wsgen.template.quotas import new_template

    template = new_template("t")
    template.add_resource(Topic("WebsocketX"))
    with pytest.raises(LogicalIdError, match="'WebsocketX'"):
        template.add_resource(Topic("WebsocketX"))


def test_sam_functions_count_with_their_roles_and_events() -> None:
    def function(**properties: Any) -> dict[str, Any]:
        return {"Type": "AWS::Serverless::Function", "Properties": properties}

    template = {
        "Resources": {
            "Plain": {"Type": "AWS::SNS::Topic"},
            "Table": {"Type": "AWS::Serverless::SimpleTable"},
            "Fn": function(),
            "WithRole": function(Role="arn"),
            "Triggered": function(
                Events={"Get": {"Type": "Api", "Properties": {"Path": "/", "Method": "get"}}},
                AutoPublishAlias="live",
            ),
        }
    }
    # 1 + 1 + (function, role) + function + (function, role, 2 for the event, 2 for the
    # alias) + the implicit REST API's 3.
    assert transformed_count(template) == 1 + 1 + 2 + 1 + 6 + 3


def test_past_500_resources_the_error_names_the_count_and_the_fixes() -> None:
    resources = {f"T{i}": {"Type": "AWS::SNS::Topic"} for i in range(RESOURCES_PER_STACK)}
    assert check_resource_quota({"Resources": resources}) == RESOURCES_PER_STACK
    resources["Fn"] = {"Type": "AWS::Serverless::Function", "Properties": {}}
    with pytest.raises(QuotaError) as raised:
        check_resource_quota({"Resources": resources}, merged=True)
    message = str(raised.value)
    assert message.startswith("the template needs 502 resources once SAM transforms it")
    assert "500 Topic" in message and "CloudFormation's 500 per stack" in message
    assert "fewer routes" in message and "merged template" in message
    assert "[functions.NAME]" not in message and "two-way" not in message
    assert "\n" not in message


def test_more_routes_than_api_gateways_quota_is_a_warning() -> None:
    assert route_quota_warning(spec(300)) is None
    warning = route_quota_warning(spec(301))
    assert warning is not None and "301 routes" in warning and "300 routes per API" in warning


def test_the_error_suggests_fewer_functions_when_they_have_a_permission_per_route() -> None:
    routes = (
        RouteSpec("$connect", "app.c"),
        *(RouteSpec(f"r{i}", "app.r", True) for i in range(200)),
    )
    functions = {f"f{f}": {"routes": [f"r{f * N + i}" for i in range(N)]} for f in range(8)}
    template = build(AppSpec("many", routes), functions=functions)
    with pytest.raises(QuotaError) as raised:
        check_resource_quota(template)
    message = str(raised.value)
    assert "[functions.NAME] tables (a function serving over 25 routes" in message
    assert "fewer two-way routes (each adds a RouteResponse)" in message
    assert "merged template" not in message


def test_environment_size_is_lambdas_measure_and_a_lower_bound_for_intrinsics() -> None:
    """Lambda measures the compact JSON object ("String measured: {...}"); what CloudFormation
    computes counts as its literal text and one character per reference."""
    assert environment_size({"AB": "é"}) == len('{"AB":"é"}'.encode())
    endpoint = {"Fn::Sub": "https://${WebsocketAPI}.execute-api.${AWS::Region}.amazonaws.com/x"}
    assert environment_size({"E": endpoint}) == len(
        '{"E":"https://x.execute-api.x.amazonaws.com/x"}'
    )
    assert environment_size({"T": {"Ref": "Table"}}) == len('{"T":"x"}')


def test_an_environment_of_exactly_4_kb_deploys_and_one_byte_more_does_not() -> None:
    def template(size: int) -> dict[str, Any]:
        value = "v" * (size - len('{"BIG":""}'))
        function = {"Type": "AWS::Serverless::Function", "Properties": {}}
        function["Properties"] = {"Environment": {"Variables": {"BIG": value}}}
        return {"Resources": {"F": function}}

    check_environment_size(template(ENVIRONMENT_BYTES))
    with pytest.raises(QuotaError, match="F's environment variables take 4097 bytes"):
        check_environment_size(template(ENVIRONMENT_BYTES + 1))


def test_a_merged_templates_globals_count_toward_each_sam_functions_environment(
    tmp_path: Path,
) -> None:
    """SAM merges `Globals.Function.Environment.Variables` into every SAM function's."""
    big = "v" * ENVIRONMENT_BYTES
    merged = tmp_path / "resources.yaml"
    merged.write_text(
        json.dumps({"Globals": {"Function": {"Environment": {"Variables": {"BIG": big}}}}})
    )
    settings = settings_from({"runtime": GOLDEN_RUNTIME, "merge_template": merged}, "api")
    template = generate(AppSpec("globals", ROUTES), settings, ".", ".wsgen/runtime-layer")
    functions = of_type(template, "AWS::Serverless::Function")
    assert functions and all("BIG" not in str(properties) for properties in functions.values())
    message = r"WebsocketHandler's environment variables, with Globals.Function's, take \d+ bytes"
    with pytest.raises(QuotaError, match=message + r".*\(the largest: BIG\)"):
        check_environment_size(template)


def test_a_functions_own_variable_wins_over_the_global_one_and_lambda_takes_none() -> None:
    shared = {"Function": {"Environment": {"Variables": {"BIG": "v" * ENVIRONMENT_BYTES}}}}
    own = {"Environment": {"Variables": {"BIG": "small"}}}
    sam = {"Type": "AWS::Serverless::Function", "Properties": own}
    plain = {"Type": "AWS::Lambda::Function", "Properties": {}}
    check_environment_size({"Globals": shared, "Resources": {"F": sam, "L": plain}})
    alone = {"Type": "AWS::Serverless::Function", "Properties": {}}
    with pytest.raises(QuotaError, match="function Alone's environment"):
        check_environment_size({"Globals": shared, "Resources": {"Alone": alone}})
