"""Deployment settings: `wsgen.toml` in the app directory, per stage, overridden by CLI flags.

    runtime = "python3.12"            # the Lambda runtime
    memory_size = 256                 # MB, 128-10240
    timeout = 30                      # seconds, 1-900
    snap_start = true                 # Lambda SnapStart on published versions (python3.12+)
    reserved_concurrency = 10         # of the default function (not inherited)
    log_retention_days = 14           # a CloudWatch Logs retention period
    merge_template = "resources.yaml" # merged like --merge-template, relative to the app dir
    policies = [{ DynamoDBCrudPolicy = { TableName = { Ref = "Table" } } }]

    access_logging = true             # the stage's access log (default: on), JSON lines
    access_log_format = '{"requestId":"$context.requestId"}'   # a custom line
    logging_level = "ERROR"           # execution logging: OFF (default), ERROR or INFO
    data_trace = false                # execution logs with full messages (needs a level)
    account_logging_role = false      # create the account's API Gateway CloudWatch role
    access_log_deletion_policy = "Delete"  # default Retain: the access log outlives the stack
    throttling_burst_limit = 100      # every route's default (default 500)
    throttling_rate_limit = 50.0      # requests per second (default 1000)
    content_handling = "CONVERT_TO_TEXT"   # or CONVERT_TO_BINARY; default: none
    architecture = "arm64"            # or x86_64 (the default), every function's
    tracing = true                    # X-Ray active tracing (default: off)
    api_keys = ["local-key-0123456789"]  # what wsgen local and the test client accept in
                                      # x-api-key (api_key_required); not in the template

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

    [functions.jobs]                  # the function of the event handler named jobs
    timeout = 60                      # (@app.on_sqs_message(...), ...): no routes

    [functions.report]                # an @app.task() named report: its own function
    timeout = 900                     # up to 15 minutes
    retry_attempts = 0                # Lambda's retries of a failed run (0-2, default 2)

    [functions.wsgen_fan_out]         # the function sending fan-out shards (fan_out=True)
    maximum_concurrency = 4           # its SQS poller's cap (2-1000; also for queue handlers)

    [stages.prod]                     # any key above, for `--stage prod` only
    memory_size = 1024

A stage's `environment` and `tags` add to the top-level ones; its `routes` and `functions`
add per name (a named table's keys replace the top-level table's); its other keys replace
them. A function's `environment` adds to the top-level one; its other keys replace them.

Adding a setting
----------------
A setting is one dataclass field. Its annotation carries its check (from `wsgen.checks`)
and, where it has one, its `Rule` (`wsgen.keys` reads them); `CHECKS`, each table's keys
and "unknown key" list, the required keys and the typed value the template reads all come
from the fields:

    timeout: Annotated[int, checks.TIMEOUT] = 30

Choose the class by where the key may be written:

- `Settings`: a top-level key (also allowed in `[stages.NAME]`), for the whole stack.
- `FunctionDefaults`: a key of every Lambda function. It is written at the top (the default
  function's value, which every `[functions.NAME]` inherits, unless `Rule.NOT_INHERITED`)
  and in `[functions.NAME]`; read it on the `FunctionSettings` that
  `Settings.function_settings()` gives the template.
- `FunctionSettings`: a key of `[functions.NAME]` only (`routes`, `authorizer`).
- `RouteSettings`: a key of `[routes."KEY"]`, typed `T | None = None` (None: the stage's
  default applies). `template/stage.py` names its CloudFormation property.
- `DomainSettings`: a key of `[domain]`; a field without a default is required.

A field without a check in its annotation (`stage`) is not a key of the file. Then add the
key to the example above and to docs/settings.md (its "Every key" list, which
`tests/test_docs.py` checks), and a mistake's message to `tests/wsgen/test_settings.py`.
Checks of several keys together go in `_check_together`.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from runtime.contract import FAN_OUT_FUNCTION, FAN_OUT_MAX_RECEIVES, SQS, TASK
from runtime.spec import AppSpec, FunctionSpec

from . import checks
from .checks import RETENTION_DAYS, RUNTIMES, Check, is_intrinsic, is_statement
from .exceptions import ConfigError
from .keys import Rule, Section, combine, keys_of
from .sources.checks import is_fifo

SNAP_START_SINCE = "python3.12"
"""The first Python runtime Lambda SnapStart supports.
https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html"""

__all__ = [
    "CHECKS",
    "DEFAULT_STAGE",
    "DEFAULT_STAGES",
    "FILENAME",
    "RETENTION_DAYS",
    "RUNTIMES",
    "DomainSettings",
    "FunctionDefaults",
    "FunctionSettings",
    "RouteSettings",
    "Rule",
    "Settings",
    "default_runtime",
    "is_intrinsic",
    "is_statement",
    "load_settings",
    "runtime_warning",
    "settings_from",
    "today",
    "validate_stage",
]

FILENAME = "wsgen.toml"
DEFAULT_STAGE = "api"
DEFAULT_STAGES = (DEFAULT_STAGE, "local", "test")
"""The stages wsgen names itself: `wsgen template`'s, `wsgen local`'s and `wsgen.testing`'s
defaults. Any other `--stage` must be a `[stages.NAME]` of wsgen.toml, when it has some."""
DEFAULT_MEMORY_SIZE = 128
DEFAULT_TIMEOUT = 30  # API Gateway stops waiting for an integration after 29 s
# The stage's default throttling, every route's unless [routes."KEY"] says otherwise: a tenth
# of the 10,000 requests per second and 5,000 burst an account shares per region across all
# its APIs (docs/aws-facts.md#quotas), so one API cannot take all of it.
DEFAULT_THROTTLING_BURST_LIMIT = 500
DEFAULT_THROTTLING_RATE_LIMIT = 1000  # an int, as render writes floats only the slow way
# A runtime whose deprecation is this near is warned about when it is the default.
RUNTIME_WARNING_DAYS = 180

_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

Intrinsic = dict[str, Any]
"""A CloudFormation function written as a one-key table, e.g. `{ Ref = "Certificate" }`."""


@dataclasses.dataclass(frozen=True)
class RouteSettings:
    """`[routes."KEY"]`: one route's stage settings; None leaves the stage's default."""

    throttling_burst_limit: Annotated[int | None, checks.COUNT] = None
    throttling_rate_limit: Annotated[float | None, checks.rate] = None
    logging_level: Annotated[str | None, checks.LOGGING_LEVEL] = None
    data_trace: Annotated[bool | None, checks.boolean] = None


@dataclasses.dataclass(frozen=True)
class DomainSettings:
    """`[domain]`: a custom domain name (regional, TLS 1.2) mapped to the stage."""

    name: Annotated[str, checks.HOST_NAME]
    certificate_arn: Annotated[str | Intrinsic, checks.CERTIFICATE_ARN]
    base_path: Annotated[str | None, checks.BASE_PATH] = None
    hosted_zone_id: Annotated[str | Intrinsic | None, checks.HOSTED_ZONE_ID] = None


@dataclasses.dataclass(frozen=True)
class FunctionDefaults:
    """What every Lambda function of the template has: top-level keys and `[functions.NAME]`'s."""

    memory_size: Annotated[int, checks.MEMORY_SIZE] = DEFAULT_MEMORY_SIZE
    timeout: Annotated[int, checks.TIMEOUT] = DEFAULT_TIMEOUT
    reserved_concurrency: Annotated[int | None, checks.COUNT, Rule.NOT_INHERITED] = None
    environment: Annotated[dict[str, Any], checks.ENVIRONMENT, Rule.ADDS_KEYS] = dataclasses.field(
        default_factory=dict
    )
    policies: Annotated[list[Any], checks.policies] = dataclasses.field(default_factory=list)
    retry_attempts: Annotated[int, checks.RETRY_ATTEMPTS] = 2
    """How many times Lambda retries a failed `@app.task()` run (0-2) before its failure
    queue gets it."""
    tracing: Annotated[bool, checks.boolean] = False
    snap_start: Annotated[bool, checks.boolean] = False


