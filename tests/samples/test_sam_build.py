"""`sam build` on every sample, then its built handler invoked the way Lambda would.

Each sample is built with a test module beside it, which the function must not ship; echo
also with a requirements.txt naming a wheel made here, which `sam build` must install.

The built function directory, the built layer's `python/` (Lambda's /opt/python) and boto3
are all the fresh interpreter may import. Management calls go to a stub HTTP server in this
process, DynamoDB calls to moto's server on loopback, so nothing leaves the machine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from runtime.dynamodb import DynamoDBStore, boto3_call
from tests.support.dynamodb import new_table
from tests.support.httpstub import Answer, Request, StubServer, stub_server
from tests.support.paths import EVENTS, ROOT, SAMPLE_NAMES, SAMPLES
from tests.support.templates import parse
from wsgen.bytecode import find_interpreter
from wsgen.connections import dynamodb_client
from wsgen.tables import create_tables, merged_tables

pytestmark = pytest.mark.external  # sam build, from .venv-sam

SAM = ROOT / ".venv-sam" / "bin" / "sam"
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
ROUTE, AUTHORIZER = "AWS::ApiGatewayV2::Route", "AWS::ApiGatewayV2::Authorizer"
LAMBDA_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")
EXPECTED_SENDS = {
    "echo": "I got your message!",
    "subprotocol": "My-Protocol: ",
    "chat": "ada joined lobby",  # join's announcement, to the room it just joined
    "jobs": None,  # its WebSocket routes only reply; its event handlers push (below)
    "report": None,  # its route replies; its task sends, in a function of its own
}


def _sam_or_skip() -> Path:
    if not SAM.exists():
        install = subprocess.run(
            ["make", "--no-print-directory", "sam"], cwd=ROOT, capture_output=True, text=True
        )
        if install.returncode != 0 or not SAM.exists():
            tail = (install.stderr or install.stdout).strip().splitlines()[-1:]
            pytest.skip(f"could not install aws-sam-cli into .venv-sam (make sam): {tail}")
    return SAM


DEPENDENCY = "wsgen_tinydep"


def _wheel(where: Path) -> Path:
    """A pure-Python wheel of `DEPENDENCY`, so pip installs it without any index."""
    files = {
        f"{DEPENDENCY}/__init__.py": b"VALUE = 'tiny'\n",
        f"{DEPENDENCY}-1.0.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {DEPENDENCY}\nVersion: 1.0\n".encode()
        ),
        f"{DEPENDENCY}-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }

    def digest(data: bytes) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

    record = [f"{name},sha256={digest(data)},{len(data)}" for name, data in files.items()]
    record.append(f"{DEPENDENCY}-1.0.dist-info/RECORD,,")
    files[f"{DEPENDENCY}-1.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = where / f"{DEPENDENCY}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def _build(sample: str, workdir: Path, sam: Path) -> Path:
    """Copy the sample, generate its template, `sam build` it; returns the build dir."""
    app = workdir / sample
    shutil.copytree(
        SAMPLES / sample, app, ignore=shutil.ignore_patterns(".wsgen", ".aws-sam", "__pycache__")
    )
    (app / "tests").mkdir()
    (app / "tests" / "test_app.py").write_text("def test_nothing():\n    pass\n")
    if sample == "echo":
        wheel = _wheel(workdir)
        (app / "requirements.txt").write_text(f"{DEPENDENCY} @ {wheel.as_uri()}\n")
    generate = [sys.executable, "-m", "wsgen.cli", "template", "--runtime", RUNTIME]
    subprocess.run([*generate, "-o", "template.yaml"], cwd=app, check=True, capture_output=True)
    env = {
        **os.environ,
        "SAM_CLI_TELEMETRY": "0",
        # sam's Python workflow runs `pythonX.Y` from PATH: ours, for RUNTIME.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    build = subprocess.run(
        [str(sam), "build"], cwd=app, env=env, capture_output=True, text=True, timeout=600
    )
    assert build.returncode == 0, build.stdout + build.stderr
    return app / ".aws-sam" / "build"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every sample built once, in parallel."""
    sam = _sam_or_skip()
    workdir = tmp_path_factory.mktemp("sam")
    with ThreadPoolExecutor(max_workers=len(SAMPLE_NAMES)) as pool:
        futures = {s: pool.submit(_build, s, workdir, sam) for s in SAMPLE_NAMES}
        return {sample: future.result() for sample, future in futures.items()}


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_the_built_function_holds_the_apps_code_and_requirements_only(
    sample: str, built: dict[str, Path]
) -> None:
    resources = parse((built[sample] / "template.yaml").read_text())["Resources"]
    function = built[sample] / resources["WebsocketHandler"]["Properties"]["CodeUri"]
    shipped = sorted(p.name for p in function.iterdir())
    if sample == "echo":  # sam build installed the requirement
        dependency = [DEPENDENCY, f"{DEPENDENCY}-1.0.dist-info", "requirements.txt"]
        assert shipped == sorted(["app.py", *dependency])
        assert (function / DEPENDENCY / "__init__.py").read_text() == "VALUE = 'tiny'\n"
    elif sample == "chat":  # its own modules too, not resources.yaml
        assert shipped == ["access.py", "app.py", "history.py"]
    else:  # no wsgen.toml, tests, README.md, resources.yaml, template.yaml or .wsgen
        assert shipped == ["app.py"]


