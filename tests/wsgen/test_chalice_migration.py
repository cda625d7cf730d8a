"""A stack deployed with `chalice package` updates in place to `wsgen template`'s template.

Both tools generate the template of the same apps: the examples of Chalice's WebSocket
documentation (tests/runtime/docs_examples, each with its import line for the tool), and
one of them again with a custom domain and a log retention (Chalice then adds log groups).
Chalice 1.34 runs from the benchmarks' environment (.venv-bench, `make
.venv-bench/.installed`), so these tests are marked `external`.

A resource CloudFormation keeps must have the same logical id and type in both templates,
and the same values for its type's create-only properties (those whose change replaces it:
the CloudFormation registry schemas cfn-lint ships). Chalice's resources wsgen has no
counterpart for are listed with the reason, as docs/chalice.md's migration section says.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import ROOT
from tests.support.templates import Result

pytestmark = pytest.mark.external

BENCH = ROOT / ".venv-bench"
CHALICE = BENCH / "bin" / "chalice"
EXAMPLES = ROOT / "tests" / "runtime" / "docs_examples"
IMPORT = "from runtime import Chalice\n"

DOMAIN = {
    "name": "ws.example.com",
    "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    "base_path": "chat",
}

# Chalice's resources that the update deletes, by logical id pattern: (type, why).
DELETED = {
    r"Websocket(Connect|Message|Disconnect)": (
        "AWS::Serverless::Function",
        "one function, WebsocketHandler, serves every route",
    ),
    r"DefaultRole": ("AWS::IAM::Role", "SAM makes WebsocketHandler's role from its Policies"),
    r"WebsocketAPIDeployment": (
        "AWS::ApiGatewayV2::Deployment",
        "the stage deploys itself (AutoDeploy)",
    ),
    r"Websocket(Connect|Message|Disconnect)LogGroup": (
        "AWS::Logs::LogGroup",
        "the log group of a deleted function",
    ),
}

# Kept resources CloudFormation may replace: a permission names its function, create-only.
REPLACED = {"AWS::Lambda::Permission"}


def _bench() -> Path:
    if not CHALICE.exists():
        install = subprocess.run(
            ["make", "--no-print-directory", ".venv-bench/.installed"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if install.returncode != 0 or not CHALICE.exists():
            pytest.fail(
                f"could not install Chalice (make .venv-bench/.installed): {install.stderr}"
            )
    return CHALICE


def chalice_package(project: Path, source: str, domain: bool) -> dict[str, Any]:
    """`chalice package` of `source` (the example with Chalice's import) in `project`."""
    project.mkdir()
    (project / "app.py").write_text(source.replace(IMPORT, "from chalice import Chalice\n"))
    stage: dict[str, Any] = {"api_gateway_stage": "api"}
    if domain:
        stage["websocket_api_custom_domain"] = {
            "domain_name": DOMAIN["name"],
            "certificate_arn": DOMAIN["certificate_arn"],
            "url_prefix": DOMAIN["base_path"],
        }
        stage["log_retention_in_days"] = 14
    config = {"version": "2.0", "app_name": "example", "stages": {"dev": stage}}
    (project / ".chalice").mkdir()
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(project),
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    run = subprocess.run(
        [str(_bench()), "package", str(project / "out")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    template: dict[str, Any] = json.loads((project / "out" / "sam.json").read_text())
    return template


def wsgen_template(
    wsgen: Callable[..., Result], app: Path, source: str, domain: bool
) -> dict[str, Any]:
    app.mkdir()
    (app / "app.py").write_text(source)
    if domain:
        lines = "".join(f'{key} = "{value}"\n' for key, value in DOMAIN.items())
        (app / "wsgen.toml").write_text(f"log_retention_days = 14\n[domain]\n{lines}")
    result = wsgen("template", "--runtime", "python3.12", cwd=app)
    assert result.code == 0, result.err
    return result.template()


CASES = [(path.name, False) for path in sorted(EXAMPLES.glob("*.py"))] + [("send_app.py", True)]


@pytest.fixture(scope="module")
def chalice_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    where = tmp_path_factory.mktemp("chalice")
    return {
        f"{name}{'+domain' * domain}": chalice_package(
            where / f"{name[:-3]}{'_domain' * domain}", (EXAMPLES / name).read_text(), domain
        )
        for name, domain in CASES
    }


def _deleted_reason(logical_id: str, kind: str) -> str | None:
    for pattern, (deleted_kind, why) in DELETED.items():
        if re.fullmatch(pattern, logical_id) and kind == deleted_kind:
            return why
    return None


def _at(properties: dict[str, Any], pointer: str) -> Any:
    """The value at a schema's `/properties/Name` pointer (None when absent)."""
    return properties.get(pointer.removeprefix("/properties/"))


def _create_only(kind: str) -> list[str]:
    from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind).schema
    return list(schema.get("createOnlyProperties", []))


@dataclass
class Case:
    """One example's resources in Chalice's template and in wsgen's."""

    domain: bool
    chalice: dict[str, Any]
    ours: dict[str, Any]


@pytest.fixture(params=CASES, ids=[f"{n}{'+domain' * d}" for n, d in CASES])
def case(
    request: pytest.FixtureRequest,
    chalice_templates: dict[str, dict[str, Any]],
    wsgen: Callable[..., Result],
    tmp_path: Path,
) -> Case:
    name, domain = request.param
    chalice = chalice_templates[f"{name}{'+domain' * domain}"]["Resources"]
    ours = wsgen_template(wsgen, tmp_path / "app", (EXAMPLES / name).read_text(), domain)
    return Case(domain, chalice, ours["Resources"])


def test_every_chalice_resource_is_kept_with_its_id_and_type_or_listed_as_deleted(
    case: Case,
) -> None:
    chalice, resources, domain = case.chalice, case.ours, case.domain
    assert ("WebsocketMessageLogGroup" in chalice) == domain  # log_retention_in_days
    kept = []
    for logical_id, resource in chalice.items():
        why = _deleted_reason(logical_id, resource["Type"])
        if why is not None:
            assert logical_id not in resources, f"{logical_id} is listed as deleted ({why})"
            continue
        assert logical_id in resources, f"Chalice's {logical_id} has no counterpart"
        assert resources[logical_id]["Type"] == resource["Type"], logical_id
        kept.append(logical_id)
    # Every route has its route, integration and permission; the API, its stage (and domain).
    routes = [
        r["Properties"]["RouteKey"] for r in chalice.values() if "RouteKey" in r["Properties"]
    ]
    names = [{"$connect": "Connect", "$default": "Message"}.get(k, "Disconnect") for k in routes]
    expected = {"WebsocketAPI", "WebsocketAPIStage"}
    expected |= {f"Websocket{n}{kind}" for n in names for kind in ("Route", "APIIntegration")}
    expected |= {f"Websocket{n}InvokePermission" for n in names}
    if domain:
        expected |= {"WebsocketApiCustomDomain", "WebsocketApiCustomDomainMapping"}
    assert sorted(kept) == sorted(expected)


def test_kept_resources_are_updated_not_replaced(case: Case) -> None:
    replaced = []
    for logical_id, resource in case.chalice.items():
        if logical_id not in case.ours:
            continue
        theirs, mine = resource["Properties"], case.ours[logical_id]["Properties"]
        if "RouteKey" in theirs:  # the same route, not another one under its id
            assert mine["RouteKey"] == theirs["RouteKey"]
        changed = [p for p in _create_only(resource["Type"]) if _at(mine, p) != _at(theirs, p)]
        if changed:
            assert resource["Type"] in REPLACED, f"{logical_id} would be replaced: {changed}"
            replaced.append(logical_id)
    # Only the invoke permissions: they now name WebsocketHandler (and a route-scoped ARN).
    assert all(case.ours[i]["Properties"]["FunctionName"] for i in replaced)
    assert all(i.endswith("InvokePermission") for i in replaced)
