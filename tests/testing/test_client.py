"""The test client's connections, messages, routing, replies and error frames."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from runtime import ClientError, ExperimentalFeatureError
from runtime.contract import MAX_FRAME_BYTES, MAX_MESSAGE_BYTES
from tests.support.builders import new_app
from tests.support.paths import SAMPLES
from wsgen.gateway.outcomes import MESSAGE_TOO_BIG
from wsgen.testing import (
    Client,
    Connection,
    ConnectionClosedError,
    ConnectionRejected,
    ConnectionState,
    DroppedResultWarning,
    FragmentsError,
    HandshakeFailed,
    NoMessageError,
    UnexpectedFrameError,
    UnroutedMessageWarning,
    WebsocketTestError,
)


@pytest.fixture
def echo(monkeypatch):
    monkeypatch.syspath_prepend(str(SAMPLES / "echo"))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    import app

    yield app.app
    sys.modules.pop("app", None)


def test_echo_sample_answers_every_message(echo, capsys):
    with Client(echo, accept_binary_frames=True) as client, client.connect() as ws:
        ws.send_text("hello")
        ws.send_bytes(b"\x00\x01")
        assert ws.receive() == "I got your message!"
        assert ws.received == ["I got your message!", "I got your message!"]
        cid = ws.connection_id
    assert f"New connection: {cid}" in capsys.readouterr().out
    assert ws.closed and ws.close_code == 1000
    assert [e["requestContext"]["eventType"] for e in client.events] == [
        "CONNECT",
        "MESSAGE",
        "MESSAGE",
        "DISCONNECT",
    ]


def test_headers_query_and_subprotocol_reach_connect(chat):
    with Client(chat) as client:
        ws = client.connect(
            headers={"Authorization": "Bearer x", "User-Agent": "pytest/1"},
            query={"room": "lobby", "tag": ["a", "b"]},
            subprotocols=["chat.v2", "chat.v1"],
        )
        event = chat.seen[0]
        assert event.headers["authorization"] == "Bearer x"
        assert event.headers["Sec-WebSocket-Protocol"] == "chat.v2, chat.v1"
        assert event.user_agent == "pytest/1"
        assert event.query_params == {"room": "lobby", "tag": "b"}
        assert event.multi_value_query_params["tag"] == ["a", "b"]
        assert ws.subprotocol == "chat.v1"
        ws.close()


def test_no_subprotocol_without_offer(chat):
    with Client(chat) as client, client.connect() as ws:
        assert ws.subprotocol is None


def test_subprotocol_offered_but_not_chosen_fails_like_a_browser(chat):
    with Client(chat) as client:
        with pytest.raises(HandshakeFailed, match="chose none"):
            client.connect(subprotocols=["other"])
        assert client.connections == {}
        assert client.events[-1]["requestContext"]["disconnectStatusCode"] == 1006


def test_connect_non_2xx_status_rejects(chat):
    with Client(chat) as client:
        with pytest.raises(ConnectionRejected) as rejected:
            client.connect(query={"reject": "400"})
        assert rejected.value.status_code == 400
        assert client.connections == {}


def test_connect_exception_rejects_with_502_and_keeps_the_cause():
    app = new_app()

    @app.on_ws_connect()
    def connect(event):
        raise KeyError("user")

    with Client(app) as client:
        with pytest.raises(ConnectionRejected) as rejected:
            client.connect()
        assert rejected.value.status_code == 502
        assert isinstance(rejected.value.__cause__, KeyError)
        assert client.errors == [rejected.value.__cause__]


def test_a_client_error_in_connect_rejects_with_its_status_and_says_why():
    app = new_app()
    error = ClientError("not today", code="closed", status=403)

    @app.on_ws_connect()
    def connect(event):
        raise error

    with Client(app) as client:
        with pytest.raises(ConnectionRejected) as rejected:
            client.connect()
        assert rejected.value.status_code == 403
        assert (
            rejected.value.reason == "the $connect handler refused: ClientError closed: not today"
        )
        assert rejected.value.__cause__ is error
        assert client.errors == []  # a refusal, not a failure of the app


def test_without_connect_route_connections_are_accepted():
    app = new_app()

    @app.on_ws_message()
    def message(event):
        return None

    with Client(app) as client, client.connect() as ws:
        ws.send_text("x")
    assert [e["requestContext"]["eventType"] for e in client.events] == ["MESSAGE"]


def test_custom_route_default_and_non_json(chat):
    with Client(chat) as client, client.connect() as ws:
        ws.send_json({"action": "join", "room": "r"})
        ws.send_json({"action": "nope"})
        ws.send_text("not json")
        routes = [e["requestContext"]["routeKey"] for e in client.events[1:]]
        assert routes == ["join", "$default", "$default"]
        assert ws.received == ['default: {"action": "nope"}', "default: not json"]


def test_selection_expression_is_the_apps():
    app = new_app()
    app.route_selection_expression = "${request.body.service}/${request.body.op}"

    @app.on_ws_message(route="chat/join", reply=True)
    def join(event):
        return "joined"

    @app.on_ws_message(route="$default", reply=True)
    def default(event):
        return "default"

    with Client(app) as client, client.connect() as ws:
        ws.send_json({"service": "chat", "op": "join"})
        ws.send_json({"action": "chat/join"})
        ws.send_json({"service": "chat"})  # a missing path resolves to "": "chat/"
        assert ws.received == ["joined", "default", "default"]
        assert client.events[-1]["requestContext"]["routeKey"] == "$default"


def test_jsonpath_indexes_and_static_expressions_route_as_on_aws():
    app = new_app()
    app.route_selection_expression = "$request.body.items[0].type"

    @app.on_ws_message(route="join", reply=True)
    def join(event):
        return "joined"

    with Client(app) as client, client.connect() as ws:
        ws.send_json({"items": [{"type": "join"}, {"type": "say"}]})
        assert ws.received == ["joined"]
    app.route_selection_expression = "join"  # static: every JSON message goes to `join`
    with Client(app) as client, client.connect() as ws:
        ws.send_json({"anything": 1})
        assert ws.received == ["joined"]


def test_a_refused_binary_frame_still_counts_as_activity(chat, monkeypatch):
    # Received whole before API Gateway refused it, as in wsgen local.
    with Client(chat) as client:
        ws = client.connect()
        later = ws.peer.connected_at + 5000
        monkeypatch.setattr("wsgen.gateway.events.now_ms", lambda: later)
        ws.send_bytes(b"\x01")
        assert ws.close_code == 1003 and ws.last_active_at == later


def test_two_way_replies_text_json_and_binary(chat):
    with Client(chat, accept_binary_frames=True) as client, client.connect() as ws:
        ws.send_json({"action": "ping", "n": 3})
        assert ws.receive_json() == {"pong": 3}
        with pytest.warns(DroppedResultWarning, match="route quiet returned a str"):
            ws.send_json({"action": "quiet"})  # one-way: its value goes nowhere
        with pytest.raises(NoMessageError):
            ws.receive()
        ws.send_bytes(b"\x01\x02")  # binary frames go to $default...
        assert ws.receive() == "default: AQI="
        event = chat.seen[-1]
        assert event.is_base64_encoded and event.raw_body == b"\x01\x02"


def test_binary_reply_is_a_binary_frame():
    app = new_app()

    @app.on_ws_message(reply=True)
    def blob(event):
        return b"\xff" + event.raw_body

    with Client(app, accept_binary_frames=True) as client, client.connect() as ws:
        ws.send_bytes(b"\x00")
        assert ws.receive() == b"\xff\x00"


def test_handler_exception_sends_error_frame_keeps_connection_and_raises(chat):
    with Client(chat) as client, client.connect() as ws:
        with pytest.raises(RuntimeError, match="boom"):
            ws.send_json({"action": "boom"})
        frame = ws.receive_json()
        assert frame["message"] == "Internal server error"
        assert frame["requestId"] == client.events[-1]["requestContext"]["requestId"]
        assert len(client.errors) == 1
        ws.send_text("still here")
        assert ws.receive() == "default: still here"


def test_raise_errors_false_only_records(chat):
    with Client(chat, raise_errors=False) as client, client.connect() as ws:
        ws.send_json({"action": "boom"})
        assert json.loads(ws.received[0])["message"] == "Internal server error"
        assert [type(e) for e in client.errors] == [RuntimeError]


def test_a_client_error_is_the_apps_answer_not_a_failure():
    app = new_app()

    @app.on_ws_message(route="join")
    def join(event):
        raise ClientError("room is full", code="room_full")

    with Client(app) as client, client.connect() as ws:
        ws.send_json({"action": "join"})  # raises nothing: the handler answered
        assert ws.receive_json()["error"]["code"] == "room_full"
        assert client.errors == []


def test_unserialisable_reply_is_an_internal_server_error():
    app = new_app()

    @app.on_ws_message(reply=True)
    def bad(event):
        return object()

    with Client(app, raise_errors=False) as client, client.connect() as ws:
        ws.send_text("x")
        assert ws.receive_json()["message"] == "Internal server error"
        assert type(client.errors[0]).__name__ == "InvalidReplyError"


def test_message_over_128_kb_closes_with_1009(chat):
    with Client(chat) as client:
        ws = client.connect()
        prefix = '{"action": "ping", "pad": "'
        limit = prefix + "x" * (MAX_MESSAGE_BYTES - len(prefix) - 2) + '"}'
        ws.send_text(limit, fragments=4)  # the limit, in four 32 KB frames: ok
        assert not ws.closed
        ws.send_text("x" * (MAX_MESSAGE_BYTES + 1), fragments=5)
        assert ws.closed and (ws.close_code, ws.close_reason) == MESSAGE_TOO_BIG
        disconnect = client.events[-1]["requestContext"]
        assert disconnect["disconnectStatusCode"] == 1009
        assert len([e for e in client.events if "messageId" in e["requestContext"]]) == 1


def test_one_frame_over_32_kb_closes_with_1009_as_a_browser_would_send_it(chat):
    with Client(chat) as client:
        ws = client.connect()
        ws.send_json({"action": "ping", "pad": "x" * (MAX_FRAME_BYTES - 40)})  # under 32 KB
        ws.send_text("x" * 100_000, fragments=4)  # 25 KB frames: fine
        assert not ws.closed
        ws.send_bytes(b"x" * (MAX_FRAME_BYTES + 1))
        assert (ws.close_code, ws.close_reason) == MESSAGE_TOO_BIG
        disconnect = client.events[-1]["requestContext"]
        assert (disconnect["disconnectStatusCode"], disconnect["disconnectReason"]) == (
            MESSAGE_TOO_BIG
        )
        with pytest.raises(FragmentsError, match="fragments"):  # also a ValueError
            client.connect().send_text("ab", fragments=3)


def test_close_with_code_and_reason(chat):
    with Client(chat) as client:
        ws = client.connect()
        ws.close(code=4000, reason="bye")
        assert chat.seen[-1].disconnect_status_code == 4000
        assert chat.seen[-1].disconnect_reason == "bye"
        ws.close()  # closing twice does nothing
        with pytest.raises(ConnectionClosedError, match="code 4000"):
            ws.send_text("late")
        with pytest.raises(ConnectionClosedError):
            ws.receive()


def test_receive_reads_in_order_and_received_keeps_history(chat):
    with Client(chat) as client, client.connect() as ws:
        ws.send_text("1")
        ws.send_text("2")
        assert ws.receive_text() == "default: 1"
        assert ws.receive_bytes() == b"default: 2"
        assert ws.received == ["default: 1", "default: 2"]
        with pytest.raises(NoMessageError, match="2 received"):
            ws.receive()


def test_disconnect_handler_error_raises_on_close():
    app = new_app()

    @app.on_ws_disconnect()
    def disconnect(event):
        raise ValueError("cleanup failed")

    with Client(app) as client:
        ws = client.connect()
        with pytest.raises(ValueError, match="cleanup failed"):
            ws.close()
        assert ws.closed


def test_test_failure_inside_block_is_not_hidden_by_disconnect_error():
    app = new_app()

    @app.on_ws_disconnect()
    def disconnect(event):
        raise ValueError("cleanup failed")

    with Client(app) as client:
        with pytest.raises(KeyError), client.connect():
            raise KeyError("the test's own failure")
        assert [type(e) for e in client.errors] == [ValueError]


def test_client_close_disconnects_open_connections_with_1001(chat):
    client = Client(chat)
    ws = client.connect()
    client.close()
    assert ws.closed and ws.close_code == 1001
    assert chat.seen[-1].disconnect_status_code == 1001
    with pytest.raises(RuntimeError, match="closed") as closed:
        client.connect()
    assert isinstance(closed.value, WebsocketTestError)  # the client's own root too


def test_app_without_feature_flag_is_refused():
    app = new_app()
    app.experimental_feature_flags.clear()

    @app.on_ws_message()
    def message(event):
        return None

    with pytest.raises(ExperimentalFeatureError):
        Client(app)


def test_receive_all_returns_what_is_unread_and_never_raises(chat):
    with Client(chat) as client, client.connect() as ws:
        assert ws.receive_all() == []
        ws.send_json({"action": "ping", "n": 1})
        ws.send_json({"action": "ping", "n": 2})
        assert ws.receive_json() == {"pong": 1}
        assert ws.receive_all() == ['{"pong":2}']
        assert ws.receive_all() == []
        assert ws.authorizer == {}  # no authorizer on this app


def test_receive_text_of_a_binary_frame_is_an_unexpected_frame_error_and_a_type_error(chat):
    with Client(chat) as client, client.connect() as ws:
        ws.send_json({"action": "blob"})
        with pytest.raises(TypeError, match="binary") as caught:
            ws.receive_text()
        assert isinstance(caught.value, UnexpectedFrameError)


def test_a_connection_moves_from_open_to_closing_to_closed():
    app = new_app()
    states: list[ConnectionState] = []
    held: list[Connection] = []

    @app.on_ws_message()
    def leave(event):
        app.websocket_api.close(event.connection_id)
        states.append(held[0].state)  # $disconnect waits until this handler returns

    @app.on_ws_disconnect()
    def disconnect(event):
        states.append(held[0].state)

    with Client(app) as client:
        ws = client.connect()
        held.append(ws)
        assert ws.state is ConnectionState.OPEN and ws.state == "open"
        ws.send_text("bye")
        assert states == [ConnectionState.CLOSING, ConnectionState.CLOSED]
        assert ws.state is ConnectionState.CLOSED and ws.closed


@pytest.mark.parametrize(
    "status", [float("inf"), 10**5000, -5, True], ids=["inf", "10**5000", "-5", "True"]
)
def test_a_malformed_connect_status_is_the_clients_own_502_not_the_raw_error(status):
    app = new_app()

    @app.on_ws_connect()
    def connect(event):
        return {"statusCode": status}

    with Client(app) as client, pytest.raises(ConnectionRejected) as rejected:
        client.connect()
    assert rejected.value.status_code == 502
    assert "malformed Lambda proxy response" in str(rejected.value)


ENV_APP = """
import os
from runtime import App

