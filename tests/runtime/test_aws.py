"""runtime.aws: SigV4 byte for byte as botocore signs, pooled requests, retries, credentials."""

from __future__ import annotations

import datetime
import json
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

from runtime import aws, aws_json
from runtime.exceptions import CredentialsError

FROZEN = datetime.datetime(2026, 12, 1, 9, 30, 15)
FROZEN_EPOCH = FROZEN.replace(tzinfo=datetime.UTC).timestamp()
TOKEN = "IQoJb3JpZ2luX2VjEPr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/==session"
ENDPOINT = "https://abc123defg.execute-api.us-east-1.amazonaws.com/dev"


def botocore_signed(
    method: str, url: str, headers: dict[str, str], body: bytes, service: str, region: str, token
):
    """The headers botocore's own SigV4 signer gives the same request at the frozen time."""
    creds = botocore.credentials.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCY", token)
    request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=headers)
    signer = botocore.auth.SigV4Auth(creds, service, region)
    original = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda *a, **k: FROZEN
    try:
        signer.add_auth(request)
    finally:
        botocore.auth.get_current_datetime = original
    return list(request.headers.items())


def ours(method, url, headers, body, service, region, token):
    creds = aws.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCY", token)
    signed = aws.sign(
        method, url, headers, body, service=service, region=region, credentials=creds,
        now=FROZEN_EPOCH,
    )  # fmt: skip
    return list(signed.items())


def connection_url(endpoint: str, connection_id: str) -> str:
    return f"{endpoint}/@connections/{aws.quote(connection_id)}"


CASES = [
    ("POST", connection_url(ENDPOINT, "R1kmxc2VNjMCFIA="), {}, b"hello", "us-east-1"),
    ("POST", connection_url(ENDPOINT, "a-b_c=Zz9-_x0="), {}, "héllo ✓".encode(), "us-east-1"),
    ("POST", connection_url(ENDPOINT, "R1kmxc2VNjMCFIA="), {}, bytes(range(256)) * 3, "us-east-1"),
    ("POST", connection_url(ENDPOINT, "R1kmxc2VNjMCFIA="), {}, bytes(range(256)) * 20, "us-east-1"),
    ("POST", connection_url(ENDPOINT, "R1kmxc2VNjMCFIA="), {}, b"", "us-east-1"),
    ("GET", connection_url(ENDPOINT, "R1kmxc2VNjMCFIA="), {}, b"", "us-east-1"),
    ("DELETE", connection_url(ENDPOINT, "-_-_=="), {}, b"", "us-east-1"),
    (
        "POST",
        connection_url("https://q1w2e3.execute-api.cn-north-1.amazonaws.com.cn/prod", "X_y-Z="),
        {},
        b"china",
        "cn-north-1",
    ),
    (
        "POST",
        connection_url("https://ws.example.com/chat", "R1kmxc2VNjMCFIA="),
        {},
        b"x",
        "eu-west-1",
    ),
    ("POST", connection_url("http://127.0.0.1:3001/local", "Ab="), {}, b"local", "us-east-1"),
    (
        "POST",
        "https://dynamodb.eu-central-1.amazonaws.com/",
        {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.GetItem",
            "User-Agent": "not  signed",
        },
        b'{"TableName": "t", "Key": {"id": {"S": "a  b"}}}',
        "eu-central-1",
    ),
    ("GET", "https://example.amazonaws.com/a/./b/../c//d?z=1&a=2&a=1&empty=", {}, b"", "us-west-2"),
    ("GET", "https://example.amazonaws.com", {"X-Custom": "  spaced   value "}, b"", "us-west-2"),
    ("GET", "https://example.amazonaws.com/a/../b//c/.", {}, b"", "us-west-2"),
    ("GET", "https://example.amazonaws.com/a/b/..?x=1", {}, b"", "us-west-2"),
    ("GET", "https://example.amazonaws.com/../a//?b=2&a=1", {}, b"", "us-west-2"),
    ("GET", "https://example.amazonaws.com/a%20b/c~d#fragment", {}, b"", "us-west-2"),
]


