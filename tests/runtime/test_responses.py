"""What a handler's return value becomes: the reply, the handshake's answer, or a `Dropped`."""

from __future__ import annotations

import json

import pytest

from runtime import Response
from runtime.responses import Dropped, to_proxy_response
from tests.support.builders import new_app


@pytest.mark.parametrize(
    ("returned", "response"),
    [
        ("pong", {"statusCode": 200}),
        (b"\x00", {"statusCode": 200}),
        ([1, 2], {"statusCode": 200}),
        ({"joined": True}, {"statusCode": 200, "joined": True}),
        ({"statusCode": 200, "body": "hi"}, {"statusCode": 200, "body": "hi"}),
        (
            Response(body="hi"),
            {"headers": {}, "multiValueHeaders": {}, "statusCode": 200, "body": "hi"},
        ),
    ],
)
def test_a_value_on_a_one_way_route_is_dropped_with_the_same_response(returned, response):
    result = to_proxy_response(returned, route_key="join")
    assert isinstance(result, Dropped)
    assert (result.value, result.route_key) == (returned, "join")
    assert result == response  # what Lambda returns is what it was before: a plain dict
    assert json.loads(json.dumps(result)) == response


@pytest.mark.parametrize(
    "returned",
    [
        {},
        {"statusCode": 200},  # raw Lambda's idiom: nothing for the client
        {"statusCode": 500, "headers": {"X": "y"}, "multiValueHeaders": {}},
        Response(status_code=204),
    ],
)
def test_a_bodiless_proxy_response_on_a_one_way_route_is_not_dropped(returned):
    assert not isinstance(to_proxy_response(returned, route_key="join"), Dropped)


@pytest.mark.parametrize(
    "returned", ["ignored", {"headers": {"Sec-WebSocket-Protocol": "p"}}, Response(body="x")]
)
def test_connects_result_is_the_handshakes_answer_never_dropped(returned):
    assert not isinstance(to_proxy_response(returned, route_key="$connect"), Dropped)


def test_a_two_way_routes_value_is_its_reply_not_dropped():
    result = to_proxy_response({"n": 1}, reply=True, route_key="ping")
    assert not isinstance(result, Dropped) and result == {"statusCode": 200, "body": '{"n":1}'}


def test_the_entry_point_returns_dropped_for_a_one_way_message_and_disconnect(load_event):
    app = new_app()
    app.on_ws_message(route="join")(lambda event: "joined")
    app.on_ws_disconnect()(lambda event: "bye")
    joined = app(load_event("message_custom_route.json"), None)
    assert isinstance(joined, Dropped) and (joined.route_key, joined.value) == ("join", "joined")
    assert joined == {"statusCode": 200}
    left = app(load_event("disconnect_1001.json"), None)
    assert isinstance(left, Dropped) and left.route_key == "$disconnect"
