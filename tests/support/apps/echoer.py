"""Test app: echoes every message back through send(), the management API round trip."""

import threading

from runtime import App

app = App(app_name="echoer")
app.experimental_feature_flags.update(["WEBSOCKETS"])

DISCONNECTS: list[str] = []
_changed = threading.Condition()


def wait_for_disconnects(count: int, timeout: float) -> int:
    with _changed:
        _changed.wait_for(lambda: len(DISCONNECTS) >= count, timeout)
        return len(DISCONNECTS)


@app.on_ws_message()
def echo(event):
    app.websocket_api.send(event.connection_id, event.body)


@app.on_ws_disconnect()
def disconnect(event):
    with _changed:
        DISCONNECTS.append(event.connection_id)
        _changed.notify_all()