@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize(("method", "url", "headers", "body", "region"), CASES)
def test_signature_is_botocore_s_byte_for_byte(method, url, headers, body, region, token):
    service = "dynamodb" if "dynamodb" in url else "execute-api"
    expected = botocore_signed(method, url, dict(headers), body, service, region, token)
    assert ours(method, url, headers, body, service, region, token) == expected


def test_signing_for_many_connections_keeps_no_memory_per_connection():
    """A broadcast signs a URL per connection: what is kept between signatures is per
    endpoint, not per connection id."""
    import tracemalloc

    creds = aws.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCY", TOKEN)
    aws.sign("POST", connection_url(ENDPOINT, "warm="), {}, b"x", service="execute-api",
             region="us-east-1", credentials=creds)  # fmt: skip
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for n in range(2000):
            aws.sign("POST", connection_url(ENDPOINT, f"R1kmxc{n:08d}A="), {}, b"x",
                     service="execute-api", region="us-east-1", credentials=creds)  # fmt: skip
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    kept = sum(
        stat.size_diff
        for stat in after.compare_to(before, "filename")
        if stat.traceback[0].filename == aws.__file__
    )
    assert kept < 20_000  # a cache per URL keeps ~800 bytes a connection: 1.6 MB here


class EmptyBody:
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield b""


@pytest.mark.parametrize("key_length", [0, 1, 32, 44, 63, 64, 65, 200])
def test_the_builtin_hmac_is_the_standard_library_s(key_length):
    """Signing uses the interpreter's builtin SHA-256 (no OpenSSL bindings at a cold start)."""
    import hmac

    key = bytes(range(256))[:key_length]
    for message in (b"", b"AWS4-HMAC-SHA256\n20261201T093015Z", bytes(range(256)) * 3):
        assert aws._hmac_sha256(key, message) == hmac.digest(key, message, "sha256")


def test_boto3_s_own_client_sends_the_same_path_and_signature():
    """boto3's apigatewaymanagementapi client: the same wire path, the same Authorization."""
    connection_id = "R1k-mxc_2VNjMCFIA="
    session = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCY",
        aws_session_token=TOKEN,
        region_name="us-east-1",
    )
    client = session.client("apigatewaymanagementapi", endpoint_url=ENDPOINT)
    sent: list[Any] = []

    def capture(request, **_):
        sent.append(request)
        return botocore.awsrequest.AWSResponse(request.url, 200, {}, EmptyBody())

    client.meta.events.register("before-send", capture)
    original = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda *a, **k: FROZEN
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=b"\x00\xffdata")
    finally:
        botocore.auth.get_current_datetime = original
    (request,) = sent
    assert request.url == connection_url(ENDPOINT, connection_id)
    headers = {
        k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()
    }
    # boto3 signs exactly what the runtime's client sends and signs: host, date, token.
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in headers["authorization"]
    signed = aws.sign(
        "POST", request.url, {}, b"\x00\xffdata", service="execute-api", region="us-east-1",
        credentials=aws.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCY", TOKEN),
        now=FROZEN_EPOCH,
    )  # fmt: skip
    assert signed["Authorization"] == headers["authorization"]
    assert signed["X-Amz-Date"] == headers["x-amz-date"]
    assert signed["X-Amz-Security-Token"] == headers["x-amz-security-token"]


@pytest.mark.parametrize(
    ("url", "region"),
    [
        ("https://abc.execute-api.eu-west-3.amazonaws.com/dev", "eu-west-3"),
        ("https://abc.execute-api.cn-northwest-1.amazonaws.com.cn/dev", "cn-northwest-1"),
        ("https://dynamodb.ap-south-1.amazonaws.com/", "ap-south-1"),
        ("https://ws.example.com/chat", None),
        ("http://127.0.0.1:3001/local", None),
        ("https://sts.amazonaws.com/", None),
    ],
)
def test_region_comes_from_the_endpoint_host(url, region):
    assert aws.region_of(url) == region


