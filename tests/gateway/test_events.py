"""Events built in the exact shape of tests/events/*.json (keys, their order, formats)."""

from __future__ import annotations

import pytest

from tests.support.events import ID
from wsgen.gateway.events import (
    Api,
    Peer,
    UpgradeRequest,
    authorizer_event,
    clf_time,
    connect_event,
    disconnect_event,
    message_event,
    new_id,
)


@pytest.fixture
def api():
    return Api("k3x9v2pq7d", "eu-west-1", "dev")


@pytest.fixture
def peer(api):
    return Peer("Xq4mT2rLpNcFa8w=", 1732451731204, "203.0.113.42", api.domain_name)


def _handshake(api, *extra):
    return [
        ("Host", api.domain_name),
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Key", "d2hhdCBhIG5pY2Uga2V5IQ=="),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
        *extra,
    ]


def _shape(event):
    """Keys in order, and the request context's keys in order."""
    return list(event), list(event["requestContext"])


def test_ids_and_clf_time():
    assert ID.match(new_id())
    assert clf_time(1732451731204) == "24/Nov/2024:12:35:31 +0000"


def test_connect_event_matches_the_capture(load_event, api, peer):
    expected = load_event("connect.json")
    at = expected["requestContext"]["requestTimeEpoch"]
    event = connect_event(api, peer, UpgradeRequest(_handshake(api)), epoch_ms=at)
    assert _shape(event) == _shape(expected)
    assert list(event["headers"]) == list(expected["headers"])  # no hop-by-hop, sorted
    assert event["headers"]["X-Forwarded-Proto"] == "https"
    assert event["headers"]["X-Forwarded-Port"] == "443"
    assert event["headers"]["X-Forwarded-For"] == "203.0.113.42"
    context, want = event["requestContext"], expected["requestContext"]
    for key in ("requestTime", "requestTimeEpoch", "connectedAt", "domainName", "apiId", "stage"):
        assert context[key] == want[key], key
    assert context["requestId"] == context["extendedRequestId"]


def test_connect_event_with_query_and_user_agent(load_event, api, peer):
    expected = load_event("connect_query_user_agent.json")
    peer.user_agent = expected["requestContext"]["identity"]["userAgent"]
    headers = _handshake(api, ("User-Agent", peer.user_agent), ("Origin", "https://x"))
    request = UpgradeRequest(headers, [("room", "lobby"), ("token", "s3cr3t")])
    event = connect_event(api, peer, request)
    assert _shape(event) == _shape(expected)
    assert event["requestContext"]["identity"] == expected["requestContext"]["identity"]
    assert list(event["requestContext"]["identity"]) == ["userAgent", "sourceIp"]
    assert event["queryStringParameters"] == expected["queryStringParameters"]


def test_repeated_parameters_last_value_wins_in_the_single_map(api, peer):
    request = UpgradeRequest(_handshake(api), [("tag", "a"), ("tag", "b")])
    event = connect_event(api, peer, request)
    assert event["queryStringParameters"] == {"tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}


def test_front_end_headers_are_parameters_and_the_clients_own_win(peer):
    api = Api("wsgenlocal", "us-east-1", "local", forwarded_proto="http", forwarded_port=8000)
    request = UpgradeRequest([("Host", "h"), ("x-forwarded-for", "10.0.0.1")])
    headers = connect_event(api, peer, request)["headers"]
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Port"] == "8000"
    assert headers["x-forwarded-for"] == "10.0.0.1" and "X-Forwarded-For" not in headers


def test_authorizer_event_matches_the_capture(load_event, api, peer):
    expected = load_event("authorizer_request.json")
    request = UpgradeRequest(_handshake(api, ("Authorization", "Bearer s3cr3t")), [("token", "t")])
    event = authorizer_event(api, peer, request)
    assert _shape(event) == _shape(expected)
    assert list(event["headers"]) == list(expected["headers"])
    assert event["methodArn"] == expected["methodArn"]
    # API Gateway's own hop-by-hop values, not the client's "Upgrade".
    assert event["headers"]["Connection"] == "upgrade"
    assert event["headers"]["content-length"] == "0"


def test_authorizer_event_has_empty_query_maps_and_the_stage_variables(peer):
    api = Api("a", "us-east-1", "dev", stage_variables={"env": "test"})
    event = authorizer_event(api, peer, UpgradeRequest([]))
    assert event["queryStringParameters"] == event["multiValueQueryStringParameters"] == {}
    assert event["stageVariables"] == {"env": "test"}


@pytest.mark.parametrize("fixture", ["message_custom_route.json", "message_default.json"])
def test_message_event_matches_the_capture(load_event, api, peer, fixture):
    expected = load_event(fixture)
    route_key = expected["requestContext"]["routeKey"]
    event = message_event(api, peer, route_key, expected["body"], False)
    assert _shape(event) == _shape(expected)
    assert ID.match(event["requestContext"]["messageId"])
    assert event["requestContext"]["requestId"] != event["requestContext"]["messageId"]


@pytest.mark.parametrize("fixture", ["disconnect_1001.json", "disconnect_1005.json"])
def test_disconnect_event_matches_the_capture(load_event, api, peer, fixture):
    expected = load_event(fixture)
    context = expected["requestContext"]
    code, reason = context["disconnectStatusCode"], context["disconnectReason"]
    event = disconnect_event(api, peer, code, reason)
    assert _shape(event) == _shape(expected)
    assert event["headers"] == expected["headers"]
    assert event["multiValueHeaders"] == expected["multiValueHeaders"]
    assert (
        event["requestContext"]["disconnectStatusCode"],
        event["requestContext"]["disconnectReason"],
    ) == (code, reason)


def test_authorizer_context_is_on_every_event_once_set(api, peer):
    peer.authorizer = {"principalId": "ada", "integrationLatency": 3, "role": "admin"}
    events = [
        connect_event(api, peer, UpgradeRequest([])),
        message_event(api, peer, "$default", "x", False),
        disconnect_event(api, peer, 1000, ""),
    ]
    assert all(e["requestContext"]["authorizer"] == peer.authorizer for e in events)
    events[0]["requestContext"]["authorizer"]["role"] = "changed"
    assert peer.authorizer["role"] == "admin"  # each event has its own copy


def test_the_apis_domain_is_under_its_partitions_dns_suffix():
    assert Api("k3x9v2pq7d", "eu-west-1", "dev").domain_name == (
        "k3x9v2pq7d.execute-api.eu-west-1.amazonaws.com"
    )
    assert Api("k3x9v2pq7d", "cn-northwest-1", "dev").domain_name == (
        "k3x9v2pq7d.execute-api.cn-northwest-1.amazonaws.com.cn"
    )
