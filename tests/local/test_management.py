"""The @connections API through a real boto3 client: codes, bodies and modelled exceptions."""

from __future__ import annotations

import asyncio
import datetime
import http.client
import io
import json

import pytest
import websockets
from botocore.exceptions import ClientError

from tests.support.local import run
from tests.support.markdown import python_block
from tests.support.paths import DOCS
from wsgen.local import EventLog
from wsgen.local.management import ManagementApi


async def connection_id(ws, rec) -> str:
    await ws.send('{"action": "echo", "who": "am i"}')
    await ws.recv()
    return rec.of_type("MESSAGE")[-1]["requestContext"]["connectionId"]


def in_thread(function, *args, **kwargs):
    """boto3 blocks: call it off the event loop the client runs on."""
    return asyncio.to_thread(function, *args, **kwargs)


def test_post_reaches_the_client_as_text_or_binary(emulator, rec, mgmt):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            cid = await connection_id(ws, rec)
            response = await in_thread(mgmt.post_to_connection, ConnectionId=cid, Data=b"hello")
            assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
            assert await ws.recv() == "hello"
            await in_thread(mgmt.post_to_connection, ConnectionId=cid, Data=b"\x80\x81")
            assert await ws.recv() == b"\x80\x81"
            big = b"x" * (128 * 1024)  # the maximum, sent in 32 KB frames
            await in_thread(mgmt.post_to_connection, ConnectionId=cid, Data=big)
            assert await ws.recv() == big.decode()

    run(body)


def test_the_local_pages_outside_caller_reaches_a_client(emulator, rec):
    source = python_block(DOCS / "local.md", "Calling `@connections` from outside")
    assert "http://127.0.0.1:8000/local" in source
    source = source.replace("http://127.0.0.1:8000/local", emulator.endpoint)

    async def body():
        async with websockets.connect(emulator.url) as ws:
            namespace = {"connection_id": await connection_id(ws, rec)}
            await in_thread(exec, compile(source, "docs/local.md", "exec"), namespace)
            assert await ws.recv() == "hello"

    run(body)


def test_post_over_128_kb_is_payload_too_large(emulator, rec, mgmt):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            cid = await connection_id(ws, rec)
            with pytest.raises(mgmt.exceptions.PayloadTooLargeException):
                data = b"x" * (128 * 1024 + 1)
                await in_thread(mgmt.post_to_connection, ConnectionId=cid, Data=data)
            # The connection and the keep-alive HTTP connection both still work.
            await in_thread(mgmt.post_to_connection, ConnectionId=cid, Data=b"after")
            assert await ws.recv() == "after"

    run(body)


def test_get_connection_info(emulator, rec, mgmt):
    async def body():
        headers = {"User-Agent": "info-test/2"}
        async with websockets.connect(
            emulator.url, additional_headers=headers, user_agent_header=None
        ) as ws:
            cid = await connection_id(ws, rec)
            return await in_thread(mgmt.get_connection, ConnectionId=cid)

    info = run(body)
    assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "info-test/2"}
    assert isinstance(info["ConnectedAt"], datetime.datetime)
    assert info["ConnectedAt"] <= info["LastActiveAt"]
    connected_ms = rec.of_type("CONNECT")[0]["requestContext"]["connectedAt"]
    assert int(info["ConnectedAt"].timestamp() * 1000) == connected_ms


def test_unknown_or_closed_id_is_gone_exception(emulator, rec, mgmt):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            cid = await connection_id(ws, rec)
        rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
        return cid

    closed = run(body)
    for cid in (closed, "AAAAAAAAAAAAAAA=", "not an id"):
        with pytest.raises(mgmt.exceptions.GoneException):
            mgmt.post_to_connection(ConnectionId=cid, Data=b"x")
        with pytest.raises(mgmt.exceptions.GoneException):
            mgmt.get_connection(ConnectionId=cid)
        with pytest.raises(mgmt.exceptions.GoneException):
            mgmt.delete_connection(ConnectionId=cid)


