"""Test app: records every event it gets and exercises each emulator feature by route."""

import sys
import threading

from runtime import App, Response, WebsocketDisconnectedError

app = App(app_name="recorder")
app.experimental_feature_flags.update(["WEBSOCKETS"])

EVENTS: list[dict] = []
NOTES: list[str] = []
_changed = threading.Condition()
RELEASE = threading.Event()
"""Set by tests to let the `stuck` handler return."""
STUCK_RETURNED: list[str] = []
"""The connection ids whose `stuck` handler returned (after RELEASE was set)."""
DISCONNECT_PROBES: list[str] = []
"""What `$disconnect` got from the management API, when PROBE_ON_DISCONNECT is set."""
PROBE_ON_DISCONNECT = False


def record(raw: dict) -> None:
    with _changed:
        EVENTS.append(raw)
        _changed.notify_all()


def reset() -> None:
    global PROBE_ON_DISCONNECT
    PROBE_ON_DISCONNECT = False
    with _changed:
        EVENTS.clear()
        NOTES.clear()
        DISCONNECT_PROBES.clear()
        STUCK_RETURNED.clear()
    RELEASE.clear()


def wait_for(predicate, timeout: float = 10.0) -> list[dict]:
    """Wait until predicate(EVENTS) holds; the events then."""
    with _changed:
        if not _changed.wait_for(lambda: predicate(EVENTS), timeout):
            raise AssertionError(f"condition not met in {timeout}s; events: {EVENTS}")
        return list(EVENTS)


def of_type(event_type: str) -> list[dict]:
    return [e for e in list(EVENTS) if e["requestContext"]["eventType"] == event_type]


@app.on_ws_connect()
def connect(event):
    record(event.raw)
    query = event.query_params
    if "status" in query:
        return Response(status_code=int(query["status"]))
    if "fail" in query:
        raise RuntimeError("connect failed on purpose")
    if "send" in query:
        try:
            app.websocket_api.send(event.connection_id, "too early")
        except WebsocketDisconnectedError:
            NOTES.append("gone during $connect")
    if "protocol" in query:
        return Response(headers={"Sec-WebSocket-Protocol": query["protocol"]})
    return None


@app.on_ws_message("echo", reply=True)
def echo(event):
    record(event.raw)
    return event.body


@app.on_ws_message("boom")
def boom(event):
    record(event.raw)
    raise ValueError("handler failed on purpose")


@app.on_ws_message("close")
def close(event):
    record(event.raw)
    app.websocket_api.close(event.connection_id)


@app.on_ws_message("exit")
def leave(event):
    record(event.raw)
    sys.exit(3)


@app.on_ws_message("stuck")
def stuck(event):
    record(event.raw)
    RELEASE.wait(60)
    with _changed:
        STUCK_RETURNED.append(event.connection_id)


@app.on_ws_message("binary")
def binary(event):
    record(event.raw)
    app.websocket_api.send(event.connection_id, b"\xff\x00\xfe")


@app.on_ws_message()
def default(event):
    record(event.raw)
    app.websocket_api.send(event.connection_id, event.body if not event.is_base64_encoded else "b")


@app.on_ws_disconnect()
def disconnect(event):
    print(f"recorder: {event.connection_id} disconnected")
    if PROBE_ON_DISCONNECT:
        try:
            app.websocket_api.send(event.connection_id, "after close")
        except WebsocketDisconnectedError:
            DISCONNECT_PROBES.append("gone")
        except Exception as exc:
            DISCONNECT_PROBES.append(type(exc).__name__)
    record(event.raw)
