"""The golden templates: current, and accepted by cfn-lint, `sam validate --lint` (those of
the apps beside the samples; the samples' go through `sam build` in tests/samples) and SAM's
translator (the samples' here, the others' in test_golden_NAME.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.golden import GOLDEN_APPS, render_sample
from tests.support.paths import GOLDEN, SAMPLE_NAMES
from tests.support.templates import (
    Result,
    features_template,
    parse,
    quota_template,
    sam_transform,
    sam_validate_lint,
)
from wsgen.template.quotas import transformed_count


@pytest.mark.parametrize("sample", GOLDEN_APPS)
def test_golden_template_is_what_wsgen_template_prints(sample: str) -> None:
    """What `make golden` would write now (`wsgen template`, GOLDEN_ARGS) is what is there."""
    expected = (GOLDEN / f"{sample}.yaml").read_text()
    assert render_sample(sample) == expected, "run `make golden`, read the diff"


@pytest.mark.slow  # cfn-lint: seconds of CPU per template
@pytest.mark.parametrize("sample", GOLDEN_APPS)
def test_cfn_lint_finds_nothing_in_golden_template(sample: str) -> None:
    from cfnlint.api import lint_file

    matches = lint_file(GOLDEN / f"{sample}.yaml")
    assert [str(m) for m in matches] == []


@pytest.mark.external  # sam, from .venv-sam
@pytest.mark.parametrize("name", sorted(set(GOLDEN_APPS) - set(SAMPLE_NAMES)))
def test_sam_validate_lint_accepts_golden_template(name: str, tmp_path: Path) -> None:
    assert "is a valid SAM Template" in sam_validate_lint(GOLDEN / f"{name}.yaml", tmp_path)


@pytest.mark.slow  # SAM's translator: seconds of CPU per template
@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_sam_translator_turns_golden_template_into_plain_cloudformation(
    sample: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    template = parse((GOLDEN / f"{sample}.yaml").read_text())
    translated = sam_transform(template)
    types = {resource["Type"] for resource in translated["Resources"].values()}
    assert len(translated["Resources"]) == transformed_count(template)
    assert "Transform" not in translated
    assert not any(t.startswith("AWS::Serverless::") for t in types)
    assert {"AWS::Lambda::Function", "AWS::Lambda::LayerVersion", "AWS::IAM::Role"} <= types
    role = next(r for r in translated["Resources"].values() if r["Type"] == "AWS::IAM::Role")
    actions = [
        statement["Action"]
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    assert "execute-api:ManageConnections" in actions
    assert "*" not in str(actions)


@pytest.mark.slow  # cfn-lint and SAM's translator: seconds of CPU
def test_cfn_lint_and_sam_translator_accept_the_features_template(
    wsgen: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The template using every wsgen.toml setting, which no sample does."""
    from cfnlint.api import lint_file

    text, template = features_template(wsgen, tmp_path / "features")
    (tmp_path / "features.yaml").write_text(text)
    assert [str(m) for m in lint_file(tmp_path / "features.yaml")] == []
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    translated = sam_transform(template)
    assert len(translated["Resources"]) == transformed_count(template)
    functions = [
        r for r in translated["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    ]
    assert len(functions) == 4  # the default, worker, gate and the task report
    # Each logs into its own unnamed group with the retention, not /aws/lambda/<function>.
    groups = [function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for function in functions]
    for group in groups:
        resource = translated["Resources"][group]
        assert (resource["Type"], resource["Properties"]) == (
            "AWS::Logs::LogGroup",
            {"RetentionInDays": 14},
        )
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Delete", "Delete")
    assert len(set(groups)) == 4
    # tracing = true but for gate; arm64 for all; cfn-guard's waivers reach the functions.
    tracing = sorted(f["Properties"].get("TracingConfig", {}).get("Mode", "-") for f in functions)
    assert tracing == ["-", "Active", "Active", "Active"]
    assert all(f["Properties"]["Architectures"] == ["arm64"] for f in functions)
    assert all("LAMBDA_DLQ_CHECK" in f["Metadata"]["guard"]["SuppressedRules"] for f in functions)
    [layer] = [
        r for r in translated["Resources"].values() if r["Type"] == "AWS::Lambda::LayerVersion"
    ]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]


@pytest.mark.slow  # cfn-lint on 300 routes: about 20 s
def test_cfn_lint_and_sam_translator_accept_300_routes(
    wsgen: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """API Gateway's route quota, with a function of few two-way routes beside the default."""
    from cfnlint.api import lint_file

    text, template = quota_template(wsgen, tmp_path / "routes300")
    (tmp_path / "routes300.yaml").write_text(text)
    assert [str(m) for m in lint_file(tmp_path / "routes300.yaml")] == []
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    translated = sam_transform(template)["Resources"]
    assert len(translated) == transformed_count(template) < 500
    types = [resource["Type"] for resource in translated.values()]
    assert types.count("AWS::ApiGatewayV2::Route") == 300
    assert types.count("AWS::ApiGatewayV2::RouteResponse") == 25
    assert types.count("AWS::ApiGatewayV2::Integration") == 1 + 25
    assert types.count("AWS::Lambda::Permission") == 1 + 25