def test_delete_closes_with_1000_and_runs_disconnect_once(emulator, rec, mgmt):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            cid = await connection_id(ws, rec)
            response = await in_thread(mgmt.delete_connection, ConnectionId=cid)
            assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
            await ws.wait_closed()
            return ws.close_code, cid

    code, cid = run(body)
    assert code == 1000
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    disconnects = rec.of_type("DISCONNECT")
    assert len(disconnects) == 1
    assert disconnects[0]["requestContext"]["disconnectStatusCode"] == 1000
    assert disconnects[0]["requestContext"]["disconnectReason"] == "Connection Closed Normally"
    with pytest.raises(mgmt.exceptions.GoneException):
        mgmt.post_to_connection(ConnectionId=cid, Data=b"x")


def test_close_from_a_handler_runs_disconnect(emulator, rec):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            await ws.send('{"action": "close"}')
            await ws.wait_closed()

    run(body)
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    assert len(rec.of_type("DISCONNECT")) == 1


def test_wrong_stage_is_forbidden_exception(emulator, rec):
    from tests.support.local import management_client

    emulator_wrong = type("E", (), {"endpoint": emulator.endpoint.rsplit("/", 1)[0] + "/prod"})
    client = management_client(emulator_wrong)
    with pytest.raises(client.exceptions.ForbiddenException):
        client.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")


def test_a_call_to_another_stage_is_explained_once_in_the_log():
    from tests.support.local import management_client, start

    log = io.StringIO()
    with start(log=EventLog(log, quiet=True), stage="dev") as emulator:
        wrong = type("E", (), {"endpoint": emulator.endpoint.rsplit("/", 1)[0] + "/production"})
        client = management_client(wrong)
        for _ in range(2):
            with pytest.raises(client.exceptions.ForbiddenException):
                client.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")
    assert log.getvalue() == (
        "wsgen local: 403 Forbidden for POST /production/@connections/AAAAAAAAAAAAAAA=: the "
        "call names stage 'production', but this emulator serves stage 'dev'; send it to the "
        "endpoint ending in /dev (WSGEN_WEBSOCKET_ENDPOINT in handlers), or run wsgen local "
        "--stage production\n"
    )


SIGNATURE = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/execute-api/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
)


def test_the_wrong_stage_line_names_both_stages_once_per_stage():
    log = io.StringIO()
    api = ManagementApi("dev", {}, log=EventLog(log, quiet=True))
    for method, path in [
        ("POST", "/production/@connections/abc%3D"),
        ("GET", "/production/@connections/other"),  # the same stage: said already
        ("DELETE", "/@connections/abc"),  # the SDK dropped the stage
        ("POST", "/Dev/@connections/abc"),  # stages are case-sensitive
    ]:
        response = api.answer(method, path, b"x", SIGNATURE)
        assert (response.status, response.body) == (403, b'{"message": "Forbidden"}')
    lines = log.getvalue().splitlines()
    assert lines == [
        "wsgen local: 403 Forbidden for POST /production/@connections/abc=: the call names "
        "stage 'production', but this emulator serves stage 'dev'; send it to the endpoint "
        "ending in /dev (WSGEN_WEBSOCKET_ENDPOINT in handlers), or run wsgen local --stage "
        "production",
        "wsgen local: 403 Forbidden for DELETE /@connections/abc: the call names no stage, but "
        "this emulator serves stage 'dev'; send it to the endpoint ending in /dev "
        "(WSGEN_WEBSOCKET_ENDPOINT in handlers)",
        "wsgen local: 403 Forbidden for POST /Dev/@connections/abc: the call names stage 'Dev', "
        "but this emulator serves stage 'dev'; send it to the endpoint ending in /dev "
        "(WSGEN_WEBSOCKET_ENDPOINT in handlers), or run wsgen local --stage Dev",
    ]


@pytest.mark.parametrize("path", ["/favicon.ico", "/", "/production/somewhere", "/dev/x/y"])
def test_a_request_that_is_no_management_call_is_not_logged(path):
    log = io.StringIO()
    api = ManagementApi("dev", {}, log=EventLog(log, quiet=True))
    assert api.answer("GET", path, b"", SIGNATURE).status == 403
    assert log.getvalue() == ""


