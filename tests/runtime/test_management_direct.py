"""send(), close(), info() and broadcast() on the runtime's own client (runtime.aws).

Against `wsgen local`'s real management API for what it implements, and a scripted loopback
server for the error answers only AWS gives (with AWS's headers and bodies).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from runtime import (
    ManagementApiError,
    ManagementForbiddenError,
    ManagementPayloadTooLargeError,
    ManagementThrottledError,
    WebsocketAPI,
    WebsocketDisconnectedError,
)
from tests.support.paths import APPS
from wsgen.local import EventLog, running

pytestmark = pytest.mark.usefixtures("aws_env")

CID = "Xq4m-T2r_LpNcF/a8w+="


@pytest.fixture
def api() -> WebsocketAPI:
    return WebsocketAPI()


@pytest.fixture
def emulator() -> Iterator[object]:
    saved = dict(os.environ)
    with running(APPS, "recorder:app", log=EventLog(quiet=True)) as emu:
        sys.modules["recorder"].reset()
        yield emu
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.slow  # a fresh interpreter
def test_boto3_is_not_imported_for_send_close_or_info(tmp_path):
    """A fresh interpreter with Lambda's credential variables: no boto3, http.client, socket, idna.

    And nothing of the client before the first call: importing the app stays cheap.
    """
    import subprocess

    probe = """
import sys, runtime
from runtime import WebsocketAPI
assert not {"socket", "runtime.aws", "hashlib"} & set(sys.modules), "imported before a call"
api = WebsocketAPI()
api.configure_endpoint("http://127.0.0.1:9/local")
try:
    api.send("abc=", "hi")
except OSError:
    pass
heavy = ('boto3', 'botocore', 'http', 'email', 'ssl', 'socket', 'selectors', 'encodings.idna',
    'unicodedata')
