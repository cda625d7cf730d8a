"""IAM authorization and API keys on $connect under `wsgen local`, with real websockets clients
signing as AWS SDKs do (botocore's SigV4 signer): what API Gateway refuses, and the identity
it passes on once it accepts."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.paths import ACCESS_APP
from tests.support.signing import PROFILE_KEY, presigned, signed_headers, use_profile
from wsgen.gateway.access import api_key_id, known_credentials
from wsgen.gateway.events import ACCOUNT_ID
from wsgen.local import Emulator, EventLog, running

KEY = "local-key-0123456789abcdef"  # tests/wsgen/apps/access/wsgen.toml, [stages.local]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Emulator, io.StringIO, dict[str, str]]]:
    """The emulator on the access app, its log, and the AWS_* variables it set."""
    saved = dict(os.environ)
    stream = io.StringIO()
    log = EventLog(stream=stream)
    try:
        with running(ACCESS_APP, "app:app", log=log) as emulator:
            added = {k: v for k, v in os.environ.items() if saved.get(k) != v}
            yield emulator, stream, added
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def emulator(served: tuple[Emulator, io.StringIO, dict[str, str]]) -> Emulator:
    os.environ.update(served[2])
    return served[0]


def credentials() -> tuple[str, str]:
    """The access key and secret the emulator checks signatures with (its handlers' own)."""
    [(key, secret)] = known_credentials(os.environ).items()
    return key, secret


def region() -> str:
    """The emulator's region, which it exported for its handlers (and signatures name)."""
    return os.environ["AWS_REGION"]


def signed(emulator: Emulator, **extra: str) -> dict[str, str]:
    key, secret = credentials()
    return {**signed_headers(emulator.url, key, secret, region()), **extra}


def refusal(url: str, headers: dict[str, str]) -> tuple[int, Any]:
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=headers, open_timeout=10)
    response = refused.value.response
    return response.status_code, json.loads(response.body)


def whoami(url: str, headers: dict[str, str]) -> dict[str, Any]:
    with connect(url, additional_headers=headers, open_timeout=10) as ws:
        ws.send(json.dumps({"action": "whoami"}))
        identity: dict[str, Any] = json.loads(ws.recv(timeout=10))
        return identity


def test_a_signed_upgrade_with_a_key_connects_and_its_events_name_the_caller(
    emulator: Emulator,
) -> None:
    identity = whoami(emulator.url, signed(emulator, **{"x-api-key": KEY}))
    key, _ = credentials()
    assert identity["accountId"] == ACCOUNT_ID
    assert identity["userArn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{key}"
    assert identity["accessKey"] == identity["caller"] == identity["user"] == key
    assert (identity["apiKey"], identity["apiKeyId"]) == (KEY, api_key_id(KEY))
    assert identity["sourceIp"] == "127.0.0.1"


def test_a_presigned_url_connects_too(emulator: Emulator) -> None:
    key, secret = credentials()
    url = presigned(emulator.url, key, secret, region())
    assert "X-Amz-Signature=" in url
    assert whoami(url, {"x-api-key": KEY})["userArn"].endswith(f"user/{key}")


def test_an_unsigned_upgrade_is_refused_as_api_gateway_refuses_it(
    served: tuple[Emulator, io.StringIO, dict[str, str]], emulator: Emulator
) -> None:
    assert refusal(emulator.url, {"x-api-key": KEY}) == (
        403,
        {"message": "Missing Authentication Token"},
    )
    lines = [line for line in served[1].getvalue().splitlines() if "(iam)" in line]
    assert lines and "403 refused: IAM: MissingAuthenticationTokenException" in lines[-1]


def test_a_signature_with_the_wrong_secret_is_refused(emulator: Emulator) -> None:
    key, _ = credentials()
    headers = {**signed_headers(emulator.url, key, "not-the-secret", region()), "x-api-key": KEY}
    status, body = refusal(emulator.url, headers)
    assert status == 403
    assert body["message"].startswith("The request signature we calculated does not match")


def test_a_signature_of_an_unknown_access_key_is_refused(emulator: Emulator) -> None:
    headers = {**signed_headers(emulator.url, "AKIDUNKNOWN", "x", region()), "x-api-key": KEY}
    assert refusal(emulator.url, headers) == (
        403,
        {"message": "The security token included in the request is invalid."},
    )


@pytest.mark.parametrize("api_key", [None, "not-a-key-of-the-stage"])
def test_a_missing_or_unknown_api_key_is_forbidden(emulator: Emulator, api_key: str | None) -> None:
    extra = {} if api_key is None else {"x-api-key": api_key}
    assert refusal(emulator.url, signed(emulator, **extra)) == (403, {"message": "Forbidden"})


def test_the_banner_says_which_key_signs(
    served: tuple[Emulator, io.StringIO, dict[str, str]], emulator: Emulator
) -> None:
    key, _ = credentials()
    assert (
        "wsgen local: $connect needs IAM: sign the upgrade request (SigV4, execute-api, "
        f"{region()}) with access key {key}"
    ) in served[1].getvalue()


def test_a_stage_without_keys_is_told_where_they_go(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text((ACCESS_APP / "app.py").read_text())
    stream = io.StringIO()
    with running(tmp_path, "app:app", stage="dev", log=EventLog(stream=stream)):
        pass
    assert (
        "wsgen local: $connect needs an API key and wsgen.toml has none for stage dev: add "
        'api_keys = ["..."] under [stages.dev]'
    ) in stream.getvalue()


def test_a_profile_user_signs_with_what_botocore_resolves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Handlers run with the profile's credentials, so the emulator takes the key
    `botocore.Session().get_credentials()` gives, and its banner names it."""
    saved = dict(os.environ)
    use_profile(tmp_path, monkeypatch)
    stream = io.StringIO()
    try:
        with running(ACCESS_APP, "app:app", log=EventLog(stream=stream)) as emulator:
            assert "AWS_ACCESS_KEY_ID" not in os.environ  # no dummy keys over the profile
            credentials = botocore.session.Session().get_credentials().get_frozen_credentials()
            headers = signed_headers(
                emulator.url, credentials.access_key, credentials.secret_key, region()
            )
            identity = whoami(emulator.url, {**headers, "x-api-key": KEY})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert identity["accessKey"] == PROFILE_KEY
    assert f"with access key {PROFILE_KEY}, the one handlers run with" in stream.getvalue()
