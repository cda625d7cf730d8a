"""`wsgen template` on the command line: output, files, flags and every bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from runtime.contract import FEATURE_FLAG_LINE
from tests.support.builders import ECHO, functions_toml, routes_source
from tests.support.paths import GOLDEN, SAMPLES
from tests.support.templates import Result, parse
from wsgen.cli import build_parser

Wsgen = Callable[..., Result]
AppDir = Callable[..., Path]


def test_output_is_byte_stable_and_ends_with_one_newline(wsgen: Wsgen) -> None:
    first = wsgen("template", "--runtime", "python3.12", cwd=SAMPLES / "chat")
    second = wsgen("template", "--runtime", "python3.12", cwd=SAMPLES / "chat")
    assert first.code == 0
    assert first.out == second.out
    assert first.out.endswith("\n") and not first.out.endswith("\n\n")
    assert str(Path.cwd()) not in first.out and "/root" not in first.out


def test_json_format_is_the_same_template(wsgen: Wsgen) -> None:
    result = wsgen("template", "--runtime", "python3.12", "--format", "json", cwd=SAMPLES / "echo")
    assert json.loads(result.out) == parse((GOLDEN / "echo.yaml").read_text())
    assert result.out.endswith("}\n")


def test_yaml_uses_the_short_intrinsic_forms() -> None:
    text = (GOLDEN / "echo.yaml").read_text()
    assert "!Ref 'WebsocketAPI'" in text and "!Sub '" in text and "!GetAtt '" in text
    assert "Fn::" not in text


def test_default_runtime_is_this_python(wsgen: Wsgen, app_dir: AppDir) -> None:
    import sys

    result = wsgen("template", "--app-dir", str(app_dir(ECHO)))
    function = result.template()["Resources"]["WebsocketHandler"]["Properties"]
    assert function["Runtime"] == f"python{sys.version_info.major}.{sys.version_info.minor}"


def test_paths_are_relative_to_where_the_template_goes(
    wsgen: Wsgen, app_dir: AppDir, tmp_path: Path
) -> None:
    directory = app_dir(ECHO)
    (tmp_path / "out").mkdir()
    result = wsgen("template", "--app-dir", directory.name, "-o", "out/t.yaml", cwd=tmp_path)
    assert (result.code, result.out, result.err) == (0, "", "")
    resources = parse((tmp_path / "out/t.yaml").read_text())["Resources"]
    code = resources["WebsocketHandler"]["Properties"]["CodeUri"]
    assert code == f"../{directory.name}/.wsgen/function"
    assert (tmp_path / directory.name / ".wsgen/function/app.py").is_file()
    layer = resources["WsgenRuntimeLayer"]["Properties"]["ContentUri"]
    assert layer == f"../{directory.name}/.wsgen/runtime-layer"
    assert (tmp_path / directory.name / ".wsgen/runtime-layer/python/runtime/app.py").is_file()


def test_stdout_template_in_the_app_dir_refers_to_its_staging_dir(
    wsgen: Wsgen, app_dir: AppDir
) -> None:
    result = wsgen("template", cwd=app_dir(ECHO))
    properties = result.template()["Resources"]["WebsocketHandler"]["Properties"]
    assert properties["CodeUri"] == ".wsgen/function"


def test_app_flag_sets_the_handler(wsgen: Wsgen, app_dir: AppDir) -> None:
    directory = app_dir("")
    (directory / "chat.py").write_text(
        ECHO.replace("app = App", "api = App").replace("@app", "@api").replace("app.exp", "api.exp")
    )
    result = wsgen("template", "--app", "chat:api", cwd=directory)
    assert result.template()["Resources"]["WebsocketHandler"]["Properties"]["Handler"] == "chat.api"


def test_merge_template_flag_deep_merges_the_file(
    wsgen: Wsgen, app_dir: AppDir, tmp_path: Path
) -> None:
    overlay = tmp_path / "extra.yaml"
    overlay.write_text(
        "Resources:\n"
        "  WebsocketHandler:\n    Properties:\n      MemorySize: 1024\n"
        "      Layers: [!Ref Other]\n"
        "  Other:\n    Type: AWS::Serverless::LayerVersion\n"
        "    Properties: {ContentUri: s3://b/k.zip}\n"
    )
    result = wsgen("template", "--merge-template", str(overlay), cwd=app_dir(ECHO))
    function = result.template()["Resources"]["WebsocketHandler"]["Properties"]
    assert function["MemorySize"] == 1024
    assert function["Layers"] == [{"Ref": "Other"}]
    assert function["Handler"] == "app.app"


def test_a_merged_yaml_date_is_written_as_its_string(wsgen: Wsgen, app_dir: AppDir) -> None:
    merge = "AWSTemplateFormatVersion: 2010-09-09\nMetadata:\n  When: 2024-01-02 03:04:05\n"
    directory = app_dir(ECHO, {"m.yaml": merge})
    for fmt in ("yaml", "json"):
        result = wsgen("template", "--merge-template", "m.yaml", "--format", fmt, cwd=directory)
        assert (result.code, result.err) == (0, ""), result.err
        template = parse(result.out)
        assert template["AWSTemplateFormatVersion"] == "2010-09-09"
        assert template["Metadata"] == {"When": "2024-01-02T03:04:05"}


def test_wsgen_toml_stage_and_flags(wsgen: Wsgen, app_dir: AppDir) -> None:
    toml = 'runtime = "python3.13"\nmemory_size = 256\n[stages.prod]\nmemory_size = 1024\n'
    directory = app_dir(ECHO, {"wsgen.toml": toml})
    dev = wsgen("template", cwd=directory).template()
    prod = wsgen("template", "--stage", "prod", "--runtime", "python3.14", cwd=directory)
    assert dev["Resources"]["WebsocketHandler"]["Properties"]["MemorySize"] == 256
    assert dev["Resources"]["WebsocketHandler"]["Properties"]["Runtime"] == "python3.13"
    function = prod.template()["Resources"]["WebsocketHandler"]["Properties"]
    assert (function["MemorySize"], function["Runtime"]) == (1024, "python3.14")
    assert prod.template()["Resources"]["WebsocketAPIStage"]["Properties"]["StageName"] == "prod"


def test_the_apps_prints_at_import_go_to_stderr_not_into_the_template(
    wsgen: Wsgen, app_dir: AppDir
) -> None:
    result = wsgen("template", "--runtime", "python3.12", cwd=app_dir('print("loading")\n' + ECHO))
    assert result.code == 0
    assert result.out.startswith("AWSTemplateFormatVersion:")
    assert result.err == "loading\n"
    assert parse(result.out)["Resources"]["WebsocketHandler"]


def test_help_explains_every_option_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["template", "--help"])
    text = capsys.readouterr().out
    for option in (
        "--app-dir",
        "--app ",
        "--stage",
        "--runtime",
        "--format",
        "--merge-template",
        "-o",
    ):
        assert option in text
    assert "examples:" in text and "wsgen template > template.yaml" in text


NOT_APP = "app = 42\n"
RAISES = "import os\n\nraise RuntimeError('boom')\n"
NO_HANDLERS = "from runtime import App\napp = App(app_name='t')\n"
NO_FLAG = ECHO.replace('app.experimental_feature_flags.update(["WEBSOCKETS"])\n', "")
AUTHORIZER_ROUTE = (
    ECHO.replace("from runtime import App", "from runtime import App, AuthResponse")
    + "\n\n@app.ws_authorizer(identity_sources=['route.request.header.Auth'])\n"
    + "def authorize(event):\n    return AuthResponse.allow('u')\n"
    + "\n\n@app.on_ws_connect()\ndef connect(event):\n    pass\n"
    + "\n\n@app.on_ws_message(route='authorizer')\ndef clash(event):\n    pass\n"
)

BAD_INPUT = {
    "no app.py": (None, {}, [], "no app.py in"),
    "import raises": (RAISES, {}, [], "app.py:3: the app does not import: RuntimeError: boom"),
    "import exits 0": (
        "import sys\n\nsys.exit()\n",
        {},
        [],
        "app.py:3: the app does not import: it calls sys.exit();",
    ),
    "import exits 3": (
        "import sys\n\nsys.exit(3)\n",
        {},
        [],
        "app.py:3: the app does not import: it calls sys.exit(3);",
    ),
    "import raises a two-line message": (
        "raise ValueError('first\\nsecond')\n",
        {},
        [],
        "app.py:1: the app does not import: ValueError: first second",
    ),
    "syntax error": ("def (:\n", {}, [], "app.py:1: the app does not import: SyntaxError"),
    "a handler taking no event": (
        ECHO + "\n\n@app.on_ws_message(route='join')\ndef join():\n    pass\n",
        {},
        [],
        "error: @app.on_ws_message() handler join at app.py:",  # once, not also before it
    ),
    "no attribute app": ("x = 1\n", {}, [], "has no attribute 'app'"),
    "a misspelled decorator": (
        ECHO.replace("@app.on_ws_message()", "@app.on_ws_mesage()"),
        {},
        [],
        "app.py:7: the app does not import: AttributeError: 'App' object has no attribute "
        "'on_ws_mesage'; did you mean on_ws_message?",
    ),
    "a runtime error of the app's own code at import": (
        ECHO + "\napp.websocket_api.send('abc=', 'hi')\n",
        {},
        [],
        "the app does not import: EndpointNotConfiguredError: ",  # not a registration's
    ),
    "a misspelt decorator keyword": (
        ECHO.replace("@app.on_ws_message()", "@app.on_ws_message(rout='join')"),
        {},
        [],
        "error: app.py:7: @app.on_ws_message() got an "
        "unexpected keyword argument 'rout'; did you mean 'route'? it takes route, reply",
    ),
    "a misspelt feature flag": (
        ECHO.replace('["WEBSOCKETS"]', '["WEBSOCKET"]'),
        {},
        [],
        "app 't' has WebSocket handlers but not the 'WEBSOCKETS' feature flag: it has "
        f"'WEBSOCKET'; did you mean 'WEBSOCKETS'? write {FEATURE_FLAG_LINE}",
    ),
    "an App of another name": (
        ECHO.replace("app = App(", "application = App(").replace("app.", "application."),
        {},
        [],
        "app.py has no attribute 'app', but it has an App named 'application': pass "
        "--app app:application, or name it app",
    ),
    "not an App": (NOT_APP, {}, [], "app.app is an int, not an App (runtime.App)"),
    "no handlers": (NO_HANDLERS, {}, [], "has no WebSocket handlers"),
    "no WEBSOCKETS flag": (NO_FLAG, {}, [], FEATURE_FLAG_LINE),
    "invalid stage": (ECHO, {}, ["--stage", "my stage"], "invalid stage name 'my stage'"),
    "$default stage": (ECHO, {}, ["--stage", "$default"], "letters, digits, '-' and '_'"),
    "unsupported runtime": (
        ECHO,
        {},
        ["--runtime", "python2.7"],
        "error: '--runtime' must be one of python3.11",
    ),
    "missing merge template": (ECHO, {}, ["--merge-template", "nope.yaml"], "nope.yaml: no such"),
    "merge template is a dir": (ECHO, {"d/x": ""}, ["--merge-template", "d"], "is a directory"),
    "malformed yaml": (
        ECHO,
        {"m.yaml": "a: [\n"},
        ["--merge-template", "m.yaml"],
        "not valid YAML",
    ),
    "malformed json": (ECHO, {"m.json": "{"}, ["--merge-template", "m.json"], "not valid JSON"),
    "not a mapping": (ECHO, {"m.yaml": "- 1\n"}, ["--merge-template", "m.yaml"], "mapping"),
    "malformed toml": (ECHO, {"wsgen.toml": "a = \n"}, [], "wsgen.toml: is not valid TOML"),
    "toml unreadable": (ECHO, {"wsgen.toml/x": ""}, [], "wsgen.toml: cannot read it"),
    "toml not utf-8": (ECHO, {"wsgen.toml": b"a = '\xff'"}, [], "wsgen.toml: is not UTF-8"),
    "stage wsgen.toml lacks": (
        ECHO,
        {"wsgen.toml": "[stages.prod]\nmemory_size = 256\n"},
        ["--stage", "prd"],
        "wsgen.toml: --stage prd has no [stages.prd]; its stages: prod; did you mean --stage "
        "prod? add an empty [stages.prd] for a stage with no settings of its own",
    ),
    "unknown key": (ECHO, {"wsgen.toml": "memory = 1\n"}, [], "wsgen.toml: unknown key 'memory'"),
    "wrong type": (
        ECHO,
        {"wsgen.toml": '[stages.prod]\ntimeout = "30"\n'},
        [],
        "wsgen.toml: 'stages.prod.timeout' must be an integer",
    ),
    "route settings of no route": (
        ECHO,
        {"wsgen.toml": '[routes."join"]\nthrottling_burst_limit = 1\n'},
        [],
        "wsgen.toml: 'routes.join' names route 'join', which the app does not have",
    ),
    "function of no route": (
        ECHO,
        {"wsgen.toml": "[stages.prod.functions.w]\nroutes = ['$connect']\n"},
        [],
        "wsgen.toml: 'stages.prod.functions.w.routes' names route '$connect'",
    ),
    "function authorizer without one": (
        ECHO,
        {"wsgen.toml": "[functions.w]\nauthorizer = true\n"},
        [],
        "wsgen.toml: 'functions.w.authorizer' is true, but the app has no ws_authorizer",
    ),
    "data trace without logging": (
        ECHO,
        {"wsgen.toml": "data_trace = true\n"},
        [],
        "wsgen.toml: 'data_trace' logs nothing while 'logging_level' is OFF",
    ),
    "domain without certificate": (
        ECHO,
        {"wsgen.toml": "[domain]\nname = 'ws.example.com'\n"},
        [],
        "wsgen.toml: 'domain' needs 'certificate_arn'",
    ),
    "bad content handling": (
        ECHO,
        {"wsgen.toml": "content_handling = 'BINARY'\n"},
        [],
        "wsgen.toml: 'content_handling' must be one of CONVERT_TO_TEXT, CONVERT_TO_BINARY",
    ),
    "access log format without request id": (
        ECHO,
        {"wsgen.toml": "access_log_format = '$context.routeKey'\n"},
        [],
        "wsgen.toml: 'access_log_format' must contain $context.requestId",
    ),
    # 8 functions of 25 routes, each route with its own integration and permission.
    "over 500 resources": (
        routes_source(201),
        {"wsgen.toml": functions_toml(8, 25)},
        [],
        "error: the template needs 625 resources once SAM transforms it (201 Integration, ",
    ),
    "reserved environment variable": (
        ECHO,
        {"wsgen.toml": '[environment]\nAWS_REGION = "x"\n'},
        [],
        "wsgen.toml: 'environment.AWS_REGION' is reserved",
    ),
    "environment value a TOML bool": (
        ECHO,
        {"wsgen.toml": "[environment]\nDEBUG = true\n"},
        [],
        "wsgen.toml: 'environment.DEBUG' must be a string or an intrinsic such as "
        '{ Ref = "Name" }, not true; quote it: "true"',
    ),
    "one-letter environment variable": (
        ECHO,
        {"wsgen.toml": '[environment]\nX = "x"\n'},
        [],
        "wsgen.toml: 'environment.X' is not a valid environment variable name",
    ),
    "merged Resources empty": (
        ECHO,
        {"m.yaml": "Resources:\n"},
        ["--merge-template", "m.yaml"],
        "m.yaml: 'Resources' must be a mapping of logical ids to resources, not None",
    ),
    "merged Resources a list": (
        ECHO,
        {"m.yaml": "Resources: []\n"},
        ["--merge-template", "m.yaml"],
        "m.yaml: 'Resources' must be a mapping",
    ),
    "merged resource null": (
        ECHO,
        {"m.yaml": "Resources:\n  X: null\n"},
        ["--merge-template", "m.yaml"],
        "m.yaml: 'Resources.X' must be a mapping with Type and Properties, not None",
    ),
    "merged resource without type": (
        ECHO,
        {"m.yaml": "Resources:\n  X:\n    Properties: {}\n"},
        ["--merge-template", "m.yaml"],
        "m.yaml: 'Resources.X' needs a Type",
    ),
    "merged properties a list": (
        ECHO,
        {"m.yaml": "Resources:\n  WebsocketHandler:\n    Properties: [1]\n"},
        ["--merge-template", "m.yaml"],
        "m.yaml: 'Resources.WebsocketHandler.Properties' must be a mapping, not [1]",
    ),
    "merged events a list": (
        ECHO,
        {"m.yaml": "Resources:\n  WebsocketHandler:\n    Properties:\n      Events: [1]\n"},
        ["--merge-template", "m.yaml"],
        "m.yaml: 'Resources.WebsocketHandler.Properties.Events' must be a mapping",
    ),
    "merged event not a mapping": (
        ECHO,
        {"m.yaml": "Resources:\n  WebsocketHandler:\n    Properties:\n      Events: {E: 1}\n"},
        ["--merge-template", "m.yaml"],
        "m.yaml: 'Resources.WebsocketHandler.Properties.Events.E' must be a mapping",
    ),
    "merged event properties not a mapping": (
        ECHO,
        {
            "m.yaml": "Resources:\n  WebsocketHandler:\n    Properties:\n      Events:\n"
            "        E: {Type: Api, Properties: 1}\n"
        },
        ["--merge-template", "m.yaml"],
        "'Resources.WebsocketHandler.Properties.Events.E.Properties' must be a mapping, not 1",
    ),
    "merged binary value": (
        ECHO,
        {"m.yaml": "Metadata:\n  b: !!binary aGVsbG8=\n"},
        ["--merge-template", "m.yaml"],
        "m.yaml: 'Metadata.b' is a bytes, which a template cannot hold",
    ),
    # Deploy-time-only limits (docs/aws-facts.md#deploy-time-limits).
    "environment over 4 KB": (
        ECHO,
        {"wsgen.toml": f'[environment]\nBIG = "{"x" * 4050}"\n'},
        [],
        "error: function WebsocketHandler's environment variables take 4",
    ),
    "environment over 4 KB with a merged variable": (
        ECHO,
        {
            "m.yaml": "Resources:\n  WebsocketHandler:\n    Properties:\n      Environment:\n"
            f"        Variables:\n          MORE: {'y' * 4050}\n"
        },
        ["--merge-template", "m.yaml"],
        "over Lambda's 4096 for all of them (the largest: MORE)",
    ),
    "50 tags": (
        ECHO,
        {"wsgen.toml": "[tags]\n" + "".join(f't{i} = "v"\n' for i in range(50))},
        [],
        "wsgen.toml: 'tags' has 50 tags; AWS allows 50 per resource and SAM adds",
    ),
    "50 tags with the stage's": (
        ECHO,
        {
            "wsgen.toml": "[tags]\n"
            + "".join(f't{i} = "v"\n' for i in range(40))
            + "[stages.api.tags]\n"
            + "".join(f's{i} = "v"\n' for i in range(10))
        },
        [],
        "wsgen.toml: 'tags' has 50 tags",
    ),
    "tag value of 257 characters": (
        ECHO,
        {"wsgen.toml": f'[tags]\nteam = "{"v" * 257}"\n'},
        [],
        "wsgen.toml: 'tags.team' is 257 characters; AWS takes tag values of at most 256",
    ),
    "tag key of 129 characters": (
        ECHO,
        {"wsgen.toml": f'[tags]\n{"k" * 129} = "v"\n'},
        [],
        "a tag key is 1 to 128 characters, not 129",
    ),
    "API name over 128 characters": (
        ECHO.replace('app_name="t"', f'app_name="{"n" * 115}"'),
        {},
        [],
        "error: the API's name nnnnnnnnnnnnnnnnnnnn...-websocket-api is 129 characters, over "
        "API Gateway's 128; shorten App(app_name=...) to at most 114 characters",
    ),
    "Ref of a Ref": (
        ECHO,
        {"wsgen.toml": '[environment]\nTABLE = { Ref = { Ref = "Table" } }\n'},
        [],
        "wsgen.toml: 'environment.TABLE' is { Ref = {'Ref': 'Table'} }: Ref takes the name",
    ),
    "Ref of a Ref in a Sub": (
        ECHO,
        {"wsgen.toml": '[tags]\nteam = { "Fn::Sub" = ["${X}", { X = { Ref = 1 } }] }\n'},
        [],
        "'tags.team.Fn::Sub[1].X' is { Ref = 1 }: Ref takes the name",
    ),
    "GetAtt of a Ref in a policy": (
        ECHO,
        {
            "wsgen.toml": "policies = [{ DynamoDBCrudPolicy = { TableName = "
            '{ "Fn::GetAtt" = [{ Ref = "T" }, "Arn"] } } }]\n'
        },
        [],
        "'policies[0].DynamoDBCrudPolicy.TableName' is { Fn::GetAtt = [{'Ref': 'T'}, 'Arn'] }",
    ),
    "Ref of a list as a certificate": (
        ECHO,
        {"wsgen.toml": '[domain]\nname = "ws.example.com"\ncertificate_arn = { Ref = ["C"] }\n'},
        [],
        "'domain.certificate_arn' is { Ref = ['C'] }: Ref takes the name",
    ),
    "Ref of no resource": (
        ECHO,
        {
            "wsgen.toml": 'merge_template = "t.yaml"\n[environment]\nTABLE = { Ref = "Tabel" }\n',
            "t.yaml": "Resources:\n  Table:\n    Type: AWS::SNS::Topic\n",
        },
        [],
        "wsgen.toml: 'environment.TABLE' uses Ref 'Tabel', which is no resource or parameter "
        "of the template; did you mean 'Table'?",
    ),
    "GetAtt of no resource in a policy": (
        ECHO,
        {
            "wsgen.toml": 'policies = [{ SQSSendMessagePolicy = { QueueName = { "Fn::GetAtt" = '
            '["Jobs", "QueueName"] } } }]\n'
        },
        [],
        "wsgen.toml: 'policies[0].SQSSendMessagePolicy.QueueName' uses Fn::GetAtt 'Jobs', "
        "which is no resource of the template; define it in merge_template",
    ),
    "GetAtt of no attribute in a policy": (
        ECHO,
        {
            "wsgen.toml": 'merge_template = "t.yaml"\npolicies = [{ SQSSendMessagePolicy = '
            '{ QueueName = { "Fn::GetAtt" = ["Jobs", "Name"] } } }]\n',
            "t.yaml": "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n",
        },
        [],
        "wsgen.toml: 'policies[0].SQSSendMessagePolicy.QueueName' uses Fn::GetAtt 'Jobs.Name', "
        "but Jobs (AWS::SQS::Queue) has no attribute 'Name' (it has Arn, "
        "ContentBasedDeduplication, ",
    ),
    "GetAtt of no attribute, did you mean": (
        ECHO,
        {
            "wsgen.toml": 'merge_template = "t.yaml"\npolicies = [{ SQSSendMessagePolicy = '
            '{ QueueName = { "Fn::GetAtt" = ["Jobs", "Name"] } } }]\n',
            "t.yaml": "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n",
        },
        [],
        "SqsManagedSseEnabled, Tags, VisibilityTimeout); did you mean 'QueueName'?\n",
    ),
    "GetAtt of no attribute of the function, dotted": (
        ECHO,
        {"wsgen.toml": '[environment]\nME = { "Fn::GetAtt" = "WebsocketHandler.Name" }\n'},
        [],
        "'environment.ME' uses Fn::GetAtt 'WebsocketHandler.Name', but WebsocketHandler "
        "(AWS::Serverless::Function) has no attribute 'Name' (it has Arn, SnapStartResponse, "
        "SnapStartResponse.ApplyOn, SnapStartResponse.OptimizationStatus)\n",
    ),
    "GetAtt of a type with no attributes": (
        ECHO,
        {"wsgen.toml": '[tags]\nstage = { "Fn::GetAtt" = ["WebsocketAPIStage", "Arn"] }\n'},
        [],
        "wsgen.toml: 'tags.stage' uses Fn::GetAtt 'WebsocketAPIStage.Arn', but WebsocketAPIStage "
        "(AWS::ApiGatewayV2::Stage) has no attribute 'Arn' (it has none: use Ref)\n",
    ),
    "toml merge_template missing": (
        ECHO,
        {"wsgen.toml": 'merge_template = "r.yaml"\n'},
        [],
        "r.yaml: no such file",
    ),
}


def test_refs_to_what_the_template_has_pass(wsgen: Wsgen, app_dir: AppDir) -> None:
    toml = (
        'merge_template = "t.yaml"\n[environment]\nTOPIC = { Ref = "Topic" }\n'
        'STAGE = { Ref = "Stage" }\nREGION = { Ref = "AWS::Region" }\n'
        'ROLE = { "Fn::GetAtt" = "WebsocketHandlerRole.Arn" }\n'  # SAM's, from the function
        'ARN = { "Fn::GetAtt" = ["Topic", "TopicArn"] }\n'
        'FUNCTION = { "Fn::GetAtt" = "WebsocketHandler.Arn" }\n'
        'OUTPUT = { "Fn::GetAtt" = ["Nested", "Outputs.Name"] }\n'  # cfn-lint's pattern
        'CUSTOM = { "Fn::GetAtt" = ["Custom", "Anything"] }\n'  # a type not in the table
    )
    merged = (
        "Parameters:\n  Stage: {Type: String}\nResources:\n  Topic: {Type: AWS::SNS::Topic}\n"
        "  Nested: {Type: AWS::CloudFormation::Stack, Properties: {TemplateURL: x}}\n"
        "  Custom: {Type: Custom::Thing, Properties: {ServiceToken: x}}\n"
    )
    directory = app_dir(ECHO, {"wsgen.toml": toml, "t.yaml": merged})
    result = wsgen("template", "--runtime", "python3.12", cwd=directory)
    assert result.code == 0, result.err


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_one_error_line_and_leaves_the_output_file(
    case: str, wsgen: Wsgen, tmp_path: Path
) -> None:
    source, files, args, message = BAD_INPUT[case]
    directory = tmp_path / "app"
    directory.mkdir()
    if source is not None:
        (directory / "app.py").write_text(source)
    for name, content in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (directory / name).write_bytes(content)
        else:
            (directory / name).write_text(content)
    output = tmp_path / "template.yaml"
    output.write_text("the previous template\n")
    result = wsgen("template", *args, "-o", str(output), cwd=directory)
    assert result.code != 0
    assert result.out == ""
    assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err
    assert message in result.err
    assert "Traceback" not in result.err
    assert output.read_text() == "the previous template\n"
    assert not list(tmp_path.glob(".template.yaml.*")), "temporary file left behind"


@pytest.mark.parametrize("output", [".", "out", "out/"])
def test_output_to_a_directory_says_so(output: str, wsgen: Wsgen, app_dir: AppDir) -> None:
    directory = app_dir(ECHO)
    (directory / "out").mkdir()
    result = wsgen("template", "-o", output, cwd=directory)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"error: {output.rstrip('/')}: is a directory; name a file, such as -o template.yaml\n"
    ), result.err
    assert sorted(p.name for p in directory.iterdir() if p.name != ".wsgen") == [
        "app.py",
        "out",
    ]


def test_a_route_named_like_the_authorizer_needs_no_renaming(wsgen: Wsgen, app_dir: AppDir) -> None:
    result = wsgen("template", cwd=app_dir(AUTHORIZER_ROUTE))
    assert (result.code, result.err) == (0, ""), result.err
    resources = result.template()["Resources"]
    assert resources["WebsocketAuthorizerRoute"]["Properties"]["RouteKey"] == "authorizer"
    assert "WebsocketAuthorizerInvokePermission" in resources


def test_more_routes_than_the_quota_warns_and_still_writes_the_template(
    wsgen: Wsgen, app_dir: AppDir
) -> None:
    directory = app_dir(routes_source(301))
    result = wsgen("template", "-o", "t.yaml", cwd=directory)
    assert (result.code, result.out) == (0, "")
    assert result.err.startswith("warning: 301 routes: API Gateway allows 300 routes per API")
    assert result.err.count("\n") == 1 and "'Routes per API' quota" in result.err
    routes = parse((directory / "t.yaml").read_text())["Resources"]
    assert sum(r["Type"] == "AWS::ApiGatewayV2::Route" for r in routes.values()) == 301


def test_a_troposphere_quota_is_an_error_line_too(
    wsgen: Wsgen, app_dir: AppDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last resort, should troposphere's own quota (200 outputs) ever be reached."""

    def build_template(*args: object, **kwargs: object) -> None:
        raise ValueError("Maximum outputs 200 reached")

    monkeypatch.setattr("wsgen.template.build_template", build_template)
    result = wsgen("template", cwd=app_dir(ECHO))
    assert (result.code, result.out) == (1, "")
    assert result.err == "error: the template is too large: Maximum outputs 200 reached\n"


