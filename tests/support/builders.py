"""Test apps: built in memory (`new_app`, `chat_app`), or as app.py source for `wsgen`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from runtime import App, Response, WebsocketEvent


def new_app(name: str = "t") -> App:
    """An empty app with Chalice's WebSocket flag set, as every WebSocket app has it."""
    app = App(app_name=name)
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    return app


def _handler(event: Any) -> None:
    pass


_SOURCES = ["route.request.header.Auth"]

MISSPELT_KEYWORDS: dict[str, tuple[Callable[[App], object], str | None]] = {
    # Each an AppArgumentError at run time; mypy refuses each too (`make types`: --strict
    # reports a `type: ignore` that is not needed, so one that stops being refused fails).
    "on_ws_connect": (
        lambda a: a.on_ws_connect(api_key_require=True),  # type: ignore[arg-type]
        "api_key_required",
    ),
    "on_ws_message": (lambda a: a.on_ws_message(rout="join"), "route"),  # type: ignore[arg-type]
    "task": (lambda a: a.task(nme="jobs"), "name"),  # type: ignore[arg-type]
    "middleware": (lambda a: a.middleware(event_typ="all"), "event_type"),  # type: ignore[arg-type]
    "schedule": (
        lambda a: a.schedule("rate(1 minute)", descripton="x"),  # type: ignore[arg-type]
        "description",
    ),
    "on_sqs_message": (
        lambda a: a.on_sqs_message(queue="q", batchsize=5),  # type: ignore[arg-type]
        "batch_size",
    ),
    "on_sns_message": (lambda a: a.on_sns_message("t", nmae="x"), "name"),  # type: ignore[arg-type]
    "on_cw_event": (lambda a: a.on_cw_event({}, nam="x"), "name"),  # type: ignore[arg-type]
    "on_dynamodb_record": (
        lambda a: a.on_dynamodb_record("arn:aws:x", startingposition="x"),  # type: ignore[arg-type]
        "starting_position",
    ),
    "lambda_function": (lambda a: a.lambda_function(nme="x"), "name"),  # type: ignore[arg-type]
    "add_route": (lambda a: a.add_route("join", _handler, replys=True), "reply"),  # type: ignore[arg-type]
    "register_middleware": (
        lambda a: a.register_middleware(_handler, event_typ="all"),  # type: ignore[arg-type]
        "event_type",
    ),
}
"""Each decorator and registration method of App that takes an optional keyword, called
with a misspelt one, and the keyword its error suggests."""


def chat_app() -> App:
    """Rooms chat: join, say (to everyone in the room), kick, two-way ping, binary echo."""
    app = new_app("chat")
    rooms: dict[str, set[str]] = {}
    seen: list[Any] = []
    app.seen = seen  # type: ignore[attr-defined]  # what the handlers saw, for the tests

    @app.on_ws_connect()
    def connect(event: WebsocketEvent) -> Any:
        seen.append(event)
        if event.query_params.get("reject"):
            return Response(status_code=int(event.query_params["reject"]))
        offered = event.headers.get("Sec-WebSocket-Protocol", "")
        if "chat.v1" in offered:
            return {"headers": {"Sec-WebSocket-Protocol": "chat.v1"}}
        return None

    @app.on_ws_message(route="join")
    def join(event: WebsocketEvent) -> None:
        seen.append(event)
        rooms.setdefault(event.json_body["room"], set()).add(event.connection_id)

    @app.on_ws_message(route="say")
    def say(event: WebsocketEvent) -> None:
        seen.append(event)
        room = rooms[event.json_body["room"]]
        result = app.websocket_api.broadcast(room, json.dumps({"text": event.json_body["text"]}))
        room.difference_update(result.gone)

    @app.on_ws_message(route="kick")
    def kick(event: WebsocketEvent) -> None:
        app.websocket_api.close(event.json_body["who"])
        seen.append("kick returned")

    @app.on_ws_message(route="ping", reply=True)
    def ping(event: WebsocketEvent) -> Any:
        return {"pong": event.json_body.get("n")}

    @app.on_ws_message(route="blob", reply=True)
    def blob(event: WebsocketEvent) -> bytes:
        return b"\xff\x00" + event.raw_body

    @app.on_ws_message(route="quiet")
    def quiet(event: WebsocketEvent) -> str:
        return "one-way routes send nothing back"

    @app.on_ws_message(route="boom")
    def boom(event: WebsocketEvent) -> None:
        raise RuntimeError("boom")

    @app.on_ws_message()
    def default(event: WebsocketEvent) -> None:
        seen.append(event)
        app.websocket_api.send(event.connection_id, f"default: {event.body}")

    @app.on_ws_disconnect()
    def disconnect(event: WebsocketEvent) -> None:
        seen.append(event)
        for members in rooms.values():
            members.discard(event.connection_id)

    return app


ECHO = """\
from runtime import App

app = App(app_name="t")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message()
def message(event):
    pass
"""
"""app.py of the smallest app: one `$default` handler."""


def routes_source(count: int, *, replies: int = 0) -> str:
    """app.py of an app with `count` routes: `$connect` and custom routes r0, r1, ...

    The first `replies` custom routes are two-way.
    """
    lines = [
        "from runtime import App",
        "",
        f"app = App(app_name='routes{count}')",
        "app.experimental_feature_flags.update(['WEBSOCKETS'])",
        "",
        "",
        "def handler(event):",
        "    return 'ok'",
        "",
        "",
        "app.on_ws_connect()(handler)",
    ]
    lines += [
        f"app.on_ws_message(route='r{i}', reply={i < replies})(handler)" for i in range(count - 1)
    ]
    return "\n".join(lines) + "\n"


def functions_toml(functions: int, routes: int) -> str:
    """wsgen.toml giving each of `functions` functions `routes` of routes_source's routes."""
    tables = []
    for f in range(functions):
        keys = ", ".join(f'"r{f * routes + i}"' for i in range(routes))
        tables.append(f"[functions.f{f}]\nroutes = [{keys}]\n")
    return "".join(tables)
