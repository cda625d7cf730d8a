"""The chat sample through `wsgen.testing.Client`: its connections, rooms and history in memory.

No table to create: the app tracks its connections (`connections=True`), the test client
keeps them in memory, and the history (history.py) falls back to memory without its table.
The slow tests run the history on the embedded DynamoDB (`Client(app, dynamodb=True)`), the
app under `wsgen local` with real WebSocket clients (and `--dynamodb`), and the token read
from moto's SSM server.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from runtime.store import expires_at
from tests.support.paths import SAMPLES
from wsgen.local import EventLog, running
from wsgen.testing import Client, Connection, ConnectionRejected

TOKEN = "letmein-42"


@pytest.fixture
def chat(monkeypatch: pytest.MonkeyPatch, load_sample: Callable[[str], ModuleType]) -> ModuleType:
    monkeypatch.setenv("CHAT_TOKEN", TOKEN)  # instead of reading SSM (see the last test)
    return load_sample("chat")


@pytest.fixture
def client(chat: ModuleType) -> Iterator[Client]:
    with Client(chat.app) as client:
        yield client


def connect(client: Client, nick: str | None = None) -> Connection:
    """A connection as `nick`, its welcome read (on_ws_connected's: always the first frame)."""
    query = {"token": TOKEN} if nick is None else {"token": TOKEN, "nick": nick}
    ws = client.connect(query=query)
    assert ws.receive().startswith(f"welcome, {nick or 'guest'}! ")
    return ws


def joined(client: Client, nick: str, room: str) -> Connection:
    """A connection as `nick` in `room`, with everything received so far read."""
    ws = connect(client, nick)
    ws.send_json({"action": "join", "room": room})
    ws.receive_all()
    return ws


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
    assert chat.app.connections.count() == 0  # never recorded
    assert client.errors == []


def test_the_nick_the_authorizer_allowed_is_stored_with_the_connection(
    client: Client, chat: ModuleType
) -> None:
    ana = connect(client, "ana")
    assert ana.authorizer["nick"] == "ana"
    record = chat.app.connections.get(ana.connection_id)
    assert record.attributes == {"nick": "ana"} and record.principal_id == "ana"
    ana.send_json({"action": "join", "room": "lobby"})
    assert ana.receive() == "ana joined lobby"


def test_without_a_nick_you_are_a_guest(client: Client) -> None:
    ws = connect(client)
    ws.send_json({"action": "join", "room": "lobby"})
    assert ws.receive() == "guest joined lobby"


def test_each_client_is_welcomed_once_it_is_connected(client: Client, chat: ModuleType) -> None:
    ws = client.connect(query={"token": TOKEN, "nick": "ana"})
    assert ws.receive_all() == [f"welcome, ana! {chat.HELP}"]


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
    record = chat.app.connections.get(ana.connection_id)
    assert (record.groups, record.attributes) == (("attic",), {"nick": "anna"})
    cy = joined(client, "cy", "lobby")
    bo.send_json({"action": "join", "room": "lobby"})
    assert cy.receive_all() == ["bo joined lobby"]
    assert ana.receive_all() == ["bo left attic"]
    assert sorted(c.attributes["nick"] for c in chat.app.groups.members("lobby")) == ["bo", "cy"]


def test_a_joiner_gets_the_rooms_last_messages_before_its_join(
    client: Client, chat: ModuleType
) -> None:
    ana = joined(client, "ana", "lobby")
    for i in range(chat.history.KEEP + 2):
        ana.send_json({"action": "send", "text": f"m{i}"})
    joined(client, "cy", "attic").send_json({"action": "send", "text": "elsewhere"})
    bo = connect(client, "bo")
    bo.send_json({"action": "join", "room": "lobby"})
    earlier = [f"ana: m{i}" for i in range(2, chat.history.KEEP + 2)]  # the last KEEP
    assert bo.receive_all() == [*earlier, "bo joined lobby"]
    bo.send_json({"action": "join", "room": "attic"})  # switching rooms replays the new one
    assert bo.receive_all() == ["cy: elsewhere", "bo joined attic"]


@pytest.mark.slow  # moto: the embedded DynamoDB
def test_the_history_lives_in_its_table_with_the_embedded_dynamodb(chat: ModuleType) -> None:
    from wsgen.connections import dynamodb_client

    with Client(chat.app, dynamodb=True) as client:  # makes ChatHistoryTable, empty
        ana = joined(client, "ana", "lobby")
        ana.send_json({"action": "send", "text": "hello"})
        bo = connect(client, "bo")
        bo.send_json({"action": "join", "room": "lobby"})
        assert bo.receive_all() == ["ana: hello", "bo joined lobby"]
        table = client.tables.names["ChatHistoryTable"]
        assert os.environ["CHAT_HISTORY_TABLE"] == table  # wsgen.toml's Ref, resolved
        region = os.environ.get("AWS_REGION") or os.environ["AWS_DEFAULT_REGION"]
        items = dynamodb_client(client.tables.endpoint, region).scan(TableName=table)["Items"]
        assert [(i["room"]["S"], i["line"]["S"]) for i in items] == [("lobby", "ana: hello")]
        assert int(items[0]["expires"]["N"]) > time.time() + 6 * 24 * 3600  # the TTL's


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
    assert chat.app.connections.get(ana.connection_id) is None
    assert chat.app.groups.count("lobby") == 1


def test_a_connection_whose_disconnect_never_came_is_forgotten_on_the_next_send(
    client: Client, chat: ModuleType
) -> None:
    # API Gateway runs $disconnect on a best-effort basis: a record may outlive its client.
    now = int(time.time() * 1000)
    ghost = {
        "id": "gone=", "connected_at": now, "expires_at": expires_at(now), "principal_id": None,
        "authorizer": {}, "query_params": {}, "headers": {}, "source_ip": None,
        "user_agent": None, "attributes": {"nick": "ghost"}, "groups": ["lobby"],
    }  # fmt: skip
    client.connection_store.put(ghost)
    ana = joined(client, "ana", "lobby")  # the join announcement finds the ghost gone (410)
    assert chat.app.connections.get("gone=") is None
    assert [c.id for c in chat.app.groups.members("lobby")] == [ana.connection_id]
    assert client.errors == []


# $default and binary


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


@pytest.fixture
def restore_environment() -> Iterator[None]:
    """The emulator sets the endpoint, region and credentials for its handlers."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.slow  # the emulator, real sockets (and moto, for the embedded DynamoDB)
@pytest.mark.parametrize("dynamodb", [None, True], ids=["memory", "embedded dynamodb"])
def test_under_wsgen_local_with_real_clients(restore_environment: None, dynamodb) -> None:
    os.environ["CHAT_TOKEN"] = TOKEN
    for name in ("app", "access", "history"):  # imported afresh, as wsgen local does
        sys.modules.pop(name, None)
    options = {"log": EventLog(quiet=True), "dynamodb": dynamodb}
    with running(SAMPLES / "chat", "app:app", **options) as emulator:
        url = f"{emulator.url}?token={TOKEN}"

        async def body() -> None:
            with pytest.raises(InvalidStatus) as refused:
                async with websockets.connect(emulator.url):
                    pass
            assert refused.value.response.status_code == 401
            join = json.dumps({"action": "join", "room": "lobby"})
            async with websockets.connect(f"{url}&nick=ana") as ana:
                assert (await ana.recv()).startswith("welcome, ana! ")  # the first frame
                await ana.send(join)
                assert await ana.recv() == "ana joined lobby"
                await ana.send(json.dumps({"action": "send", "text": "hello"}))
                assert await ana.recv() == "ana: hello"
                async with websockets.connect(f"{url}&nick=bo") as bo:
                    assert (await bo.recv()).startswith("welcome, bo! ")
                    await bo.send(join)
                    assert [await bo.recv(), await bo.recv()] == ["ana: hello", "bo joined lobby"]
                    assert await ana.recv() == "bo joined lobby"
                    await bo.send(json.dumps({"action": "send", "text": "hi"}))
                    assert [await ana.recv(), await bo.recv()] == ["bo: hi"] * 2
            # Both closed: their $disconnect ran (the one left last told nobody).

        asyncio.run(asyncio.wait_for(body(), 30))


@pytest.mark.slow  # moto's server
def test_the_token_is_read_from_ssm_once_and_kept(
    chat: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deployed, only the parameter's name is in the environment (wsgen.toml). moto's server
    plays SSM, over the wire (the app signs its own requests, so mock_aws does not see them)."""
    from runtime import AwsApiError, call_aws_json
    from runtime.aws import Credentials
    from tests.support.dynamodb import start_server

    server, endpoint = start_server()

    def put(value: str) -> None:
        body = {"Name": "/chat/token", "Value": value, "Type": "SecureString", "Overwrite": True}
        call_aws_json(
            "ssm",
            "AmazonSSM.PutParameter",
            body,
            json_version="1.1",
            endpoint=endpoint,
            credentials=Credentials("testing", "testing"),
        )

    try:
        put("from-ssm-1")
        monkeypatch.delenv("CHAT_TOKEN")
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
            monkeypatch.setenv(name, value)  # the function's own, in Lambda
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        monkeypatch.setenv("CHAT_TOKEN_PARAMETER", "/chat/token")
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", endpoint)
        chat.access.chat_token.cache_clear()
        with Client(chat.app) as client:
            client.connect(query={"token": "from-ssm-1"}).close()
            put("from-ssm-2")
            client.connect(query={"token": "from-ssm-1"}).close()  # the kept value
            with pytest.raises(ConnectionRejected):
                client.connect(query={"token": "from-ssm-2"})
        monkeypatch.setenv("CHAT_TOKEN_PARAMETER", "/chat/nope")
        chat.access.chat_token.cache_clear()
        with pytest.raises(
            AwsApiError, match=r"AmazonSSM\.GetParameter failed with ParameterNotFound \(HTTP 400\)"
        ):
            chat.access.chat_token()
    finally:
        server.stop()  # type: ignore[attr-defined]
