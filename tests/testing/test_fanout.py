"""Fan-out through shards in the test client: the shards run in memory, like tasks."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from runtime import App, FanOutNotEnabledError, InvalidMessageError, MessageTypeError
from runtime.contract import FAN_OUT_FUNCTION
from wsgen.testing import Client


def announce_app(threshold: int = 5) -> App:
    app = App("announce", connections=True, fan_out=True)
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.websocket_api.fan_out_threshold = threshold

    @app.on_ws_message(route="follow")
    def follow(event: Any) -> None:
        app.groups.join("news", event.connection_id)

    @app.on_ws_message(route="publish", reply=True)
    def publish(event: Any) -> Any:
        result = app.groups.send("news", event.json_body["text"], exclude=event.connection_id)
        return {"enqueued": result.enqueued, "sent": len(result.delivered), "id": result.fan_out_id}

    @app.on_ws_message(route="everyone", reply=True)
    def everyone(event: Any) -> Any:
        return {"enqueued": app.connections.send_all("hello all").enqueued}

    return app


def stale_member(client: Client, connection_id: str) -> None:
    """A tracked connection API Gateway no longer knows: a send to it gets 410."""
    assert client.connection_store is not None
    now = int(time.time() * 1000)
    client.connection_store.put(
        {
            "id": connection_id,
            "connected_at": now,
            "expires_at": now // 1000 + 3600,
            "principal_id": None,
            "authorizer": {},
            "query_params": {},
            "headers": {},
            "source_ip": None,
            "user_agent": None,
            "attributes": {},
            "groups": ["news"],
        }
    )


@pytest.mark.parametrize("where", ["memory", pytest.param("dynamodb", marks=pytest.mark.external)])
def test_a_group_over_the_threshold_is_sent_by_shards_once_each(
    where: str, request: pytest.FixtureRequest
) -> None:
    app = announce_app()
    endpoint = request.getfixturevalue("dynamodb_endpoint") if where == "dynamodb" else None
    with Client(app, dynamodb=endpoint) as client:
        followers = [client.connect() for _ in range(30)]
        for ws in followers:
            ws.send_json({"action": "follow"})
        stale_member(client, "c2FtcGxlZ29uZQ=")
        publisher = followers[0]
        publisher.send_json({"action": "publish", "text": "breaking"})
        reply = json.loads(publisher.receive_text())
        assert (reply["enqueued"], reply["sent"]) == (30, 0)  # 29 followers + the stale one
        for ws in followers[1:]:
            assert ws.receive_all() == ["breaking"]
        assert publisher.receive_all() == []
        # the stale member is forgotten, record and membership
        assert app.connections.get("c2FtcGxlZ29uZQ=") is None
        assert app.groups.count("news") == 30
        assert app.connections.fan_out_status(reply["id"]) == {
            "enqueued": 30,
            "delivered": 29,
            "gone": 1,
            "failed": 0,
        }
        (shard_run,) = [name for name, _ in client.invocations if name == FAN_OUT_FUNCTION]
        assert shard_run == FAN_OUT_FUNCTION
        assert client.fan_out_queue is not None and client.fan_out_queue.pending == 0


def test_send_all_and_fan_out_from_the_test_itself_run_at_once() -> None:
    app = announce_app(threshold=2)
    with Client(app) as client:
        sockets = [client.connect() for _ in range(4)]
        result = app.websocket_api.fan_out([ws.connection_id for ws in sockets[:3]], b"\x80\x01")
        assert result.enqueued == 3
        assert [ws.receive_all() for ws in sockets] == [[b"\x80\x01"]] * 3 + [[]]
        sockets[3].send_json({"action": "everyone"})
        assert json.loads(sockets[3].receive_text()) == {"enqueued": 4}
        assert [ws.receive_all() for ws in sockets] == [["hello all"]] * 4


def test_at_the_threshold_the_caller_sends_and_nothing_is_queued() -> None:
    app = announce_app(threshold=3)
    with Client(app) as client:
        sockets = [client.connect() for _ in range(3)]
        result = app.websocket_api.fan_out([ws.connection_id for ws in sockets], "x")
        assert (len(result.delivered), result.enqueued, result.fan_out_id) == (3, 0, None)
        assert all(name != FAN_OUT_FUNCTION for name, _ in client.invocations)


def test_an_app_without_fan_out_has_no_queue_and_groups_send_as_before() -> None:
    app = App("plain", connections=True)
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.websocket_api.fan_out_threshold = 1

    @app.on_ws_message(route="join")
    def join(event: Any) -> None:
        app.groups.join("g", event.connection_id)

    with Client(app) as client:
        sockets = [client.connect() for _ in range(3)]
        for ws in sockets:
            ws.send_json({"action": "join"})
        result = app.groups.send("g", "hi")
        assert (len(result.delivered), result.enqueued) == (3, 0)
        assert client.fan_out_queue is None
        with pytest.raises(FanOutNotEnabledError):
            app.connections.send_all("x")


def test_a_shard_invoked_by_hand_is_sent_as_the_queue_would() -> None:
    from runtime.fanout import shard_bodies

    app = announce_app()
    with Client(app) as client:
        ws = client.connect()
        ((body, _),), _ = shard_bodies("by-hand", [ws.connection_id], "hand-made")
        assert client.invoke(FAN_OUT_FUNCTION, body=body) == {"batchItemFailures": []}
        assert ws.receive_all() == ["hand-made"]
        ((name, event),) = client.invocations
        record = event["Records"][0]
        assert (name, record["eventSource"]) == (FAN_OUT_FUNCTION, "aws:sqs")
        assert record["eventSourceARN"].endswith(":wsgen-fan-out")


def test_a_shard_failing_every_delivery_is_delivered_five_times_then_dead_lettered() -> None:
    app = announce_app()
    with Client(app) as client:
        queue = client.fan_out_queue
        assert queue is not None
        queue.put(["not a shard"])
        assert client.run_tasks() == 5  # the redrive policy's maxReceiveCount
        receives = [
            event["Records"][0]["attributes"]["ApproximateReceiveCount"]
            for name, event in client.invocations
        ]
        assert receives == ["1", "2", "3", "4", "5"]
        assert queue.dead_letters == ["not a shard"]
        assert queue.pending == 0


LONE_SURROGATE = "news \ud800"
"""Text UTF-8 cannot encode, as `json.loads` makes from a client's `"\\ud800"` escape."""

