"""The connections table of an app with `App(..., connections=True)`, its IAM and env var."""

from __future__ import annotations

import json

import pytest

from runtime.contract import CONNECTIONS_TABLE_ENV, connections_table_schema
from runtime.spec import AppSpec, AuthorizerSpec, RouteSpec
from tests.support.templates import ROUTES, build, of_type, ref
from wsgen.template.connections import INDEX_ACTIONS, TABLE_ACTIONS

AUTHORIZER = AuthorizerSpec("app.authorize", ("route.request.querystring.token",))
TRACKED = AppSpec(
    "chat", (*ROUTES, RouteSpec("join", "app.join")), authorizer=AUTHORIZER, connections=True
)
UNTRACKED = AppSpec("chat", TRACKED.routes, authorizer=AUTHORIZER)
WORKER = {"routes": ["join"], "memory_size": 512}
AUTH = {"authorizer": True}


def test_the_table_is_on_demand_with_ttl_and_encrypted_with_the_shared_definition() -> None:
    tables = of_type(build(TRACKED), "AWS::DynamoDB::Table")
    table = tables["WebsocketConnectionsTable"]
    assert list(tables) == ["WebsocketConnectionsTable"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    schema = connections_table_schema()  # what wsgen local --dynamodb creates, too
    for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes"):
        assert table[key] == schema[key]


def test_every_function_gets_the_table_and_only_the_actions_the_runtime_uses() -> None:
    template = build(TRACKED, functions={"worker": WORKER, "gate": AUTH})
    functions = of_type(template, "AWS::Serverless::Function")
    assert sorted(functions) == [
        "WebsocketGateHandler",
        "WebsocketHandler",
        "WebsocketWorkerHandler",
    ]
    for function in functions.values():
        variables = function["Environment"]["Variables"]
        assert ref(variables[CONNECTIONS_TABLE_ENV]) == "WebsocketConnectionsTable"
        [policy] = [p for p in function["Policies"] if "dynamodb" in json.dumps(p)]
        table_statement, index_statement = policy["Statement"]
        assert table_statement["Action"] == list(TABLE_ACTIONS)
        assert table_statement["Resource"] == {"Fn::GetAtt": ["WebsocketConnectionsTable", "Arn"]}
        assert index_statement["Action"] == list(INDEX_ACTIONS) == ["dynamodb:Query"]
        assert index_statement["Resource"] == {
            "Fn::Sub": "${WebsocketConnectionsTable.Arn}/index/principal"
        }
    outputs = template["Outputs"]
    assert ref(outputs["WebsocketConnectionsTableName"]["Value"]) == "WebsocketConnectionsTable"


def test_an_event_handlers_function_gets_the_table_too() -> None:
    from runtime import App

    app = App("t", connections=True)
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.on_ws_message(route="join")(lambda event: None)
    app.schedule("rate(1 minute)")(lambda event: None)  # e.g. a periodic send to a group
    functions = of_type(build(app.spec()), "AWS::Serverless::Function")
    assert len(functions) == 2
    for function in functions.values():
        variables = function["Environment"]["Variables"]
        assert ref(variables[CONNECTIONS_TABLE_ENV]) == "WebsocketConnectionsTable"


def test_a_tracked_app_without_connect_or_disconnect_handlers_deploys_both_routes() -> None:
    from runtime import App

    app = App("t", connections=True)
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.on_ws_message(route="join")(lambda event: None)
    routes = of_type(build(app.spec()), "AWS::ApiGatewayV2::Route")
    assert sorted(r["RouteKey"] for r in routes.values()) == ["$connect", "$disconnect", "join"]


def test_without_tracking_the_template_has_none_of_it() -> None:
    template = build(UNTRACKED, functions={"worker": WORKER})
    assert of_type(template, "AWS::DynamoDB::Table") == {}
    text = json.dumps(template)
    assert CONNECTIONS_TABLE_ENV not in text and "dynamodb:" not in text


@pytest.mark.slow  # cfn-lint: seconds of CPU per template
def test_cfn_lint_accepts_a_tracked_template_with_several_functions() -> None:
    from cfnlint.api import lint

    template = build(TRACKED, functions={"worker": WORKER, "gate": AUTH})
    assert [str(match) for match in lint(json.dumps(template))] == []
