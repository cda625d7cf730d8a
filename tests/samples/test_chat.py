"""The chat sample through `wsgen.testing.Client`, with its table in moto's DynamoDB.

The last test runs it under `wsgen local` instead, with real WebSocket clients.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
import websockets
from moto import mock_aws
from websockets.exceptions import InvalidStatus

from tests.support.paths import SAMPLES
from tests.support.templates import parse
from wsgen.local import EventLog, running
from wsgen.testing import Client, Connection, ConnectionRejected

TABLE = "chat-connections"
TOKEN = "letmein-42"
# What CreateTable takes of the table's properties (resources.yaml may hold more, e.g. backups).
CREATE_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")


def create_table() -> None:
    """The table as samples/chat/resources.yaml declares it."""
    resources = parse((SAMPLES / "chat" / "resources.yaml").read_text())["Resources"]
    properties = resources["ChatTable"]["Properties"]
    create = {key: properties[key] for key in CREATE_TABLE_KEYS}
    boto3.client("dynamodb").create_table(TableName=TABLE, **create)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's DynamoDB with the table; the environment wsgen.toml gives the function."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("CHAT_TABLE", TABLE)
    monkeypatch.setenv("CHAT_TOKEN", TOKEN)
    with mock_aws():
        create_table()
        yield


@pytest.fixture
def chat(aws: None, load_sample: Callable[[str], ModuleType]) -> ModuleType:
    return load_sample("chat")


@pytest.fixture
def client(chat: ModuleType) -> Iterator[Client]:
    with Client(chat.app) as client:
        yield client


def connect(client: Client, nick: str | None = None) -> Connection:
    query = {"token": TOKEN} if nick is None else {"token": TOKEN, "nick": nick}
    return client.connect(query=query)


def joined(client: Client, nick: str, room: str) -> Connection:
    """A connection as `nick` in `room`, with everything received so far read."""
    ws = connect(client, nick)
    ws.send_json({"action": "join", "room": room})
    ws.receive_all()
    return ws


def item(chat: ModuleType, connection_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (
        chat.table().get_item(Key={"connection_id": connection_id}).get("Item")
    )
    return found


# The authorizer


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({}, 401),  # no token: API Gateway refuses before the authorizer runs
        ({"token": ""}, 401),
        ({"token": "guess"}, 401),
        ({"token": TOKEN, "nick": "no spaces"}, 403),
        ({"token": TOKEN, "nick": ""}, 403),
    ],
)
def test_connecting_needs_the_token_and_a_valid_nick(
    client: Client, chat: ModuleType, query: dict[str, str], status: int
) -> None:
    with pytest.raises(ConnectionRejected) as rejected:
        client.connect(query=query)
    assert rejected.value.status_code == status
    assert client.connections == {}
    assert chat.table().scan()["Items"] == []  # $connect did not run
    assert client.errors == []


def test_the_authorizers_context_reaches_the_handlers(client: Client, chat: ModuleType) -> None:
    ana = connect(client, "ana")
    assert (ana.authorizer["principalId"], ana.authorizer["nick"]) == ("ana", "ana")
    assert item(chat, ana.connection_id) == {"connection_id": ana.connection_id, "nick": "ana"}
    ana.send_json({"action": "join", "room": "lobby"})
    assert ana.receive() == "ana joined lobby"


def test_without_a_nick_you_are_a_guest(client: Client) -> None:
    ws = connect(client)
    assert ws.authorizer["nick"] == "guest"
    ws.send_json({"action": "join", "room": "lobby"})
    assert ws.receive() == "guest joined lobby"


# Rooms


def test_a_message_reaches_everyone_in_the_room_and_no_one_else(client: Client) -> None:
    ana = joined(client, "ana", "lobby")
    bo = joined(client, "bo", "lobby")
    cy = joined(client, "cy", "attic")
    assert ana.receive_all() == ["bo joined lobby"]
    ana.send_json({"action": "send", "text": "hello"})
    assert ana.receive_all() == bo.receive_all() == ["ana: hello"]
    assert cy.receive_all() == []
    assert client.errors == []


def test_join_can_set_the_nick_and_switching_rooms_tells_both(
    client: Client, chat: ModuleType
) -> None:
    ana = joined(client, "ana", "lobby")
    bo = joined(client, "bo", "attic")
    ana.send_json({"action": "join", "room": "attic", "nick": "anna"})
    assert ana.receive_all() == ["anna joined attic"]
    assert bo.receive_all() == ["anna joined attic"]
    assert item(chat, ana.connection_id) == {
        "connection_id": ana.connection_id,
        "room": "attic",
        "nick": "anna",
    }
    cy = joined(client, "cy", "lobby")
    bo.send_json({"action": "join", "room": "lobby"})
    assert cy.receive_all() == ["bo joined lobby"]
    assert ana.receive_all() == ["bo left attic"]


def test_a_nick_change_is_announced_to_the_room(client: Client) -> None:
    ana = joined(client, "ana", "lobby")
    bo = joined(client, "bo", "lobby")
    ana.receive_all()
    ana.send_json({"action": "nick", "nick": "anna"})
    assert ana.receive_all() == bo.receive_all() == ["ana is now anna"]
    ana.send_json({"action": "send", "text": "hi"})
    assert bo.receive_all() == ["anna: hi"]


def test_a_nick_change_outside_a_room_is_confirmed_to_the_caller(client: Client) -> None:
    ws = connect(client, "ana")
    ws.send_json({"action": "nick", "nick": "anna"})
    assert ws.receive() == "you are now anna"
    ws.send_json({"action": "nick", "nick": "a b"})
    assert ws.receive() == "a nick is 1-20 letters, digits, - or _"
    ws.send_json({"action": "join", "room": "lobby"})
    assert ws.receive() == "anna joined lobby"


def test_bad_requests_get_the_help(client: Client, chat: ModuleType) -> None:
    ws = connect(client, "ana")
    ws.send_json({"action": "send", "text": "hi"})
    assert ws.receive() == f"join a room first: {chat.HELP}"
    ws.send_json({"action": "join"})
    ws.send_json({"action": "join", "room": 7})
    ws.send_json({"action": "join", "room": "lobby", "nick": ""})
    assert ws.receive_all() == [chat.HELP] * 3


def test_disconnect_forgets_the_member_and_tells_the_room(client: Client, chat: ModuleType) -> None:
    ana = joined(client, "ana", "lobby")
    bo = joined(client, "bo", "lobby")
    ana.close()
    assert bo.receive_all() == ["ana left lobby"]
    assert item(chat, ana.connection_id) is None


def test_gone_connections_are_removed_from_the_table(client: Client, chat: ModuleType) -> None:
    # API Gateway runs $disconnect on a best-effort basis, so the table may keep stale ids.
    chat.table().put_item(Item={"connection_id": "gone=", "room": "lobby", "nick": "ghost"})
    ana = joined(client, "ana", "lobby")
    assert item(chat, "gone=") is None  # the join announcement found it gone
    chat.table().put_item(Item={"connection_id": "gone=", "room": "lobby", "nick": "ghost"})
    ana.send_json({"action": "send", "text": "anyone?"})
    assert ana.receive_all() == ["ana: anyone?"]
    assert item(chat, "gone=") is None
    assert client.errors == []


# Two-way, $default and binary


def test_ping_is_answered_to_the_caller_only(client: Client) -> None:
    ana = joined(client, "ana", "lobby")
    bo = joined(client, "bo", "lobby")
    ana.receive_all()
    ana.send_json({"action": "ping", "id": 7})
    assert ana.receive_json() == {"pong": 7}
    assert ana.receive_all() == bo.receive_all() == []


@pytest.mark.parametrize("message", ["hello?", '{"action": "dance"}', '{"text": "hi"}', "[1]"])
def test_anything_unrecognised_gets_the_help(
    client: Client, chat: ModuleType, message: str
) -> None:
    ws = connect(client, "ana")
    ws.send_text(message)
    assert ws.receive_all() == [chat.HELP]


def test_a_binary_frame_ends_the_connection_and_its_membership(client: Client) -> None:
    ana = joined(client, "ana", "lobby")
    bo = joined(client, "bo", "lobby")
    bo.receive_all()
    ana.send_bytes(b"\x00")  # API Gateway closes with 1003; $disconnect cleans up
    assert ana.closed and ana.close_code == 1003
    assert bo.receive_all() == ["ana left lobby"]


# Under `wsgen local`


@pytest.mark.slow  # the emulator, real sockets
def test_under_wsgen_local_with_real_clients(aws: None) -> None:
    with running(SAMPLES / "chat", "app:app", log=EventLog(quiet=True)) as emulator:
        url = f"{emulator.url}?token={TOKEN}"

        async def body() -> None:
            with pytest.raises(InvalidStatus) as refused:
                async with websockets.connect(emulator.url):
                    pass
            assert refused.value.response.status_code == 401
            join = json.dumps({"action": "join", "room": "lobby"})
            async with (
                websockets.connect(f"{url}&nick=ana") as ana,
                websockets.connect(f"{url}&nick=bo") as bo,
            ):
                await ana.send(join)
                assert await ana.recv() == "ana joined lobby"
                await bo.send(join)
                assert [await ana.recv(), await bo.recv()] == ["bo joined lobby"] * 2
                await ana.send(json.dumps({"action": "send", "text": "hello"}))
                assert [await ana.recv(), await bo.recv()] == ["ana: hello"] * 2
                await bo.send(json.dumps({"action": "ping", "id": 1}))
                assert json.loads(await bo.recv()) == {"pong": 1}

        asyncio.run(asyncio.wait_for(body(), 30))


def test_the_token_is_read_from_ssm_once_and_kept(
    chat: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deployed, only the parameter's name is in the environment (wsgen.toml). moto's server
    plays SSM, over the wire (the app signs its own requests, so mock_aws does not see them)."""
    from runtime import aws
    from tests.support.dynamodb import start_server

    server, endpoint = start_server()

    def put(value: str) -> None:
        body = {"Name": "/chat/token", "Value": value, "Type": "SecureString", "Overwrite": True}
        response = aws.request(
            "POST",
            endpoint + "/",
            service="ssm",
            credentials=aws.Credentials("testing", "testing"),
            body=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AmazonSSM.PutParameter",
            },
        )
        assert response.ok, response.body

    try:
        put("from-ssm-1")
        monkeypatch.delenv("CHAT_TOKEN")
        monkeypatch.setenv("CHAT_TOKEN_PARAMETER", "/chat/token")
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", endpoint)
        chat.chat_token.cache_clear()
        with Client(chat.app) as client:
            client.connect(query={"token": "from-ssm-1"}).close()
            put("from-ssm-2")
            client.connect(query={"token": "from-ssm-1"}).close()  # the kept value
            with pytest.raises(ConnectionRejected):
                client.connect(query={"token": "from-ssm-2"})
        monkeypatch.setenv("CHAT_TOKEN_PARAMETER", "/chat/nope")
        chat.chat_token.cache_clear()
        with pytest.raises(RuntimeError, match="cannot read the SSM parameter /chat/nope"):
            chat.chat_token()
    finally:
        server.stop()  # type: ignore[attr-defined]
