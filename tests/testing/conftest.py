"""Small apps for the test client's tests, built fresh per test."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runtime import App, Response


def new_app(name: str = "t") -> App:
    app = App(app_name=name)
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    return app


@pytest.fixture
def chat() -> App:
    """Rooms chat: join, say (to everyone in the room), kick, two-way ping, binary echo."""
    app = new_app("chat")
    rooms: dict[str, set[str]] = {}
    app.seen = []

    @app.on_ws_connect()
    def connect(event: Any) -> Any:
        app.seen.append(event)
        if event.query_params.get("reject"):
            return Response(status_code=int(event.query_params["reject"]))
        offered = event.headers.get("Sec-WebSocket-Protocol", "")
        if "chat.v1" in offered:
            return {"headers": {"Sec-WebSocket-Protocol": "chat.v1"}}
        return None

    @app.on_ws_message(route="join")
    def join(event: Any) -> None:
        app.seen.append(event)
        rooms.setdefault(event.json_body["room"], set()).add(event.connection_id)

    @app.on_ws_message(route="say")
    def say(event: Any) -> None:
        app.seen.append(event)
        room = rooms[event.json_body["room"]]
        result = app.websocket_api.broadcast(room, json.dumps({"text": event.json_body["text"]}))
        room.difference_update(result.gone)

    @app.on_ws_message(route="kick")
    def kick(event: Any) -> None:
        app.websocket_api.close(event.json_body["who"])
        app.seen.append("kick returned")

    @app.on_ws_message(route="ping", reply=True)
    def ping(event: Any) -> Any:
        return {"pong": event.json_body.get("n")}

    @app.on_ws_message(route="blob", reply=True)
    def blob(event: Any) -> bytes:
        return b"\xff\x00" + event.raw_body

    @app.on_ws_message(route="quiet")
    def quiet(event: Any) -> str:
        return "one-way routes send nothing back"

    @app.on_ws_message(route="boom")
    def boom(event: Any) -> None:
        raise RuntimeError("boom")

    @app.on_ws_message()
    def default(event: Any) -> None:
        app.seen.append(event)
        app.websocket_api.send(event.connection_id, f"default: {event.body}")

    @app.on_ws_disconnect()
    def disconnect(event: Any) -> None:
        app.seen.append(event)
        for members in rooms.values():
            members.discard(event.connection_id)

    return app
