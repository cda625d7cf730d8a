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
    # The role SAM generates is the one the policy names; the function's own role does not
    # mention lambda:InvokeFunction (it would refer to the function: a cycle).
    assert translated["WebsocketGateHandlerRole"]["Type"] == "AWS::IAM::Role"
    assert "lambda:InvokeFunction" not in str(translated["WebsocketGateHandlerRole"])
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