TOKEN = "s3cr3t"
"""The chat token, what authorizer_request.json's query string carries."""
ANSWERS = {
    "GetParameter": {"Parameter": {"Name": "/chat/token", "Type": "SecureString", "Value": TOKEN}},
}


def _answer_aws(request: Request) -> Answer:
    """`@connections` posts get an empty 200, SSM's GetParameter the token."""
    answer = ANSWERS.get(request.headers.get("X-Amz-Target", "").rpartition(".")[2], {})
    data = b"" if "/@connections/" in request.path else json.dumps(answer).encode()
    return Answer(200, {"Content-Type": "application/x-amz-json-1.1"}, data)


@pytest.fixture
def stub_aws() -> Iterator[StubServer]:
    """Management calls and SSM, answered and recorded on loopback."""
    with stub_server(_answer_aws) as server:
        yield server


def _lambda_path(
    tmp_path: Path, build: Path, name: str = "WebsocketHandler"
) -> tuple[Path, Path, str]:
    """The built function dir, the layer's python/ dir, and a PYTHONPATH with only those."""
    resources = parse((build / "template.yaml").read_text())["Resources"]
    function = build / resources[name]["Properties"]["CodeUri"]
    layer = (
        build / resources["WsgenRuntimeLayer"]["Properties"]["ContentUri"]
    ).resolve() / "python"
    site = tmp_path / "lambda-python"  # boto3 and its dependencies, as the Lambda runtime has
    site.mkdir()
    packages = Path(__import__("boto3").__file__).parent.parent
    for name in LAMBDA_PACKAGES:
        (site / name).symlink_to(packages / name)
    return function, layer, os.pathsep.join(map(str, (function, layer, site)))


LIFECYCLE = {"REQUEST": 0, "CONNECT": 1, "MESSAGE": 2, "DISCONNECT": 3}


def _events_for(template: dict[str, Any], directory: Path) -> list[Path]:
    """The fixture events API Gateway would send this function: its routes, its authorizer.

    In the order API Gateway sends them (the authorizer, $connect, messages, $disconnect),
    written to `directory` with `connectedAt` now: a connection of 2024 expired long ago.
    """
    resources = template["Resources"].values()
    routes = {r["Properties"]["RouteKey"] for r in resources if r["Type"] == ROUTE}
    authorized = any(r["Type"] == AUTHORIZER for r in resources)

    def sent(event: dict[str, Any]) -> bool:
        if event.get("type") == "REQUEST":
            return authorized
        if "requestContext" not in event:  # another source's: an event handler's function
            return False
        return event["requestContext"]["routeKey"] in routes

    def stage(event: dict[str, Any]) -> int:
        return LIFECYCLE[event.get("type") or event["requestContext"]["eventType"]]

    events = {path.name: json.loads(path.read_text()) for path in sorted(EVENTS.glob("*.json"))}
    chosen = sorted((n for n, e in events.items() if sent(e)), key=lambda n: stage(events[n]))
    paths = []
    for name in chosen:
        events[name]["requestContext"]["connectedAt"] = int(time.time() * 1000)
        (directory / name).write_text(json.dumps(events[name]))
        paths.append(directory / name)
    return paths


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_built_handler_runs_with_only_function_layer_and_boto3(
    sample: str,
    built: dict[str, Path],
    stub_aws: StubServer,
    dynamodb_endpoint: str,
    tmp_path: Path,
) -> None:
    function, layer, pythonpath = _lambda_path(tmp_path, built[sample])
    table = new_table(dynamodb_endpoint, "eu-west-1")  # the tracked chat's, as deployed
    history = create_tables(  # the chat's own table, from its resources.yaml
        dynamodb_client(dynamodb_endpoint, "eu-west-1"),
        merged_tables(SAMPLES / "chat" / "resources.yaml"),
        suffix=f"-{tmp_path.name[-8:]}",
    )["ChatHistoryTable"]
    assert (layer / "runtime" / "__init__.py").is_file()
    if find_interpreter(RUNTIME):  # then the built layer keeps the bytecode wsgen compiled
        tag = RUNTIME.replace("python", "cpython-").replace(".", "")
        assert (layer / "runtime" / "__pycache__" / f"__init__.{tag}.pyc").is_file()
    endpoint, calls = stub_aws.url, stub_aws.requests
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": pythonpath,
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
        "WSGEN_CONNECTIONS_TABLE": table,
        "AWS_ENDPOINT_URL_SSM": endpoint,
        "CHAT_TOKEN_PARAMETER": "/chat/token",  # wsgen.toml's: the token is read from SSM
        "CHAT_HISTORY_TABLE": history,  # wsgen.toml's Ref: join replays from it (a Query)
        "WSGEN_WEBSOCKET_ENDPOINT": f"{endpoint}/api",
    }
    (tmp_path / "events").mkdir()
    events = _events_for(parse((built[sample] / "template.yaml").read_text()), tmp_path / "events")
    script = Path(__file__).parent / "lambda_invoke.py"
    run = subprocess.run(
        [sys.executable, "-S", "-c", script.read_text(), "app.app", *map(str, events)],
        cwd=function,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.splitlines()[-1])  # handlers print too
    assert Path(report["modules"]["app"]).parent == function
    assert Path(report["modules"]["runtime"]).parent.parent == layer
    assert not report["wsgen"]
    # send(), the connections store and the chat's history and token sign their own
    # requests: no sample imports boto3
    assert report["modules"]["boto3"] is None
    results = dict(zip((path.name for path in events), report["results"], strict=True))
    authorization = results.pop("authorizer_request.json", None)
    assert [r["statusCode"] for r in results.values()] == [200] * len(results)
    sends = [r.body.decode() for r in calls if r.path.startswith("/api/@connections/")]
    expected = EXPECTED_SENDS[sample]
    if expected is None:
        assert sends == [], calls
    else:
        assert sends and all(body.startswith(expected) for body in sends), calls
    if sample == "chat":
        assert authorization is not None
        [statement] = authorization["policyDocument"]["Statement"]
        assert (authorization["principalId"], statement["Effect"]) == ("guest", "Allow")
        assert results["message_default.json"]["body"].startswith('send {"action": "join"')
        # The entry point recorded the connection, join added it to the room, and the
        # (second) $disconnect found nothing left to delete.
        store = DynamoDBStore(
            table, boto3_call(client=dynamodb_client(dynamodb_endpoint, "eu-west-1"))
        )
        assert (store.count(), list(store.all()), store.count_members("lobby")) == (0, [], 0)


