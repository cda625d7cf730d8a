"""A test app announcing through shards: its threshold comes from WSGEN_FAN_OUT_THRESHOLD."""

import copy

from runtime import App

app = App(app_name="announcer", connections=True, fan_out=True)
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(route="follow", reply=True)
def follow(event):
    app.groups.join("news", event.connection_id)
    return {"following": event.connection_id}


@app.on_ws_message(route="publish", reply=True)
def publish(event):
    result = app.groups.send("news", event.json_body["text"], exclude=event.connection_id)
    return {"enqueued": result.enqueued, "sent": len(result.delivered), "id": result.fan_out_id}


@app.on_ws_message(route="status", reply=True)
def status(event):
    return app.connections.fan_out_status(event.json_body["id"])


@app.on_ws_message(route="stale", reply=True)
def stale(event):
    """Track ids API Gateway never had, in the group: each send to them gets 410."""
    for connection_id in event.json_body["ids"]:
        raw = copy.deepcopy(event.raw)  # this event, as if each stale id had connected by it
        raw["requestContext"]["connectionId"] = connection_id
        app.connections.connecting(raw)
        app.connections.connected(connection_id)
        app.groups.join("news", connection_id)
    return {"members": app.groups.count("news")}