@dataclasses.dataclass(frozen=True)
class FunctionSettings(FunctionDefaults):
    """One Lambda function and what it serves, its unset keys taken from the top level."""

    routes: Annotated[tuple[str, ...], checks.route_list] = ()
    authorizer: Annotated[bool, checks.boolean] = False
    maximum_concurrency: Annotated[int | None, checks.MAXIMUM_CONCURRENCY] = None
    """At most this many concurrent invocations from the function's SQS queue (2-1,000;
    `ScalingConfig`): for `wsgen_fan_out` and `@app.on_sqs_message` handlers."""


@dataclasses.dataclass(frozen=True)
class Settings(FunctionDefaults):
    """What the template needs beyond the app's spec, after file, stage and flags.

    Its `FunctionDefaults` are the default function's; `functions` are the named ones.
    """

    stage: str = DEFAULT_STAGE
    runtime: Annotated[str, checks.runtime] = RUNTIMES[0]
    log_retention_days: Annotated[int | None, checks.retention] = None
    merge_template: Annotated[Path | None, checks.path] = None
    tags: Annotated[dict[str, Any], checks.TAGS, Rule.ADDS_KEYS] = dataclasses.field(
        default_factory=dict
    )
    access_logging: Annotated[bool, checks.boolean] = True
    access_log_format: Annotated[str | None, checks.access_log_format] = None
    access_log_deletion_policy: Annotated[str, checks.DELETION_POLICY] = "Retain"
    logging_level: Annotated[str, checks.LOGGING_LEVEL] = "OFF"
    data_trace: Annotated[bool, checks.boolean] = False
    account_logging_role: Annotated[bool, checks.boolean] = False
    throttling_burst_limit: Annotated[int, checks.COUNT] = DEFAULT_THROTTLING_BURST_LIMIT
    throttling_rate_limit: Annotated[float, checks.rate] = DEFAULT_THROTTLING_RATE_LIMIT
    content_handling: Annotated[str | None, checks.CONTENT_HANDLING_STRATEGY] = None
    architecture: Annotated[str, checks.ARCHITECTURE] = "x86_64"
    api_keys: Annotated[tuple[str, ...], checks.api_keys] = ()
    """The API keys the emulator and the test client take on a `$connect` needing one; never
    in the template (API Gateway generates the deployed key)."""
    routes: Annotated[
        dict[str, RouteSettings], Section(RouteSettings, named=True), Rule.ADDS_TABLES
    ] = dataclasses.field(default_factory=dict)
    domain: Annotated[DomainSettings | None, Section(DomainSettings)] = None
    functions: Annotated[
        dict[str, FunctionSettings],
        Section(FunctionSettings, named=True, name_pattern=checks.FUNCTION_NAME, inherits=True),
        Rule.ADDS_TABLES,
    ] = dataclasses.field(default_factory=dict)
    runtime_defaulted: bool = False
    """Whether `runtime` is the running Python's, neither the file nor a flag naming one."""
    warnings: tuple[str, ...] = ()
    """Settings the file names that the template cannot honour, one line each, which
    `wsgen template` prints as `warning:` lines (`_warnings`)."""

    def function_settings(self, spec: AppSpec) -> list[tuple[str | None, FunctionSettings]]:
        """The functions serving `spec` by name: the default one (None) first, if it serves
        anything, then `functions`.

        A route or the authorizer not assigned to a named function is served by the default.
        """
        named = [(n, f) for n, f in sorted(self.functions.items()) if spec.function(n) is None]
        taken = {key for _, function in named for key in function.routes}
        rest = tuple(route.key for route in spec.routes if route.key not in taken)
        authorizer = spec.authorizer is not None and not any(f.authorizer for _, f in named)
        own = {key: getattr(self, key) for key in keys_of(FunctionDefaults)}
        default = FunctionSettings(**own, routes=rest, authorizer=authorizer)
        return ([(None, default)] if rest or authorizer else []) + list(named)

    def handler_settings(self, function: FunctionSpec) -> FunctionSettings:
        """An event handler's function: its `[functions.NAME]`, else the top-level defaults."""
        if function.name in self.functions:
            return self.functions[function.name]
        inherited = {
            key: getattr(self, key)
            for key, spec in keys_of(FunctionDefaults).items()
            if Rule.NOT_INHERITED not in spec.rules
        }
        return FunctionSettings(**inherited)


