from __future__ import annotations

from pathlib import Path

import pytest

from wsgen.exceptions import ConfigError
from wsgen.settings import RUNTIMES, load_settings


def settings_for(tmp_path: Path, toml: str, stage: str = "api", **overrides: object):
    (tmp_path / "wsgen.toml").write_text(toml)
    return load_settings(tmp_path, stage, dict(overrides))


def test_no_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, "api", {"runtime": "python3.12"})
    assert (settings.stage, settings.runtime, settings.memory_size) == ("api", "python3.12", 128)
    assert settings.environment == {} and settings.merge_template is None


def test_a_stage_adds_to_environment_and_tags_and_replaces_the_rest(tmp_path: Path) -> None:
    toml = """
runtime = "python3.12"
timeout = 10
policies = ["AWSXrayWriteOnlyAccess"]
environment = { A = "1", B = "2" }
tags = { team = "x" }
[stages.prod]
timeout = 20
policies = []
environment = { B = "prod", C = { Ref = "Table" } }
"""
    prod = settings_for(tmp_path, toml, "prod")
    assert prod.timeout == 20 and prod.policies == []
    assert prod.environment == {"A": "1", "B": "prod", "C": {"Ref": "Table"}}
    assert prod.tags == {"team": "x"}
    dev = settings_for(tmp_path, toml, "dev")
    assert dev.timeout == 10 and dev.environment == {"A": "1", "B": "2"}


def test_flags_override_the_file(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, 'runtime = "python3.12"\n', runtime="python3.13")
    assert settings.runtime == "python3.13"


def test_merge_template_is_relative_to_the_app_dir(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, 'runtime = "python3.12"\nmerge_template = "r.yaml"\n')
    assert settings.merge_template == tmp_path / "r.yaml"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('environment = { "1X" = "a" }', "'environment.1X' is not a valid environment variable"),
        ("environment = { A = 1 }", "'environment.A' must be a string or an intrinsic"),
        ("environment = { A = { Bad = 1 } }", "'environment.A' must be a string or an intrinsic"),
        ("log_retention_days = 10", "'log_retention_days' must be one of 1, 3, 5"),
        ("memory_size = true", "'memory_size' must be an integer from 128 to 10240"),
        ("policies = [1]", "'policies[0]' must be a managed policy name or ARN"),
        ('runtime = "python3.9"', "'runtime' must be one of " + ", ".join(RUNTIMES)),
        ('stages = "x"', "'stages' must be a table"),
        ("[stages.'a b']", "invalid stage name 'a b'"),
        ("[stages.prod]\nfoo = 1", "unknown key 'stages.prod.foo'"),
    ],
)
def test_mistakes_name_the_key_and_the_file(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_for(tmp_path, toml)
    assert message in str(info.value)
    assert str(info.value).startswith(str(tmp_path / "wsgen.toml"))
