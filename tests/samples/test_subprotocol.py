from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from tests.conftest import read_event
from tests.samples.conftest import FakeManagementClient, event


def test_the_protocol_is_answered_only_when_the_client_offered_it(
    load_sample: Callable[[str], ModuleType],
) -> None:
    app = load_sample("subprotocol").app
    offered = read_event("connect_query_user_agent.json")
    offered["headers"]["Sec-WebSocket-Protocol"] = "chat.v2, My-Protocol"
    response = app(offered, None)
    assert response == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "My-Protocol"}}
    not_offered = app(read_event("connect_query_user_agent.json"), None)
    assert not_offered == {"statusCode": 200}
    assert app(read_event("connect.json"), None) == {"statusCode": 200}


def test_messages_are_echoed(
    load_sample: Callable[[str], ModuleType], client: FakeManagementClient
) -> None:
    app = load_sample("subprotocol").app
    app.websocket_api.use_client(client)
    app(event("message_default.json", "A=", "hi"), None)
    assert client.to("A=") == ["My-Protocol: hi"]
