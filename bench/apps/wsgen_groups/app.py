"""A tracked app the emulator benchmark loads: `groups.send()` vs `broadcast()` of the same ids.

Clients connecting with `?join=GROUP` are members of GROUP from `$connect` on; the app also
keeps their ids itself, in connect order, for the plain `broadcast()`.
"""

import json

from runtime import App

app = App(app_name="groups", connections=True)
app.experimental_feature_flags.update(["WEBSOCKETS"])

members: dict[str, None] = {}  # the ids of every member (one process: the emulator)


@app.on_ws_connect()
def connect(event):
    if group := event.query_params.get("join"):
        app.groups.join(group, event.connection_id)
        members[event.connection_id] = None


@app.on_ws_disconnect()
def disconnect(event):
    members.pop(event.connection_id, None)


def _sent(result):
    return json.dumps({"sent": len(result.delivered) + getattr(result, "enqueued", 0)})


@app.on_ws_message(route="groupsend", reply=True)
def groupsend(event):
    return _sent(app.groups.send("all", json.loads(event.body)["tag"]))


@app.on_ws_message(route="broadcast", reply=True)
def broadcast(event):
    return _sent(app.websocket_api.broadcast(list(members), json.loads(event.body)["tag"]))