def test_output_through_a_symlink_writes_its_target_and_keeps_the_link(
    wsgen: Wsgen, app_dir: AppDir
) -> None:
    directory = app_dir(ECHO)
    (directory / "real.yaml").write_text("old\n")
    (directory / "t.yaml").symlink_to("real.yaml")
    result = wsgen("template", "-o", "t.yaml", cwd=directory)
    assert (result.code, result.err) == (0, ""), result.err
    assert (directory / "t.yaml").is_symlink()  # as `wsgen template > t.yaml` would leave it
    assert "AWS::ApiGatewayV2::Api" in (directory / "real.yaml").read_text()


def test_a_read_only_output_file_is_refused_not_replaced(wsgen: Wsgen, app_dir: AppDir) -> None:
    directory = app_dir(ECHO)
    output = directory / "t.yaml"
    output.write_text("kept\n")
    output.chmod(0o444)
    result = wsgen("template", "-o", "t.yaml", cwd=directory)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "error: t.yaml: is read-only; make it writable (chmod u+w) or remove it first\n"
    )
    assert output.read_text() == "kept\n" and output.stat().st_mode & 0o777 == 0o444


def test_output_to_a_device_is_written_to_not_replaced(wsgen: Wsgen, app_dir: AppDir) -> None:
    result = wsgen("template", "-o", "/dev/null", cwd=app_dir(ECHO))
    assert (result.code, result.err) == (0, ""), result.err
    assert Path("/dev/null").is_char_device()


