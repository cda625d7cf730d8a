from __future__ import annotations

import re

import pytest

from wsgen.template.names import _hashed, handler_name, logical_id, route_name


def test_predefined_routes_keep_chalices_names() -> None:
    assert logical_id("Route", "$connect") == "WebsocketConnectRoute"
    assert logical_id("APIIntegration", "$default") == "WebsocketMessageAPIIntegration"
    assert logical_id("Route", "$disconnect") == "WebsocketDisconnectRoute"
    assert logical_id("APIStage") == "WebsocketAPIStage"
    assert logical_id("InvokePermission", "$connect") == "WebsocketConnectInvokePermission"


def test_the_runtime_layer_is_wsgens() -> None:
    assert logical_id("RuntimeLayer", prefix="Wsgen") == "WsgenRuntimeLayer"


def test_a_plain_lowercase_key_is_capitalized() -> None:
    assert logical_id("Route", "join") == "WebsocketJoinRoute"


def test_keys_that_would_clash_get_a_hash_and_stay_distinct() -> None:
    keys = ["join", "Join", "jo-in", "jo_in", "connect", "message", "chat.post", "2fa", "ü"]
    names = [route_name(key) for key in keys]
    assert len(set(names)) == len(keys)
    assert all(re.fullmatch(r"[A-Za-z0-9]+", logical_id("Route", key)) for key in keys)
    assert route_name("connect") not in {"Connect", "Message", "Disconnect"}


def test_names_are_stable() -> None:
    assert route_name("send-message") == route_name("send-message")
    assert route_name("send-message").startswith("Sendmessage")


def test_a_key_spelling_wsgens_own_ids_gets_a_hash_for_those_kinds_only() -> None:
    for key, kind, fixed in [
        ("authorizer", "InvokePermission", logical_id("AuthorizerInvokePermission")),
        ("handler", "APIIntegration", logical_id("HandlerAPIIntegration")),
        ("handler", "InvokePermission", logical_id("HandlerInvokePermission")),
        ("workerHandler", "APIIntegration", logical_id("HandlerAPIIntegration", function="worker")),
        (
            "workerHandler",
            "InvokePermission",
            logical_id("HandlerInvokePermission", function="worker"),
        ),
    ]:
        assert logical_id(kind, key) != fixed
        assert logical_id(kind, key) == f"Websocket{route_name(key)}{hash_of(key)}{kind}"
    # Its route and route response keep the plain name: a renamed route would be replaced.
    assert logical_id("Route", "authorizer") == "WebsocketAuthorizerRoute"
    assert logical_id("RouteResponse", "handler") == "WebsocketHandlerRouteResponse"
    assert logical_id("APIIntegration", "join") == "WebsocketJoinAPIIntegration"


def hash_of(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:8]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("send_results", "SendResults"), ("tick", "Tick"), ("a_b2", "AB2"), ("ab_c", "AbC")],
)
def test_snake_case_handler_names_become_camel_case(name: str, expected: str) -> None:
    assert handler_name(name) == expected
    assert logical_id("Function", handler=name) == f"{expected}Function"


@pytest.mark.parametrize("name", ["price-feed", "Tick", "a__b", "_private", "a_1b", "sendResults"])
def test_other_handler_names_are_hashed_so_none_meet(name: str) -> None:
    assert handler_name(name) == _hashed(name)
    assert len({handler_name(n) for n in ["a_1b", "a1b", "send_results", "sendResults"]}) == 4
