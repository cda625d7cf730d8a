"""Test app: handlers that overrun any timeout until RELEASE is set, and an echo."""

import threading

from runtime import App

app = App(app_name="stalling")
app.experimental_feature_flags.update(["WEBSOCKETS"])

RELEASE = threading.Event()
"""Set by tests to let the stalled handlers return."""
CONNECTED: list[str] = []
DISCONNECTED: list[str] = []
_changed = threading.Condition()


def reset() -> None:
    with _changed:
        CONNECTED.clear()
        DISCONNECTED.clear()
    RELEASE.clear()


def wait_for_disconnects(count: int, timeout: float) -> int:
    with _changed:
        _changed.wait_for(lambda: len(DISCONNECTED) >= count, timeout)
        return len(DISCONNECTED)


@app.on_ws_connect()
def connect(event):
    if "stall" in event.query_params:
        RELEASE.wait(120)
        return None
    with _changed:
        CONNECTED.append(event.connection_id)


@app.on_ws_message("stall", reply=True)
def stall(event):
    RELEASE.wait(120)
    return "late"  # past the timeout: must never reach the client


@app.on_ws_message("stall_send")
def stall_send(event):
    RELEASE.wait(120)
    app.websocket_api.send(event.connection_id, "late send")  # past the timeout: never sent


@app.task()
def stall_task(connection_id):
    RELEASE.wait(120)
    app.websocket_api.send(connection_id, "late task send")  # past the timeout: never sent


@app.on_ws_message("start_task", reply=True)
def start_task(event):
    stall_task.delay(event.connection_id)
    return "started"


@app.on_ws_message(reply=True)
def echo(event):
    return event.body


@app.on_ws_disconnect()
def disconnect(event):
    with _changed:
        DISCONNECTED.append(event.connection_id)
        _changed.notify_all()
