"""SigV4 as API Gateway checks it on an IAM-authorized $connect, against botocore's signer."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from tests.support.signing import presigned, signed_headers
from wsgen.gateway import sigv4

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SECRETS = {KEY: SECRET}
URL = "wss://abc123.execute-api.eu-west-1.amazonaws.com/prod?room=a%20b&token=x+y"
HOST = ("Host", "abc123.execute-api.eu-west-1.amazonaws.com")


def target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def header_signed(url: str = URL, secret: str = SECRET, key: str = KEY) -> list[tuple[str, str]]:
    return [HOST, *signed_headers(url, key, secret, "eu-west-1").items()]


def check(url: str, headers: list[tuple[str, str]], **options: object) -> sigv4.Refusal | str:
    return sigv4.verify("GET", target(url), headers, SECRETS, "eu-west-1", **options)  # type: ignore[arg-type]


def test_a_header_signed_upgrade_names_its_access_key() -> None:
    assert check(URL, header_signed()) == KEY


def test_a_presigned_upgrade_names_its_access_key() -> None:
    url = presigned(URL, KEY, SECRET, "eu-west-1")
    assert check(url, [HOST]) == KEY


def test_a_session_token_is_a_signed_header_like_any() -> None:
    headers = [HOST, *signed_headers(URL, KEY, SECRET, "eu-west-1", token="tok").items()]
    assert check(URL, headers) == KEY
    tampered = [(k, "other" if k == "X-Amz-Security-Token" else v) for k, v in headers]
    assert check(URL, tampered) == sigv4.Refusal("InvalidSignatureException", sigv4.MISMATCH)


@pytest.mark.parametrize(
    ("url", "headers", "error_type", "message"),
    [
        (URL, [HOST], "MissingAuthenticationTokenException", "Missing Authentication Token"),
        (URL, header_signed(secret="wrong"), "InvalidSignatureException", sigv4.MISMATCH),
        (URL, header_signed(key="AKIDOTHER"), "UnrecognizedClientException", sigv4.UNKNOWN_KEY),
        # The query is part of what is signed: another room is another request.
        (URL.replace("room=a", "room=b"), header_signed(), "InvalidSignatureException", None),
        # So is the Host header.
        (URL, [("Host", "evil.example"), *header_signed()[1:]], "InvalidSignatureException", None),
        (URL, [HOST, ("Authorization", "Bearer x")], "IncompleteSignatureException", None),
    ],
)
def test_what_api_gateway_refuses(
    url: str, headers: list[tuple[str, str]], error_type: str, message: str | None
) -> None:
    refusal = check(url, headers)
    assert isinstance(refusal, sigv4.Refusal), refusal
    assert refusal.error_type == error_type
    assert message is None or refusal.message == message


def test_a_signature_for_another_region_or_service_is_refused() -> None:
    other = [HOST, *signed_headers(URL, KEY, SECRET, "us-west-2").items()]
    refusal = check(URL, other)
    assert isinstance(refusal, sigv4.Refusal)
    assert refusal.message == "Credential should be scoped to a valid region, not 'us-west-2'. "
    s3 = [(k, v.replace("/execute-api/", "/s3/")) for k, v in header_signed()]
    refusal = check(URL, s3)
    assert isinstance(refusal, sigv4.Refusal) and "'execute-api'" in refusal.message


def test_a_header_signature_over_five_minutes_old_has_expired() -> None:
    headers = header_signed()
    assert check(URL, headers, now=time.time() + 299) == KEY
    refusal = check(URL, headers, now=time.time() + 301)
    assert isinstance(refusal, sigv4.Refusal)
    assert refusal.message.startswith("Signature expired: ")


def test_a_presigned_url_expires_when_it_says() -> None:
    url = presigned(URL, KEY, SECRET, "eu-west-1", expires=60)
    assert check(url, [HOST], now=time.time() + 30) == KEY
    refusal = check(url, [HOST], now=time.time() + 61)
    assert isinstance(refusal, sigv4.Refusal) and refusal.message.startswith("Signature expired")
