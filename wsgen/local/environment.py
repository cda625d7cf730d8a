"""The process environment handlers run in under `wsgen local`.

Handlers call the emulator's management API as they call API Gateway's once deployed:
`runtime.aws` signs each request with the keys in the environment (boto3's client does
instead when the app assigned `websocket_api.session`, or where only a profile holds the
credentials). Either needs a region and credentials (the emulator checks `@connections`
signatures' shape, and an IAM-authorized `$connect`'s against these credentials) and finds
the emulator through `WSGEN_WEBSOCKET_ENDPOINT`. The app's own `[environment]` from
`wsgen.toml` applies too, as it would on the deployed function; what the real environment
already sets wins.

What the emulator and the test client set goes through an `EnvironmentChanges`, which puts
back what was there when they stop, so that one started inside a user's test process leaves
that process's environment as it found it, whatever order several of them stop in.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

from runtime.aws import dns_suffix, environment_region
from runtime.contract import ENDPOINT_ENV

from ..arns import partition
from ..exceptions import ConfigError
from ..gateway.access import DUMMY_KEY
from ..gateway.events import ACCOUNT_ID
from ..settings import Settings, load_settings
from ..tables import CONNECTIONS_TABLE, merged_tables

DEFAULT_REGION = "us-east-1"


class _Layer:
    """One owner's value of one name: what it gave it (None: removed it) and what the name
    held when it did (None: absent), which comes back when the owner lets go."""

    __slots__ = ("before", "given", "owner")

    def __init__(self, owner: EnvironmentChanges, given: str | None, before: str | None) -> None:
        self.owner, self.given, self.before = owner, given, before


_LAYERS: dict[str, list[_Layer]] = {}
"""Each name's owners that hold a value of it, in the order they gave it (the last one's is
in `os.environ`): one list for the process, since its owners share one environment."""
_LAYERS_LOCK = threading.Lock()
"""Emulators start and stop on threads of their own (`wsgen.local.running()`)."""


class EnvironmentChanges:
    """The names one owner (an emulator, a test client) set in `os.environ`, each with what
    it held before, so that `restore()` puts the process's environment back.

    A name is this owner's while it holds the value last given it here (`owns`): what
    changed it since (the user, a test, another emulator) wins, and `restore()` leaves it.
    Owners may stop in any order: one that stops while a later one holds the name hands it
    what it had before (`_LAYERS`), so the last to stop puts back what was there before the
    first started, and one still running keeps its value.
    """

    def __init__(self) -> None:
        self._layers: dict[str, _Layer] = {}
        """Each name changed, in the order first changed: this owner's layer of it."""

    def set(self, name: str, value: str) -> None:
        """Export `name` as `value`, whatever it held."""
        with _LAYERS_LOCK:
            self._give(name, value)
            os.environ[name] = value

    def set_default(self, name: str, value: str) -> None:
        """Export `name` as `value` unless the environment has it (then `share` it)."""
        with _LAYERS_LOCK:
            if name in os.environ:
                self._share(name)
            else:
                self._give(name, value)
                os.environ[name] = value

    def share(self, name: str) -> None:
        """Hold `name`'s value too if another owner gave it, so that it stays while this
        owner runs, when that one stops first; a value from outside is left alone."""
        with _LAYERS_LOCK:
            self._share(name)

    def _share(self, name: str) -> None:
        current, top = os.environ.get(name), _top(name)
        held = top is not None and top.owner is not self and top.given == current
        if current is not None and held:
            self._give(name, current)

    def remove(self, name: str) -> None:
        """Unset `name`, one of this owner's (`owns`)."""
        with _LAYERS_LOCK:
            self._give(name, None)
            os.environ.pop(name, None)

    def _give(self, name: str, value: str | None) -> None:
        """Make this owner's layer of `name` the top one, giving `value` (`_LAYERS_LOCK` held;
        the caller sets `os.environ` before releasing it, so that no other owner reads the
        value in between)."""
        mine = self._layers.get(name)
        current = os.environ.get(name)
        if mine is not None and _top(name) is mine and mine.given == current:
            mine.given = value  # still this owner's: what it had before stays
            return
        if mine is not None:  # below another owner's, or changed from outside since
            _drop(name, mine, put_back=False)
        self._layers[name] = layer = _Layer(self, value, current)
        _LAYERS.setdefault(name, []).append(layer)

    def owns(self, name: str) -> bool:
        """Whether `name` holds what this owner last gave it (not changed from outside since)."""
        mine = self._layers.get(name)
        return mine is not None and _top(name) is mine and os.environ.get(name) == mine.given

    @staticmethod
    def from_outside(name: str) -> bool:
        """Whether `name` is set, and not to a value an owner gave it (the user's own)."""
        current, top = os.environ.get(name), _top(name)
        return current is not None and (top is None or top.given != current)

    def names(self) -> list[str]:
        """The names this owner holds now (`owns`), set or removed."""
        return [name for name in self._layers if self.owns(name)]

    def restore(self) -> None:
        """Put back what each name this owner still holds had before (unset one that was
        absent), or hand it to the owner that set it after this one; forget them all, so a
        second call changes nothing."""
        with _LAYERS_LOCK:
            for name, layer in self._layers.items():
                _drop(name, layer, put_back=True)
            self._layers.clear()


