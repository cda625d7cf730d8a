"""Per-route functions: `[functions.NAME]` of wsgen.toml."""

from __future__ import annotations

from runtime.spec import AppSpec, AuthorizerSpec, RouteSpec
from tests.support.templates import PREFIX, ROUTES, build, of_type, ref

SPEC = AppSpec(
    "chat",
    (*ROUTES, RouteSpec("join", "app.join")),
    authorizer=AuthorizerSpec("app.authorize", ("route.request.querystring.token",)),
)
WORKER = {
    "routes": ["join", "$disconnect"],
    "memory_size": 1024,
    "timeout": 5,
    "reserved_concurrency": 5,
    "environment": {"ROLE": "worker"},
    "policies": ["AWSXrayWriteOnlyAccess"],
}


def test_by_default_one_function_serves_every_route_and_the_authorizer() -> None:
    template = build(SPEC)
    assert list(of_type(template, "AWS::Serverless::Function")) == ["WebsocketHandler"]
    assert "ReservedConcurrentExecutions" not in str(template)


def test_named_function_serves_its_routes_with_its_own_settings() -> None:
    template = build(
        SPEC,
        stage="dev",
        environment={"SHARED": "1"},
        log_retention_days=7,
        functions={"worker": WORKER},
    )
    functions = of_type(template, "AWS::Serverless::Function")
    assert sorted(functions) == ["WebsocketHandler", "WebsocketWorkerHandler"]
    worker = functions["WebsocketWorkerHandler"]
    assert (worker["MemorySize"], worker["Timeout"], worker["ReservedConcurrentExecutions"]) == (
        1024,
        5,
        5,
    )
    assert worker["Handler"] == "app.app"
    assert ref(worker["Layers"][0]) == "WsgenRuntimeLayer"
    variables = worker["Environment"]["Variables"]
    assert (variables["SHARED"], variables["ROLE"]) == ("1", "worker")
    assert "WSGEN_WEBSOCKET_ENDPOINT" in variables
    assert worker["Policies"][0]["Statement"][0]["Action"] == "execute-api:ManageConnections"
    assert worker["Policies"][1:] == ["AWSXrayWriteOnlyAccess"]
    assert functions["WebsocketHandler"]["MemorySize"] == 128
    assert "ROLE" not in functions["WebsocketHandler"]["Environment"]["Variables"]
    resources = template["Resources"]
    for key, owner in [
        ("join", "WebsocketWorkerHandler"),
        ("$disconnect", "WebsocketWorkerHandler"),
        ("$connect", "WebsocketHandler"),
        ("$default", "WebsocketHandler"),
    ]:
        route = next(
            r
            for r in of_type(template, "AWS::ApiGatewayV2::Route").values()
            if r["RouteKey"] == key
        )
        integration = resources[ref(route["Target"]["Fn::Join"][1][1])]["Properties"]
        assert f"${{{owner}.Arn}}/invocations" in integration["IntegrationUri"]["Fn::Sub"]
        permission = next(
            p
            for p in of_type(template, "AWS::Lambda::Permission").values()
            if p["SourceArn"]["Fn::Sub"] == f"{PREFIX}/dev/{key}"
        )
        assert ref(permission["FunctionName"]) == owner
    for function in ("WebsocketHandler", "WebsocketWorkerHandler"):
        group = f"{function}LogGroup"
        assert resources[group]["Properties"] == {"RetentionInDays": 7}
        assert functions[function]["LoggingConfig"] == {"LogGroup": {"Ref": group}}
    assert set(template["Outputs"]) >= {"WebsocketWorkerHandlerName", "WebsocketWorkerHandlerArn"}


def test_the_authorizer_can_have_a_function_of_its_own() -> None:
    template = build(SPEC, functions={"gate": {"authorizer": True}})
    authorizer = template["Resources"]["WebsocketAuthorizer"]["Properties"]
    assert "${WebsocketGateHandler.Arn}" in authorizer["AuthorizerUri"]["Fn::Sub"]
    permission = template["Resources"]["WebsocketAuthorizerInvokePermission"]["Properties"]
    assert ref(permission["FunctionName"]) == "WebsocketGateHandler"


def test_without_routes_left_the_default_function_is_not_made() -> None:
    spec = AppSpec("chat", ROUTES)
    template = build(spec, functions={"all": {"routes": [r.key for r in ROUTES]}})
    assert list(of_type(template, "AWS::Serverless::Function")) == ["WebsocketAllHandler"]
    assert "WebsocketHandlerName" not in template["Outputs"]


def test_reserved_concurrency_of_the_default_function() -> None:
    function = build(SPEC, reserved_concurrency=2)["Resources"]["WebsocketHandler"]["Properties"]
    assert function["ReservedConcurrentExecutions"] == 2


def test_architecture_is_every_functions_and_the_layers_and_tracing_is_per_function() -> None:
    plain = build(SPEC)
    [function] = of_type(plain, "AWS::Serverless::Function").values()
    assert function["Architectures"] == ["x86_64"] and "Tracing" not in function
    [layer] = of_type(plain, "AWS::Serverless::LayerVersion").values()
    assert layer["CompatibleArchitectures"] == ["x86_64"]
    worker = {**WORKER, "tracing": False}
    traced = build(SPEC, architecture="arm64", tracing=True, functions={"worker": worker})
    functions = of_type(traced, "AWS::Serverless::Function")
    assert functions["WebsocketHandler"]["Tracing"] == "Active"
    assert "Tracing" not in functions["WebsocketWorkerHandler"]
    assert {f["Architectures"][0] for f in functions.values()} == {"arm64"}
    [layer] = of_type(traced, "AWS::Serverless::LayerVersion").values()
    assert layer["CompatibleArchitectures"] == ["arm64"]
