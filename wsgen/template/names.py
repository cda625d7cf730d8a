"""Logical ids of the generated resources: Chalice's names where Chalice has the resource."""

from __future__ import annotations

import hashlib
import re

from runtime.contract import CONNECT, DEFAULT, DISCONNECT

# Chalice's names for the predefined routes (`chalice package`): WebsocketConnectRoute, ...
PREDEFINED_NAMES = {CONNECT: "Connect", DEFAULT: "Message", DISCONNECT: "Disconnect"}

_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")
_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z][a-z0-9]*)*$")

# Kinds of a route's resources that wsgen's own resources also end with: the authorizer's
# `WebsocketAuthorizerInvokePermission`, and a function's shared
# `WebsocketHandlerAPIIntegration`, `WebsocketWorkerHandlerInvokePermission` (see
# `_spells_a_fixed_id`).
_SHARED_KINDS = ("APIIntegration", "InvokePermission")


def route_name(route_key: str) -> str:
    """The alphanumeric name of a route inside logical ids, unique per route key.

    A custom key that starts with a lowercase letter and is otherwise alphanumeric is
    capitalized (`join` gives `Join`). Any other key (`send-message`, `Join`, `connect`)
    also gets 8 hex digits of its SHA-256, so two keys never share a name and a route's
    name does not depend on the other routes of the app.
    """
    if route_key in PREDEFINED_NAMES:
        return PREDEFINED_NAMES[route_key]
    cleaned = _NOT_ALPHANUMERIC.sub("", route_key)
    plain = cleaned == route_key and route_key[:1].islower() and route_key[:1].isascii()
    name = _capitalized(route_key)
    if plain and name not in PREDEFINED_NAMES.values():
        return name
    return _hashed(route_key)


def handler_name(name: str) -> str:
    """The name of an event handler's function inside logical ids, unique per handler name.

    A snake_case name (a Python function's: `send_results`) becomes CamelCase
    (`SendResults`); each capital marks a word, so two such names never meet. Any other
    name gets 8 hex digits of its SHA-256, like a route key that is not plain.
    """
    if _SNAKE_CASE.match(name):
        return "".join(word.capitalize() for word in name.split("_"))
    return _hashed(name)


def _capitalized(route_key: str) -> str:
    cleaned = _NOT_ALPHANUMERIC.sub("", route_key)
    return cleaned[:1].upper() + cleaned[1:]


def _hashed(route_key: str) -> str:
    """The name with 8 hex digits of the key's SHA-256: unique per key."""
    return _capitalized(route_key) + hashlib.sha256(route_key.encode()).hexdigest()[:8]


def _spells_a_fixed_id(name: str, kind: str) -> bool:
    """Whether a route named `name` would take the id of one of wsgen's own resources.

    Route `authorizer`'s permission would be the authorizer's, route `handler`'s (or
    `workerHandler`'s) integration and permission those a function shares among its routes.
    Such a route gets the hashed name for these kinds only, whatever the app's functions and
    authorizer, so no id changes when they do. It keeps its plain name for its `Route`:
    replacing a route means a second route with its key while CloudFormation swaps them,
    which API Gateway refuses.
    """
    return kind in _SHARED_KINDS and (name == "Authorizer" or name.endswith("Handler"))


def logical_id(
    kind: str,
    route_key: str | None = None,
    *,
    function: str | None = None,
    handler: str | None = None,
    prefix: str = "Websocket",
) -> str:
    """The logical id of a resource: `logical_id("Route", "$connect")` is `WebsocketConnectRoute`.

    Without a route key, `kind` names a single resource of the template (`API` gives
    `WebsocketAPI`, `APIStage` gives `WebsocketAPIStage`). `function` names a function of
    wsgen.toml's `[functions.NAME]`: `logical_id("Handler", function="worker")` is
    `WebsocketWorkerHandler`, and without it `logical_id("Handler")` is the default
    function, `WebsocketHandler`. `prefix` names what the resource belongs to: the runtime
    layer is wsgen's, `logical_id("RuntimeLayer", prefix="Wsgen")`. `handler` names an
    event handler (`@app.schedule`, ...), whose resources carry no prefix:
    `logical_id("Function", handler="send_results")` is `SendResultsFunction`.
    """
    if handler is not None:
        return f"{handler_name(handler)}{kind}"
    if function is not None:
        middle = route_name(function)
    elif route_key is not None:
        middle = route_name(route_key)
        if _spells_a_fixed_id(middle, kind):
            middle = _hashed(route_key)
    else:
        middle = ""
    return f"{prefix}{middle}{kind}"
