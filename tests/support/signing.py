"""Upgrade requests signed as AWS SDKs sign them: botocore's own SigV4 signer, offline."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed_headers(
    url: str, key: str, secret: str, region: str = "us-east-1", token: str | None = None
) -> dict[str, str]:
    """The headers signing a GET of `url` (http(s):// or ws(s)://) for execute-api."""
    request = AWSRequest(method="GET", url=_http(url))
    SigV4Auth(Credentials(key, secret, token), "execute-api", region).add_auth(request)
    return {name: value for name, value in request.headers.items() if name.lower() != "host"}


def presigned(url: str, key: str, secret: str, region: str = "us-east-1", expires: int = 60) -> str:
    """`url` with a SigV4 signature in its query (X-Amz-Signature), in `url`'s own scheme."""
    request = AWSRequest(method="GET", url=_http(url))
    SigV4QueryAuth(Credentials(key, secret), "execute-api", region, expires).add_auth(request)
    signed: str = request.url
    return url.partition(":")[0] + signed[signed.index(":") :]


def _http(url: str) -> str:
    return url.replace("wss://", "https://", 1).replace("ws://", "http://", 1)


@contextmanager
def signing_at(moment: datetime.datetime) -> Iterator[None]:
    """botocore's signer reads its clock as `moment` (UTC) while this is open."""
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=moment):
        yield


PROFILE_KEY, PROFILE_SECRET = "AKIAPROFILEEXAMPLE01", "profile/secret/EXAMPLEKEY"


def use_profile(directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the user one whose only credentials are profile `dev`'s (PROFILE_KEY), in shared
    files written into `directory`; the instance metadata service is never asked."""
    (directory / "credentials").write_text(
        f"[dev]\naws_access_key_id = {PROFILE_KEY}\naws_secret_access_key = {PROFILE_SECRET}\n"
    )
    (directory / "config").write_text("[profile dev]\nregion = us-east-1\n")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(directory / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(directory / "config"))
    monkeypatch.setenv("AWS_PROFILE", "dev")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
