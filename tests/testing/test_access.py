"""IAM authorization and API keys on $connect in `wsgen.testing.Client`: what `wsgen local`
checks (tests/local/test_access.py), decided by the same code, in memory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest

from runtime import App
from tests.support.paths import ACCESS_APP
from tests.support.signing import PROFILE_KEY, PROFILE_SECRET, signed_headers, use_profile
from wsgen.gateway.access import DUMMY_KEY, api_key_id, known_credentials
from wsgen.loader import load_app
from wsgen.testing import Client, ConnectionRejected

KEY = "test-key-0123456789abcdef"  # tests/wsgen/apps/access/wsgen.toml, [stages.test]


@pytest.fixture
def app() -> App:
    return load_app(ACCESS_APP, "app:app")


@pytest.fixture
def client(app: App) -> Iterator[Client]:
    with Client(app) as client:
        yield client


def signed(client: Client, **extra: str) -> dict[str, str]:
    [(key, secret)] = known_credentials(os.environ).items()
    url = f"https://{client.api.domain_name}/{client.api.stage}"
    return {**signed_headers(url, key, secret, client.api.region), **extra}


def test_a_signed_connection_with_the_stages_key_names_the_caller(client: Client) -> None:
    connection = client.connect(headers=signed(client, **{"x-api-key": KEY}))
    identity = client.events[-1]["requestContext"]["identity"]
    [key] = known_credentials(os.environ)
    assert identity["userArn"] == f"arn:aws:iam::123456789012:user/{key}"
    assert (identity["apiKey"], identity["apiKeyId"]) == (KEY, api_key_id(KEY))
    connection.send_json({"action": "whoami"})
    assert connection.receive_json()["apiKeyId"] == api_key_id(KEY)  # every event has them


def test_unsigned_or_keyless_connections_are_refused_with_403(client: Client) -> None:
    with pytest.raises(ConnectionRejected) as unsigned:
        client.connect(headers={"x-api-key": KEY})
    assert unsigned.value.status_code == 403
    assert "Missing Authentication Token" in unsigned.value.reason
    with pytest.raises(ConnectionRejected) as keyless:
        client.connect(headers=signed(client))
    assert (keyless.value.status_code, keyless.value.reason) == (
        403,
        "API key: no x-api-key header",
    )
    assert client.events == []  # $connect never ran


def test_api_keys_given_to_the_client_replace_wsgen_tomls(app: App) -> None:
    with Client(app, api_keys=["another-key-0123456789"]) as client:
        with pytest.raises(ConnectionRejected):
            client.connect(headers=signed(client, **{"x-api-key": KEY}))
        client.connect(headers=signed(client, **{"x-api-key": "another-key-0123456789"}))


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A user whose only credentials are a named profile's, in temporary shared files."""
    use_profile(tmp_path, monkeypatch)
    return PROFILE_KEY, PROFILE_SECRET


def test_a_profiles_credentials_sign_as_handlers_run_with_them(
    app: App, profile: tuple[str, str]
) -> None:
    """Signed with what `botocore.Session().get_credentials()` gives a profile user."""
    assert known_credentials(os.environ) == dict([profile])
    credentials = botocore.session.Session().get_credentials().get_frozen_credentials()
    with Client(app) as client:
        url = f"https://{client.api.domain_name}/{client.api.stage}"
        headers = signed_headers(
            url, credentials.access_key, credentials.secret_key, client.api.region
        )
        client.connect(headers={**headers, "x-api-key": KEY})
        identity = client.events[-1]["requestContext"]["identity"]
    assert identity["accessKey"] == profile[0]


def test_without_credentials_of_their_own_the_dummy_pair_signs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert known_credentials(os.environ) == {DUMMY_KEY: DUMMY_KEY}


def test_signed_headers_are_what_an_iam_connect_accepts(client: Client) -> None:
    client.connect(headers={**client.signed_headers(), "x-api-key": KEY})
    query = {"room": "lobby"}
    client.connect(headers={**client.signed_headers(query), "x-api-key": KEY}, query=query)
    with pytest.raises(ConnectionRejected) as tampered:  # the query is part of the signature
        client.connect(
            headers={**client.signed_headers(query), "x-api-key": KEY}, query={"room": "x"}
        )
    assert tampered.value.status_code == 403
    assert len(client.connections) == 2


def test_signed_headers_sign_with_the_keys_the_client_verifies_with(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys resolved anew (a refreshed SSO or assumed role's) would not be the client's."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFIRSTEXAMPLE0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "first/secret")
    with Client(app) as client:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASECONDEXAMPLE002")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "second/secret")
        client.connect(headers={**client.signed_headers(), "x-api-key": KEY})
        identity = client.events[-1]["requestContext"]["identity"]
    assert identity["accessKey"] == "AKIAFIRSTEXAMPLE0001"
