"""What an app's wsgen.toml sets under `wsgen local`: limits, `$connect` access, timeouts, refs.

The emulator reads wsgen.toml once per app it serves (at start and at each reload), checked
against the app's spec as `wsgen template` checks it, and `app_config` turns those
`Settings` into what its driver, functions and shard consumer take. `local_tables` is the
`--dynamodb` side: the app's tables (`LocalTables.refs` says what a wsgen.toml
`{ Ref = "Table" }` names there).
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.contract import FAN_OUT_FUNCTION
from runtime.spec import AppSpec

from ..gateway.access import ConnectAccess
from ..gateway.throttle import NEW_CONNECTIONS_PER_SECOND, Throttle, rate_limit
from ..gateway.timeouts import INTEGRATION_TIMEOUT_S
from ..settings import (
    DEFAULT_THROTTLING_BURST_LIMIT,
    DEFAULT_THROTTLING_RATE_LIMIT,
    DEFAULT_TIMEOUT,
    Settings,
)
from ..tables import LocalTables
from .driver import Timeouts


@dataclass(frozen=True)
class Flags:
    """The emulator's options that override or add to wsgen.toml's."""

    integration_timeout: float = INTEGRATION_TIMEOUT_S
    """API Gateway's integration timeout (29 s; tests shorten it)."""
    function_timeout: float | None = None
    """Every function's timeout instead of wsgen.toml's `timeout` (tests shorten it)."""
    connection_rate: float = NEW_CONNECTIONS_PER_SECOND
    """New connections taken per second (API Gateway's 500, per account and region)."""


@dataclass(frozen=True)
class AppConfig:
    """One app's configuration as the emulator serves it."""

    timeouts: Timeouts
    """The WebSocket handlers' function timeouts, against the integration timeout."""
    handler_timeouts: dict[str, float]
    """Each event handler's function timeout, by function name."""
    throttle: Throttle
    access: ConnectAccess
    fan_out_concurrency: int | None
    """`[functions.wsgen_fan_out] maximum_concurrency` (None: no cap, or no fan-out)."""
    notices: tuple[str, ...]
    """What the user should know about it (how to sign an IAM `$connect`...), one line each."""


def app_config(
    settings: Settings,
    spec: AppSpec,
    flags: Flags,
    region: str,
    credentials: dict[str, str],
) -> AppConfig:
    """`spec`'s configuration from its wsgen.toml `settings` (loaded with `spec=spec`);
    `credentials` are who may sign an IAM-authorized `$connect` (`known_credentials`)."""
    access = ConnectAccess(dict(credentials), settings.api_keys)
    consumer = spec.function(FAN_OUT_FUNCTION)
    return AppConfig(
        timeouts=_timeouts(settings, spec, flags),
        handler_timeouts=_handler_timeouts(settings, spec, flags),
        throttle=_throttle(settings, flags),
        access=access,
        fan_out_concurrency=(
            None if consumer is None else settings.handler_settings(consumer).maximum_concurrency
        ),
        notices=tuple(_access_notices(access, spec, settings.stage, region)),
    )


def _throttle(settings: Settings, flags: Flags) -> Throttle:
    """wsgen.toml's throttling per route (the stage's default for the rest) and the
    new-connection rate.

    The template's default stage throttling (burst 500, 1,000 a second) is not enforced
    unless wsgen.toml sets it: load tests and benchmarks on the emulator stay unthrottled.
    """
    rate: float | None = settings.throttling_rate_limit
    burst: int | None = settings.throttling_burst_limit
    if (rate, burst) == (DEFAULT_THROTTLING_RATE_LIMIT, DEFAULT_THROTTLING_BURST_LIMIT):
        rate = burst = None
    routes = {}
    for key, route in settings.routes.items():
        own = rate_limit(
            rate if route.throttling_rate_limit is None else route.throttling_rate_limit,
            burst if route.throttling_burst_limit is None else route.throttling_burst_limit,
        )
        if own is not None:
            routes[key] = own
    return Throttle(routes, rate_limit(rate, burst), flags.connection_rate)


def _access_notices(access: ConnectAccess, spec: AppSpec, stage: str, region: str) -> list[str]:
    """How to get through `$connect`'s IAM and API key checks, or why nothing will."""
    notices = []
    if spec.iam_authorization:
        keys = ", ".join(access.credentials)
        notices.append(
            f"wsgen local: $connect needs IAM: sign the upgrade request (SigV4, execute-api, "
            f"{region}) with access key {keys}, the one handlers run with"
            if keys
            else "wsgen local: $connect needs IAM, and botocore resolved no credentials "
            "(run `aws sts get-caller-identity` to see why, or export "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY): every upgrade will be refused"
        )
    if spec.api_key_required and not access.api_keys:
        notices.append(
            "wsgen local: $connect needs an API key and wsgen.toml has none for stage "
            f'{stage}: add api_keys = ["..."] under [stages.{stage}]'
        )
    return notices


def _handler_timeouts(settings: Settings, spec: AppSpec, flags: Flags) -> dict[str, float]:
    """Each event handler's function timeout: its `[functions.NAME]`'s, or the default."""
    if flags.function_timeout is not None:
        return {function.name: flags.function_timeout for function in spec.functions}
    return {f.name: float(settings.handler_settings(f).timeout) for f in spec.functions}


def _timeouts(settings: Settings, spec: AppSpec, flags: Flags) -> Timeouts:
    """Each function's timeout from wsgen.toml (or `function_timeout` for all)."""
    if flags.function_timeout is not None:
        return Timeouts(flags.function_timeout, integration=flags.integration_timeout)
    functions = settings.function_settings(spec)
    default = next((f.timeout for name, f in functions if name is None), DEFAULT_TIMEOUT)
    routes = {
        key: float(function.timeout)
        for _, function in functions
        for key in function.routes
        if function.timeout != default
    }
    authorizer = next((float(f.timeout) for _, f in functions if f.authorizer), None)
    return Timeouts(float(default), routes, authorizer, flags.integration_timeout)


def local_tables(dynamodb: str | bool | None, settings: Settings) -> LocalTables | None:
    """The app's tables on `dynamodb` (True: the embedded server), the merged file's named
    before the app's module runs; None without `--dynamodb`.

    Raises:
        EmbeddedDynamoDBError: the embedded server needs moto, which is not installed.
    """
    if dynamodb is None or dynamodb is False:
        return None
    tables = LocalTables(dynamodb)
    tables.expect(settings.merge_template)
    return tables
