"""Route keys and the route selection expression, evaluated as API Gateway does."""

from __future__ import annotations

import pytest

from runtime.exceptions import InvalidRouteError
from runtime.routing import (
    evaluate_selection_expression,
    parse_selection_expression,
    validate_route_key,
)


def select(expression: str, body: str | None) -> str | None:
    return evaluate_selection_expression(parse_selection_expression(expression), body)


@pytest.mark.parametrize("key", ["join", "send-message", "chat.post", "$default", "a" * 128])
def test_valid_route_keys(key):
    validate_route_key(key)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "non-empty"),
        ("$join", "reserved"),
        ("a" * 129, "longer than 128"),
        ("two words", "no spaces"),
        ("tab\tkey", "no spaces"),
    ],
)
def test_invalid_route_keys(key, reason):
    with pytest.raises(InvalidRouteError, match=reason):
        validate_route_key(key)


def test_default_expression_selects_action():
    assert select("$request.body.action", '{"action": "join"}') == "join"


def test_nested_path_and_braces():
    assert select("$request.body.meta.kind", '{"meta": {"kind": "ping"}}') == "ping"
    assert select("${request.body.meta.kind}", '{"meta": {"kind": "ping"}}') == "ping"


def test_several_variables_with_static_text():
    expression = "${request.body.service}/${request.body.action}"
    assert select(expression, '{"service": "chat", "action": "join"}') == "chat/join"


@pytest.mark.parametrize(
    ("body", "selected"),
    [
        ('{"action": 7}', "7"),
        ('{"action": true}', "true"),
        ('{"action": ["item1", "item2"]}', "[item1, item2]"),
        ('{"action": {"a": 1}}', "{a=1}"),
    ],
)
def test_non_string_values_are_stringified(body, selected):
    assert select("$request.body.action", body) == selected


@pytest.mark.parametrize(
    "body", [None, "not json", '"a string"', "[1, 2]", '{"other": 1}', '{"action": null}']
)
def test_unselectable_bodies_select_nothing(body):
    assert select("$request.body.action", body) is None


@pytest.mark.parametrize(
    "expression", ["action", "$request.header.x", "$request.body.", "static/$request.querystring.a"]
)
def test_invalid_expressions(expression):
    with pytest.raises(InvalidRouteError):
        parse_selection_expression(expression)
