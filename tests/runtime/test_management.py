"""send(), close(), info() and broadcast() on the boto3 path, stubbed by botocore.

The app assigned `websocket_api.session`, so calls go through a real boto3 client (the
runtime's own client has its tests in test_management_direct.py).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from runtime import WebsocketAPI, WebsocketDisconnectedError
from runtime.exceptions import (
    EndpointNotConfiguredError,
    ManagementApiError,
    ManagementForbiddenError,
    ManagementThrottledError,
    MessageTooLargeError,
)
from runtime.management import endpoint_for

pytestmark = pytest.mark.usefixtures("aws_env")

CID = "Xq4mT2rLpNcFa8w="


@pytest.fixture
def api():
    api = WebsocketAPI()
    api.session = boto3.session.Session()
    api.configure_endpoint("https://k3x9v2pq7d.execute-api.eu-west-1.amazonaws.com/dev")
    return api


@pytest.fixture
def stub(api):
    with Stubber(api.client()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("eu-west-1", "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"),
        ("cn-north-1", "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod"),
        ("us-gov-west-1", "https://abc123.execute-api.us-gov-west-1.amazonaws.com/prod"),
    ],
)
def test_endpoint_per_region_and_partition(region, expected):
    assert endpoint_for("abc123", region, "prod") == expected


def test_client_uses_the_endpoint_and_is_reused(api):
    client = api.client()
    assert client.meta.endpoint_url == "https://k3x9v2pq7d.execute-api.eu-west-1.amazonaws.com/dev"
    assert client.meta.service_model.service_name == "apigatewaymanagementapi"
    assert api.client() is client


def test_send_text_and_bytes(api, stub):
    stub.add_response("post_to_connection", {}, {"ConnectionId": CID, "Data": "hi é"})
    stub.add_response("post_to_connection", {}, {"ConnectionId": CID, "Data": b"\x00\x01"})
    api.send(CID, "hi é")
    api.send(CID, b"\x00\x01")


@pytest.mark.parametrize(
    ("call", "operation"),
    [
        (lambda api: api.send(CID, "x"), "post_to_connection"),
        (lambda api: api.close(CID), "delete_connection"),
        (lambda api: api.info(CID), "get_connection"),
    ],
)
def test_gone_becomes_websocket_disconnected_error(api, stub, call, operation):
    stub.add_client_error(operation, "GoneException", http_status_code=410)
    with pytest.raises(WebsocketDisconnectedError) as caught:
        call(api)
    assert caught.value.connection_id == CID
    assert str(caught.value) == f"connection {CID} is gone"


def test_a_gone_answer_s_own_message_is_kept_as_its_reason(api, stub):
    stub.add_client_error("post_to_connection", "GoneException", "Gone", http_status_code=410)
    with pytest.raises(WebsocketDisconnectedError) as caught:
        api.send(CID, "x")
    assert caught.value.reason == "Gone"
    assert str(caught.value) == f"connection {CID} is gone: Gone"


def test_other_errors_become_management_errors_with_aws_s_fields(api, stub):
    stub.add_client_error(
        "post_to_connection",
        "ForbiddenException",
        "Forbidden",
        http_status_code=403,
        response_meta={"RequestId": "req-7"},
    )
    stub.add_client_error("get_connection", "BadRequestException", http_status_code=400)
    with pytest.raises(ManagementForbiddenError) as caught:
        api.send(CID, "x")
    error = caught.value
    assert (error.status, error.code, error.message, error.request_id) == (
        403,
        "ForbiddenException",
        "Forbidden",
        "req-7",
    )
    assert (error.operation, error.connection_id) == ("post_to_connection", CID)
    assert type(error.__cause__).__name__ == "ForbiddenException"  # botocore's, chained
    with pytest.raises(ManagementApiError, match=r"get_connection .* HTTP 400 BadRequestException"):
        api.info(CID)


def test_a_bare_410_is_gone_too(api, stub):
    stub.add_client_error("post_to_connection", "410", http_status_code=410)
    with pytest.raises(WebsocketDisconnectedError):
        api.send(CID, "x")


def test_close_deletes_the_connection(api, stub):
    stub.add_response("delete_connection", {}, {"ConnectionId": CID})
    api.close(CID)


def test_info_returns_boto3_fields(api, stub):
    at = datetime(2024, 11, 24, 12, 35, 31, tzinfo=UTC)
    identity = {"SourceIp": "203.0.113.42", "UserAgent": "curl"}
    stub.add_response(
        "get_connection",
        {"ConnectedAt": at, "LastActiveAt": at, "Identity": identity},
        {"ConnectionId": CID},
    )
    assert api.info(CID) == {"ConnectedAt": at, "LastActiveAt": at, "Identity": identity}


def test_message_over_128_kb_is_refused_before_any_call(api, stub):
    with pytest.raises(MessageTooLargeError, match=r"131073 bytes is over .* 131072"):
        api.send(CID, "x" * (128 * 1024 + 1))
    with pytest.raises(MessageTooLargeError):
        api.broadcast([CID], b"x" * (128 * 1024 + 1))


def test_exactly_128_kb_is_sent(api, stub):
    data = b"x" * (128 * 1024)
    stub.add_response("post_to_connection", {}, {"ConnectionId": CID, "Data": data})
    api.send(CID, data)


def test_endpoint_resolution_order(monkeypatch, load_event):
    api = WebsocketAPI()
    with pytest.raises(EndpointNotConfiguredError, match="configure_endpoint"):
        api.endpoint  # noqa: B018
    api.last_request_context = load_event("message_default.json")["requestContext"]
    assert api.endpoint == "https://k3x9v2pq7d.execute-api.eu-west-1.amazonaws.com/dev"
    monkeypatch.setenv("WSGEN_WEBSOCKET_ENDPOINT", "http://127.0.0.1:8000/local/")
    assert api.endpoint == "http://127.0.0.1:8000/local"
    api.configure("ws.example.com", "v1")
    assert api.endpoint == "https://ws.example.com/v1"
    api.configure_endpoint("https://ws.example.com/chat")
    assert api.endpoint == "https://ws.example.com/chat"


def test_region_falls_back_to_aws_default_region_then_session(monkeypatch, load_event):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "cn-north-1")
    api = WebsocketAPI()
    api.last_request_context = load_event("message_default.json")["requestContext"]
    assert api.endpoint.endswith(".execute-api.cn-north-1.amazonaws.com.cn/dev")
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    class Session:
        region_name = "ap-south-1"

    api.session = Session()
    assert ".ap-south-1." in api.endpoint


def test_no_endpoint_and_no_region_says_how_to_configure(monkeypatch, load_event):
    monkeypatch.delenv("AWS_REGION")

    class Session:
        region_name = None

    api = WebsocketAPI()
    api.session = Session()
    api.last_request_context = load_event("message_default.json")["requestContext"]
    with pytest.raises(EndpointNotConfiguredError, match="WSGEN_WEBSOCKET_ENDPOINT"):
        api.send(CID, "x")


def test_send_inside_a_handler_uses_the_event_endpoint(load_event):
    from runtime import App

    app = App(app_name="echo")
    sent = []

    @app.on_ws_message()
    def message(event):
        client = app.websocket_api.client()
        sent.append(client.meta.endpoint_url)

    app(load_event("message_default.json"), None)
    assert sent == ["https://k3x9v2pq7d.execute-api.eu-west-1.amazonaws.com/dev"]


def test_broadcast_reports_delivered_gone_and_failed(api, stub):
    ids = ["A", "B", "C", "A"]
    stub.add_response("post_to_connection", {}, {"ConnectionId": "A", "Data": "m"})
    stub.add_client_error("post_to_connection", "GoneException", http_status_code=410)
    stub.add_client_error("post_to_connection", "LimitExceededException", http_status_code=429)
    result = api.broadcast(ids, "m", max_workers=1)
    assert result.delivered == ["A"]
    assert result.gone == ["B"]
    assert list(result.failed) == ["C"]
    assert isinstance(result.failed["C"], ManagementThrottledError)
    assert result.failed["C"].code == "LimitExceededException"


def test_broadcast_reuses_one_pool_and_one_client(api):
    posted = []

    class Client:
        class exceptions:  # noqa: N801
            class GoneException(Exception):  # noqa: N818 (boto3's name)
                pass

        def post_to_connection(self, ConnectionId, Data):  # noqa: N803
            if ConnectionId.startswith("gone"):
                raise self.exceptions.GoneException()
            posted.append(ConnectionId)

    api.use_client(Client())
    first = api.broadcast([f"c{i}" for i in range(50)] + ["gone1"], "m", max_workers=8)
    pool = api._pool
    second = api.broadcast(["c1", "c2"], b"m", max_workers=4)
    assert api._pool is pool
    assert len(first.delivered) == 50 and first.gone == ["gone1"] and not first.failed
    assert second.delivered == ["c1", "c2"]
    assert sorted(posted) == sorted([f"c{i}" for i in range(50)] + ["c1", "c2"])


def test_use_client_returns_the_previous_one(api):
    first, second = object(), object()
    assert api.use_client(first) is None
    assert api.use_client(second) is first
    assert api.use_client(None) is second
    assert api.client() is not second  # back to boto3's


def test_broadcast_of_no_ids_makes_no_call(api):
    result = api.broadcast([], "m")
    assert (result.delivered, result.gone, result.failed) == ([], [], {})


class SlowClient:
    """Records the most posts in flight at once."""

    class exceptions:  # noqa: N801
        class GoneException(Exception):  # noqa: N818 (boto3's name)
            pass

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.posted = 0

    def post_to_connection(self, ConnectionId, Data):  # noqa: N803
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        time.sleep(0.01)
        with self.lock:
            self.in_flight -= 1
            self.posted += 1


def test_broadcast_keeps_to_max_workers_even_after_a_wider_call(api):
    client = SlowClient()
    api.use_client(client)
    api.broadcast([f"a{i}" for i in range(40)], "m", max_workers=40)
    client.peak = 0
    api.broadcast([f"b{i}" for i in range(20)], "m", max_workers=2)
    assert client.peak == 2


def test_concurrent_broadcasts_from_many_threads_all_complete(api):
    client = SlowClient()
    api.use_client(client)
    results = []

    def run(width):
        results.append(api.broadcast([f"{width}-{i}" for i in range(10)], "m", max_workers=width))

    threads = [threading.Thread(target=run, args=(width,)) for width in (1, 64, 2, 32, 5, 16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 6
    assert all(len(r.delivered) == 10 and not r.failed for r in results)
    assert client.posted == 60


def test_requests_are_signed_for_the_endpoints_region(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    api = WebsocketAPI()
    api.configure_endpoint("https://abc123.execute-api.eu-west-1.amazonaws.com/prod")
    assert api.client().meta.region_name == "eu-west-1"
    other = WebsocketAPI()
    other.configure_endpoint("http://127.0.0.1:8000/local")
    assert other.client().meta.region_name == "us-east-1"  # no region in it: the environment's
