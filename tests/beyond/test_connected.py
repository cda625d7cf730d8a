"""`@app.on_ws_connected`: the entry point's two steps, the 410 retry, the front ends."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest
import websockets

from runtime import App, DuplicateHandlerError, WebsocketDisconnectedError
from runtime.background import Background
from runtime.contract import CONNECT, CONNECTED_KEY
from tests.support.events import read_event
from tests.support.paths import APPS
from wsgen.local import EventLog, running
from wsgen.testing import Client


class Recording(Background):
    """Records what the entry point starts instead of calling Lambda."""

    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []

    def connected(self, event: Any) -> None:
        self.started.append(event)


def greeting_app() -> tuple[App, list[str]]:
    app = App("greeting")
    app.experimental_feature_flags.add("WEBSOCKETS")
    seen: list[str] = []

    @app.on_ws_connect()
    def connect(event: Any) -> Any:
        return {"statusCode": 403} if event.query_params.get("refuse") else None

    @app.on_ws_connected()
    def connected(event: Any) -> None:
        seen.append(event.connection_id)
        app.websocket_api.send(event.connection_id, "welcome " + event.query_params["name"])

    return app, seen


def connect_event(**query: str) -> dict[str, Any]:
    event = read_event("connect.json")
    event["queryStringParameters"] = dict(query)
    return event


def test_an_accepted_connect_starts_the_connected_step_with_its_event() -> None:
    app, seen = greeting_app()
    app.use_background(recording := Recording())
    event = connect_event(name="ana")
    assert app(event, None) == {"statusCode": 200}
    assert recording.started == [event]
    assert seen == []  # not inside $connect: that is the invocation's job


def test_a_refused_connect_starts_nothing() -> None:
    app, _ = greeting_app()
    app.use_background(recording := Recording())
    assert app(connect_event(refuse="1"), None)["statusCode"] == 403
    assert recording.started == []


def test_without_a_connect_handler_the_route_exists_and_accepts() -> None:
    app = App("bare")
    app.experimental_feature_flags.add("WEBSOCKETS")
    app.on_ws_connected()(lambda event: None)
    assert [r.key for r in app.routes()] == [CONNECT]
    app.use_background(recording := Recording())
    assert app(connect_event(), None) == {"statusCode": 200}
    assert len(recording.started) == 1


def test_a_second_connected_handler_is_refused() -> None:
    app, _ = greeting_app()
    with pytest.raises(DuplicateHandlerError, match="on_ws_connected"):
        app.on_ws_connected()(lambda event: None)


class FlakyClient:
    """A management client whose connection is not open for the first `gone` posts."""

    class exceptions:  # noqa: N801 - boto3's shape
        class GoneException(Exception):  # noqa: N818
            pass

    def __init__(self, gone: int) -> None:
        self.gone = gone
        self.posts: list[tuple[str, Any]] = []

    def post_to_connection(self, ConnectionId: str, Data: Any) -> None:  # noqa: N803
        if self.gone:
            self.gone -= 1
            raise self.exceptions.GoneException()
        self.posts.append((ConnectionId, Data))


def test_the_connected_invocation_retries_a_410_racing_the_handshake() -> None:
    app, seen = greeting_app()
    app.websocket_api.use_client(client := FlakyClient(gone=3))
    event = connect_event(name="bo")
    app({CONNECTED_KEY: event}, None)
    connection_id = event["requestContext"]["connectionId"]
    assert seen == [connection_id]
    assert client.posts == [(connection_id, "welcome bo")]


def test_the_retry_is_bounded_then_the_410_stands() -> None:
    app, _ = greeting_app()
    app.websocket_api.use_client(FlakyClient(gone=100))
    with pytest.raises(WebsocketDisconnectedError):
        app({CONNECTED_KEY: connect_event(name="bo")}, None)


def test_outside_the_connected_step_a_410_is_not_retried() -> None:
    app, _ = greeting_app()
    app.websocket_api.use_client(client := FlakyClient(gone=1))
    with pytest.raises(WebsocketDisconnectedError):
        app.websocket_api.send("abc=", "hi")
    assert client.gone == 0 and client.posts == []


def test_the_test_client_runs_it_right_after_the_handshake() -> None:
    app, seen = greeting_app()
    with Client(app) as client:
        conn = client.connect(query={"name": "cy"})
        assert seen == [conn.connection_id]
        assert conn.receive() == "welcome cy"
        with pytest.raises(Exception):  # noqa: B017 - refused: nothing runs
            client.connect(query={"refuse": "1"})
        assert seen == [conn.connection_id]


@pytest.mark.slow  # the emulator, real sockets
def test_wsgen_local_sends_the_welcome_as_the_first_frame_every_time() -> None:
    async def many(url: str) -> list[Any]:
        frames = []
        for n in range(60):
            async with websockets.connect(f"{url}?name=n{n}") as ws:
                first = await ws.recv()
                await ws.send(json.dumps({"action": "ping"}))
                frames.append((first, await ws.recv()))
        return frames

    with running(APPS, "greeter:app", log=EventLog(quiet=True)) as emulator:
        frames = asyncio.run(many(emulator.url))
    assert [json.loads(first) for first, _ in frames] == [{"welcome": f"n{n}"} for n in range(60)]
    assert all(json.loads(second) == {"pong": True} for _, second in frames)
    sys.modules.pop("greeter", None)
