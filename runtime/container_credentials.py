"""Credentials from the container credentials endpoint (SnapStart functions, containers).

`runtime.aws.credentials()` calls `fetch` when Lambda's variables hold no keys but
`AWS_CONTAINER_CREDENTIALS_FULL_URI` (or `..._RELATIVE_URI`) is set, and caches what it
returns; a function with the variables (every other Lambda function) never loads this.
https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
"""

from __future__ import annotations

import os
import time

from .aws import MAX_ATTEMPTS, Credentials, split_url, unsigned_get
from .exceptions import CredentialsError

_CONTAINER_HOSTS = (
    "169.254.170.2",
    "169.254.170.23",
    "fd00:ec2::23",
    "[fd00:ec2::23]",
    "localhost",
)


def fetch(url: str) -> Credentials:
    """Credentials from the container credentials endpoint at `url`, retried as botocore does.

    Raises:
        CredentialsError: the host is not allowed, the token cannot be read, or the endpoint
            refused or failed.
    """
    scheme, host, _, _ = split_url(url)
    if scheme != "https" and host not in _CONTAINER_HOSTS and not _is_loopback(host):
        raise CredentialsError(
            url,
            f"host '{host}' is neither a loopback address nor one of "
            + ", ".join(_CONTAINER_HOSTS[:3]),
        )
    headers = {"Accept": "application/json"}
    token = _container_token()
    if token is not None:
        headers["Authorization"] = token
    last: Exception | None = None
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            time.sleep(1.0)
        try:
            response = unsigned_get(url, headers, timeout=2.0)
        except OSError as exc:
            last = exc
            continue
        if response.status != 200:
            last = CredentialsError(url, f"HTTP {response.status} {response.reason}")
            if response.status < 500:
                break
            continue
        try:
            import json

            data = json.loads(response.body)
            return Credentials(
                data["AccessKeyId"],
                data["SecretAccessKey"],
                data.get("Token"),
                _epoch(data["Expiration"]) if data.get("Expiration") else None,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CredentialsError(url, f"unexpected answer ({exc})") from exc
    if isinstance(last, CredentialsError):
        raise last
    raise CredentialsError(url, str(last)) from last


def _container_token() -> str | None:
    env = os.environ
    path = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    token: str | None
    if path:
        try:
            with open(path) as handle:
                token = handle.read()
        except OSError as exc:
            raise CredentialsError(
                path, f"cannot read the authorization token file: {exc}"
            ) from exc
    else:
        token = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    if token is not None and ("\r" in token or "\n" in token):
        raise CredentialsError("AWS_CONTAINER_AUTHORIZATION_TOKEN", "the token holds a line break")
    return token


def _is_loopback(host: str) -> bool:
    return host in ("::1", "[::1]") or (host.startswith("127.") and host.count(".") == 3)


def _epoch(text: str) -> float:
    """Epoch seconds of an ISO 8601 time, `2026-12-01T10:00:00Z` (`datetime` imports slowly)."""
    year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    hour, minute, second = int(text[11:13]), int(text[14:16]), int(text[17:19])
    rest = text[19:].lstrip("0123456789.")
    offset = 0
    if rest[:1] in ("+", "-"):
        offset = (int(rest[1:3]) * 60 + int(rest[-2:])) * 60 * (1 if rest[0] == "+" else -1)
    # days from 1970-01-01 (Howard Hinnant's days_from_civil)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    return float(days * 86400 + hour * 3600 + minute * 60 + second - offset)
