"""Deployment settings: `wsgen.toml` in the app directory, per stage, overridden by CLI flags.

    runtime = "python3.12"            # the Lambda runtime
    memory_size = 256                 # MB, 128-10240
    timeout = 30                      # seconds, 1-900
    reserved_concurrency = 10         # of the default function (not inherited)
    log_retention_days = 14           # a CloudWatch Logs retention period
    merge_template = "resources.yaml" # merged like --merge-template, relative to the app dir
    policies = [{ DynamoDBCrudPolicy = { TableName = { Ref = "Table" } } }]

    access_logging = true             # the stage's access log (default: on), JSON lines
    access_log_format = '{"requestId":"$context.requestId"}'   # a custom line
    logging_level = "ERROR"           # execution logging: OFF (default), ERROR or INFO
    data_trace = false                # execution logs with full messages (needs a level)
    account_logging_role = false      # create the account's API Gateway CloudWatch role
    throttling_burst_limit = 100      # every route's default
    throttling_rate_limit = 50.0
    content_handling = "CONVERT_TO_TEXT"   # or CONVERT_TO_BINARY; default: none

    [environment]                     # Lambda environment variables
    TABLE = { Ref = "Table" }         # a value may be a CloudFormation intrinsic

    [tags]
    team = "chat"

    [routes."join"]                   # per route key: throttling, logging_level, data_trace
    throttling_burst_limit = 10

    [domain]                          # a custom domain (regional, TLS 1.2)
    name = "ws.example.com"
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
    base_path = "chat"                # optional
    hosted_zone_id = "Z0123456789ABC" # optional: adds the Route 53 alias record

    [functions.worker]                # routes served by a function of their own
    routes = ["join", "$disconnect"]
    authorizer = false                # true: it also runs the $connect authorizer
    memory_size = 1024                # memory_size, timeout, environment, policies:
    reserved_concurrency = 5          # default to the top-level ones

    [stages.prod]                     # any key above, for `--stage prod` only
    memory_size = 1024

A stage's `environment` and `tags` add to the top-level ones; its `routes` and `functions`
add per name (a named table's keys replace the top-level table's); its other keys replace
them. A function's `environment` adds to the top-level one; its other keys replace them.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from runtime.contract import AppSpec

from .checks import CHECKS, RETENTION_DAYS, RUNTIMES, is_intrinsic, is_statement
from .exceptions import ConfigError

__all__ = [
    "DEFAULT_STAGE",
    "FILENAME",
    "RETENTION_DAYS",
    "RUNTIMES",
    "FunctionSettings",
    "Settings",
    "default_runtime",
    "is_intrinsic",
    "is_statement",
    "load_settings",
    "validate_stage",
]

FILENAME = "wsgen.toml"
DEFAULT_STAGE = "api"
DEFAULT_MEMORY_SIZE = 128
DEFAULT_TIMEOUT = 30  # API Gateway stops waiting for an integration after 29 s

_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_MERGED_KEYS = ("environment", "tags")
_MERGED_TABLES = ("routes", "functions")


@dataclasses.dataclass(frozen=True)
class FunctionSettings:
    """One Lambda function of the template and what it serves; `name` None is the default."""

    name: str | None
    routes: tuple[str, ...]
    authorizer: bool
    memory_size: int
    timeout: int
    reserved_concurrency: int | None
    environment: dict[str, Any]
    policies: list[Any]


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the template needs beyond the app's spec, after file, stage and flags."""

    stage: str = DEFAULT_STAGE
    runtime: str = RUNTIMES[0]
    memory_size: int = DEFAULT_MEMORY_SIZE
    timeout: int = DEFAULT_TIMEOUT
    reserved_concurrency: int | None = None
    log_retention_days: int | None = None
    merge_template: Path | None = None
    environment: dict[str, Any] = dataclasses.field(default_factory=dict)
    policies: list[Any] = dataclasses.field(default_factory=list)
    tags: dict[str, Any] = dataclasses.field(default_factory=dict)
    access_logging: bool = True
    access_log_format: str | None = None
    logging_level: str = "OFF"
    data_trace: bool = False
    account_logging_role: bool = False
    throttling_burst_limit: int | None = None
    throttling_rate_limit: float | None = None
    content_handling: str | None = None
    routes: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    domain: dict[str, Any] | None = None
    functions: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def function_settings(self, spec: AppSpec) -> list[FunctionSettings]:
        """The functions serving `spec`: the default one first (if it serves anything).

        A route or the authorizer not assigned to a named function is served by the default.
        """
        named = [self._named(name, table) for name, table in sorted(self.functions.items())]
        taken = {key for function in named for key in function.routes}
        rest = tuple(route.key for route in spec.routes if route.key not in taken)
        authorizer = spec.authorizer is not None and not any(f.authorizer for f in named)
        default = FunctionSettings(
            None,
            rest,
            authorizer,
            self.memory_size,
            self.timeout,
            self.reserved_concurrency,
            self.environment,
            self.policies,
        )
        return ([default] if rest or authorizer else []) + named

    def _named(self, name: str, table: dict[str, Any]) -> FunctionSettings:
        return FunctionSettings(
            name,
            tuple(table.get("routes", ())),
            table.get("authorizer", False),
            table.get("memory_size", self.memory_size),
            table.get("timeout", self.timeout),
            table.get("reserved_concurrency"),
            {**self.environment, **table.get("environment", {})},
            table.get("policies", self.policies),
        )


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
    app_dir: Path,
    stage: str = DEFAULT_STAGE,
    overrides: dict[str, Any] | None = None,
    spec: AppSpec | None = None,
) -> Settings:
    """Read `wsgen.toml` (if any) for `stage`, then apply `overrides` (CLI flags, not None).

    With `spec`, the route keys the file names (`[routes.KEY]`, a function's `routes`) must
    be the app's, and its functions must not share a route.

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
    values = _check(raw, source, "", spec)
    for name, table in stages.items():
        validate_stage(name, f"{source}: [stages.{name}]")
        if not isinstance(table, dict):
            raise ConfigError(f"'stages.{name}' must be a table", source)
        checked = _check(table, source, f"stages.{name}.", spec)
        if name == stage:
            for key, value in checked.items():
                values[key] = _merge(key, values.get(key), value)
    if "merge_template" in values:  # the file's path is relative to the file
        values["merge_template"] = app_dir / values["merge_template"]
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = CHECKS[key](f"--{key.replace('_', '-')}", value, None)
    if "runtime" not in values:
        values["runtime"] = default_runtime()
    settings = Settings(stage=stage, **values)
    _check_together(settings, source, spec)
    return settings


def _merge(key: str, old: Any, new: Any) -> Any:
    if old is None:
        return new
    if key in _MERGED_KEYS:
        return {**old, **new}
    if key in _MERGED_TABLES:
        return {**old, **{name: {**old.get(name, {}), **table} for name, table in new.items()}}
    return new


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read it: {exc.strerror}", str(path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("is not UTF-8 text", str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"is not valid TOML: {exc}", str(path)) from exc


def _check(table: dict[str, Any], source: str, prefix: str, spec: AppSpec | None) -> dict[str, Any]:
    """Validate each key's type; the message names the key (with its stage prefix)."""
    checked: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if key not in KEYS:
            raise ConfigError(f"unknown key '{name}'; known keys: {', '.join(KEYS)}", source)
        checked[key] = CHECKS[key](name, value, source)
    if spec is not None:
        keys = [route.key for route in spec.routes]
        named = [(f"{prefix}routes.{key}", key) for key in checked.get("routes", {})]
        for function, table in checked.get("functions", {}).items():
            where = f"{prefix}functions.{function}.routes"
            named += [(where, key) for key in table.get("routes", ())]
        for name, key in named:
            if key not in keys:
                raise ConfigError(
                    f"'{name}' names route '{key}', which the app does not have; its routes: "
                    f"{', '.join(keys)}",
                    source,
                )
    return checked


