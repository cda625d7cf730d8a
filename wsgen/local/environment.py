"""The process environment handlers run in under `wsgen local`.

Handlers call the emulator through the real boto3 client, which needs a region and
credentials (any signature is accepted) and finds the emulator through
`WSGEN_WEBSOCKET_ENDPOINT`. The app's own `[environment]` from `wsgen.toml` applies too, as
it would on the deployed function; what the real environment already sets wins.
"""

from __future__ import annotations

import os
from pathlib import Path

from runtime.contract import ENDPOINT_ENV

from ..settings import load_settings

DEFAULT_REGION = "us-east-1"
DUMMY_KEY = "wsgen-local"

_applied: dict[str, str] = {}
"""What `apply_app_environment` set (name to value), so that a reload may change it."""


def has_credentials() -> bool:
    """Whether boto3 will find credentials of the user's own, judged without any network call.

    Keys in the environment, a named profile, or a shared credentials/config file: then the
    user's own credentials must stay in force (to reach real tables from handlers), since
    environment keys would take precedence over profiles and SSO.
    """
    if os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"):
        return True
    files = (
        os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
        os.environ.get("AWS_CONFIG_FILE", "~/.aws/config"),
    )
    return any(Path(name).expanduser().is_file() for name in files)


def prepare_environment(endpoint: str) -> str:
    """Set what handlers need to call the emulator through boto3; returns the region in use."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    os.environ.setdefault("AWS_REGION", region)
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    if not has_credentials():
        # boto3 signs every request; the emulator accepts any signature.
        os.environ["AWS_ACCESS_KEY_ID"] = DUMMY_KEY
        os.environ["AWS_SECRET_ACCESS_KEY"] = DUMMY_KEY
    os.environ[ENDPOINT_ENV] = endpoint
    return region


def apply_app_environment(app_dir: Path, stage: str) -> list[str]:
    """Export `wsgen.toml`'s `[environment]` for `stage`; notices for what could not be.

    Literal values are set unless the environment already has the name (from outside; a
    value this function set before is replaced, so `--reload` picks up wsgen.toml edits,
    and removed when wsgen.toml no longer has it). A value that is a CloudFormation
    intrinsic (`{ Ref = "Table" }`) only exists once deployed, so the notice says to set
    that name by hand.

    Raises:
        ConfigError: wsgen.toml is malformed (as `wsgen template` would say).
    """
    notices = []
    environment = load_settings(app_dir, stage).environment
    for name, value in list(_applied.items()):
        if os.environ.get(name) != value:  # changed from outside since: that value wins
            del _applied[name]
        elif not isinstance(environment.get(name), str):  # gone from wsgen.toml
            del os.environ[name], _applied[name]
    for name, value in environment.items():
        if name in os.environ and name not in _applied:
            continue
        if isinstance(value, str):
            os.environ[name] = _applied[name] = value
        else:
            notices.append(
                f"wsgen local: {name} is {_toml(value)} in wsgen.toml, which exists only once "
                f"deployed; export {name}=... to give handlers a value"
            )
    return notices


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