CHECKS: dict[str, Check] = {key: spec.check for key, spec in keys_of(Settings).items()}
"""Every top-level key of `wsgen.toml` and its check (also those of command-line flags)."""
KEYS = tuple(CHECKS)


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
    source = str(path)
    raw = _read(path) if path.exists() else {}
    _check_stage_exists(stage, raw.get("stages"), source)
    values = _stage_values(raw, stage, source, spec)
    if "merge_template" in values:  # the file's path is relative to the file
        values["merge_template"] = app_dir / values["merge_template"]
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = CHECKS[key](f"--{key.replace('_', '-')}", value, None)
    defaulted = "runtime" not in values
    if defaulted:
        values["runtime"] = default_runtime()
    return dataclasses.replace(_typed(stage, values, source, spec), runtime_defaulted=defaulted)


def _check_stage_exists(stage: str, stages: Any, source: str) -> None:
    """Refuse a `--stage` wsgen.toml's `[stages.*]` lack (a typo, most likely).

    A file without stages takes any name: the stage names the API's stage, as Chalice's
    `api_gateway_stage` does.
    """
    if stage in DEFAULT_STAGES or not isinstance(stages, dict) or not stages or stage in stages:
        return
    import difflib  # for this error only

    close = difflib.get_close_matches(stage, list(stages), n=1)
    hint = f"did you mean --stage {close[0]}? " if close else ""
    raise ConfigError(
        f"--stage {stage} has no [stages.{stage}]; its stages: {', '.join(stages)}; {hint}"
        f"add an empty [stages.{stage}] for a stage with no settings of its own",
        source,
    )