@pytest.mark.parametrize(
    ("region", "suffix"),
    [
        ("eu-west-1", "amazonaws.com"),
        ("cn-north-1", "amazonaws.com.cn"),
        ("cn-northwest-1", "amazonaws.com.cn"),
        ("us-gov-west-1", "amazonaws.com"),
    ],
)
def test_the_dns_suffix_is_the_region_s_partition_s(region, suffix):
    assert aws.dns_suffix(region) == suffix


def test_a_service_s_endpoint_is_its_variable_then_the_shared_one_then_aws_s(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    assert aws_json.service_endpoint("sqs") == "https://sqs.us-east-1.amazonaws.com"
    assert (
        aws_json.service_endpoint("sqs", "cn-north-1") == "https://sqs.cn-north-1.amazonaws.com.cn"
    )
    assert aws_json.service_endpoint("sqs", default="http://127.0.0.1:9/") == "http://127.0.0.1:9"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1/")
    assert aws_json.service_endpoint("sqs", default="http://127.0.0.1:9") == "http://127.0.0.1:1"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:2")
    assert aws_json.service_endpoint("sqs") == "http://127.0.0.1:2"
    assert aws_json.service_endpoint("lambda") == "http://127.0.0.1:1"
    # the variable names the service id, which is not always the signing name upper-cased
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:3")
    assert aws_json.service_endpoint("secretsmanager") == "http://127.0.0.1:3"
    # a signing name with a dash: the variable has an underscore, a name a shell can export
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDP", "http://127.0.0.1:4")
    assert aws_json.service_endpoint("cognito-idp") == "http://127.0.0.1:4"


CREDS = aws.Credentials("AKIDEXAMPLE", "secret", "tok")


def call(url: str, method: str = "POST", body: bytes = b"x", **kwargs: Any) -> aws.AwsResponse:
    return aws.request(method, url, service="execute-api", credentials=CREDS, body=body, **kwargs)


def test_requests_reuse_one_kept_alive_connection(server):
    url, script = server
    for _ in range(3):
        assert call(url + "/dev/@connections/a%3D").status == 200
    assert len({r["port"] for r in script.received}) == 1
    first = script.received[0]
    assert first["path"] == "/dev/@connections/a%3D"
    assert first["headers"]["X-Amz-Security-Token"] == "tok"
    assert first["headers"]["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/execute-api/aws4_request" in first["headers"]["Authorization"]


def test_body_bytes_arrive_unchanged_and_get_has_no_body(server):
    url, script = server
    call(url + "/p", body=bytes(range(256)))
    call(url + "/p", method="GET", body=b"")
    assert script.received[0]["body"] == bytes(range(256))
    assert "Content-Length" not in script.received[1]["headers"]


def test_response_fields_chunked_and_error_code_from_header_or_body(server):
    url, script = server
    script.answers = [
        (200, {"chunked": "", "x-amzn-RequestId": "req-1"}, b'{"connectedAt": "x"}'),
        (410, {"x-amzn-ErrorType": "GoneException:http://internal.amazon.com/coral/"}, b"{}"),
        (
            400,
            {},
            b'{"__type": "com.amazonaws.dynamodb.v20120810#ValidationException", "message": "bad"}',
        ),
    ]
    ok = call(url + "/p", method="GET", body=b"")
    assert (ok.status, ok.json(), ok.request_id, ok.error_code) == (
        200,
        {"connectedAt": "x"},
        "req-1",
        None,
    )
    gone = call(url + "/p")
    assert (gone.status, gone.error_code) == (410, "GoneException")
    invalid = call(url + "/p")
    assert (invalid.error_code, invalid.error_message) == ("ValidationException", "bad")


@pytest.mark.parametrize("status", [400, 403, 410, 413])
def test_client_errors_are_never_retried(server, no_sleep, status):
    url, script = server
    script.answers = [(status, {}, b"{}"), (200, {}, b"")]
    assert call(url + "/p").status == status
    assert len(script.received) == 1
    assert no_sleep == []


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_throttling_and_server_errors_are_retried_with_bounded_jittered_backoff(
    server, no_sleep, status
):
    url, script = server
    script.answers = [(status, {}, b""), (status, {}, b""), (200, {}, b"")]
    assert call(url + "/p").status == 200
    assert len(script.received) == 3
    assert len(no_sleep) == 2 and 0 <= no_sleep[0] <= 1 and 0 <= no_sleep[1] <= 2


def test_retries_stop_after_three_attempts_and_return_the_last_answer(server, no_sleep):
    url, script = server
    script.answers = [(503, {}, b"a"), (503, {}, b"b"), (503, {}, b"c"), (200, {}, b"")]
    response = call(url + "/p")
    assert (response.status, response.body, len(script.received)) == (503, b"c", 3)


def test_throttling_error_code_is_retried_whatever_the_status(server, no_sleep):
    url, script = server
    script.answers = [(400, {}, b'{"__type": "x#ProvisionedThroughputExceededException"}')]
    assert call(url + "/p").status == 200
    assert len(script.received) == 2


def test_an_empty_retry_quota_stops_retries_until_successes_give_tokens_back(
    server, no_sleep, monkeypatch
):
    from runtime import aws_errors

    url, script = server
    monkeypatch.setattr(aws_errors, "_quota", aws_errors.RETRY_COST - 1)  # one token short
    script.answers = [(503, {}, b""), (200, {}, b""), (503, {}, b""), (200, {}, b"")]
    assert call(url + "/p").status == 503  # not retried: the quota is short
    assert call(url + "/p").status == 200  # a success gives back one token
    assert call(url + "/p").status == 200  # so this one's 503 is retried
    assert len(script.received) == 4 and len(no_sleep) == 1
    assert aws_errors._quota == aws_errors.RETRY_COST  # the retry's cost given back


def test_connection_reset_is_retried_on_a_new_connection(server, no_sleep):
    url, script = server
    script.answers = ["reset", (200, {}, b"")]
    assert call(url + "/p").status == 200
    assert len(script.received) == 2 and len(no_sleep) == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_without_a_retry(server, no_sleep):
    url, script = server
    script.answers = [(200, {"drop": ""}, b""), (200, {}, b"")]
    call(url + "/p")
    assert call(url + "/p").status == 200
    assert len(script.received) == 2 and no_sleep == []
    assert script.received[0]["port"] != script.received[1]["port"]


def test_connection_close_is_honoured(server):
    url, script = server
    script.answers = [(200, {"Connection": "close"}, b""), (200, {}, b"")]
    call(url + "/p")
    call(url + "/p")
    assert script.received[0]["port"] != script.received[1]["port"]


@pytest.mark.slow  # a real socket, refused
def test_network_failure_after_the_last_attempt_raises(no_sleep):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        call(f"http://127.0.0.1:{port}/p")
    assert len(no_sleep) == 2


# Credentials ------------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    aws.reset()
    yield monkeypatch
    aws.reset()


def test_credentials_from_lambda_s_environment(clean_env):
    assert aws.credentials() is None
    clean_env.setenv("AWS_ACCESS_KEY_ID", "AKID")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
    clean_env.setenv("AWS_SESSION_TOKEN", "TOKEN")
    creds = aws.credentials()
    assert (creds.access_key, creds.secret_key, creds.token) == ("AKID", "SECRET", "TOKEN")


def container_answer(expiration: str) -> tuple[int, dict[str, str], bytes]:
    body = {
        "AccessKeyId": "ASIACONTAINER",
        "SecretAccessKey": "container-secret",
        "Token": "container-token",
        "Expiration": expiration,
    }
    return (200, {"Content-Type": "application/json"}, json.dumps(body).encode())


def test_credentials_from_the_container_endpoint_with_its_token_cached_until_expiry(
    clean_env, server
):
    url, script = server
    clean_env.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url + "/2018-06-01/credentials")
    clean_env.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-token")
    script.answers = [container_answer("2099-01-01T00:00:00Z")]
    creds = aws.credentials()
    assert (creds.access_key, creds.secret_key, creds.token) == (
        "ASIACONTAINER",
        "container-secret",
        "container-token",
    )
    expiry = datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC).timestamp()
    assert creds.expires_at == expiry
    assert aws.credentials() is creds
    (received,) = script.received
    assert received["path"] == "/2018-06-01/credentials"
    assert received["headers"]["Authorization"] == "auth-token"


