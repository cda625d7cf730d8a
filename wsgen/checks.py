"""Checks of `wsgen.toml` values: each takes `(name, value, source)` and returns the value.

`name` is the key as the user wrote it (`stages.prod.timeout`), `source` the file (or
None for a command-line flag); a wrong value raises a `ConfigError` naming both.
Which key has which check is said once, in the annotation of its field in `wsgen.settings`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from .exceptions import ConfigError

Check = Callable[[str, Any, "str | None"], Any]

# Python runtimes Lambda supports and does not yet deprecate (cfn-lint W2531 flags deprecated
# ones): https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
RUNTIMES = ("python3.11", "python3.12", "python3.13", "python3.14")

# When Lambda deprecates each (no more security patches; creating, then updating, functions
# is blocked a month or two later): docs/aws-facts.md#runtimes.
RUNTIME_DEPRECATION = {
    "python3.11": date(2027, 6, 30),
    "python3.12": date(2028, 10, 31),
    "python3.13": date(2029, 6, 30),
    "python3.14": date(2029, 6, 30),
}

# Lambda's instruction set architectures (`Architectures`, one per function).
ARCHITECTURES = ("x86_64", "arm64")
# What CloudFormation does with a resource when the stack is deleted or the resource replaced.
DELETION_POLICIES = ("Retain", "Delete")

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

# The keys of a statement in an identity-based policy (the function's role): no Principal.
STATEMENT_KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition")

# Execution logging levels of a WebSocket stage (DefaultRouteSettings.LoggingLevel).
LOGGING_LEVELS = ("OFF", "ERROR", "INFO")
CONTENT_HANDLING = ("CONVERT_TO_TEXT", "CONVERT_TO_BINARY")
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
MAX_ACCESS_LOG_FORMAT_BYTES = 3 * 1024

# Lambda's pattern for a variable name (botocore's model: two characters at least), and the
# names Lambda sets itself, which a function's configuration cannot (troposphere's list).
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
_ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]+$")
RESERVED_ENV_NAMES = frozenset(
    {
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "AWS_SECURITY_TOKEN",
        "AWS_SESSION_TOKEN",
        "LAMBDA_RUNTIME_DIR",
        "LAMBDA_TASK_ROOT",
    }
)
# Tags: at most 50 per resource, keys of 1-128 characters, values of at most 256
# (docs/aws-facts.md#deploy-time-limits). SAM adds one of its own, `lambda:createdBy`, to
# every function and its role, and it counts (only `aws:` tags do not), so a stack's tags,
# which wsgen puts on every function, may number one fewer.
MAX_TAGS_PER_RESOURCE = 50
SAM_FUNCTION_TAGS = 1
MAX_TAGS = MAX_TAGS_PER_RESOURCE - SAM_FUNCTION_TAGS
MAX_TAG_KEY_CHARS = 128
MAX_TAG_VALUE_CHARS = 256
FUNCTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_BASE_PATH = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")


def runtime(name: str, value: Any, source: str | None) -> str:
    if value not in RUNTIMES:
        raise ConfigError(
            f"'{name}' must be one of {', '.join(RUNTIMES)}, not {shown(value)}", source
        )
    return str(value)


def integer(low: int, high: int) -> Check:
    def check(name: str, value: Any, source: str | None) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(
                f"'{name}' must be an integer from {low} to {high}, not {shown(value)}", source
            )
        return value

    return check


def rate(name: str, value: Any, source: str | None) -> float | int:
    """Requests per second: any number from 0 (API Gateway takes a double)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e9:
        raise ConfigError(
            f"'{name}' must be a number of requests per second, not {shown(value)}", source
        )
    return value


def boolean(name: str, value: Any, source: str | None) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"'{name}' must be true or false, not {shown(value)}", source)
    return value


def one_of(choices: tuple[str, ...]) -> Check:
    def check(name: str, value: Any, source: str | None) -> str:
        if value not in choices:
            raise ConfigError(
                f"'{name}' must be one of {', '.join(choices)}, not {shown(value)}", source
            )
        return str(value)

    return check


def retention(name: str, value: Any, source: str | None) -> int:
    if isinstance(value, bool) or value not in RETENTION_DAYS:
        raise ConfigError(
            f"'{name}' must be one of {', '.join(map(str, RETENTION_DAYS))}, not {shown(value)}",
            source,
        )
    return int(value)


def path(name: str, value: Any, source: str | None) -> Path:
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or not value:
        raise ConfigError(f"'{name}' must be a file path (a string), not {shown(value)}", source)
    return Path(value)


