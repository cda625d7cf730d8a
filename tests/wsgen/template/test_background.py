"""The template's part of `@app.on_ws_connected`: the `$connect` function may invoke itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.templates import Result, features_template, sam_transform


def _policies(template: dict[str, Any]) -> dict[str, Any]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Policy"
    }


@pytest.mark.slow  # cfn-lint and SAM's translator: seconds of CPU
def test_the_connect_function_may_invoke_only_itself_without_a_cycle(
    wsgen: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cfnlint.api import lint_file

    text, template = features_template(wsgen, tmp_path / "features")
    # features.py's [functions.gate] serves $connect (and the authorizer)
    assert _policies(template) == {
        "WebsocketGateConnectedInvokePolicy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "invoke-self-for-on-ws-connected",
                "Roles": [{"Ref": "WebsocketGateHandlerRole"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "lambda:InvokeFunction",
                            "Resource": {"Fn::GetAtt": ["WebsocketGateHandler", "Arn"]},
                        }
                    ],
                },
            },
        }
    }
    (tmp_path / "t.yaml").write_text(text)
    assert [str(m) for m in lint_file(tmp_path / "t.yaml")] == []  # E3004: no cycle
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    translated = sam_transform(template)["Resources"]
    # The role SAM generates is the one the policy names; the role itself never refers to
    # the function (that would be a cycle).
    assert translated["WebsocketGateHandlerRole"]["Type"] == "AWS::IAM::Role"
    assert "WebsocketGateHandler'" not in str(translated["WebsocketGateHandlerRole"])
    assert "WebsocketGateHandler.Arn" not in str(translated["WebsocketGateHandlerRole"])
    assert translated["WebsocketGateHandler"]["Properties"]["Role"] == {
        "Fn::GetAtt": ["WebsocketGateHandlerRole", "Arn"]
    }


def test_an_app_without_on_ws_connected_gets_no_invoke_permission(
    wsgen: Callable[..., Result], app_dir: Callable[..., Path]
) -> None:
    directory = app_dir(
        "from runtime import App\n"
        "app = App('plain')\n"
        "app.experimental_feature_flags.update(['WEBSOCKETS'])\n"
        "@app.on_ws_connect()\n"
        "def connect(event):\n"
        "    pass\n"
    )
    result = wsgen("template", cwd=directory)
    assert result.code == 0, result.err
    assert _policies(result.template()) == {}


@pytest.mark.slow  # SAM's translator
def test_a_task_is_a_named_function_with_its_retries_and_failure_queue(
    wsgen: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, template = features_template(wsgen, tmp_path / "features")
    resources = template["Resources"]
    task = resources["ReportFunction"]["Properties"]
    assert task["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-report"}
    assert task["Timeout"] == 900
    assert task["Environment"]["Variables"]["WSGEN_FUNCTION"] == "report"
    assert task["EventInvokeConfig"] == {
        "MaximumRetryAttempts": 1,
        "DestinationConfig": {
            "OnFailure": {
                "Type": "SQS",
                "Destination": {"Fn::GetAtt": ["WsgenTaskFailureQueue", "Arn"]},
            }
        },
    }
    assert resources["WsgenTaskFailureQueue"]["Properties"]["MessageRetentionPeriod"] == 1209600
    # Every function (the task's too) may start the task, by its name: no reference to it.
    invoke = {
        "Effect": "Allow",
        "Action": "lambda:InvokeFunction",
        "Resource": [
            {
                "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:"
                "function:${AWS::StackName}-report"
            }
        ],
    }
    functions = [r for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]
    assert len(functions) == 4
    for function in functions:
        properties = function["Properties"]
        assert {"Statement": [invoke]} in properties["Policies"]
        variables = properties["Environment"]["Variables"]
        assert variables["WSGEN_TASK_FUNCTION_PREFIX"] == {"Fn::Sub": "${AWS::StackName}-"}
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    translated = sam_transform(template)["Resources"]
    configs = [r for r in translated.values() if r["Type"] == "AWS::Lambda::EventInvokeConfig"]
    assert len(configs) == 1 and configs[0]["Properties"]["MaximumRetryAttempts"] == 1
    # SAM lets the task's role send to its destination.
    assert "sqs:SendMessage" in str(translated["ReportFunctionRole"])