def _event_functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The functions serving event handlers: logical id to properties."""
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        and resource["Properties"].get("Handler") == "runtime.entry.handler"
    }


def test_built_event_handlers_run_through_runtime_entry(
    built: dict[str, Path],
    stub_aws: StubServer,
    dynamodb_endpoint: str,
    tmp_path: Path,
) -> None:
    """The jobs sample's queue and schedule functions, each in a fresh Lambda-like process.

    Their built code is the app's, their handler `runtime.entry.handler` from the layer, and
    neither imports boto3 or wsgen. No connection is tracked, so neither sends anything.
    """
    build = built["jobs"]
    template = parse((build / "template.yaml").read_text())
    functions = _event_functions(template)
    assert sorted(functions) == ["HeartbeatFunction", "RunJobsFunction"]
    table = new_table(dynamodb_endpoint, "eu-west-1")
    connection = "Xq4mT2rLpNcFa8w="
    endpoint, calls = stub_aws.url, stub_aws.requests
    events = {
        "HeartbeatFunction": json.loads((EVENTS / "schedule.json").read_text()),
        "RunJobsFunction": json.loads((EVENTS / "sqs.json").read_text()),
    }
    for number, message in enumerate(events["RunJobsFunction"]["Records"]):
        job = {"id": f"j-{number}", "inbox": f"connection:{connection}", "text": "a b c"}
        message["body"] = json.dumps(job)
    script = Path(__file__).parent / "lambda_invoke.py"
    results = {}
    for name, properties in sorted(functions.items()):
        (tmp_path / name).mkdir()
        function, layer, pythonpath = _lambda_path(tmp_path / name, build, name)
        (tmp_path / f"{name}.json").write_text(json.dumps(events[name]))
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": pythonpath,
            "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
            "WSGEN_CONNECTIONS_TABLE": table,
            "WSGEN_WEBSOCKET_ENDPOINT": f"{endpoint}/api",
            # The template's own: which app (app.app) and which handler the function serves.
            "WSGEN_APP": properties["Environment"]["Variables"]["WSGEN_APP"],
            "WSGEN_FUNCTION": properties["Environment"]["Variables"]["WSGEN_FUNCTION"],
        }
        run = subprocess.run(
            [sys.executable, "-S", "-c", script.read_text(), properties["Handler"],
             str(tmp_path / f"{name}.json")],
            cwd=function, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        report = json.loads(run.stdout.splitlines()[-1])
        assert Path(report["modules"]["runtime"]).parent.parent == layer
        assert report["modules"]["boto3"] is None and not report["wsgen"]
        results[name] = report["results"]
    assert results == {"HeartbeatFunction": [None], "RunJobsFunction": [{"batchItemFailures": []}]}
    assert [r.path for r in calls if "/@connections/" in r.path] == []
