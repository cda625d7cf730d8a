"""The events the test client sends have the keys of the real ones (tests/events/*.json)."""

from __future__ import annotations

import re

from runtime import AuthResponse
from tests.support.builders import new_app
from wsgen.testing import Client


def _keys(event):
    return set(event), set(event["requestContext"])


def _app():
    app = new_app()
    app.events = []

    @app.ws_authorizer(identity_sources=["route.request.querystring.token"])
    def authorize(event):
        return AuthResponse.allow("p")

    @app.on_ws_connect()
    def connect(event):
        if "Sec-WebSocket-Protocol" in event.headers:
            return {"headers": {"Sec-WebSocket-Protocol": "chat.v1"}}
        return None

    @app.on_ws_message(route="join")
    def join(event):
        return None

    @app.on_ws_message()
    def default(event):
        return None

    @app.on_ws_disconnect()
    def disconnect(event):
        return None

    return app


def test_every_event_has_the_captured_keys(load_event):
    with Client(_app()) as client:
        ws = client.connect(query={"token": "s3cr3t"}, headers={"Authorization": "Bearer s3cr3t"})
        ws.send_text('{"action": "join"}')
        ws.send_text("hello there")
        ws.close(1001)
    auth, connect, join, default, disconnect = client.events
    authorizer = {"authorizer"}
    expected_auth = load_event("authorizer_request.json")
    assert _keys(auth) == _keys(expected_auth)
    assert set(auth["headers"]) == set(expected_auth["headers"])
    top, context = _keys(load_event("connect.json"))
    query = {"queryStringParameters", "multiValueQueryStringParameters"}
    assert _keys(connect) == (top | query, context | authorizer)
    for event, fixture in [
        (join, "message_custom_route.json"),
        (default, "message_default.json"),
        (disconnect, "disconnect_1001.json"),
    ]:
        top, context = _keys(load_event(fixture))
        assert _keys(event) == (top, context | authorizer)
    assert disconnect["headers"] == {
        "Host": connect["headers"]["Host"],
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    }
    assert set(connect["headers"]) == {*load_event("connect.json")["headers"], "Authorization"}


def test_user_agent_and_query_follow_the_capture(load_event):
    app = _app()
    with Client(app) as client:
        client.connect(
            query={"room": "lobby", "token": "s3cr3t"},
            headers={"User-Agent": "Firefox", "Origin": "https://chat.example.com"},
            subprotocols=["chat.v2", "chat.v1"],
        )
        expected = load_event("connect_query_user_agent.json")
        event = client.events[1]
        assert set(event["headers"]) == set(expected["headers"])
        assert event["queryStringParameters"] == expected["queryStringParameters"]
        assert event["requestContext"]["identity"] == {
            "sourceIp": "203.0.113.10",
            "userAgent": "Firefox",
        }
        assert list(event["headers"]) == sorted(event["headers"], key=str.lower)


def test_ids_and_times_look_like_api_gateways():
    with Client(_app()) as client, client.connect(query={"token": "t"}) as ws:
        ws.send_text("x")
        ws.send_text("y")
    contexts = [e["requestContext"] for e in client.events]
    assert re.fullmatch(r"[A-Za-z0-9_-]{15}=", ws.connection_id)
    assert {c["connectionId"] for c in contexts} == {ws.connection_id}
    assert len({c["connectedAt"] for c in contexts}) == 1
    assert len({c["requestId"] for c in contexts}) == len(contexts)
    messages = [c for c in contexts if c["eventType"] == "MESSAGE"]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{15}=", c["messageId"]) for c in messages)
    assert all(c["requestId"] == c["extendedRequestId"] for c in contexts)
    assert all(
        re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", c["requestTime"])
        for c in contexts
    )
    assert contexts[0]["domainName"] == "wsgentest0.execute-api.us-east-1.amazonaws.com"
    assert {c["stage"] for c in contexts} == {"test"}


def test_lambda_context_is_passed():
    app = new_app("ctx")
    seen = []

    @app.on_ws_message()
    def message(event):
        seen.append(event.context)

    with Client(app) as client, client.connect() as ws:
        ws.send_text("x")
    assert seen[0].function_name == "ctx"
    assert 0 < seen[0].get_remaining_time_in_millis() <= 29000


def test_domain_name_is_the_host_the_client_connected_to():
    # A custom domain, as AWS reports it in requestContext.domainName and DISCONNECT's Host.
    with Client(_app()) as client:
        client.connect(query={"token": "t"}, headers={"Host": "ws.example.com"}).close()
    contexts = [e["requestContext"] for e in client.events]
    assert {c["domainName"] for c in contexts} == {"ws.example.com"}
    assert client.events[-1]["headers"]["Host"] == "ws.example.com"
