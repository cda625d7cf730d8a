"""The stage: access and execution logging, the account logging role, throttling."""

from __future__ import annotations

from typing import Any

from runtime.spec import AppSpec, RouteSpec
from tests.support.templates import ROUTES, build, of_type, ref
from wsgen.checks import MAX_ACCESS_LOG_FORMAT_BYTES
from wsgen.settings import settings_from
from wsgen.template.stage import DEFAULT_ACCESS_LOG_FORMAT, execution_logging, logs_anything

SPEC = AppSpec("chat", (*ROUTES, RouteSpec("join", "app.join")))


def stage_of(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template["Resources"]["WebsocketAPIStage"])


def test_access_logging_is_on_by_default_into_a_group_with_retention() -> None:
    template = build(SPEC)
    stage = stage_of(template)["Properties"]
    group = stage["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert of_type(template, "AWS::Logs::LogGroup")[group] == {"RetentionInDays": 30}
    assert stage["AccessLogSettings"]["Format"] == DEFAULT_ACCESS_LOG_FORMAT
    assert stage["DefaultRouteSettings"] == {
        "DataTraceEnabled": False,
        "LoggingLevel": "OFF",
        "ThrottlingBurstLimit": 500,
        "ThrottlingRateLimit": 1000,
    }
    assert "DependsOn" not in stage_of(template)


def test_the_access_log_outlives_the_stack_unless_a_setting_says_otherwise() -> None:
    def policies(template: dict[str, Any], name: str) -> tuple[str, str]:
        group = template["Resources"][name]
        return group["DeletionPolicy"], group["UpdateReplacePolicy"]

    kept = build(SPEC, logging_level="ERROR", log_retention_days=7)
    assert policies(kept, "WebsocketAPIAccessLogGroup") == ("Retain", "Retain")
    # The execution log and the function's logs go with the stack.
    assert policies(kept, "WebsocketAPIExecutionLogGroup") == ("Delete", "Delete")
    assert policies(kept, "WebsocketHandlerLogGroup") == ("Delete", "Delete")
    deleted = build(SPEC, access_log_deletion_policy="Delete")
    assert policies(deleted, "WebsocketAPIAccessLogGroup") == ("Delete", "Delete")


def test_the_default_format_is_one_json_object_of_websocket_context_variables() -> None:
    import json
    import re

    # API Gateway writes messageString already quoted, every other variable bare.
    quoted = DEFAULT_ACCESS_LOG_FORMAT.replace("$context.error.messageString", '"x"')
    fields = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "x", quoted))
    assert {"requestId", "ip", "eventType", "routeKey", "connectionId", "status"} <= set(fields)
    assert len(DEFAULT_ACCESS_LOG_FORMAT.encode()) <= MAX_ACCESS_LOG_FORMAT_BYTES
    assert "$context.identity.sourceIp" in DEFAULT_ACCESS_LOG_FORMAT


def test_access_log_retention_follows_log_retention_days() -> None:
    template = build(SPEC, log_retention_days=90)
    assert of_type(template, "AWS::Logs::LogGroup")["WebsocketAPIAccessLogGroup"] == {
        "RetentionInDays": 90
    }


def test_access_logging_can_be_turned_off_or_reformatted() -> None:
    off = build(SPEC, access_logging=False)
    assert "AccessLogSettings" not in stage_of(off)["Properties"]
    assert "WebsocketAPIAccessLogGroup" not in off["Resources"]
    custom = build(SPEC, access_log_format="$context.requestId $context.routeKey")
    settings = stage_of(custom)["Properties"]["AccessLogSettings"]
    assert settings["Format"] == "$context.requestId $context.routeKey"


def test_execution_logging_gets_a_group_with_retention_made_before_the_stage() -> None:
    template = build(SPEC, stage="dev", logging_level="INFO", data_trace=True)
    stage = stage_of(template)
    assert stage["Properties"]["DefaultRouteSettings"] == {
        "DataTraceEnabled": True,
        "LoggingLevel": "INFO",
        "ThrottlingBurstLimit": 500,
        "ThrottlingRateLimit": 1000,
    }
    group = template["Resources"]["WebsocketAPIExecutionLogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": "API-Gateway-Execution-Logs_${WebsocketAPI}/dev"}
    assert stage["DependsOn"] == ["WebsocketAPIExecutionLogGroup"]


def test_account_logging_role_is_trusted_by_api_gateway_and_set_before_the_stage() -> None:
    template = build(SPEC, account_logging_role=True)
    [(name, role)] = of_type(template, "AWS::IAM::Role").items()
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert role["ManagedPolicyArns"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs"
        }
    ]
    assert template["Resources"][name]["DeletionPolicy"] == "Retain"
    [(account_name, account)] = of_type(template, "AWS::ApiGateway::Account").items()
    assert account["CloudWatchRoleArn"] == {"Fn::GetAtt": [name, "Arn"]}
    assert stage_of(template)["DependsOn"] == [account_name]
    assert not of_type(build(SPEC), "AWS::IAM::Role")


def test_throttling_defaults_and_per_route_settings_wait_for_their_route() -> None:
    template = build(
        SPEC,
        throttling_burst_limit=100,
        throttling_rate_limit=50.5,
        routes={"join": {"throttling_burst_limit": 5, "throttling_rate_limit": 2}},
    )
    stage = stage_of(template)
    assert stage["Properties"]["DefaultRouteSettings"] == {
        "DataTraceEnabled": False,
        "LoggingLevel": "OFF",
        "ThrottlingBurstLimit": 100,
        "ThrottlingRateLimit": 50.5,
    }
    assert stage["Properties"]["RouteSettings"] == {
        "join": {"ThrottlingBurstLimit": 5, "ThrottlingRateLimit": 2}
    }
    assert stage["DependsOn"] == ["WebsocketJoinRoute"]


def test_a_route_can_log_more_than_the_default() -> None:
    template = build(SPEC, routes={"join": {"logging_level": "INFO", "data_trace": True}})
    settings = stage_of(template)["Properties"]["RouteSettings"]["join"]
    assert settings == {"DataTraceEnabled": True, "LoggingLevel": "INFO"}
    assert "WebsocketAPIExecutionLogGroup" in template["Resources"]


def test_one_rule_decides_execution_logging_for_the_group_and_the_role() -> None:
    cases: list[tuple[dict[str, Any], bool]] = [
        ({}, False),
        ({"logging_level": "ERROR"}, True),
        ({"routes": {"join": {"logging_level": "INFO"}}}, True),
        ({"logging_level": "INFO", "routes": {"join": {"logging_level": "OFF"}}}, True),
        ({"routes": {"join": {"throttling_burst_limit": 1}}}, False),
    ]
    for values, expected in cases:
        assert execution_logging(settings_from(values)) is expected
        template = build(SPEC, **values)
        assert ("WebsocketAPIExecutionLogGroup" in template["Resources"]) is expected
        assert logs_anything(settings_from({**values, "access_logging": False})) is expected


def test_content_handling_goes_on_every_integration() -> None:
    template = build(SPEC, content_handling="CONVERT_TO_TEXT")
    integrations = of_type(template, "AWS::ApiGatewayV2::Integration").values()
    assert {i["ContentHandlingStrategy"] for i in integrations} == {"CONVERT_TO_TEXT"}
    plain = of_type(build(SPEC), "AWS::ApiGatewayV2::Integration").values()
    assert not any("ContentHandlingStrategy" in i for i in plain)


def test_stage_refers_to_the_api() -> None:
    assert ref(stage_of(build(SPEC))["Properties"]["ApiId"]) == "WebsocketAPI"
