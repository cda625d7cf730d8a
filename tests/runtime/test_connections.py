"""`app.connections`, `app.groups` and `Connection`, on the in-memory store.

The entry point's side (`connecting`, `connected`, `disconnected`) is called here the way the
entry point calls it; sends go to a fake management client that knows which ids are gone.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from runtime import (
    App,
    ConnectionNotFoundError,
    ConnectionsNotConfiguredError,
    ConnectionsNotEnabledError,
    ConnectionStoreError,
    InvalidAttributeError,
    InvalidGroupError,
    Response,
    WebsocketDisconnectedError,
    WebsocketEvent,
)
from runtime.store import MemoryStore


class GoneError(Exception):
    pass


class FakeManagement:
    """boto3's management client's shape: posts are recorded; ids in `gone` answer 410."""

    class exceptions:  # noqa: N801  (boto3's spelling)
        GoneException = GoneError

    def __init__(self):
        self.posts = []
        self.gone = set()

    def post_to_connection(self, *, ConnectionId, Data):  # noqa: N803
        if ConnectionId in self.gone:
            raise GoneError(ConnectionId)
        self.posts.append((ConnectionId, Data))


@pytest.fixture
def management():
    return FakeManagement()


@pytest.fixture
def app(management):
    app = App("tracked", connections=True)
    app.connections.use_store(MemoryStore())
    app.websocket_api.use_client(management)
    return app


def connect_event(load_event, connection_id, *, principal=None, headers=None, query=None):
    raw = load_event("connect.json")
    rc = raw["requestContext"]
    rc["connectionId"] = connection_id
    rc["connectedAt"] = int(time.time() * 1000)  # the fixture's 2024 connection expired long ago
    if principal is not None:
        rc["authorizer"] = {"principalId": principal, "nick": principal, "integrationLatency": 3}
    if headers is not None:
        raw["headers"] = headers
    if query is not None:
        raw["queryStringParameters"] = query
    return WebsocketEvent(raw)


def connect(app, load_event, connection_id, **kwargs):
    event = connect_event(load_event, connection_id, **kwargs)
    app.connections.connecting(event.raw)
    app.connections.connected(connection_id)
    return event


def test_a_connection_keeps_what_connect_saw(app, load_event):
    event = connect(
        app,
        load_event,
        "A=",
        principal="ana",
        headers={"Origin": "https://x.example", "Authorization": "Bearer s3cret", "Cookie": "a=b"},
        query={"room": "lobby"},
    )
    connection = app.connections.get("A=")
    assert connection.id == "A="
    connected_ms = event.raw["requestContext"]["connectedAt"]
    assert connection.connected_at == datetime.fromtimestamp(connected_ms / 1000, tz=UTC)
    assert connection.principal_id == "ana"
    assert connection.authorizer == {"nick": "ana"}
    assert connection.query_params == {"room": "lobby"}
    assert connection.headers["origin"] == "https://x.example"
    assert "Authorization" not in connection.headers and "Cookie" not in connection.headers
    assert connection.source_ip == event.source_ip
    assert connection.user_agent == event.user_agent
    assert connection.attributes == {} and connection.groups == ()


def test_update_stores_attributes_and_the_connection_sees_them(app, load_event):
    connect(app, load_event, "A=")
    connection = app.connections.get("A=")
    connection.update(nick="ana", score=3)
    assert connection.attributes == {"nick": "ana", "score": 3}
    updated = app.connections.update("A=", score=4)
    assert updated.attributes == {"nick": "ana", "score": 4}
    assert app.connections.get("A=").attributes == {"nick": "ana", "score": 4}


def test_an_event_built_with_its_app_reads_the_connection_through_it(app, load_event):
    connect(app, load_event, "A=")
    app.connections.update("A=", nick="ana")
    raw = load_event("message_default.json")
    raw["requestContext"]["connectionId"] = "A="
    event = WebsocketEvent(raw, tracker=app)
    assert event.tracker is app
    assert event.connection.attributes == {"nick": "ana"}
    assert WebsocketEvent(raw).tracker is None


def test_an_attribute_that_is_not_json_is_refused_naming_it(app, load_event):
    connect(app, load_event, "A=")
    with pytest.raises(InvalidAttributeError, match="attribute 'when' of connection A=: not JSON"):
        app.connections.update("A=", when=datetime.now(UTC))


def test_join_and_update_inside_connect_are_stored_when_it_accepts(app, load_event):
    event = connect_event(load_event, "A=", query={"room": "lobby"})
    app.connections.connecting(event.raw)
    app.groups.join("lobby", "A=")
    app.connections.update("A=", nick="ana")
    assert app.connections.get("A=").groups == ("lobby",)  # the pending record
    assert list(app.groups.members("lobby")) == []  # not connected yet: nobody can reach it
    app.connections.connected("A=")
    [member] = app.groups.members("lobby")
    assert member.id == "A=" and member.attributes == {"nick": "ana"}


def test_a_refused_connect_stores_nothing(app, load_event):
    app.connections.connecting(connect_event(load_event, "A=").raw)
    app.groups.join("lobby", "A=")
    app.connections.refused("A=")
    assert app.connections.get("A=") is None
    assert app.connections.count() == 0 and app.groups.count("lobby") == 0


def test_disconnected_forgets_the_connection_and_later_writes_fail(app, load_event):
    connect(app, load_event, "A=")
    app.groups.join("lobby", "A=")
    app.connections.disconnected("A=")
    assert app.connections.get("A=") is None
    assert app.groups.count("lobby") == 0
    with pytest.raises(ConnectionNotFoundError, match="connection A= is not connected"):
        app.groups.join("lobby", "A=")
    with pytest.raises(WebsocketDisconnectedError):  # one except clause for "gone"
        app.connections.update("A=", nick="late")


def test_groups_send_reaches_members_but_the_excluded_and_forgets_the_gone(
    app, load_event, management
):
    for cid in ("A=", "B=", "C=", "D="):
        connect(app, load_event, cid)
        app.groups.join("lobby", cid)
    management.gone.add("C=")
    result = app.groups.send("lobby", "hi", exclude="A=")
    assert sorted(result.delivered) == ["B=", "D="] and result.gone == ["C="]
    assert sorted(cid for cid, _ in management.posts) == ["B=", "D="]
    assert app.connections.get("C=") is None  # gone: forgotten
    assert sorted(m.id for m in app.groups.members("lobby")) == ["A=", "B=", "D="]
    result = app.groups.send("lobby", "again", exclude=["A=", "B="])
    assert result.delivered == ["D="]


def test_any_send_that_finds_a_connection_gone_forgets_it(app, load_event, management):
    connect(app, load_event, "A=")
    management.gone.add("A=")
    with pytest.raises(WebsocketDisconnectedError):
        app.websocket_api.send("A=", "hi")
    assert app.connections.get("A=") is None


def test_for_principal_and_send_to_principal_reach_every_device(app, load_event, management):
    connect(app, load_event, "A=", principal="ana")
    connect(app, load_event, "B=", principal="ana")
    connect(app, load_event, "C=", principal="bo")
    assert sorted(c.id for c in app.connections.for_principal("ana")) == ["A=", "B="]
    result = app.connections.send_to_principal("ana", "ping")
    assert sorted(result.delivered) == ["A=", "B="]
    assert sorted(management.posts) == [("A=", "ping"), ("B=", "ping")]


def test_all_and_count(app, load_event):
    for cid in ("A=", "B="):
        connect(app, load_event, cid)
    assert app.connections.count() == 2
    assert sorted(c.id for c in app.connections.all()) == ["A=", "B="]


@pytest.mark.parametrize("group", ["", None, 7, "x" * 1025])
def test_a_group_name_the_store_cannot_key_is_refused(app, load_event, group):
    connect(app, load_event, "A=")
    with pytest.raises(InvalidGroupError, match="invalid group"):
        app.groups.join(group, "A=")


def test_without_tracking_every_entry_says_how_to_turn_it_on(load_event):
    app = App("plain")
    with pytest.raises(ConnectionsNotEnabledError) as err:
        app.groups.members("lobby")
    assert "App(app_name='plain', connections=True)" in str(err.value)
    with pytest.raises(ConnectionsNotEnabledError):
        app.connections.count()
    with pytest.raises(ConnectionsNotEnabledError, match=r"event.connection needs connection"):
        _ = WebsocketEvent(load_event("message_default.json")).connection
    assert app.spec().connections is False
    assert App("t", connections=True).spec().connections is True


def test_a_tracked_app_outside_lambda_names_the_missing_table(monkeypatch):
    monkeypatch.delenv("WSGEN_CONNECTIONS_TABLE", raising=False)
    app = App("tracked", connections=True)
    with pytest.raises(ConnectionsNotConfiguredError, match="WSGEN_CONNECTIONS_TABLE is not set"):
        app.connections.count()


def test_the_table_in_the_environment_is_used_through_dynamodb(monkeypatch):
    from runtime.dynamodb import DynamoDBStore

    monkeypatch.setenv("WSGEN_CONNECTIONS_TABLE", "chat-connections")
    store = App("tracked", connections=True).connections.store
    assert isinstance(store, DynamoDBStore) and store.table_name == "chat-connections"


# The entry point: app(event, context) records after $connect and deletes after $disconnect


def fresh(load_event, name, connection_id="Xq4mT2rLpNcFa8w="):
    raw = load_event(name)
    raw["requestContext"]["connectionId"] = connection_id
    raw["requestContext"]["connectedAt"] = int(time.time() * 1000)
    return raw


def tracked_app(management):
    app = App("tracked", connections=True)
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.connections.use_store(MemoryStore())
    app.websocket_api.use_client(management)
    return app


def test_the_entry_point_records_a_connection_without_any_handler(load_event, management):
    app = tracked_app(management)
    assert [r.key for r in app.routes()] == ["$connect", "$disconnect"]  # both deployed
    assert app(fresh(load_event, "connect.json"), None) == {"statusCode": 200}
    assert app.connections.count() == 1
    app(fresh(load_event, "disconnect_1001.json"), None)
    assert app.connections.count() == 0


def test_a_connect_handler_that_refuses_or_fails_leaves_no_record(load_event, management):
    app = tracked_app(management)
    outcomes = iter([Response(status_code=403), RuntimeError("boom")])

    @app.on_ws_connect()
    def connect(event):
        app.groups.join("lobby", event.connection_id)
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert app(fresh(load_event, "connect.json"), None)["statusCode"] == 403
    with pytest.raises(RuntimeError):
        app(fresh(load_event, "connect.json"), None)
    assert app.connections.count() == 0 and app.groups.count("lobby") == 0


def test_a_failing_disconnect_handler_still_gets_the_connection_deleted(load_event, management):
    app = tracked_app(management)
    seen = []

    @app.on_ws_disconnect()
    def disconnect(event):
        seen.append(event.connection.groups)
        raise RuntimeError("boom")

    app(fresh(load_event, "connect.json"), None)
    app.groups.join("lobby", "Xq4mT2rLpNcFa8w=")
    with pytest.raises(RuntimeError):
        app(fresh(load_event, "disconnect_1001.json"), None)
    assert seen == [("lobby",)]
    assert app.connections.get("Xq4mT2rLpNcFa8w=") is None and app.groups.count("lobby") == 0


def test_a_store_failure_at_connect_fails_the_connect_and_names_the_connection(
    load_event, management, caplog
):
    class Broken(MemoryStore):
        def put(self, record):
            raise ConnectionStoreError("PutItem", "ProvisionedThroughputExceededException", "slow")

    app = tracked_app(management)
    app.connections.use_store(Broken())
    with pytest.raises(ConnectionStoreError):
        app(fresh(load_event, "connect.json"), None)
    assert "connection tracking failed on connection Xq4mT2rLpNcFa8w=" in caplog.text


def test_event_connection_on_a_message_reads_the_record_once(load_event, management):
    app = tracked_app(management)
    reads = []

    class Counting(MemoryStore):
        def get(self, connection_id):
            reads.append(connection_id)
            return super().get(connection_id)

    app.connections.use_store(Counting())

    @app.on_ws_message(route="join", reply=True)
    def join(event):
        return [event.connection.source_ip, event.connection.attributes, event.connection.id]

    app(fresh(load_event, "connect.json"), None)
    raw = fresh(load_event, "message_custom_route.json")
    response = app(raw, None)
    assert json.loads(response["body"]) == ["203.0.113.42", {}, "Xq4mT2rLpNcFa8w="]
    assert reads == ["Xq4mT2rLpNcFa8w="]


def test_without_tracking_a_handler_gets_the_error_naming_the_app(load_event):
    app = App("plain")
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.on_ws_message(route="join")(lambda event: event.connection)
    with pytest.raises(ConnectionsNotEnabledError, match="App\\(app_name='plain', connections"):
        app(load_event("message_custom_route.json"), None)


def test_a_disconnect_whose_record_is_gone_sees_the_connection_the_event_tells(
    load_event, management
):
    app = tracked_app(management)
    seen = []
    app.on_ws_disconnect()(lambda event: seen.append(event.connection))
    app(fresh(load_event, "connect.json"), None)
    app.connections.disconnected("Xq4mT2rLpNcFa8w=")  # e.g. a send found it gone first
    app(fresh(load_event, "disconnect_1001.json"), None)
    [connection] = seen
    assert (connection.id, connection.source_ip) == ("Xq4mT2rLpNcFa8w=", "203.0.113.42")
    assert (connection.groups, connection.attributes) == ((), {})
    assert app.connections.count() == 0