def test_container_credentials_about_to_expire_are_fetched_again(clean_env, server, tmp_path):
    url, script = server
    token_file = tmp_path / "token"
    token_file.write_text("from-file")
    clean_env.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url + "/creds")
    clean_env.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored: the file wins")
    clean_env.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token_file))
    script.answers = [
        container_answer("2020-01-01T00:00:00.000+00:00"),
        container_answer("2099-01-01T00:00:00Z"),
    ]
    first = aws.credentials()
    second = aws.credentials()
    assert first is not second and len(script.received) == 2
    assert script.received[1]["headers"]["Authorization"] == "from-file"


def test_relative_uri_goes_to_the_container_host(clean_env, server, monkeypatch):
    url, script = server
    monkeypatch.setattr(aws, "_CONTAINER_HOST", url.split("//")[1])
    clean_env.setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc")
    script.answers = [container_answer("2099-01-01T00:00:00Z")]
    assert aws.credentials().access_key == "ASIACONTAINER"
    assert script.received[0]["path"] == "/v2/credentials/abc"


def test_container_endpoint_on_a_foreign_host_is_refused(clean_env):
    clean_env.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://203.0.113.9/creds")
    with pytest.raises(CredentialsError, match=r"203\.0\.113\.9"):
        aws.credentials()