def _top(name: str) -> _Layer | None:
    """The layer of `name` whose value is (or was last) in `os.environ`."""
    stack = _LAYERS.get(name)
    return stack[-1] if stack else None


def _drop(name: str, layer: _Layer, *, put_back: bool) -> None:
    """Take `layer` out of `name`'s owners (`_LAYERS_LOCK` held). The top one puts back what
    was there before it (`put_back`), unless the name changed from outside since; one below
    hands what it had before to the owner above, when that one replaced its value."""
    stack = _LAYERS.get(name, [])
    if layer not in stack:
        return
    index = stack.index(layer)
    stack.pop(index)
    if index < len(stack):
        above = stack[index]
        if above.before == layer.given:
            above.before = layer.before
    elif put_back and os.environ.get(name) == layer.given:
        if layer.before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = layer.before
    if not stack:
        del _LAYERS[name]


_CREDENTIAL_KEYS = frozenset(
    {
        "aws_access_key_id",
        "role_arn",
        "credential_process",
        "sso_session",
        "sso_start_url",
        "web_identity_token_file",
        "credential_source",
    }
)
"""Keys of a shared-file profile through which boto3 gets credentials."""

_DEFAULT_IN_CONFIG = ("default", "profile default")
"""The default profile's sections in the config file (the credentials file's is `[default]`)."""


def has_credentials() -> bool:
    """Whether boto3 will find credentials of the user's own, judged without any network call.

    Keys or a web-identity/container setting in the environment, a named profile, or a
    default profile with credentials (keys, a role, SSO, a credential process) in the
    shared credentials or config file: then the user's own credentials must stay in force
    (to reach real tables from handlers), since environment keys would take precedence
    over profiles and SSO. A config file holding only a region is not credentials.
    """
    names = (
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    )
    if any(os.environ.get(name) for name in names):
        return True
    credentials, config = _shared_files()
    in_config = _profiles(config)
    default = [_profiles(credentials).get("default")]
    default += [in_config.get(section) for section in _DEFAULT_IN_CONFIG]
    return any(_CREDENTIAL_KEYS & keys for keys in default if keys)


def check_profile() -> None:
    """Refuse an `AWS_PROFILE` naming a profile neither shared file has, before handlers
    run: botocore would raise ProfileNotFound at every boto3 client or signed `send()`.

    Raises:
        ConfigError: no such profile.
    """
    name = os.environ.get("AWS_PROFILE")
    if not name:
        return
    credentials, config = _shared_files()
    # The config file names a profile `[profile NAME]` (the default one also `[default]`),
    # the credentials file `[NAME]`: https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html
    in_config = _profiles(config)
    sections = _DEFAULT_IN_CONFIG if name == "default" else (f"profile {name}",)
    if name in _profiles(credentials) or any(section in in_config for section in sections):
        return
    raise ConfigError(
        f"AWS_PROFILE={name} names no profile in {config} or {credentials}; unset "
        f"AWS_PROFILE, or create the profile (aws configure --profile {name})"
    )


def _shared_files() -> tuple[str, str]:
    """The shared credentials and config files boto3 reads, as named (`~` unexpanded):
    `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`, else their places under `~/.aws`."""
    return (
        os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
        os.environ.get("AWS_CONFIG_FILE", "~/.aws/config"),
    )


