"""`snap_start = true`: published versions with SnapStart, invoked through SAM's alias."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import ECHO
from tests.support.templates import Result, sam_transform

Wsgen = Callable[..., Result]
AppDir = Callable[..., Path]

APP = (
    ECHO
    + """

@app.ws_authorizer(identity_sources=["route.request.querystring.token"])
def authorize(event):
    from runtime import AuthResponse

    return AuthResponse.allow("u")


@app.on_ws_message(route="join")
def join(event):
    pass
"""
)


def template(wsgen: Wsgen, app_dir: AppDir, toml: str) -> dict[str, Any]:
    directory = app_dir(APP, {"wsgen.toml": toml})
    result = wsgen("template", "--app-dir", str(directory))
    assert (result.code, result.err) == (0, ""), result.err
    return result.template()


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: r for k, r in resources.items() if r["Type"] == kind}


@pytest.mark.slow  # SAM's translator: seconds of CPU
def test_the_function_publishes_snap_started_versions_and_api_gateway_calls_the_alias(
    wsgen: Wsgen, app_dir: AppDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = template(wsgen, app_dir, 'runtime = "python3.12"\nsnap_start = true\n')
    resources = t["Resources"]
    function = resources["WebsocketHandler"]["Properties"]
    assert function["AutoPublishAlias"] == "live"
    assert function["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    alias = {"Ref": "WebsocketHandler.Alias"}
    for integration in of_type(resources, "AWS::ApiGatewayV2::Integration").values():
        assert integration["Properties"]["IntegrationUri"]["Fn::Sub"][1] == {"Target": alias}
    (authorizer,) = of_type(resources, "AWS::ApiGatewayV2::Authorizer").values()
    assert authorizer["Properties"]["AuthorizerUri"]["Fn::Sub"][1] == {"Target": alias}
    permissions = of_type(resources, "AWS::Lambda::Permission").values()
    assert permissions and all(p["Properties"]["FunctionName"] == alias for p in permissions)

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    translated = sam_transform(t)["Resources"]
    (alias_id,) = of_type(translated, "AWS::Lambda::Alias")
    assert alias_id == "WebsocketHandlerAliaslive"
    (version,) = of_type(translated, "AWS::Lambda::Version").values()
    assert version["Properties"]["FunctionName"] == {"Ref": "WebsocketHandler"}
    lambda_function = translated["WebsocketHandler"]["Properties"]
    assert lambda_function["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    # Every invocation goes to the alias (a published version), never to $LATEST.
    for integration in of_type(translated, "AWS::ApiGatewayV2::Integration").values():
        assert integration["Properties"]["IntegrationUri"]["Fn::Sub"][1] == {
            "Target": {"Ref": alias_id}
        }
    for permission in of_type(translated, "AWS::Lambda::Permission").values():
        assert permission["Properties"]["FunctionName"] == {"Ref": alias_id}


CONNECTED = """

@app.on_ws_connected()
def greet(event):
    app.websocket_api.send(event.connection_id, "hi")
"""


@pytest.mark.slow  # cfn-lint
@pytest.mark.parametrize("snap_start", [True, False])
def test_on_ws_connected_may_invoke_the_version_running_and_the_template_lints_clean(
    wsgen: Wsgen, app_dir: AppDir, snap_start: bool
) -> None:
    """The connected step invokes the version the alias runs (`runtime.background`):
    its role may invoke the function's versions, not only `$LATEST`."""
    toml = f'runtime = "python3.12"\nsnap_start = {str(snap_start).lower()}\n'
    directory = app_dir(APP + CONNECTED, {"wsgen.toml": toml})
    result = wsgen("template", "--lint", "--app-dir", str(directory))
    assert (result.code, result.err) == (0, ""), result.err
    (policy,) = of_type(result.template()["Resources"], "AWS::IAM::Policy").values()
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    arn = {"Fn::GetAtt": ["WebsocketHandler", "Arn"]}
    versions = {"Fn::Sub": "${WebsocketHandler.Arn}:*"}
    assert statement["Resource"] == ([arn, versions] if snap_start else arn)


def test_a_function_can_opt_out_and_without_the_key_nothing_changes(
    wsgen: Wsgen, app_dir: AppDir
) -> None:
    toml = (
        'runtime = "python3.13"\nsnap_start = true\n\n'
        '[functions.worker]\nroutes = ["join"]\nsnap_start = false\n'
    )
    resources = template(wsgen, app_dir, toml)["Resources"]
    assert "AutoPublishAlias" in resources["WebsocketHandler"]["Properties"]
    worker = resources["WebsocketWorkerHandler"]["Properties"]
    assert "AutoPublishAlias" not in worker and "SnapStart" not in worker
    (join,) = [
        r for r in of_type(resources, "AWS::ApiGatewayV2::Integration").values()
        if "WebsocketWorkerHandler.Arn" in str(r)
    ]  # fmt: skip
    assert "Alias" not in str(join)
    plain = template(wsgen, app_dir, 'runtime = "python3.12"\n')["Resources"]
    assert "AutoPublishAlias" not in plain["WebsocketHandler"]["Properties"]
    assert "Alias" not in str(plain)


def test_python_3_11_is_refused_with_the_fix(wsgen: Wsgen, app_dir: AppDir) -> None:
    directory = app_dir(APP, {"wsgen.toml": 'runtime = "python3.11"\nsnap_start = true\n'})
    result = wsgen("template", "--app-dir", str(directory))
    assert result.code != 0 and result.out == ""
    assert result.err.endswith(
        "'snap_start' needs python3.12 or later (Lambda SnapStart for Python), not "
        'python3.11; set runtime = "python3.12"\n'
    )
    assert result.err.count("\n") == 1


def test_snap_start_on_a_tasks_table_is_left_out_with_a_warning(
    wsgen: Wsgen, app_dir: AppDir
) -> None:
    source = APP + "\n\n@app.task()\ndef report(topic):\n    pass\n"
    toml = 'runtime = "python3.12"\nsnap_start = true\n[functions.report]\nsnap_start = true\n'
    result = wsgen("template", "--app-dir", str(app_dir(source, {"wsgen.toml": toml})))
    assert result.code == 0
    assert result.err == (
        "warning: 'functions.report.snap_start' does nothing: task.delay() invokes the task's "
        "function by name, which runs $LATEST, and SnapStart applies only to published versions "
        "invoked through an alias, so the template leaves it out; remove it from "
        "[functions.report]\n"
    )
    resources = result.template()["Resources"]
    assert "SnapStart" not in resources["ReportFunction"]["Properties"]
    assert "SnapStart" in resources["WebsocketHandler"]["Properties"]
    # Inherited from the top level only, it is as documented: no warning.
    toml = 'runtime = "python3.12"\nsnap_start = true\n'
    result = wsgen("template", "--app-dir", str(app_dir(source, {"wsgen.toml": toml})))
    assert (result.code, result.err) == (0, "")