def environment_name(name: str, key: str, source: str | None) -> None:
    """A Lambda environment variable's name: Lambda's pattern, and not one Lambda sets."""
    if not _ENV_NAME.match(key):
        raise ConfigError(
            f"'{name}.{key}' is not a valid environment variable name: use two or "
            "more letters, digits and '_', starting with a letter",
            source,
        )
    if key in RESERVED_ENV_NAMES:
        raise ConfigError(
            f"'{name}.{key}' is reserved: Lambda sets {key} itself; choose another name", source
        )


def tag_key(name: str, key: str, source: str | None) -> None:
    """A tag key: 1-128 characters; `aws:` starts the keys AWS sets itself, which no
    template may."""
    # https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
    if not key or len(key) > MAX_TAG_KEY_CHARS:
        raise ConfigError(
            f"'{name}.{key}': a tag key is 1 to {MAX_TAG_KEY_CHARS} characters, not "
            f"{len(key)}; shorten it",
            source,
        )
    if key.lower().startswith("aws:"):
        raise ConfigError(
            f"'{name}.{key}': tag keys starting with 'aws:' are reserved for AWS; "
            "choose another key",
            source,
        )


def mapping(kind: str, check_key: Callable[[str, str, str | None], None]) -> Check:
    """A table of strings (or intrinsics) whose keys `check_key` checks."""

    def check(name: str, value: Any, source: str | None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ConfigError(f"'{name}' must be a table of {kind}", source)
        for key, item in value.items():
            check_key(name, key, source)
            if not isinstance(item, str) and not is_intrinsic(item):
                quoted = (
                    f'; quote it: "{shown(item)}"' if isinstance(item, bool | int | float) else ""
                )
                raise ConfigError(
                    f"'{name}.{key}' must be a string or an intrinsic such as "
                    f'{{ Ref = "Name" }}, not {shown(item)}{quoted}',
                    source,
                )
            intrinsics(f"{name}.{key}", item, source)
        return dict(value)

    return check


_TAG_TABLE = mapping("tags", tag_key)


def tags(name: str, value: Any, source: str | None) -> dict[str, Any]:
    """A table of tags: keys as `tag_key` says, values of at most 256 characters.

    How many there are is checked once the stage's tags are added (`tag_count`).
    """
    checked: dict[str, Any] = _TAG_TABLE(name, value, source)
    for key, item in checked.items():
        if isinstance(item, str) and len(item) > MAX_TAG_VALUE_CHARS:
            raise ConfigError(
                f"'{name}.{key}' is {len(item)} characters; AWS takes tag values of at most "
                f"{MAX_TAG_VALUE_CHARS}: shorten it",
                source,
            )
    tag_count(name, checked, source)
    return checked


def tag_count(name: str, value: dict[str, Any], source: str | None) -> None:
    """At most `MAX_TAGS` tags: AWS's 50 per resource, less the one SAM adds to functions."""
    if len(value) > MAX_TAGS:
        raise ConfigError(
            f"'{name}' has {len(value)} tags; AWS allows {MAX_TAGS_PER_RESOURCE} per resource "
            f"and SAM adds lambda:createdBy to each function, so use at most {MAX_TAGS}",
            source,
        )


def intrinsics(name: str, value: Any, source: str | None) -> None:
    """Refuse, anywhere inside `value`, a CloudFormation function CloudFormation would refuse
    for its argument's shape: `Ref` of anything but a name (`{ Ref = { Ref = "X" } }`),
    `Fn::GetAtt` of no resource name, `Fn::Sub` or `Fn::Join` without their string.

    CloudFormation only says so when the stack is created ("Template format error: Every Ref
    object must have a single String value."), docs/aws-facts.md#deploy-time-limits.
    """
    if isinstance(value, list):
        for index, item in enumerate(value):
            intrinsics(f"{name}[{index}]", item, source)
        return
    if not isinstance(value, dict):
        return
    if is_intrinsic(value):
        [(function, argument)] = value.items()
        problem = _intrinsic_problem(function, argument)
        if problem is not None:
            raise ConfigError(f"'{name}' is {{ {function} = {argument!r} }}: {problem}", source)
    for key, item in value.items():
        intrinsics(f"{name}.{key}", item, source)


def _intrinsic_problem(function: str, argument: Any) -> str | None:
    """What is wrong with `{ function = argument }`, or None."""
    if function == "Ref" and not isinstance(argument, str):
        return (
            'Ref takes the name of a resource or parameter, e.g. { Ref = "Table" }; '
            'for a computed value use { "Fn::Sub" = "..." } or { "Fn::GetAtt" = [...] }'
        )
    if function == "Fn::GetAtt":
        if isinstance(argument, str) and "." in argument:
            return None
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
            return None
        return 'Fn::GetAtt takes ["Resource", "Attribute"] (the resource named by a string)'
    if function == "Fn::Sub":
        if isinstance(argument, str):
            return None
        if (
            isinstance(argument, list)
            and len(argument) == 2
            and isinstance(argument[0], str)
            and isinstance(argument[1], dict)
        ):
            return None
        return 'Fn::Sub takes a string, or ["string with ${Name}", { Name = ... }]'
    if function == "Fn::Join" and not (
        isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)
    ):
        return 'Fn::Join takes ["delimiter", [values...]]'
    return None


