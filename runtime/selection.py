"""API Gateway's route selection expression: parsed when set, evaluated per message.

Route selection (docs/aws-facts.md#routing). An expression is static text with
`$request.body.{JSONPath}` variables (or `${request.body.{JSONPath}}`) in it; `\\$` is a
literal `$`, so `\\$default` and `action` are static expressions. API Gateway evaluates it
against the JSON message; a JSONPath that is not found resolves to "" (so
`${request.body.action}-${request.body.missing}` gives `join-`), other values are
stringified, and only an exact route-key match counts. A body that is not JSON, an empty
result, or no match selects `$default`.

The JSONPath forms understood are names (`.a`, `['a']`), indexes (`[0]`, `[-1]` for the
last) and wildcards (`.*`, `[*]`, which give a list); other forms (`..`, slices, filters)
are refused when the expression is set, since AWS documents none of their results.
"""

from __future__ import annotations

from .exceptions import InvalidSelectionExpressionError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_VARIABLE = "request.body"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")

Segment = str | int | None
"""A JSONPath step: a member name, an array index, or None for the wildcard `*`."""

Part = str | tuple[Segment, ...]
"""Static text, or the JSONPath of a body variable."""


def parse_selection_expression(expression: str) -> list[Part]:
    """Split an expression into static text and body-variable JSONPaths.

    Raises:
        InvalidSelectionExpressionError: a `$` that starts no `$request.body` variable, or
            a JSONPath form this module does not evaluate.
    """
    parts: list[Part] = []
    text: list[str] = []
    i = 0
    while i < len(expression):
        if expression.startswith("\\$", i):
            text.append("$")
            i += 2
            continue
        if expression[i] != "$":
            text.append(expression[i])
            i += 1
            continue
        if expression.startswith("${", i):
            end = expression.find("}", i)
            if end < 0:
                raise InvalidSelectionExpressionError(expression, "'${' without its closing '}'")
            inner = expression[i + 2 : end].strip()
            if not inner.startswith(_VARIABLE):
                raise _not_a_variable(expression)
            path, stop = _parse_path(expression, inner, len(_VARIABLE))
            if stop != len(inner):
                raise _unsupported(expression, inner[stop:])
            i = end + 1
        elif expression.startswith("$" + _VARIABLE, i):
            path, i = _parse_path(expression, expression, i + 1 + len(_VARIABLE))
        else:
            raise _not_a_variable(expression)
        if text:
            parts.append("".join(text))
            text = []
        parts.append(path)
    if text:
        parts.append("".join(text))
    if not parts:
        raise InvalidSelectionExpressionError(
            expression, "a route selection expression is not empty"
        )
    return parts


def _parse_path(expression: str, source: str, i: int) -> tuple[tuple[Segment, ...], int]:
    """The JSONPath starting at `source[i]` (just after `request.body`), and where it ends."""
    segments: list[Segment] = []
    while i < len(source):
        if source[i] == ".":
            if source.startswith(".*", i):
                segments.append(None)
                i += 2
                continue
            end = i + 1
            while end < len(source) and source[end] in _NAME_CHARS:
                end += 1
            if end == i + 1:
                raise _unsupported(expression, source[i:])
            segments.append(source[i + 1 : end])
            i = end
        elif source[i] == "[":
            end = source.find("]", i)
            if end < 0:
                raise InvalidSelectionExpressionError(expression, "'[' without its closing ']'")
            segments.append(_selector(expression, source[i + 1 : end].strip()))
            i = end + 1
        else:
            break
    if not segments:
        raise InvalidSelectionExpressionError(
            expression, "a $request.body variable needs a path, e.g. $request.body.action"
        )
    return tuple(segments), i


def _selector(expression: str, inner: str) -> Segment:
    """What `[inner]` selects: `*`, a quoted member name or an integer index."""
    if inner == "*":
        return None
    if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
        return inner[1:-1]
    digits = inner[1:] if inner.startswith("-") else inner
    if digits.isdigit() and digits.isascii():
        return int(inner)
    raise _unsupported(expression, f"[{inner}]")


def _not_a_variable(expression: str) -> InvalidSelectionExpressionError:
    return InvalidSelectionExpressionError(
        expression,
        "only $request.body.<path> variables are allowed, e.g. $request.body.action"
        " (write \\$ for a literal $)",
    )


def _unsupported(expression: str, rest: str) -> InvalidSelectionExpressionError:
    return InvalidSelectionExpressionError(
        expression,
        f"unsupported JSONPath at '{rest}': use names (.a or ['a']), indexes ([0], [-1])"
        " or the wildcard *",
    )


def validate_selection_expression(expression: str) -> None:
    parse_selection_expression(expression)


def stringify(value: Any) -> str:
    """A JSON value as API Gateway renders it in a selection result."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(stringify(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={stringify(v)}" for k, v in value.items()) + "}"
    import json

    return json.dumps(value)


def select_path(document: Any, path: tuple[Segment, ...]) -> Any:
    """What a JSONPath selects: a value (None when not found), or a list after a wildcard."""
    values = [document]
    definite = True
    for segment in path:
        found: list[Any] = []
        for value in values:
            if segment is None:
                definite = False
                if isinstance(value, dict):
                    found.extend(value.values())
                elif isinstance(value, list):
                    found.extend(value)
            elif isinstance(segment, int):
                if isinstance(value, list) and -len(value) <= segment < len(value):
                    found.append(value[segment])
            elif isinstance(value, dict) and segment in value:
                found.append(value[segment])
        values = found
    if definite:
        return values[0] if values else None
    return values


def evaluate_selection_expression(parts: list[Part], body: str | bytes | None) -> str | None:
    """The route key a message selects, or None (meaning `$default`)."""
    if body is None:
        return None
    import json

    try:
        document = json.loads(body)
    except ValueError:
        return None
    key = "".join(
        part if isinstance(part, str) else stringify(select_path(document, part)) for part in parts
    )
    return key or None
