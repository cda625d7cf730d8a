"""WebsocketEvent reads every field API Gateway sends, and tolerates what it leaves out."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from runtime import BadRequestError, WebsocketEvent
from runtime.events import AuthorizerEvent, is_authorizer_event
from runtime.exceptions import InvalidEventError
from runtime.headers import Headers


def test_message_event_exposes_request_context(load_event):
    raw = load_event("message_custom_route.json")
    event = WebsocketEvent(raw)
    rc = raw["requestContext"]
    assert event.connection_id == rc["connectionId"]
    assert event.route_key == "join"
    assert event.event_type == "MESSAGE"
    assert event.domain_name == rc["domainName"]
    assert event.stage == "dev"
    assert event.api_id == rc["apiId"]
    assert event.request_id == rc["requestId"]
    assert event.message_id == rc["messageId"]
    assert event.source_ip == "203.0.113.42"


def test_event_wraps_the_raw_dict_without_copying(load_event):
    raw = load_event("message_default.json")
    event = WebsocketEvent(raw, context="ctx")
    assert event.to_dict() is raw
    assert event.context == "ctx"


def test_times_are_timezone_aware_datetimes(load_event):
    event = WebsocketEvent(load_event("message_default.json"))
    assert event.connected_at == datetime(2024, 11, 24, 12, 35, 31, 204000, tzinfo=UTC)
    assert event.request_time == datetime(2024, 11, 24, 12, 35, 40, 118000, tzinfo=UTC)


def test_json_body_is_parsed_once_and_cached(load_event):
    event = WebsocketEvent(load_event("message_custom_route.json"))
    first = event.json_body
    assert first == {"action": "join", "room": "lobby", "nick": "ada"}
    assert event.json_body is first


def test_invalid_json_body_raises_bad_request_with_chalices_wording(load_event):
    event = WebsocketEvent(load_event("message_default.json"))
    with pytest.raises(BadRequestError) as caught:
        event.json_body  # noqa: B018
    message = str(caught.value)
    assert message.startswith("Error Parsing JSON: the message body is not valid JSON (")
    assert "Expecting value" in message  # json's own reason, after Chalice's words
    assert isinstance(caught.value, ValueError)


def test_a_bad_request_raised_by_user_code_says_only_what_the_user_said():
    assert str(BadRequestError("room must be valid")) == "room must be valid"


def test_a_handlers_own_bad_request_says_its_own_reason():
    assert str(BadRequestError("room must be valid")) == "room must be valid"


def test_text_body_and_raw_body(load_event):
    event = WebsocketEvent(load_event("message_default.json"))
    assert event.body == "hello there"
    assert event.raw_body == b"hello there"
    assert event.is_base64_encoded is False


def test_binary_body_is_base64_decoded(load_event):
    raw = load_event("message_default.json")
    raw["body"] = base64.b64encode(b"\x00\xff{}").decode()
    raw["isBase64Encoded"] = True
    event = WebsocketEvent(raw)
    assert event.raw_body == b"\x00\xff{}"


def test_connect_event_headers_are_case_insensitive(load_event):
    event = WebsocketEvent(load_event("connect_query_user_agent.json"))
    assert event.headers["sec-websocket-protocol"] == "chat.v2, chat.v1"
    assert event.headers["ORIGIN"] == "https://chat.example.com"
    assert "user-agent" in event.headers
    assert event.headers.get("x-missing") is None
    assert "Origin" in list(event.headers)


def test_connect_event_query_string_and_user_agent(load_event):
    event = WebsocketEvent(load_event("connect_query_user_agent.json"))
    assert event.query_params == {"room": "lobby", "token": "s3cr3t"}
    assert event.multi_value_query_params == {"room": ["lobby"], "token": ["s3cr3t"]}
    assert event.user_agent is not None and event.user_agent.startswith("Mozilla/5.0")


@pytest.mark.parametrize(
    "name",
    ["connect.json", "message_default.json", "disconnect_1001.json", "disconnect_1005.json"],
)
def test_absent_keys_read_as_none_or_empty_never_the_string_none(load_event, name):
    event = WebsocketEvent(load_event(name))
    assert event.query_params == {}
    assert event.multi_value_query_params == {}
    assert event.authorizer == {}
    assert event.user_agent is None
    if name != "message_default.json":
        assert event.body is None
        assert event.message_id is None
        assert event.raw_body == b""
        assert event.json_body is None
    if name == "message_default.json":
        assert event.headers == {}
        assert event.disconnect_status_code is None
        assert event.disconnect_reason is None


def test_disconnect_status_and_reason(load_event):
    gone = WebsocketEvent(load_event("disconnect_1001.json"))
    assert (gone.disconnect_status_code, gone.disconnect_reason) == (1001, "")
    unset = WebsocketEvent(load_event("disconnect_1005.json"))
    assert unset.disconnect_status_code == 1005
    assert unset.disconnect_reason == "Client-side close frame status not set"


def test_authorizer_context_is_read_from_request_context(load_event):
    raw = load_event("message_default.json")
    raw["requestContext"]["authorizer"] = {"principalId": "ada", "room": "lobby"}
    assert WebsocketEvent(raw).authorizer["room"] == "lobby"


def test_2019_style_empty_string_authorizer_reads_as_empty(load_event):
    raw = load_event("connect.json")
    raw["requestContext"].update(authorizer="", error="", status="", messageId=None)
    event = WebsocketEvent(raw)
    assert event.authorizer == {}
    assert event.message_id is None


def test_event_without_request_context_is_refused():
    with pytest.raises(InvalidEventError, match="no requestContext"):
        WebsocketEvent({"body": "x"})


def test_authorizer_event(load_event):
    raw = load_event("authorizer_request.json")
    assert is_authorizer_event(raw)
    assert not is_authorizer_event(load_event("connect.json"))
    event = AuthorizerEvent(raw)
    assert event.method_arn.endswith("/dev/$connect")
    assert event.headers["authorization"] == "Bearer s3cr3t"
    assert event.query_params["token"] == "s3cr3t"
    assert event.connection_id == raw["requestContext"]["connectionId"]


def test_headers_mapping_behaves_like_a_dict():
    headers = Headers({"Content-Type": "a", "X-One": "b"})
    assert len(headers) == 2
    assert dict(headers) == {"Content-Type": "a", "X-One": "b"}
    assert headers["content-type"] == "a"
    assert 3 not in headers