SENDS = {
    "send": lambda app, ids, message: app.websocket_api.send(ids[0], message),
    "broadcast": lambda app, ids, message: app.websocket_api.broadcast(ids, message),
    "groups.send": lambda app, ids, message: app.groups.send("news", message),  # over: shards
    "groups.send, under the threshold": lambda app, ids, message: app.groups.send("few", message),
    "fan_out": lambda app, ids, message: app.websocket_api.fan_out(ids, message),
    "send_all": lambda app, ids, message: app.connections.send_all(message),
}
"""Every way to send one message to many: each refuses what API Gateway cannot carry alike."""


@pytest.mark.parametrize("how", SENDS)
def test_text_with_a_lone_surrogate_is_refused_alike_before_any_send_or_shard(how: str) -> None:
    app = announce_app(threshold=2)
    with Client(app) as client:
        sockets = [client.connect() for _ in range(4)]
        ids = [ws.connection_id for ws in sockets]
        for ws in sockets:
            ws.send_json({"action": "follow"})
        app.groups.join("few", ids[0])
        with pytest.raises(InvalidMessageError) as refused:
            SENDS[how](app, ids, LONE_SURROGATE)
        assert str(refused.value) == (
            "text message holds a lone surrogate ('\\ud800' at index 5), which UTF-8 cannot "
            "encode; replace it (text.encode('utf-8', 'replace').decode()) or send bytes as a "
            "binary message"
        )
        assert isinstance(refused.value, ValueError)
        assert [ws.receive_all() for ws in sockets] == [[]] * 4
        assert all(name != FAN_OUT_FUNCTION for name, _ in client.invocations)
        assert client.fan_out_queue is not None and client.fan_out_queue.pending == 0


@pytest.mark.parametrize(
    ("message", "said"),
    [
        ({"text": "hi"}, "a message is str or bytes, not dict: json.dumps() it first"),
        (5, "a message is str or bytes, not int: pass str() of it, or bytes"),
    ],
)
@pytest.mark.parametrize("how", SENDS)
def test_a_message_neither_str_nor_bytes_is_refused_alike_before_any_send_or_shard(
    how: str, message: object, said: str
) -> None:
    app = announce_app(threshold=2)
    with Client(app) as client:
        sockets = [client.connect() for _ in range(4)]
        ids = [ws.connection_id for ws in sockets]
        for ws in sockets:
            ws.send_json({"action": "follow"})
        app.groups.join("few", ids[0])
        with pytest.raises(MessageTypeError) as refused:
            SENDS[how](app, ids, message)
        assert str(refused.value) == said
        assert isinstance(refused.value, TypeError)
        assert [ws.receive_all() for ws in sockets] == [[]] * 4
        assert all(name != FAN_OUT_FUNCTION for name, _ in client.invocations)


def test_a_client_s_escaped_lone_surrogate_fails_its_handler_with_the_clear_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = announce_app(threshold=1)
    with Client(app, raise_errors=False) as client:
        sockets = [client.connect() for _ in range(3)]
        for ws in sockets:
            ws.send_json({"action": "follow"})
        sockets[0].send_text('{"action": "publish", "text": "\\ud800"}')  # valid JSON
        assert [type(error) for error in client.errors] == [InvalidMessageError]
        assert sockets[0].receive_json()["message"] == "Internal server error"  # as on AWS
        assert "InvalidMessageError: text message holds a lone surrogate" in caplog.text
        assert [ws.receive_all() for ws in sockets[1:]] == [[], []]