app = App(app_name="envapp")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(reply=True)
def show(event):
    return os.environ.get(event.body, "(unset)")
"""

ENV_TOML = """
merge_template = "resources.yaml"

[environment]
GREETING = "hello"
TABLE = { Ref = "Table" }
REGION = { Ref = "AWS::Region" }

[stages.test.environment]
GREETING = "hello, test"
"""

TABLE_RESOURCES = """Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
"""
"""The table ENV_TOML's `{ Ref = "Table" }` names (a Ref to nothing is refused)."""


def _env_project(directory: Path, module: str = "app") -> None:
    (directory / f"{module}.py").write_text(ENV_APP)
    (directory / "wsgen.toml").write_text(ENV_TOML)
    (directory / "resources.yaml").write_text(TABLE_RESOURCES)


def test_the_client_applies_wsgen_tomls_environment_like_wsgen_local(tmp_path, monkeypatch):
    import os

    from wsgen.loader import load_spec

    _env_project(tmp_path)
    monkeypatch.delenv("GREETING", raising=False)
    monkeypatch.setenv("KEPT", "mine")
    app, _ = load_spec(tmp_path, "app:app")
    with Client(app, region="eu-west-1") as client, client.connect() as ws:
        for name in ("GREETING", "TABLE", "KEPT", "REGION"):
            ws.send_text(name)
        # [stages.test] adds to it; a pseudo parameter is the client's region's
        assert ws.received == ["hello, test", "(unset)", "mine", "eu-west-1"]
    assert "GREETING" not in os.environ  # put back as it was


