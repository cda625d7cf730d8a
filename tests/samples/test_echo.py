from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from tests.samples.conftest import FakeManagementClient, event


def test_every_message_is_answered(
    load_sample: Callable[[str], ModuleType], client: FakeManagementClient
) -> None:
    app = load_sample("echo").app
    app.websocket_api.use_client(client)
    assert app(event("connect.json", "A="), None) == {"statusCode": 200}
    app(event("message_default.json", "A=", "hi"), None)
    assert client.to("A=") == ["I got your message!"]
    assert app(event("disconnect_1001.json", "A="), None) == {"statusCode": 200}