def policies(name: str, value: Any, source: str | None) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"'{name}' must be a list (use [[policies]] sections)", source)
    for index, item in enumerate(value):
        intrinsics(f"{name}[{index}]", item, source)
        if is_statement(item):
            statement(f"{name}[{index}]", item, source)
            continue
        template = isinstance(item, dict) and len(item) == 1
        if not (isinstance(item, str) or template):
            raise ConfigError(
                f"'{name}[{index}]' must be a managed policy name or ARN, a SAM policy "
                'template such as { DynamoDBCrudPolicy = { TableName = "t" } }, or a '
                "statement with Effect, Action and Resource",
                source,
            )
    return list(value)


def statement(name: str, value: dict[str, Any], source: str | None) -> None:
    """An IAM statement of the function's role: Effect, Action and Resource (or Not...)."""
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
    for key in value:
        if key not in STATEMENT_KEYS:
            raise ConfigError(
                f"unknown key '{name}.{key}' in an IAM statement of the function's role; "
                f"known keys: {', '.join(STATEMENT_KEYS)}",
                source,
            )
    if value.get("Effect") not in ("Allow", "Deny"):
        raise ConfigError(
            f'\'{name}.Effect\' must be "Allow" or "Deny", not {value.get("Effect")!r}', source
        )
    for key in ("Action", "Resource"):
        if key not in value and f"Not{key}" not in value:
            raise ConfigError(f"'{name}' is an IAM statement without {key}; add {key}", source)


