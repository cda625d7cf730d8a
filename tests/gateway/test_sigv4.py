"""SigV4 as API Gateway checks it on an IAM-authorized $connect, against botocore's signer."""

from __future__ import annotations

import datetime
import time
from urllib.parse import urlsplit

import pytest

from tests.support.signing import presigned, signed_headers, signing_at
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


FROZEN = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.UTC)
AT = FROZEN.timestamp()


def presigned_at(expires: int, query: dict[str, str] | None = None) -> str:
    """botocore's presigned URL signed at FROZEN, with query fields then replaced or dropped
    (an empty value drops the field)."""
    with signing_at(FROZEN):
        url = presigned(URL, KEY, SECRET, "eu-west-1", expires=expires)
    base, _, signed_query = url.partition("?")
    fields = [pair.partition("=")[::2] for pair in signed_query.split("&")]
    kept = [(k, (query or {}).get(k, v)) for k, v in fields]
    return base + "?" + "&".join(f"{k}={v}" for k, v in kept if v)


def refused(url: str, headers: list[tuple[str, str]], now: float) -> sigv4.Refusal:
    refusal = check(url, headers, now=now)
    assert isinstance(refusal, sigv4.Refusal), refusal
    return refusal


def test_botocore_at_a_frozen_time_is_accepted_then() -> None:
    assert check(presigned_at(60), [HOST], now=AT) == KEY
    with signing_at(FROZEN):
        assert check(URL, header_signed(), now=AT) == KEY


@pytest.mark.parametrize("expires", ["", "0", "604801", "-5", "ten"])
def test_a_presigned_url_needs_an_expiry_of_one_second_to_seven_days(expires: str) -> None:
    url = presigned_at(60, {"X-Amz-Expires": expires})
    refusal = refused(url, [HOST], now=AT)
    assert refusal.error_type == "IncompleteSignatureException"
    assert "X-Amz-Expires" in refusal.message and "5 min" not in refusal.message


def test_a_presigned_url_of_seven_days_is_taken_until_it_runs_out() -> None:
    url = presigned_at(sigv4.MAX_EXPIRES_S)
    assert check(url, [HOST], now=AT + sigv4.MAX_EXPIRES_S) == KEY
    refusal = refused(url, [HOST], now=AT + sigv4.MAX_EXPIRES_S + 1)
    assert refusal.message == (
        "Signature expired: the presigned URL signed at 20260301T120000Z with X-Amz-Expires "
        "604800 expired at 20260308T120000Z (now 20260308T120001Z)"
    )


def test_a_signature_dated_over_five_minutes_ahead_is_not_yet_current() -> None:
    url = presigned_at(3600)
    assert check(url, [HOST], now=AT - 300) == KEY
    refusal = refused(url, [HOST], now=AT - 301)
    assert refusal.error_type == "InvalidSignatureException"
    assert refusal.message == (
        "Signature not yet current: 20260301T120000Z is still later than 20260301T115959Z "
        "(20260301T115459Z + 5 min.)"
    )
    with signing_at(FROZEN):
        headers = header_signed()
    assert refused(URL, headers, now=AT - 301).message.startswith("Signature not yet current")


def test_the_credential_scope_date_must_be_x_amz_dates_day() -> None:
    message = (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '20260301' != '20260302', from '20260302T000100Z'."
    )
    url = presigned_at(60, {"X-Amz-Date": "20260302T000100Z"})
    refusal = refused(url, [HOST], now=AT + 12 * 3600)
    assert (refusal.error_type, refusal.message) == ("InvalidSignatureException", message)
    with signing_at(FROZEN):
        headers = header_signed()
    moved = [(k, "20260302T000100Z" if k == "X-Amz-Date" else v) for k, v in headers]
    assert refused(URL, moved, now=AT + 12 * 3600).message == message


def test_a_signature_must_cover_the_host_header() -> None:
    """A signature leaving Host out would hold for any host; AWS requires it signed."""
    auth = dict(header_signed())["Authorization"]
    unsigned_host = auth.replace("SignedHeaders=host;x-amz-date", "SignedHeaders=x-amz-date")
    assert unsigned_host != auth
    headers = [(k, unsigned_host if k == "Authorization" else v) for k, v in header_signed()]
    refusal = check(URL, headers)
    assert refusal == sigv4.Refusal("IncompleteSignatureException", sigv4.HOST_UNSIGNED)
    url = presigned(URL, KEY, SECRET, "eu-west-1").replace(
        "X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date"
    )
    assert check(url, [HOST]) == sigv4.Refusal("IncompleteSignatureException", sigv4.HOST_UNSIGNED)


@pytest.mark.parametrize(
    "authorization",
    [
        signed_headers(URL, KEY, SECRET, "eu-west-1")["Authorization"],  # botocore's
        signed_headers(URL, KEY, SECRET, "eu-west-1", token="tok")["Authorization"],
        "AWS4-HMAC-SHA256 Credential=K/20260101/cn-north-1/execute-api/aws4_request,"
        "SignedHeaders=host,Signature=00",  # no spaces after the commas
        "  AWS4-HMAC-SHA256 Signature=ab, Credential=K/d/r/execute-api/aws4_request, "
        "SignedHeaders=host  ",  # another order, spaces around
    ],
)
def test_the_management_apis_shape_check_takes_a_sigv4_header_for_execute_api(
    authorization: str,
) -> None:
    assert sigv4.shape_refusal(authorization) is None


@pytest.mark.parametrize(
    ("authorization", "error_type", "message"),
    [
        ("", "MissingAuthenticationTokenException", sigv4.MISSING_TOKEN),
        (
            "AWS4-HMAC-SHA256 Credential=K/d/r/execute-api/aws4_request, SignedHeaders=host, "
            "Signature=",
            "IncompleteSignatureException",
            "Authorization header requires Signature",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=K/d/r/execute-api/aws4_request, Signature=00",
            "IncompleteSignatureException",
            "Authorization header requires SignedHeaders",
        ),
        (
            "AWS4-HMAC-SHA1 Credential=K/d/r/execute-api/aws4_request, SignedHeaders=host, "
            "Signature=00",
            "IncompleteSignatureException",
            "Authorization header requires the AWS4-HMAC-SHA256 scheme",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=K/d/r/s3/aws4_request, SignedHeaders=host, Signature=00",
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'execute-api'.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=K/d/execute-api/aws4_request, SignedHeaders=host, "
            "Signature=00",  # a part of the scope missing
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'execute-api'.",
        ),
    ],
)
def test_the_management_apis_shape_check_refuses_as_api_gateway_does(
    authorization: str, error_type: str, message: str
) -> None:
    assert sigv4.shape_refusal(authorization) == sigv4.Refusal(error_type, message)