def today() -> date:
    """The day runtime deprecations are counted from (tests fix it)."""
    return date.today()


def runtime_warning(settings: Settings, today: date) -> str | None:
    """The warning for a defaulted runtime Lambda deprecates within `RUNTIME_WARNING_DAYS`."""
    deprecated = checks.RUNTIME_DEPRECATION[settings.runtime]
    if not settings.runtime_defaulted or (deprecated - today).days > RUNTIME_WARNING_DAYS:
        return None
    when = "deprecated" if deprecated <= today else "deprecates"
    newest = checks.RUNTIMES[-1]
    return (
        f"the runtime defaults to {settings.runtime} (the Python running wsgen), which Lambda "
        f'{when} on {deprecated.isoformat()}; set runtime = "{newest}" in wsgen.toml or pass '
        f"--runtime {newest}"
    )


def settings_from(table: Mapping[str, Any], stage: str = DEFAULT_STAGE) -> Settings:
    """The settings a `wsgen.toml` holding `table` gives `stage`, checked the same way."""
    validate_stage(stage)
    return _typed(stage, _stage_values(dict(table), stage, FILENAME, None), FILENAME, None)


def _stage_values(
    raw: dict[str, Any], stage: str, source: str, spec: AppSpec | None
) -> dict[str, Any]:
    """The file's checked top-level values with `[stages.STAGE]`'s combined into them."""
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
                values[key] = combine(keys_of(Settings)[key].rules, values.get(key), value)
    return values


def _typed(stage: str, values: dict[str, Any], source: str, spec: AppSpec | None) -> Settings:
    """`Settings` from checked values: sections become their classes, inheriting the rest."""
    sections: dict[str, Section] = {}
    for key in values:
        if isinstance(check := CHECKS[key], Section):
            sections[key] = check
    top = Settings(stage=stage, **{k: v for k, v in values.items() if k not in sections})
    built = {key: section.build(values[key], top) for key, section in sections.items()}
    settings = dataclasses.replace(top, **built)
    _check_together(settings, source, spec)
    return dataclasses.replace(settings, warnings=_warnings(values, spec, settings))


def _warnings(values: dict[str, Any], spec: AppSpec | None, settings: Settings) -> tuple[str, ...]:
    """The `Settings.warnings` of the checked values: keys a function's table sets itself
    (not inherited from the top level) that its function cannot use, or that work against
    it."""
    found = []
    for name, table in sorted(values.get("functions", {}).items()):
        function = spec.function(name) if spec is not None else None
        if function is not None and function.kind == SQS and not is_fifo(function):
            # a FIFO queue's poller runs one batch per active message group: not known here
            found += _queue_concurrency_warning(name, settings.functions[name])
        if function is not None and function.kind == TASK and table.get("snap_start"):
            # template/sources.py leaves SnapStart out of a task's function: it would apply to
            # the alias only (docs/settings.md#snapstart).
            found.append(
                f"'functions.{name}.snap_start' does nothing: task.delay() invokes the task's "
                "function by name, which runs $LATEST, and SnapStart applies only to published "
                f"versions invoked through an alias, so the template leaves it out; remove it "
                f"from [functions.{name}]"
            )
    return tuple(found)


def _queue_concurrency_warning(name: str, function: FunctionSettings) -> list[str]:
    """A queue handler's `reserved_concurrency` below what its SQS poller runs at once: as for
    the fan-out function (`_check_fan_out_concurrency`), throttled batches go back to the queue
    and count toward its dead-letter redrive; a warning, as the app's messages may be few."""
    gap = _poller_gap(function)
    if gap is None:
        return []
    runs, fix = gap
    return [
        f"'functions.{name}.reserved_concurrency' = {function.reserved_concurrency} throttles "
        f"its queue's handler: {runs} at once and does not see the cap, so throttled batches go "
        f"back to the queue, each delivery counting toward its dead-letter queue; {fix} (AWS's "
        "advice for a queue's handler)"
    ]


