"""Deployment settings: `wsgen.toml` in the app directory, per stage, overridden by CLI flags.

    runtime = "python3.12"            # the Lambda runtime
    memory_size = 256                 # MB, 128-10240
    timeout = 30                      # seconds, 1-900
    log_retention_days = 14           # a CloudWatch Logs retention period
    merge_template = "resources.yaml" # merged like --merge-template, relative to the app dir
    policies = [{ DynamoDBCrudPolicy = { TableName = { Ref = "Table" } } }]

    [environment]                     # Lambda environment variables
    TABLE = { Ref = "Table" }         # a value may be a CloudFormation intrinsic

    [tags]
    team = "chat"

    [stages.prod]                     # any key above, for `--stage prod` only
    memory_size = 1024

A stage's `environment` and `tags` add to the top-level ones; its other keys replace them.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from .exceptions import ConfigError

FILENAME = "wsgen.toml"
DEFAULT_STAGE = "api"
DEFAULT_MEMORY_SIZE = 128
DEFAULT_TIMEOUT = 30  # API Gateway stops waiting for an integration after 29 s

# Python runtimes Lambda supports and does not yet deprecate (cfn-lint W2531 flags deprecated
# ones): https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
RUNTIMES = ("python3.11", "python3.12", "python3.13", "python3.14")

# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_MERGED_KEYS = ("environment", "tags")


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the template needs beyond the app's spec, after file, stage and flags."""

    stage: str = DEFAULT_STAGE
    runtime: str = RUNTIMES[0]
    memory_size: int = DEFAULT_MEMORY_SIZE
    timeout: int = DEFAULT_TIMEOUT
    log_retention_days: int | None = None
    merge_template: Path | None = None
    environment: dict[str, Any] = dataclasses.field(default_factory=dict)
    policies: list[Any] = dataclasses.field(default_factory=list)
    tags: dict[str, Any] = dataclasses.field(default_factory=dict)


KEYS = tuple(f.name for f in dataclasses.fields(Settings) if f.name != "stage")


def default_runtime() -> str:
    """The running interpreter's Lambda runtime name.

    Raises:
        ConfigError: Lambda has no (supported) runtime for this Python.
    """
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime not in RUNTIMES:
        raise ConfigError(
            f"{runtime} is not a supported Lambda runtime; pass --runtime, one of "
            f"{', '.join(RUNTIMES)}"
        )
    return runtime


def validate_stage(stage: str, source: str = "--stage") -> str:
    if not _STAGE_NAME.match(stage):
        raise ConfigError(
            f"invalid stage name '{stage}': use 1-128 letters, digits, '-' and '_'", source
        )
    return stage


def load_settings(
    app_dir: Path, stage: str = DEFAULT_STAGE, overrides: dict[str, Any] | None = None
) -> Settings:
    """Read `wsgen.toml` (if any) for `stage`, then apply `overrides` (CLI flags, not None).

    Raises:
        ConfigError: the file is unreadable or malformed, or a key is unknown or mistyped.
    """
    validate_stage(stage)
    path = app_dir / FILENAME
    raw = _read(path) if path.exists() else {}
    source = str(path)
    stages = raw.pop("stages", {})
    if not isinstance(stages, dict):
        raise ConfigError("'stages' must be a table of [stages.NAME] sections", source)
    values = _check(raw, source, "")
    for name, table in stages.items():
        validate_stage(name, f"{source}: [stages.{name}]")
        if not isinstance(table, dict):
            raise ConfigError(f"'stages.{name}' must be a table", source)
        checked = _check(table, source, f"stages.{name}.")
        if name == stage:
            for key, value in checked.items():
                merge = key in _MERGED_KEYS and key in values
                values[key] = {**values[key], **value} if merge else value
    if "merge_template" in values:  # the file's path is relative to the file
        values["merge_template"] = app_dir / values["merge_template"]
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _CHECKS[key](f"--{key.replace('_', '-')}", value, None)
    if "runtime" not in values:
        values["runtime"] = default_runtime()
    return Settings(stage=stage, **values)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read it: {exc.strerror}", str(path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("is not UTF-8 text", str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"is not valid TOML: {exc}", str(path)) from exc


def _check(table: dict[str, Any], source: str, prefix: str) -> dict[str, Any]:
    """Validate each key's type; the message names the key (with its stage prefix)."""
    checked: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if key not in KEYS:
            raise ConfigError(f"unknown key '{name}'; known keys: {', '.join(KEYS)}", source)
        checked[key] = _CHECKS[key](name, value, source)
    return checked


def _runtime(name: str, value: Any, source: str | None) -> str:
    if value not in RUNTIMES:
        raise ConfigError(f"'{name}' must be one of {', '.join(RUNTIMES)}, not {value!r}", source)
    return str(value)


def _integer(low: int, high: int) -> Any:
    def check(name: str, value: Any, source: str | None) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(
                f"'{name}' must be an integer from {low} to {high}, not {value!r}", source
            )
        return value

    return check


def _retention(name: str, value: Any, source: str | None) -> int:
    if isinstance(value, bool) or value not in RETENTION_DAYS:
        raise ConfigError(
            f"'{name}' must be one of {', '.join(map(str, RETENTION_DAYS))}, not {value!r}", source
        )
    return int(value)


def _path(name: str, value: Any, source: str | None) -> Path:
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or not value:
        raise ConfigError(f"'{name}' must be a file path (a string), not {value!r}", source)
    return Path(value)


def _mapping(kind: str, check_name: bool) -> Any:
    def check(name: str, value: Any, source: str | None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ConfigError(f"'{name}' must be a table of {kind}", source)
        for key, item in value.items():
            if check_name and not _ENV_NAME.match(key):
                raise ConfigError(
                    f"'{name}.{key}' is not a valid environment variable name", source
                )
            if not isinstance(item, str) and not is_intrinsic(item):
                raise ConfigError(
                    f"'{name}.{key}' must be a string or an intrinsic such as "
                    f'{{ Ref = "Name" }}, not {item!r}',
                    source,
                )
        return dict(value)

    return check


def _policies(name: str, value: Any, source: str | None) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"'{name}' must be a list (use [[policies]] sections)", source)
    for index, item in enumerate(value):
        template = isinstance(item, dict) and len(item) == 1
        if not (isinstance(item, str) or is_statement(item) or template):
            raise ConfigError(
                f"'{name}[{index}]' must be a managed policy name or ARN, a SAM policy "
                'template such as { DynamoDBCrudPolicy = { TableName = "t" } }, or a '
                "statement with Effect, Action and Resource",
                source,
            )
    return list(value)


def is_statement(policy: Any) -> bool:
    """An IAM statement (`Effect`, `Action`, `Resource`), as opposed to a SAM policy template."""
    return isinstance(policy, dict) and "Effect" in policy


def is_intrinsic(value: Any) -> bool:
    """A CloudFormation function written as a one-key table: `{ Ref = "X" }`, `{ "Fn::…" = … }`."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    [name] = value
    return name in ("Ref", "Condition") or str(name).startswith("Fn::")


_CHECKS = {
    "runtime": _runtime,
    "memory_size": _integer(128, 10240),
    "timeout": _integer(1, 900),
    "log_retention_days": _retention,
    "merge_template": _path,
    "environment": _mapping("environment variables", check_name=True),
    "policies": _policies,
    "tags": _mapping("tags", check_name=False),
}
