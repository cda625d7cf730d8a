"""Templates in tests: `wsgen` run in-process, parsed, or built straight from settings."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cfn_tools import load_yaml

from runtime.spec import AppSpec, RouteSpec
from wsgen.settings import settings_from
from wsgen.template import build_template

from .builders import routes_source
from .golden import GOLDEN_ARGS, GOLDEN_RUNTIME
from .paths import SAM_PYTHON


@dataclass
class Result:
    """What an in-process `wsgen` run gave (the `wsgen` fixture of tests/wsgen)."""

    code: int
    out: str
    err: str
    """stderr without `wsgen template`'s bytecode note (in `notes`)."""
    notes: str = ""

    def template(self) -> dict[str, Any]:
        return parse(self.out)


def parse(text: str) -> dict[str, Any]:
    """A YAML or JSON template as plain long-form dicts (`!Ref X` becomes `{"Ref": "X"}`)."""
    loaded: dict[str, Any] = json.loads(json.dumps(load_yaml(text)))
    return loaded


ROUTES = (  # the routes every app of the template tests has
    RouteSpec("$connect", "app.connect"),
    RouteSpec("$default", "app.message"),
    RouteSpec("$disconnect", "app.disconnect"),
)
PREFIX = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebsocketAPI}"


def build(spec: AppSpec, stage: str = "api", **values: Any) -> dict[str, Any]:
    """The template of `spec` with a wsgen.toml holding `values` (checked as a file's are)."""
    settings = settings_from({"runtime": GOLDEN_RUNTIME, **values}, stage)
    return dict(build_template(spec, settings, ".", ".wsgen/runtime-layer").to_dict())


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The properties of the template's resources of type `kind`, by logical id."""
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == kind}


def ref(value: Any) -> str:
    """The logical id a `{"Ref": ...}` names."""
    assert set(value) == {"Ref"}, value
    return str(value["Ref"])


def quota_template(wsgen: Callable[..., Result], directory: Path) -> tuple[str, dict[str, Any]]:
    """The template of an app with API Gateway's 300 routes (written into `directory`).

    The default function's 275 routes share one integration and permission; a worker's 25
    two-way routes have theirs, and a route response each.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(routes_source(300, replies=25))
    worker = ", ".join(f'"r{i}"' for i in range(25))
    (directory / "wsgen.toml").write_text(f"[functions.worker]\nroutes = [{worker}]\n")
    result = wsgen(*GOLDEN_ARGS, cwd=directory)
    assert (result.code, result.err) == (0, ""), result.err
    return result.out, result.template()


FEATURES_APP = """\
from runtime import App, AuthResponse

app = App(app_name="features")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.ws_authorizer(identity_sources=["route.request.querystring.token"])
def authorize(event):
    return AuthResponse.allow("user")


@app.on_ws_connect()
def connect(event):
    pass


@app.on_ws_connected()
def connected(event):
    pass


@app.task()
def report(connection_id, topic):
    pass


@app.on_ws_message()
def message(event):
    pass


@app.on_ws_message(route="join")
def join(event):
    pass


@app.on_ws_message(route="ping", reply=True)
def ping(event):
    return "pong"


@app.on_ws_disconnect()
def disconnect(event):
    pass
"""

FEATURES_TOML = """\
log_retention_days = 14
logging_level = "ERROR"
account_logging_role = true
throttling_burst_limit = 200
throttling_rate_limit = 100.5
content_handling = "CONVERT_TO_TEXT"
reserved_concurrency = 3
environment = { SHARED = "yes" }
architecture = "arm64"
tracing = true
access_log_deletion_policy = "Delete"

[routes."join"]
throttling_burst_limit = 10
throttling_rate_limit = 5
logging_level = "INFO"
data_trace = true

[domain]
name = "ws.example.com"
certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb"
base_path = "chat"
hosted_zone_id = "Z0123456789ABCDEFGHIJ"

[functions.worker]
routes = ["join", "$disconnect"]
memory_size = 1024
timeout = 10
reserved_concurrency = 5
environment = { ROLE = "worker" }
policies = ["AWSXrayWriteOnlyAccess"]

[functions.report]
timeout = 900
retry_attempts = 1
reserved_concurrency = 2

[functions.gate]
routes = ["$connect"]
authorizer = true
memory_size = 256
tracing = false
"""


def features_template(
    wsgen: Callable[..., Result], directory: Path, fmt: str = "yaml"
) -> tuple[str, dict[str, Any]]:
    """The template of the features app (written into `directory`): its text and its dict."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(FEATURES_APP)
    (directory / "wsgen.toml").write_text(FEATURES_TOML)
    result = wsgen(*GOLDEN_ARGS, "--format", fmt, cwd=directory)
    assert (result.code, result.err) == (0, ""), result.err
    return result.out, result.template()


def _with_s3_uris(template: dict[str, Any]) -> dict[str, Any]:
    """The translator needs S3 locations where `sam build`/`sam package` would put them."""
    result = copy.deepcopy(template)
    for name, resource in result["Resources"].items():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = f"s3://wsgen-test-bucket/{name}.zip"
    return result


class _NoManagedPolicies:
    """The translator's managed-policy lookup, answered offline."""

    def load(self) -> dict[str, str]:
        return {
            "AWSLambdaBasicExecutionRole": (
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
            )
        }


def sam_transform(template: dict[str, Any]) -> dict[str, Any]:
    """`template` as SAM's translator turns it into plain CloudFormation, offline."""
    from samtranslator.translator.transform import transform  # type: ignore[import-untyped]

    translated: dict[str, Any] = transform(_with_s3_uris(template), {}, _NoManagedPolicies())
    return translated


def sam_resources(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The resources SAM's translator makes of the template at `path`, in eu-west-1; the test
    fails unless they are as many as `wsgen.template.quotas.transformed_count` predicts."""
    from wsgen.template.quotas import transformed_count

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    template = parse(path.read_text())
    translated: dict[str, Any] = sam_transform(template)["Resources"]
    assert len(translated) == transformed_count(template)
    return translated


def sam_validate_lint(template: Path, home: Path) -> str:
    """What `sam validate --lint` says of `template` (in eu-west-1, `home` as its HOME); the
    test fails when aws-sam-cli is missing or the template is refused."""
    if not SAM_PYTHON.exists():
        pytest.fail("aws-sam-cli is missing: run `make sam`")
    run = subprocess.run(
        [
            *(str(SAM_PYTHON), "-m", "samcli", "validate", "--lint"),
            *("--template-file", str(template), "--region", "eu-west-1"),
        ],
        capture_output=True,
        text=True,
        cwd=home,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0", "HOME": str(home)},
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout + run.stderr