def test_the_right_stage_logs_nothing():
    log = io.StringIO()
    api = ManagementApi("dev", {}, log=EventLog(log, quiet=True))
    assert api.answer("POST", "/dev/@connections/abc", b"x", SIGNATURE).status == 410
    assert log.getvalue() == ""


SIGNED = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/execute-api/"
    "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
}
"""A SigV4 header of the right shape (the emulator checks the shape, not the signature)."""


def raw(emulator, method: str, path: str, body: bytes = b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=SIGNED if headers is None else headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_whole_path_is_url_decoded(emulator, rec):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            cid = await connection_id(ws, rec)
            encoded = cid.replace("=", "%3D")
            status, _, _ = await in_thread(
                raw, emulator, "POST", f"/local/%40connections/{encoded}", b"encoded"
            )
            assert status == 200
            assert await ws.recv() == "encoded"

    run(body)


@pytest.mark.parametrize(
    ("method", "path", "status", "error_type"),
    [
        ("PUT", "/local/@connections/AAAAAAAAAAAAAAA=", 403, "ForbiddenException"),
        ("POST", "/local/@connections/", 403, "ForbiddenException"),
        ("POST", "/local/@connections/a/b", 403, "ForbiddenException"),
        ("GET", "/local/somewhere", 403, "ForbiddenException"),
        ("POST", "/@connections/AAAAAAAAAAAAAAA=", 403, "ForbiddenException"),
        ("GET", "/prod/@connections/AAAAAAAAAAAAAAA=", 403, "ForbiddenException"),
        ("GET", "/local/@connections/%E2%98%83", 410, "GoneException"),
    ],
)
def test_bad_management_requests_get_4xx_with_error_type(
    emulator, method, path, status, error_type
):
    got, headers, _ = raw(emulator, method, path)
    assert got == status
    assert headers["x-amzn-ErrorType"] == error_type


def test_plain_get_on_the_websocket_url_is_426(emulator):
    status, _, _ = raw(emulator, "GET", "/local")
    assert status == 426


def test_any_signature_value_is_accepted(emulator, rec):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            cid = await connection_id(ws, rec)
            status, _, _ = await in_thread(
                raw, emulator, "POST", f"/local/@connections/{cid}", b"signed", SIGNED
            )
            assert status == 200
            assert await ws.recv() == "signed"

    run(body)


@pytest.mark.parametrize(
    ("authorization", "status", "error_type", "message"),
    [
        (None, 403, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        ("Bearer token", 403, "IncompleteSignatureException", "requires the AWS4-HMAC-SHA256"),
        (
            "AWS4-HMAC-SHA256 Credential=garbage",
            403,
            "IncompleteSignatureException",
            "requires SignedHeaders, Signature",
        ),
        (
            SIGNED["Authorization"].replace("execute-api", "s3"),
            403,
            "InvalidSignatureException",
            "scoped to correct service: 'execute-api'",
        ),
    ],
    ids=["unsigned", "not-sigv4", "incomplete", "other-service"],
)
def test_a_call_not_signed_for_execute_api_is_refused_as_aws_does(
    emulator, rec, authorization, status, error_type, message
):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            cid = await connection_id(ws, rec)
            headers = {} if authorization is None else {"Authorization": authorization}
            got = await in_thread(
                raw, emulator, "POST", f"/local/@connections/{cid}", b"x", headers
            )
            await ws.send("still open")  # nothing was posted to it
            return got, await ws.recv()

    (got, headers, payload), echoed = run(body)
    assert (got, headers["x-amzn-ErrorType"]) == (status, error_type)
    assert message in json.loads(payload)["message"]
    assert echoed == "still open"


def test_boto3_without_a_signature_gets_missing_authentication_token(emulator):
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    unsigned = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=emulator.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as caught:
        unsigned.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")
    assert caught.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"


def test_boto3_client_error_code_is_modelled_not_bare_410(emulator, mgmt):
    with pytest.raises(ClientError) as caught:
        mgmt.get_connection(ConnectionId="AAAAAAAAAAAAAAA=")
    assert caught.value.response["Error"]["Code"] == "GoneException"
