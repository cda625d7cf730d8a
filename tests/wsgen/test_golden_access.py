"""The golden template of a `$connect` needing IAM and an API key (tests/wsgen/apps/access).

test_golden.py checks that it is what `wsgen template` prints and that cfn-lint and
`sam validate --lint` accept it; SAM's translator is run here; test_checkov.py scans
it with the other golden templates.
"""

from __future__ import annotations

import pytest

from runtime.spec import AppSpec, AuthorizerSpec, RouteSpec
from tests.support.paths import GOLDEN
from tests.support.templates import build, of_type, parse, ref, sam_resources

TEMPLATE = GOLDEN / "access.yaml"


def test_connect_is_iam_authorized_and_needs_a_key_of_the_stages_usage_plan() -> None:
    template = parse(TEMPLATE.read_text())
    [api] = of_type(template, "AWS::ApiGatewayV2::Api").values()
    assert api["ApiKeySelectionExpression"] == "$request.header.x-api-key"
    routes = {r["RouteKey"]: r for r in of_type(template, "AWS::ApiGatewayV2::Route").values()}
    assert routes["$connect"]["AuthorizationType"] == "AWS_IAM"
    assert routes["$connect"]["ApiKeyRequired"] is True
    assert "AuthorizerId" not in routes["$connect"]
    assert "ApiKeyRequired" not in routes["whoami"]  # API Gateway checks the key at $connect
    [(plan_id, plan)] = of_type(template, "AWS::ApiGateway::UsagePlan").items()
    [stage_id] = of_type(template, "AWS::ApiGatewayV2::Stage")
    [stage] = plan["ApiStages"]
    assert (ref(stage["ApiId"]), ref(stage["Stage"])) == ("WebsocketAPI", stage_id)
    [(key_id, key)] = of_type(template, "AWS::ApiGateway::ApiKey").items()
    assert key["Enabled"] is True and "Value" not in key  # API Gateway generates it
    [joined] = of_type(template, "AWS::ApiGateway::UsagePlanKey").values()
    assert (ref(joined["KeyId"]), joined["KeyType"], ref(joined["UsagePlanId"])) == (
        key_id,
        "API_KEY",
        plan_id,
    )
    assert ref(template["Outputs"]["WebsocketAPIKeyId"]["Value"]) == key_id


def test_without_the_features_nothing_of_them_is_written() -> None:
    spec = AppSpec("plain", (RouteSpec("$connect", "app.c"), RouteSpec("$default", "app.m")))
    template = build(spec)
    assert not of_type(template, "AWS::ApiGateway::UsagePlan")
    assert (
        "ApiKeySelectionExpression"
        not in of_type(template, "AWS::ApiGatewayV2::Api")["WebsocketAPI"]
    )
    routes = of_type(template, "AWS::ApiGatewayV2::Route")
    assert routes["WebsocketConnectRoute"]["AuthorizationType"] == "NONE"
    assert "ApiKeyRequired" not in routes["WebsocketConnectRoute"]


def test_a_key_may_go_with_a_lambda_authorizer() -> None:
    authorizer = AuthorizerSpec("app.authorize", ("route.request.querystring.token",))
    spec = AppSpec(
        "keyed", (RouteSpec("$connect", "app.c"),), authorizer=authorizer, api_key_required=True
    )
    route = of_type(build(spec), "AWS::ApiGatewayV2::Route")["WebsocketConnectRoute"]
    assert (route["AuthorizationType"], route["ApiKeyRequired"]) == ("CUSTOM", True)
    assert ref(route["AuthorizerId"]) == "WebsocketAuthorizer"


@pytest.mark.slow  # SAM's translator: seconds of CPU
def test_sam_translator_keeps_the_usage_plan_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    translated = sam_resources(TEMPLATE, monkeypatch)
    kinds = {name: resource["Type"] for name, resource in translated.items()}
    assert kinds["WebsocketUsagePlan"] == "AWS::ApiGateway::UsagePlan"
    assert kinds["WebsocketAPIKey"] == "AWS::ApiGateway::ApiKey"
    assert kinds["WebsocketUsagePlanKey"] == "AWS::ApiGateway::UsagePlanKey"


def test_wsgen_tomls_local_keys_never_reach_the_template() -> None:
    spec = AppSpec("keyed", (RouteSpec("$connect", "app.c"),), api_key_required=True)
    template = build(spec, api_keys=["local-key-0123456789abcdef"])
    assert "local-key" not in str(template)
    [key] = of_type(template, "AWS::ApiGateway::ApiKey").values()
    assert "Value" not in key
