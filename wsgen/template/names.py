"""Logical ids of the generated resources: Chalice's names where Chalice has the resource."""

from __future__ import annotations

import hashlib
import re

from runtime.contract import CONNECT, DEFAULT, DISCONNECT

# Chalice's names for the predefined routes (`chalice package`): WebsocketConnectRoute, ...
PREDEFINED_NAMES = {CONNECT: "Connect", DEFAULT: "Message", DISCONNECT: "Disconnect"}

_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


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
    name = cleaned[:1].upper() + cleaned[1:]
    plain = cleaned == route_key and route_key[:1].islower() and route_key[:1].isascii()
    if plain and name not in PREDEFINED_NAMES.values():
        return name
    return name + hashlib.sha256(route_key.encode()).hexdigest()[:8]


def logical_id(kind: str, route_key: str | None = None, *, function: str | None = None) -> str:
    """The logical id of a resource: `logical_id("Route", "$connect")` is `WebsocketConnectRoute`.

    Without a route key, `kind` names a single resource of the template (`API` gives
    `WebsocketAPI`, `APIStage` gives `WebsocketAPIStage`). `function` names a function of
    wsgen.toml's `[functions.NAME]`: `logical_id("Handler", function="worker")` is
    `WebsocketWorkerHandler`, and without it `logical_id("Handler")` is the default
    function, `WebsocketHandler`.
    """
    if function is not None:
        middle = route_name(function)
    else:
        middle = route_name(route_key) if route_key is not None else ""
    return f"Websocket{middle}{kind}"
