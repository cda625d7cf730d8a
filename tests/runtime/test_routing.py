"""Route keys and the route selection expression, evaluated as API Gateway does."""

from __future__ import annotations

import pytest

from runtime.exceptions import InvalidRouteError
from runtime.routing import validate_route_key
from runtime.selection import evaluate_selection_expression, parse_selection_expression


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


def test_a_missing_path_resolves_to_an_empty_string():
    # AWS's own example: "If the JSONPath is not found, the variable is resolved as ''".
    expression = "${request.body.action}-${request.body.invalidPath}"
    assert select(expression, '{"action": "join"}') == "join-"
    assert select(expression, '{"invalidPath": "x"}') == "-x"
    assert select("$request.body.a$request.body.b", '{"b": "x"}') == "x"


@pytest.mark.parametrize(
    ("expression", "selected"),
    [
        ("$request.body.items[0].type", "join"),
        ("${request.body.items[1].type}", "say"),
        ("$request.body.items[-1].type", "say"),
        ("$request.body['meta']['kind']", "ping"),
        ('${request.body["meta"].kind}', "ping"),
        ("$request.body.items[*].type", "[join, say]"),
        ("$request.body.meta.*", "[ping]"),
        ("$request.body.items[2].type", None),
        ("$request.body.meta[0]", None),
        ("$request.body.items.type", None),
        ("$request.body.items[0].type/x", "join/x"),
    ],
)
def test_jsonpath_indexes_brackets_and_wildcards(expression, selected):
    body = '{"items": [{"type": "join"}, {"type": "say"}], "meta": {"kind": "ping"}}'
    assert select(expression, body) == selected


@pytest.mark.parametrize(
    ("expression", "selected"), [("action", "action"), ("\\$default", "$default"), ("a\\$b", "a$b")]
)
def test_static_expressions(expression, selected):
    assert select(expression, '{"action": "join"}') == selected
    assert select(expression, "not json") is None  # non-JSON messages go to $default


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("", "not empty"),
        ("$request.header.x", "only \\$request.body"),
        ("static/$request.querystring.a", "only \\$request.body"),
        ("$request.body", "needs a path"),
        ("$request.body.", "unsupported JSONPath at '.'"),
        ("$request.body..action", "unsupported JSONPath at '..action'"),
        ("$request.body.items[0:2]", "unsupported JSONPath at '\\[0:2\\]'"),
        ("$request.body.items[?(@.a)]", "unsupported JSONPath"),
        ("${request.body.items[0}", "without its closing"),
        ("${request.body.action", "without its closing"),
        ("${request.body.a b}", "unsupported JSONPath at ' b'"),
    ],
)
def test_invalid_expressions(expression, reason):
    with pytest.raises(InvalidRouteError, match=reason):
        parse_selection_expression(expression)
