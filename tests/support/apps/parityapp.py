"""Test app with an authorizer, for tests/test_parity.py and the emulator's authorizer tests:
each route exercises one decision API Gateway makes.

Connect with `?token=`: `allow` (context tier/level/admin), `deny` (403), `bad`
(UnauthorizedError, 401), `crash` (500), `vague` and `nested` (output that is no valid
policy, 500); add `status=N` for `$connect` to answer N, `refuse=N` for it to raise a
ClientError with status N, `fail=1` for it to raise (502), or `send=1` for it to try a
send to its own connection (what it raised goes to `SEND_ERRORS`). Actions: `boom` raises, `kick`
closes its own connection (`kick_refuse` then raises a ClientError), `whoami` replies with the
authorizer's context, `post` sends its connection a str, UTF-8 bytes and other bytes, `refuse`
(one-way) and `refuse_reply` (two-way) raise a ClientError. There is no `$default`: anything
else gets API Gateway's Forbidden frame.
"""

import json
import threading

from runtime import (
    App,
    AuthResponse,
    ClientError,
    Response,
    UnauthorizedError,
    WebsocketDisconnectedError,
    WebsocketEvent,
)

app = App(app_name="parity")
app.experimental_feature_flags.update(["WEBSOCKETS"])

EVENTS: list[dict] = []
"""Every raw event the app's functions got (the authorizer's too), in order."""
SEND_ERRORS: list[str] = []
"""What `send()` inside `$connect` raised (`?send=1`)."""
_changed = threading.Condition()


def reset() -> None:
    with _changed:
        EVENTS.clear()
        SEND_ERRORS.clear()


def record(event) -> None:
    with _changed:
        EVENTS.append(event.raw)
        _changed.notify_all()


def wait_for_count(count: int, timeout: float = 10) -> list[dict]:
    """The events once there are `count` (the emulator runs `$disconnect` later)."""
    with _changed:
        if not _changed.wait_for(lambda: len(EVENTS) >= count, timeout):
            raise AssertionError(f"{len(EVENTS)} events after {timeout}s, expected {count}")
        return list(EVENTS)


def calls() -> list[str]:
    """What ran, in order: "authorizer", or the route key of the handler."""
    with _changed:
        return [
            "authorizer" if e.get("type") == "REQUEST" else e["requestContext"]["routeKey"]
            for e in EVENTS
        ]


def request_ids() -> list[str]:
    """`requestContext.requestId` of each message event."""
    with _changed:
        return [
            e["requestContext"]["requestId"]
            for e in EVENTS
            if e.get("requestContext", {}).get("eventType") == "MESSAGE"
        ]


def wait_for_disconnect(timeout: float = 10) -> tuple[int, str]:
    """The first `$disconnect`'s code and reason, once it ran (the emulator runs it later)."""
    with _changed:
        found = _changed.wait_for(lambda: _disconnects(), timeout)
        if not found:
            raise AssertionError(f"no $disconnect within {timeout}s")
        return found[0]


def _disconnects() -> list[tuple[int, str]]:
    return [
        (e["requestContext"]["disconnectStatusCode"], e["requestContext"]["disconnectReason"])
        for e in EVENTS
        if e.get("requestContext", {}).get("eventType") == "DISCONNECT"
    ]


@app.ws_authorizer(identity_sources=["route.request.querystring.token"])
def authorize(event):
    record(event)
    token = event.raw["queryStringParameters"]["token"]
    if token == "deny":
        return AuthResponse.deny("mallory")
    if token == "bad":
        raise UnauthorizedError()
    if token == "crash":
        raise RuntimeError("authorizer bug")
    if token == "vague":
        return "yes"
    if token == "nested":
        return {"principalId": "x", "policyDocument": {}, "context": {"a": {"b": 1}}}
    return AuthResponse.allow("ada", {"tier": "gold", "level": 3, "admin": False})


@app.on_ws_connect()
def connect(event):
    record(event)
    query = event.query_params
    if "fail" in query:
        raise RuntimeError("connect failed on purpose")
    if "refuse" in query:
        raise ClientError("not today", code="closed", status=int(query["refuse"]))
    if "status" in query:
        return Response(status_code=int(query["status"]))
    if "send" in query:
        try:
            app.websocket_api.send(event.connection_id, "too early")
        except WebsocketDisconnectedError as exc:
            SEND_ERRORS.append(str(exc))
    return None


@app.on_ws_message("boom")
def boom(event):
    record(event)
    raise ValueError("handler failed on purpose")


@app.on_ws_message("kick")
def kick(event):
    record(event)
    app.websocket_api.close(event.connection_id)


@app.on_ws_message("kick_refuse")
def kick_refuse(event: WebsocketEvent) -> None:
    """Closes its own connection, then refuses: the error frame has no one to go to."""
    record(event)
    app.websocket_api.close(event.connection_id)
    raise ClientError("you were gone", code="gone")


@app.on_ws_message("whoami", reply=True)
def whoami(event):
    record(event)
    return json.dumps(event.raw["requestContext"]["authorizer"])


@app.on_ws_message("post")
def post(event):
    """Sends a str, valid UTF-8 bytes and other bytes: which frame type each becomes."""
    record(event)
    for data in ("text", b"utf8", b"\x80\x81"):
        app.websocket_api.send(event.connection_id, data)


def refuse(event):
    record(event)
    if not event.json_body.get("room"):
        raise ClientError("room must be a non-empty string", code="bad_room")


app.add_route("refuse", refuse)
app.add_route("refuse_reply", refuse, reply=True)


@app.on_ws_disconnect()
def disconnect(event):
    record(event)