def test_a_default_runtime_near_its_deprecation_is_a_warning(
    wsgen: Wsgen, app_dir: AppDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from wsgen.checks import RUNTIME_DEPRECATION
    from wsgen.settings import default_runtime

    runtime = default_runtime()
    soon = RUNTIME_DEPRECATION[runtime] - timedelta(days=10)
    monkeypatch.setattr("wsgen.settings.today", lambda: soon)
    directory = app_dir(ECHO)
    result = wsgen("template", cwd=directory)
    assert result.code == 0 and "WebsocketHandler" in result.out
    assert result.err.startswith(f"warning: the runtime defaults to {runtime} (the Python")
    assert result.err.count("\n") == 1
    chosen = wsgen("template", "--runtime", runtime, cwd=directory)
    assert (chosen.code, chosen.err) == (0, "")


TEMPLATE_THEN_MODULES = """
import json, sys
from wsgen.cli import main
code = main(["template", "-o", "template.yaml"])
print(json.dumps(sorted(sys.modules)))
sys.exit(code)
"""

NOT_FOR_A_TEMPLATE = (
    "boto3",
    "botocore",
    "moto",
    "websockets",
    "wsgen.local",
    "wsgen.embedded",
    "wsgen.tables",
    "runtime.exceptions",  # the echo app's errors are runtime.common_errors'
    "subprocess",  # the staged layer is current: nothing to compile
    "wsgen.sources.schedule",  # no schedule handler
    "calendar",
    "difflib",  # no "did you mean": nothing is misspelled
)


@pytest.mark.slow  # wsgen in a subprocess
def test_a_template_imports_only_what_generating_it_needs(app_dir: AppDir) -> None:
    where = app_dir(ECHO)
    for _ in range(2):  # the first run stages the runtime layer, the second finds it current
        done = subprocess.run(
            [sys.executable, "-c", TEMPLATE_THEN_MODULES],
            cwd=where,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    modules = json.loads(done.stdout)
    assert "troposphere" in modules  # what it does need
    unneeded = [m for m in modules if m.startswith(NOT_FOR_A_TEMPLATE)]
    assert unneeded == [], "import them where they are used"
