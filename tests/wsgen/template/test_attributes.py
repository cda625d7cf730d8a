"""The attributes `Fn::GetAtt` may read, per resource type: `wsgen/template/getatts.json`."""

from __future__ import annotations

import pytest

from runtime.spec import AppSpec
from tests.support.paths import GOLDEN
from tests.support.templates import ROUTES, settings_from
from wsgen.exceptions import ConfigError
from wsgen.template import check_settings_references
from wsgen.template.attributes import TABLE, attributes, from_cfn_lint, has_attribute, render


@pytest.mark.slow  # importing cfn-lint: seconds of CPU
def test_the_table_is_what_the_installed_cfn_lint_gives() -> None:
    assert TABLE.read_text(encoding="utf-8") == render(from_cfn_lint()), "run make getatts"


def test_every_type_wsgen_generates_has_its_attributes() -> None:
    import yaml

    types = set()
    for golden in sorted(GOLDEN.glob("*.yaml")):
        for line in golden.read_text().splitlines():
            if line.strip().startswith("Type: AWS::"):
                types.add(yaml.safe_load(line)["Type"])
    assert "AWS::SQS::Queue" in types and "AWS::Serverless::Function" in types
    assert [t for t in sorted(types) if attributes(t) is None] == []
    assert attributes("Custom::Anything") is None


def test_patterns_match_as_cfn_lint_matches_them() -> None:
    names = attributes("AWS::CloudFormation::Stack")
    assert names is not None
    assert has_attribute(names, "Outputs.TableName")
    assert not has_attribute(names, "Output.TableName")
    assert not has_attribute(["RedrivePolicy.deadLetterTargetArn"], "RedrivePolicyXdeadLetter")


def test_a_long_list_is_cut_and_the_closest_name_suggested(tmp_path) -> None:
    (tmp_path / "t.yaml").write_text("Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n")
    settings = settings_from(
        {
            "merge_template": tmp_path / "t.yaml",
            "environment": {"DB": {"Fn::GetAtt": ["Db", "Endpoint.Adress"]}},
        }
    )
    with pytest.raises(ConfigError) as refused:
        # What wsgen local and the test client call: the check wsgen template makes.
        check_settings_references(AppSpec("t", ROUTES), settings)
    message = str(refused.value)
    assert message.startswith(
        "wsgen.toml: 'environment.DB' uses Fn::GetAtt 'Db.Endpoint.Adress', but Db "
        "(AWS::RDS::DBInstance) has no attribute 'Endpoint.Adress' (it has "
        "AdditionalStorageVolumes, "
    )
    assert message.endswith(" more); did you mean 'Endpoint.Address'?")