def _profiles(name: str) -> dict[str, set[str]]:
    """The sections of the shared file `name` and each one's keys; none when the file is
    missing or unreadable (boto3 could not read it either)."""
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read(Path(name).expanduser(), encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return {}
    return {section: set(parser.options(section)) for section in parser.sections()}


def prepare_environment(endpoint: str, changes: EnvironmentChanges) -> str:
    """Set what handlers need to call the emulator (signed by `runtime.aws` or boto3), through
    `changes`; returns the region in use."""
    region = environment_region() or DEFAULT_REGION
    changes.set_default("AWS_REGION", region)
    changes.set_default("AWS_DEFAULT_REGION", region)
    if not has_credentials():
        # Every call is signed (by runtime.aws or boto3); @connections checks only the shape.
        changes.set("AWS_ACCESS_KEY_ID", DUMMY_KEY)
        changes.set("AWS_SECRET_ACCESS_KEY", DUMMY_KEY)
    else:  # another emulator's dummy keys stay this one's when that one stops first
        changes.share("AWS_ACCESS_KEY_ID")
        changes.share("AWS_SECRET_ACCESS_KEY")
    changes.set(ENDPOINT_ENV, endpoint)
    return region


def apply_app_environment(
    app_dir: Path,
    stage: str,
    tables: Mapping[str, str] | None = None,
    settings: Settings | None = None,
    *,
    changes: EnvironmentChanges,
) -> list[str]:
    """Export `wsgen.toml`'s `[environment]` for `stage` through `changes`; notices for what
    could not be.

    Literal values are set unless the environment already has the name (from outside; a
    value `changes` still holds from an earlier call is replaced, so `--reload` picks up
    wsgen.toml edits, and removed when wsgen.toml no longer has it). A `{ Ref = "Table" }`
    of one of `tables` (logical id to local value: the tables `--dynamodb` made, the app's
    queues' URLs, and `Id.Arn` for a `{ "Fn::GetAtt" = ["Id", "Arn"] }`: the queues' ARNs)
    is that value. CloudFormation's pseudo parameters (`{ Ref = "AWS::Region" }`...) are
    the handlers' region's (`runtime.aws.environment_region()`: `AWS_REGION`, set by
    `prepare_environment`, else `AWS_DEFAULT_REGION`, as the runtime reads it). Any other
    CloudFormation intrinsic only exists once deployed, so the notice says to set that name
    by hand.
    `settings` are wsgen.toml's for `stage`, when the caller has read them already.

    Raises:
        ConfigError: wsgen.toml is malformed (as `wsgen template` would say).
    """
    if settings is None:
        settings = load_settings(app_dir, stage)
    region = environment_region() or DEFAULT_REGION
    values = literal_environment(settings, region, tables)
    # Without --dynamodb (no local name), a Ref of one of the app's tables is one it makes.
    local = {CONNECTIONS_TABLE, *merged_tables(settings.merge_template)} - set(tables or ())
    notices = [
        f"wsgen local: {name} is {_toml(value)} in wsgen.toml, which exists only once "
        f"deployed; export {name}=... to give handlers a value"
        + (" (--dynamodb makes the app's tables locally)" if _ref(value) in local else "")
        for name, value in settings.environment.items()
        if name not in values
    ]
    # What changed from outside since an earlier call is not `changes`' any more: it wins.
    for name in changes.names():
        if name not in values:  # gone from wsgen.toml
            changes.remove(name)
    for name, value in values.items():
        if name not in os.environ or changes.owns(name):
            changes.set(name, value)
        elif os.environ[name] == value:  # another emulator's, say: kept while this one runs
            changes.share(name)
    return notices


def _ref(value: object) -> object:
    """What a `{ Ref = ... }` names; None for any other value."""
    return value["Ref"] if isinstance(value, dict) and list(value) == ["Ref"] else None


def literal_environment(
    settings: Settings, region: str, tables: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`wsgen.toml`'s `[environment]` (of its `settings` for a stage): its literal values,
    its `{ Ref = "Table" }` of one of `tables` as that table's local name and its pseudo
    parameters' Refs as they are in `region` (any other intrinsic exists only once
    deployed)."""
    from ..tables import resolve_environment

    environment = settings.environment
    values = {name: value for name, value in environment.items() if isinstance(value, str)}
    values.update(resolve_environment(environment, {**pseudo_parameters(region), **(tables or {})}))
    return values


def pseudo_parameters(region: str) -> dict[str, str]:
    """CloudFormation's pseudo parameters that have a value locally, for `region` and the
    account local events carry (`AWS::StackName` and the like name a stack, which there is
    not)."""
    return {
        "AWS::Region": region,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Partition": partition(region),
        "AWS::URLSuffix": dns_suffix(region),
    }


def _toml(value: object) -> str:
    """A value as it is written in wsgen.toml: `{ Ref = "Table" }`."""
    if isinstance(value, dict):
        return (
            "{ "
            + ", ".join(
                f'"{k}" = {_toml(v)}' if ":" in k else f"{k} = {_toml(v)}" for k, v in value.items()
            )
            + " }"
        )
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value)