def test_a_ref_naming_nothing_is_refused_as_wsgen_template_refuses_it(tmp_path, capsys):
    import os

    from wsgen.cli import main
    from wsgen.exceptions import ConfigError
    from wsgen.loader import load_spec

    _env_project(tmp_path)
    (tmp_path / "wsgen.toml").write_text(ENV_TOML.replace('Ref = "Table"', 'Ref = "Tabel"'))
    assert main(["template", "--app-dir", str(tmp_path), "--runtime", "python3.12"]) == 1
    refused = capsys.readouterr().err
    assert "'environment.TABLE' uses Ref 'Tabel'" in refused and "did you mean 'Table'?" in refused
    app, _ = load_spec(tmp_path, "app:app")
    before = dict(os.environ)
    with pytest.raises(ConfigError) as failed:
        Client(app)
    assert f"error: {failed.value}\n" == refused
    assert dict(os.environ) == before  # nothing exported, nothing left half-set


def test_two_clients_closed_in_start_order_put_back_the_environment(tmp_path, monkeypatch):
    """The second found wsgen.toml's value set by the first: it keeps it when the first
    closes, and once both closed it is gone (`EnvironmentChanges`)."""
    import os

    from wsgen.loader import load_spec

    apps = []
    for name in ("one", "two"):  # two apps, as two test modules' fixtures would make
        (tmp_path / name).mkdir()
        _env_project(tmp_path / name, f"{name}app")
        apps.append(load_spec(tmp_path / name, f"{name}app:app")[0])
    monkeypatch.delenv("GREETING", raising=False)
    before = dict(os.environ)
    first = Client(apps[0])
    second = Client(apps[1])
    first.close()
    with second.connect() as ws:
        ws.send_text("GREETING")
        assert ws.received == ["hello, test"]
    second.close()
    assert dict(os.environ) == before
    for name in ("one", "two"):
        sys.modules.pop(f"{name}app", None)


