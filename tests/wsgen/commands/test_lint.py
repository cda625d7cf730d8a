"""`wsgen template --lint`: real cfn-lint, in-process, on the template about to be written."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.builders import ECHO
from tests.support.templates import Result

Wsgen = Callable[..., Result]
AppDir = Callable[..., Path]

# A merged bucket with a misspelt property (cfn-lint E3002), and a subscription whose
# DependsOn its Ref already makes (W3005).
FLAWED = """\
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketNam: x
  Topic:
    Type: AWS::SNS::Topic
  Subscription:
    Type: AWS::SNS::Subscription
    DependsOn: Topic
    Properties:
      TopicArn: !Ref Topic
      Protocol: email
      Endpoint: ops@example.com
"""


@pytest.mark.slow  # cfn-lint: seconds of CPU per template
def test_a_clean_template_is_written_as_without_lint(wsgen: Wsgen, app_dir: AppDir) -> None:
    directory = app_dir(ECHO)
    plain = wsgen("template", "--runtime", "python3.12", cwd=directory)
    linted = wsgen("template", "--runtime", "python3.12", "--lint", cwd=directory)
    assert (linted.code, linted.err) == (0, "")
    assert linted.out == plain.out


REJECTED = ".wsgen/rejected-template.yaml"


@pytest.mark.slow  # cfn-lint: seconds of CPU per template
def test_findings_in_the_merged_file_point_at_its_lines_and_nothing_is_written(
    wsgen: Wsgen, app_dir: AppDir
) -> None:
    directory = app_dir(ECHO, {"extra.yaml": FLAWED})
    output = directory / "template.yaml"
    output.write_text("before\n")
    args = ["template", "--runtime", "python3.12", "--merge-template", "extra.yaml"]
    result = wsgen(*args, "--lint", "-o", "template.yaml", cwd=directory)
    assert result.code == 1
    assert output.read_text() == "before\n"
    assert result.err.splitlines() == [
        "extra.yaml:5:7: E3002 Additional properties are not allowed ('BucketNam' was "
        "unexpected. Did you mean 'BucketName'?) (Resources/Bucket/Properties/BucketNam)",
        "extra.yaml:10:5: W3005 'Topic' dependency already enforced by a 'Ref' at "
        "'Resources/Subscription/Properties/TopicArn' (Resources/Subscription/DependsOn)",
        "error: cfn-lint found 1 error and 1 warning in the template (listed above); nothing "
        f"was written to template.yaml; the rejected template is {REJECTED}",
    ]
    lines = FLAWED.splitlines()
    assert (lines[4].strip(), lines[9].strip()) == ("BucketNam: x", "DependsOn: Topic")
    # The rejected template is the one -o would have had, for reading.
    assert wsgen(*args, "-o", "written.yaml", cwd=directory).code == 0
    assert (directory / REJECTED).read_text() == (directory / "written.yaml").read_text()


@pytest.mark.slow  # cfn-lint: seconds of CPU per template
def test_a_finding_in_wsgen_s_part_points_at_the_rejected_template(
    wsgen: Wsgen, app_dir: AppDir
) -> None:
    patch = "Resources:\n  WebsocketHandler:\n    Properties:\n      PackageType: Image\n"
    directory = app_dir(ECHO, {"extra.yaml": patch})
    result = wsgen("template", "--merge-template", "extra.yaml", "--lint", cwd=directory)
    assert (result.code, result.out) == (1, "")
    finding, last = result.err.splitlines()
    match = re.fullmatch(rf"{re.escape(REJECTED)}:(\d+):7: E3685 (.+)", finding)
    assert match, finding
    assert match[2].endswith(
        "(Resources/WebsocketHandler/Properties/Handler; wsgen's WebsocketHandler, patched by "
        "extra.yaml)"
    )
    rejected = (directory / REJECTED).read_text().splitlines()
    assert rejected[int(match[1]) - 1].strip().startswith("Handler: ")
    assert last.endswith(f"nothing was written to stdout; the rejected template is {REJECTED}")
    assert (directory / ".wsgen" / ".gitignore").is_file()
    # Once the template passes, the rejected one goes: it no longer tells anything.
    assert wsgen("template", "--lint", cwd=directory).code == 0
    assert not (directory / REJECTED).exists()


@pytest.mark.slow  # cfn-lint: seconds of CPU per template
def test_json_files_are_located_too(wsgen: Wsgen, app_dir: AppDir) -> None:
    merged = (
        '{"Resources": {\n  "Bucket": {"Type": "AWS::S3::Bucket",\n    "Properties": {"X": 1}}}}\n'
    )
    directory = app_dir(ECHO, {"extra.json": merged})
    args = ["template", "--merge-template", "extra.json", "--format", "json", "--lint"]
    result = wsgen(*args, cwd=directory)
    assert result.err.splitlines()[0] == (
        "extra.json:3:20: E3002 Additional properties are not allowed ('X' was unexpected) "
        "(Resources/Bucket/Properties/X)"
    )
    assert (directory / ".wsgen" / "rejected-template.json").is_file()


def test_without_cfn_lint_it_says_how_to_install_it(
    wsgen: Wsgen, app_dir: AppDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cfnlint.api", None)  # what an absent package gives
    result = wsgen("template", "--lint", cwd=app_dir(ECHO))
    assert result.code == 1
    assert result.err == (
        "error: --lint needs cfn-lint; install it with pip install 'wsgen[lint]'\n"
    )


@pytest.mark.slow  # importing cfn-lint: seconds of CPU
def test_the_region_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from wsgen.lint import region

    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert region() == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "not-a-region")
    assert region() == "eu-west-1"
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert region() == "us-east-1"
