"""`Client.invoke`: an event handler runs in memory, and what it sends reaches the clients."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runtime import App, FunctionNotFoundError
from tests.support.builders import new_app
from tests.support.events import read_event
from wsgen.exceptions import ConfigError, EventHandlerError
from wsgen.testing import Client


@pytest.fixture
def pusher() -> App:
    app = new_app("pusher")
    connected: set[str] = set()

    @app.on_ws_connect()
    def connect(event: Any) -> None:
        connected.add(event.connection_id)

    @app.on_ws_disconnect()
    def disconnect(event: Any) -> None:
        connected.discard(event.connection_id)

    @app.schedule("rate(1 minute)")
    def tick(event: Any) -> None:
        app.websocket_api.broadcast(sorted(connected), f"tick {event.time}")

    @app.on_sqs_message(queue="jobs")
    def jobs(event: Any) -> None:
        for record in event:
            job = json.loads(record.body)
            if job.get("fail"):
                raise ValueError(job["id"])
            app.websocket_api.send(job["connection_id"], f"{job['id']} done")

    @app.on_sns_message("news")
    def news(event: Any) -> None:
        app.websocket_api.broadcast(sorted(connected), f"{event.subject}: {event.message}")

    @app.on_cw_event({"source": ["com.example.orders"], "detail-type": ["Order Shipped"]})
    def shipped(event: Any) -> None:
        app.websocket_api.send(event.detail["to"], f"{event.detail_type} ({event.source})")

    @app.on_dynamodb_record(
        "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-11-30T08:12:55.123"
    )
    def orders(event: Any) -> None:
        for record in event:
            to = (record.new_image or record.old_image)["to"]["S"]
            app.websocket_api.send(to, f"{record.event_name} {record.keys}")

    @app.lambda_function()
    def kick(event: Any, context: Any) -> str:
        app.websocket_api.close(event["connection_id"])
        return context.function_name

    return app


def test_a_schedule_broadcasts_to_every_connected_client(pusher: App) -> None:
    with Client(pusher) as client, client.connect() as ada, client.connect() as bob:
        assert client.invoke("tick") is None
        [text] = ada.receive_all()
        assert text.startswith("tick ") and text.endswith("Z")
        assert bob.receive_all() == [text]
        [(name, event)] = client.invocations
        assert (name, event["detail-type"], event["source"]) == (
            "tick",
            "Scheduled Event",
            "aws.events",
        )


def test_a_queue_message_reaches_the_connection_that_asked(pusher: App) -> None:
    with Client(pusher) as client, client.connect() as ada, client.connect() as bob:
        body = json.dumps({"id": "j-1", "connection_id": ada.connection_id})
        assert client.invoke("jobs", body=body) == {"batchItemFailures": []}
        assert ada.receive_text() == "j-1 done"
        assert bob.receive_all() == []


def test_a_captured_event_is_delivered_as_it_is(pusher: App) -> None:
    with Client(pusher) as client, client.connect() as ada:
        event = read_event("sqs.json")
        for record in event["Records"]:
            record["body"] = json.dumps(
                {"id": record["messageId"][:4], "connection_id": ada.connection_id}
            )
        client.invoke("jobs", event)
        assert ada.receive_all() == ["2d5c done", "8e1f done"]


def test_a_failed_message_is_reported_not_raised(pusher: App) -> None:
    with Client(pusher) as client:
        result = client.invoke("jobs", body='{"id": "j-2", "fail": true}')
        [(_, event)] = client.invocations
        assert result == {
            "batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]
        }
        assert client.errors == []  # the runtime turned it into the batch's response


def test_close_from_an_event_handler_runs_disconnect_after_it(pusher: App) -> None:
    with Client(pusher) as client:
        ada = client.connect()
        assert client.invoke("kick", {"connection_id": ada.connection_id}) == "pusher-kick"
        assert ada.close_code == 1000
        client.invoke("tick")
        assert ada.receive_all() == []  # $disconnect ran: no longer in the broadcast


def test_a_raising_handler_raises_or_is_recorded(pusher: App) -> None:
    with Client(pusher) as client, pytest.raises(KeyError):
        client.invoke("kick", {})
    with Client(pusher, raise_errors=False) as client:
        assert client.invoke("kick", {}) is None
        [error] = client.errors
        assert isinstance(error, KeyError)


def test_an_unknown_name_lists_the_handlers(pusher: App) -> None:
    with Client(pusher) as client, pytest.raises(FunctionNotFoundError) as raised:
        client.invoke("nope")
    assert str(raised.value).endswith(
        "the app's event handlers: jobs, kick, news, orders, shipped, tick"
    )


def test_arguments_aws_refuses_are_refused_by_the_client_too() -> None:
    app = new_app()
    app.on_ws_message()(lambda event: None)
    app.schedule("rate(5 minute)", name="bad")(lambda event: None)
    with pytest.raises(EventHandlerError, match="EventBridge wants 'rate\\(5 minutes\\)'"):
        Client(app)


def test_topics_rules_and_streams_reach_the_clients(pusher: App) -> None:
    with Client(pusher) as client, client.connect() as ada:
        client.invoke("news", body="prices are up")
        client.invoke("shipped", body=json.dumps({"to": ada.connection_id}))
        client.invoke("orders", body=json.dumps({"pk": "o-1", "to": ada.connection_id}))
        assert ada.receive_all() == [
            "None: prices are up",  # SNS without a subject
            "Order Shipped (com.example.orders)",
            "INSERT {'pk': {'S': 'o-1'}}",
        ]
        event = read_event("dynamodb.json")
        for record in event["Records"]:
            image = record["dynamodb"].get("NewImage") or record["dynamodb"]["OldImage"]
            image["to"] = {"S": ada.connection_id}
        client.invoke("orders", event)
        assert [m.split()[0] for m in ada.receive_all()] == ["INSERT", "MODIFY", "REMOVE"]


@pytest.mark.parametrize(
    ("name", "event", "lacks"),
    [
        ("shipped", {}, 'has no "detail", which EventBridge events have'),
        ("jobs", {}, 'has no "Records" list, which every SQS event has'),
        ("news", {"Records": {}}, 'has no "Records" list, which every SNS event has'),
        ("shipped", [1, 2], "must be a JSON object, not a list"),
    ],
)
def test_a_hand_made_event_the_handler_cannot_read_is_one_line(pusher, name, event, lacks):
    with Client(pusher) as client, pytest.raises(ConfigError) as raised:
        client.invoke(name, event=event)
    message = str(raised.value)
    assert lacks in message and "\n" not in message
    assert f"or only its body with client.invoke('{name}', body=" in message
    assert client.invocations == []  # the handler never ran


def test_a_body_mistake_is_worded_for_the_python_caller(pusher):
    with Client(pusher) as client, pytest.raises(ConfigError) as raised:
        client.invoke("tick", body="[1]")
    assert str(raised.value) == (
        "the body for @app.schedule handler 'tick' must be a JSON object (it is '[1]'), "
        'such as body=json.dumps({"key": "value"})'
    )


def test_an_sqs_or_sns_handler_needs_a_body(pusher):
    with Client(pusher) as client:
        for name in ("jobs", "news"):
            with pytest.raises(ConfigError, match=rf"client.invoke\('{name}', body='TEXT'\)"):
                client.invoke(name)
        assert client.invocations == []


def test_the_fan_out_consumer_is_not_listed_among_the_app_s_handlers():
    app = App(app_name="fans", fan_out=True)
    app.experimental_feature_flags.update(["WEBSOCKETS"])

    @app.schedule("rate(1 minute)")
    def tick(event: Any) -> None:
        pass

    with Client(app) as client, pytest.raises(FunctionNotFoundError) as raised:
        client.invoke("nope")
    assert str(raised.value).endswith("the app's event handlers: tick")