def test_container_endpoint_refusal_is_a_credentials_error(clean_env, server, no_sleep):
    url, script = server
    clean_env.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url + "/creds")
    script.answers = [(403, {}, b"no")]
    with pytest.raises(CredentialsError, match="HTTP 403"):
        aws.credentials()


def test_environment_credentials_win_over_the_container_endpoint(clean_env):
    clean_env.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://203.0.113.9/creds")
    clean_env.setenv("AWS_ACCESS_KEY_ID", "AKID")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
    assert aws.credentials().token is None


# call_aws_json: the JSON-protocol APIs' seam

SSM_ANSWER = (200, {"Content-Type": "application/x-amz-json-1.1"}, b'{"Parameter": {"Value": "v"}}')


def test_a_json_protocol_call_is_one_signed_post_to_the_service_s_override(server, clean_env):
    url, script = server
    clean_env.setenv("AWS_ENDPOINT_URL_SSM", url + "/")
    clean_env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")  # the service's own wins
    clean_env.setenv("AWS_REGION", "eu-west-1")
    clean_env.setenv("AWS_ACCESS_KEY_ID", "AKIDFUNCTION")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    script.answers = [SSM_ANSWER]
    payload = {"Name": "/chat/tökén", "WithDecryption": True}
    answer = aws_json.call_aws_json("ssm", "AmazonSSM.GetParameter", payload, json_version="1.1")
    assert answer == {"Parameter": {"Value": "v"}}
    (sent,) = script.received
    assert (sent["method"], sent["path"]) == ("POST", "/")
    assert sent["headers"]["X-Amz-Target"] == "AmazonSSM.GetParameter"
    assert sent["headers"]["Content-Type"] == "application/x-amz-json-1.1"
    authorization = sent["headers"]["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDFUNCTION/")
    assert "/eu-west-1/ssm/aws4_request" in authorization
    assert json.loads(sent["body"]) == payload
    assert "tökén".encode() in sent["body"]  # UTF-8 as it is, not \\u escapes


