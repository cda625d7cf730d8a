"""Which route a message selects: a custom route, else $default, else None (Forbidden)."""

from __future__ import annotations

import pytest

from runtime.selection import evaluate_selection_expression, parse_selection_expression
from runtime.spec import AppSpec, RouteSpec
from wsgen.gateway.routing import Router


def _router(*keys, expression="$request.body.action"):
    routes = tuple(RouteSpec(key, key, reply=key == "ping") for key in keys)
    return Router(AppSpec("t", routes, expression))


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b'{"action": "join"}', "join"),
        (b'{"action": "nope"}', "$default"),
        (b'{"action": "$connect"}', "$default"),  # predefined keys are never selected
        (b'{"other": 1}', "$default"),
        (b"not json", "$default"),
        (b"[1]", "$default"),
    ],
)
def test_custom_route_else_default(data, key):
    assert _router("join", "ping", "$connect", "$default").route_key(data) == key


def test_no_match_and_no_default_is_none():
    router = _router("join")
    assert router.route_key(b'{"action": "join"}') == "join"
    assert router.route_key(b"anything") is None


def test_binary_frames_go_to_default():
    assert _router("join", "$default").route_key(b'{"action": "join"}', binary=True) == "$default"
    assert _router("join").route_key(b'{"action": "join"}', binary=True) is None


def test_the_apps_own_expression():
    router = _router("chat/join", expression="${request.body.service}/${request.body.op}")
    assert router.route_key(b'{"service": "chat", "op": "join"}') == "chat/join"


def test_replies_only_on_two_way_routes():
    router = _router("join", "ping")
    assert router.replies("ping") and not router.replies("join") and not router.replies("gone")


BODIES = [
    '{"action": "join"}',
    '{"action": 5}',
    '{"action": 1.5e3}',
    '{"action": true}',
    '{"action": null}',
    '{"action": ""}',
    '{"action": [1, "a", null]}',
    '{"action": {"k": "v", "n": 2}}',
    '{"Action": "join"}',
    '["action"]',
    '"action"',
    "not json",
    "",
    '{"action": "a", "action": "b"}',
    '{"action": "\\u00e9"}',
]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("expression", ["$request.body.action", "${request.body.action}"])
def test_the_usual_expression_selects_as_the_general_evaluation(body, expression):
    """`$request.body.NAME` has its own quicker path: it gives what runtime.selection does,
    for text (as the emulator passes it) and bytes alike."""
    router = _router("join", expression=expression)
    general = evaluate_selection_expression(parse_selection_expression(expression), body)
    assert router.selected(body) == router.selected(body.encode()) == general


def test_other_expressions_take_the_general_evaluation():
    router = _router("x", expression="$request.body.a.b")
    assert router.selected('{"a": {"b": "x"}}') == "x"
    assert _router("x", expression="$request.body[0]").selected('["x"]') == "x"


FIX = "add @app.on_ws_message() to take $default, or send a route key in $request.body.action"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (
            '{"action": "Join"}',
            "$request.body.action gave 'Join', which is no route's key"
            " (did you mean 'join'? route keys are case-sensitive)",
        ),
        ('{"action": "leave"}', "$request.body.action gave 'leave', which is no route's key"),
        ("join", "the body is not JSON, so $request.body.action selects nothing"),
        ("[1]", "the body is JSON but not an object, so $request.body.action selects nothing"),
        ('{"type": "join"}', "the body has no 'action' key"),
        ('{"action": ""}', "$request.body.action gave an empty key"),
    ],
)
def test_unmatched_says_what_the_expression_gave_the_routes_and_the_fix(data, why):
    assert _router("join", "ping", "$connect").unmatched(data) == (
        f"{why}; the app's routes: 'join', 'ping'; {FIX}"
    )


def test_unmatched_binary_frame_and_an_app_without_custom_routes():
    assert (
        _router("join")
        .unmatched(b"\x00", binary=True)
        .startswith("a binary frame goes to $default only; the app's routes: 'join'; ")
    )
    assert (
        _router("$connect")
        .unmatched('{"action": "x"}')
        .endswith("the app's routes: none; add @app.on_ws_message() to take $default")
    )


def test_unmatched_with_the_apps_own_expression():
    router = _router("chat/join", expression="${request.body.service}/${request.body.op}")
    assert router.unmatched('{"service": "chat"}').startswith(
        "${request.body.service}/${request.body.op} gave 'chat/', which is no route's key"
    )
