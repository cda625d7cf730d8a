"""The chat sample's handlers, with DynamoDB in moto and a fake management client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from types import ModuleType

import boto3
import pytest
from moto import mock_aws

from tests.conftest import SAMPLES
from tests.samples.conftest import FakeManagementClient, event
from tests.wsgen.support import parse

TABLE = "chat-connections"


@pytest.fixture
def chat(
    load_sample: Callable[[str], ModuleType],
    client: FakeManagementClient,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ModuleType]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("CHAT_TABLE", TABLE)
    with mock_aws():
        create_table_from_resources_yaml()
        module = load_sample("chat")
        module.app.websocket_api.use_client(client)
        yield module


def create_table_from_resources_yaml() -> None:
    """The table exactly as samples/chat/resources.yaml declares it."""
    resources = parse((SAMPLES / "chat" / "resources.yaml").read_text())["Resources"]
    properties = resources["ChatTable"]["Properties"]
    boto3.client("dynamodb").create_table(TableName=TABLE, **properties)


def send(chat: ModuleType, connection_id: str, **message: str) -> dict[str, object]:
    response: dict[str, object] = chat.app(
        event("message_default.json", connection_id, json.dumps(message)), None
    )
    return response


def test_a_message_reaches_everyone_in_the_room_and_no_one_else(
    chat: ModuleType, client: FakeManagementClient
) -> None:
    for cid in ("A=", "B=", "C="):
        assert chat.app(event("connect.json", cid), None)["statusCode"] == 200
    send(chat, "A=", action="join", room="lobby", nick="ana")
    send(chat, "B=", action="join", room="lobby", nick="bo")
    send(chat, "C=", action="join", room="attic", nick="cy")
    client.sent.clear()
    assert send(chat, "A=", action="say", text="hello") == {"statusCode": 200}
    assert client.to("A=") == client.to("B=") == ["ana: hello"]
    assert client.to("C=") == []


def test_joining_announces_the_nick(chat: ModuleType, client: FakeManagementClient) -> None:
    send(chat, "A=", action="join", room="lobby", nick="ana")
    send(chat, "B=", action="join", room="lobby", nick="bo")
    assert client.to("A=") == ["ana joined lobby", "bo joined lobby"]


def test_saying_something_before_joining_explains_how(
    chat: ModuleType, client: FakeManagementClient
) -> None:
    send(chat, "A=", action="say", text="hi")
    [reply] = client.to("A=")
    assert reply.startswith("join a room first")


def test_a_plain_text_message_gets_the_help(chat: ModuleType, client: FakeManagementClient) -> None:
    chat.app(event("message_default.json", "A="), None)
    assert client.to("A=") == [chat.HELP]


def test_disconnect_forgets_the_member_and_tells_the_room(
    chat: ModuleType, client: FakeManagementClient
) -> None:
    send(chat, "A=", action="join", room="lobby", nick="ana")
    send(chat, "B=", action="join", room="lobby", nick="bo")
    client.sent.clear()
    chat.app(event("disconnect_1001.json", "A="), None)
    assert client.to("B=") == ["ana left lobby"]
    assert "Item" not in chat.table().get_item(Key={"connection_id": "A="})


def test_gone_connections_are_removed(chat: ModuleType, client: FakeManagementClient) -> None:
    send(chat, "A=", action="join", room="lobby", nick="ana")
    send(chat, "B=", action="join", room="lobby", nick="bo")
    client.gone.add("B=")
    send(chat, "A=", action="say", text="anyone?")
    assert "Item" not in chat.table().get_item(Key={"connection_id": "B="})
    assert client.to("A=")[-1] == "ana: anyone?"