def _poller_gap(function: FunctionSettings) -> tuple[str, str] | None:
    """When an SQS-driven function's `reserved_concurrency` is below the batches its poller
    runs at once (1,000, or its `maximum_concurrency`): what the poller runs, and the fix
    that closes the gap (a poller runs at least 2); None when the cap leaves room."""
    reserved, poller = function.reserved_concurrency, function.maximum_concurrency
    if reserved is None or reserved >= (poller or checks.POLLER_CONCURRENCY):
        return None
    if poller:
        runs = f"with maximum_concurrency = {poller} its SQS poller runs up to {poller} batches"
        lower = f"lower maximum_concurrency to {reserved} or " if reserved >= 2 else ""
        return runs, f"{lower}raise reserved_concurrency to {poller}"
    runs = f"its SQS poller runs up to {checks.POLLER_CONCURRENCY} batches"
    if reserved >= 2:
        return runs, f"cap the poller with maximum_concurrency = {reserved}"
    return runs, "remove it and cap the poller with maximum_concurrency = 2"


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
            raise checks.unknown_key(prefix, key, KEYS, source)
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


def _unknown_function(name: str, spec: AppSpec) -> str:
    """A `[functions.NAME]` that serves nothing: what it needs, and the close name."""
    import difflib  # for this error only

    handlers = [f.name for f in spec.functions]
    close = difflib.get_close_matches(name, handlers, n=1)
    hint = f"; did you mean 'functions.{close[0]}'?" if close else ""
    return (
        f"'functions.{name}' needs 'routes' (or authorizer = true), unless it is named after "
        "one of the app's event handlers or tasks (@app.schedule, @app.on_sqs_message, "
        f"@app.task, ...){hint}"
    )


def _check_together(settings: Settings, source: str, spec: AppSpec | None) -> None:
    """Checks of the stage's settings that involve more than one key."""
    # A stage's tags add to the top-level ones: their number is known only now.
    checks.tag_count("tags", settings.tags, source)
    snapping = [""] if settings.snap_start else []
    snapping += [f"functions.{n}." for n, f in sorted(settings.functions.items()) if f.snap_start]
    if snapping and RUNTIMES.index(settings.runtime) < RUNTIMES.index(SNAP_START_SINCE):
        raise ConfigError(
            f"'{snapping[0]}snap_start' needs {SNAP_START_SINCE} or later (Lambda SnapStart "
            f'for Python), not {settings.runtime}; set runtime = "{SNAP_START_SINCE}"',
            source,
        )
    levels = [("", settings.logging_level, settings.data_trace)] + [
        (f"routes.{key}.", route.logging_level or settings.logging_level, route.data_trace)
        for key, route in settings.routes.items()
        if route.data_trace is not None
    ]
    for prefix, level, trace in levels:
        if trace and level == "OFF":
            raise ConfigError(
                f"'{prefix}data_trace' logs nothing while 'logging_level' is OFF; "
                'set logging_level = "INFO" (or "ERROR")',
                source,
            )
    if (fan_out := settings.functions.get(FAN_OUT_FUNCTION)) is not None:
        _check_fan_out_concurrency(fan_out, source)
    owners: dict[str, str] = {}  # route key: the function serving it
    authorizer_owner: str | None = None
    for name, function in sorted(settings.functions.items()):
        if spec is not None and spec.function(name) is not None:
            if function.routes or function.authorizer:
                raise ConfigError(
                    f"'functions.{name}' sets the function of the event handler '{name}', "
                    "which serves no routes and no authorizer; remove them from it",
                    source,
                )
            continue
        if not function.routes and not function.authorizer and spec is not None:
            raise ConfigError(_unknown_function(name, spec), source)
        for key in function.routes:
            if key in owners:
                raise ConfigError(
                    f"route '{key}' is in both 'functions.{owners[key]}.routes' and "
                    f"'functions.{name}.routes'",
                    source,
                )
            owners[key] = name
        if function.authorizer:
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


def _check_fan_out_concurrency(fan_out: FunctionSettings, source: str) -> None:
    """Refuse a `reserved_concurrency` that caps the fan-out function below what its SQS
    poller runs at once.

    The poller does not see a function's reserved concurrency: it receives as many batches as
    it scales to (up to 1,000, or `maximum_concurrency`) and the invocations over the cap are
    throttled, their batches going back to the queue, each delivery counting toward the
    queue's `FAN_OUT_MAX_RECEIVES`, past which a shard moves to the dead-letter queue unsent
    (docs/aws-facts.md#fan-out). Reserved concurrency at least the poller's maximum only
    reserves capacity, which is allowed.
    """
    gap = _poller_gap(fan_out)
    if gap is None:
        return
    runs, fix = gap
    raise ConfigError(
        f"'functions.{FAN_OUT_FUNCTION}.reserved_concurrency' = {fan_out.reserved_concurrency} "
        f"throttles the fan-out function: {runs} at once and does not see the cap, so throttled "
        f"batches go back to the queue and a shard delivered {FAN_OUT_MAX_RECEIVES} times moves "
        f"to the dead-letter queue unsent; {fix}",
        source,
    )