@pytest.mark.external  # moto's DynamoDB server
def test_closing_the_client_puts_back_what_it_exported(tmp_path, monkeypatch, dynamodb_endpoint):
    """What the client set goes back to the value it had, or away; a name the test changed
    meanwhile keeps the test's value (the emulator's rule: `EnvironmentChanges`)."""
    import os

    from runtime.contract import DYNAMODB_ENDPOINT_ENV
    from wsgen.loader import load_spec

    _env_project(tmp_path)
    for name in ("GREETING", "TABLE", "REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(DYNAMODB_ENDPOINT_ENV, "http://elsewhere.example:8000")
    app, _ = load_spec(tmp_path, "app:app")
    before = dict(os.environ)
    with Client(app, dynamodb=dynamodb_endpoint) as client:
        assert os.environ[DYNAMODB_ENDPOINT_ENV] == dynamodb_endpoint
        assert os.environ["TABLE"] == client.tables.names["Table"]
        os.environ["GREETING"] = "changed by the test"
    assert os.environ.pop("GREETING") == "changed by the test"
    assert dict(os.environ) == before


def test_a_value_returned_on_a_one_way_route_warns_at_each_message_and_sends_nothing():
    app = new_app()

    @app.on_ws_message(route="join")
    def join(event):
        return {"joined": True}  # one-way: API Gateway discards it

    @app.on_ws_message()
    def default(event):
        return "hello"

    @app.on_ws_message(route="ping", reply=True)
    def ping(event):
        return "pong"

    @app.on_ws_disconnect()
    def disconnect(event):
        return "bye"

    with Client(app) as client:
        ws = client.connect()
        with pytest.warns(DroppedResultWarning) as warned:
            ws.send_json({"action": "join"})
            ws.send_json({"action": "join"})
            ws.send_text("not json")
            ws.close()
        assert ws.received == []
        assert client.errors == []
    notes = [str(w.message) for w in warned]
    assert len(notes) == 4 and notes[1] == notes[0]  # every time, not once per route
    assert notes[0] == (
        "the handler for route join returned a dict, which API Gateway discards: the route is "
        "one-way, so nothing goes back to the client; make it two-way with "
        "@app.on_ws_message(route='join', reply=True) to send it back, or return None"
    )
    assert "route $default returned a str" in notes[2]
    assert notes[2].endswith(
        "two-way with @app.on_ws_message(reply=True) to send it back, or return None"
    )
    assert notes[3].endswith("$disconnect is always one-way (its client is gone); return None")
    assert {w.filename for w in warned} == {__file__}  # points at the test's own send


def test_a_two_way_reply_or_a_bare_status_warns_nothing(recwarn):
    app = new_app()
    app.on_ws_message(route="ping", reply=True)(lambda event: "pong")
    app.on_ws_message(route="ack")(lambda event: {"statusCode": 200})  # raw Lambda's idiom
    app.on_ws_connect()(lambda event: {"statusCode": 200, "headers": {}})
    with Client(app) as client, client.connect() as ws:
        ws.send_json({"action": "ping"})
        ws.send_json({"action": "ack"})
        assert ws.receive_all() == ["pong"]
    assert not [w for w in recwarn if issubclass(w.category, DroppedResultWarning)]


def test_a_message_matching_no_route_warns_why_and_still_gets_the_forbidden_frame():
    app = new_app()

    @app.on_ws_message(route="join", reply=True)
    def join(event):
        return "joined"

    with Client(app) as client, client.connect() as ws:
        with pytest.warns(UnroutedMessageWarning) as warned:
            ws.send_json({"action": "Join"})
            ws.send_text("join")
        assert [json.loads(frame)["message"] for frame in ws.receive_all()] == ["Forbidden"] * 2
        assert client.errors == []  # faithful: no handler ran, nothing failed
        ws.send_json({"action": "join"})
        assert ws.receive() == "joined"
    first, second = (str(w.message) for w in warned)
    assert first.startswith("Forbidden frame: $request.body.action gave 'Join', which is no route")
    assert "did you mean 'join'?" in first
    assert second.startswith("Forbidden frame: the body is not JSON")
    assert second.endswith(
        "the app's routes: 'join'; add @app.on_ws_message() to take $default,"
        " or send a route key in $request.body.action"
    )
    assert {w.filename for w in warned} == {__file__}  # points at the test's own send


@pytest.mark.parametrize("order", ["first closes first", "last closes first"])
def test_two_clients_of_one_app_each_serve_until_closed_in_any_order(order: str) -> None:
    """Each client installs itself as the app's management API over the one before it: the
    first closing under the second must not take the second's away."""
    app = new_app()
    app.on_ws_message(route="echo")(
        lambda event: app.websocket_api.send(event.connection_id, event.body)
    )
    original = app.websocket_api.use_client(None)
    app.websocket_api.use_client(original)
    first, second = Client(app), Client(app)
    closing, staying = (first, second) if order == "first closes first" else (second, first)
    closing.close()
    if staying is second:  # the latest client serves: its handlers' sends reach it
        with staying.connect() as ws:
            ws.send_json({"action": "echo"})
            assert ws.receive_json() == {"action": "echo"}
    staying.close()
    assert app.websocket_api.use_client(original) is original  # what it had before both
