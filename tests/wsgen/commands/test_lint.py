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


@pytest.mark.slow  # cfn-lint: seconds of CPU per template
def test_findings_are_listed_with_their_lines_and_fail_writing_nothing(
    wsgen: Wsgen, app_dir: AppDir
) -> None:
    directory = app_dir(ECHO, {"extra.yaml": FLAWED})
    output = directory / "template.yaml"
    output.write_text("before\n")
    args = ["template", "--runtime", "python3.12", "--merge-template", "extra.yaml"]
    result = wsgen(*args, "--lint", "-o", str(output), cwd=directory)
    assert result.code == 1
    assert output.read_text() == "before\n"
    *findings, last = result.err.splitlines()
    assert last == (
        f"error: cfn-lint found 1 error and 1 warning in {output} (listed above); "
        "nothing was written"
    )
    parsed = [re.fullmatch(r"(.+):(\d+):(\d+): ([EW]\d+) (.+)", line) for line in findings]
    assert all(parsed), findings
    assert [(m[1], m[4]) for m in parsed if m] == [(str(output), "E3002"), (str(output), "W3005")]
    # Each line number points at the offending key in the template that would be written.
    text = wsgen(*args, cwd=directory).out.splitlines()
    for match, key in zip(parsed, ["BucketNam: x", "DependsOn: Topic"], strict=True):
        assert match and text[int(match[2]) - 1].strip() == key, match


@pytest.mark.slow  # cfn-lint: seconds of CPU per template
def test_stdout_findings_name_stdout(wsgen: Wsgen, app_dir: AppDir) -> None:
    directory = app_dir(ECHO, {"extra.yaml": FLAWED})
    result = wsgen("template", "--merge-template", "extra.yaml", "--lint", cwd=directory)
    assert (result.code, result.out) == (1, "")
    assert all(line.startswith("<stdout>:") for line in result.err.splitlines()[:-1])


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
