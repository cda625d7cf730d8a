"""API Gateway's routing rules: valid route keys and the route selection expression.

Route selection: https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
An expression is `$request.body.{path}` (or `${request.body.{path}}`), possibly several of
them with static text between. API Gateway evaluates it against the JSON message; the result
is stringified, and only an exact route-key match counts. A body that is not JSON, a path
that is missing, or no match selects `$default`.
"""

from __future__ import annotations

from .contract import PREDEFINED_ROUTES
from .exceptions import InvalidRouteError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_ROUTE_KEY_LENGTH = 128

# `$request.body.a.b` or `${request.body.a.b}`; compiled on first use (re costs import time).
_VARIABLE = r"\$\{request\.body\.([^{}$]+)\}|\$request\.body\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)"

Part = str | tuple[str, ...]
"""Static text, or the path of a body variable."""


def validate_route_key(key: str) -> None:
    """Refuse a route key API Gateway would not accept."""
    if not isinstance(key, str) or not key:
        raise InvalidRouteError(str(key), "a route key is a non-empty string")
    if key.startswith("$") and key not in PREDEFINED_ROUTES:
        raise InvalidRouteError(
            key, "keys starting with '$' are reserved for $connect, $disconnect and $default"
        )
    if len(key) > MAX_ROUTE_KEY_LENGTH:
        raise InvalidRouteError(key, f"longer than {MAX_ROUTE_KEY_LENGTH} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        raise InvalidRouteError(key, "no spaces or control characters allowed")


def parse_selection_expression(expression: str) -> list[Part]:
    """Split an expression into static text and body-variable paths.

    Raises:
        InvalidRouteError: no `$request.body` variable, or a `$` that starts none.
    """
    import re

    parts: list[Part] = []
    position = 0
    for match in re.finditer(_VARIABLE, expression):
        if match.start() > position:
            parts.append(expression[position : match.start()])
        path = (match.group(1) or match.group(2)).strip()
        if not path or any(not segment for segment in path.split(".")):
            raise InvalidRouteError(expression, f"empty segment in path '{path}'")
        parts.append(tuple(path.split(".")))
        position = match.end()
    if position < len(expression):
        parts.append(expression[position:])
    if not any(isinstance(part, tuple) for part in parts):
        raise InvalidRouteError(
            expression, "a route selection expression needs a $request.body.<path> variable"
        )
    if any(isinstance(part, str) and "$" in part for part in parts):
        raise InvalidRouteError(
            expression, "only $request.body.<path> variables are allowed, e.g. $request.body.action"
        )
    return parts


def validate_selection_expression(expression: str) -> None:
    parse_selection_expression(expression)


def stringify(value: Any) -> str:
    """A JSON value as API Gateway renders it in a selection result."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(stringify(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={stringify(v)}" for k, v in value.items()) + "}"
    import json

    return json.dumps(value)


def evaluate_selection_expression(parts: list[Part], body: str | bytes | None) -> str | None:
    """The route key a message selects, or None (meaning `$default`)."""
    if body is None:
        return None
    import json

    try:
        document = json.loads(body)
    except ValueError:
        return None
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value: Any = document
        for segment in part:
            if not isinstance(value, dict) or segment not in value:
                return None
            value = value[segment]
        if value is None:
            return None
        out.append(stringify(value))
    return "".join(out)
