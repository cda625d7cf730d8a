"""`runtime.background`: Lambda's asynchronous Invoke, signed, against a server on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from runtime import BackgroundInvokeError
from runtime.background import MAX_ASYNC_PAYLOAD_BYTES, Background
from runtime.contract import CONNECTED_KEY
from tests.support.httpstub import Answer, Request, StubServer, stub_server


class Lambda:
    """Answers Invoke as Lambda does: 202 for an Event invocation, else `status`, an error."""

    def __init__(self) -> None:
        self.status = 202
        self.server: StubServer | None = None

    def answer(self, request: Request) -> Answer:
        if self.status == 202:
            return Answer(202)
        data = json.dumps({"Type": "User", "message": "Function not found: x"}).encode()
        return Answer(self.status, {"x-amzn-ErrorType": "ResourceNotFoundException"}, data)

    @property
    def seen(self) -> list[Request]:
        assert self.server is not None
        return self.server.requests


@pytest.fixture
def lambda_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Lambda]:
    api = Lambda()
    with stub_server(api.answer) as api.server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", api.server.url)
        monkeypatch.setenv("AWS_REGION", "eu-west-1")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
        monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
        yield api


@pytest.mark.slow  # a loopback HTTP server
def test_invoke_is_a_signed_event_invocation(lambda_api: Lambda) -> None:
    Background().invoke("my-fn", {"a": [1, 2]})
    [call] = lambda_api.seen
    assert call.path == "/2015-03-31/functions/my-fn/invocations"
    assert call.headers["X-Amz-Invocation-Type"] == "Event"
    assert call.headers["X-Amz-Security-Token"] == "token"
    assert "/eu-west-1/lambda/aws4_request" in call.headers["Authorization"]
    assert json.loads(call.body) == {"a": [1, 2]}


@pytest.mark.slow  # a loopback HTTP server
def test_connected_invokes_this_function_with_the_connect_event(
    lambda_api: Lambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "chat-WebsocketHandler-AbC")
    event = {"requestContext": {"connectionId": "abc=", "routeKey": "$connect"}}
    Background().connected(event)
    [call] = lambda_api.seen
    assert call.path == "/2015-03-31/functions/chat-WebsocketHandler-AbC/invocations"
    assert json.loads(call.body) == {CONNECTED_KEY: event}


@pytest.mark.slow  # a loopback HTTP server
@pytest.mark.parametrize(("version", "qualified"), [("7", ":7"), ("$LATEST", ""), ("", "")])
def test_connected_invokes_the_published_version_running(
    lambda_api: Lambda, monkeypatch: pytest.MonkeyPatch, version: str, qualified: str
) -> None:
    """A `snap_start` function runs a published version (through its alias): the connected
    step starts from the same version's snapshot, not from `$LATEST`, which has none."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "chat-WebsocketHandler-AbC")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", version)
    Background().connected({"requestContext": {"connectionId": "abc="}})
    [call] = lambda_api.seen
    assert call.path == f"/2015-03-31/functions/chat-WebsocketHandler-AbC{qualified}/invocations"


@pytest.mark.slow  # a loopback HTTP server
def test_a_refusal_is_an_error_naming_the_function_and_lambdas_code(
    lambda_api: Lambda,
) -> None:
    lambda_api.status = 404
    with pytest.raises(BackgroundInvokeError, match=r"my-fn .*HTTP 404.*ResourceNotFound"):
        Background().invoke("my-fn", {})


@pytest.mark.slow  # a loopback HTTP server
def test_an_oversized_payload_is_refused_before_any_request(lambda_api: Lambda) -> None:
    with pytest.raises(BackgroundInvokeError, match="over Lambda's"):
        Background().invoke("my-fn", {"x": "a" * MAX_ASYNC_PAYLOAD_BYTES})
    assert lambda_api.seen == []


def test_outside_lambda_connected_says_where_to_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    with pytest.raises(BackgroundInvokeError, match="wsgen local"):
        Background().connected({"requestContext": {"connectionId": "abc="}})


@pytest.mark.slow  # a loopback HTTP server
def test_a_task_invokes_the_function_the_template_named_for_it(
    lambda_api: Lambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WSGEN_TASK_FUNCTION_PREFIX", "chat-prod-")
    Background().task("report", {"wsgen.task": "report", "args": [], "kwargs": {}})
    [call] = lambda_api.seen
    assert call.path == "/2015-03-31/functions/chat-prod-report/invocations"
    assert call.headers["X-Amz-Invocation-Type"] == "Event"


def test_without_the_prefix_a_task_says_how_to_run_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WSGEN_TASK_FUNCTION_PREFIX", raising=False)
    with pytest.raises(BackgroundInvokeError, match="WSGEN_TASK_FUNCTION_PREFIX is not set"):
        Background().task("report", {})