def access_log_format(name: str, value: Any, source: str | None) -> str:
    """A custom access log line: API Gateway wants the request id in it and at most 3 KB."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"'{name}' must be a non-empty string of $context variables", source)
    if len(value.encode()) > MAX_ACCESS_LOG_FORMAT_BYTES:
        raise ConfigError(
            f"'{name}' is {len(value.encode())} bytes; API Gateway takes at most "
            f"{MAX_ACCESS_LOG_FORMAT_BYTES}",
            source,
        )
    if "$context.requestId" not in value and "$context.extendedRequestId" not in value:
        raise ConfigError(
            f"'{name}' must contain $context.requestId (or $context.extendedRequestId)", source
        )
    return value


def string_or_intrinsic(pattern: re.Pattern[str], what: str, intrinsic: bool = True) -> Check:
    def check(name: str, value: Any, source: str | None) -> Any:
        if intrinsic and is_intrinsic(value):
            intrinsics(name, value, source)
            return value
        if isinstance(value, str) and pattern.match(value):
            return value
        raise ConfigError(f"'{name}' must be {what}, not {shown(value)}", source)

    return check


def unknown_key(prefix: str, key: str, keys: Iterable[str], source: str | None) -> ConfigError:
    """The error for `prefix + key`, not one of `keys`: the closest key, else all of them."""
    import difflib

    known = list(keys)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean '{prefix}{close[0]}'?" if close else f"known keys: {', '.join(known)}"
    if prefix and not close:
        # A key written below a [table] header belongs to it until the next header.
        table = prefix.rstrip(".")
        hint += (
            f"; it is in [{table}] because a TOML table runs until the next header: if "
            f"'{key}' is meant for another table (such as [environment]), move it above [{table}]"
        )
    return ConfigError(f"unknown key '{prefix}{key}'; {hint}", source)


def table(keys: dict[str, Check], required: tuple[str, ...] = ()) -> Check:
    """A sub-table (`[domain]`) whose keys are checked like the top-level ones."""

    def check(name: str, value: Any, source: str | None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ConfigError(f"'{name}' must be a table", source)
        for key, item in value.items():
            if key not in keys:
                raise unknown_key(f"{name}.", key, keys, source)
            value = {**value, key: keys[key](f"{name}.{key}", item, source)}
        for key in required:
            if key not in value:
                raise ConfigError(f"'{name}' needs '{key}'", source)
        return dict(value)

    return check


def tables(keys: dict[str, Check], name_pattern: re.Pattern[str] | None = None) -> Check:
    """A table of named sub-tables (`[routes."join"]`, `[functions.worker]`)."""
    inner = table(keys)

    def check(name: str, value: Any, source: str | None) -> dict[str, dict[str, Any]]:
        if not isinstance(value, dict):
            raise ConfigError(f"'{name}' must be a table of [{name}.NAME] tables", source)
        checked = {}
        for key, item in value.items():
            if name_pattern is not None and not name_pattern.match(key):
                raise ConfigError(
                    f"invalid name '{name}.{key}': use up to 64 letters, digits, '-' and '_', "
                    "starting with a letter",
                    source,
                )
            checked[key] = inner(f"{name}.{key}", item, source)
        return checked

    return check


def api_keys(name: str, value: Any, source: str | None) -> tuple[str, ...]:
    """The API keys `wsgen local` and `wsgen.testing.Client` accept: a list of strings."""
    if not isinstance(value, list | tuple) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        raise ConfigError(
            f"'{name}' must be a list of API keys (non-empty strings), e.g. "
            f'api_keys = ["local-key-0123456789"], not {shown(value)}',
            source,
        )
    return tuple(value)


def route_list(name: str, value: Any, source: str | None) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"'{name}' must be a list of route keys, not {shown(value)}", source)
    if len(set(value)) != len(value):
        raise ConfigError(f"'{name}' lists a route twice", source)
    return tuple(value)


def is_statement(policy: Any) -> bool:
    """An IAM statement (`Effect`, `Action`, `Resource`), as opposed to a SAM policy template.

    No SAM policy template is named like a statement's keys, so any of them makes one.
    """
    return isinstance(policy, dict) and any(key in STATEMENT_KEYS for key in policy)


def shown(value: Any) -> str:
    """A wsgen.toml value as TOML spells it where Python's differs (`true`, not `True`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def is_intrinsic(value: Any) -> bool:
    """A CloudFormation function written as a one-key table: `{ Ref = "X" }`, `{ "Fn::…" = … }`.

    Only `Ref` and the `Fn::` functions give a value; `Condition` names a condition.
    """
    if not isinstance(value, dict) or len(value) != 1:
        return False
    [name] = value
    return name == "Ref" or str(name).startswith("Fn::")


# The checks of settings used in more than one place (`wsgen/settings.py` names them in the
# fields' annotations).
MEMORY_SIZE = integer(128, 10240)
TIMEOUT = integer(1, 900)
COUNT = integer(0, 2**31 - 1)
RETRY_ATTEMPTS = integer(0, 2)  # Lambda's MaximumRetryAttempts of asynchronous invocations
POLLER_CONCURRENCY = 1000
"""The most batches an SQS event source mapping on a standard queue runs at once
(docs/aws-facts.md#fan-out), and the most its `ScalingConfig.MaximumConcurrency` takes."""
MAXIMUM_CONCURRENCY = integer(2, POLLER_CONCURRENCY)  # an SQS event source mapping's ScalingConfig
ENVIRONMENT = mapping("environment variables", environment_name)
TAGS = tags
LOGGING_LEVEL = one_of(LOGGING_LEVELS)
CONTENT_HANDLING_STRATEGY = one_of(CONTENT_HANDLING)
ARCHITECTURE = one_of(ARCHITECTURES)
DELETION_POLICY = one_of(DELETION_POLICIES)
HOST_NAME = string_or_intrinsic(
    _HOST_NAME, "a lowercase host name such as ws.example.com", intrinsic=False
)
CERTIFICATE_ARN = string_or_intrinsic(
    _CERTIFICATE_ARN, "an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)"
)
BASE_PATH = string_or_intrinsic(
    _BASE_PATH,
    "one path segment of letters, digits, '.', '_', '~' and '-' (no '/')",
    intrinsic=False,
)
HOSTED_ZONE_ID = string_or_intrinsic(
    re.compile(r"^Z[A-Z0-9]{1,31}$"), "a Route 53 hosted zone id such as Z0123456789ABC"
)