def test_an_explicit_endpoint_and_credentials_win_over_the_environment(server, clean_env):
    url, script = server
    clean_env.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1")
    clean_env.setenv("AWS_ACCESS_KEY_ID", "AKIDFUNCTION")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    script.answers = [(200, {}, b"")]
    given = aws.Credentials("AKIDGIVEN", "secret")
    answer = aws_json.call_aws_json(
        "dynamodb",
        "DynamoDB_20120810.DescribeLimits",
        {},
        json_version="1.0",
        endpoint=url,
        region="ap-south-1",
        credentials=given,
    )
    assert answer == {}  # an empty body: an empty answer
    (sent,) = script.received
    assert sent["headers"]["Content-Type"] == "application/x-amz-json-1.0"
    assert "AKIDGIVEN/" in sent["headers"]["Authorization"]
    assert "/ap-south-1/dynamodb/aws4_request" in sent["headers"]["Authorization"]


def test_an_error_answer_raises_aws_api_error_with_aws_s_fields(server, clean_env, no_sleep):
    url, script = server
    body = {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": "Transaction cancelled",
        "CancellationReasons": [{"Code": "ConditionalCheckFailed"}],
    }
    script.answers = [(400, {"x-amzn-RequestId": "req-7"}, json.dumps(body).encode())]
    with pytest.raises(aws_api_error()) as raised:
        aws_json.call_aws_json(
            "dynamodb", "DynamoDB_20120810.TransactWriteItems", {}, json_version="1.0", endpoint=url
        )
    error = raised.value
    assert (error.target, error.status, error.code, error.message, error.request_id) == (
        "DynamoDB_20120810.TransactWriteItems",
        400,
        "TransactionCanceledException",
        "Transaction cancelled",
        "req-7",
    )
    assert error.details["CancellationReasons"] == [{"Code": "ConditionalCheckFailed"}]
    assert str(error) == (
        "DynamoDB_20120810.TransactWriteItems failed with TransactionCanceledException "
        "(HTTP 400): Transaction cancelled"
    )
    assert len(script.received) == 1  # a 400 is never retried


def test_without_credentials_a_local_server_gets_placeholder_keys(server, clean_env):
    url, script = server
    clean_env.setenv("AWS_ENDPOINT_URL_SQS", url)
    script.answers = [(200, {}, b"{}")]
    aws_json.call_aws_json("sqs", "AmazonSQS.ListQueues", {}, json_version="1.0")
    assert "Credential=local/" in script.received[0]["headers"]["Authorization"]


def test_without_credentials_aws_s_own_endpoint_is_not_called(clean_env):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM"):
        clean_env.delenv(name, raising=False)
    with pytest.raises(CredentialsError, match=r"none to call AmazonSSM\.GetParameter .* set them"):
        aws_json.call_aws_json("ssm", "AmazonSSM.GetParameter", {}, json_version="1.1")


def test_a_lone_surrogate_in_the_payload_goes_as_json_s_escape(server, clean_env):
    url, script = server
    script.answers = [(200, {}, b"{}")]
    creds = aws.Credentials("AKID", "secret")
    payload = {"Item": {"text": {"S": "a\ud800 é"}}}
    aws_json.call_aws_json("dynamodb", "DynamoDB_20120810.PutItem", payload, json_version="1.0",
                      endpoint=url, credentials=creds)  # fmt: skip
    assert script.received[0]["body"] == b'{"Item":{"text":{"S":"a\\ud800 \\u00e9"}}}'


def aws_api_error() -> type[Exception]:
    from runtime import AwsApiError

    return AwsApiError