print(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))
"""
    env = {
        "AWS_ACCESS_KEY_ID": "AKID",
        "AWS_SECRET_ACCESS_KEY": "SECRET",
        "AWS_REGION": "eu-west-1",
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(Path(__file__).parent.parent.parent),
    }
    out = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {env['PYTHONPATH']!r})\n{probe}",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    ).stdout
    assert out.strip() == "[]"


def test_send_close_and_info_through_wsgen_local(emulator, api):
    async def body():
        async with websockets.connect(emulator.url, user_agent_header="direct/1") as ws:
            await ws.send('{"action": "echo"}')
            await ws.recv()
            rec = sys.modules["recorder"]
            cid = rec.of_type("MESSAGE")[-1]["requestContext"]["connectionId"]
            await asyncio.to_thread(api.send, cid, "text é")
            assert await ws.recv() == "text é"
            await asyncio.to_thread(api.send, cid, b"\x80\xff")
            assert await ws.recv() == b"\x80\xff"
            info = await asyncio.to_thread(api.info, cid)
            await asyncio.to_thread(api.close, cid)
            await ws.wait_closed()
            return cid, info, ws.close_code

    cid, info, code = asyncio.run(asyncio.wait_for(body(), 30))
    assert code == 1000
    assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "direct/1"}
    assert info["ConnectedAt"].tzinfo is not None
    assert info["ConnectedAt"] <= info["LastActiveAt"]
    with pytest.raises(WebsocketDisconnectedError) as gone:
        api.send(cid, "after close")
    assert gone.value.connection_id == cid
    with pytest.raises(WebsocketDisconnectedError):
        api.info(cid)
    with pytest.raises(WebsocketDisconnectedError):
        api.close(cid)


def test_broadcast_through_wsgen_local_delivers_each_message_once(emulator, api):
    async def body():
        clients = [await websockets.connect(emulator.url) for _ in range(20)]
        for ws in clients:
            await ws.send('{"action": "echo"}')
            await ws.recv()
        rec = sys.modules["recorder"]
        ids = [e["requestContext"]["connectionId"] for e in rec.of_type("MESSAGE")]
        result = await asyncio.to_thread(api.broadcast, [*ids, "AAAAAAAAAAAAAAA="], "all")
        received = [await asyncio.wait_for(ws.recv(), 5) for ws in clients]
        for ws in clients:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.2)  # nothing twice
            await ws.close()
        return ids, result, received

    ids, result, received = asyncio.run(asyncio.wait_for(body(), 60))
    assert sorted(result.delivered) == sorted(ids)
    assert result.gone == ["AAAAAAAAAAAAAAA="] and not result.failed
    assert received == ["all"] * 20


def test_wrong_stage_is_a_forbidden_error(emulator, api):
    api.configure_endpoint(emulator.endpoint.rsplit("/", 1)[0] + "/prod")
    with pytest.raises(ManagementForbiddenError) as caught:
        api.send("AAAAAAAAAAAAAAA=", "x")
    assert (caught.value.status, caught.value.code) == (403, "ForbiddenException")


# AWS's answers, from a scripted server --------------------------------------------------


def aws_error(status: int, code: str, message: str | None = None):
    body = json.dumps({"message": message}).encode() if message else b""
    headers = {"x-amzn-ErrorType": code, "x-amzn-RequestId": f"req-{status}"}
    return (status, headers, body)


@pytest.fixture
def scripted(server, api, no_sleep):
    url, script = server
    api.configure_endpoint(url + "/dev")
    return script


def test_path_encoding_body_and_signature_scope(scripted, api):
    api.send(CID, "héllo")
    api.close(CID)
    post, delete = scripted.received
    assert post["path"] == "/dev/@connections/Xq4m-T2r_LpNcF%2Fa8w%2B%3D"
    assert (post["method"], post["body"]) == ("POST", "héllo".encode())
    assert "Content-Type" not in post["headers"]
    # no region in a loopback host: the environment's, as boto3 signs
    assert "/eu-west-1/execute-api/aws4_request" in post["headers"]["Authorization"]
    assert (delete["method"], delete["body"]) == ("DELETE", b"")


@pytest.mark.parametrize(
    ("message", "fix"),
    [
        ({"text": "hi"}, "json.dumps() it first"),
        (None, "the message to send is missing"),
        (5, "pass str() of it, or bytes"),
        (memoryview(b"hi"), "pass bytes() of it"),
    ],
)
def test_a_message_neither_str_nor_bytes_is_refused_before_any_request(scripted, api, message, fix):
    from runtime import MessageTypeError

    with pytest.raises(MessageTypeError) as refused:
        api.send(CID, message)
    assert str(refused.value) == f"a message is str or bytes, not {type(message).__name__}: {fix}"
    with pytest.raises(MessageTypeError):
        api.broadcast([CID], message)
    api.send(CID, bytearray(b"hi"))  # bytes-like as boto3 takes it
    assert [r["body"] for r in scripted.received] == [b"hi"]


def test_signs_for_the_endpoint_s_own_region(server, no_sleep, monkeypatch):
    from runtime import aws

    url, _ = server
    seen = []
    real = aws.request

    def capture(method, target, **kwargs):
        seen.append((target, kwargs["region"]))
        return real(method, url + "/p", **kwargs)

    monkeypatch.setattr(aws, "request", capture)
    api = WebsocketAPI()
    api.configure_endpoint("https://q1w2e3.execute-api.cn-north-1.amazonaws.com.cn/prod")
    api.send("a=", "x")
    api.configure("ws.example.com", "chat")
    api.send("a=", "x")
    assert seen == [
        (
            "https://q1w2e3.execute-api.cn-north-1.amazonaws.com.cn/prod/@connections/a%3D",
            "cn-north-1",
        ),
        ("https://ws.example.com/chat/@connections/a%3D", "eu-west-1"),
    ]


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (403, "ForbiddenException", ManagementForbiddenError),
        (413, "PayloadTooLargeException", ManagementPayloadTooLargeError),
        (400, "BadRequestException", ManagementApiError),
    ],
)
def test_refusals_are_management_errors_and_are_not_retried(scripted, api, status, code, kind):
    answer = aws_error(status, code, f"said {status}")
    scripted.answers = [answer, (200, {}, b"")]
    with pytest.raises(kind) as caught:
        api.send(CID, "x")
    error = caught.value
    assert type(error) is kind
    assert (error.status, error.code, error.request_id) == (status, code, f"req-{status}")
    assert error.message == f"said {status}"
    assert error.operation == "post_to_connection" and error.connection_id == CID
    assert len(scripted.received) == 1


def test_throttling_is_retried_then_a_throttled_error(scripted, api, no_sleep):
    scripted.answers = [aws_error(429, "LimitExceededException")] * 3
    with pytest.raises(ManagementThrottledError, match="HTTP 429 LimitExceededException"):
        api.send(CID, "x")
    assert len(scripted.received) == 3 and len(no_sleep) == 2


def test_gone_is_disconnected_with_or_without_aws_s_error_type(scripted, api):
    scripted.answers = [aws_error(410, "GoneException"), (410, {}, b"")]
    for _ in range(2):
        with pytest.raises(WebsocketDisconnectedError):
            api.send(CID, "x")


def test_info_has_boto3_s_shape(scripted, api):
    body = {
        "connectedAt": "2024-01-20T11:54:57.419Z",
        "identity": {"sourceIp": "203.0.113.9", "userAgent": "ua"},
        "lastActiveAt": "2024-01-20T11:55:00.000Z",
    }
    scripted.answers = [(200, {"Content-Type": "application/json"}, json.dumps(body).encode())]
    utc = datetime.UTC
    assert api.info(CID) == {
        "ConnectedAt": datetime.datetime(2024, 1, 20, 11, 54, 57, 419000, tzinfo=utc),
        "LastActiveAt": datetime.datetime(2024, 1, 20, 11, 55, tzinfo=utc),
        "Identity": {"SourceIp": "203.0.113.9", "UserAgent": "ua"},
    }
    assert scripted.received[0]["method"] == "GET"


def test_broadcast_sorts_delivered_gone_and_failed(scripted, api):
    def respond(request):
        if request["path"].endswith("gone"):
            return aws_error(410, "GoneException")
        if request["path"].endswith("denied"):
            return aws_error(403, "ForbiddenException")
        return (200, {}, b"")

    scripted.respond = respond
    ids = [f"c{i}" for i in range(100)] + ["x-gone", "y-denied"]
    result = api.broadcast(ids, "m")
    assert sorted(result.delivered) == sorted(ids[:100])
    assert result.gone == ["x-gone"]
    assert isinstance(result.failed["y-denied"], ManagementForbiddenError)
    assert len(scripted.received) == 102
    assert len({r["port"] for r in scripted.received}) <= 64  # the pool, not one per post


# When boto3 is used ------------------------------------------------------------------------


def test_an_assigned_session_sends_through_boto3(scripted, api):
    import boto3

    api.session = boto3.session.Session()
    api.send(CID, "x")
    (request,) = scripted.received
    assert "Botocore" in request["headers"]["User-Agent"]


def test_without_lambda_s_credentials_boto3_s_chain_is_used(scripted, api, monkeypatch, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = PROFILEKEY\naws_secret_access_key = s\n")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    api.send(CID, "x")
    (request,) = scripted.received
    assert "Botocore" in request["headers"]["User-Agent"]
    assert "Credential=PROFILEKEY/" in request["headers"]["Authorization"]