def _check_together(settings: Settings, source: str, spec: AppSpec | None) -> None:
    """Checks of the stage's settings that involve more than one key."""
    levels = [("", settings.logging_level, settings.data_trace)] + [
        (f"routes.{key}.", table.get("logging_level", settings.logging_level), table["data_trace"])
        for key, table in settings.routes.items()
        if "data_trace" in table
    ]
    for prefix, level, trace in levels:
        if trace and level == "OFF":
            raise ConfigError(
                f"'{prefix}data_trace' logs nothing while 'logging_level' is OFF; "
                'set logging_level = "INFO" (or "ERROR")',
                source,
            )
    owners: dict[str, str] = {}  # route key: the function serving it
    authorizer_owner: str | None = None
    for name, table in sorted(settings.functions.items()):
        routes = table.get("routes", [])
        if not routes and not table.get("authorizer"):
            raise ConfigError(f"'functions.{name}' needs 'routes' (or authorizer = true)", source)
        for key in routes:
            if key in owners:
                raise ConfigError(
                    f"route '{key}' is in both 'functions.{owners[key]}.routes' and "
                    f"'functions.{name}.routes'",
                    source,
                )
            owners[key] = name
        if table.get("authorizer"):
            if authorizer_owner is not None:
                raise ConfigError(
                    f"'functions.{authorizer_owner}.authorizer' and "
                    f"'functions.{name}.authorizer' are both true",
                    source,
                )
            authorizer_owner = name
            if spec is not None and spec.authorizer is None:
                raise ConfigError(
                    f"'functions.{name}.authorizer' is true, but the app has no ws_authorizer",
                    source,
                )
