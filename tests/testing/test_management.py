"""send/broadcast/close/info from handlers and tests, through the in-memory client."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from runtime import WebsocketDisconnectedError
from runtime.exceptions import MessageTooLargeError
from tests.support.builders import new_app
from wsgen.testing import Client


def test_a_message_reaches_every_member_of_the_room(chat):
    client = Client(chat)
    with client, client.connect() as a, client.connect() as b, client.connect() as c:
        for ws in (a, b):
            ws.send_json({"action": "join", "room": "lobby"})
        c.send_json({"action": "join", "room": "other"})
        a.send_json({"action": "say", "room": "lobby", "text": "hi"})
        assert a.receive_json() == b.receive_json() == {"text": "hi"}
        assert c.received == []


def test_broadcast_reports_gone_connections(chat):
    with Client(chat) as client:
        a, b = client.connect(), client.connect()
        for ws in (a, b):
            ws.send_json({"action": "join", "room": "r"})
        gone = b.connection_id
        b.close()
        result = chat.websocket_api.broadcast([a.connection_id, gone], "x")
        assert result.delivered == [a.connection_id]
        assert result.gone == [gone]


def test_send_to_closed_or_unknown_connection_is_gone(chat):
    with Client(chat) as client:
        ws = client.connect()
        ws.close()
        for cid in (ws.connection_id, "AAAAAAAAAAAAAAA="):
            with pytest.raises(WebsocketDisconnectedError):
                chat.websocket_api.send(cid, "hello")
            with pytest.raises(WebsocketDisconnectedError):
                chat.websocket_api.info(cid)
            with pytest.raises(WebsocketDisconnectedError):
                chat.websocket_api.close(cid)


def test_send_from_test_code_reaches_the_connection(chat):
    with Client(chat) as client, client.connect() as ws:
        chat.websocket_api.send(ws.connection_id, b"\x80\x81")
        chat.websocket_api.send(ws.connection_id, "text")
        assert ws.received == [b"\x80\x81", "text"]
        with pytest.raises(MessageTooLargeError):
            chat.websocket_api.send(ws.connection_id, b"x" * (128 * 1024 + 1))


def test_send_inside_connect_is_gone():
    app = new_app()
    outcome = []

    @app.on_ws_connect()
    def connect(event):
        try:
            app.websocket_api.send(event.connection_id, "welcome")
        except WebsocketDisconnectedError as exc:
            outcome.append(exc)

    with Client(app) as client, client.connect() as ws:
        assert ws.received == []
    assert len(outcome) == 1


def test_close_from_handler_disconnects_after_the_handler_returns(chat):
    with Client(chat) as client:
        victim, admin = client.connect(), client.connect()
        admin.send_json({"action": "kick", "who": victim.connection_id})
        assert victim.closed
        assert (victim.close_code, victim.close_reason) == (1000, "Connection Closed Normally")
        disconnect = chat.seen[-1]
        assert disconnect.connection_id == victim.connection_id
        assert chat.seen[-2] == "kick returned"  # $disconnect ran after the handler
        assert not admin.closed
        with pytest.raises(WebsocketDisconnectedError):
            chat.websocket_api.send(victim.connection_id, "x")


def test_close_from_test_code_runs_disconnect_at_once(chat):
    with Client(chat) as client:
        ws = client.connect()
        chat.websocket_api.close(ws.connection_id)
        assert ws.closed and chat.seen[-1].disconnect_status_code == 1000


def test_closing_own_connection_drops_the_reply():
    app = new_app()

    @app.on_ws_message(reply=True)
    def leave(event):
        app.websocket_api.close(event.connection_id)
        return "bye"

    with Client(app) as client:
        ws = client.connect()
        ws.send_text("x")
        assert ws.closed and ws.received == []


def test_info_describes_the_connection(chat):
    with Client(chat) as client:
        with client.connect(headers={"User-Agent": "ua/1"}, source_ip="198.51.100.1") as ws:
            info = chat.websocket_api.info(ws.connection_id)
        assert isinstance(info["ConnectedAt"], datetime)
        assert isinstance(info["LastActiveAt"], datetime)
        assert info["Identity"] == {"SourceIp": "198.51.100.1", "UserAgent": "ua/1"}


def test_previous_management_client_is_restored(chat):
    sentinel = object()
    chat.websocket_api.use_client(sentinel)
    with Client(chat) as outer:
        assert chat.websocket_api.client() is outer.management
        with Client(chat) as inner:
            assert chat.websocket_api.client() is inner.management
        assert chat.websocket_api.client() is outer.management
    assert chat.websocket_api.client() is sentinel
    chat.websocket_api.use_client(None)


def test_broadcast_json_from_handler(chat):
    with Client(chat) as client, client.connect() as ws:
        ws.send_json({"action": "join", "room": "r"})
        ws.send_json({"action": "say", "room": "r", "text": "ü"})
        assert json.loads(ws.receive()) == {"text": "ü"}


def test_sent_bytes_are_a_text_frame_when_valid_utf8_as_under_wsgen_local():
    app = new_app()

    @app.on_ws_message()
    def message(event):
        app.websocket_api.send(event.connection_id, "text")
        app.websocket_api.send(event.connection_id, b"text")
        app.websocket_api.send(event.connection_id, "ü".encode())
        app.websocket_api.broadcast([event.connection_id], b"\x00")
        app.websocket_api.broadcast([event.connection_id], b"\xff\x00")

    with Client(app) as client, client.connect() as ws:
        ws.send_text("go")
        assert ws.received == ["text", "text", "ü", "\x00", b"\xff\x00"]


def test_the_test_can_act_as_the_management_api(chat):
    """`live_connection`, `post_to_connection`, `delete_connection`: what the app's calls reach."""
    with Client(chat) as client:
        ws = client.connect()
        assert client.live_connection(ws.connection_id) is ws
        client.post_to_connection(ws.connection_id, b"\xfe")
        assert ws.receive() == b"\xfe"
        client.delete_connection(ws.connection_id)
        assert ws.closed and (ws.close_code, chat.seen[-1].disconnect_status_code) == (1000, 1000)
        for act in (client.live_connection, client.delete_connection):
            with pytest.raises(client.management.exceptions.GoneException):
                act(ws.connection_id)
