"""Which route a client message goes to, as API Gateway picks it.

https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
The API's route selection expression (parsed and evaluated by `runtime.selection`) selects a
custom route by exact key. A message that is not JSON, whose expression evaluates to ""
or that matches no custom route goes to `$default`; with no `$default` API Gateway answers
with a Forbidden error frame (docs/aws-facts.md#routing). Binary frames go to
`$default` too: whether AWS evaluates the expression on them is undocumented.
"""

from __future__ import annotations

import json

from runtime.contract import DEFAULT, PREDEFINED_ROUTES
from runtime.selection import (
    Part,
    evaluate_selection_expression,
    parse_selection_expression,
    stringify,
)
from runtime.spec import AppSpec, RouteSpec


class Router:
    """An app's routes and its parsed route selection expression."""

    def __init__(self, spec: AppSpec) -> None:
        self.spec = spec
        self._selection: list[Part] = parse_selection_expression(spec.route_selection_expression)
        routes: dict[str, RouteSpec] = {}
        for route in spec.routes:
            routes.setdefault(route.key, route)  # the first of a key, as `spec.route` finds
        self._custom = {key: r for key, r in routes.items() if key not in PREDEFINED_ROUTES}
        """The routes a selection expression can select, by key (looked up per message)."""
        self._default = DEFAULT if DEFAULT in routes else None
        self._replies = frozenset(key for key, r in routes.items() if r.reply)
        self._member = _member(self._selection)

    def selected(self, data: bytes | str) -> str | None:
        """What the selection expression gives for a message (None: not JSON, or "")."""
        if self._member is None:
            return evaluate_selection_expression(self._selection, data)
        # `$request.body.NAME`, the usual expression: the same result, per message at a
        # fraction of the general evaluation's cost.
        try:
            document = json.loads(data)
        except ValueError:
            return None
        value = document.get(self._member) if isinstance(document, dict) else None
        return (value if isinstance(value, str) else stringify(value)) or None

    def route_key(self, data: bytes | str, binary: bool = False) -> str | None:
        """The route key for a message (`str`: a text message, decoded): a matching custom
        route, else `$default`, else None."""
        key = None if binary else self.selected(data)
        if key is not None and key in self._custom:
            return key
        return self._default

    def unmatched(self, data: bytes | str, binary: bool = False) -> str:
        """Why a message `route_key` gave None for went nowhere, and the fix (for the log
        and the test client; worked out only then, never for a routed message)."""
        expression = self.spec.route_selection_expression
        keys = sorted(self._custom)
        if binary:
            why = "a binary frame goes to $default only"
        else:
            why, selected = self._why(data, expression)
            if selected is not None:
                import difflib  # for this explanation only

                lowered = {key.lower(): key for key in keys}
                close = lowered.get(selected.lower()) or next(
                    iter(difflib.get_close_matches(selected, keys, n=1)), None
                )
                if close is not None:
                    why += f" (did you mean '{close}'? route keys are case-sensitive)"
        routes = ", ".join(f"'{key}'" for key in keys) if keys else "none"
        send = f", or send a route key in {expression}" if keys else ""
        return f"{why}; the app's routes: {routes}; add @app.on_ws_message() to take $default{send}"

    def _why(self, data: bytes | str, expression: str) -> tuple[str, str | None]:
        """What the selection expression made of a text message, and its result if any."""
        try:
            document = json.loads(data)
        except ValueError:
            return f"the body is not JSON, so {expression} selects nothing", None
        if self._member is not None:
            if not isinstance(document, dict):
                return f"the body is JSON but not an object, so {expression} selects nothing", None
            if self._member not in document:
                return f"the body has no '{self._member}' key", None
        selected = self.selected(data)
        if selected is None:
            return f"{expression} gave an empty key", None
        return f"{expression} gave '{selected}', which is no route's key", selected

    def replies(self, key: str) -> bool:
        """Whether the route is two-way (its handler's result is sent back)."""
        return key in self._replies


def _member(selection: list[Part]) -> str | None:
    """NAME, when the expression is `$request.body.NAME` and nothing else."""
    if len(selection) == 1 and isinstance(path := selection[0], tuple) and len(path) == 1:
        return path[0] if isinstance(path[0], str) else None
    return None
