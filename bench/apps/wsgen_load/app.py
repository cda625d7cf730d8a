"""The app the emulator benchmarks load: echo routes, and a serial loop vs broadcast()."""

import json
import time

from runtime import App

app = App(app_name="load")
app.experimental_feature_flags.update(["WEBSOCKETS"])

connected: dict[str, None] = {}  # connection ids in connect order (one process: the emulator)


@app.on_ws_connect()
def connect(event):
    connected[event.connection_id] = None


@app.on_ws_disconnect()
def disconnect(event):
    connected.pop(event.connection_id, None)


@app.on_ws_message(route="echo", reply=True)
def echo(event):
    return event.body


@app.on_ws_message(route="whoami", reply=True)
def whoami(event):
    return event.connection_id


@app.on_ws_message(route="send")
def send(event):
    app.websocket_api.send(event.connection_id, event.body)


def _targets(event):
    """Every other connection, or the first `count` of them."""
    request = json.loads(event.body)
    ids = [cid for cid in connected if cid != event.connection_id]
    return ids[: request["count"]] if request.get("count") else ids, request["tag"]


@app.on_ws_message(route="loop", reply=True)
def loop(event):
    ids, tag = _targets(event)
    start = time.perf_counter()
    for cid in ids:
        app.websocket_api.send(cid, tag)
    return json.dumps({"sent": len(ids), "seconds": time.perf_counter() - start})


@app.on_ws_message(route="broadcast", reply=True)
def broadcast(event):
    ids, tag = _targets(event)
    start = time.perf_counter()
    result = app.websocket_api.broadcast(ids, tag)
    seconds = time.perf_counter() - start
    return json.dumps(
        {
            "sent": len(result.delivered),
            "seconds": seconds,
            "failed": len(ids) - len(result.delivered),
        }
    )
